"""[tftp] single_port: every transfer answers from port 69 itself.

The client's side here is a stateful firewall that, like a NAT or a container's
port mapping without a TFTP helper, lets in only replies to a flow the client
opened: the client's port <-> the server's port 69. A reply from any other
server port is a new flow and is dropped.
"""
import time

import pytest

import clients
import tftp_raw
from netlab import sha256_file

pytestmark = pytest.mark.pxed_only("single_port is pxed's")

PXED_TFTP = {"single_port": True, "idle_timeout": "3s"}
REMOTE = "sub/dir/random-1m.bin"


@pytest.fixture(scope="module", autouse=True)
def stateful_firewall(lab):
    lab.nft(lab.client_ns, """
table inet pxtest_nat {
  chain in {
    type filter hook input priority 0; policy accept;
    ct state new meta l4proto udp counter drop
  }
}
""")


@pytest.mark.parametrize("client", list(clients.CLIENTS))
def test_real_clients_fetch_through_a_stateful_firewall(lab, tree, out, client):
    local = out / "got"
    mark = lab.server.mark()
    result = lab.client(clients.CLIENTS[client](lab.server_ip, REMOTE, local), timeout=60)
    assert result.returncode == 0, f"{client} rc={result.returncode}: {result.stdout}{result.stderr}"
    assert sha256_file(local) == sha256_file(tree / REMOTE)
    done = lab.server.wait_event("tftp.done", since=mark, file=REMOTE)
    assert done.fields["server_port"] == "69" and done.fields["result"] == "ok", done.fields


def test_every_packet_comes_from_port_69(raw):
    c = raw()
    data, first, _ = c.fetch("exact-1468x4.bin", options={"blksize": 1468, "windowsize": 4})
    assert data is not None, first
    assert c.peer[1] == 69


def test_parallel_transfers_from_one_address_are_told_apart_by_port(lab, tree, out):
    remote = "conc-5m.bin"
    want = sha256_file(tree / remote)
    procs = []
    try:
        for i in range(8):
            procs.append(lab.client_popen(["curl", "-sS", "--max-time", "100", "--tftp-blksize", "1468",
                                           "-o", str(out / f"got{i}"), f"tftp://{lab.server_ip}/{remote}"]))
        for p in procs:
            assert p.wait(timeout=110) == 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for i in range(8):
        assert sha256_file(out / f"got{i}") == want, f"fetch {i} differs"


def test_a_stray_ack_on_69_is_ignored_and_the_transfer_goes_on(lab, raw):
    c = raw()
    c.rrq("exact-512x8.bin")
    assert c.expect().op == tftp_raw.DATA
    stranger = raw()
    stranger.send(tftp_raw.ack(1), to=(lab.server_ip, 69))
    assert stranger.recv(0.5) is None  # no transfer of its own: nothing to answer
    data, first, _ = raw().fetch("exact-512x8.bin")
    assert data is not None, first


def test_without_single_port_the_firewall_drops_the_replies(lab, tree, out):
    # The lab itself, proven: the same firewall in front of a server answering
    # from its own ports lets nothing through (what container users meet).
    from netlab import ServerProcess
    lab.server.stop()
    try:
        plain = ServerProcess("pxed", lab, tree, pxed_bin=lab.server.pxed_bin, tftp_overrides={"idle_timeout": "3s"})
        plain.start()
        try:
            start = time.monotonic()
            result = lab.client(["curl", "-sS", "--max-time", "4", "-o", str(out / "got"),
                                 f"tftp://{lab.server_ip}/exact-512x8.bin"], timeout=30)
            assert result.returncode != 0 and time.monotonic() - start >= 3, result
        finally:
            plain.stop()
    finally:
        lab.server.start()
