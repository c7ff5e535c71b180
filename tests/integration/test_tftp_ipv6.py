"""TFTP over IPv6: `[tftp] listen` with an IPv6 address, in each port mode (a port
per transfer, port_range, single_port), fetched by real clients (curl's tftp:// with
an IPv6 literal, tftp-hpa's `tftp -6`) inside a test-made namespace pair with
ULA addresses (fd00::/8) the test assigns. IPv4 keeps working beside it."""
import shutil

import pytest

import netlab
from netlab import ServerProcess, run, sha256_file
from suite import PXED_BIN

pytestmark = pytest.mark.pxed_only("TFTP over IPv6 is pxed's")

FILE = "sub/dir/random-1m.bin"
MODES = {
    "ephemeral": {},
    "port_range": {"port_range": [30100, 30109]},
    "single_port": {"single_port": True},
}


@pytest.fixture(scope="module", params=list(MODES))
def lab(request, workdir, tree):
    lab = netlab.create_lab(workdir)
    try:
        lab.mode = request.param
        lab.server_v6 = f"fd00:242:{lab.subnet}::1"
        lab.client_v6 = f"fd00:242:{lab.subnet}::2"
        run(["ip", "-n", lab.server_ns, "addr", "add", f"{lab.server_v6}/64", "dev", "pxs0", "nodad"])
        run(["ip", "-n", lab.client_ns, "addr", "add", f"{lab.client_v6}/64", "dev", "pxc0", "nodad"])
        lab.server = ServerProcess(
            "pxed", lab, tree, pxed_bin=PXED_BIN,
            tftp_overrides={"listen": [f"{lab.server_ip}:69", f"[{lab.server_v6}]:69"], **MODES[lab.mode]})
        lab.server.start()
        yield lab
    finally:
        netlab.destroy_lab(lab)


def fetched_by_curl(lab, out, host):
    local = out / "got-curl"
    r = lab.client(["curl", "-gsS", "--max-time", "30", "-o", str(local), f"tftp://{host}/{FILE}"], timeout=40)
    assert r.returncode == 0, f"{r.stderr}\n{lab.server.log_tail()}"
    return local


def test_ready_line_names_the_ipv6_address(lab):
    ready = lab.server.wait_event("pxed.ready")
    assert ready.fields["tftp"] == f"{lab.server_ip}:69,[{lab.server_v6}]:69", ready.fields


def test_curl_fetches_over_ipv6_and_the_log_names_the_client(lab, tree, out):
    mark = lab.server.mark()
    local = fetched_by_curl(lab, out, f"[{lab.server_v6}]")
    assert sha256_file(local) == sha256_file(tree / FILE)
    done = lab.server.wait_event("tftp.done", since=mark, file=FILE)
    assert done.fields["client"].startswith(f"[{lab.client_v6}]:"), done.fields
    assert done.fields["result"] == "ok", done.fields
    port = int(done.fields["server_port"])
    if lab.mode == "single_port":
        assert port == 69
    elif lab.mode == "port_range":
        assert 30100 <= port <= 30109
    else:
        assert port != 69


@pytest.mark.skipif(shutil.which("tftp") is None, reason="tftp-hpa not installed")
def test_tftp_hpa_fetches_over_ipv6(lab, tree, out):
    local = out / "got-hpa"
    r = lab.client(["tftp", "-6", lab.server_v6, "-m", "binary", "-c", "get", FILE, str(local)], timeout=60)
    assert r.returncode == 0 and "rror" not in r.stdout + r.stderr, r.stdout + r.stderr
    assert sha256_file(local) == sha256_file(tree / FILE)


def test_ipv4_still_answers_beside_ipv6(lab, tree, out):
    local = fetched_by_curl(lab, out, lab.server_ip)
    assert sha256_file(local) == sha256_file(tree / FILE)


def test_a_missing_file_is_refused_over_ipv6(lab, out):
    mark = lab.server.mark()
    r = lab.client(["curl", "-gsS", "--max-time", "10", "-o", str(out / "none"),
                    f"tftp://[{lab.server_v6}]/no-such-file"], timeout=20)
    assert r.returncode != 0
    refused = lab.server.wait_event("tftp.refused", since=mark, file="no-such-file")
    assert refused.fields["client"].startswith(f"[{lab.client_v6}]:"), refused.fields
    assert refused.fields["reason"] == "not-found"


def test_check_accepts_an_ipv6_tftp_listen(lab, tmp_path):
    cfg = tmp_path / "v6.toml"
    cfg.write_text(lab.server.config_text())
    r = run([str(PXED_BIN), "check", "--skip-host", "-c", str(cfg)], check=False)
    assert r.returncode == 0, r.stdout + r.stderr
