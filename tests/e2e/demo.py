"""scripts/demo's driver: one BIOS machine boots through pxed in a private lab.

    /usr/bin/python3 tests/e2e/demo.py [--keep]   build the guest, start the lab and pxed
                                                  (full DHCP), boot one VM, stream what
                                                  happens, summarise, tear down (--keep: don't)
    /usr/bin/python3 tests/e2e/demo.py --boot     boot another VM in a kept lab
    /usr/bin/python3 tests/e2e/demo.py --down     tear a kept lab down

It reuses the e2e harness: e2e_guest builds (and caches in /var/cache/pxed-e2e) Debian's
kernel, a busybox initramfs and an ISO image holding both; e2e_lab makes the namespaces,
bridge and tap; e2e_dhcp.PxedFull turns pxed's own DHCP on; e2e_vm runs QEMU. The demo's
namespaces are pxdemo-{lan,srv,client,rtr}, not the tests' pxe2e-*, so the two never meet.

Env: PXED_BIN (default build/pxed), PXED_DEMO_ACCEL=tcg|kvm (skip the KVM probe).
Exit status: 0 when the VM printed the marker with this run's token, else 1.
"""
import argparse
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import e2e_dhcp  # noqa: E402
import e2e_guest  # noqa: E402
import e2e_lab  # noqa: E402
import e2e_vm  # noqa: E402

REPO = HERE.parents[1]
PXED_BIN = Path(os.environ.get("PXED_BIN", REPO / "build" / "pxed"))
STATE = Path("/run/pxdemo.json")      # what a kept lab consists of (for --boot and --down)
NS_PREFIX = "pxdemo-"
HTTP_BASE = f"http://{e2e_lab.SERVER_IP}"
CLIENT_IP = e2e_lab.DHCP_IP           # the lab's spare namespace, a client for curl and tftp
MAC = "52:54:00:de:e0:01"
KVM_STALL = 15                        # seconds of silent console before KVM is given up on

# Fixed, readable namespace names: the lab module names its namespaces pxe2e-<tag>-<role>;
# the demo's are pxdemo-<role> ("dhcp" is idle with pxed as the DHCP server, so it is the
# client namespace the --keep hints fetch from).
_ROLES = {"lan": "lan", "srv": "srv", "dhcp": "client", "rtr": "rtr"}
_lab_ns = e2e_lab._ns


def _demo_ns(lab, name):
    return _lab_ns(lab, NS_PREFIX + _ROLES[name.rsplit("-", 1)[-1]])


e2e_lab._ns = _demo_ns

# -- streaming ------------------------------------------------------------------------
_ANSI = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[@-~])")
PXED_SHOWN = re.compile(r"\b(dhcp\.[a-z_]+|tftp\.(done|refused)|http\.request|pxed\.ready)\b"
                        r"|\b(warn|warning|error|critical)\b", re.I)
_print_lock = threading.Lock()


def say(prefix, text):
    with _print_lock:
        print(f"[{prefix}] {text}", flush=True)


class Follower:
    """Prints the lines a file gains (complete lines only; the rest on flush)."""

    def __init__(self, path, prefix, keep=None, clean=None, start_at_end=False):
        self.path, self.prefix, self.keep, self.clean = Path(path), prefix, keep, clean
        self.offset = self.path.stat().st_size if start_at_end and self.path.exists() else 0
        self.partial = ""

    def poll(self, final=False):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return
        self.offset += len(data)
        text = self.partial + data.decode(errors="replace")
        lines = text.split("\n")
        self.partial = "" if final else lines.pop()
        for line in lines:
            if self.clean:
                line = self.clean(line)
            if line is not None and line.strip() and (self.keep is None or self.keep.search(line)):
                say(self.prefix, line.rstrip())


def clean_console(line):
    line = _ANSI.sub("", line)
    line = line.rstrip("\r").split("\r")[-1]  # serial lines end in CR LF; else the last redraw
    line = "".join(c for c in line if c.isprintable() or c == "\t")
    return line


def clean_pxed(line):
    # "2026-11-28 01:30:00.123 info dhcp.ack ..." -> "01:30:00.123 info dhcp.ack ..."
    return re.sub(r"^\d{4}-\d\d-\d\d[T ]", "", line)


