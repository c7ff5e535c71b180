"""Nothing one client asks for stalls the others (issue 11, "Nothing blocks the
event loop"): while attackers do the most expensive thing each protocol
allows, a DHCP DISCOVER, a TFTP RRQ and an HTTP GET from another client are
each answered within 50 ms.

The attackers run as their own processes (no GIL shared with the timing):
- TFTP: netascii RRQs with tsize of a 2 GiB sparse file, one after another
  (pxed used to read the whole file for its size first: seconds per request);
- HTTP: lookups in a hostile ISO image (links looping through a big
  directory, a listing of links into it), and a 2 GiB sparse file streamed;
- HTTP: listings of a plain directory of 20,000 names (half of them links),
  several at once from one client (a readdir and an fstatat per name, on
  the loop before).
One lab of two namespaces; pxed in ProxyDHCP mode answers the DISCOVERs itself.
"""
import os
import select
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import time

import pytest

import netlab
import tftp_raw
from suite import PXED_BIN

pytestmark = [
    pytest.mark.pxed_only("DHCP and HTTP are pxed's own"),
    pytest.mark.skipif(shutil.which("xorriso") is None, reason="xorriso not installed"),
]

LIMIT_MS = 50
# Which attackers run (one process each); PXED_LOOP_ATTACKERS=tftp,iso narrows
# it down when measuring which one costs what.
ATTACKERS = os.environ.get("PXED_LOOP_ATTACKERS", "tftp,tftpstream,iso,iso,bulk").split(",")
SAMPLES = 8
MANY_FILES = 20000
BIG = 2 << 30  # sparse: no disk blocks, so the test costs no disk
SECTOR = 2048
CLIENT_MAC = "52:54:00:0b:00:01"


def _both32(value):
    return struct.pack("<I", value) + struct.pack(">I", value)


