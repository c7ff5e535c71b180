"""What 100 dashboard viewers cost the boot path (the observability issue: "1,000 machines and
100 dashboard viewers cost serving nothing measurable: bench it").

Run as root (network namespaces): PXED_BIN=build/pxed /usr/bin/python3 bench/sse_cost.py [RUNS]
Starts pxed in a private lab (two namespaces, a veth pair, 10.241.x.0/24; removed afterwards),
pinned to CPU 0; this script (the clients) runs on CPU 1. Each run is DURATION seconds of HTTP
GETs of a 16 KiB file over keep-alive connections from CLIENTS threads, every GET one
http.request event, in three cases, interleaved run by run:
  none      no event stream open;
  every     100 /api/v1/events/stream subscribers, each reading every event as it comes;
  filtered  100 subscribers of ?kind=machine.stage (what a boot dashboard follows), reading;
  stalled   100 subscribers of every event that never read: pxed drops each 1,024 events behind;
  dashboard 100 viewers doing what src/api/ui/app.js does: a stream of every kind but the
            one-per-file tftp.done and http.request, and every 2 s /api/v1/machines?changed_since=
            and /api/v1/traffic (no machine boots here: the row reads are empty).
It reports, per case, the medians of GETs/s and of pxed's CPU time per GET (utime + stime from
/proc), and their ratios to "none". Bounded: RUNS x 3 x (DURATION + ~2) seconds.
"""
import os
import re
import selectors
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
import netlab  # noqa: E402

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
DURATION = 5.0
CLIENTS = 4
SUBSCRIBERS = 100
FILE = "config.bin"
SERVER_CPU, CLIENT_CPU = 0, 1
POLL_SECONDS = 2.0
# The dashboard's stream: every kind but the one-per-file ones (app.js's FOLLOWED).
KINDS = re.findall(r'\{Kind::\w+, "([a-z]+\.[a-z_-]+)"',
                   (Path(__file__).resolve().parents[1] / "src" / "events" / "kind.cpp").read_text())
