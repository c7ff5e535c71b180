"""The JSON API on the HTTP listener (docs/api.md), read by curl from a
test-made namespace while dhclient and curl's TFTP client make a machine's
events: /healthz, /readyz, /api/v1/events (filters, cursor), /api/v1/machines
and the live stream (Server-Sent Events) read by `curl -N` as it happens."""
import json
import select
import subprocess
import time

import pytest

import netlab
from conftest import PXED_BIN
from dhcp_clients import Dhclient, set_mac

MAC = "52:54:00:00:a1:01"
NEVER = "52:54:00:00:a1:02"  # in the inventory, never boots


@pytest.fixture(scope="module")
def alab(workdir, tree, server_kind):
    if server_kind != "pxed":
        pytest.skip("pxed's own API")
    lab = netlab.create_lab(workdir)
    try:
        netlab.run(["ip", "-n", lab.client_ns, "addr", "flush", "dev", "pxc0"])
        # The inventory names the machine that boots, and one that never does.
        inventory = f'[[machine]]\nmac = "{MAC}"\nname = "api-1"\n\n[[machine]]\nmac = "{NEVER}"\nname = "rack-7"\n'
        netlab.start_full_dhcp_pxed(lab, workdir, tree, PXED_BIN, extra_toml="[api]\nmax_streams = 2\n\n" + inventory)
        yield lab
    finally:
        netlab.destroy_lab(lab)


def get(lab, path, *extra):
    r = lab.client(["curl", "-sS", "--max-time", "10", "-w", "\n%{http_code}", *extra,
                    f"http://{lab.server_ip}{path}"], timeout=20)
    body, _, code = r.stdout.rpartition("\n")
    return int(code), body.rstrip("\n")


@pytest.fixture(scope="module")
def booted(alab, tmp_path_factory):
    """A machine with a lease that fetched a file over TFTP: the events the API reads."""
    tmp = tmp_path_factory.mktemp("api")
    set_mac(alab, "pxc0", MAC)
    client = Dhclient(alab, "pxc0", tmp)
    bound = client.bind(alab.server)
    got = alab.client(["curl", "-sS", "--max-time", "20", "-o", str(tmp / "t"),
                       f"tftp://{alab.server_ip}/text.txt"], timeout=30)
    assert got.returncode == 0, got.stderr
    alab.server.wait_event("tftp.done", file="text.txt")
    yield bound["new_ip_address"]
    client.release()
    client.stop()


def test_health_and_readiness(alab, booted):
    assert get(alab, "/healthz") == (200, "ok")
    assert get(alab, "/readyz") == (200, "ready")


def test_events_name_the_machine_and_keep_numbers_numbers(alab, booted):
    code, body = get(alab, f"/api/v1/events?mac={MAC}")
    assert code == 200, body
    events = json.loads(body)["events"]
    kinds = [e["event"] for e in events]
    assert "dhcp.ack" in kinds and "tftp.done" in kinds, kinds
    tftp = next(e for e in events if e["event"] == "tftp.done")
    assert tftp["mac"] == MAC and tftp["file"] == "text.txt"
    assert isinstance(tftp["bytes"], int) and tftp["bytes"] > 0
    assert all(e.get("mac") == MAC for e in events), events
    # A cursor: no transfer of this machine's after its last one (its API calls are
    # events of its own, so the filter names the kind).
    code, body = get(alab, f"/api/v1/events?mac={MAC}&kind=tftp.done&after={tftp['id']}")
    assert json.loads(body)["events"] == []
    code, body = get(alab, "/api/v1/events?kind=tftp.finished")
    assert code == 400 and "kind" in json.loads(body)["error"]


