"""Transfers survive packet loss (nftables in the lab's namespaces; no netem here)."""
import json
import time

import pytest

import clients
import tftp_raw
from suite import SERVER_KIND
from netlab import run, sha256_file

# The product target for 20 MiB at 1% loss is 5 s (the bench measures it); this
# test only fails well past it, so a loaded CI machine does not make it flaky.
LOSS_1PCT_20MIB_LIMIT = 20.0


@pytest.fixture
def loss(lab):
    """loss(percent): drop that share of UDP packets in each direction.

    Drops happen on the *input* hook of the receiving namespace (client for
    server->client, server for client->server): a drop on the sender's output hook
    makes sendto() fail with EPERM, which real loss never does and which makes curl
    and tftp-hpa abort. dropped_by(lab) counts what the rules dropped.
    """
    def set_loss(percent, spare_oack=False):
        # spare_oack: let OACKs and ACK 0 through (opcode 6; opcode 4 block 0, read
        # at the UDP payload: @th,64). atftp 0.8.0 aborts on a second OACK
        # ("tftp: unexpected OACK", tftp_file.c), so a lost ACK 0 kills it whatever
        # the server does; the rest of its transfer still sees the loss.
        spare = ("meta l4proto udp @th,64,16 6 accept\n"
                 "meta l4proto udp @th,64,32 0x00040000 accept\n") if spare_oack else ""
        # Each call replaces the previous rate; the table is ours, in our namespaces.
        for ns in (lab.client_ns, lab.server_ns):
            lab.nft(ns, f"""
table inet pxtest
delete table inet pxtest
table inet pxtest {{
  chain input {{ type filter hook input priority 0; policy accept;
    {spare}
    meta l4proto udp numgen random mod 100 < {percent} counter drop; }}
}}
""")
    yield set_loss
    for ns in (lab.client_ns, lab.server_ns):
        lab.nft(ns, "table inet pxtest\ndelete table inet pxtest\n")


def dropped_by(lab):
    total = 0
    for ns in (lab.client_ns, lab.server_ns):
        out = run(["ip", "netns", "exec", ns, "nft", "-j", "list", "table", "inet", "pxtest"])
        for item in json.loads(out.stdout)["nftables"]:
            for expr in item.get("rule", {}).get("expr", []):
                if "counter" in expr:
                    total += expr["counter"]["packets"]
    return total


def fetch_timed(lab, argv_builder, remote, local, timeout=100):
    start = time.monotonic()
    result = lab.client(argv_builder(lab.server_ip, remote, local), timeout=timeout)
    return result, time.monotonic() - start


def assert_exact(tree, remote, local, result):
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-15:])
    assert result.returncode == 0, f"rc={result.returncode}, client output tail:\n{tail}"
    assert local.exists() and sha256_file(local) == sha256_file(tree / remote), (
        f"{remote}: got {local.stat().st_size if local.exists() else 'nothing'}, want "
        f"{(tree / remote).stat().st_size} bytes")


@pytest.mark.parametrize("client", ["curl", "atftp-window8", "tftp-hpa"])
def test_5_percent_loss_each_way(request, lab, tree, out, loss, client):
    builders = {
        "curl": clients.curl(),
        "atftp-window8": clients.atftp("blksize 1468", "tsize 0", "windowsize 8"),
        "tftp-hpa": clients.tftp_hpa(),
    }
    if client.startswith("atftp") and SERVER_KIND != "pxed":
        # atftp answers only the first duplicate DATA and then waits for its own 1 s
        # timeout; tftpd-hpa at a 10 ms retransmit gives up long before that.
        request.applymarker(pytest.mark.xfail(
            reason="tftpd-hpa -T 10ms gives up before atftp's 1 s timeout", strict=False))
    loss(5, spare_oack=client.startswith("atftp"))
    local = out / "got"
    result, seconds = fetch_timed(lab, builders[client], "loss-2m.bin", local)
    drops = dropped_by(lab)
    print(f"\n{client}: 2 MiB at 5% loss each way in {seconds:.1f}s, {drops} packets dropped")
    assert drops > 0, "the loss rule dropped nothing: the test proved nothing"
    assert_exact(tree, "loss-2m.bin", local, result)


