"""ISO images as folders: [[files.mount]] serves an image's members over TFTP
and HTTP without mounting it (this kernel has no iso9660 anyway).

Images are built by xorriso from random files; what curl and atftp fetch must
hash like the files that went in.
"""
import json
import os
import shutil
import subprocess

import pytest

import clients
import netlab
from netlab import sha256_file
from suite import MIB, PXED_BIN

pytestmark = [
    pytest.mark.pxed_only("ISO mounts are pxed's own"),
    pytest.mark.skipif(shutil.which("xorriso") is None, reason="xorriso not installed"),
]

SOURCES = {"images/pxeboot/vmlinuz": 3 * MIB, "images/pxeboot/initrd.img": 5 * MIB}
MOUNTS = {"/centos7": "-R -J", "/joliet": "-J"}  # Rock Ridge + Joliet, and Joliet only


@pytest.fixture(scope="module")
def iso_source(workdir):
    src = netlab.write_random_tree(workdir / "iso-src", SOURCES)
    (src / ".treeinfo").write_text("[general]\nfamily = CentOS\n")
    # Rock Ridge symlinks (SL): followed inside the image, refused when they leave it.
    (src / "kernel-link").symlink_to("images/pxeboot/vmlinuz")
    (src / "pxeboot").symlink_to("/images/pxeboot")  # absolute: from the image's root
    (src / "images" / "escape").symlink_to("../../../../etc/passwd")
    (src / "loop").symlink_to("loop")
    return src


@pytest.fixture(scope="module")
def extra_dir(workdir):
    """A directory mounted with [[files.mount]] dir = ..., with a link that leaves it."""
    d = workdir / "extra-dir"
    (d / "sub").mkdir(parents=True, exist_ok=True)
    (d / "sub" / "blob.bin").write_bytes(os.urandom(MIB + 3))
    (d / "climb").symlink_to("../root/" + "empty.bin")
    for p in (d, d / "sub"):
        os.chmod(p, 0o755)
    os.chmod(d / "sub" / "blob.bin", 0o644)
    return d


SPLIT_A, SPLIT_B = 64 * 2048, 100_000  # a non-final extent is whole 2 KiB blocks


def find_record(image, identifier):
    """Offset of the ISO 9660 directory record named identifier (ECMA-119 9.1)."""
    at = image.find(identifier, 33)
    while at != -1:
        if image[at - 1] >= len(identifier) and image[at - 33] >= 33 + image[at - 1]:
            return at - 33
        at = image.find(identifier, at + 1)
    raise AssertionError(f"no record for {identifier!r}")


def make_multi_extent_iso(workdir):
    """xorriso splits only files over 4 GiB: two adjacent plain ISO 9660 files are
    patched into one two-extent file SPLITA (as tests/unit/iso/multi_extent_test.cpp)."""
    src = workdir / "iso-multi-src"
    src.mkdir(exist_ok=True)
    (src / "splita").write_bytes(os.urandom(SPLIT_A))
    (src / "splitb").write_bytes(os.urandom(SPLIT_B))
    iso = workdir / "multi.iso"
    subprocess.run(["xorriso", "-as", "mkisofs", "--norock", "-o", str(iso), str(src)],
                   check=True, capture_output=True)
    image = bytearray(iso.read_bytes())
    first, second = find_record(image, b"SPLITA"), find_record(image, b"SPLITB")
    assert second == first + image[first], "records must be adjacent"
    image[first + 25] |= 0x80  # ECMA-119 9.1.6 bit 7: not the final record
    image[second + 33 + 5] = ord("A")
    iso.write_bytes(bytes(image))
    os.chmod(iso, 0o644)
    return iso, (src / "splita").read_bytes() + (src / "splitb").read_bytes()


@pytest.fixture(scope="module")
def multi(workdir):
    return make_multi_extent_iso(workdir)


@pytest.fixture(scope="module")
def lab(workdir, tree, server_kind, iso_source, multi, extra_dir):
    """Overrides conftest's lab: the images must exist before pxed starts."""
    extra = []
    for at, flags in MOUNTS.items():
        iso = workdir / f"mount{at.replace('/', '-')}.iso"
        subprocess.run(["xorriso", "-as", "mkisofs", *flags.split(), "-o", str(iso),
                        str(iso_source)], check=True, capture_output=True)
        os.chmod(iso, 0o644)
        extra += ["", "[[files.mount]]", f'at = "{at}"', f'iso = "{iso}"']
    extra += ["", "[[files.mount]]", 'at = "/multi"', f'iso = "{multi[0]}"']
    extra += ["", "[[files.mount]]", 'at = "/extra"', f'dir = "{extra_dir}"']
    yield from netlab.served_lab(workdir, tree, server_kind, PXED_BIN,
                                 http_overrides={"idle_timeout": "5s"}, files_extra=extra)