def test_machines_list_the_machine_with_its_address(alab, booted):
    code, body = get(alab, "/api/v1/machines")
    assert code == 200, body
    rows = {m["mac"]: m for m in json.loads(body)["machines"]}
    assert rows[MAC]["ip"] == booted and rows[MAC]["last_file"] == "text.txt", rows[MAC]
    assert rows[MAC]["name"] == "api-1" and rows[MAC]["seen"] is True, rows[MAC]
    assert rows[NEVER]["name"] == "rack-7" and rows[NEVER]["seen"] is False and rows[NEVER]["stage"] == "", rows[NEVER]
    code, body = get(alab, f"/api/v1/machines/{MAC}")
    assert code == 200, body
    one = json.loads(body)
    assert one["machine"]["mac"] == MAC
    fetches = [e["event"] for e in one["events"] if "route" not in e]  # its API calls are events too
    assert fetches[-1] == "tftp.done", one["events"]
    assert get(alab, "/api/v1/machines/52:54:00:00:a1:99")[0] == 404


def wait_streams_free(lab):
    """A stream whose client left frees its slot as pxed reads the close; wait for that."""
    netlab.wait_for(lambda: get(lab, "/api/v1/events/stream", "--max-time", "0.3")[0] == 200, 10,
                    "the previous tests' streams to close")


def test_the_stream_delivers_events_live_and_resumes_where_it_left(alab, booted, tmp_path):
    out = tmp_path / "stream.txt"
    argv = ["ip", "netns", "exec", alab.client_ns, "curl", "-sS", "-N", "--max-time", "15", "-o", str(out),
            f"http://{alab.server_ip}/api/v1/events/stream?kind=http.request"]
    reader = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        netlab.wait_for(lambda: out.exists() and "retry:" in out.read_text(), 10, "the stream to open")
        get(alab, "/text.txt")  # an http.request event, live
        netlab.wait_for(lambda: "event: http.request" in out.read_text(), 10, "the event on the stream")
        text = out.read_text()
        assert "data: {" in text and '"path":"/text.txt"' in text, text
        assert "event: tftp.done" not in text  # the filter holds
    finally:
        reader.kill()
        reader.wait()
    # EventSource reconnects with Last-Event-ID: what it missed comes first.
    first_id = int(next(l for l in out.read_text().splitlines() if l.startswith("id: "))[4:])
    get(alab, "/text.txt")
    code_and_body = alab.client(["curl", "-sS", "-N", "--max-time", "2", "-H", f"Last-Event-ID: {first_id}",
                                 f"http://{alab.server_ip}/api/v1/events/stream?kind=http.request"], timeout=10)
    ids = [int(l[4:]) for l in code_and_body.stdout.splitlines() if l.startswith("id: ")]
    assert ids and min(ids) > first_id, code_and_body.stdout


def open_stream(lab):
    """An event stream held open on a raw connection; its status code."""
    s = lab.tcp_connect(80)
    s.sendall(f"GET /api/v1/events/stream HTTP/1.1\r\nHost: {lab.server_ip}\r\n\r\n".encode())
    head = b""
    while b"\r\n" not in head:
        head += s.recv(1024)
    return s, int(head.split()[1])


def test_streams_past_max_streams_are_refused(alab, booted):
    wait_streams_free(alab)
    held = []
    try:
        # Two streams held, retrying while the probe's own stream lets go of its slot.
        deadline = time.monotonic() + 10
        while len(held) < 2 and time.monotonic() < deadline:
            s, code = open_stream(alab)
            if code == 200:
                held.append(s)
            else:
                s.close()
                time.sleep(0.05)
        assert len(held) == 2
        third, code = open_stream(alab)
        third.close()
        assert code == 503, "a third stream was served past max_streams = 2"
    finally:
        for s in held:
            s.close()


def pxed_cli(lab, *argv, timeout=20):
    """pxed's own client commands, run beside the server (its config names the listener)."""
    config = lab.workdir / f"pxed-{lab.tag}.toml"
    return netlab.run(["ip", "netns", "exec", lab.server_ns, PXED_BIN, *argv, "-c", str(config)],
                      timeout=timeout, check=False)


