"""The lab: a private Ethernet segment in network namespaces, and pxed on it.

    pxe2e-<tag>-srv    pxed (TFTP + HTTP)          pxe2e-srv  10.244.0.1/24
    pxe2e-<tag>-dhcp   the DHCP server under test   pxe2e-dhcp 10.244.0.2/24
    pxe2e-<tag>-rtr    the IPv6 router: dnsmasq sending router advertisements only
                                                    pxe2e-rtr  fd00:e2e::1/64
    pxe2e-<tag>-lan    bridge pxe2e-br joining the veth peers and the tap
                       pxe2e-tap, which QEMU opens (QEMU runs in this namespace)

Why a router: iPXE waits for an IPv6 router advertisement before it boots (about 16 s
per boot when none comes): client time, not server time. A LAN with a router answers
at once, so the lab has one (PXED_E2E_NO_RA=1 leaves it out, to see the difference).

Nothing is created in the host's namespace: each veth is made inside its namespace with
its peer placed straight into the lan namespace. The addresses are the same in every lab
(namespaces keep labs apart), so pxelinux.cfg hex-IP names are fixed. Every process is
started in its own group and stopped by its id; destroy() runs whatever happened.
"""
import itertools
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SUBNET = "10.244.0"
SERVER_IP = f"{SUBNET}.1"
DHCP_IP = f"{SUBNET}.2"
ROUTER_IP6 = "fd00:e2e::1"
PREFIX = 24
TAP = "pxe2e-tap"
BRIDGE = "pxe2e-br"

_counter = itertools.count(1)
TAG_PREFIX = f"pxe2e-{os.getpid() % 100000}-"  # this process's namespaces


def run(argv, timeout=20, check=True, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} exited {result.returncode}: "
                           f"{result.stdout}{result.stderr}")
    return result


def wait_for(predicate, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def tail(path, lines=60):
    try:
        text = Path(path).read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return f"({path} missing)"
    return "\n".join(text[-lines:]) if text else f"({path} empty)"


class Process:
    """A program in a namespace, own process group, output to a log file."""

    def __init__(self, netns, argv, log_path):
        self.argv = [str(a) for a in argv]
        self.log_path = Path(log_path)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(["ip", "netns", "exec", netns, *self.argv],
                                     stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern, timeout, what):
        def seen():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{what}: {self.argv[0]} exited {self.proc.returncode}\n"
                                   f"{tail(self.log_path, 30)}")
            return re.search(pattern, self.log_text())
        return wait_for(seen, timeout, what)

    def stop(self, grace=5):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # only the group we started
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=grace)
            except ProcessLookupError:
                pass
        self._log.close()
        self.proc = None


# -- pxed's log: "<time> <level> <event> k=v ..." ----------------------------------------
_LEVELS = "trace|debug|info|warn|warning|error|critical"
_LINE = re.compile(rf"(?:^|\s)\[?({_LEVELS})\]?\s+([a-z][\w.-]*)(?:\s+(.*))?$", re.I)
_KV = re.compile(r'([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|\S*)')


def log_events(text, name=None):
    out = []
    for line in text.splitlines():
        m = _LINE.search(line)
        if not m or (name is not None and m.group(2) != name):
            continue
        fields = {k: (v[1:-1] if len(v) >= 2 and v[0] == '"' else v)
                  for k, v in _KV.findall(m.group(3) or "")}
        out.append((m.group(2), fields))
    return out


@dataclass
class Lab:
    tag: str
    workdir: Path
    srv_ns: str = ""
    dhcp_ns: str = ""
    rtr_ns: str = ""
    lan_ns: str = ""
    server_ip: str = SERVER_IP
    dhcp_ip: str = DHCP_IP
    tap: str = TAP
    pxed: Process = None
    processes: list = field(default_factory=list)
    _made: list = field(default_factory=list)

    def spawn(self, netns, argv, log_name):
        p = Process(netns, argv, self.workdir / log_name)
        self.processes.append(p)
        return p

    def start_pxed(self, pxed_bin, root, mounts, extra_toml="", ready_timeout=15, files_extra=()):
        """pxed serving `root` over TFTP and HTTP, mounts = {at: iso}, files_extra more
        lines of [files] (iso_dir); waits for pxed.ready."""
        # interfaces matters only when a provider turns pxed's own DHCP on.
        lines = ["[server]", 'log_level = "info"', 'log_format = "text"',
                 'interfaces = ["pxe2e-srv"]',
                 f'state_dir = "{self.workdir / "pxed-state"}"', "",
                 "[files]", f'root = "{root}"', *files_extra]
        for at, image in mounts.items():
            lines += ["", "[[files.mount]]", f'at = "{at}"', f'iso = "{image}"']
        lines += ["", "[tftp]", f'listen = "{self.server_ip}:69"',
                  "", "[http]", "enabled = true", f'listen = "{self.server_ip}:80"']
        config = self.workdir / "pxed.toml"
        config.write_text("\n".join(lines) + "\n" + extra_toml)
        self.pxed = self.spawn(self.srv_ns, [pxed_bin, "serve", "-c", config], "pxed.log")
        try:
            self.pxed.wait_log(r"pxed\.ready", ready_timeout, "pxed to start")
        except (TimeoutError, RuntimeError) as e:
            raise RuntimeError(f"{e}\n--- {config} ---\n{config.read_text()}\n"
                               f"--- pxed log ---\n{tail(self.pxed.log_path)}") from None
        return self.pxed

    def pxed_events(self, name=None):
        return log_events(self.pxed.log_text() if self.pxed else "", name)


