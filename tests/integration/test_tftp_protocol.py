"""Protocol details seen packet by packet through the raw client."""
import hashlib
import time

import pytest

import tftp_raw
from suite import NETASCII_TEXT, SERVER_KIND, netascii
from netlab import sha256_file

# A retransmit floor well above Python's reaction time, so that a packet counted
# twice here is a real duplicate and not a retransmission after a slow ACK.
PXED_TFTP = {"retransmit_min": "500ms", "retransmit_max": "2s", "idle_timeout": "3s"}

FILE = "sub/dir/random-1m.bin"


def test_no_options_means_no_oack_and_512_byte_blocks(raw):
    c = raw()
    c.rrq(FILE)
    p = c.expect()
    assert p.op == tftp_raw.DATA and p.block == 1, f"expected DATA 1, got {p}"
    assert len(p.data) == 512


def test_mode_and_option_names_are_case_insensitive(raw, tree):
    # RFC 1350 §5 (mode) and RFC 2347 (option names) are case-insensitive.
    data, first, _ = raw().fetch("exact-1468x4.bin", mode="OcTeT",
                                 options={"BlkSize": 1468})
    assert first.op == tftp_raw.OACK and first.options.get("blksize") == "1468", first
    assert data == (tree / "exact-1468x4.bin").read_bytes()


def test_blksize_and_tsize_are_acknowledged(raw, tree):
    c = raw()
    c.rrq(FILE, options={"blksize": 1468, "tsize": 0})
    p = c.expect()
    size = (tree / FILE).stat().st_size
    assert p.op == tftp_raw.OACK, f"expected OACK, got {p}"
    assert p.options == {"blksize": "1468", "tsize": str(size)}, p.options
    c.send(tftp_raw.ack(0))
    d = c.expect()
    assert d.op == tftp_raw.DATA and d.block == 1 and len(d.data) == 1468, d


def test_only_requested_options_are_acknowledged(raw):
    # RFC 2347: the OACK holds only options the client asked for; unknown ones are
    # dropped, and with nothing left to acknowledge the answer is plain DATA 1.
    c = raw()
    c.rrq(FILE, options={"tsize": 0, "x-unknown": "1"})
    p = c.expect()
    assert p.op == tftp_raw.OACK and set(p.options) == {"tsize"}, p
    c2 = raw()
    c2.rrq(FILE, options={"x-unknown": "1"})
    p2 = c2.expect()
    assert p2.op == tftp_raw.DATA and p2.block == 1 and len(p2.data) == 512, p2


def test_blksize_above_the_maximum_is_capped(lab, raw, tree):
    c = raw()
    c.rrq(FILE, options={"blksize": 70000})
    p = c.expect()
    assert p.op == tftp_raw.OACK, p
    blksize = int(p.options["blksize"])
    assert 512 <= blksize <= min(65464, lab.server.tftp["blksize_max"]), p.options
    c.send(tftp_raw.ack(0))
    d = c.expect()
    assert d.op == tftp_raw.DATA and len(d.data) == blksize, (d, blksize)


def test_blksize_65464_is_granted_or_capped_to_the_mtu(raw, tree):
    # FIRMWARE.md 12: a server may cap at MTU - 32 (1468 on this veth); if it grants
    # 65464 the blocks go out as ~45 IP fragments each (IP_PMTUDISC_DONT).
    data, first, _ = raw().fetch(FILE, options={"blksize": 65464})
    assert first.options.get("blksize") in ("65464", "1468"), first
    assert data == (tree / FILE).read_bytes()


def test_small_blksize_is_honoured(raw, tree):
    # FIRMWARE.md 12/19: never raise what a client asked for.
    data, first, _ = raw().fetch("exact-512x8.bin", options={"blksize": 300})
    assert first.options.get("blksize") == "300", first
    assert data == (tree / "exact-512x8.bin").read_bytes()


@pytest.mark.pxed_only("windowsize (RFC 7440)")
def test_windowsize_8_sends_8_blocks_before_needing_an_ack(raw):
    c = raw()
    c.rrq(FILE, options={"windowsize": 8})
    p = c.expect()
    assert p.op == tftp_raw.OACK and p.options == {"windowsize": "8"}, p
    c.send(tftp_raw.ack(0))
    got = c.recv_all(0.3)  # well under the 500 ms retransmit floor
    blocks = [q.block for q in got if q.op == tftp_raw.DATA]
    assert blocks == list(range(1, 9)), f"expected DATA 1..8 before any ACK, got {got}"
    c.send(tftp_raw.ack(8))
    nxt = [q.block for q in c.recv_all(0.3) if q.op == tftp_raw.DATA]
    assert nxt == list(range(9, 17)), f"after ACK 8 expected DATA 9..16, got {nxt}"


