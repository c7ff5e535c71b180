"""`log_format = "json"`: one JSON object per line that a log shipper can read,
with typed fields (bytes and milliseconds are numbers, not strings), driven by
curl over TFTP and HTTP in a test-made namespace pair."""
import json

import pytest

import netlab
from conftest import PXED_BIN


@pytest.fixture(scope="module")
def jlab(workdir, tree, server_kind):
    if server_kind != "pxed":
        pytest.skip("pxed's own log format")
    lab = netlab.create_lab(workdir)
    try:
        lab.server = netlab.ServerProcess("pxed", lab, tree, pxed_bin=PXED_BIN,
                                          server_overrides={"log_format": "json"}, http_overrides={})
        lab.server.start()
        yield lab
    finally:
        netlab.destroy_lab(lab)


def test_every_line_is_a_json_object_with_typed_fields(jlab, tmp_path):
    size = (jlab.server.root / "text.txt").stat().st_size
    for url in (f"tftp://{jlab.server_ip}/text.txt", f"http://{jlab.server_ip}/text.txt"):
        got = jlab.client(["curl", "-sS", "--max-time", "20", "-o", str(tmp_path / "out"), url], timeout=30)
        assert got.returncode == 0, got.stderr
    jlab.server.wait_event("http.request", path="/text.txt")
    jlab.server.wait_event("tftp.done", file="text.txt")
    lines = [line for line in jlab.server.log_text().splitlines() if line.strip()]
    objects = [json.loads(line) for line in lines]  # every line, not only the ones we look at
    assert all({"time", "level", "event"} <= o.keys() for o in objects), lines
    tftp = next(o for o in objects if o["event"] == "tftp.done")
    http = next(o for o in objects if o["event"] == "http.request")
    assert tftp["bytes"] == size and isinstance(tftp["bytes"], int)
    assert isinstance(tftp["ms"], (int, float)) and isinstance(tftp["blksize"], int)
    assert http["status"] == 200 and http["bytes"] == size
    assert isinstance(http["ms"], (int, float))
    ready = next(o for o in objects if o["event"] == "pxed.ready")
    assert isinstance(ready["open_files"], int)
