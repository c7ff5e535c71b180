"""Network namespaces, processes and server logs for the integration tests.

Everything here runs inside namespaces these helpers create (names start with
"pxtest") and never on the machine's real interfaces. Every wait has a
deadline, every process is started in its own group and killed by its id.
"""
import contextlib
import ctypes
import hashlib
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

CLIENT_TIMEOUT = 120  # seconds; no single client run in this suite should get near it

_counter = itertools.count(1)


def run(argv, timeout=20, check=True, **kwargs):
    """subprocess.run with a deadline, text output and a readable failure."""
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} exited {result.returncode}: "
                           f"{result.stdout}{result.stderr}")
    return result


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# -- sockets inside a namespace ---------------------------------------------------------
# A socket stays in the namespace it was created in, so the raw client enters the
# client namespace only for the socket() call (this thread only) and comes back.
# Python 3.11 has no os.setns, hence ctypes.
_libc = ctypes.CDLL(None, use_errno=True)
_CLONE_NEWNET = 0x40000000


def _setns(fd):
    if _libc.setns(fd, _CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


@contextlib.contextmanager
def inside(netns):
    """This thread in netns for a while: programs it starts (a browser's driver) start
    there, and its connections to them stay there."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{netns}", os.O_RDONLY)
    try:
        _setns(target)
        try:
            yield
        finally:
            _setns(own)
    finally:
        os.close(own)
        os.close(target)


def socket_in(netns, kind=socket.SOCK_DGRAM):
    """A socket created in `netns`; it stays there after this thread comes back."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{netns}", os.O_RDONLY)
    try:
        _setns(target)
        try:
            return socket.socket(socket.AF_INET, kind)
        finally:
            _setns(own)
    finally:
        os.close(own)
        os.close(target)