def _ns(lab, name):
    run(["ip", "netns", "add", name])
    lab._made.append(name)
    run(["ip", "-n", name, "link", "set", "lo", "up"])
    return name


def create(workdir):
    tag = f"{os.getpid() % 100000}-{next(_counter)}"
    lab = Lab(tag=tag, workdir=Path(workdir))
    try:
        lab.lan_ns = _ns(lab, f"pxe2e-{tag}-lan")
        lab.srv_ns = _ns(lab, f"pxe2e-{tag}-srv")
        lab.dhcp_ns = _ns(lab, f"pxe2e-{tag}-dhcp")
        lan = ["ip", "-n", lab.lan_ns]
        run(lan + ["link", "add", BRIDGE, "type", "bridge", "stp_state", "0", "forward_delay", "0"])
        run(lan + ["tuntap", "add", "dev", TAP, "mode", "tap"])
        run(lan + ["link", "set", TAP, "master", BRIDGE])
        for ns, dev, ip in ((lab.srv_ns, "pxe2e-srv", lab.server_ip),
                            (lab.dhcp_ns, "pxe2e-dhcp", lab.dhcp_ip)):
            run(["ip", "-n", ns, "link", "add", dev, "type", "veth",
                 "peer", "name", f"{dev}-p", "netns", lab.lan_ns])
            run(lan + ["link", "set", f"{dev}-p", "master", BRIDGE])
            run(lan + ["link", "set", f"{dev}-p", "up"])
            run(["ip", "-n", ns, "addr", "add", f"{ip}/{PREFIX}", "dev", dev])
            run(["ip", "-n", ns, "link", "set", dev, "up"])
        run(lan + ["link", "set", TAP, "up"])
        run(lan + ["link", "set", BRIDGE, "up"])
        # Addresses are usable once the veth carrier is up (DAD is IPv6 only).
        for ns, dev in ((lab.srv_ns, "pxe2e-srv"), (lab.dhcp_ns, "pxe2e-dhcp")):
            wait_for(lambda: "LOWER_UP" in run(["ip", "-n", ns, "link", "show", dev]).stdout,
                     5, f"{dev} carrier")
        if not os.environ.get("PXED_E2E_NO_RA"):
            _add_router(lab)
    except BaseException:
        destroy(lab)
        raise
    return lab


def _add_router(lab):
    lab.rtr_ns = _ns(lab, f"pxe2e-{lab.tag}-rtr")
    run(["ip", "-n", lab.rtr_ns, "link", "add", "pxe2e-rtr", "type", "veth",
         "peer", "name", "pxe2e-rtr-p", "netns", lab.lan_ns])
    run(["ip", "-n", lab.lan_ns, "link", "set", "pxe2e-rtr-p", "master", BRIDGE])
    run(["ip", "-n", lab.lan_ns, "link", "set", "pxe2e-rtr-p", "up"])
    run(["ip", "-n", lab.rtr_ns, "addr", "add", f"{ROUTER_IP6}/64", "dev", "pxe2e-rtr", "nodad"])
    run(["ip", "-n", lab.rtr_ns, "link", "set", "pxe2e-rtr", "up"])
    # Router advertisements only (SLAAC, no DHCPv6, no DNS): dnsmasq's "ra-only".
    ra = lab.spawn(lab.rtr_ns, [
        "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--port=0",
        "--user=root", "--group=root", "--log-facility=-",
        f"--pid-file={lab.workdir / 'radvd.pid'}", "--interface=pxe2e-rtr", "--bind-interfaces",
        "--enable-ra", "--dhcp-range=::,constructor:pxe2e-rtr,ra-only,10m"], "router.log")
    ra.wait_log(r"router advertisement on", 10, "the IPv6 router to start")


def destroy(lab):
    errors = []
    for p in reversed(lab.processes):
        try:
            p.stop()
        except Exception as e:  # keep tearing down; report at the end
            errors.append(f"stopping {p.argv[0]}: {e}")
    for ns in reversed(lab._made):
        # Deleting a namespace deletes its veth ends, bridge and tap with it.
        r = run(["ip", "netns", "del", ns], check=False)
        if r.returncode != 0:
            errors.append(f"ip netns del {ns}: {r.stderr.strip()}")
    lab._made.clear()
    if errors:
        raise RuntimeError("lab teardown: " + "; ".join(errors))


def leftover_namespaces():
    out = run(["ip", "netns", "list"], check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith("pxe2e-")]