http = netlab.curl_http


@pytest.mark.parametrize("at", list(MOUNTS))
@pytest.mark.parametrize("member", list(SOURCES))
def test_http_serves_members_byte_exact(lab, iso_source, out, at, member):
    local = out / "fetched"
    r = http(lab, f"{at}/{member}", "-f", out=local)
    assert r.returncode == 0, r.stderr
    assert sha256_file(local) == sha256_file(iso_source / member)


@pytest.mark.parametrize("client", ["curl", "curl-blksize1468", "atftp-blksize-tsize-window"])
@pytest.mark.parametrize("member", list(SOURCES))
def test_tftp_serves_members_byte_exact(lab, iso_source, out, client, member):
    local = out / "fetched"
    argv = clients.CLIENTS[client](lab.server_ip, f"centos7/{member}", local)
    r = lab.client(argv, timeout=120)
    assert r.returncode == 0, r.stderr
    assert sha256_file(local) == sha256_file(iso_source / member)


def test_range_inside_a_member(lab, iso_source, out):
    data = (iso_source / "images/pxeboot/initrd.img").read_bytes()
    first, last = 2 * MIB - 100, 4 * MIB + 99  # crosses many 2 KiB sectors
    local = out / "part"
    r = http(lab, "/centos7/images/pxeboot/initrd.img", "-f", "-r", f"{first}-{last}",
             "-D", str(out / "headers"), out=local)
    assert r.returncode == 0, r.stderr
    headers = (out / "headers").read_text().lower()
    assert " 206 " in headers.splitlines()[0]
    assert f"content-range: bytes {first}-{last}/{len(data)}" in headers
    assert local.read_bytes() == data[first:last + 1]
    # A suffix range ends exactly at the member's end, not the image's.
    r = http(lab, "/joliet/images/pxeboot/vmlinuz", "-f", "-H", "Range: bytes=-1000", out=local)
    assert r.returncode == 0, r.stderr
    assert local.read_bytes() == (iso_source / "images/pxeboot/vmlinuz").read_bytes()[-1000:]


def test_head_gives_size_and_a_stable_etag(lab):
    sizes, etags = [], []
    for _ in range(2):
        r = http(lab, "/centos7/images/pxeboot/vmlinuz", "-f", "-I")
        assert r.returncode == 0, r.stderr
        lines = {k.strip().lower(): v.strip() for k, _, v in
                 (line.partition(":") for line in r.stdout.splitlines() if ":" in line)}
        sizes.append(lines["content-length"])
        etags.append(lines["etag"])
    assert sizes == [str(3 * MIB)] * 2
    assert etags[0] == etags[1]


def test_listings_show_the_mount_and_its_members(lab):
    r = http(lab, "/", "-f", "-H", "Accept: application/json")
    assert r.returncode == 0, r.stderr
    root = {e["name"]: e for e in json.loads(r.stdout)}
    assert "centos7" in root and "joliet" in root
    assert root["centos7"]["type"] == "directory"
    # The mount point is dated like its image, not 1970.
    assert not root["centos7"]["mtime"].startswith("1970"), root["centos7"]
    assert not root["extra"]["mtime"].startswith("1970"), root["extra"]

    r = http(lab, "/centos7/images/pxeboot/", "-f", "-H", "Accept: application/json")
    assert r.returncode == 0, r.stderr
    names = sorted(e["name"] for e in json.loads(r.stdout))
    assert names == ["initrd.img", "vmlinuz"]

    r = http(lab, "/centos7/", "-f")
    assert r.returncode == 0, r.stderr
    assert 'href="images/"' in r.stdout and ".treeinfo" in r.stdout

    # Without the slash: redirected to the listing, like any directory.
    r = http(lab, "/centos7/images", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}")
    code, _, location = r.stdout.partition(" ")
    assert code == "301" and location.endswith("/centos7/images/")


