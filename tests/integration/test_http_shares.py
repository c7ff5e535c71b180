"""HTTP connections per client: one address holds at most max_connections_per_client."""
import pytest

from test_http import Raw

pytestmark = pytest.mark.pxed_only("HTTP is pxed's own")

PXED_HTTP = {"max_connections": 8, "max_connections_per_client": 2, "header_timeout": "5s", "idle_timeout": "5s"}


def test_a_client_past_its_share_gets_503_while_the_server_has_room(lab):
    held = [Raw(lab), Raw(lab)]
    try:
        for h in held:
            assert h.request("/text.txt")[0] == 200
        mark = lab.server.mark()
        third = Raw(lab)
        try:
            got = third.response()
            assert got is not None and got[0] == 503, got
        finally:
            third.close()
        lab.server.wait_event("http.refused", since=mark, reason="client-busy")
    finally:
        for h in held:
            h.close()
