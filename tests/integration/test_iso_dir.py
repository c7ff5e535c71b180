"""files.iso_dir: every *.iso in one directory appears as /iso/<name>/, over HTTP
and TFTP, and follows the directory while pxed runs (inotify): images added,
replaced (a download in flight keeps the image it started on), removed and
renamed; a bad image is logged and skipped.

Images are replaced the way admins should: written beside under another name,
then renamed into place (a new inode; writing into the old file in place would
change the bytes under a running download).
"""
import hashlib
import json
import os
import shutil
import signal
import subprocess

import pytest

import clients
import netlab
from netlab import sha256_file
from suite import MIB, PXED_BIN

pytestmark = [
    pytest.mark.pxed_only("files.iso_dir is pxed's own"),
    pytest.mark.skipif(shutil.which("xorriso") is None, reason="xorriso not installed"),
]

KERNEL = "boot/vmlinuz"
BIG = "big.bin"
# Well past what TCP buffers can hold (tcp_wmem's 4 MiB + the client's receive
# buffer, capped at CLIENT_RCVBUF_MAX in the lab), so the server is still
# reading the image when it is replaced.
BIG_SIZE = 24 * MIB
CLIENT_RCVBUF_MAX = 2 * MIB
RATE = "4M"  # curl's --limit-rate for the downloads that must outlive a replacement


def build_image(workdir, name, seed_files):
    """An ISO (Rock Ridge + Joliet) holding seed_files {path: bytes}; returns its path and the files."""
    src = workdir / f"src-{name}"
    shutil.rmtree(src, ignore_errors=True)
    for rel, data in seed_files.items():
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    iso = workdir / f"{name}.built"
    subprocess.run(["xorriso", "-as", "mkisofs", "-R", "-J", "-o", str(iso), str(src)],
                   check=True, capture_output=True)
    os.chmod(iso, 0o644)
    return iso


def random_image(workdir, name, big=False):
    files = {KERNEL: os.urandom(MIB + 17)}
    if big:
        files[BIG] = os.urandom(BIG_SIZE)
    return build_image(workdir, name, files), files


@pytest.fixture(scope="module")
def iso_dir(workdir):
    d = workdir / "isos"
    d.mkdir()
    os.chmod(d, 0o755)
    return d


@pytest.fixture(scope="module")
def alpha(workdir, iso_dir):
    """An image present before pxed starts."""
    built, files = random_image(workdir, "alpha")
    netlab.install_image(iso_dir, built, "alpha.iso")
    return files


@pytest.fixture(scope="module")
def lab(workdir, tree, server_kind, iso_dir, alpha):
    for lab in netlab.served_lab(workdir, tree, server_kind, PXED_BIN,
                                 http_overrides={"idle_timeout": "5s"},
                                 files_extra=[f'iso_dir = "{iso_dir}"']):
        # tcp_rmem's maximum here is 32 MiB: a stopped curl's socket could take the
        # whole BIG file and pxed would be done before the image changes. Capped in
        # the lab's own client namespace (the sysctl is per namespace).
        lab.client(["sysctl", "-q", "-w", f"net.ipv4.tcp_rmem=4096 131072 {CLIENT_RCVBUF_MAX}"], check=True)
        yield lab


http = netlab.curl_http


def status(lab, path):
    return http(lab, path, "-o", "/dev/null", "-w", "%{http_code}").stdout


def fetch_both(lab, path, out):
    """sha256 of path over HTTP and over TFTP (curl, blksize 1468)."""
    sums = []
    local = out / "via-http"
    r = http(lab, path, "-f", out=local)
    assert r.returncode == 0, (path, r.stderr)
    sums.append(sha256_file(local))
    local = out / "via-tftp"
    r = lab.client(clients.CLIENTS["curl-blksize1468"](lab.server_ip, path.lstrip("/"), local),
                   timeout=120)
    assert r.returncode == 0, (path, r.stderr)
    sums.append(sha256_file(local))
    return sums