def boot_streamed(lab, pxed_log, accel, mac, stall=None, timeout=e2e_vm.BOOT_TIMEOUT):
    """e2e_vm.boot, while a thread prints the console and pxed's log as they grow. The boot
    runs in the main thread, so Ctrl-C lands in e2e_vm.boot, which kills the VM."""
    name = f"demo-{accel}-{mac.replace(':', '')}"
    console = Follower(lab.workdir / f"console-{name}.log", "vm", clean=clean_console)
    console.path.unlink(missing_ok=True)
    pxed = Follower(pxed_log, "pxed", keep=PXED_SHOWN, clean=clean_pxed, start_at_end=True)
    done = threading.Event()

    def follow():
        while not done.wait(0.2):
            console.poll()
            pxed.poll()

    t = threading.Thread(target=follow, daemon=True)
    t.start()
    try:
        return e2e_vm.boot(lab, "bios", mac, accel, timeout=timeout, name=name, stall=stall)
    finally:
        done.set()
        t.join()
        time.sleep(0.3)  # pxed logs the last HTTP request as the VM powers off
        console.poll(final=True)
        pxed.poll()


# -- accelerator ----------------------------------------------------------------------
def accel_cache_key():
    qemu = subprocess.run([e2e_vm.QEMU, "--version"], capture_output=True, text=True).stdout
    version = qemu.split("\n")[0].split()[-1] if qemu else "unknown"
    return e2e_guest.CACHE / f"demo-accel-{os.uname().release}-{version}"


def boot_with_fallback(lab, pxed_log, token, mac):
    """KVM when it gets this firmware to the marker (remembered per host kernel and QEMU
    version), else TCG: here QEMU's iPXE ROM hangs under KVM after "starting execution"."""
    forced = os.environ.get("PXED_DEMO_ACCEL")
    if forced:
        if forced not in ("tcg", "kvm"):
            sys.exit(f"demo: PXED_DEMO_ACCEL={forced}: expected tcg or kvm")
        return boot_streamed(lab, pxed_log, forced, mac)
    if not e2e_vm.kvm_usable():
        say("demo", "booting under TCG (/dev/kvm not usable)")
        return boot_streamed(lab, pxed_log, "tcg", mac)
    key = accel_cache_key()
    known = key.read_text().strip() if key.exists() else ""
    if known == "tcg":
        say("demo", f"booting under TCG (KVM did not boot this firmware before: {key})")
        return boot_streamed(lab, pxed_log, "tcg", mac)
    if known != "kvm":
        say("demo", f"trying KVM first (given up after {KVM_STALL} s of silence; "
                    "QEMU's iPXE ROM hangs under KVM on some hosts)")
    r = boot_streamed(lab, pxed_log, "kvm", mac, stall=None if known else KVM_STALL,
                      timeout=60 if not known else e2e_vm.BOOT_TIMEOUT)
    works = r.returncode == 0 and token in r.tokens()
    if not known:
        key.parent.mkdir(parents=True, exist_ok=True)
        key.write_text("kvm\n" if works else "tcg\n")
    if works or known:
        return r
    say("demo", f"KVM did not reach the marker ({r.stopped or f'rc={r.returncode}'}): "
                "booting again under TCG (remembered in " + str(key) + ")")
    return boot_streamed(lab, pxed_log, "tcg", mac)


# -- the served tree and pxed ---------------------------------------------------------
def write_tree(root):
    """Only the loader and its module: no pxelinux.cfg/ written by hand. pxed's
    inventory writes each machine's config when its pxelinux asks."""
    root.mkdir(parents=True)
    shutil.copyfile(e2e_guest.LPXELINUX, root / "lpxelinux.0")
    shutil.copyfile(e2e_guest.LDLINUX_BIOS, root / "ldlinux.c32")
    os.chmod(root, 0o755)


def inventory(token):
    """One profile (the ISO's kernel and initrd, over HTTP), the demo VM by its MAC, and
    the same profile for every other machine ([boot] default, in the plan)."""
    return (f'[[profile]]\nname = "demo"\nlabel = "pxed demo: the ISO\'s kernel"\n'
            f'kernel = "${{http}}{e2e_guest.KERNEL_PATH}"\n'
            f'initrd = ["${{http}}{e2e_guest.INITRD_PATH}"]\n'
            f'append = "{e2e_guest.CMDLINE} pxed_token={token} hostname=${{name}}"\n\n'
            f'[[machine]]\nmac = "{MAC}"\nname = "demo-01"\nprofile = "demo"\n')


