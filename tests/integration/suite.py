"""What the suite serves and which server it tests (shared by conftest and tests).

Env:
  PXED_TEST_SERVER  pxed (default) or tftpd-hpa (a stand-in that proves the harness)
  PXED_BIN          the pxed binary (ctest passes it; default <repo>/build/pxed)
"""
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SERVER_KIND = os.environ.get("PXED_TEST_SERVER", "pxed")
PXED_BIN = Path(os.environ.get("PXED_BIN", REPO / "build" / "pxed"))

MIB = 1 << 20
# name -> size (random content); the tree also holds text, symlinks and a directory.
FILES = {
    "empty.bin": 0,
    "exact-512x8.bin": 512 * 8,
    "exact-1468x4.bin": 1468 * 4,
    "sub/dir/random-1m.bin": MIB + 77,
    "loss-2m.bin": 2 * MIB + 333,
    "conc-5m.bin": 5 * MIB + 5,
    "loss-20m.bin": 20 * MIB + 11,
    "rollover-40m.bin": 40 * MIB + 100,
}
# LF line endings, a bare CR, a CR before LF, and a LF placed so that its CRLF
# crosses a block boundary on the wire (CR last byte of block 1, LF first of block 2).
_HEAD = b"first line\nsecond line with a bare \r carriage return\n"
_EXPANDED = _HEAD.count(b"\n") + _HEAD.count(b"\r")  # each becomes 2 bytes on the wire
NETASCII_TEXT = (_HEAD + b"x" * (511 - _EXPANDED - len(_HEAD)) + b"\n"
                 + b"y" * 200 + b"\r\n" + b"\n" * 600
                 + b"".join(b"line %d\n" % i for i in range(300)))


def netascii(data):
    """RFC 764 on the wire: LF -> CR LF, bare CR -> CR NUL."""
    return data.replace(b"\r", b"\r\0").replace(b"\n", b"\r\n")