# -- the lab: two namespaces joined by a veth pair --------------------------------------
@dataclass
class Lab:
    tag: str
    subnet: int
    server_ns: str = ""
    client_ns: str = ""
    server_ip: str = ""
    client_ip: str = ""
    workdir: Path = None
    server: "ServerProcess" = None
    _made: list = field(default_factory=list)

    def client(self, argv, timeout=CLIENT_TIMEOUT, check=False, **kwargs):
        """Run a client program in the client namespace."""
        return run(["ip", "netns", "exec", self.client_ns, *argv],
                   timeout=timeout, check=check, **kwargs)

    def client_popen(self, argv, **kwargs):
        return subprocess.Popen(["ip", "netns", "exec", self.client_ns, *argv],
                                start_new_session=True, **kwargs)

    def socket(self):
        """A UDP socket in the client namespace, bound to the client address."""
        s = socket_in(self.client_ns)
        s.bind((self.client_ip, 0))
        return s

    def tcp_connect(self, port, timeout=10):
        """A TCP connection from the client namespace to the server."""
        s = socket_in(self.client_ns, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect((self.server_ip, port))
        return s

    def nft(self, netns, script):
        """Load an nftables script in one of the lab's namespaces (loss emulation)."""
        assert netns in (self.server_ns, self.client_ns)
        run(["ip", "netns", "exec", netns, "nft", "-f", "-"], input=script)


def create_lab(workdir):
    """Make server + client namespaces with a veth pair between them.

    The veth pair is created directly inside the server namespace and its peer
    moved to the client namespace in the same call, so the host's own network
    namespace never sees it.
    """
    n = next(_counter)
    tag = f"{os.getpid()}-{n}"
    subnet = 10 + (os.getpid() * 7 + n) % 240  # 10.241.<subnet>.0/24, varies per run
    lab = Lab(tag=tag, subnet=subnet,
              server_ns=f"pxtest-{tag}-srv", client_ns=f"pxtest-{tag}-cli",
              server_ip=f"10.241.{subnet}.1", client_ip=f"10.241.{subnet}.2",
              workdir=Path(workdir))
    try:
        for ns in (lab.server_ns, lab.client_ns):
            run(["ip", "netns", "add", ns])
            lab._made.append(ns)
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
        run(["ip", "-n", lab.server_ns, "link", "add", "pxs0", "type", "veth",
             "peer", "name", "pxc0", "netns", lab.client_ns])
        for ns, dev, ip in ((lab.server_ns, "pxs0", lab.server_ip),
                            (lab.client_ns, "pxc0", lab.client_ip)):
            run(["ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", dev])
            run(["ip", "-n", ns, "link", "set", dev, "up"])
        wait_for(lambda: _link_ready(lab), 5, "veth pair up")
    except BaseException:
        destroy_lab(lab)
        raise
    return lab


def _link_ready(lab):
    # veth carrier comes up asynchronously (and there is no ping here): a UDP
    # datagram from the client namespace to the server namespace proves the path.
    rx, tx = socket_in(lab.server_ns), socket_in(lab.client_ns)
    try:
        rx.bind((lab.server_ip, 0))
        rx.settimeout(0.2)
        tx.sendto(b"probe", rx.getsockname())
        try:
            return rx.recv(16) == b"probe"
        except (socket.timeout, OSError):
            return False
    except OSError:
        return False  # address still tentative/not up yet
    finally:
        rx.close()
        tx.close()


def destroy_lab(lab):
    if lab.server is not None:
        lab.server.stop()
    for ns in reversed(lab._made):
        # Deleting a namespace also deletes the veth end and nft tables in it.
        run(["ip", "netns", "del", ns], check=False)
    lab._made.clear()


def wait_for(predicate, timeout, what, interval=0.02):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# -- server logs ------------------------------------------------------------------------
_LEVELS = "trace|debug|info|warn|warning|error|critical"
# "<time> <level> <event> k=v ..."; tolerate spdlog-style [brackets] around the level.
_LINE = re.compile(rf"(?:^|\s)\[?({_LEVELS})\]?\s+([a-z][\w.-]*)(?:\s+(.*))?$", re.I)
_KV = re.compile(r'([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|\S*)')


@dataclass
class LogEvent:
    level: str
    event: str
    fields: dict
    line: str


def parse_log_line(line):
    line = line.rstrip("\n")
    if line.lstrip().startswith("{"):
        try:
            obj = json.loads(line)
        except ValueError:
            return None
        # Typed fields: numbers stay numbers in JSON; compare them as the text line writes them.
        fields = {k: json.dumps(v) if isinstance(v, bool) else str(v)
                  for k, v in obj.items() if k not in ("event", "level", "time", "ts")}
        return LogEvent(str(obj.get("level", "")), str(obj.get("event", "")), fields, line)
    m = _LINE.search(line)
    if not m:
        return None
    fields = {}
    for k, v in _KV.findall(m.group(3) or ""):
        fields[k] = v[1:-1] if len(v) >= 2 and v[0] == '"' else v
    return LogEvent(m.group(1).lower(), m.group(2), fields, line)


# -- the server under test --------------------------------------------------------------
class ServerProcess:
    """pxed or the tftpd-hpa stand-in, running in the lab's server namespace."""

    def __init__(self, kind, lab, root, tftp_overrides=None, pxed_bin=None, server_overrides=None,
                 http_overrides=None, files_extra=None, extra_toml=""):
        self.kind = kind
        self.lab = lab
        self.root = Path(root)
        self.log_path = lab.workdir / f"server-{lab.tag}.log"
        self.proc = None
        self._log_file = None
        # Only what the tests need; retransmit and idle timers stay at pxed's
        # defaults unless a module overrides them, so the suite tests what ships.
        self.tftp = {
            "listen": f"{lab.server_ip}:69",
            "blksize_max": 65464,
            "windowsize_max": 16,
        }
        self.tftp.update(tftp_overrides or {})
        # Its own state_dir (leases, machines seen): never the machine's /var/lib/pxed.
        self.server = {"log_level": "debug", "log_format": "text",
                       "state_dir": str(lab.workdir / f"state-{lab.tag}")}
        self.server.update(server_overrides or {})
        self.pxed_bin = pxed_bin
        # [http] is written only when a module asks for it (PXED_HTTP), so the
        # TFTP modules run exactly the config they always did.
        # Raw TOML lines appended after [files] root (e.g. [[files.mount]] tables).
        self.files_extra = list(files_extra or [])
        # Whole sections appended as they are ([dhcp], [boot], ...).
        self.extra_toml = extra_toml
        self.http = None
        if http_overrides is not None:
            self.http = {"enabled": True, "listen": f"{lab.server_ip}:80"}
            self.http.update(http_overrides)

    def config_text(self):
        def toml_value(v):
            if isinstance(v, bool):
                return "true" if v else "false"
            if isinstance(v, (list, tuple)):
                return "[" + ", ".join(toml_value(x) for x in v) + "]"
            return str(v) if isinstance(v, int) else f'"{v}"'
        lines = ["[server]"] + [f"{k} = {toml_value(v)}" for k, v in self.server.items()]
        lines += ["", "[files]", f'root = "{self.root}"', *self.files_extra, "", "[tftp]"]
        lines += [f"{k} = {toml_value(v)}" for k, v in self.tftp.items()]
        if self.http is not None:
            lines += ["", "[http]"] + [f"{k} = {toml_value(v)}" for k, v in self.http.items()]
        return "\n".join(lines) + "\n" + self.extra_toml

    def argv(self):
        if self.kind == "pxed":
            cfg = self.lab.workdir / f"pxed-{self.lab.tag}.toml"
            cfg.write_text(self.config_text())
            return [str(self.pxed_bin), "serve", "-c", str(cfg)]
        # tftpd-hpa: --secure chroots into the root; retransmit at its 10 ms minimum
        # and refuse the client's "timeout" option (curl asks for 5+ s), or every
        # lost packet would stall the loss tests for seconds.
        return ["/usr/sbin/in.tftpd", "--foreground", "--address", self.tftp["listen"],
                "--secure", "--blocksize", str(self.tftp["blksize_max"]),
                "--retransmit", "10000", "--refuse", "timeout", "--verbose", str(self.root)]

    def start(self, ready_timeout=10):
        # The log is appended to: a restart's readiness is the pxed.ready after this point.
        self._started_at = self.mark()
        self._log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(["ip", "netns", "exec", self.lab.server_ns, *self.argv()],
                                     stdin=subprocess.DEVNULL, stdout=self._log_file,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for(self._ready, ready_timeout, f"{self.kind} to listen")
        except (TimeoutError, RuntimeError) as e:
            self.stop()
            raise RuntimeError(f"{e}\n--- server log ---\n{self.log_tail()}") from None

    def _ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.kind} exited with {self.proc.returncode} before ready")
        if self.kind == "pxed":
            return any(e.event == "pxed.ready" for e in self.events(since=self._started_at))
        # tftpd-hpa logs to syslog, not stderr: wait for its socket instead.
        out = run(["ip", "netns", "exec", self.lab.server_ns, "ss", "-Hlun",
                   "sport = :69"], check=False, timeout=5).stdout
        return self.tftp["listen"].split(":")[0] in out

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            # Own process group (start_new_session): signal only what we started.
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.proc = None
        if self._log_file:
            self._log_file.close()
            self._log_file = None
        # A sanitizer build (scripts/test: ASan+UBSan, TSan) reports on stderr, which is
        # this log: a report fails the test even when the process lived on or the
        # request that raced still got its answer.
        for marker in ("WARNING: ThreadSanitizer", "ERROR: AddressSanitizer", "runtime error:"):
            if self.kind == "pxed" and marker in self.log_text():
                raise RuntimeError(f"pxed's log has a sanitizer report ({marker}):\n{self.log_tail(80)}")

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines=40):
        text = self.log_text().splitlines()
        return "\n".join(text[-lines:]) if text else "(server log empty)"

    def mark(self):
        """A position in the log; events(since=mark) sees only what came after."""
        return len(self.log_text().splitlines())

    def events(self, name=None, since=0):
        out = []
        for line in self.log_text().splitlines()[since:]:
            e = parse_log_line(line)
            if e and (name is None or e.event == name):
                out.append(e)
        return out

    def wait_event(self, name, timeout=10, since=0, **match):
        """The first `name` event after `since` whose fields contain `match`."""
        def found():
            for e in self.events(name, since):
                if all(e.fields.get(k) == str(v) for k, v in match.items()):
                    return e
            return None
        try:
            return wait_for(found, timeout, f"log event {name} {match}", interval=0.05)
        except TimeoutError as e:
            raise AssertionError(f"{e}\n--- server log tail ---\n{self.log_tail()}") from None