def summarize(result, pxed_log_text, token, iso):
    events = e2e_lab.log_events(pxed_log_text)
    lines = []
    acks = [f for name, f in events if name == "dhcp.ack"]
    if acks:
        a = acks[-1]
        lines.append(f"DHCP     {len(acks)} ack(s); {a.get('mac', '?')} got {a.get('ip', a.get('yiaddr', '?'))}"
                     f" (file {a.get('file', a.get('boot_file', '-'))})")
    for name, f in events:
        if name == "tftp.done":
            made = f"  generated {f['generated']}" if f.get("generated") else ""
            lines.append(f"TFTP     {f.get('file', '?'):32} {f.get('bytes', '?'):>9} bytes  {f.get('result', '')}{made}")
    refused = [f.get("file", "?") for name, f in events if name == "tftp.refused"]
    if refused:
        lines.append(f"TFTP     {len(refused)} lookups refused (no such file; pxelinux then tries the next"
                     f" name): {refused[0]} ... {refused[-1]}")
    for name, f in events:
        if name == "http.request":
            lines.append(f"HTTP     {f.get('method', '?')} {f.get('path', '?'):28} {f.get('bytes', '?'):>9} bytes"
                         f"  status {f.get('status', '?')}")
    lines.append(f"ISO      {iso} served as {e2e_guest.ISO_AT}/ (never mounted)")
    seen = result.tokens()
    lines.append(f"VM       {result.firmware} ({result.accel}) {result.seconds:.1f} s from power-on to "
                 + ("power-off" if result.returncode == 0 else
                    f"{'exit ' + str(result.returncode) if result.returncode is not None else 'kill: ' + result.stopped}"))
    lines.append(f"marker   {'token ' + seen[0] if seen else 'NOT SEEN'}"
                 + (" (this run's config)" if seen == [token] else f" (expected {token})"))
    return lines


# -- kept labs ------------------------------------------------------------------------
def _is_ours(pid, needle):
    try:
        return needle in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def down(quiet=False):
    if not STATE.exists():
        if not quiet:
            print("demo: no kept lab (nothing in /run/pxdemo.json)")
        return 0
    state = json.loads(STATE.read_text())
    for p in state["processes"]:
        # Only the process groups the demo started, and only if they are still those programs.
        if _is_ours(p["pid"], p["program"]):
            try:
                os.killpg(p["pid"], signal.SIGTERM)
            except ProcessLookupError:
                pass
            for _ in range(50):
                if not _is_ours(p["pid"], p["program"]):
                    break
                time.sleep(0.1)
            else:
                os.killpg(p["pid"], signal.SIGKILL)
    for ns in reversed(state["namespaces"]):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    shutil.rmtree(state["workdir"], ignore_errors=True)
    STATE.unlink()
    print(f"demo: kept lab removed (pxed stopped, namespaces {', '.join(state['namespaces'])} deleted, "
          f"{state['workdir']} removed)")
    return 0


