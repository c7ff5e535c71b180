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


def test_when_full_a_connection_that_never_sent_a_whole_request_makes_room(lab):
    """Slowloris: every slot held by connections trickling their headers. Past the 2 s
    grace, a real request takes the oldest one's slot instead of getting 503."""
    import socket
    import time

    def trickle():
        """A connection that holds a slot with a request it never finishes (once the
        previous test's connections have left: until then the server says 503)."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            t = Raw(lab)
            t.send(b"GET /text.txt HTTP/1.1\r\nHost: x\r\n")  # never the blank line
            t.sock.settimeout(0.3)
            try:
                refused = t.sock.recv(64)
            except socket.timeout:
                t.sock.settimeout(None)
                return t
            t.close()
            assert refused.startswith(b"HTTP/1.1 503"), refused
            time.sleep(0.2)
        raise AssertionError("no slot freed for the trickling connections")

    trickling = []
    try:
        trickling = [trickle(), trickle()]
        time.sleep(2.2)
        mark = lab.server.mark()
        real = Raw(lab)
        try:
            got = real.request("/text.txt")
            assert got is not None and got[0] == 200, got
        finally:
            real.close()
        lab.server.wait_event("http.evicted", since=mark, reason="no-request-while-full")
        assert trickling[0].closed_within(3), "the oldest trickling connection kept its slot"
    finally:
        for t in trickling:
            t.close()
