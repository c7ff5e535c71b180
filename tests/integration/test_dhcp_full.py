"""pxed as the network's DHCP server ([dhcp] mode = "full"), proved with busybox
udhcpc, ISC dhclient and PXE requests built by scapy, in a test-made namespace
pair. The client interface starts without an address."""
import os
import signal

import pytest

import netlab
from dhcp_clients import Dhclient, dhcp_options, file_field, pxe_request, set_mac, udhcpc
from conftest import PXED_BIN

RESERVED_MAC = "52:54:00:aa:bb:01"


@pytest.fixture(scope="module")
def dlab(workdir, tree, server_kind):
    if server_kind != "pxed":
        pytest.skip("DHCP tests need pxed")
    lab = netlab.create_lab(workdir)
    try:
        netlab.run(["ip", "-n", lab.client_ns, "addr", "flush", "dev", "pxc0"])
        net = f"10.241.{lab.subnet}"
        state = workdir / f"state-{lab.tag}"
        dhcp = f"""
[dhcp]
mode = "full"
decline_quarantine = "1h"
[[dhcp.subnet]]
network = "{net}.0/24"
range = ["{net}.100", "{net}.149"]
router = "{net}.1"
dns = ["{net}.1"]
domain = "lab.test"
lease_time = "10m"
[[dhcp.subnet.reservation]]
mac = "{RESERVED_MAC}"
ip = "{net}.50"
hostname = "reserved-01"

[boot]
bios = "lpxelinux.0"
efi64 = "syslinux.efi"
ipxe = "${{http}}/boot.ipxe"
"""
        lab.server = netlab.ServerProcess(
            "pxed", lab, tree, pxed_bin=PXED_BIN,
            server_overrides={"interfaces": ["pxs0"], "state_dir": str(state)},
            http_overrides={}, extra_toml=dhcp)
        lab.server.start()
        lab.net = net
        yield lab
        rc = lab.server.proc.poll() if lab.server.proc else None
        assert rc is None, f"pxed exited with {rc}\n{lab.server.log_tail(60)}"
    finally:
        netlab.destroy_lab(lab)


def in_range(lab, ip):
    return ip.startswith(lab.net + ".") and 100 <= int(ip.rsplit(".", 1)[1]) <= 149


def test_udhcpc_gets_an_address_with_router_dns_and_lease_time(dlab, tmp_path):
    set_mac(dlab, "pxc0", "52:54:00:00:10:01")
    env, output = udhcpc(dlab, "pxc0", tmp_path)
    assert env, f"udhcpc got no lease:\n{output}\n{dlab.server.log_tail()}"
    assert in_range(dlab, env["ip"])
    assert env["router"] == f"{dlab.net}.1"
    assert env["dns"] == f"{dlab.net}.1"
    assert env["domain"] == "lab.test"
    assert env["serverid"] == dlab.server_ip
    assert env["lease"] == "600"
    assert env["subnet"] == "255.255.255.0"
    dlab.server.wait_event("dhcp.ack", mac="52:54:00:00:10:01", ip=env["ip"])


def test_the_same_machine_gets_the_same_address_again(dlab, tmp_path):
    set_mac(dlab, "pxc0", "52:54:00:00:10:02")
    first, _ = udhcpc(dlab, "pxc0", tmp_path / "a")
    second, _ = udhcpc(dlab, "pxc0", tmp_path / "b")
    assert first and second
    assert first["ip"] == second["ip"]


def test_different_machines_get_different_addresses(dlab, tmp_path):
    seen = {}
    for i in range(4):
        mac = f"52:54:00:00:20:{i:02x}"
        set_mac(dlab, "pxc0", mac)
        env, output = udhcpc(dlab, "pxc0", tmp_path / str(i))
        assert env, output
        seen[mac] = env["ip"]
    assert len(set(seen.values())) == len(seen), seen


def test_reserved_mac_gets_its_address_and_hostname(dlab, tmp_path):
    set_mac(dlab, "pxc0", RESERVED_MAC)
    env, output = udhcpc(dlab, "pxc0", tmp_path)
    assert env, output
    assert env["ip"] == f"{dlab.net}.50"
    assert env.get("hostname") == "reserved-01"


def test_dhclient_obtains_renews_and_releases(dlab, tmp_path):
    set_mac(dlab, "pxc0", "52:54:00:00:30:01")
    client = Dhclient(dlab, "pxc0", tmp_path)
    try:
        bound = client.bind(dlab.server)
        ip = bound["new_ip_address"]
        assert in_range(dlab, ip)
        assert bound["new_routers"] == f"{dlab.net}.1"
        # Releasing sends DHCPRELEASE; the server logs it and frees the address.
        mark = dlab.server.mark()
        client.release()
        dlab.server.wait_event("dhcp.release", since=mark, ip=ip)
        # Started again with its lease file, dhclient asks for its old address
        # first (INIT-REBOOT or a DISCOVER with option 50) and gets it back.
        result = client.obtain()
        again = client.last("BOUND") or client.last("REBOOT")
        assert again, f"{result.stdout}{result.stderr}"
        assert again["new_ip_address"] == ip
    finally:
        client.release()
        client.stop()