def digest(data):
    return hashlib.sha256(data).hexdigest()


def listed(lab):
    r = http(lab, "/iso/", "-f", "-H", "Accept: application/json")
    assert r.returncode == 0, r.stderr
    return sorted(e["name"] for e in json.loads(r.stdout) if e["type"] == "directory")


def test_an_image_present_at_start_is_served(lab, alpha, out):
    assert "alpha" in listed(lab)
    assert fetch_both(lab, f"/iso/alpha/{KERNEL}", out) == [digest(alpha[KERNEL])] * 2


def test_an_added_image_appears_and_a_removed_one_goes(lab, workdir, iso_dir, out):
    built, files = random_image(workdir, "beta")
    mark = lab.server.mark()
    netlab.install_image(iso_dir, built, "beta.iso")
    lab.server.wait_event("iso.added", since=mark, at="/iso/beta")
    assert "beta" in listed(lab)
    assert fetch_both(lab, f"/iso/beta/{KERNEL}", out) == [digest(files[KERNEL])] * 2
    mark = lab.server.mark()
    (iso_dir / "beta.iso").unlink()
    lab.server.wait_event("iso.removed", since=mark, at="/iso/beta")
    assert "beta" not in listed(lab)
    assert status(lab, f"/iso/beta/{KERNEL}") == "404"


def test_a_renamed_image_moves_with_its_name(lab, workdir, iso_dir, out):
    built, files = random_image(workdir, "gamma")
    mark = lab.server.mark()
    netlab.install_image(iso_dir, built, "gamma.iso")
    lab.server.wait_event("iso.added", since=mark, at="/iso/gamma")
    mark = lab.server.mark()
    os.rename(iso_dir / "gamma.iso", iso_dir / "delta.iso")
    lab.server.wait_event("iso.added", since=mark, at="/iso/delta")
    lab.server.wait_event("iso.removed", since=mark, at="/iso/gamma")
    assert status(lab, f"/iso/gamma/{KERNEL}") == "404"
    assert fetch_both(lab, f"/iso/delta/{KERNEL}", out) == [digest(files[KERNEL])] * 2
    os.rename(iso_dir / "delta.iso", workdir / "delta-moved-away.iso")
    wait_gone(lab, "delta")


def wait_gone(lab, name):
    netlab.wait_for(lambda: name not in listed(lab), 10, f"/iso/{name} to go")


def start_slow_downloads(lab, path, out):
    """curl over HTTP and TFTP, rate-limited, then stopped (SIGSTOP) part way:
    --limit-rate alone is not reliable enough here to be sure a transfer is
    still running when the image changes. Returns (process, local file) pairs."""
    url_path = path.lstrip("/")
    procs = []
    for kind in ("http", "tftp"):
        local = out / f"slow-{kind}"
        if kind == "http":
            argv = ["curl", "-sS", "-f", "--max-time", "120", "--limit-rate", RATE, "-o", str(local),
                    f"http://{lab.server_ip}/{url_path}"]
        else:
            argv = ["curl", "-sS", "--max-time", "120", "--limit-rate", RATE, "--tftp-blksize", "1468",
                    "-o", str(local), f"tftp://{lab.server_ip}/{url_path}"]
        procs.append((lab.client_popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE), local))
    try:
        for p, local in procs:
            netlab.wait_for(lambda: local.exists() and local.stat().st_size > 256 * 1024, 20,
                            f"{local.name} to be under way")
            os.killpg(p.pid, signal.SIGSTOP)  # own session (client_popen): only this curl
    except BaseException:
        for p, _ in procs:
            os.killpg(p.pid, signal.SIGKILL)
        raise
    for p, local in procs:
        assert p.poll() is None, f"{local.name} finished too soon to prove anything"
        assert local.stat().st_size < BIG_SIZE // 2, f"{local.name} got too far"
    return procs


