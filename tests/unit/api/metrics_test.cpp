#include "api/metrics.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>

namespace pxed::api {
namespace {

using events::Event;
using events::Kind;
using events::Level;

const core::Mac kA = *core::Mac::parse("52:54:00:00:00:0a");

// The sample line of that series (`name{labels} value`), or empty.
std::string line_of(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(series + " ")) return line;
  }
  return {};
}

// The value of one series as the text format wrote it.
std::string value_of(const std::string& text, const std::string& series) {
  auto line = line_of(text, series);
  return line.empty() ? "absent" : line.substr(series.size() + 1);
}

Event tftp_done(std::string result, std::int64_t bytes, double ms) {
  Event e{Kind::tftp_done};
  e.add("file", "lpxelinux.0").add("bytes", bytes).add("ms", ms).add("result", std::move(result));
  return e;
}

Event http_request(std::int64_t status, std::int64_t bytes, double ms) {
  Event e{Kind::http_request};
  e.add("path", "/vmlinuz").add("status", status).add("bytes", bytes).add("ms", ms);
  return e;
}

TEST(Metrics, CountsTftpTransfersAndBytesByResult) {
  Metrics m;
  m.publish(tftp_done("ok", 42372, 3.1));
  m.publish(tftp_done("ok", 1000, 1.0));
  m.publish(tftp_done("timeout", 512, 5000));
  const auto t = m.text();
  EXPECT_EQ(value_of(t, R"(pxed_tftp_transfers_total{result="ok"})"), "2");
  EXPECT_EQ(value_of(t, R"(pxed_tftp_bytes_total{result="ok"})"), "43372");
  EXPECT_EQ(value_of(t, R"(pxed_tftp_transfers_total{result="timeout"})"), "1");
  EXPECT_EQ(value_of(t, R"(pxed_tftp_transfers_total{result="evicted"})"), "0");  // there before it happens
  EXPECT_NE(t.find("# TYPE pxed_tftp_transfers_total counter"), std::string::npos);
  EXPECT_NE(t.find("# HELP pxed_tftp_transfers_total "), std::string::npos);
}

TEST(Metrics, ObservesTransferTimesInSeconds) {
  Metrics m;
  m.publish(tftp_done("ok", 1, 3.0));     // 0.003 s
  m.publish(tftp_done("ok", 1, 2000.0));  // 2 s
  const auto t = m.text();
  EXPECT_NE(t.find("# TYPE pxed_tftp_transfer_duration_seconds histogram"), std::string::npos);
  EXPECT_EQ(value_of(t, R"(pxed_tftp_transfer_duration_seconds_bucket{le="0.0025"})"), "0");
  EXPECT_EQ(value_of(t, R"(pxed_tftp_transfer_duration_seconds_bucket{le="0.005"})"), "1");
  EXPECT_EQ(value_of(t, R"(pxed_tftp_transfer_duration_seconds_bucket{le="2.5"})"), "2");
  EXPECT_EQ(value_of(t, R"(pxed_tftp_transfer_duration_seconds_bucket{le="+Inf"})"), "2");
  EXPECT_EQ(value_of(t, "pxed_tftp_transfer_duration_seconds_count"), "2");
  EXPECT_EQ(value_of(t, "pxed_tftp_transfer_duration_seconds_sum"), "2.003");
}

TEST(Metrics, KeepsErrnoTextAndUnknownResultsOutOfLabels) {
  Metrics m;
  m.publish(tftp_done("read-error:Input/output error", 0, 1));
  m.publish(tftp_done("something-new", 0, 1));
  const auto t = m.text();
  EXPECT_EQ(value_of(t, R"(pxed_tftp_transfers_total{result="read-error"})"), "1");
  EXPECT_EQ(value_of(t, R"(pxed_tftp_transfers_total{result="other"})"), "1");
  EXPECT_EQ(t.find("Input/output"), std::string::npos);
  EXPECT_EQ(t.find("lpxelinux"), std::string::npos);  // never a file name
}

TEST(Metrics, CountsHttpRequestsByRouteAndCode) {
  Metrics m;
  m.publish(http_request(200, 5000, 12.5));
  m.publish(http_request(206, 100, 1));
  m.publish(http_request(404, 10, 0.2));
  m.publish(http_request(418, 10, 0.2));  // a code pxed does not send keeps its class
  auto api = http_request(200, 77, 0.5);
  api.add("route", "/api/");
  m.publish(api);
  const auto t = m.text();
  EXPECT_EQ(value_of(t, R"(pxed_http_requests_total{code="200",route="files"})"), "1");
  EXPECT_EQ(value_of(t, R"(pxed_http_bytes_total{code="200",route="files"})"), "5000");
  EXPECT_EQ(value_of(t, R"(pxed_http_requests_total{code="206",route="files"})"), "1");
  EXPECT_EQ(value_of(t, R"(pxed_http_requests_total{code="404",route="files"})"), "1");
  EXPECT_EQ(value_of(t, R"(pxed_http_requests_total{code="4xx",route="files"})"), "1");
  EXPECT_EQ(value_of(t, R"(pxed_http_requests_total{code="200",route="/api/"})"), "1");
  EXPECT_EQ(value_of(t, R"(pxed_http_request_duration_seconds_count{route="files"})"), "4");
  EXPECT_EQ(value_of(t, R"(pxed_http_request_duration_seconds_bucket{route="files",le="0.01"})"), "3");
}