def test_1_percent_loss_20_mib_curl_is_fast(lab, tree, out, loss):
    # curl asks blksize 512 (its default), so this is 40,961 lockstep round trips.
    loss(1)
    local = out / "got"
    result, seconds = fetch_timed(lab, clients.curl(), "loss-20m.bin", local, timeout=100)
    drops = dropped_by(lab)
    print(f"\ncurl: 20 MiB at 1% loss each way in {seconds:.2f}s "
          f"(target 5 s, limit {LOSS_1PCT_20MIB_LIMIT:.0f} s), {drops} packets dropped")
    assert drops > 0, "the loss rule dropped nothing"
    assert_exact(tree, "loss-20m.bin", local, result)
    if SERVER_KIND == "pxed":  # tftpd-hpa's fixed 10 ms retransmit is not the target
        assert seconds <= LOSS_1PCT_20MIB_LIMIT, f"took {seconds:.1f}s"


@pytest.mark.pxed_only("adaptive retransmit")
@pytest.mark.parametrize("options", [{}, {"tsize": 0, "blksize": 512, "timeout": 5}],
                         ids=["no-options", "curl-options"])
def test_retransmit_adapts_to_the_round_trip_and_backs_off(lab, raw, options):
    # After a few quick round trips the retransmit timer sits near the 2 ms floor,
    # not at a fixed second (nor at the 5 s curl asks for with "timeout"); when
    # nothing comes back it doubles up to retransmit_max (RFC 6298 §5.5).
    c = raw()
    c.rrq("loss-2m.bin", options=options)
    p = c.expect()
    if p.op == tftp_raw.OACK:
        c.send(tftp_raw.ack(0))
        p = c.expect()
    for _ in range(50):  # prompt ACKs teach the server the round trip
        assert p.op == tftp_raw.DATA, p
        c.send(tftp_raw.ack(p.block))
        p = c.expect()
    withheld, sent_at = p.block, time.monotonic()
    arrivals, end = [], sent_at + 2.5
    while (got := c.recv(end - time.monotonic())) is not None:
        if got[0].op == tftp_raw.DATA and got[0].block == withheld:
            arrivals.append(time.monotonic() - sent_at)
    gaps = [b - a for a, b in zip([0.0] + arrivals, arrivals)]
    print(f"\nretransmits of block {withheld} at " + ", ".join(f"{t * 1000:.0f}" for t in arrivals) + " ms")
    assert len(arrivals) >= 3, f"only {len(arrivals)} retransmissions in 2.5 s"
    assert arrivals[0] < 0.2, f"first retransmission after {arrivals[0] * 1000:.0f} ms"
    assert len(arrivals) <= 20, f"{len(arrivals)} retransmissions in 2.5 s: no backoff"
    assert gaps[-1] > 4 * gaps[0], f"intervals do not grow: {gaps}"


@pytest.mark.pxed_only("windowsize (RFC 7440)")
def test_server_goes_quiet_long_enough_for_a_client_timeout(lab, raw, tree):
    # What atftp 0.8.0 does with windowsize: on a gap it sends one "extra ACK", then
    # ignores every out-of-order or repeated block and re-ACKs only when its own
    # timeout passes with *nothing* received. If that ACK is lost and the server
    # keeps retransmitting more often than the client's timeout, neither side moves
    # until idle_timeout (seen here: atftp --tftp-timeout 1 at 5% loss, 1 in ~9
    # runs). Backoff must eventually leave a silence longer than a client's timeout
    # (atftp's default is 5 s; 3 s is used here to keep the test short).
    client_timeout, deadline = 3.0, 15.0
    c = raw()
    c.rrq("loss-2m.bin", options={"windowsize": 8})
    assert c.expect().op == tftp_raw.OACK
    c.send(tftp_raw.ack(0))
    window = [c.expect().block for _ in range(8)]
    assert window == list(range(1, 9)), window
    # Our ACK 8 "is lost": stay silent and ignore everything until the line has
    # been quiet for client_timeout, as atftp does.
    start = last = time.monotonic()
    retransmits = 0
    while time.monotonic() - start < deadline:
        got = c.recv(min(client_timeout - (time.monotonic() - last), deadline))
        if got is None:
            break
        retransmits += 1
        last = time.monotonic()
    quiet_after = time.monotonic() - start
    assert quiet_after < deadline, (
        f"the server retransmitted {retransmits} times in {deadline:.0f} s without ever "
        f"going quiet for {client_timeout:.0f} s: a client that re-ACKs only on its own "
        f"timeout (atftp) never gets to, and the transfer dies at idle_timeout")
    c.send(tftp_raw.ack(8))
    nxt = c.expect()
    assert nxt.op == tftp_raw.DATA and nxt.block == 9, (
        f"after {quiet_after:.1f} s the late ACK 8 got {nxt}: the server had given up")
