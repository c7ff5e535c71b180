"""HTTP: the [files] tree over HTTP/1.1 to curl and to raw sockets.

GET/HEAD, Range, conditional requests, keep-alive and pipelining, refusals
(404 for anything outside the tree, 405, 400, 431) and the header timeout.
"""
import re
import socket
import time

import pytest

from netlab import sha256_file

pytestmark = pytest.mark.pxed_only("HTTP is pxed's own")

PXED_HTTP = {"header_timeout": "1s", "idle_timeout": "5s", "max_header_bytes": 2048}
PORT = 80
BIG = "loss-20m.bin"
MID = "sub/dir/random-1m.bin"


def url(lab, path):
    return f"http://{lab.server_ip}{path}"


def curl(lab, *args, timeout=60):
    return lab.client(["curl", "-sS", "--max-time", str(timeout), *args], timeout=timeout + 10)


def status_of(lab, path, *extra):
    r = curl(lab, "-o", "/dev/null", "-w", "%{http_code}", *extra, url(lab, path))
    return int(r.stdout.strip() or 0)


# -- a raw HTTP client, for what curl will not send ---------------------------------------
class Raw:
    """One TCP connection; keeps bytes read past a response for the next one."""

    def __init__(self, lab):
        self.sock = lab.tcp_connect(PORT)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        self.buf += chunk
        return bool(chunk)

    def response(self, head=False):
        """(status, headers with lower-case names, body); None if the server closed first."""
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                return None
        header, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        length = 0 if head or status == 304 else int(headers.get("content-length", "0"))
        while len(self.buf) < length and self._fill():
            pass
        body, self.buf = self.buf[:length], self.buf[length:]
        return status, headers, body

    def request(self, target, method="GET", extra=""):
        self.send(f"{method} {target} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode())
        return self.response(head=method == "HEAD")

    def closed_within(self, seconds):
        """True when the server closes (EOF or reset) within `seconds`."""
        self.sock.settimeout(seconds)
        try:
            while self.sock.recv(4096):
                pass
            return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


@pytest.fixture
def raw_http(lab):
    made = []

    def new():
        c = Raw(lab)
        made.append(c)
        return c
    yield new
    for c in made:
        c.close()


# -- whole files ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["empty.bin", "exact-512x8.bin", MID, BIG])
def test_get_returns_the_file_byte_exact(lab, tree, out, name):
    local = out / "got"
    r = curl(lab, "-f", "-o", str(local), url(lab, "/" + name))
    assert r.returncode == 0, r.stderr
    assert sha256_file(local) == sha256_file(tree / name)


def test_get_logs_one_access_line_with_status_and_bytes(lab, tree):
    mark = lab.server.mark()
    assert status_of(lab, "/" + MID) == 200
    e = lab.server.wait_event("http.request", since=mark, path="/" + MID)
    assert e.fields["method"] == "GET" and e.fields["status"] == "200"
    assert e.fields["bytes"] == str((tree / MID).stat().st_size)
    assert "ms" in e.fields and "client" in e.fields


def test_access_line_names_the_user_agent(lab):
    mark = lab.server.mark()
    assert status_of(lab, "/text.txt", "-A", "iPXE/1.21.1 (g4bd064de)") == 200
    e = lab.server.wait_event("http.request", since=mark, path="/text.txt")
    assert e.fields["agent"] == "iPXE/1.21.1 (g4bd064de)"
    assert 'agent="iPXE/1.21.1 (g4bd064de)"' in lab.server.log_text()


def test_head_gives_length_type_and_validators_but_no_body(lab, tree, raw_http):
    c = raw_http()
    status, headers, body = c.request("/" + MID, method="HEAD")
    assert status == 200
    assert headers["content-length"] == str((tree / MID).stat().st_size)
    assert headers["accept-ranges"] == "bytes"
    assert re.fullmatch(r'"[0-9a-f]+-[0-9a-f]+"', headers["etag"])
    assert headers["last-modified"].endswith(" GMT")
    assert body == b""
    # Nothing follows the header: the next response on the connection is the next request's.
    status, headers, body = c.request("/text.txt")
    assert status == 200 and headers["content-type"] == "text/plain"
    assert body == (tree / "text.txt").read_bytes()


def test_content_type_comes_from_the_extension(lab):
    r = curl(lab, "-I", url(lab, "/text.txt"))
    assert re.search(r"(?im)^content-type: text/plain\r?$", r.stdout), r.stdout
    r = curl(lab, "-I", url(lab, "/" + MID))
    assert re.search(r"(?im)^content-type: application/octet-stream\r?$", r.stdout), r.stdout


# -- Range -----------------------------------------------------------------------------------
@pytest.mark.parametrize("spec,first,last", [
    ("10-19", 10, 19), ("0-0", 0, 0), ("1048000-", 1048000, None), ("-100", None, None),
    ("1048600-99999999", 1048600, None),
])
def test_range_returns_206_with_exactly_those_bytes(lab, tree, out, spec, first, last):
    data = (tree / MID).read_bytes()
    size = len(data)
    if first is None:  # suffix
        first = size - 100
    if last is None:
        last = size - 1
    local = out / "part"
    r = curl(lab, "-D", "-", "-o", str(local), "-H", f"Range: bytes={spec}", url(lab, "/" + MID))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("HTTP/1.1 206"), r.stdout
    assert f"content-range: bytes {first}-{last}/{size}" in r.stdout.lower(), r.stdout
    assert local.read_bytes() == data[first:last + 1]


def test_range_beyond_the_end_is_416_with_the_size(lab, tree):
    size = (tree / MID).stat().st_size
    r = curl(lab, "-D", "-", "-o", "/dev/null", "-H", f"Range: bytes={size}-", url(lab, "/" + MID))
    assert r.stdout.startswith("HTTP/1.1 416"), r.stdout
    assert f"content-range: bytes */{size}" in r.stdout.lower(), r.stdout


def test_several_ranges_get_the_whole_file(lab, tree, out):
    local = out / "all"
    r = curl(lab, "-D", "-", "-o", str(local), "-H", "Range: bytes=0-1,5-6", url(lab, "/" + MID))
    assert r.stdout.startswith("HTTP/1.1 200"), r.stdout
    assert sha256_file(local) == sha256_file(tree / MID)


def test_range_is_logged(lab):
    mark = lab.server.mark()
    assert status_of(lab, "/" + MID, "-H", "Range: bytes=100-199") == 206
    e = lab.server.wait_event("http.request", since=mark, status=206)
    assert e.fields["range"] == "100-199" and e.fields["bytes"] == "100"


# -- conditional requests -----------------------------------------------------------------------
def test_matching_etag_or_date_gives_304_and_a_changed_one_200(lab, raw_http):
    c = raw_http()
    _, headers, _ = c.request("/" + MID, method="HEAD")
    etag, modified = headers["etag"], headers["last-modified"]
    status, h, body = c.request("/" + MID, extra=f"If-None-Match: {etag}\r\n")
    assert status == 304 and body == b"" and h["etag"] == etag
    status, _, _ = c.request("/" + MID, extra=f"If-Modified-Since: {modified}\r\n")
    assert status == 304
    status, _, body = c.request("/" + MID, extra='If-None-Match: "nope"\r\n')
    assert status == 200 and len(body) == (1 << 20) + 77
    assert status_of(lab, "/" + MID, "-H", f"If-None-Match: {etag}") == 304


# -- connections ---------------------------------------------------------------------------------
def test_curl_reuses_the_connection_for_a_second_url(lab, out):
    r = curl(lab, "-v", "-o", str(out / "a"), url(lab, "/text.txt"),
             "-o", str(out / "b"), url(lab, "/exact-512x8.bin"))
    assert r.returncode == 0, r.stderr
    assert "Re-using existing connection" in r.stderr, r.stderr


def test_pipelined_requests_are_answered_in_order(lab, tree, raw_http):
    c = raw_http()
    c.send(b"GET /text.txt HTTP/1.1\r\nHost: x\r\n\r\n"
           b"HEAD /exact-512x8.bin HTTP/1.1\r\nHost: x\r\n\r\n"
           b"GET /exact-1468x4.bin HTTP/1.1\r\nHost: x\r\n\r\n")
    first = c.response()
    assert first[0] == 200 and first[2] == (tree / "text.txt").read_bytes()
    second = c.response(head=True)
    assert second[0] == 200 and second[1]["content-length"] == str(512 * 8) and second[2] == b""
    third = c.response()
    assert third[0] == 200 and third[2] == (tree / "exact-1468x4.bin").read_bytes()


def test_http_1_0_without_keep_alive_is_closed_after_the_response(lab, raw_http):
    c = raw_http()
    c.send(b"GET /text.txt HTTP/1.0\r\n\r\n")
    status, _, _ = c.response()
    assert status == 200
    assert c.closed_within(3)


def test_twenty_concurrent_downloads_are_byte_exact(lab, tree, out):
    name = "conc-5m.bin"
    procs = [lab.client_popen(["curl", "-sS", "-f", "--max-time", "100", "-o", str(out / f"c{i}"),
                               url(lab, "/" + name)]) for i in range(20)]
    for p in procs:
        assert p.wait(timeout=110) == 0
    want = sha256_file(tree / name)
    assert all(sha256_file(out / f"c{i}") == want for i in range(20))


def test_slowloris_is_closed_after_the_header_timeout(lab, raw_http):
    mark = lab.server.mark()
    c = raw_http()
    started = time.monotonic()
    c.send(b"GET /text.txt HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    assert c.closed_within(6)
    elapsed = time.monotonic() - started
    assert 0.8 <= elapsed < 4, elapsed
    lab.server.wait_event("http.timeout", since=mark, reason="header-timeout")


def test_a_silent_connection_is_closed_too(lab, raw_http):
    c = raw_http()
    started = time.monotonic()
    assert c.closed_within(6)
    assert time.monotonic() - started < 4


# -- refusals --------------------------------------------------------------------------------------
def test_missing_files_and_files_with_a_slash_are_404(lab):
    # Directories are listed or redirected: test_http_listing.py.
    for path in ("/nope.bin", "/nope/", "/sub/dir/random-1m.bin/"):
        assert status_of(lab, path) == 404, path


@pytest.mark.parametrize("target", [
    "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/sub/..%2f..%2f..%2fetc/passwd",
    "/..%5c..%5cetc/passwd", "/link-passwd", "/sub/link-climb", "//etc/passwd",
])
def test_traversal_never_serves_a_file_outside_the_root(lab, target):
    r = curl(lab, "--path-as-is", "-o", "-", "-w", "\n%{http_code}", url(lab, target))
    assert "root:" not in r.stdout
    assert r.stdout.strip().splitlines()[-1] in ("400", "404"), r.stdout


def test_traversal_outside_the_root_is_logged_as_a_warning(lab):
    mark = lab.server.mark()
    assert status_of(lab, "/sub/link-climb") == 404
    e = lab.server.wait_event("http.request", since=mark, path="/sub/link-climb")
    assert e.level.startswith("warn") and e.fields["reason"] == "outside-root"


@pytest.mark.parametrize("target,status", [
    ("../../etc/passwd", 400), ("/a%00b", 400), ("/a%zz", 400), ("/%2e%2e/etc/passwd", 404),
    ("/../etc/passwd", 404), ("http://evil/../../etc/passwd", 404),
])
def test_raw_bad_targets_get_400_or_404(lab, raw_http, target, status):
    c = raw_http()
    got = c.request(target)
    assert got is not None and got[0] == status, got
    assert b"root:" not in got[2]


def test_post_is_405_with_allow(lab):
    r = curl(lab, "-D", "-", "-o", "/dev/null", "-X", "POST", "-d", "x=1", url(lab, "/text.txt"))
    assert r.stdout.startswith("HTTP/1.1 405"), r.stdout
    assert re.search(r"(?im)^allow: GET, HEAD\r?$", r.stdout), r.stdout


def test_http_1_1_without_host_is_400(lab, raw_http):
    c = raw_http()
    c.send(b"GET /text.txt HTTP/1.1\r\n\r\n")
    assert c.response()[0] == 400


def test_two_host_lines_are_400(lab, raw_http):
    # RFC 9112 §3.2: any request with more than one Host line, HTTP/1.0 too.
    for version in (b"1.1", b"1.0"):
        c = raw_http()
        c.send(b"GET /text.txt HTTP/" + version + b"\r\nHost: x\r\nHost: evil.example\r\n\r\n")
        assert c.response()[0] == 400, version


def test_headers_over_the_limit_get_431_and_a_close(lab, raw_http):
    c = raw_http()
    c.send(b"GET /text.txt HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 4096 + b"\r\n\r\n")
    got = c.response()
    assert got is not None and got[0] == 431, got
    assert c.closed_within(3)


def test_garbage_gets_400_and_a_close(lab, raw_http):
    c = raw_http()
    c.send(b"\x16\x03\x01 hello not http\r\n\r\n")
    got = c.response()
    assert got is not None and got[0] == 400, got
    assert c.closed_within(3)