FOLLOWED = "?level=info&kind=" + ",".join(k for k in KINDS if k not in ("http.request", "tftp.done"))


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def get(s, request, buf):
    """One whole response on a keep-alive connection: (its body, what came after it)."""
    s.sendall(request)
    while b"\r\n\r\n" not in buf:
        buf += s.recv(65536)
    head, _, buf = buf.partition(b"\r\n\r\n")
    length = int(next(l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:"))
                 .split(b":")[1])
    while len(buf) < length:
        buf += s.recv(65536)
    return buf[:length], buf[length:]


def get_loop(lab, stop, counts, i):
    s = lab.tcp_connect(80)
    request = f"GET /{FILE} HTTP/1.1\r\nHost: {lab.server_ip}\r\n\r\n".encode()
    buf = b""
    n = 0
    try:
        while not stop.is_set():
            _, buf = get(s, request, buf)
            n += 1
    finally:
        counts[i] = n
        s.close()


def open_subscribers(lab, case):
    subs = []
    query = {"filtered": "?kind=machine.stage", "dashboard": FOLLOWED}.get(case, "")
    for _ in range(SUBSCRIBERS):
        s = lab.tcp_connect(80)
        if case == "stalled":
            # A small receive buffer: a viewer that stopped reading fills it fast.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(f"GET /api/v1/events/stream{query} HTTP/1.1\r\nHost: {lab.server_ip}\r\n\r\n".encode())
        subs.append(s)
    return subs


def drain(subs, stop, received):
    sel = selectors.DefaultSelector()
    for s in subs:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    while not stop.is_set():
        for key, _ in sel.select(0.1):
            try:
                data = key.fileobj.recv(65536)
            except OSError:
                data = b""
            if not data:
                sel.unregister(key.fileobj)
            received[0] += len(data)
    sel.close()


def poll(lab, stop):
    """Each viewer's reads every POLL_SECONDS, as the page makes them (keep-alive, one per viewer)."""
    conns = [lab.tcp_connect(80) for _ in range(SUBSCRIBERS)]
    since = [0] * SUBSCRIBERS
    try:
        while not stop.wait(POLL_SECONDS / SUBSCRIBERS):
            for i, s in enumerate(conns):
                if stop.is_set():
                    break
                for path in (f"/api/v1/machines?changed_since={since[i]}", "/api/v1/traffic"):
                    body, _ = get(s, f"GET {path} HTTP/1.1\r\nHost: {lab.server_ip}\r\n\r\n".encode(), b"")
                    if path.startswith("/api/v1/machines"):
                        found = re.search(rb'"now_ms":(\d+)', body)
                        since[i] = int(found.group(1)) if found else since[i]
                stop.wait(POLL_SECONDS / SUBSCRIBERS)
    finally:
        for s in conns:
            s.close()


def run_case(lab, case):
    pid = lab.server.proc.pid
    subs = open_subscribers(lab, case) if case != "none" else []
    stop_drain = threading.Event()
    received = [0]
    drainer = None
    if case in ("every", "filtered", "dashboard"):
        drainer = threading.Thread(target=drain, args=(subs, stop_drain, received))
        drainer.start()
    poller = threading.Thread(target=poll, args=(lab, stop_drain)) if case == "dashboard" else None
    if poller:
        poller.start()
    time.sleep(0.3)  # the streams are open before the clock starts
    stop = threading.Event()
    counts = [0] * CLIENTS
    threads = [threading.Thread(target=get_loop, args=(lab, stop, counts, i)) for i in range(CLIENTS)]
    cpu0 = cpu_seconds(pid)
    t0 = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(DURATION)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    cpu = cpu_seconds(pid) - cpu0
    stop_drain.set()
    if drainer:
        drainer.join()
    if poller:
        poller.join()
    for s in subs:
        s.close()
    gets = sum(counts)
    return gets / elapsed, cpu / max(gets, 1) * 1e6, received[0]


def main():
    os.sched_setaffinity(0, {CLIENT_CPU})
    work = Path(tempfile.mkdtemp(prefix="pxsse-"))
    root = work / "root"
    root.mkdir()
    (root / FILE).write_bytes(os.urandom(16 << 10))
    for p in (root / FILE, root, work):
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    lab = netlab.create_lab(work)
    results = {"none": [], "every": [], "filtered": [], "stalled": [], "dashboard": []}
    try:
        lab.server = netlab.ServerProcess(
            "pxed", lab, root, pxed_bin=Path(os.environ["PXED_BIN"]),
            server_overrides={"state_dir": str(work / "state"), "log_level": "info"},
            http_overrides={"max_connections": 1024, "max_connections_per_client": 1024},
            extra_toml=f"[api]\nmax_streams = {SUBSCRIBERS + 8}\n")
        lab.server.start()
        netlab.run(["taskset", "-a", "-p", "-c", str(SERVER_CPU), str(lab.server.proc.pid)])
        print(f"pxed {os.environ['PXED_BIN']} on CPU {SERVER_CPU}; {CLIENTS} keep-alive clients on CPU "
              f"{CLIENT_CPU} GET a 16 KiB file for {DURATION:.0f} s per run; {RUNS} runs per case, interleaved")
        for run in range(RUNS):
            for case in results:
                rate, cpu_us, received = run_case(lab, case)
                results[case].append((rate, cpu_us))
                print(f"  run {run + 1} {case:8} {rate:8.0f} GET/s  {cpu_us:6.1f} us CPU/GET"
                      f"  ({received / 1e6:.1f} MB streamed)", file=sys.stderr)
        base_rate = statistics.median(r for r, _ in results["none"])
        base_cpu = statistics.median(c for _, c in results["none"])
        print()
        print("| case | GET/s (median) | pxed CPU per GET | GET/s vs none | CPU/GET vs none |")
        print("|---|---|---|---|---|")
        for case, rows in results.items():
            rate = statistics.median(r for r, _ in rows)
            cpu = statistics.median(c for _, c in rows)
            print(f"| {case} | {rate:.0f} | {cpu:.1f} us | {rate / base_rate:.2f}x | {cpu / base_cpu:.2f}x |")
    finally:
        if getattr(lab, "server", None):
            lab.server.stop()
        netlab.destroy_lab(lab)


if __name__ == "__main__":
    main()
