"""[tftp] port_range: every transfer answers from a port of the range, so a
firewall that lets out only 69 and the range still serves every real client."""
import pytest

import clients
import tftp_raw
from netlab import sha256_file, wait_for

pytestmark = pytest.mark.pxed_only("port_range is pxed's")

FIRST, LAST = 30100, 30103
PXED_TFTP = {"port_range": [FIRST, LAST], "idle_timeout": "3s"}
REMOTE = "sub/dir/random-1m.bin"


@pytest.fixture(scope="module", autouse=True)
def firewall(lab):
    # The server's firewall, as a site would write it: UDP leaves from 69 and the range only.
    lab.nft(lab.server_ns, f"""
table inet pxtest_fw {{
  chain out {{
    type filter hook output priority 0; policy accept;
    udp sport != {{ 69, {FIRST}-{LAST} }} counter drop
  }}
}}
""")


@pytest.mark.parametrize("client", ["curl", "curl-no-options", "atftp-blksize-tsize-window",
                                    "tftp-hpa", "busybox-blksize1468"])
def test_real_clients_fetch_through_a_firewall_open_to_the_range(lab, tree, out, client):
    local = out / "got"
    mark = lab.server.mark()
    result = lab.client(clients.CLIENTS[client](lab.server_ip, REMOTE, local), timeout=60)
    assert result.returncode == 0, f"{client} rc={result.returncode}: {result.stdout}{result.stderr}"
    assert sha256_file(local) == sha256_file(tree / REMOTE)
    done = lab.server.wait_event("tftp.done", since=mark, file=REMOTE)
    assert FIRST <= int(done.fields["server_port"]) <= LAST, done.fields


def test_ports_are_handed_out_in_turn(raw):
    ports = []
    for _ in range(3):
        c = raw()
        data, first, _ = c.fetch("exact-512x8.bin")
        assert data is not None, first
        ports.append(c.peer[1])
    assert all(FIRST <= p <= LAST for p in ports), ports
    assert len(set(ports)) == 3, f"a port given back was handed out next: {ports}"


def test_a_request_beyond_the_range_is_refused_with_a_reason(lab, raw):
    # Four transfers left waiting for their ACK hold the four ports until idle_timeout.
    held = []
    for _ in range(LAST - FIRST + 1):
        c = raw()
        c.rrq("exact-512x8.bin")
        assert c.expect().op == tftp_raw.DATA
        held.append(c)
    mark = lab.server.mark()
    extra = raw()
    extra.rrq("exact-512x8.bin")
    reply = extra.expect()
    assert reply.op == tftp_raw.ERROR and "port_range" in reply.message, reply
    e = lab.server.wait_event("tftp.refused", since=mark, reason="no-port")
    assert e.fields["file"] == "exact-512x8.bin"
    # The held transfers time out and give their ports back: the range serves again.
    wait_for(lambda: sum(e.fields.get("result") == "timeout"
                         for e in lab.server.events("tftp.done", since=mark)) >= len(held),
             20, "the held transfers to time out")
    for c in held:
        c.close()
    data, first, _ = raw().fetch("exact-512x8.bin", deadline=20)
    assert data is not None, first
