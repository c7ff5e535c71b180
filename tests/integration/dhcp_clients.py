"""DHCP clients nobody here wrote, driven inside a lab's client namespace.

busybox udhcpc and ISC dhclient run with a script that records what they were
given (their environment) instead of configuring the interface; scapy builds
and parses the packets of a PXE client (options 60, 93, 97, 77) that we send
through an ordinary UDP socket in the client namespace.
"""
import os
import socket
import stat
import time
from pathlib import Path

from netlab import run, socket_in

RECORD_SCRIPT = """#!/bin/sh
# Called by udhcpc (argument: event) or dhclient ($reason): keep the environment.
event="${1:-$reason}"
env | sort > "%(dir)s/$event.env"
"""

# dhclient unicasts RELEASE and renewals from its address: give it the address
# (as dhclient-script would) so those packets have a route.
CONFIGURE_LINES = """case "$reason" in
  BOUND|RENEW|REBIND|REBOOT) ip addr flush dev "$interface"
    ip addr add "$new_ip_address/$new_subnet_mask" dev "$interface" ;;
  RELEASE|EXPIRE|STOP|FAIL) ip addr flush dev "$interface" ;;
esac
"""


def _script(workdir, name, configure=False):
    d = Path(workdir) / name
    d.mkdir(parents=True, exist_ok=True)
    for f in d.glob("*.env"):
        f.unlink()
    script = d / "record.sh"
    script.write_text(RECORD_SCRIPT % {"dir": d} + (CONFIGURE_LINES if configure else ""))
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return d, script


def read_env(path):
    env = {}
    for line in Path(path).read_text().splitlines():
        key, _, value = line.partition("=")
        env[key] = value
    return env


def set_mac(lab, dev, mac):
    """Give the client interface another MAC: another machine, as DHCP sees it."""
    for args in (["link", "set", dev, "down"], ["link", "set", dev, "address", mac],
                 ["link", "set", dev, "up"]):
        run(["ip", "-n", lab.client_ns, *args])


def udhcpc(lab, dev, workdir, extra=(), timeout=30):
    """One busybox udhcpc run: DISCOVER..ACK, then quit. Returns the 'bound' env or None."""
    d, script = _script(workdir, "udhcpc")
    result = lab.client(["busybox", "udhcpc", "-i", dev, "-f", "-q", "-n", "-t", "5", "-T", "1",
                         "-A", "1", "-s", str(script), *extra], timeout=timeout)
    bound = d / "bound.env"
    if not bound.exists():
        return None, result.stdout + result.stderr
    return read_env(bound), result.stdout + result.stderr


class Dhclient:
    """ISC dhclient with its own lease and pid files in workdir."""

    def __init__(self, lab, dev, workdir):
        self.lab, self.dev = lab, dev
        self.dir, self.script = _script(workdir, "dhclient", configure=True)
        self.leases = self.dir / "dhclient.leases"
        self.pid = self.dir / "dhclient.pid"

    def _argv(self, *extra):
        return ["dhclient", "-4", "-v", "-sf", str(self.script), "-lf", str(self.leases),
                "-pf", str(self.pid), *extra, self.dev]

    def obtain(self, timeout=40):
        """-1: try once; dhclient backgrounds itself once bound."""
        for f in self.dir.glob("*.env"):
            f.unlink()
        result = self.lab.client(self._argv("-1"), timeout=timeout)
        return result

    def release(self, timeout=20):
        """-r: DHCPRELEASE and stop the dhclient that is running (by its pid file)."""
        return self.lab.client(self._argv("-r"), timeout=timeout)

    def bind(self, server=None):
        """obtain() that must end BOUND; its env, or the test fails with dhclient's
        output and the server's log as it is then."""
        result = self.obtain()
        bound = self.last("BOUND")
        assert bound, (f"dhclient did not bind:\n{result.stdout}{result.stderr}\n"
                       f"{server.log_tail() if server else ''}")
        return bound

    def last(self, reason):
        path = self.dir / f"{reason}.env"
        return read_env(path) if path.exists() else None

    def stop(self):
        """Kill the backgrounded dhclient (ours: its pid file) if a test left it running."""
        try:
            pid = int(self.pid.read_text().strip())
        except (FileNotFoundError, ValueError):
            return
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass


