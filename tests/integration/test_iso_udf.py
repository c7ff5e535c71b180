"""UDF images as folders: [[files.mount]] serves a UDF image's members over
TFTP and HTTP as it does ISO 9660 ones.

Images from real tools: pycdlib's UDF 2.60 bridge laid out like Windows
install media (only README.TXT in the ISO 9660/Joliet trees, everything else
only in UDF), and genisoimage -udf (UDF 1.02 beside Rock Ridge), once more
with a file past 1 GiB that it splits into two allocation descriptors at
0x3ffff800 bytes, as Windows media split install.wim. (pycdlib 1.12 splits
too, but writes the second extent's block wrong, so it is not used for that.)
What curl and atftp fetch must hash like the files that went in.
"""
import hashlib
import json
import os
import shutil
import subprocess

import pytest

import clients
import netlab
from netlab import sha256_file
from suite import MIB, PXED_BIN

PYTHON = "/usr/bin/python3"


def have_pycdlib():
    return subprocess.run([PYTHON, "-c", "import pycdlib"], capture_output=True).returncode == 0


pytestmark = [
    pytest.mark.pxed_only("ISO mounts are pxed's own"),
    pytest.mark.skipif(not have_pycdlib(), reason="python3-pycdlib not installed (scripts/setup)"),
    pytest.mark.skipif(shutil.which("genisoimage") is None, reason="genisoimage not installed (scripts/setup)"),
]

SOURCES = {
    "README.TXT": 300,
    "bootmgr": 400_000,
    "efi/boot/bootx64.efi": 1 * MIB + 17,
    "sources/boot.wim": 5 * MIB + 3,
    "sources/lang.ini": 0,
    "sources/small.txt": 37,
}
# In the ISO 9660 and Joliet trees of the pycdlib image; the rest is UDF only.
IN_ISO9660 = {"README.TXT"}

MAKE_PYCDLIB = r"""
import os, sys, pycdlib
tree, out, iso9660 = sys.argv[1], sys.argv[2], set(sys.argv[3:])
iso = pycdlib.PyCdlib()
iso.new(interchange_level=3, joliet=3, udf='2.60', vol_ident='WINLIKE')
for top, dirs, files in os.walk(tree):
    rel = os.path.relpath(top, tree)
    for d in sorted(dirs):
        iso.add_directory(udf_path='/' + os.path.normpath(os.path.join(rel, d)))
    for f in sorted(files):
        name = os.path.normpath(os.path.join(rel, f))
        if name in iso9660:
            iso.add_file(os.path.join(top, f), '/' + name.upper() + ';1', joliet_path='/' + name,
                         udf_path='/' + name)
        else:
            iso.add_file(os.path.join(top, f), udf_path='/' + name)
iso.write(out)
"""


@pytest.fixture(scope="module")
def udf_source(workdir):
    return netlab.write_random_tree(workdir / "udf-src", SOURCES)