def test_the_ready_line_lists_the_mounts(lab):
    ready = lab.server.wait_event("pxed.ready")
    mounts = ready.fields["mounts"].split(",")
    assert "/centos7" in mounts and "/multi" in mounts and "/extra" in mounts, ready.fields


def test_missing_members_and_directories_are_not_files(lab):
    for path in ["/centos7/nope", "/centos7/images/pxeboot/vmlinuz/x"]:
        r = http(lab, path, "-o", "/dev/null", "-w", "%{http_code}")
        assert r.stdout == "404", path


def test_a_multi_extent_member_over_http_and_tftp(lab, multi, out):
    whole = multi[1]
    local = out / "fetched"
    r = http(lab, "/multi/SPLITA", "-f", out=local)
    assert r.returncode == 0, r.stderr
    assert local.read_bytes() == whole
    first, last = SPLIT_A - 1000, SPLIT_A + 999  # straddles the two extents
    r = http(lab, "/multi/SPLITA", "-f", "-r", f"{first}-{last}", out=local)
    assert r.returncode == 0, r.stderr
    assert local.read_bytes() == whole[first:last + 1]
    r = lab.client(clients.CLIENTS["curl-blksize1468"](lab.server_ip, "multi/SPLITA", local),
                   timeout=120)
    assert r.returncode == 0, r.stderr
    assert local.read_bytes() == whole


def tftp_get(lab, remote, local):
    return lab.client(clients.CLIENTS["curl-blksize1468"](lab.server_ip, remote, local), timeout=120)


def test_symlinks_inside_an_image_are_followed(lab, iso_source, out):
    kernel = sha256_file(iso_source / "images/pxeboot/vmlinuz")
    local = out / "fetched"
    for path in ["/centos7/kernel-link", "/centos7/pxeboot/vmlinuz"]:
        r = http(lab, path, "-f", out=local)
        assert r.returncode == 0, (path, r.stderr)
        assert sha256_file(local) == kernel, path
    r = tftp_get(lab, "centos7/pxeboot/vmlinuz", local)
    assert r.returncode == 0, r.stderr
    assert sha256_file(local) == kernel


def test_symlinks_leaving_the_image_or_looping_are_refused(lab, out):
    for path in ["/centos7/images/escape", "/centos7/loop"]:
        r = http(lab, path, "-o", "/dev/null", "-w", "%{http_code}")
        assert r.stdout == "404", path
        # curl exits 69 (CURLE_TFTP_PERM) on TFTP ERROR 2, access violation.
        r = tftp_get(lab, path.lstrip("/"), out / "x")
        assert r.returncode == 69, (path, r.returncode, r.stderr)
    lab.server.wait_event("tftp.refused", file="centos7/images/escape", reason="outside-root")


def test_a_listing_shows_links_as_what_they_point_to(lab):
    r = http(lab, "/centos7/", "-f", "-H", "Accept: application/json")
    assert r.returncode == 0, r.stderr
    entries = {e["name"]: e for e in json.loads(r.stdout)}
    assert entries["pxeboot"]["type"] == "directory"
    assert entries["kernel-link"]["type"] == "file"
    assert entries["kernel-link"]["size"] == SOURCES["images/pxeboot/vmlinuz"]
    assert "loop" not in entries
    r = http(lab, "/centos7/images/", "-f", "-H", "Accept: application/json")
    assert "escape" not in {e["name"] for e in json.loads(r.stdout)}


def test_a_mounted_directory_is_served_over_http_and_tftp(lab, extra_dir, out):
    want = sha256_file(extra_dir / "sub" / "blob.bin")
    local = out / "fetched"
    r = http(lab, "/extra/sub/blob.bin", "-f", out=local)
    assert r.returncode == 0, r.stderr
    assert sha256_file(local) == want
    r = tftp_get(lab, "extra/sub/blob.bin", local)
    assert r.returncode == 0, r.stderr
    assert sha256_file(local) == want
    r = http(lab, "/", "-f", "-H", "Accept: application/json")
    assert {e["name"]: e for e in json.loads(r.stdout)}["extra"]["type"] == "directory"
    # A link out of the mounted directory is refused, even into files.root.
    r = http(lab, "/extra/climb", "-o", "/dev/null", "-w", "%{http_code}")
    assert r.stdout == "404"
    r = tftp_get(lab, "extra/climb", out / "x")
    assert r.returncode == 69, r.stderr
