"""HTTP directory listings (like nginx autoindex), driven with curl.

"/dir/" lists the directory (HTML, or JSON for Accept: application/json),
"/dir" redirects there with 301, and a listing shows only what the server
would serve: links that leave the root are not even named.
"""
import html
import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote

import pytest

from netlab import sha256_file

pytestmark = pytest.mark.pxed_only("HTTP is pxed's own")

PXED_HTTP = {"header_timeout": "2s", "idle_timeout": "5s"}
# Listings are compared with the directory on disk; the system's loaders would
# fill the root in (test_system_loaders.py lists them).
PXED_FILES = ["system_loaders = false"]
HREF = re.compile(r'<a href="([^"]*)">([^<]*)</a>')
# Names a browser or a shell would stumble over; each must list, link and fetch.
ODD_NAMES = ["a b.txt", "<x>&'\"y\".bin", "grüße 文件.bin", "50%.bin", "q?#frag.bin", "colon:x.bin"]
ODD_DIR = "listing odd"


def url(lab, path):
    return f"http://{lab.server_ip}{path}"


class Fetched:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self):
        return self.body.decode("utf-8")


def fetch(lab, out, path, *extra):
    """GET (or whatever extra says) with curl: status, last response's headers, body bytes."""
    head, body = out / "head", out / "body"
    for f in (head, body):
        f.unlink(missing_ok=True)
    r = lab.client(["curl", "-sS", "--max-time", "30", "--path-as-is", "-D", str(head), "-o", str(body),
                    "-w", "%{http_code}", *extra, url(lab, path)], timeout=40)
    assert r.returncode == 0, r.stderr
    headers = {}
    for line in head.read_bytes().decode("latin-1").split("\r\n"):
        if line.startswith("HTTP/"):
            headers = {}  # with -L, keep only the last response's headers
        k, sep, v = line.partition(":")
        if sep:
            headers[k.strip().lower()] = v.strip()
    return Fetched(int(r.stdout.strip()), headers, body.read_bytes() if body.exists() else b"")


def served_entries(root, rel):
    """What a listing of root/rel must show: name -> (is_dir, size); links that leave root omitted."""
    base = root / rel
    real_root = root.resolve()
    shown = {}
    for p in base.iterdir():
        if p.is_symlink():
            target = p.resolve()
            if not target.exists() or not (target == real_root or real_root in target.parents):
                continue
        if not (p.is_dir() or p.is_file()):
            continue
        shown[p.name] = (p.is_dir(), 0 if p.is_dir() else p.stat().st_size)
    return shown


def links_of(page):
    """(href, text) of every link in a listing, text unescaped."""
    return [(href, html.unescape(text)) for href, text in HREF.findall(page)]


@pytest.fixture(scope="module")
def odd_dir(tree):
    """A directory of hostile names, for this module only."""
    d = tree / ODD_DIR
    d.mkdir()
    for i, name in enumerate(ODD_NAMES):
        (d / name).write_bytes(os.urandom(100 + i))
        os.chmod(d / name, 0o644)
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d)


# -- listings --------------------------------------------------------------------------------------
def test_root_listing_links_every_served_top_level_entry(lab, tree, out, odd_dir):
    r = fetch(lab, out, "/")
    assert r.status == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "<title>Index of /</title>" in r.text
    links = links_of(r.text)
    assert "../" not in [h for h, _ in links]  # nothing above the root
    expected = {name + ("/" if is_dir else "") for name, (is_dir, _) in served_entries(tree, "").items()}
    assert {text for _, text in links} == expected
    for href, text in links:
        assert unquote(href) == text
    # Directories first, each group by name.
    names = [t for _, t in links]
    dirs = [n for n in names if n.endswith("/")]
    assert names == sorted(dirs) + sorted(n for n in names if not n.endswith("/"))


def test_subdirectory_listing_has_a_parent_link_and_sizes(lab, tree, out):
    r = fetch(lab, out, "/sub/dir/")
    assert r.status == 200
    assert "Index of /sub/dir/" in r.text
    links = links_of(r.text)
    assert links[0] == ("../", "../")
    size = (tree / "sub/dir/random-1m.bin").stat().st_size
    assert re.search(r'href="random-1m.bin">random-1m.bin</a></td><td>%d</td>' % size, r.text)