def keep_hints(state):
    srv_log = state["pxed_log"]
    client, lan = state["client_ns"], state["lan_ns"]
    return f"""
The lab keeps running: pxed (PID {state['processes'][0]['pid']}) in namespace {state['srv_ns']} at {e2e_lab.SERVER_IP},
a client namespace {client} at {CLIENT_IP}, the VM's bridge and tap in {lan}. Try:

  # what the VM booted, and why (every name its pxelinux asked, the config it got)
  {PXED_BIN} lookup -c {state['config']} --mac {MAC}
  # the config pxed generates for a machine it does not know (the client namespace)
  ip netns exec {client} curl -s {HTTP_BASE}/pxelinux.cfg/default
  # the ISO image's contents as a folder (never mounted)
  ip netns exec {client} curl -s {HTTP_BASE}{e2e_guest.ISO_AT}/boot/
  ip netns exec {client} curl -s -H 'Accept: application/json' {HTTP_BASE}{e2e_guest.ISO_AT}/boot/
  ip netns exec {client} curl -sI {HTTP_BASE}{e2e_guest.KERNEL_PATH}
  # the same tree over TFTP (the kernel too: the ISO is in the TFTP tree as well)
  ip netns exec {client} curl -s tftp://{e2e_lab.SERVER_IP}/pxelinux.cfg/default
  ip netns exec {client} tftp {e2e_lab.SERVER_IP} -m binary -c get lpxelinux.0 /tmp/lpxelinux.0
  ip netns exec {client} curl -s -o /tmp/vmlinuz --tftp-blksize 1468 tftp://{e2e_lab.SERVER_IP}{e2e_guest.KERNEL_PATH}
  # every machine and the stage its boot reached, live; its events as they happen (the JSON API)
  ip netns exec {state['srv_ns']} {PXED_BIN} status -c {state['config']} --watch
  ip netns exec {state['srv_ns']} {PXED_BIN} events -c {state['config']} -f
  ip netns exec {client} curl -s {HTTP_BASE}/api/v1/machines/{MAC}
  ip netns exec {client} curl -s {HTTP_BASE}/metrics
  # pxed's log, and its config
  tail -f {srv_log}
  cat {state['config']}
  # boot a second VM (a new MAC, so a new lease), streamed like the first
  scripts/demo --boot
  # or by hand, its serial console on this terminal (Ctrl-A X quits QEMU)
  ip netns exec {lan} {e2e_vm.QEMU} -machine pc,accel=tcg -m 512 -nographic -no-reboot -boot n \\
      -netdev tap,id=net0,ifname={e2e_lab.TAP},script=no,downscript=no \\
      -device virtio-net-pci,netdev=net0,mac=52:54:00:de:e0:99

Tear it all down:
  scripts/demo --down
"""


def boot_again():
    if not STATE.exists():
        sys.exit("demo: no kept lab; run scripts/demo --keep first")
    state = json.loads(STATE.read_text())
    if not _is_ours(state["processes"][0]["pid"], "pxed"):
        sys.exit("demo: the kept lab's pxed is not running; scripts/demo --down, then scripts/demo --keep")
    lab = e2e_lab.Lab(tag="demo", workdir=Path(state["workdir"]), lan_ns=state["lan_ns"],
                      srv_ns=state["srv_ns"])
    state["boots"] += 1
    mac = f"52:54:00:de:e0:{state['boots']:02x}"
    STATE.write_text(json.dumps(state, indent=1))
    say("demo", f"booting VM #{state['boots']} (MAC {mac}) in the kept lab, {state['accel']}")
    r = boot_streamed(lab, Path(state["pxed_log"]), state["accel"], mac)
    ok = state["token"] in r.tokens() and r.returncode == 0
    say("demo", f"{'booted' if ok else 'did NOT boot'} in {r.seconds:.1f} s ({r.summary()})")
    return 0 if ok else 1


