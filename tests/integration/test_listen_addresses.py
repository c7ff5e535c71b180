"""Several listen addresses per service, and HTTP over IPv6.

The lab's server namespace gets a second IPv4 address and an IPv6 ULA address
(fd00::/8) the test assigns; the client one an IPv6 address beside them.
Real clients: curl over HTTP (IPv4 and IPv6) and curl's TFTP client.
"""
import pytest

import netlab
from netlab import ServerProcess, run, sha256_file
from suite import PXED_BIN

pytestmark = pytest.mark.pxed_only("listen arrays and IPv6 are pxed's")


@pytest.fixture(scope="module")
def lab(workdir, tree, server_kind):
    lab = netlab.create_lab(workdir)
    try:
        lab.second_ip = f"10.241.{lab.subnet}.3"
        lab.unused_ip = f"10.241.{lab.subnet}.4"
        lab.server_v6 = f"fd00:241:{lab.subnet}::1"
        lab.client_v6 = f"fd00:241:{lab.subnet}::2"
        for ip in (f"{lab.second_ip}/24", f"{lab.unused_ip}/24"):
            run(["ip", "-n", lab.server_ns, "addr", "add", ip, "dev", "pxs0"])
        run(["ip", "-n", lab.server_ns, "addr", "add", f"{lab.server_v6}/64", "dev", "pxs0", "nodad"])
        run(["ip", "-n", lab.client_ns, "addr", "add", f"{lab.client_v6}/64", "dev", "pxc0", "nodad"])
        lab.server = ServerProcess(
            "pxed", lab, tree, pxed_bin=PXED_BIN,
            tftp_overrides={"listen": [f"{lab.server_ip}:69", f"{lab.second_ip}:69"]},
            http_overrides={"listen": [f"{lab.server_ip}:80", f"[{lab.server_v6}]:80"]})
        lab.server.start()
        yield lab
    finally:
        netlab.destroy_lab(lab)


def test_ready_line_names_every_address(lab):
    ready = lab.server.wait_event("pxed.ready")
    assert ready.fields["tftp"] == f"{lab.server_ip}:69,{lab.second_ip}:69", ready.fields
    assert ready.fields["http"] == f"{lab.server_ip}:80,[{lab.server_v6}]:80", ready.fields


@pytest.mark.parametrize("which", ["server_ip", "second_ip"])
def test_tftp_answers_on_each_listen_address(lab, tree, out, which):
    address = getattr(lab, which)
    local = out / "got"
    r = lab.client(["curl", "-sS", "--max-time", "30", "-o", str(local),
                    f"tftp://{address}/sub/dir/random-1m.bin"], timeout=40)
    assert r.returncode == 0, r.stderr
    assert sha256_file(local) == sha256_file(tree / "sub/dir/random-1m.bin")


def test_tftp_is_silent_on_an_address_not_listed(lab, out):
    r = lab.client(["curl", "-sS", "--max-time", "3", "-o", str(out / "got"),
                    f"tftp://{lab.unused_ip}/text.txt"], timeout=20)
    assert r.returncode != 0


def test_http_over_ipv6_serves_the_tree_and_logs_the_client(lab, tree, out):
    mark = lab.server.mark()
    local = out / "got"
    r = lab.client(["curl", "-gsS", "--max-time", "30", "-o", str(local), "-A", "pxtest-v6",
                    f"http://[{lab.server_v6}]/sub/dir/random-1m.bin"], timeout=40)
    assert r.returncode == 0, r.stderr
    assert sha256_file(local) == sha256_file(tree / "sub/dir/random-1m.bin")
    e = lab.server.wait_event("http.request", since=mark, agent="pxtest-v6")
    assert e.fields["client"].startswith(f"[{lab.client_v6}]:"), e.fields
    assert e.fields["status"] == "200"


def test_http_over_ipv6_lists_directories(lab):
    r = lab.client(["curl", "-gsS", "--max-time", "10", f"http://[{lab.server_v6}]/"], timeout=20)
    assert r.returncode == 0 and "text.txt" in r.stdout, r.stderr


def test_http_still_answers_on_ipv4_and_not_where_unlisted(lab):
    r = lab.client(["curl", "-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}",
                    f"http://{lab.server_ip}/text.txt"], timeout=20)
    assert r.stdout == "200", r.stderr
    r = lab.client(["curl", "-sS", "--max-time", "5", f"http://{lab.second_ip}/text.txt"], timeout=20)
    assert r.returncode == 7, (r.returncode, r.stderr)  # connection refused: nothing listens there
