"""pxed beside a DHCP server it does not control ([dhcp] mode = "proxy"): Kea
hands out the addresses, pxed adds only the boot information, on port 67 and on
the PXE boot server port 4011. Three namespaces (pxed, Kea, client) on one
bridge that lives in a fourth; all made and removed here."""
import json
import os
import subprocess
import time

import pytest

import netlab
from conftest import PXED_BIN
from dhcp_clients import dhcp_options, file_field, pxe_request, set_mac, udhcpc


def create_switched_lab(workdir):
    """A netlab.Lab plus a Kea namespace, all joined by a bridge in a hub namespace."""
    n = next(netlab._counter)  # the same numbering as create_lab, so labs never collide
    tag = f"{os.getpid()}-p{n}"
    subnet = 10 + (os.getpid() * 7 + n * 13) % 240
    lab = netlab.Lab(tag=tag, subnet=subnet, server_ns=f"pxtest-{tag}-srv",
                      client_ns=f"pxtest-{tag}-cli", server_ip=f"10.242.{subnet}.1",
                      client_ip="", workdir=workdir)
    lab.kea_ns, lab.hub_ns = f"pxtest-{tag}-kea", f"pxtest-{tag}-hub"
    lab.kea_ip, lab.net = f"10.242.{subnet}.3", f"10.242.{subnet}"
    try:
        for ns in (lab.hub_ns, lab.server_ns, lab.kea_ns, lab.client_ns):
            netlab.run(["ip", "netns", "add", ns])
            lab._made.append(ns)
            netlab.run(["ip", "-n", ns, "link", "set", "lo", "up"])
        netlab.run(["ip", "-n", lab.hub_ns, "link", "add", "br0", "type", "bridge"])
        netlab.run(["ip", "-n", lab.hub_ns, "link", "set", "br0", "up"])
        for ns, dev, ip in ((lab.server_ns, "pxs0", lab.server_ip), (lab.kea_ns, "pxk0", lab.kea_ip),
                            (lab.client_ns, "pxc0", None)):
            hub_end = "h-" + dev
            netlab.run(["ip", "-n", lab.hub_ns, "link", "add", hub_end, "type", "veth",
                        "peer", "name", dev, "netns", ns])
            netlab.run(["ip", "-n", lab.hub_ns, "link", "set", hub_end, "master", "br0", "up"])
            if ip:
                netlab.run(["ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", dev])
            netlab.run(["ip", "-n", ns, "link", "set", dev, "up"])
    except BaseException:
        netlab.destroy_lab(lab)
        raise
    return lab