def test_file_events_name_the_machine_that_holds_the_address(dlab, tmp_path):
    """One grep follows a machine: TFTP and HTTP lines carry the MAC its lease names."""
    mac = "52:54:00:00:31:01"
    set_mac(dlab, "pxc0", mac)
    client = Dhclient(dlab, "pxc0", tmp_path)
    try:
        ip = client.bind(dlab.server)["new_ip_address"]
        mark = dlab.server.mark()
        got = dlab.client(["curl", "-sS", "--max-time", "20", "-o", str(tmp_path / "h"),
                           f"http://{dlab.server_ip}/text.txt"], timeout=30)
        assert got.returncode == 0, got.stderr
        got = dlab.client(["curl", "-sS", "--max-time", "20", "-o", str(tmp_path / "t"),
                           f"tftp://{dlab.server_ip}/text.txt"], timeout=30)
        assert got.returncode == 0, got.stderr
        http = dlab.server.wait_event("http.request", since=mark, path="/text.txt")
        tftp = dlab.server.wait_event("tftp.done", since=mark, file="text.txt")
        for e in (http, tftp):
            assert e.fields["client"].startswith(ip + ":"), e.line
            assert e.fields.get("mac") == mac, e.line
    finally:
        client.release()
        client.stop()


def test_pxe_clients_get_the_boot_file_for_their_firmware(dlab):
    mac = "52:54:00:00:40:01"
    bios = pxe_request(dlab, "pxc0", mac, arch=0, uuid=b"U" * 16)
    assert bios, dlab.server.log_tail()
    reply, _ = bios[0]
    opts = dhcp_options(reply)
    assert opts["message-type"] == 2  # OFFER
    assert file_field(reply) == "lpxelinux.0"
    assert reply.siaddr == dlab.server_ip
    assert opts["vendor_class_id"] == b"PXEClient"
    assert opts["pxe_client_machine_identifier"] == b"\x00" + b"U" * 16
    assert in_range(dlab, reply.yiaddr)

    efi = pxe_request(dlab, "pxc0", "52:54:00:00:40:02", arch=7)
    assert efi and file_field(efi[0][0]) == "syslinux.efi"

    ipxe = pxe_request(dlab, "pxc0", "52:54:00:00:40:03", arch=0, user_class=b"iPXE")
    assert ipxe
    assert file_field(ipxe[0][0]) == f"http://{dlab.server_ip}/boot.ipxe"


def test_malformed_packets_are_dropped_and_service_goes_on(dlab, tmp_path):
    s = netlab.socket_in(dlab.client_ns)
    try:
        s.setsockopt(netlab.socket.SOL_SOCKET, netlab.socket.SO_BROADCAST, 1)
        s.setsockopt(netlab.socket.SOL_SOCKET, netlab.socket.SO_BINDTODEVICE, b"pxc0")
        mark = dlab.server.mark()
        for junk in (b"", b"\x01" * 10, b"\x01\x01\x06\x00" + b"\x00" * 232 + b"\x63\x82\x53\x63\x35\xff"):
            s.sendto(junk, ("255.255.255.255", 67))
        dlab.server.wait_event("dhcp.dropped", since=mark)
    finally:
        s.close()
    set_mac(dlab, "pxc0", "52:54:00:00:50:01")
    env, output = udhcpc(dlab, "pxc0", tmp_path)
    assert env, output


def test_leases_survive_kill_9(dlab, tmp_path):
    set_mac(dlab, "pxc0", "52:54:00:00:60:01")
    before, _ = udhcpc(dlab, "pxc0", tmp_path / "a")
    assert before
    # SIGKILL: no shutdown code runs; only what reached the disk before the ACK counts.
    os.killpg(dlab.server.proc.pid, signal.SIGKILL)
    dlab.server.proc.wait(timeout=10)
    dlab.server.proc = None
    dlab.server.start()
    # Another machine must not get that address; the first keeps it.
    set_mac(dlab, "pxc0", "52:54:00:00:60:02")
    other, _ = udhcpc(dlab, "pxc0", tmp_path / "b")
    assert other and other["ip"] != before["ip"]
    set_mac(dlab, "pxc0", "52:54:00:00:60:01")
    after, _ = udhcpc(dlab, "pxc0", tmp_path / "c")
    assert after and after["ip"] == before["ip"]