# -- a PXE client from scapy's packets -------------------------------------------------
def pxe_request(lab, dev, mac, msg="discover", arch=0, uuid=None, vendor=None, user_class=None,
                extra_options=(), to=("255.255.255.255", 67), ciaddr="0.0.0.0", xid=None,
                wait=3.0, want=1, options_override=None):
    """Send one DHCP message as a PXE ROM would and return the replies, decoded by scapy.

    Sent from port 68 through a UDP socket bound to the client interface; replies
    come back as broadcasts to port 68 (or unicast to ciaddr for port 4011).
    """
    from scapy.layers.dhcp import BOOTP, DHCP  # Debian's python3-scapy
    from scapy.utils import mac2str

    xid = xid if xid is not None else int.from_bytes(os.urandom(4), "big")
    vendor = vendor or f"PXEClient:Arch:{arch:05d}:UNDI:002001"
    options = [("message-type", msg), ("vendor_class_id", vendor.encode()),
               (93, arch.to_bytes(2, "big"))]
    if uuid is not None:
        options.append((97, b"\x00" + uuid))
    if user_class is not None:
        options.append((77, user_class))
    options.append(("param_req_list", [1, 3, 6, 43, 60, 66, 67, 97]))
    options += list(extra_options)
    options.append("end")
    if options_override is not None:
        options = options_override
    packet = BOOTP(op=1, chaddr=mac2str(mac) + b"\x00" * 10, xid=xid, flags=0x8000,
                   ciaddr=ciaddr) / DHCP(options=_scapy_options(options))
    s = socket_in(lab.client_ns)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
        s.bind((ciaddr if ciaddr != "0.0.0.0" else "0.0.0.0", 68))
        s.settimeout(0.2)
        s.sendto(bytes(packet), to)
        replies, deadline = [], time.monotonic() + wait
        while time.monotonic() < deadline and len(replies) < want:
            try:
                data, source = s.recvfrom(4096)
            except socket.timeout:
                continue
            reply = BOOTP(data)
            if reply.xid == xid and reply.op == 2:
                replies.append((reply, source))
        return replies
    finally:
        s.close()


def _scapy_options(options):
    out = []
    for opt in options:
        if isinstance(opt, tuple) and isinstance(opt[0], int):
            out.append((opt[0], opt[1]))  # scapy accepts raw (code, bytes)
        else:
            out.append(opt)
    return out


def dhcp_options(reply):
    """A reply's DHCP options as {name or code: value}."""
    from scapy.layers.dhcp import DHCP
    out = {}
    for opt in reply[DHCP].options:
        if isinstance(opt, tuple):
            out[opt[0]] = opt[1] if len(opt) == 2 else opt[1:]
    return out


def file_field(reply):
    return reply.file.rstrip(b"\x00").decode(errors="replace")


def boot_as(lab, mac, workdir):
    """The machine's firmware asks (a PXE DISCOVER), then gets a lease (udhcpc); its
    address is set on the client's pxc0. The address."""
    set_mac(lab, "pxc0", mac)
    run(["ip", "-n", lab.client_ns, "addr", "flush", "dev", "pxc0"])
    # As a PXE ROM does, ask again: the link may still be coming up after the MAC change.
    assert any(pxe_request(lab, "pxc0", mac, arch=0, wait=2.0) for _ in range(4)), "no PXE offer"
    env, output = udhcpc(lab, "pxc0", workdir)
    assert env, output
    run(["ip", "-n", lab.client_ns, "addr", "add", f"{env['ip']}/24", "dev", "pxc0"])
    return env["ip"]


def tftp_text(lab, name, out):
    """name fetched by curl's TFTP client from the client namespace; None when it failed."""
    got = out / name.replace("/", "_")
    r = lab.client(["curl", "-s", "-o", str(got), f"tftp://{lab.server_ip}/{name}"], timeout=30)
    return got.read_text(errors="replace") if r.returncode == 0 else None