def _records(data):
    """(offset, record bytes) of each directory record in an extent (ECMA-119 9.1)."""
    pos = 0
    while pos < len(data):
        length = data[pos]
        if length == 0:  # padding to the next sector
            pos = (pos // SECTOR + 1) * SECTOR
            continue
        yield pos, data[pos:pos + length]
        pos += length


def hostile_iso(workdir):
    """An image whose lookups loop through a directory too big for pxed's cache.

    xorriso writes a small image ("big" of 400 names, links here -> . and
    up -> .. in it, links/ of 500 links through big, loop-a <-> loop-b); then
    big's extent is moved to the end and its name sectors repeated to ~150k
    entries (xorriso itself would take minutes for that many files).
    """
    src = workdir / "loop-iso-src"
    big = src / "big"
    big.mkdir(parents=True)
    for i in range(400):
        (big / f"file-with-a-long-name-to-fill-the-directory-{i:05d}").write_bytes(b"x")
    os.symlink(".", big / "here")
    os.symlink("..", big / "up")
    (src / "links").mkdir()
    for i in range(500):
        os.symlink("../big/here/up/big/file-with-a-long-name-to-fill-the-directory-00001",
                   src / "links" / f"l{i}")
    os.symlink("loop-b", src / "loop-a")
    os.symlink("loop-a", src / "loop-b")
    iso = workdir / "loop.iso"
    subprocess.run(["xorriso", "-as", "mkisofs", "-R", "-o", str(iso), str(src)],
                   check=True, capture_output=True)
    shutil.rmtree(src)

    image = bytearray(iso.read_bytes())
    pvd = 16 * SECTOR
    root_lba, root_len = struct.unpack_from("<I", image, pvd + 156 + 2)[0], struct.unpack_from("<I", image, pvd + 156 + 10)[0]
    root = image[root_lba * SECTOR:root_lba * SECTOR + root_len]
    where = next(root_lba * SECTOR + off for off, rec in _records(root)
                 if rec[25] & 2 and rec[33:33 + rec[32]].upper() == b"BIG")
    big_lba, big_len = struct.unpack_from("<I", image, where + 2)[0], struct.unpack_from("<I", image, where + 10)[0]
    sectors = [bytes(image[(big_lba + i) * SECTOR:(big_lba + i + 1) * SECTOR]) for i in range(big_len // SECTOR)]
    assert len(sectors) > 4, len(sectors)
    copies = 375  # each copy of the name sectors holds about the 400 names: ~150k entries
    extent = bytearray(sectors[0]) + b"".join(sectors[1:]) * copies
    new_lba = (len(image) + SECTOR - 1) // SECTOR
    image.extend(b"\0" * (new_lba * SECTOR - len(image)))
    image.extend(extent)
    for at in (where, new_lba * SECTOR):  # big's record in the root, then its own "." record
        image[at + 2:at + 10] = _both32(new_lba)
        image[at + 10:at + 18] = _both32(len(extent))
    image[pvd + 80:pvd + 88] = _both32(len(image) // SECTOR)
    iso.write_bytes(image)
    os.chmod(iso, 0o644)
    return iso


@pytest.fixture(scope="module")
def lab(workdir, server_kind):
    root = workdir / "loop-root"
    root.mkdir()
    with open(root / "big-sparse.txt", "wb") as f:
        f.truncate(BIG)
    (root / "small.bin").write_bytes(os.urandom(1000))
    (root / "cold.bin").write_bytes(os.urandom(3 * (1 << 20) + 123))
    for p in root.iterdir():
        os.chmod(p, 0o644)
    many = root / "many"
    many.mkdir()
    for i in range(MANY_FILES):
        if i % 2:
            # As in a mirror's tree: every other name a link (listed as what
            # it points to, which costs a walk from the root each).
            os.symlink(f"installer-file-{i - 1:05d}.bin", many / f"installer-link-{i:05d}.bin")
        else:
            os.close(os.open(many / f"installer-file-{i:05d}.bin", os.O_CREAT | os.O_WRONLY, 0o644))
    os.chmod(many, 0o755)
    os.chmod(root, 0o755)
    iso = hostile_iso(workdir)
    lab = netlab.create_lab(workdir)
    proxy = '\n[dhcp]\nmode = "proxy"\n\n[boot]\nbios = "lpxelinux.0"\n'
    try:
        lab.server = netlab.ServerProcess(
            "pxed", lab, root, pxed_bin=PXED_BIN,
            server_overrides={"interfaces": ["pxs0"], "state_dir": str(workdir / f"state-{lab.tag}")},
            http_overrides={}, files_extra=["[[files.mount]]", 'at = "/bad"', f'iso = "{iso}"'],
            extra_toml=proxy)
        lab.server.start()
        yield lab
        rc = lab.server.proc.poll()
        # The last test stops pxed itself; anything else ending it is a crash.
        assert rc is None or getattr(lab, "stopped", False), f"pxed exited with {rc}\n{lab.server.log_tail(60)}"
    finally:
        netlab.destroy_lab(lab)
        (root / "big-sparse.txt").unlink(missing_ok=True)
        iso.unlink(missing_ok=True)


# One attacker process: loops until killed (the test kills it by its PID).
ATTACK = r"""
import socket, struct, sys, time, urllib.request
kind, server = sys.argv[1], sys.argv[2]
hop = "big/here/up/" * 19  # 38 links: within the 40 a lookup may follow
paths = ["/bad/" + hop + "big/file-with-a-long-name-to-fill-the-directory-00002",
         "/bad/links/", "/bad/loop-a", "/bad/big/file-with-a-long-name-to-fill-the-directory-00003"]
deadline = time.monotonic() + 60  # bounded even if nobody kills it
LISTERS = 8
i = 0
while time.monotonic() < deadline:
    i += 1
    if i == 1 and kind != "listing":
        print("started", flush=True)
    if kind == "tftp":
        # A fresh netascii request with tsize, aborted once answered. Paced:
        # the cost of one request is the point here, floods are another test's.
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"\0\1big-sparse.txt\0netascii\0tsize\0" b"0\0", (server, 69))
        s.settimeout(5)
        try:
            _, peer = s.recvfrom(70000)
            s.sendto(b"\0\5\0\0abort\0", peer)
        except OSError:
            pass
        s.close()
        time.sleep(0.01)
    elif kind == "tftpstream":
        # One netascii transfer of the 2 GiB file, every block acknowledged.
        if i == 1:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(5)
            s.sendto(b"\0\1big-sparse.txt\0netascii\0blksize\0" b"65464\0", (server, 69))
            block = 0
        try:
            data, peer = s.recvfrom(70000)
            if data[:2] == b"\0\3":
                block = struct.unpack("!H", data[2:4])[0]
            s.sendto(struct.pack("!HH", 4, block), peer)
        except OSError:
            pass
    elif kind == "iso":
        try:
            urllib.request.urlopen(f"http://{server}" + paths[i % len(paths)], timeout=5).read()
        except Exception:
            pass
        time.sleep(0.01)
    elif kind == "listing":
        # One client, as a mirror script would: several listings in flight,
        # back to back, so one is always waiting. Listed one at a time, the
        # loop idled between them and best-of-5 timing found the gaps: 25-40
        # ms per listing on the loop passed unseen.
        if i == 1:
            import threading
            listed = threading.Event()
            def lister():
                while time.monotonic() < deadline:
                    try:
                        urllib.request.urlopen(f"http://{server}/many/", timeout=5).read()
                        listed.set()
                    except Exception:
                        pass
            for _ in range(LISTERS):
                threading.Thread(target=lister, daemon=True).start()
            listed.wait(10)  # in full swing before the others are timed
            print("started", flush=True)
        time.sleep(0.1)
    elif kind == "bulk":
        try:
            with urllib.request.urlopen(f"http://{server}/big-sparse.txt", timeout=5) as r:
                while r.read(1 << 20):
                    if time.monotonic() > deadline:
                        break
        except Exception:
            pass
"""


def discover_bytes():
    from scapy.layers.dhcp import BOOTP, DHCP
    from scapy.utils import mac2str
    xid = int.from_bytes(os.urandom(4), "big")
    packet = BOOTP(op=1, chaddr=mac2str(CLIENT_MAC) + b"\0" * 10, xid=xid, flags=0x8000) / DHCP(options=[
        ("message-type", "discover"), ("vendor_class_id", b"PXEClient:Arch:00000:UNDI:002001"),
        (93, b"\0\0"), "end"])
    return bytes(packet), xid


def time_dhcp(lab):
    payload, xid = discover_bytes()
    s = netlab.socket_in(lab.client_ns)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"pxc0")
        s.bind(("0.0.0.0", 68))
        s.settimeout(2)
        start = time.monotonic()
        s.sendto(payload, ("255.255.255.255", 67))
        while True:
            data = s.recv(4096)
            if len(data) > 8 and data[0] == 2 and int.from_bytes(data[4:8], "big") == xid:
                return (time.monotonic() - start) * 1000
    finally:
        s.close()


def time_tftp(lab):
    c = tftp_raw.RawClient(lab.socket(), lab.server_ip)
    try:
        start = time.monotonic()
        c.rrq("small.bin")
        p = c.expect(2)
        elapsed = (time.monotonic() - start) * 1000
        assert p.op == tftp_raw.DATA, p
        c.send(tftp_raw.ack(1))
        return elapsed
    finally:
        c.close()


def time_http(lab):
    start = time.monotonic()
    s = lab.tcp_connect(80, timeout=2)
    try:
        s.sendall(f"GET /small.bin HTTP/1.1\r\nHost: {lab.server_ip}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        elapsed = (time.monotonic() - start) * 1000
        assert data.startswith(b"HTTP/1.1 200"), data[:80]
        assert len(data.split(b"\r\n\r\n", 1)[1]) == 1000
        return elapsed
    finally:
        s.close()


def time_others_while(lab, kinds, rounds=SAMPLES, pause=0.0):
    """Samples DHCP, TFTP and HTTP answers while one process per kind attacks; fails past LIMIT_MS."""
    # The attackers stand for other machines: on this machine they must not
    # take the CPU from pxed's loop or from the timing (nor may the CI's
    # other builds), or the test would measure the scheduler, not the loop.
    attackers = [lab.client_popen(["nice", "-n", "19", sys.executable, "-c", ATTACK, kind, lab.server_ip],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                 for kind in kinds]
    loop_nice = os.getpriority(os.PRIO_PROCESS, lab.server.proc.pid)
    own_nice = os.getpriority(os.PRIO_PROCESS, 0)
    os.setpriority(os.PRIO_PROCESS, lab.server.proc.pid, -10)  # the loop thread only (its TID is the PID)
    os.setpriority(os.PRIO_PROCESS, 0, -10)
    try:
        # Each attacker says when its first attack is done (or timed out).
        for proc in attackers:
            ready, _, _ = select.select([proc.stdout], [], [], 15)
            line = proc.stdout.readline() if ready else b"(nothing in 15 s)"
            assert line == b"started\n", f"an attacker did not start: {line!r} {proc.poll()}"
        # A sample is the best of up to 5 tries 50 ms apart: a busy CI
        # machine's scheduler can delay one answer by tens of ms, while a loop
        # stalled on a disk read or a hostile image (seconds, before) fails
        # every try.
        samples = {"dhcp": [], "tftp": [], "http": []}
        timers = {"dhcp": time_dhcp, "tftp": time_tftp, "http": time_http}
        for _ in range(rounds):
            time.sleep(pause)  # spread over the attack, not one burst at its start
            for kind, timer in timers.items():
                tries = []
                while len(tries) < 5 and (not tries or min(tries) > LIMIT_MS):
                    if tries:
                        time.sleep(0.05)  # out of the scheduler's burst; a stalled loop stays stalled
                    tries.append(timer(lab))
                samples[kind].append(min(tries))
        for kind, ms in samples.items():
            print(f"{kind}: max {max(ms):.1f} ms median {statistics.median(ms):.1f} ms")
        for proc in attackers:
            assert proc.poll() is None, "an attacker exited early"
        slow = {k: [round(x, 1) for x in v] for k, v in samples.items() if max(v) > LIMIT_MS}
        assert not slow, f"answers slower than {LIMIT_MS} ms while under attack: {slow}\n{lab.server.log_tail(30)}"
    finally:
        os.setpriority(os.PRIO_PROCESS, 0, own_nice)
        os.setpriority(os.PRIO_PROCESS, lab.server.proc.pid, loop_nice)
        for proc in attackers:
            try:
                os.killpg(proc.pid, 9)  # its own session: ip netns exec and the python under it
            except ProcessLookupError:
                pass
            proc.wait(timeout=5)


def test_others_are_answered_within_50ms_while_attackers_do_the_worst(lab):
    time_others_while(lab, ATTACKERS)


def test_others_are_answered_within_50ms_while_one_client_lists_a_huge_directory(lab):
    # A plain directory, not an image: read (a readdir and an fstatat per
    # name, a walk per link) by a worker. On the loop, answers took up to
    # 75-130 ms (HTTP) and 50-85 ms (DHCP, TFTP) here; on a worker, under 10.
    start = time.monotonic()
    time_others_while(lab, ["listing"], rounds=20, pause=0.1)
    assert time.monotonic() - start < 20


def test_netascii_of_a_huge_file_starts_at_once_without_tsize(lab):
    # RFC 2349 lets a server leave tsize out; pxed does for netascii rather
    # than read the whole file first (it took seconds for 2 GiB, all protocols stalled).
    c = tftp_raw.RawClient(lab.socket(), lab.server_ip)
    try:
        start = time.monotonic()
        c.rrq("big-sparse.txt", mode="netascii", options={"tsize": 0, "blksize": 1024})
        oack = c.expect(2)
        elapsed = (time.monotonic() - start) * 1000
        assert oack.op == tftp_raw.OACK and oack.options == {"blksize": "1024"}, oack
        assert elapsed < LIMIT_MS, f"OACK after {elapsed:.1f} ms"
        c.send(tftp_raw.ack(0))
        first = c.expect(2)
        assert first.op == tftp_raw.DATA and first.block == 1 and first.data == b"\0" * 1024, first
        c.send(tftp_raw.error(0, "enough"))
    finally:
        c.close()


def evict_from_page_cache(path):
    """Make a file cold: its clean pages leave the page cache (this file only)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fdatasync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


@pytest.mark.parametrize("mode", ["octet", "netascii"])
def test_a_cold_file_is_read_on_a_worker_and_arrives_intact(lab, mode):
    # Out of the page cache, its blocks cannot be read without waiting for the
    # disk: the loop's RWF_NOWAIT read says EAGAIN and a worker reads them.
    path = lab.server.root / "cold.bin"
    evict_from_page_cache(path)
    mark = lab.server.mark()
    c = tftp_raw.RawClient(lab.socket(), lab.server_ip)
    try:
        data, first, _ = c.fetch("cold.bin", mode=mode, options={"blksize": 1468, "windowsize": 8})
    finally:
        c.close()
    want = path.read_bytes()
    if mode == "netascii":
        want = want.replace(b"\r", b"\r\0").replace(b"\n", b"\r\n")
    assert data == want, (first, len(data or b""), len(want))
    done = lab.server.wait_event("tftp.done", since=mark, file="cold.bin")
    assert done.fields["result"] == "ok", done.line


def test_a_cold_file_over_http_is_read_in_by_a_worker_and_arrives_intact(lab, tmp_path):
    # sendfile of pages not in the cache would wait for the disk on the loop:
    # pxed sees them missing (mincore) and has a worker read them in first.
    path = lab.server.root / "cold.bin"
    evict_from_page_cache(path)
    out = tmp_path / "cold.bin"
    r = netlab.curl_http(lab, "/cold.bin", out=out)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == path.read_bytes()


def test_a_lookup_that_loops_is_refused(lab):
    # 40 links deep is Linux's MAXSYMLINKS; this path walks 1000 link hops
    # through the big directory: refused as too costly, not walked.
    mark = lab.server.mark()
    path = "/bad/" + "big/here/up/" * 500 + "big/file-with-a-long-name-to-fill-the-directory-00002"
    r = netlab.curl_http(lab, path, "-o", "/dev/null", "-w", "%{http_code}")
    assert r.stdout.strip() in ("404", "500"), r.stdout
    e = lab.server.wait_event("http.request", since=mark)
    assert e.fields.get("status") in ("404", "500"), e.line


def test_sigterm_is_answered_within_a_second_during_hostile_lookups(lab):
    # Last in the module: it stops pxed. Workers in the middle of a lookup
    # give up between two reads; queued lookups are dropped.
    attackers = [lab.client_popen([sys.executable, "-c", ATTACK, "iso", lab.server_ip],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) for _ in range(3)]
    try:
        for proc in attackers:
            ready, _, _ = select.select([proc.stdout], [], [], 15)
            assert ready and proc.stdout.readline() == b"started\n", "an attacker did not start"
        lab.stopped = True
        start = time.monotonic()
        lab.server.proc.send_signal(15)
        rc = lab.server.proc.wait(timeout=5)
        elapsed = time.monotonic() - start
        assert rc == 0 and elapsed < 1.0, f"rc={rc} after {elapsed:.2f} s\n{lab.server.log_tail(20)}"
    finally:
        for proc in attackers:
            try:
                os.killpg(proc.pid, 9)
            except ProcessLookupError:
                pass
            proc.wait(timeout=5)
