"""/metrics (docs/api.md "Metrics"): real clients (dhclient, curl over TFTP and
HTTP, a raw malformed datagram) make traffic in a test-made namespace; curl
fetches /metrics and Prometheus' own parser (python3-prometheus-client) reads
it. The counters must move by exactly what the traffic implies."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

import netlab
from conftest import PXED_BIN
from dhcp_clients import Dhclient, set_mac
from suite import FILES

MAC = "52:54:00:00:b2:01"
RANGE = 50  # addresses in the lab subnet's range
TFTP_FILES = ["exact-512x8.bin", "exact-1468x4.bin", "sub/dir/random-1m.bin"]


@pytest.fixture(scope="module")
def mlab(workdir, tree, server_kind):
    if server_kind != "pxed":
        pytest.skip("pxed's own metrics")
    lab = netlab.create_lab(workdir)
    try:
        netlab.run(["ip", "-n", lab.client_ns, "addr", "flush", "dev", "pxc0"])
        netlab.start_full_dhcp_pxed(lab, workdir, tree, PXED_BIN, range_size=RANGE)
        yield lab
    finally:
        netlab.destroy_lab(lab)


class Scrape:
    """One /metrics answer, parsed by Prometheus' parser."""

    def __init__(self, text, content_type):
        self.text = text
        self.content_type = content_type
        self.types = {}
        self.samples = {}
        for family in text_string_to_metric_families(text):
            self.types[family.name] = family.type
            for s in family.samples:
                self.samples[(s.name, frozenset(s.labels.items()))] = s.value

    def value(self, name, **labels):
        return self.samples.get((name, frozenset(labels.items())), 0.0)


def scrape(lab):
    # From the server's namespace: before DHCP the client has no address to ask from.
    r = netlab.run(["ip", "netns", "exec", lab.server_ns, "curl", "-sS", "--max-time", "10",
                    "-w", "\n%{http_code} %{content_type}", f"http://{lab.server_ip}/metrics"], timeout=20)
    body, _, status = r.stdout.rpartition("\n")
    code, _, content_type = status.partition(" ")
    assert code == "200", f"{r.stdout}{r.stderr}"
    return Scrape(body + "\n", content_type)


def http(lab, path, *extra):
    r = lab.client(["curl", "-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}", *extra,
                    f"http://{lab.server_ip}/{path}"], timeout=20)
    return int(r.stdout)


