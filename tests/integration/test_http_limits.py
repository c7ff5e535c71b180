"""HTTP connection cap: beyond max_connections a connection gets 503 and is closed."""
import pytest

from test_http import PORT, Raw

pytestmark = pytest.mark.pxed_only("HTTP is pxed's own")

PXED_HTTP = {"max_connections": 2, "header_timeout": "5s", "idle_timeout": "5s"}


def test_a_connection_beyond_the_cap_gets_503_and_the_slot_frees(lab):
    holders = [Raw(lab), Raw(lab)]
    try:
        for h in holders:  # both slots taken and proven live
            assert h.request("/text.txt")[0] == 200
        mark = lab.server.mark()
        late = Raw(lab)
        got = late.response()
        assert got is not None and got[0] == 503, got
        assert late.closed_within(3)
        late.close()
        lab.server.wait_event("http.refused", since=mark, reason="busy")
        holders.pop().close()
        def served():
            c = Raw(lab)
            try:
                got = c.request("/text.txt")
                return got is not None and got[0] == 200
            finally:
                c.close()
        from netlab import wait_for
        wait_for(served, 5, "a freed slot")
    finally:
        for h in holders:
            h.close()