def test_leases_show_the_subnet_and_the_machines_lease(alab, booted):
    code, body = get(alab, "/api/v1/leases")
    assert code == 200, body
    answer = json.loads(body)
    subnet = answer["subnets"][0]
    assert subnet["size"] == 50 and subnet["used"] >= 1 and subnet["free"] == 50 - subnet["used"], subnet
    assert {"ip": booted, "mac": MAC} == {k: v for k, v in next(
        l for l in answer["leases"] if l["mac"] == MAC).items() if k in ("ip", "mac")}


def test_pxed_status_shows_the_machine(alab, booted):
    table = pxed_cli(alab, "status")
    assert table.returncode == 0, table.stderr
    head, *rows = table.stdout.splitlines()
    assert head.split()[:5] == ["MAC", "NAME", "IP", "ARCH", "STAGE"], table.stdout
    mine = [r for r in rows if r.startswith(MAC)]
    assert mine and "api-1" in mine[0] and booted in mine[0] and "text.txt" in mine[0], table.stdout
    never = [r.split() for r in rows if r.startswith(NEVER)]
    assert never and never[0][1:5] == ["rack-7", "not", "seen", "-------"], table.stdout
    as_json = pxed_cli(alab, "status", "--json")
    assert MAC in {m["mac"] for m in json.loads(as_json.stdout)["machines"]}


def test_pxed_events_lists_and_follows(alab, booted):
    listed = pxed_cli(alab, "events", "--mac", MAC, "--kind", "tftp.done")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines and all(" tftp.done " in l and f"mac={MAC}" in l for l in lines), listed.stdout
    config = alab.workdir / f"pxed-{alab.tag}.toml"
    wait_streams_free(alab)
    follower = subprocess.Popen(["ip", "netns", "exec", alab.server_ns, PXED_BIN, "events", "-c", str(config),
                                 "-f", "--kind", "http.request", "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)  # the stream opens; an event before it would not be live
        get(alab, "/text.txt")
        ready, _, _ = select.select([follower.stdout], [], [], 10)
        assert ready, "pxed events -f printed nothing within 10 s"
        line = follower.stdout.readline()
        streams = [e.line for e in alab.server.events("http.request") if "stream" in e.fields.get("path", "")]
        assert line, f"pxed events -f ended: {follower.stderr.read()}\n" + "\n".join(streams)
        event = json.loads(line)
        assert event["event"] == "http.request", line
    finally:
        follower.kill()
        follower.wait()


def test_pxed_status_says_where_it_looked_when_pxed_is_not_there(alab, tmp_path):
    r = netlab.run([PXED_BIN, "status", "-c", str(alab.workdir / f"pxed-{alab.tag}.toml"),
                    "--server", "127.0.0.1:9"], timeout=20, check=False)
    assert r.returncode == 1 and "cannot reach pxed at http://127.0.0.1:9" in r.stderr, r.stderr


def test_events_and_timelines_survive_a_restart(alab, booted):
    # Last in this file: it restarts the server.
    code, body = get(alab, f"/api/v1/events?mac={MAC}&limit=1000")
    assert code == 200, body
    before = json.loads(body)["events"]
    assert any(e["event"] == "tftp.done" and e["file"] == "text.txt" for e in before), before
    last_id = max(e["id"] for e in before)
    code, body = get(alab, f"/api/v1/machines/{MAC}")
    row = json.loads(body)["machine"]
    alab.server.stop()
    alab.server.start()
    code, body = get(alab, f"/api/v1/events?mac={MAC}&limit=1000")
    assert code == 200, body
    after = json.loads(body)["events"]
    assert [e["id"] for e in after[:len(before)]] == [e["id"] for e in before]
    assert after[:len(before)] == before
    # Numbering goes on: a client resuming with Last-Event-ID neither misses nor repeats.
    code, body = get(alab, "/api/v1/events?kind=pxed.ready&limit=1000")
    assert json.loads(body)["events"][-1]["id"] > last_id, body
    code, body = get(alab, f"/api/v1/machines/{MAC}")
    assert code == 200, body
    # The row is rebuilt from the same events: the same row.
    assert json.loads(body)["machine"] == row