class Kea:
    """kea-dhcp4 with a memfile lease database, in its own namespace."""

    def __init__(self, lab):
        self.lab = lab
        self.dir = lab.workdir / f"kea-{lab.tag}"
        self.dir.mkdir(exist_ok=True)
        self.log = self.dir / "kea.log"
        self.proc = None

    def start(self):
        config = {"Dhcp4": {
            "interfaces-config": {"interfaces": ["pxk0"]},
            "lease-database": {"type": "memfile", "persist": False},
            "valid-lifetime": 600,
            "subnet4": [{"subnet": f"{self.lab.net}.0/24",
                         "pools": [{"pool": f"{self.lab.net}.150 - {self.lab.net}.199"}],
                         "option-data": [{"name": "routers", "data": f"{self.lab.net}.3"}]}],
            "loggers": [{"name": "kea-dhcp4", "severity": "INFO",
                         "output_options": [{"output": "stdout"}]}],
        }}
        path = self.dir / "kea.json"
        path.write_text(json.dumps(config))
        env = dict(os.environ, KEA_PIDFILE_DIR=str(self.dir), KEA_LOCKFILE_DIR=str(self.dir))
        self._out = open(self.log, "ab")
        self.proc = subprocess.Popen(["ip", "netns", "exec", self.lab.kea_ns, "kea-dhcp4", "-c", str(path)],
                                     stdout=self._out, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)
        # Kea receives on a raw socket (no :67 listener to poll): wait for its log line.
        netlab.wait_for(lambda: self.proc.poll() is None and "DHCP4_STARTED" in self.log.read_text(errors="replace"),
                        20, "kea-dhcp4 to start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(timeout=5)
        if self.proc:
            self._out.close()
        self.proc = None


@pytest.fixture(scope="module")
def plab(workdir, tree, server_kind):
    if server_kind != "pxed":
        pytest.skip("DHCP tests need pxed")
    if not os.path.exists("/usr/sbin/kea-dhcp4"):
        pytest.skip("kea-dhcp4-server not installed (scripts/setup installs it)")
    lab = create_switched_lab(workdir)
    kea = Kea(lab)
    try:
        kea.start()
        proxy = """
[dhcp]
mode = "proxy"

[boot]
bios = "lpxelinux.0"
efi64 = "syslinux.efi"
ipxe = "${http}/boot.ipxe"
"""
        lab.server = netlab.ServerProcess(
            "pxed", lab, tree, pxed_bin=PXED_BIN,
            server_overrides={"interfaces": ["pxs0"], "state_dir": str(workdir / f"state-{lab.tag}")},
            http_overrides={}, extra_toml=proxy)
        lab.server.start()
        lab.kea = kea
        yield lab
        rc = lab.server.proc.poll() if lab.server.proc else None
        assert rc is None, f"pxed exited with {rc}\n{lab.server.log_tail(60)}"
    finally:
        kea.stop()
        netlab.destroy_lab(lab)


def test_pxe_client_gets_an_address_from_kea_and_its_boot_file_from_pxed(plab):
    replies = pxe_request(plab, "pxc0", "52:54:00:01:00:01", arch=0, uuid=b"G" * 16, want=2, wait=5)
    by_server = {dhcp_options(r).get("server_id"): r for r, _ in replies}
    assert set(by_server) == {plab.kea_ip, plab.server_ip}, (replies, plab.server.log_tail())
    kea, pxed = by_server[plab.kea_ip], by_server[plab.server_ip]
    assert kea.yiaddr.startswith(plab.net + ".1")  # the address comes from Kea's pool
    # ProxyDHCP (PXE 2.1 §2.2.5, FIRMWARE.md 1-6): no address, PXEClient, file + siaddr, 97 echoed.
    opts = dhcp_options(pxed)
    assert pxed.yiaddr == "0.0.0.0"
    assert opts["message-type"] == 2
    assert opts["vendor_class_id"] == b"PXEClient"
    assert opts["pxe_client_machine_identifier"] == b"\x00" + b"G" * 16
    assert file_field(pxed) == "lpxelinux.0"
    assert pxed.siaddr == plab.server_ip
    assert "lease_time" not in opts
    assert 43 in opts or "vendor_specific" in opts


def test_uefi_client_gets_its_own_loader(plab):
    replies = pxe_request(plab, "pxc0", "52:54:00:01:00:02", arch=7, want=2, wait=5)
    pxed = [r for r, _ in replies if dhcp_options(r).get("server_id") == plab.server_ip]
    assert pxed and file_field(pxed[0]) == "syslinux.efi"


def test_boot_server_on_4011_answers_with_the_boot_file(plab):
    # A client that already has Kea's address asks the PXE boot server directly.
    address = f"{plab.net}.160"
    netlab.run(["ip", "-n", plab.client_ns, "addr", "add", f"{address}/24", "dev", "pxc0"])
    try:
        replies = pxe_request(plab, "pxc0", "52:54:00:01:00:03", msg="request", arch=0,
                              uuid=b"H" * 16, to=(plab.server_ip, 4011), ciaddr=address, wait=3)
        assert replies, plab.server.log_tail()
        reply, source = replies[0]
        assert source == (plab.server_ip, 4011)
        opts = dhcp_options(reply)
        assert opts["message-type"] == 5  # ACK
        assert file_field(reply) == "lpxelinux.0"
        assert reply.yiaddr == address
        assert opts["pxe_client_machine_identifier"] == b"\x00" + b"H" * 16
    finally:
        netlab.run(["ip", "-n", plab.client_ns, "addr", "flush", "dev", "pxc0"])


def test_ordinary_client_gets_only_keas_answer(plab, tmp_path):
    set_mac(plab, "pxc0", "52:54:00:01:00:04")
    mark = plab.server.mark()
    env, output = udhcpc(plab, "pxc0", tmp_path, extra=["-B"])
    assert env, output
    assert env["serverid"] == plab.kea_ip
    assert env["ip"].startswith(plab.net + ".1")
    assert not [e for e in plab.server.events(since=mark)
                if e.event.startswith("dhcp.") and e.event != "dhcp.ignored"
                and e.event != "dhcp.foreign_server" and e.fields.get("mac") == "52:54:00:01:00:04"]


def test_pxed_notices_the_foreign_dhcp_server(plab, tmp_path):
    # Kea sends its OFFER to the client's MAC, so pxed learns of it from the
    # client's broadcast REQUEST, which names Kea in option 54.
    set_mac(plab, "pxc0", "52:54:00:01:00:05")
    env, output = udhcpc(plab, "pxc0", tmp_path, extra=["-B"])
    assert env, output
    plab.server.wait_event("dhcp.foreign_server", server=plab.kea_ip)
