"""Safe start-up: pxed shares no port it answers on. A dnsmasq of the old stack still holding
67 and 69, a second pxed, or anything on its HTTP port stops it with the port and, when it
can tell, the process; `pxed check` reports what serve would refuse, all at once; exit codes
are 0, 1 (runtime) and 2 (usage or config). Everything runs in the lab's namespaces: the
port holders too (dnsmasq, a python socket) are started by the test inside them."""
import os
import signal
import socket
import subprocess
import time

import pytest

import netlab
from netlab import ServerProcess, create_lab, destroy_lab, socket_in, wait_for
from suite import PXED_BIN

DNSMASQ = "/usr/sbin/dnsmasq"
NGINX = "/usr/sbin/nginx"
PROXY = """
[dhcp]
mode = "proxy"
[boot]
bios = "text.txt"
"""


@pytest.fixture
def slab(workdir, tree, server_kind):
    if server_kind != "pxed":
        pytest.skip("start-up checks are pxed's")
    lab = create_lab(workdir)
    lab.others = []
    try:
        yield lab
    finally:
        for p in lab.others:
            p.stop()
        destroy_lab(lab)


def pxed_in(lab, tree, name, tftp=None, http=None, extra=PROXY, **server):
    """A pxed for lab's server namespace with its own state dir (not started)."""
    overrides = {"interfaces": ["pxs0"], "state_dir": str(lab.workdir / f"state-{lab.tag}-{name}")}
    overrides.update(server)
    p = ServerProcess("pxed", lab, tree, pxed_bin=PXED_BIN, server_overrides=overrides,
                      tftp_overrides=tftp, http_overrides=http, extra_toml=extra)
    p.log_path = lab.workdir / f"server-{lab.tag}-{name}.log"
    argv = p.argv

    def own_config():  # each its own config file: argv() writes one per lab otherwise
        cmd = argv()
        cfg = lab.workdir / f"pxed-{lab.tag}-{name}.toml"
        cfg.write_text(p.config_text())
        return [*cmd[:-1], str(cfg)]
    p.argv = own_config
    lab.others.append(p)
    return p