def finish(procs):
    """Lets the stopped downloads run to their end; their sha256s."""
    for p, _ in procs:
        os.killpg(p.pid, signal.SIGCONT)
    sums = []
    for p, local in procs:
        _, err = p.communicate(timeout=130)
        assert p.returncode == 0, (local.name, err)
        sums.append(sha256_file(local))
    return sums


def test_a_download_in_flight_keeps_the_image_it_started_on(lab, workdir, iso_dir, out):
    old_built, old = random_image(workdir, "os-v1", big=True)
    new_built, new = random_image(workdir, "os-v2", big=True)
    mark = lab.server.mark()
    netlab.install_image(iso_dir, old_built, "os.iso")
    lab.server.wait_event("iso.added", since=mark, at="/iso/os")

    procs = start_slow_downloads(lab, f"/iso/os/{BIG}", out)
    mark = lab.server.mark()
    netlab.install_image(iso_dir, new_built, "os.iso")
    lab.server.wait_event("iso.replaced", since=mark, at="/iso/os")
    # New requests see the new image at once; the running ones finish the old one.
    assert fetch_both(lab, f"/iso/os/{KERNEL}", out) == [digest(new[KERNEL])] * 2
    assert finish(procs) == [digest(old[BIG])] * 2
    # Both were still being served after the replacement.
    lab.server.wait_event("tftp.done", since=mark, file=f"iso/os/{BIG}", result="ok")
    lab.server.wait_event("http.request", since=mark, path=f"/iso/os/{BIG}", status=200)
    assert fetch_both(lab, f"/iso/os/{BIG}", out) == [digest(new[BIG])] * 2
    (iso_dir / "os.iso").unlink()
    wait_gone(lab, "os")


def test_a_download_in_flight_survives_its_image_being_deleted(lab, workdir, iso_dir, out):
    built, files = random_image(workdir, "doomed", big=True)
    mark = lab.server.mark()
    netlab.install_image(iso_dir, built, "doomed.iso")
    lab.server.wait_event("iso.added", since=mark, at="/iso/doomed")
    procs = start_slow_downloads(lab, f"/iso/doomed/{BIG}", out)
    mark = lab.server.mark()
    (iso_dir / "doomed.iso").unlink()
    lab.server.wait_event("iso.removed", since=mark, at="/iso/doomed")
    assert status(lab, f"/iso/doomed/{BIG}") == "404"
    assert finish(procs) == [digest(files[BIG])] * 2


def test_a_bad_image_is_logged_and_skipped(lab, workdir, iso_dir, alpha, out):
    mark = lab.server.mark()
    (iso_dir / "junk.iso").write_bytes(os.urandom(100_000))
    event = lab.server.wait_event("iso.rejected", since=mark, path=str(iso_dir / "junk.iso"))
    assert event.level in ("warn", "warning") and event.fields.get("reason")
    assert "junk" not in listed(lab)
    assert status(lab, "/iso/junk/") == "404"
    # Fixed by replacing it: picked up like any new image.
    built, files = random_image(workdir, "junk-fixed")
    mark = lab.server.mark()
    netlab.install_image(iso_dir, built, "junk.iso")
    lab.server.wait_event("iso.added", since=mark, at="/iso/junk")
    assert fetch_both(lab, f"/iso/junk/{KERNEL}", out) == [digest(files[KERNEL])] * 2
    # The rest of the tree never noticed.
    assert fetch_both(lab, f"/iso/alpha/{KERNEL}", out) == [digest(alpha[KERNEL])] * 2


def test_the_iso_directory_is_listed_at_the_root(lab):
    r = http(lab, "/", "-f", "-H", "Accept: application/json")
    root = {e["name"]: e for e in json.loads(r.stdout)}
    assert root["iso"]["type"] == "directory"
    r = http(lab, "/iso", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}")
    code, _, location = r.stdout.partition(" ")
    assert code == "301" and location.endswith("/iso/")
