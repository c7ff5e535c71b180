"""TFTP transfers per client: one address holds at most max_transfers_per_client."""
import pytest

import tftp_raw

pytestmark = pytest.mark.pxed_only("pxed's own admission")

PXED_TFTP = {"max_transfers": 4, "max_transfers_per_client": 1, "idle_timeout": "5s"}

FILE = "sub/dir/random-1m.bin"


def test_a_client_past_its_share_is_refused_while_the_server_has_room(lab, raw):
    holder = raw()
    holder.rrq(FILE)
    first = holder.expect()
    assert first.op == tftp_raw.DATA and first.block == 1, first
    mark = lab.server.mark()
    second = raw()  # the same address, another port: a second transfer of the same client
    second.rrq(FILE)
    reply = second.expect()
    assert reply.op == tftp_raw.ERROR and "this address" in reply.message, reply
    lab.server.wait_event("tftp.refused", since=mark, reason="client-busy")
    holder.send(tftp_raw.error(0, "going away"))