# -- the demo -------------------------------------------------------------------------
def demo(keep):
    t0 = time.monotonic()
    if os.geteuid() != 0:
        sys.exit("demo: needs root (network namespaces, a tap for QEMU)")
    if STATE.exists():
        say("demo", "removing the lab a previous `scripts/demo --keep` left running")
        down(quiet=True)
    for ns in e2e_lab.run(["ip", "netns", "list"]).stdout.split("\n"):
        if ns.startswith(NS_PREFIX):  # a crashed run's namespace: ours by name, no process
            e2e_lab.run(["ip", "netns", "del", ns.split()[0]], check=False)

    say("demo", "guest OS: Debian's kernel + a busybox initramfs in an ISO image "
                f"(cached in {e2e_guest.CACHE}; the first run downloads ~70 MB)")
    vmlinuz = e2e_guest.kernel()
    initrd = e2e_guest.initrd()
    iso = e2e_guest.iso(vmlinuz, initrd)
    say("demo", f"ISO image {iso} ({iso.stat().st_size // 1024} KiB): /boot/vmlinuz, /boot/initrd.gz")

    workdir = Path(tempfile.mkdtemp(prefix="pxdemo-"))
    os.chmod(workdir, 0o755)
    token = f"demo-{secrets.token_hex(4)}"
    root = workdir / "tftpboot"
    write_tree(root)

    plan = e2e_dhcp.BootPlan(bios="lpxelinux.0", default="demo")
    provider = e2e_dhcp.PxedFull()
    lab = None
    kept = False
    result = None
    try:
        lab = e2e_lab.create(workdir)
        say("demo", f"lab: namespaces {', '.join(lab._made)}; pxed at {e2e_lab.SERVER_IP} "
                    f"on bridge {e2e_lab.BRIDGE} with tap {e2e_lab.TAP} for the VM")
        lab.start_pxed(PXED_BIN, root, {e2e_guest.ISO_AT: iso},
                       provider.pxed_toml(lab, plan) + "\n" + inventory(token))
        provider.start(lab, plan)
        config = workdir / "pxed.toml"
        say("demo", f"pxed runs in FULL DHCP mode (PID {lab.pxed.pid}) with {config}:")
        for line in config.read_text().splitlines():
            say("demo", "  " + line)
        Follower(lab.pxed.log_path, "pxed", keep=PXED_SHOWN, clean=clean_pxed).poll()
        say("demo", f"tree {root}: lpxelinux.0 and ldlinux.c32, nothing else; what the VM will get, "
                    f"as `pxed lookup -c {config} --mac {MAC}` explains it:")
        lookup = subprocess.run([str(PXED_BIN), "lookup", "-c", str(config), "--mac", MAC],
                                capture_output=True, text=True, timeout=30)
        for line in (lookup.stdout + lookup.stderr).splitlines():
            say("demo", "  " + line)
        say("demo", "booting a BIOS VM: SeaBIOS + iPXE ROM -> DHCP -> lpxelinux.0 (TFTP) -> "
                    "its generated pxelinux.cfg -> kernel + initrd (HTTP, out of the ISO)")
        result = boot_with_fallback(lab, lab.pxed.log_path, token, MAC)
        alive = lab.pxed.alive()
        time.sleep(0.2)
        say("demo", "summary:")
        for line in summarize(result, lab.pxed.log_text(), token, iso):
            say("demo", "  " + line)
        if alive:
            # What the JSON API (and the dashboard at /ui/) saw of the boot: the VM's stages.
            say("demo", f"as `pxed status -c {config}` shows it (the dashboard, {HTTP_BASE}/ui/, live):")
            status = subprocess.run(["ip", "netns", "exec", lab.srv_ns, str(PXED_BIN), "status", "-c", str(config)],
                                    capture_output=True, text=True, timeout=30)
            for line in (status.stdout + status.stderr).splitlines():
                say("demo", "  " + line)
        else:
            say("demo", "pxed died during the boot (see the log above)")
        ok = result.tokens() == [token] and result.returncode == 0 and alive
        if not ok:
            for line in result.qemu_log_tail(5).splitlines()[1:]:  # [0]: the command line
                say("qemu", line)
            say("demo", f"FAILED: {result.summary()}; console: {result.console_path}, "
                        f"pxed log: {lab.pxed.log_path}, qemu: {result.qemu_log_path}")
        if keep and alive:
            state = {"workdir": str(workdir), "namespaces": list(lab._made),
                     "lan_ns": lab.lan_ns, "srv_ns": lab.srv_ns, "client_ns": lab.dhcp_ns,
                     "processes": [{"pid": p.pid, "program": Path(p.argv[0]).name}
                                   for p in ([lab.pxed] + [q for q in lab.processes if q is not lab.pxed])
                                   if p.proc is not None],
                     "pxed_log": str(lab.pxed.log_path), "config": str(config),
                     "token": token, "accel": result.accel, "boots": 1}
            STATE.write_text(json.dumps(state, indent=1))
            kept = True
            print(keep_hints(state), flush=True)
        say("demo", f"{'ok' if ok else 'FAILED'}: {time.monotonic() - t0:.0f} s in all"
                    + ("" if kept else "; tearing down"))
        return 0 if ok else 1
    finally:
        if not kept:
            if lab is not None:
                e2e_lab.destroy(lab)
            if result is not None and not (result.tokens() == [token]):
                say("demo", f"kept {workdir} for a look (console, pxed and qemu logs)")
            else:
                shutil.rmtree(workdir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--keep", action="store_true", help="leave the lab and pxed running")
    g.add_argument("--boot", action="store_true", help="boot another VM in a kept lab")
    g.add_argument("--down", action="store_true", help="tear a kept lab down")
    args = ap.parse_args()
    if args.down:
        return down()
    if args.boot:
        return boot_again()
    return demo(args.keep)


def _interrupted(signum, frame):
    raise KeyboardInterrupt  # unwinds through the finally blocks that kill the VM and the lab


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGHUP, _interrupted)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\n[demo] interrupted: the VM, pxed and the lab are gone (--keep applies only to a finished boot)",
              flush=True)
        sys.exit(130)
