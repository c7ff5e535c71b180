"""pxed's memory with 1,000 TFTP transfers held open at once (the hardening issue:
"Each TFTP transfer holds 64 KiB (RSS 9 -> 75 MB at 1,000 transfers)").

Run as root (network namespaces): PXED_BIN=build/pxed /usr/bin/python3 bench/tftp_rss.py [N]
Starts pxed in a private lab (two namespaces, a veth pair, 10.241.x.0/24; removed afterwards),
then, for each case, opens N (default 1,000) transfers from N client sockets that never
acknowledge past the first block or window, and reads pxed's VmRSS before and at its peak
while they are all held (VmHWM too). Cases: no options (blksize 512, one block in flight);
blksize 1468 + windowsize 16 (a window of 16 blocks in flight, ACK 0 sent after the OACK).
Bounded: each case takes under 15 s (RRQs in batches of 50, a lost one sent again after 2 s,
all held 2 s); pxed is restarted between cases.
"""
import os
import resource
import select
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
import netlab  # noqa: E402
import tftp_raw  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
FILE = "big.bin"
CASE_DEADLINE = 12.0


def status_kib(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def sockets(pid):
    fds = Path(f"/proc/{pid}/fd")
    return sum(1 for fd in fds.iterdir() if os.readlink(fd).startswith("socket:"))


def run_case(lab, options):
    pid = lab.server.proc.pid
    before = status_kib(pid, "VmRSS")
    sockets_before = sockets(pid)
    start = time.monotonic()
    socks = []
    waiting = {}  # fd -> (socket, when its RRQ went out), still owed a first answer
    poller = select.poll()  # not select(): descriptors go past 1,024
    answered = refused = 0
    peak = before
    rrq = tftp_raw.request(tftp_raw.RRQ, FILE, options=options)

    def collect(timeout_ms):
        nonlocal answered, refused, peak
        for fd, _ in poller.poll(timeout_ms):
            s, _ = waiting.pop(fd)
            poller.unregister(fd)
            raw, peer = s.recvfrom(70000)
            p = tftp_raw.parse(raw)
            if p.op == tftp_raw.OACK:
                s.sendto(tftp_raw.ack(0), peer)  # the server then sends its first window
            if p.op in (tftp_raw.OACK, tftp_raw.DATA):
                answered += 1
            else:
                refused += 1
        peak = max(peak, status_kib(pid, "VmRSS"))

    try:
        # In batches: a burst of 1,000 RRQs overflows port 69's receive buffer,
        # and a lost one would be a transfer never opened.
        for i in range(N):
            s = lab.socket()
            s.setblocking(False)
            s.sendto(rrq, (lab.server_ip, 69))
            socks.append(s)
            waiting[s.fileno()] = (s, time.monotonic())
            poller.register(s.fileno(), select.POLLIN)
            if i % 50 == 49:
                collect(50)
        # First answers: DATA 1 (no options) or OACK; nothing is acknowledged
        # after that. An RRQ still unanswered after 2 s was lost: send it again,
        # as a client would.
        while waiting and time.monotonic() - start < CASE_DEADLINE:
            collect(200)
            now = time.monotonic()
            for fd, (s, sent) in list(waiting.items()):
                if now - sent > 2.0:
                    s.sendto(rrq, (lab.server_ip, 69))
                    waiting[fd] = (s, now)
        # Hold them all for 2 s (the server retransmits meanwhile), sampling.
        hold_until = time.monotonic() + 2.0
        while time.monotonic() < hold_until:
            peak = max(peak, status_kib(pid, "VmRSS"))
            time.sleep(0.05)
        hwm = status_kib(pid, "VmHWM")
        elapsed = time.monotonic() - start
        # One socket of its own per transfer pxed holds (RFC 1350: a fresh port each).
        held = sockets(pid) - sockets_before
    finally:
        for s in socks:
            s.close()
    return before, peak, hwm, held, answered, refused, elapsed


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, N + 256)), hard))
    work = Path(tempfile.mkdtemp(prefix="pxrss-"))
    root = work / "root"
    root.mkdir()
    (root / FILE).write_bytes(os.urandom(4 << 20))
    os.chmod(root / FILE, 0o644)
    os.chmod(root, 0o755)
    os.chmod(work, 0o755)
    lab = netlab.create_lab(work)
    cases = [("no options (blksize 512, window 1)", None),
             ("blksize 1468, windowsize 16", {"blksize": 1468, "windowsize": 16})]
    try:
        print(f"pxed {os.environ['PXED_BIN']}, {N} transfers held open, each client silent after its first answer")
        for name, options in cases:
            lab.server = netlab.ServerProcess(
                "pxed", lab, root, pxed_bin=Path(os.environ["PXED_BIN"]),
                server_overrides={"state_dir": str(work / "state"), "log_level": "info"},
                tftp_overrides={"max_transfers": N + 24, "max_transfers_per_client": N + 24,
                                "blksize_max": 1468})
            lab.server.start()
            time.sleep(0.5)  # let start-up allocations settle before "before"
            before, peak, hwm, held, answered, refused, elapsed = run_case(lab, options)
            lab.server.stop()
            per = (peak - before) / max(held, 1)
            print(f"{name}: VmRSS before {before / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB "
                  f"(VmHWM {hwm / 1024:.1f} MiB), +{per:.1f} KiB per transfer; {held} transfers held "
                  f"({answered} clients answered, {refused} refused), {elapsed:.1f} s")
    finally:
        netlab.destroy_lab(lab)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