TEST(Metrics, CountsDhcpAnswersByType) {
  Metrics m;
  m.publish(Event{Kind::dhcp_offer}.about(kA));
  m.publish(Event{Kind::dhcp_ack}.about(kA).add("result", "selecting"));
  m.publish(Event{Kind::dhcp_proxy_offer});
  const auto t = m.text();
  EXPECT_EQ(value_of(t, R"(pxed_dhcp_answers_total{type="offer"})"), "1");
  EXPECT_EQ(value_of(t, R"(pxed_dhcp_answers_total{type="ack"})"), "1");
  EXPECT_EQ(value_of(t, R"(pxed_dhcp_answers_total{type="proxy_offer"})"), "1");
  EXPECT_EQ(value_of(t, R"(pxed_dhcp_answers_total{type="nak"})"), "0");
  EXPECT_EQ(value_of(t, R"(pxed_dhcp_answers_total{type="pxe_ack"})"), "0");
  EXPECT_EQ(t.find("52:54:00"), std::string::npos);  // never a MAC
}

TEST(Metrics, CountsDropsIgnoredAndRefusedByBoundedReason) {
  Metrics m;
  m.publish(Event{Kind::dhcp_dropped}.add("reason", "bad-cookie"));
  m.publish(Event{Kind::dhcp_dropped}.add("reason", "no-subnet"));
  m.publish(Event{Kind::dhcp_ignored}.add("reason", "unexpected-DISCOVER"));
  m.publish(Event{Kind::dhcp_ignored}.add("reason", "unexpected-<script>"));
  m.publish(Event{Kind::dhcp_refused}.add("result", "pool-exhausted"));
  m.publish(Event{Kind::tftp_refused}.add("reason", "not-found").add("file", "pxelinux.cfg/01-aa"));
  m.publish(Event{Kind::tftp_refused}.add("reason", "over-budget").add("suppressed", 4));
  m.publish(Event{Kind::tftp_malformed}.add("error", "bad-mode"));
  m.publish(Event{Kind::http_refused}.add("reason", "client-busy"));
  const auto t = m.text();
  EXPECT_EQ(value_of(t, R"(pxed_dhcp_dropped_total{reason="bad-cookie"})"), "1");
  EXPECT_EQ(value_of(t, R"(pxed_dhcp_dropped_total{reason="no-subnet"})"), "1");
  EXPECT_EQ(value_of(t, R"(pxed_malformed_packets_total{error="bad-cookie",protocol="dhcp"})"), "1");
  EXPECT_EQ(value_of(t, R"(pxed_malformed_packets_total{error="bad-mode",protocol="tftp"})"), "1");
  EXPECT_EQ(value_of(t, R"(pxed_dhcp_ignored_total{reason="unexpected-DISCOVER"})"), "1");
  EXPECT_EQ(value_of(t, R"(pxed_dhcp_ignored_total{reason="other"})"), "1");
  EXPECT_EQ(value_of(t, R"(pxed_dhcp_refused_total{reason="pool-exhausted"})"), "1");
  EXPECT_EQ(value_of(t, R"(pxed_tftp_refused_total{reason="not-found"})"), "1");
  EXPECT_EQ(value_of(t, R"(pxed_tftp_refused_total{reason="over-budget"})"), "5");  // it stands for 4 more
  EXPECT_EQ(value_of(t, R"(pxed_http_refused_total{reason="client-busy"})"), "1");
}

TEST(Metrics, CountsEveryKindByLevelFromZero) {
  Metrics m;
  m.publish(Event{Kind::tftp_done, Level::warn}.add("result", "timeout"));
  m.publish(Event{Kind::pxed_ready});
  const auto t = m.text();
  EXPECT_EQ(value_of(t, R"(pxed_events_total{kind="tftp.done",level="warn"})"), "1");
  EXPECT_EQ(value_of(t, R"(pxed_events_total{kind="tftp.done",level="info"})"), "0");
  EXPECT_EQ(value_of(t, R"(pxed_events_total{kind="pxed.ready",level="info"})"), "1");
  for (const auto& k : events::kinds()) {
    const auto series = "pxed_events_total{kind=\"" + std::string(k.name) + "\",level=\"" +
                        std::string(events::to_string(k.level)) + "\"}";
    EXPECT_NE(line_of(t, series), "") << series;
  }
}