@pytest.fixture(scope="module")
def traffic(mlab, tmp_path_factory):
    """Metrics before and after one machine's DHCP, TFTP and HTTP traffic."""
    tmp = tmp_path_factory.mktemp("metrics")
    before = scrape(mlab)
    set_mac(mlab, "pxc0", MAC)
    client = Dhclient(mlab, "pxc0", tmp)
    client.bind(mlab.server)
    mark = mlab.server.mark()
    for name in TFTP_FILES:
        got = mlab.client(["curl", "-sS", "--max-time", "20", "-o", str(tmp / "t"),
                           f"tftp://{mlab.server_ip}/{name}"], timeout=30)
        assert got.returncode == 0, got.stderr
        # curl is done at the last DATA; pxed counts the transfer at its last ACK.
        mlab.server.wait_event("tftp.done", since=mark, file=name)
    mlab.client(["curl", "-sS", "--max-time", "5", "-o", str(tmp / "t"),
                 f"tftp://{mlab.server_ip}/no-such-file"], timeout=15)
    mlab.server.wait_event("tftp.refused", since=mark, reason="not-found")
    # One datagram too short to be any TFTP packet.
    mlab.client(["/usr/bin/python3", "-c",
                 "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                 f"s.sendto(b'\\x00', ('{mlab.server_ip}', 69))"], timeout=10)
    mlab.server.wait_event("tftp.malformed", since=mark)
    assert http(mlab, "exact-512x8.bin") == 200
    assert http(mlab, "exact-1468x4.bin", "-r", "0-99") == 206
    assert http(mlab, "no-such-file") == 404
    mlab.server.wait_event("http.request", since=mark, path="/no-such-file")
    after = scrape(mlab)
    yield before, after
    client.release()
    client.stop()


def delta(before, after, name, **labels):
    return after.value(name, **labels) - before.value(name, **labels)


def test_metrics_are_the_text_format_with_help_and_types(mlab, traffic):
    _, after = traffic
    assert after.content_type.startswith("text/plain; version=0.0.4"), after.content_type
    counters = ["pxed_events", "pxed_dhcp_answers", "pxed_dhcp_dropped", "pxed_malformed_packets",
                "pxed_tftp_transfers", "pxed_tftp_bytes", "pxed_tftp_refused", "pxed_http_requests",
                "pxed_http_bytes"]
    for name in counters:
        assert after.types.get(name) == "counter", (name, after.types.get(name))
    for name in ["pxed_tftp_transfer_duration_seconds", "pxed_http_request_duration_seconds",
                 "pxed_dhcp_answer_duration_seconds"]:
        assert after.types.get(name) == "histogram", (name, after.types.get(name))
    for name in ["pxed_tftp_active_transfers", "pxed_http_open_connections", "pxed_dhcp_leases", "pxed_machines",
                 "pxed_images_mounted", "pxed_api_stream_subscribers"]:
        assert after.types.get(name) == "gauge", (name, after.types.get(name))
    assert "# HELP pxed_tftp_transfers_total " in after.text


def test_tftp_counters_move_by_the_transfers_made(mlab, traffic):
    before, after = traffic
    assert delta(before, after, "pxed_tftp_transfers_total", result="ok") == len(TFTP_FILES)
    assert delta(before, after, "pxed_tftp_bytes_total", result="ok") == sum(FILES[f] for f in TFTP_FILES)
    assert delta(before, after, "pxed_tftp_transfer_duration_seconds_count") == len(TFTP_FILES)
    assert delta(before, after, "pxed_tftp_transfer_duration_seconds_bucket", le="+Inf") == len(TFTP_FILES)
    assert delta(before, after, "pxed_tftp_refused_total", reason="not-found") == 1
    assert delta(before, after, "pxed_malformed_packets_total", protocol="tftp", error="too-short") == 1
    assert delta(before, after, "pxed_events_total", kind="tftp.done", level="info") == len(TFTP_FILES)
    assert after.value("pxed_tftp_active_transfers") == 0


def test_http_counters_move_by_the_requests_made(mlab, traffic):
    before, after = traffic
    assert delta(before, after, "pxed_http_requests_total", route="files", code="200") == 1
    assert delta(before, after, "pxed_http_bytes_total", route="files", code="200") == FILES["exact-512x8.bin"]
    assert delta(before, after, "pxed_http_requests_total", route="files", code="206") == 1
    assert delta(before, after, "pxed_http_bytes_total", route="files", code="206") == 100
    assert delta(before, after, "pxed_http_requests_total", route="files", code="404") == 1
    assert delta(before, after, "pxed_http_request_duration_seconds_count", route="files") == 3
    # The first scrape is an http.request of its own, counted before the second one.
    assert delta(before, after, "pxed_http_requests_total", route="/metrics", code="200") == 1
    assert after.value("pxed_http_open_connections") >= 1  # the scrape's own connection


def test_dhcp_answers_and_leases_follow_the_client(mlab, traffic):
    before, after = traffic
    assert delta(before, after, "pxed_dhcp_answers_total", type="offer") >= 1
    assert delta(before, after, "pxed_dhcp_answers_total", type="ack") >= 1
    assert delta(before, after, "pxed_dhcp_answers_total", type="nak") == 0
    # Every answer is timed; an ACK waited for its lease's fsync, so it took some time.
    for kind in ("offer", "ack"):
        assert (delta(before, after, "pxed_dhcp_answer_duration_seconds_count", type=kind)
                == delta(before, after, "pxed_dhcp_answers_total", type=kind))
    assert delta(before, after, "pxed_dhcp_answer_duration_seconds_sum", type="ack") > 0
    ack = mlab.server.wait_event("dhcp.ack")
    assert float(ack.fields["ms"]) > 0, ack.line
    subnet = f"10.241.{mlab.subnet}.0/24"
    assert before.value("pxed_dhcp_leases", subnet=subnet, state="used") == 0
    assert before.value("pxed_dhcp_leases", subnet=subnet, state="free") == RANGE
    assert after.value("pxed_dhcp_leases", subnet=subnet, state="used") == 1
    assert after.value("pxed_dhcp_leases", subnet=subnet, state="free") == RANGE - 1


def test_labels_carry_no_file_names_or_macs(mlab, traffic):
    _, after = traffic
    for name in TFTP_FILES + ["no-such-file", MAC]:
        assert name not in after.text, name