def exits_with(p, timeout=15):
    """Start p expecting it to stop by itself: its exit code and log."""
    log = open(p.log_path, "ab")
    proc = subprocess.Popen(["ip", "netns", "exec", p.lab.server_ns, *p.argv()], stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise AssertionError(f"pxed did not stop by itself\n{p.log_tail()}")
    finally:
        log.close()
    return code, p.log_text()


def start_dnsmasq(lab, tree):
    """dnsmasq as the seed's stack ran it: DHCP (bind-interfaces, which sets SO_REUSEPORT on 67)
    and TFTP on the lab's interface; DNS off."""
    conf = lab.workdir / f"dnsmasq-{lab.tag}.conf"
    conf.write_text(f"""port=0
interface=pxs0
bind-interfaces
dhcp-range=10.241.{lab.subnet}.100,10.241.{lab.subnet}.150,12h
dhcp-boot=lpxelinux.0
enable-tftp
tftp-root={tree}
pid-file={lab.workdir}/dnsmasq-{lab.tag}.pid
""")
    proc = subprocess.Popen(["ip", "netns", "exec", lab.server_ns, DNSMASQ, "-k", "-C", str(conf),
                             f"--log-facility={lab.workdir}/dnsmasq-{lab.tag}.log"],
                            stdin=subprocess.DEVNULL, start_new_session=True)

    def listening():
        out = netlab.run(["ip", "netns", "exec", lab.server_ns, "ss", "-Hulpn"], check=False).stdout
        return ":67 " in out and ":69 " in out and "dnsmasq" in out
    wait_for(listening, 10, "dnsmasq on 67 and 69")
    return proc


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


def dnsmasq_pid(proc):
    # ip netns exec execs dnsmasq (-k: it stays in the foreground): one process.
    return proc.pid


@pytest.mark.skipif(not os.path.exists(DNSMASQ), reason="dnsmasq not installed")
def test_dnsmasq_holding_tftp_stops_pxed_naming_it(slab, tree):
    dnsmasq = start_dnsmasq(slab, tree)
    try:
        p = pxed_in(slab, tree, "a")
        code, log = exits_with(p)
        assert code == 1, log
        assert "Address already in use" in log, log
        assert f"udp port 69 is held by dnsmasq (pid {dnsmasq_pid(dnsmasq)})" in log, log
        assert "pxed.ready" not in log, log
    finally:
        stop(dnsmasq)


@pytest.mark.skipif(not os.path.exists(DNSMASQ), reason="dnsmasq not installed")
def test_dnsmasq_holding_dhcp_stops_pxed_naming_it(slab, tree):
    dnsmasq = start_dnsmasq(slab, tree)
    try:
        # TFTP elsewhere: what fails is DHCP's port 67 on pxs0.
        p = pxed_in(slab, tree, "b", tftp={"listen": f"{slab.server_ip}:6969"})
        code, log = exits_with(p)
        assert code == 1, log
        assert "dhcp: cannot listen on pxs0 port 67: Address already in use" in log, log
        assert f"udp port 67 is held by dnsmasq (pid {dnsmasq_pid(dnsmasq)})" in log, log
    finally:
        stop(dnsmasq)


def check_in(lab, p):
    return netlab.run(["ip", "netns", "exec", lab.server_ns, str(PXED_BIN), "check", "-c", p.argv()[-1]],
                      check=False)


@pytest.mark.skipif(not os.path.exists(DNSMASQ), reason="dnsmasq not installed")
def test_check_finds_the_ports_dnsmasq_holds(slab, tree):
    dnsmasq = start_dnsmasq(slab, tree)
    try:
        p = pxed_in(slab, tree, "chk")
        r = check_in(slab, p)
        assert r.returncode == 2, r
        pid = dnsmasq_pid(dnsmasq)
        assert f"tftp.listen: udp port 69 on {slab.server_ip} is taken: udp port 69 is held by dnsmasq (pid {pid})" \
            in r.stderr, r
        assert f"server.interfaces: udp port 67 on pxs0 is taken: udp port 67 is held by dnsmasq (pid {pid})" \
            in r.stderr, r
        assert "4011" not in r.stderr, r  # dnsmasq does not hold it here
    finally:
        stop(dnsmasq)


def test_check_as_another_user_says_which_ports_it_could_not_try(slab, tree):
    p = pxed_in(slab, tree, "user")
    r = netlab.run(["ip", "netns", "exec", slab.server_ns, "runuser", "-u", "nobody", "--", str(PXED_BIN), "check",
                    "-c", p.argv()[-1]], check=False)
    assert r.returncode == 0, r
    assert "udp port 69 and any other below 1024 not tried" in r.stdout, r


def test_check_beside_the_running_pxed_notes_its_ports(slab, tree):
    p = pxed_in(slab, tree, "running")
    p.start()
    r = check_in(slab, p)
    assert r.returncode == 0, r
    assert f"udp port 67 on pxs0 is the running pxed's (pid {pxed_pid(p)}" in r.stdout, r
    assert r.stdout.rstrip().endswith(": ok"), r


def test_check_finds_a_listen_address_this_host_does_not_have(slab, tree):
    # 10.241.x.2 is the client's end of the veth, not an address of the server's namespace.
    p = pxed_in(slab, tree, "addr", tftp={"listen": f"{slab.client_ip}:69"}, extra="")
    r = check_in(slab, p)
    assert r.returncode == 2, r
    assert f"tftp.listen: {slab.client_ip} is no address of this host, so serve cannot listen on it" in r.stderr, r
    code, log = exits_with(p)
    assert code == 1 and "Cannot assign requested address" in log, log


def test_a_second_proxy_pxed_on_the_same_interface_is_refused(slab, tree):
    first = pxed_in(slab, tree, "first")
    first.start()
    # Another state dir, DHCP only: before, both bound 67 and 4011 and both answered.
    second = pxed_in(slab, tree, "second", tftp={"enabled": False})
    code, log = exits_with(second)
    assert code == 1, log
    assert "port 67" in log and f"held by pxed (pid {pxed_pid(first)})" in log, log
    assert first.proc.poll() is None, first.log_tail()


def test_two_pxed_on_different_interfaces_both_serve(slab, tree):
    """Sharing no port is per interface: DHCP's sockets are bound to theirs (SO_BINDTODEVICE),
    so one pxed per interface of a host still works."""
    netlab.run(["ip", "-n", slab.server_ns, "link", "add", "pxn0", "type", "veth", "peer", "name", "pxn1"])
    netlab.run(["ip", "-n", slab.server_ns, "addr", "add", "10.242.0.1/24", "dev", "pxn0"])
    for dev in ("pxn0", "pxn1"):
        netlab.run(["ip", "-n", slab.server_ns, "link", "set", dev, "up"])
    first = pxed_in(slab, tree, "one")
    first.start()
    second = pxed_in(slab, tree, "two", tftp={"listen": "10.242.0.1:69"}, interfaces=["pxn0"])
    second.start()
    assert first.proc.poll() is None and second.proc.poll() is None


def test_port_68_stays_shared_with_a_dhcp_client_on_the_host(slab, tree):
    """pxed's port 68 only watches for other DHCP servers: a DHCP client of the host (dhclient's
    fallback socket binds 0.0.0.0:68 with SO_REUSEADDR) starts beside it, before or after."""
    def client_socket():
        s = socket_in(slab.server_ns)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", 68))
        return s
    before = client_socket()
    try:
        p = pxed_in(slab, tree, "watch")
        p.start()
        after = client_socket()
        after.close()
        assert not p.events("dhcp.no_foreign_watch"), p.log_tail()
    finally:
        before.close()


def pxed_pid(p):
    # ServerProcess runs `ip netns exec ... pxed`, which execs pxed: the same pid.
    return p.proc.pid


def test_anything_on_the_http_port_stops_pxed_naming_it(slab, tree):
    held = socket_in(slab.server_ns, socket.SOCK_STREAM)
    try:
        held.bind((slab.server_ip, 8080))
        held.listen()
        p = pxed_in(slab, tree, "c", tftp={"listen": f"{slab.server_ip}:6970"},
                    http={"listen": f"{slab.server_ip}:8080"}, extra="")
        code, log = exits_with(p)
        assert code == 1, log
        me = open("/proc/self/comm").read().strip()
        assert f"tcp port 8080 is held by {me} (pid {os.getpid()}) on {slab.server_ip}:8080" in log, log
    finally:
        held.close()


@pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx not installed")
def test_the_old_stacks_nginx_on_port_80_stops_pxed_naming_it(slab, tree):
    """The seed's nginx (README "Moving from dnsmasq + nginx") still serving the tree on 80."""
    d = slab.workdir / f"nginx-{slab.tag}"
    d.mkdir()
    (d / "nginx.conf").write_text(f"""daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
    server {{ listen {slab.server_ip}:80; root {tree}; autoindex on; }}
}}
""")
    nginx = subprocess.Popen(["ip", "netns", "exec", slab.server_ns, NGINX, "-c", str(d / "nginx.conf")],
                             stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        def listening():
            out = netlab.run(["ip", "netns", "exec", slab.server_ns, "ss", "-Htlpn"], check=False).stdout
            return ":80 " in out and "nginx" in out
        wait_for(listening, 10, "nginx on 80")
        p = pxed_in(slab, tree, "nginx", http={}, extra="")
        code, log = exits_with(p)
        assert code == 1, log
        # The master (ip netns exec execs it: the pid we started) and its worker hold the socket.
        assert f"tcp port 80 is held by nginx (pid {nginx.pid}) on {slab.server_ip}:80" in log, log
    finally:
        stop(nginx)


def test_an_interface_without_ipv4_is_refused_by_serve_and_check(slab, tree):
    netlab.run(["ip", "-n", slab.server_ns, "link", "add", "pxn0", "type", "veth", "peer", "name", "pxn1"])
    netlab.run(["ip", "-n", slab.server_ns, "link", "set", "pxn0", "up"])
    p = pxed_in(slab, tree, "d", interfaces=["pxn0"])
    code, log = exits_with(p)
    assert code == 1, log
    assert "server.interfaces: pxn0 has no IPv4 address" in log, log
    cfg = p.argv()[-1]
    check = netlab.run(["ip", "netns", "exec", slab.server_ns, str(PXED_BIN), "check", "-c", cfg], check=False)
    assert check.returncode == 2, check
    assert "pxn0 has no IPv4 address" in check.stderr, check


def test_check_reports_everything_serve_would_refuse_at_once(slab, tree, tmp_path):
    not_an_image = tmp_path / "not.iso"
    not_an_image.write_bytes(b"\0" * 65536)
    other = tmp_path / "other"
    other.mkdir()
    cfg = tmp_path / "pxed.toml"
    cfg.write_text(f"""[server]
state_dir = "{tmp_path / 'state'}"
user = "nobodyy"
interfaces = ["{slab.server_ip}", "pxs0", "pxs0"]
[files]
root = "{tree}"
[[files.mount]]
at = "/img"
iso = "{not_an_image}"
[tftp]
listen = "{slab.server_ip}:69"
blksize_mx = 1468
[dhcp]
mode = "proxy"
[boot]
bios = "lpxelinux.O"
""")
    r = netlab.run(["ip", "netns", "exec", slab.server_ns, str(PXED_BIN), "check", "-c", str(cfg)], check=False)
    assert r.returncode == 2, r
    err = r.stderr
    # The config file's problems come first, alone: a file that does not parse is not looked at further.
    assert f'{cfg}:4: server.interfaces: element 3 "pxs0" is listed twice' in err, err
    assert f'{cfg}:12: tftp.blksize_mx: unknown key; did you mean "blksize_max"?' in err, err
    cfg.write_text(cfg.read_text().replace(', "pxs0", "pxs0"', "").replace("blksize_mx = 1468\n", ""))
    r = netlab.run(["ip", "netns", "exec", slab.server_ns, str(PXED_BIN), "check", "-c", str(cfg)], check=False)
    assert r.returncode == 2, r
    err = r.stderr
    assert (f'{cfg}:4: server.interfaces: "{slab.server_ip}" is an address, not an interface name; '
            f'did you mean "pxs0", which holds {slab.server_ip}?') in err, err
    assert f'{cfg}:3: server.user: no user "nobodyy" here; did you mean "nobody"?' in err, err
    assert f"{cfg}:7: files.mount: " in err and "not.iso" in err, err
    assert f'{cfg}:15: boot.bios: lpxelinux.O: not in the tree' in err, err
    assert "problems found" in err, err


def test_exit_codes_are_0_1_2_never_cli11s(tmp_path):
    def pxed(*args):
        return subprocess.run([str(PXED_BIN), *args], capture_output=True, text=True, timeout=20)
    assert pxed("--help").returncode == 0
    assert "Exit codes: 0 ok, 1 runtime failure" in pxed("--help").stdout
    r = pxed("serv", "-c", "x.toml")
    assert r.returncode == 2 and 'did you mean "serve"?' in r.stderr, r
    r = pxed("iso", "lss", "x.iso")
    assert r.returncode == 2 and 'pxed iso: no subcommand "lss"; did you mean "ls"?' in r.stderr, r
    r = pxed("serve", "--confg", "x.toml")
    assert r.returncode == 2 and "did you mean --config?" in r.stderr, r
    r = pxed("serve")  # CLI11 says 106
    assert r.returncode == 2 and "--config is required" in r.stderr, r
    r = pxed("lookup", "-c", str(tmp_path / "missing.toml"), "--mac", "52:54:00:00:00:01")
    assert r.returncode == 2, r
    r = pxed("iso", "ls", str(tmp_path / "missing.iso"))
    assert r.returncode == 1, r


def test_sighup_while_serving_reloads_and_never_kills(slab, tree):
    p = pxed_in(slab, tree, "e", tftp={"listen": f"{slab.server_ip}:6971"}, extra="", interfaces=[])
    p.start()
    for _ in range(3):
        mark = p.mark()
        os.kill(p.proc.pid, signal.SIGHUP)
        p.wait_event("pxed.reload", since=mark)
    assert p.proc.poll() is None, p.log_tail()


def spawn_in(netns, argv, log):
    """argv itself (no `ip netns exec` in between, which a signal would hit instead) in netns."""
    fd = os.open(f"/run/netns/{netns}", os.O_RDONLY)
    try:
        return subprocess.Popen(argv, preexec_fn=lambda: netlab._setns(fd), pass_fds=(fd,), stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        os.close(fd)


def hup_state(pid):
    """'ignored' once pxed's main() has begun (it ignores HUP from its first line), 'caught' once
    serve's handler has it, None before main() or once pid is gone."""
    bit = 1 << (signal.SIGHUP - 1)
    try:
        with open(f"/proc/{pid}/status") as f:
            masks = dict(line.split(":", 1) for line in f if line.startswith(("SigIgn:", "SigCgt:")))
    except OSError:
        return None
    if int(masks.get("SigCgt", "0"), 16) & bit:
        return "caught"
    return "ignored" if int(masks.get("SigIgn", "0"), 16) & bit else None


@pytest.mark.parametrize("after_ms", [0, 5, 20])
def test_a_sighup_while_starting_never_kills(slab, tree, after_ms):
    """Before, a HUP in pxed's first ~20 ms (systemd's reload, `pxed machines reinstall`)
    ended it: the handlers were installed only once everything was bound. (One before
    main() runs still does: nothing in a program can take a signal before then.) The HUP
    goes while pxed ignores it, after main() began and before serve's handler; a start too
    quick to see that phase is tried again."""
    p = pxed_in(slab, tree, f"hup{after_ms}", tftp={"listen": f"{slab.server_ip}:6972"}, extra="", interfaces=[])
    for attempt in range(5):
        with open(p.log_path, "ab") as log:
            proc = spawn_in(slab.server_ns, p.argv(), log)
        try:
            deadline = time.monotonic() + 10
            state = None
            while state is None and proc.poll() is None and time.monotonic() < deadline:
                state = hup_state(proc.pid)  # a tight poll: the phase lasts milliseconds
            if state != "ignored":
                continue
            time.sleep(after_ms / 1000)  # the point is the moment: this long into the start
            proc.send_signal(signal.SIGHUP)
            wait_for(lambda: proc.poll() is not None or "pxed.ready" in p.log_text(), 10, "pxed ready or gone")
            assert proc.poll() is None, f"pxed ended with {proc.returncode}\n{p.log_tail()}"
            return
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
    pytest.fail("pxed never ignored SIGHUP while starting (5 starts)")
