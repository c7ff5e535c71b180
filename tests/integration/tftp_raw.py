"""A tiny raw-UDP TFTP client for exact protocol checks (RFC 1350, 2347-2349, 7440).

Real clients hide what the server sent; this one shows every packet so tests can
assert error codes, OACK contents and how many DATA packets arrived.
"""
import select
import struct
import time
from dataclasses import dataclass, field

RRQ, WRQ, DATA, ACK, ERROR, OACK = 1, 2, 3, 4, 5, 6


@dataclass
class Packet:
    op: int
    block: int = 0          # DATA, ACK
    data: bytes = b""       # DATA payload
    code: int = 0           # ERROR
    message: str = ""       # ERROR
    options: dict = field(default_factory=dict)  # OACK, lower-case names

    def __repr__(self):
        if self.op == DATA:
            return f"DATA({self.block}, {len(self.data)} bytes)"
        if self.op == ACK:
            return f"ACK({self.block})"
        if self.op == ERROR:
            return f"ERROR({self.code}, {self.message!r})"
        if self.op == OACK:
            return f"OACK({self.options})"
        return f"Packet(op={self.op})"


def _b(s):
    return s if isinstance(s, bytes) else s.encode()


def request(op, filename, mode="octet", options=None):
    out = struct.pack("!H", op) + _b(filename) + b"\0" + _b(mode) + b"\0"
    for k, v in (options or {}).items():
        out += _b(k) + b"\0" + _b(str(v)) + b"\0"
    return out


def ack(block):
    return struct.pack("!HH", ACK, block & 0xFFFF)


def error(code, message="test"):
    return struct.pack("!HH", ERROR, code) + _b(message) + b"\0"


def parse(raw):
    if len(raw) < 2:
        raise ValueError(f"short packet {raw!r}")
    op = struct.unpack("!H", raw[:2])[0]
    if op in (DATA, ACK):
        if len(raw) < 4:
            raise ValueError(f"short DATA/ACK {raw!r}")
        return Packet(op, block=struct.unpack("!H", raw[2:4])[0], data=raw[4:])
    if op == ERROR:
        if len(raw) < 4:
            raise ValueError(f"short ERROR {raw!r}")
        msg = raw[4:].split(b"\0", 1)[0].decode(errors="replace")
        return Packet(op, code=struct.unpack("!H", raw[2:4])[0], message=msg)
    if op == OACK:
        parts = raw[2:].split(b"\0")
        if parts and parts[-1] == b"":
            parts.pop()
        if len(parts) % 2:
            raise ValueError(f"OACK with odd field count {raw!r}")
        opts = {parts[i].decode().lower(): parts[i + 1].decode() for i in range(0, len(parts), 2)}
        return Packet(op, options=opts)
    return Packet(op)


class RawClient:
    """One transfer's client side: the socket is the client's TID."""

    def __init__(self, sock, server_ip, port=69):
        self.sock = sock
        self.server = (server_ip, port)
        self.peer = None  # the server's transfer address, learned from its first reply

    def close(self):
        self.sock.close()

    def send(self, raw, to=None):
        self.sock.sendto(raw, to or self.peer or self.server)

    def recv(self, timeout=2.0):
        """(Packet, address) or None when nothing arrives before the timeout."""
        ready, _, _ = select.select([self.sock], [], [], max(timeout, 0))
        if not ready:
            return None
        raw, addr = self.sock.recvfrom(70000)
        if self.peer is None:
            self.peer = addr
        return parse(raw), addr

    def recv_all(self, window):
        """Every packet arriving within `window` seconds."""
        out, deadline = [], time.monotonic() + window
        while (got := self.recv(deadline - time.monotonic())) is not None:
            out.append(got[0])
        return out

    def expect(self, timeout=2.0):
        got = self.recv(timeout)
        assert got is not None, f"no reply from the server within {timeout}s"
        return got[0]

    def rrq(self, filename, mode="octet", options=None):
        self.send(request(RRQ, filename, mode, options), to=self.server)

    def fetch(self, filename, mode="octet", options=None, timeout=2.0, deadline=60.0):
        """A whole read (lockstep or windowed), returning (bytes, first reply, stats).

        Block numbers are tracked modulo 2^16 so the rollover 65535 -> 0 works; the
        stats say what the block after 65535 was numbered.
        """
        self.rrq(filename, mode, options)
        first = self.expect(timeout)
        blksize, window = 512, 1
        if first.op == ERROR:
            return None, first, {}
        if first.op == OACK:
            blksize = int(first.options.get("blksize", 512))
            window = int(first.options.get("windowsize", 1))
            self.send(ack(0))
            pkt = None
        else:
            pkt = first
        chunks, expected, stats = [], 1, {"after_65535": None, "data_packets": 0}
        end = time.monotonic() + deadline
        in_window = 0
        while time.monotonic() < end:
            if pkt is None:
                got = self.recv(timeout)
                if got is None:
                    # Ask again for what we are missing (RFC 7440 §4: re-ACK last good).
                    self.send(ack(expected - 1))
                    continue
                pkt = got[0]
            if pkt.op == ERROR:
                return None, pkt, stats
            if pkt.op != DATA:
                pkt = None
                continue
            stats["data_packets"] += 1
            if expected == 65536 and stats["after_65535"] is None and pkt.block != 65535:
                stats["after_65535"] = pkt.block  # 0 is the usual rollover, 1 the other
            if pkt.block == expected & 0xFFFF:
                chunks.append(pkt.data)
                in_window += 1
                last = len(pkt.data) < blksize
                if last or in_window >= window:
                    self.send(ack(pkt.block))
                    in_window = 0
                if last:
                    return b"".join(chunks), first, stats
                expected += 1
            elif window > 1 and pkt.block != (expected - 1) & 0xFFFF:
                # Out of order inside a window: ACK what we have, the server resends.
                self.send(ack(expected - 1))
                in_window = 0
            pkt = None
        raise TimeoutError(f"transfer of {filename!r} not finished in {deadline}s: "
                           f"waiting for block {expected} (wire {expected & 0xFFFF}), {stats}")