@pytest.mark.pxed_only("windowsize (RFC 7440)")
def test_windowsize_is_capped_and_windowed_fetch_is_exact(lab, raw, tree):
    data, first, _ = raw().fetch(FILE, options={"windowsize": 64, "blksize": 1468})
    assert int(first.options["windowsize"]) == lab.server.tftp["windowsize_max"], first
    assert data == (tree / FILE).read_bytes()


def test_duplicate_ack_never_triggers_a_duplicate_send(raw):
    # The sorcerer's apprentice (RFC 1123 §4.2.3.1): answering every copy of an ACK
    # doubles every later packet. Each ACK is sent twice; each block must come once.
    if SERVER_KIND != "pxed":
        pytest.xfail("tftpd-hpa resends on a duplicate ACK of the previous block")
    c = raw()
    c.rrq(FILE)
    p = c.expect()
    assert p.op == tftp_raw.DATA and p.block == 1, p
    for block in range(1, 6):
        c.send(tftp_raw.ack(block))
        c.send(tftp_raw.ack(block))
        got = c.recv_all(0.2)
        assert [q.block for q in got] == [block + 1], (
            f"after ACK {block} twice expected one DATA {block + 1}, got {got}")


def test_duplicate_ack_0_after_oack_sends_data_1_once(raw):
    if SERVER_KIND != "pxed":
        pytest.xfail("tftpd-hpa resends on a duplicate ACK of the previous block")
    c = raw()
    c.rrq(FILE, options={"blksize": 1024})
    assert c.expect().op == tftp_raw.OACK
    c.send(tftp_raw.ack(0))
    c.send(tftp_raw.ack(0))
    got = c.recv_all(0.2)
    assert [(q.op, q.block) for q in got] == [(tftp_raw.DATA, 1)], got


def test_unacknowledged_block_is_retransmitted(raw):
    c = raw()
    c.rrq(FILE)
    first = c.expect()
    assert first.op == tftp_raw.DATA and first.block == 1
    again = c.expect(timeout=5)
    assert again.op == tftp_raw.DATA and again.block == 1 and again.data == first.data, again


@pytest.mark.pxed_only("idle_timeout and tftp.done result=timeout")
def test_silent_client_times_out(lab, raw):
    mark = lab.server.mark()
    c = raw()
    c.rrq(FILE)
    assert c.expect().op == tftp_raw.DATA
    port = c.sock.getsockname()[1]
    e = lab.server.wait_event("tftp.done", timeout=10, since=mark,
                              client=f"{lab.client_ip}:{port}")
    assert e.fields.get("result") == "timeout", e.line
    c.recv_all(0.1)  # drain retransmissions sent before it gave up
    assert c.recv_all(1.0) == [], "server still sending after it logged the timeout"


def test_edk2_tsize_probe_then_fetch(lab, raw, tree):
    # FIRMWARE.md 18: EDK2 asks tsize, aborts with ERROR 8 after the OACK, then
    # fetches with a second RRQ (blksize, no tsize).
    size = (tree / FILE).stat().st_size
    mark = lab.server.mark() if SERVER_KIND == "pxed" else 0
    probe = raw()
    probe.rrq(FILE, options={"tsize": 0, "blksize": 1468})
    p = probe.expect()
    assert p.op == tftp_raw.OACK and p.options.get("tsize") == str(size), p
    probe.send(tftp_raw.error(8, "User aborted the transfer"))
    assert probe.recv_all(0.3) == [], "server kept sending after the client's ERROR 8"
    data, first, _ = raw().fetch(FILE, options={"blksize": 1468})
    assert first.op == tftp_raw.OACK and first.options == {"blksize": "1468"}, first
    assert data == (tree / FILE).read_bytes()
    if SERVER_KIND == "pxed":
        e = lab.server.wait_event("tftp.done", since=mark, result="tsize-probe")
        assert e.level not in ("warn", "warning", "error", "critical"), e.line
        client_port = str(probe.sock.getsockname()[1])
        assert e.fields.get("client", "").endswith(":" + client_port), e.line
        ok = lab.server.wait_event("tftp.done", since=mark, result="ok", file=FILE)
        assert ok.fields.get("bytes") == str(size), ok.line


