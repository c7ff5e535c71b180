"""${http} in generated files names pxed as the client reached it when no base_url is
set: an IPv6 client over HTTP gets a bracketed literal (not http://0.0.0.0), and a client
of a second [http] listen entry gets that entry's port (not the first's). curl, over
IPv6 and IPv4, in a test-made namespace pair with ULA addresses the test assigns."""
import pytest

import netlab
from netlab import ServerProcess, run
from suite import PXED_BIN

pytestmark = pytest.mark.pxed_only("the inventory is pxed's")

MACHINE = "52:54:00:aa:00:31"
INVENTORY = f"""[boot]
bios = "lpxelinux.0"
default = "rescue"

[[profile]]
name = "install"
kernel = "/install/vmlinuz"
append = "auto=true url=${{http}}/preseed/${{name}}.cfg srv=${{server}}"

[[profile]]
name = "rescue"
kernel = "/rescue/vmlinuz"
append = "rescue"

[[machine]]
mac = "{MACHINE}"
name = "web-31"
profile = "install"
"""


@pytest.fixture(scope="module")
def lab(workdir, tree):
    lab = netlab.create_lab(workdir)
    try:
        lab.server_v6 = f"fd00:243:{lab.subnet}::1"
        lab.client_v6 = f"fd00:243:{lab.subnet}::2"
        run(["ip", "-n", lab.server_ns, "addr", "add", f"{lab.server_v6}/64", "dev", "pxs0", "nodad"])
        run(["ip", "-n", lab.client_ns, "addr", "add", f"{lab.client_v6}/64", "dev", "pxc0", "nodad"])
        lab.server = ServerProcess(
            "pxed", lab, tree, pxed_bin=PXED_BIN,
            tftp_overrides={"listen": [f"{lab.server_ip}:69", f"[{lab.server_v6}]:69"]},
            http_overrides={"listen": [f"{lab.server_ip}:80", f"{lab.server_ip}:8081", f"[{lab.server_v6}]:8080"]},
            extra_toml=INVENTORY)
        lab.server.start()
        yield lab
    finally:
        netlab.destroy_lab(lab)


def script(lab, out, base):
    got = out / "script"
    r = lab.client(["curl", "-gsS", "--max-time", "10", "-o", str(got), "-w", "%{http_code}",
                    f"{base}/boot.ipxe?mac={MACHINE}"], timeout=20)
    assert r.stdout == "200", r.stderr + lab.server.log_tail()
    return got.read_text()


def test_an_ipv6_client_gets_urls_with_the_address_it_reached(lab, out):
    text = script(lab, out, f"http://[{lab.server_v6}]:8080")
    assert f"url=http://[{lab.server_v6}]:8080/preseed/web-31.cfg" in text, text
    assert f"srv=[{lab.server_v6}]" in text, text
    assert "0.0.0.0" not in text, text


def test_a_client_of_the_second_listen_entry_gets_its_port(lab, out):
    text = script(lab, out, f"http://{lab.server_ip}:8081")
    assert f"url=http://{lab.server_ip}:8081/preseed/web-31.cfg srv={lab.server_ip}" in text, text


def test_a_client_of_the_first_entry_gets_no_port(lab, out):
    text = script(lab, out, f"http://{lab.server_ip}")
    assert f"url=http://{lab.server_ip}/preseed/web-31.cfg" in text, text


def test_a_tftp_client_over_ipv6_gets_the_port_of_the_ipv6_listen_entry(lab, out):
    got = out / "pxelinux-cfg"
    name = "pxelinux.cfg/01-" + MACHINE.replace(":", "-")
    r = lab.client(["curl", "-gsS", "--max-time", "10", "-o", str(got), f"tftp://[{lab.server_v6}]/{name}"], timeout=20)
    assert r.returncode == 0, r.stderr + lab.server.log_tail()
    text = got.read_text()
    assert f"url=http://[{lab.server_v6}]:8080/preseed/web-31.cfg" in text, text


def test_a_tftp_client_over_ipv4_gets_the_first_entrys_url(lab, out):
    got = out / "pxelinux-cfg"
    name = "pxelinux.cfg/01-" + MACHINE.replace(":", "-")
    r = lab.client(["curl", "-sS", "--max-time", "10", "-o", str(got), f"tftp://{lab.server_ip}/{name}"], timeout=20)
    assert r.returncode == 0, r.stderr
    assert f"url=http://{lab.server_ip}/preseed/web-31.cfg" in got.read_text()
