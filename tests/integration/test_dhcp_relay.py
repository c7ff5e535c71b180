"""A relayed network: client -- ISC dhcrelay -- pxed (full mode). The relay sets
giaddr; pxed picks the subnet by it and answers the relay on port 67."""
import os
import subprocess

import pytest

import netlab
from conftest import PXED_BIN
from dhcp_clients import set_mac, udhcpc


@pytest.fixture(scope="module")
def rlab(workdir, tree, server_kind):
    if server_kind != "pxed":
        pytest.skip("DHCP tests need pxed")
    if not os.path.exists("/usr/sbin/dhcrelay"):
        pytest.skip("isc-dhcp-relay not installed (scripts/setup installs it)")
    # create_lab gives server <-> "client"; that client namespace is our relay.
    lab = netlab.create_lab(workdir)
    relay_ns = lab.client_ns
    far_ns = lab.client_ns.replace("-cli", "-far")
    far_net = f"10.243.{lab.subnet}"
    relay = None
    try:
        netlab.run(["ip", "netns", "add", far_ns])
        lab._made.append(far_ns)
        netlab.run(["ip", "-n", far_ns, "link", "set", "lo", "up"])
        netlab.run(["ip", "-n", relay_ns, "link", "add", "pxr1", "type", "veth",
                    "peer", "name", "pxf0", "netns", far_ns])
        netlab.run(["ip", "-n", relay_ns, "addr", "add", f"{far_net}.1/24", "dev", "pxr1"])
        netlab.run(["ip", "-n", relay_ns, "link", "set", "pxr1", "up"])
        netlab.run(["ip", "-n", far_ns, "link", "set", "pxf0", "up"])
        netlab.run(["ip", "netns", "exec", relay_ns, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
        # pxed reaches the far network through the relay.
        netlab.run(["ip", "-n", lab.server_ns, "route", "add", f"{far_net}.0/24", "via", lab.client_ip])
        dhcp = f"""
[dhcp]
mode = "full"
[[dhcp.subnet]]
network = "10.241.{lab.subnet}.0/24"
range = ["10.241.{lab.subnet}.100", "10.241.{lab.subnet}.110"]
[[dhcp.subnet]]
network = "{far_net}.0/24"
range = ["{far_net}.100", "{far_net}.110"]
router = "{far_net}.1"
"""
        lab.server = netlab.ServerProcess(
            "pxed", lab, tree, pxed_bin=PXED_BIN,
            server_overrides={"interfaces": ["pxs0"], "state_dir": str(workdir / f"state-{lab.tag}")},
            extra_toml=dhcp)
        lab.server.start()
        log = open(workdir / f"dhcrelay-{lab.tag}.log", "ab")
        # -a: add option 82 (RFC 3046); -id: the client side, -iu: towards the server.
        relay = subprocess.Popen(["ip", "netns", "exec", relay_ns, "dhcrelay", "-4", "-d", "-a",
                                  "-id", "pxr1", "-iu", "pxc0", lab.server_ip],
                                 stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        netlab.wait_for(lambda: "pxr1" in netlab.run(["ip", "netns", "exec", relay_ns, "ss", "-Hlunp"]).stdout
                        or relay.poll() is not None or "Listening on" in (workdir / f"dhcrelay-{lab.tag}.log").read_text(),
                        10, "dhcrelay to start")
        assert relay.poll() is None, (workdir / f"dhcrelay-{lab.tag}.log").read_text()
        lab.far_ns, lab.far_net = far_ns, far_net
        yield lab
    finally:
        if relay and relay.poll() is None:
            os.killpg(relay.pid, 15)
            relay.wait(timeout=5)
        netlab.destroy_lab(lab)


def test_relayed_client_gets_an_address_of_its_own_subnet(rlab, tmp_path):
    far = netlab.Lab(tag=rlab.tag, subnet=rlab.subnet, client_ns=rlab.far_ns)
    set_mac(far, "pxf0", "52:54:00:02:00:01")
    env, output = udhcpc(far, "pxf0", tmp_path)
    assert env, f"{output}\n{rlab.server.log_tail()}"
    assert env["ip"].startswith(rlab.far_net + ".1")
    assert env["router"] == f"{rlab.far_net}.1"
    assert env["serverid"] == rlab.server_ip
    rlab.server.wait_event("dhcp.ack", mac="52:54:00:02:00:01", via=f"{rlab.far_net}.1")