# cdrkit's (and pycdlib's) largest extent; Windows media use 0x3ff00000.
UDF_EXTENT_MAX = 0x3FFFF800
BIG_SIZE = UDF_EXTENT_MAX + 3 * MIB + 5
# Random bytes where they prove the extents' order; zeros (sparse) elsewhere.
BIG_RANDOM_AT = (0, UDF_EXTENT_MAX - MIB // 2, BIG_SIZE - MIB)


@pytest.fixture(scope="module")
def big_source(workdir):
    path = workdir / "udf-big-src" / "big.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.truncate(BIG_SIZE)
        for at in BIG_RANDOM_AT:
            f.seek(at)
            f.write(os.urandom(MIB))
    return path


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(4 * MIB):
            h.update(chunk)
    return h.hexdigest()


@pytest.fixture(scope="module")
def images(workdir, udf_source, big_source):
    script = workdir / "make_udf.py"
    script.write_text(MAKE_PYCDLIB)
    win = workdir / "winlike.iso"
    subprocess.run([PYTHON, str(script), str(udf_source), str(win), *IN_ISO9660],
                   check=True, capture_output=True)
    bridge = workdir / "genisoimage-udf.iso"
    subprocess.run(["genisoimage", "-quiet", "-udf", "-R", "-J", "-o", str(bridge), str(udf_source)],
                   check=True, capture_output=True)
    big = workdir / "genisoimage-udf-big.iso"
    subprocess.run(["genisoimage", "-quiet", "-udf", "-R", "-o", str(big), str(big_source.parent)],
                   check=True, capture_output=True)
    for iso in (win, bridge, big):
        os.chmod(iso, 0o644)
    return {"/win": win, "/bridge": bridge, "/big": big}


@pytest.fixture(scope="module")
def lab(workdir, tree, server_kind, images):
    """Overrides conftest's lab: the images must exist before pxed starts."""
    extra = []
    for at, iso in images.items():
        extra += ["", "[[files.mount]]", f'at = "{at}"', f'iso = "{iso}"']
    yield from netlab.served_lab(workdir, tree, server_kind, PXED_BIN,
                                 http_overrides={"idle_timeout": "5s"}, files_extra=extra)


http = netlab.curl_http


def test_iso_ls_names_udf(images):
    r = subprocess.run([PXED_BIN, "iso", "ls", str(images["/win"]), "sources"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("naming: udf  volume: "), r.stdout  # pycdlib names every UDF volume CDROM
    assert "boot.wim" in r.stdout and "lang.ini" in r.stdout


@pytest.mark.parametrize("at", ["/win", "/bridge"])
@pytest.mark.parametrize("member", list(SOURCES))
def test_http_serves_every_member_byte_exact(lab, udf_source, out, at, member):
    local = out / "fetched"
    r = http(lab, f"{at}/{member}", "-f", out=local)
    assert r.returncode == 0, r.stderr
    assert sha256_file(local) == sha256_file(udf_source / member)


@pytest.mark.parametrize("client", ["curl-blksize1468", "atftp-blksize-tsize-window"])
@pytest.mark.parametrize("member", [m for m, size in SOURCES.items() if size > 0])
def test_tftp_serves_every_member_byte_exact(lab, udf_source, out, client, member):
    local = out / "fetched"
    argv = clients.CLIENTS[client](lab.server_ip, f"win/{member}", local)
    r = lab.client(argv, timeout=120)
    assert r.returncode == 0, r.stderr
    assert sha256_file(local) == sha256_file(udf_source / member)


def test_tftp_serves_windows_style_names(lab, udf_source, out):
    """Windows loaders ask for "\\Sources\\Boot.WIM" (backslashes, any case) where
    the media say sources/boot.wim (FIRMWARE.md 15): atftp sends the name as is."""
    local = out / "fetched"
    argv = clients.CLIENTS["atftp-blksize-tsize-window"](lab.server_ip, "win\\Sources\\Boot.WIM", local)
    r = lab.client(argv, timeout=120)
    assert r.returncode == 0, r.stderr
    assert sha256_file(local) == sha256_file(udf_source / "sources/boot.wim")


def test_a_udf_only_file_is_served_by_range(lab, udf_source, out):
    data = (udf_source / "sources/boot.wim").read_bytes()
    first, last = 2 * MIB - 100, 4 * MIB + 99
    local = out / "part"
    r = http(lab, "/win/sources/boot.wim", "-f", "-r", f"{first}-{last}", out=local)
    assert r.returncode == 0, r.stderr
    assert local.read_bytes() == data[first:last + 1]


def test_listing_shows_udf_members(lab):
    r = http(lab, "/win/sources/", "-f", "-H", "Accept: application/json")
    assert r.returncode == 0, r.stderr
    entries = {e["name"]: e for e in json.loads(r.stdout)}
    assert sorted(entries) == ["boot.wim", "lang.ini", "small.txt"]
    r = http(lab, "/win/", "-f", "-H", "Accept: application/json")
    assert r.returncode == 0, r.stderr
    root = {e["name"]: e for e in json.loads(r.stdout)}
    assert root["efi"]["type"] == "directory" and root["sources"]["type"] == "directory"
    assert "bootmgr" in root and "README.TXT" in root


def test_missing_member_is_404(lab):
    r = http(lab, "/win/sources/install.wim", "-o", "/dev/null", "-w", "%{http_code}")
    assert r.stdout == "404"


def test_a_file_past_one_gib_in_two_extents_is_served_whole(lab, big_source, out):
    local = out / "big"
    r = http(lab, "/big/big.bin", "-f", out=local)
    assert r.returncode == 0, r.stderr
    assert os.path.getsize(local) == BIG_SIZE
    assert sha256_of(local) == sha256_of(big_source)
    local.unlink()
    # A range across the seam between the two allocation descriptors.
    first, last = UDF_EXTENT_MAX - 1000, UDF_EXTENT_MAX + 1000
    r = http(lab, "/big/big.bin", "-f", "-r", f"{first}-{last}", out=local)
    assert r.returncode == 0, r.stderr
    with open(big_source, "rb") as f:
        f.seek(first)
        assert local.read_bytes() == f.read(last - first + 1)