TEST(Metrics, ReadsGaugesAtScrapeTime) {
  Metrics m;
  std::size_t transfers = 3;
  MachineTable machines;
  m.read_from({.tftp_transfers = [&] { return transfers; },
               .http_connections = [] { return std::size_t{2}; },
               .leases = [] { return std::vector<SubnetLeases>{{"10.77.0.0/24", 5, 95}}; },
               .images = [] { return std::size_t{1}; },
               .stream_subscribers = [] { return std::size_t{4}; },
               .machines = &machines});
  auto stage = Event{Kind::machine_stage}.about(kA).add("stage", "kernel");
  stage.time_ms = 1000;
  machines.publish(stage);
  auto t = m.text();
  EXPECT_EQ(value_of(t, "pxed_tftp_active_transfers"), "3");
  EXPECT_NE(t.find("# TYPE pxed_tftp_active_transfers gauge"), std::string::npos);
  EXPECT_EQ(value_of(t, "pxed_http_open_connections"), "2");
  EXPECT_EQ(value_of(t, R"(pxed_dhcp_leases{state="used",subnet="10.77.0.0/24"})"), "5");
  EXPECT_EQ(value_of(t, R"(pxed_dhcp_leases{state="free",subnet="10.77.0.0/24"})"), "95");
  EXPECT_EQ(value_of(t, "pxed_images_mounted"), "1");
  EXPECT_EQ(value_of(t, "pxed_api_stream_subscribers"), "4");
  EXPECT_EQ(value_of(t, R"(pxed_machines{stage="kernel"})"), "1");
  EXPECT_EQ(value_of(t, R"(pxed_machines{stage="dhcp"})"), "0");
  transfers = 0;
  EXPECT_EQ(value_of(m.text(), "pxed_tftp_active_transfers"), "0");
}

TEST(Metrics, CountsImagesByOsAndKeepsAnOsWhoseLastImageWentAtZero) {
  Metrics m;
  std::map<std::string, std::size_t> by_os{{"debian11", 2}, {"unknown", 1}};
  m.read_from({.images_by_os = [&] { return by_os; }});
  auto t = m.text();
  EXPECT_NE(t.find("# TYPE pxed_images gauge"), std::string::npos);
  EXPECT_EQ(value_of(t, R"(pxed_images{os="debian11"})"), "2");
  EXPECT_EQ(value_of(t, R"(pxed_images{os="unknown"})"), "1");
  by_os = {{"ubuntu22.04", 1}};
  t = m.text();
  EXPECT_EQ(value_of(t, R"(pxed_images{os="debian11"})"), "0");
  EXPECT_EQ(value_of(t, R"(pxed_images{os="unknown"})"), "0");
  EXPECT_EQ(value_of(t, R"(pxed_images{os="ubuntu22.04"})"), "1");
}

TEST(Metrics, LeavesOutTheGaugesOfServicesThatAreOff) {
  Metrics m;
  m.read_from({.tftp_transfers = [] { return std::size_t{0}; }});
  const auto t = m.text();
  EXPECT_NE(line_of(t, "pxed_tftp_active_transfers"), "");
  EXPECT_EQ(t.find("pxed_dhcp_leases"), std::string::npos);
  EXPECT_EQ(t.find("pxed_http_open_connections"), std::string::npos);
}

TEST(Metrics, AnswersGetMetricsInTheTextFormat) {
  Metrics m;
  auto routes = m.routes();
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_TRUE(http::matches(routes[0], "/metrics"));
  EXPECT_FALSE(http::matches(routes[0], "/metrics/x"));
  const vfs::Requester who{};
  const http::Call call{.method = "GET", .path = "/metrics", .query = "", .authorization = "",
                        .last_event_id = "", .who = who};
  auto answer = routes[0].handler(call);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200u);
  EXPECT_EQ(answer->content_type, "text/plain; version=0.0.4");
  EXPECT_NE(answer->body.find("# TYPE pxed_events_total counter"), std::string::npos);
}

TEST(Metrics, EveryFamilyIsDocumented) {
  Metrics m;
  MachineTable machines;
  auto none = [] { return std::size_t{0}; };
  m.read_from({.tftp_transfers = none, .http_connections = none,
               .leases = [] { return std::vector<SubnetLeases>{{"10.0.0.0/8", 0, 0}}; },
               .images = none, .images_by_os = [] { return std::map<std::string, std::size_t>{}; },
               .stream_subscribers = none, .machines = &machines});
  m.publish(http_request(200, 1, 1));  // HTTP's families have a series per route and code seen
  std::ifstream in(PXED_DOCS "/api.md");
  ASSERT_TRUE(in) << PXED_DOCS "/api.md";
  const std::string docs{std::istreambuf_iterator<char>(in), {}};
  std::istringstream text(m.text());
  int families = 0;
  for (std::string line; std::getline(text, line);) {
    if (!line.starts_with("# TYPE ")) continue;
    ++families;
    const auto name = line.substr(7, line.find(' ', 7) - 7);
    EXPECT_NE(docs.find("| `" + name + "` |"), std::string::npos) << name << " is missing from docs/api.md";
  }
  EXPECT_GE(families, 20);
}

}  // namespace
}  // namespace pxed::api