def served_lab(workdir, tree, server_kind, pxed_bin, **server_args):
    """Generator for a module fixture: a lab with the server started on it
    (ServerProcess keyword arguments pass through); after the tests, a server
    that died mid-module fails the teardown with its log; the lab goes away."""
    lab = create_lab(workdir)
    try:
        lab.server = ServerProcess(server_kind, lab, tree, pxed_bin=pxed_bin, **server_args)
        lab.server.start()
        yield lab
        rc = lab.server.proc.poll() if lab.server.proc else None
        assert rc is None, (f"{server_kind} exited with {rc} during the tests\n"
                            f"{lab.server.log_tail(60)}")
    finally:
        destroy_lab(lab)


def start_full_dhcp_pxed(lab, workdir, root, pxed_bin, extra_toml="", range_size=50, files_extra=None,
                         server_overrides=None):
    """pxed as the lab's DHCP server (full mode, addresses .100 up in the lab's subnet) with
    HTTP on, serving root (and files_extra's [files] lines, server_overrides' [server] keys);
    started. lab.net is the subnet's first three octets, lab.state pxed's state directory."""
    lab.net = f"10.241.{lab.subnet}"
    lab.state = workdir / f"state-{lab.tag}"
    dhcp = f"""
[dhcp]
mode = "full"
[[dhcp.subnet]]
network = "{lab.net}.0/24"
range = ["{lab.net}.100", "{lab.net}.{100 + range_size - 1}"]
lease_time = "10m"
"""
    lab.server = ServerProcess("pxed", lab, root, pxed_bin=pxed_bin,
                               server_overrides={"interfaces": ["pxs0"], "state_dir": str(lab.state),
                                                 **(server_overrides or {})},
                               http_overrides={}, files_extra=files_extra, extra_toml=dhcp + extra_toml)
    lab.server.start()
    return lab.server


def curl_http(lab, path, *extra, out=None):
    """curl from the client namespace to the lab's server (-o out when given)."""
    argv = ["curl", "-sS", "--max-time", "60", *extra]
    if out is not None:
        argv += ["-o", str(out)]
    return lab.client(argv + [f"http://{lab.server_ip}{path}"], timeout=70)


def write_random_tree(root, sizes):
    """Files of random bytes under root: {relative path: size}; returns root."""
    for name, size in sizes.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
    return root


def build_image(workdir, name, volume_id, files):
    """An ISO image of files ({path in the image: bytes}) with that volume id, built by xorriso."""
    src = workdir / f"src-{name}"
    for rel, data in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    iso = workdir / f"{name}.built"
    subprocess.run(["xorriso", "-as", "mkisofs", "-R", "-J", "-V", volume_id, "-o", str(iso), str(src)],
                   check=True, capture_output=True, timeout=60)
    os.chmod(iso, 0o644)
    return iso


def install_image(iso_dir, built, name):
    """Copy beside under a hidden name, then rename into place, as admins should (atomic replace)."""
    tmp = iso_dir / f".{name}.part"
    shutil.copyfile(built, tmp)
    os.chmod(tmp, 0o644)
    os.replace(tmp, iso_dir / name)