def test_following_a_link_fetches_the_file_byte_exact(lab, tree, out):
    page = fetch(lab, out, "/sub/dir/").text
    href = dict((t, h) for h, t in links_of(page))["random-1m.bin"]
    got = out / "got"
    r = lab.client(["curl", "-sS", "-f", "-o", str(got), url(lab, "/sub/dir/" + href)])
    assert r.returncode == 0, r.stderr
    assert sha256_file(got) == sha256_file(tree / "sub/dir/random-1m.bin")


def test_odd_names_are_escaped_linked_and_fetchable(lab, tree, out, odd_dir):
    page = fetch(lab, out, "/" + ODD_DIR.replace(" ", "%20") + "/").text
    assert "<x>" not in page  # escaped, never markup
    links = {text: href for href, text in links_of(page) if href != "../"}
    assert set(links) == set(ODD_NAMES)
    for name, href in links.items():
        assert re.fullmatch(r"[A-Za-z0-9._~%-]+", href), href
        got = out / "got"
        r = lab.client(["curl", "-sS", "-f", "-o", str(got),
                        url(lab, "/listing%20odd/" + href)])
        assert r.returncode == 0, (name, r.stderr)
        assert got.read_bytes() == (odd_dir / name).read_bytes(), name


def test_json_listing_matches_the_directory(lab, tree, out, odd_dir):
    for rel in ("", "sub/dir", ODD_DIR):
        path = "/" + (rel.replace(" ", "%20") + "/" if rel else "")
        r = fetch(lab, out, path, "-H", "Accept: application/json")
        assert r.status == 200, path
        assert r.headers["content-type"] == "application/json"
        listing = json.loads(r.body)
        got = {e["name"]: (e["type"] == "directory", e["size"]) for e in listing}
        assert got == served_entries(tree, rel), path
        for e in listing:
            assert e["type"] in ("file", "directory")
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["mtime"])


def test_head_of_a_listing_has_its_length_but_no_body(lab, out):
    full = fetch(lab, out, "/sub/")
    head = fetch(lab, out, "/sub/", "-I")
    assert head.status == 200
    assert int(head.headers["content-length"]) == len(full.body)
    assert head.headers["cache-control"] == "no-cache"


# -- redirects -------------------------------------------------------------------------------------
def test_directory_without_slash_redirects_to_it_with_slash(lab, out):
    r = fetch(lab, out, "/sub")
    assert r.status == 301
    assert r.headers["location"] == "/sub/"
    nested = fetch(lab, out, "/sub/dir?x=1")
    assert nested.status == 301
    assert nested.headers["location"] == "/sub/dir/"  # the query is not carried over


def test_redirect_location_is_percent_encoded(lab, out, odd_dir):
    r = fetch(lab, out, "/listing%20odd")
    assert r.status == 301
    assert r.headers["location"] == "/listing%20odd/"


def test_curl_follows_the_redirect_to_the_listing(lab, out):
    r = fetch(lab, out, "/sub", "-L")
    assert r.status == 200
    assert "Index of /sub/" in r.text


# -- refusals --------------------------------------------------------------------------------------
def test_symlinks_leaving_the_root_are_not_listed(lab, tree, out):
    assert (tree / "link-passwd").is_symlink() and (tree / "sub/link-climb").is_symlink()
    root = fetch(lab, out, "/").text
    sub = fetch(lab, out, "/sub/").text
    assert "link-passwd" not in root
    assert "link-climb" not in sub
    as_json = json.loads(fetch(lab, out, "/sub/", "-H", "Accept: application/json").body)
    assert "link-climb" not in [e["name"] for e in as_json]


@pytest.mark.parametrize("target", ["/sub/../../", "/../", "/sub/%2e%2e/%2e%2e/", "/..%2f..%2fetc/",
                                    "/sub/link-climb/", "/link-passwd/", "/link-passwd"])
def test_traversal_never_lists_outside_the_root(lab, out, target):
    r = fetch(lab, out, target)
    assert r.status in (400, 404), (target, r.status)
    assert b"Index of" not in r.body and b"root:" not in r.body


def test_missing_directory_and_file_with_slash_are_404(lab, out):
    for path in ("/nope/", "/nope", "/sub/nope/", "/empty.bin/", "/sub/dir/random-1m.bin/"):
        assert fetch(lab, out, path).status == 404, path


def test_listing_is_logged_like_any_request(lab):
    mark = lab.server.mark()
    r = lab.client(["curl", "-sS", "-o", "/dev/null", url(lab, "/sub/")])
    assert r.returncode == 0
    e = lab.server.wait_event("http.request", since=mark, path="/sub/")
    assert e.fields["status"] == "200" and int(e.fields["bytes"]) > 0