@pytest.mark.pxed_only("log lines")
def test_option_refusal_with_error_8_is_not_a_failure(lab, raw):
    # RFC 2347: a client that dislikes the OACK answers ERROR 8. That is a client's
    # choice, not a server failure: no warn/error line for it.
    mark = lab.server.mark()
    c = raw()
    c.rrq("exact-1468x4.bin", options={"blksize": 1468})
    assert c.expect().op == tftp_raw.OACK
    c.send(tftp_raw.error(8, "option refused"))
    e = lab.server.wait_event("tftp.done", since=mark, file="exact-1468x4.bin")
    assert e.level not in ("warn", "warning", "error", "critical"), e.line
    assert e.fields.get("result") != "ok", e.line


def test_netascii_on_the_wire(raw):
    # RFC 764 via RFC 1350: LF -> CR LF and a bare CR -> CR NUL, across block edges.
    data, first, _ = raw().fetch("text.txt", mode="netascii")
    assert first.op == tftp_raw.DATA, first
    want = netascii(NETASCII_TEXT)
    assert data == want, (f"netascii differs: got {len(data)} bytes, want {len(want)}; first "
                          f"difference at {next((i for i, (a, b) in enumerate(zip(data, want)) if a != b), min(len(data), len(want)))}")


@pytest.mark.pxed_only("windowsize keeps a 82k-block raw fetch short")
def test_block_number_after_65535_is_0(raw, tree):
    # FIRMWARE.md 14: pxed rolls over to 0, like most clients expect.
    start = time.monotonic()
    data, first, stats = raw().fetch("rollover-40m.bin", options={"windowsize": 16},
                                     deadline=60)
    print(f"\nraw 40 MiB windowsize 16: {time.monotonic() - start:.1f}s")
    assert stats["after_65535"] == 0, stats
    assert data is not None and len(data) == (tree / "rollover-40m.bin").stat().st_size
    assert hashlib.sha256(data).hexdigest() == sha256_file(tree / "rollover-40m.bin")


@pytest.mark.pxed_only("one transfer per request, seen from the server's side")
def test_a_request_sent_twice_from_one_port_gets_one_transfer(lab, raw):
    # Firmware resends its RRQ when the first answer is late; both copies may
    # wait in the server's queue. A second transfer would answer from a new port.
    mark = lab.server.mark()
    c = raw()
    c.rrq(FILE)
    c.rrq(FILE)
    ports = set()
    deadline = time.monotonic() + 0.5
    while (got := c.recv(deadline - time.monotonic())) is not None:
        ports.add(got[1])
    assert len(ports) == 1, f"answered from {ports}"
    c.send(tftp_raw.error(0, "done looking"))
    lab.server.wait_event("tftp.done", since=mark, result="client-error")
    time.sleep(0.3)  # nothing else may end: there was no second transfer
    assert len(lab.server.events("tftp.done", since=mark)) == 1


@pytest.mark.pxed_only("one transfer per request, seen from the server's side")
def test_a_resent_request_arriving_after_its_transfer_ended_starts_nothing(lab, raw, tree):
    # EDK2's tsize probe ends at once (FIRMWARE.md 18): a copy of it read
    # afterwards must not start a transfer nobody listens to; the real fetch
    # from the same port (no tsize) is served.
    mark = lab.server.mark()
    c = raw()
    probe = {"tsize": 0, "blksize": 1468}
    c.rrq(FILE, options=probe)
    assert c.expect().op == tftp_raw.OACK
    c.send(tftp_raw.error(8, "User aborted the transfer"))
    lab.server.wait_event("tftp.done", since=mark, result="tsize-probe")
    c.rrq(FILE, options=probe)
    assert c.recv(0.5) is None, "the resent probe started a second transfer"
    c.peer = None
    data, first, _ = c.fetch(FILE, options={"blksize": 1468})
    assert first.op == tftp_raw.OACK, first
    assert data == (tree / FILE).read_bytes()
    # The client is done once it has sent its last ACK; the server logs the
    # transfer when that ACK arrives, a moment later (much later in a sanitizer build).
    lab.server.wait_event("tftp.done", since=mark, result="ok")
    assert len(lab.server.events("tftp.done", since=mark)) == 2
