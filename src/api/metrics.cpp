#include "api/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include "store/machine_store.hpp"

namespace pxed::api {
namespace {

using events::Kind;
using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

// A label value is one of these, or "other": a new reason added to a service
// without a line here is still counted, and a label never takes a value
// from the wire (a file name, a MAC) that would grow series without end.
struct Allowed {
  std::vector<std::string_view> values;
  // Reasons built as prefix + a message type ("unexpected-DISCOVER"): kept whole
  // when the rest is a few upper-case letters, as the codec's names are.
  std::vector<std::string_view> typed_prefixes = {};
};

constexpr std::string_view kOther = "other";

bool message_type_name(std::string_view s) {
  return !s.empty() && s.size() <= 16 && std::ranges::all_of(s, [](char c) { return c >= 'A' && c <= 'Z'; });
}

std::string bounded(std::string_view value, const Allowed& allowed) {
  if (std::ranges::find(allowed.values, value) != allowed.values.end()) return std::string(value);
  for (auto prefix : allowed.typed_prefixes) {
    if (value.starts_with(prefix) && message_type_name(value.substr(prefix.size()))) return std::string(value);
  }
  return std::string(kOther);
}

// tftp/session.cpp's outcomes and tftp_service.cpp's failures.
const Allowed kTftpResults{{"ok", "tsize-probe", "options-refused", "client-error", "timeout", "protocol-error",
                            "evicted", "file-changed", "read-error"}};
// tftp_service.cpp's refusals (vfs open errors, admission) and the decode errors it refuses.
const Allowed kTftpRefusals{{"not-found", "not-a-file", "bad-path", "outside-root", "permission", "io",
                             "over-budget", "write-refused", "client-busy", "busy", "too-short", "bad-opcode",
                             "bad-mode", "unknown-mode", "bad-option"}};
// tftp/packet.cpp DecodeError.
const Allowed kTftpMalformed{{"too-short", "bad-opcode", "bad-filename", "bad-mode", "unknown-mode", "bad-option"}};
// dhcp/packet.cpp DecodeError: a dhcp.dropped with one of these is a malformed packet.
const Allowed kDhcpMalformed{{"truncated", "bad-cookie", "bad-op", "bad-hardware", "option-overrun",
                              "overload-loop", "too-large"}};
const Allowed kDhcpDropped{{"truncated", "bad-cookie", "bad-op", "bad-hardware", "option-overrun",
                            "overload-loop", "too-large", "bootreply", "bootp", "bootrequest-on-68", "no-subnet"}};
const Allowed kDhcpIgnored{{"dhcp-off", "not-pxe", "release-not-its-address", "decline-not-ours",
                            "decline-not-its-address", "chose-other-server", "request-without-address",
                            "unknown-client", "no-boot-file", "unknown-boot-item", "bis-not-supported"},
                           {"unexpected-", "proxy-", "pxe-"}};
const Allowed kDhcpRefused{{"untrusted-relay", "decline-client-limit", "decline-subnet-limit", "pool-exhausted",
                            "client-rate", "interface-rate", "client-answer-rate"}};
const Allowed kHttpRefused{{"busy", "client-busy"}};
const Allowed kHttpTimeouts{{"header-timeout"}};
// The routes app hands http::Service; a request outside them is a file of the tree.
const Allowed kRoutes{{"/api/", "/healthz", "/readyz", "/pxed/", "/metrics"}};
constexpr std::string_view kFilesRoute = "files";
// Statuses pxed's HTTP side sends; any other keeps only its class ("4xx").
constexpr std::array<std::int64_t, 17> kHttpCodes{200, 204, 206, 301, 304, 400, 403, 404, 405,
                                                  408, 412, 413, 416, 431, 500, 501, 503};

std::string http_code(const events::Value* status) {
  std::int64_t code = 0;
  if (status != nullptr) {
    if (const auto* n = std::get_if<std::int64_t>(status)) code = *n;
    if (const auto* s = std::get_if<std::string>(status)) code = std::atoll(s->c_str());
  }
  if (std::ranges::find(kHttpCodes, code) != kHttpCodes.end()) return std::to_string(code);
  if (code >= 100 && code <= 599) return std::to_string(code / 100) + "xx";
  return std::string(kOther);
}

// From a 4 ms config file to a 5-minute initrd over a lossy link.
const Histogram::BucketBoundaries kSecondBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                 0.5,   1,      2.5,   5,    10,    30,    60,  300};

// From an answer straight off the loop (~0.1 ms) to one that waited for a
// lease write behind a burst (pxed's target under a storm is 50 ms at p99).
const Histogram::BucketBoundaries kDhcpBuckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                               0.025,  0.05,    0.1,    0.25,  0.5,    1};

constexpr std::size_t kLevels = 4;

std::string_view answer_type(Kind kind) {
  switch (kind) {
    case Kind::dhcp_offer: return "offer";
    case Kind::dhcp_ack: return "ack";
    case Kind::dhcp_nak: return "nak";
    case Kind::dhcp_proxy_offer: return "proxy_offer";
    case Kind::dhcp_proxy_ack: return "proxy_ack";
    case Kind::dhcp_pxe_ack: return "pxe_ack";
    default: return {};
  }
}

Family<Counter>& counter(prometheus::Registry& r, const std::string& name, const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}
Family<Gauge>& gauge(prometheus::Registry& r, const std::string& name, const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}
Family<Histogram>& histogram(prometheus::Registry& r, const std::string& name, const std::string& help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r);
}

// Series of a fixed set appear at 0 from the start, so a rate() over the
// first occurrence is right and "never happened" reads as 0, not as absent
// (prometheus-cpp leaves a family without series out of the text entirely).
void precreate(Family<Counter>& family, const std::string& label, const Allowed& allowed) {
  for (auto v : allowed.values) family.Add({{label, std::string(v)}});
}

}  // namespace

struct Metrics::Impl {
  Impl();
  void add_gauges();
  void count_events(const events::Event& e);
  void read_gauges();
  // The series of one HTTP route and status code (of one DHCP answer type),
  // found once: Family::Add builds a whole metric (a histogram's buckets)
  // before it looks, and every HTTP request counts into these.
  struct Answered {
    Counter* count = nullptr;
    Counter* bytes = nullptr;  // HTTP only
    Histogram* duration = nullptr;
  };
  Answered& http_series(const std::string& route, const std::string& code);
  Answered& dhcp_series(std::string_view type);
  std::map<std::pair<std::string, std::string>, Answered> http_answered;  // bounded: routes x codes
  std::map<std::string, Answered, std::less<>> dhcp_answered;

  MetricSources sources;
  prometheus::Registry registry;

  Family<Counter>& events = counter(registry, "pxed_events_total",
                                    "Events pxed emitted, by kind and level (docs/events.md lists the kinds)");
  std::vector<std::array<Counter*, kLevels>> by_kind = std::vector<std::array<Counter*, kLevels>>(
      events::kinds().size());

  Family<Counter>& dhcp_answers = counter(registry, "pxed_dhcp_answers_total",
                                          "DHCP answers sent, by type (full mode, ProxyDHCP, port 4011)");
  Family<Histogram>& dhcp_duration = histogram(registry, "pxed_dhcp_answer_duration_seconds",
                                               "Time from a DHCP request's arrival to its answer's send, by type "
                                               "(an ACK waits for its lease to be on disk)");
  Family<Counter>& dhcp_dropped = counter(registry, "pxed_dhcp_dropped_total",
                                          "DHCP packets that could not be read or were not for us, by reason");
  Family<Counter>& dhcp_ignored = counter(registry, "pxed_dhcp_ignored_total",
                                          "DHCP requests pxed chose not to answer, by reason");
  Family<Counter>& dhcp_refused = counter(registry, "pxed_dhcp_refused_total",
                                          "DHCP requests refused at a limit, by reason");
  Family<Counter>& malformed = counter(registry, "pxed_malformed_packets_total",
                                       "Packets that could not be decoded, by protocol and error");
  Family<Counter>& tftp_transfers = counter(registry, "pxed_tftp_transfers_total",
                                            "TFTP transfers ended, by result");
  Family<Counter>& tftp_bytes = counter(registry, "pxed_tftp_bytes_total",
                                        "Bytes of TFTP transfers acknowledged by clients, by result");
  Family<Histogram>& tftp_duration = histogram(registry, "pxed_tftp_transfer_duration_seconds",
                                               "Time from a TFTP request to its transfer's end");
  Histogram& tftp_seconds = tftp_duration.Add({}, kSecondBuckets);
  Family<Counter>& tftp_refused = counter(registry, "pxed_tftp_refused_total",
                                          "TFTP requests refused, by reason");
  Family<Counter>& http_requests = counter(registry, "pxed_http_requests_total",
                                           "HTTP requests answered, by route (files or pxed's own) and status code");
  Family<Counter>& http_bytes = counter(registry, "pxed_http_bytes_total",
                                        "Bytes of HTTP response bodies sent, by route and status code");
  Family<Histogram>& http_duration = histogram(registry, "pxed_http_request_duration_seconds",
                                               "Time from an HTTP request's header to its answer's last byte, by route");
  Family<Counter>& http_refused = counter(registry, "pxed_http_refused_total",
                                          "HTTP connections refused at the connection caps, by reason");
  Family<Counter>& http_timeouts = counter(registry, "pxed_http_timeouts_total",
                                           "HTTP connections closed on a timeout, by reason");

  // Gauges: created only for the sources handed in.
  Family<Gauge>* tftp_active = nullptr;
  Family<Gauge>* http_open = nullptr;
  Family<Gauge>* leases = nullptr;
  Family<Gauge>* machines = nullptr;
  Family<Gauge>* images = nullptr;
  Family<Gauge>* images_by_os = nullptr;
  // OSes counted once: a label whose last image went stays, at 0, rather than
  // vanishing (a missing series looks like a broken scrape).
  std::set<std::string> image_oses{"unknown"};
  Family<Gauge>* subscribers = nullptr;
};

Metrics::Impl::Impl() {
  for (const auto& k : events::kinds()) {
    by_kind[static_cast<std::size_t>(k.kind)][static_cast<std::size_t>(k.level)] = &events.Add(
        {{"kind", std::string(k.name)}, {"level", std::string(events::to_string(k.level))}});
  }
  for (auto kind : {Kind::dhcp_offer, Kind::dhcp_ack, Kind::dhcp_nak, Kind::dhcp_proxy_offer, Kind::dhcp_proxy_ack,
                    Kind::dhcp_pxe_ack}) {
    dhcp_answers.Add({{"type", std::string(answer_type(kind))}});
    dhcp_duration.Add({{"type", std::string(answer_type(kind))}}, kDhcpBuckets);
  }
  precreate(tftp_transfers, "result", kTftpResults);
  precreate(tftp_bytes, "result", kTftpResults);
  precreate(tftp_refused, "reason", kTftpRefusals);
  precreate(dhcp_dropped, "reason", kDhcpDropped);
  precreate(dhcp_ignored, "reason", kDhcpIgnored);
  precreate(dhcp_refused, "reason", kDhcpRefused);
  precreate(http_refused, "reason", kHttpRefused);
  precreate(http_timeouts, "reason", kHttpTimeouts);
  for (auto error : kTftpMalformed.values) malformed.Add({{"protocol", "tftp"}, {"error", std::string(error)}});
  for (auto error : kDhcpMalformed.values) malformed.Add({{"protocol", "dhcp"}, {"error", std::string(error)}});
}

void Metrics::Impl::add_gauges() {
  if (sources.tftp_transfers) {
    tftp_active = &gauge(registry, "pxed_tftp_active_transfers", "TFTP transfers in progress");
  }
  if (sources.http_connections) {
    http_open = &gauge(registry, "pxed_http_open_connections", "HTTP connections holding a slot");
  }
  if (sources.leases) {
    leases = &gauge(registry, "pxed_dhcp_leases",
                    "Addresses of each full-mode subnet's range: used (bound leases) and free (nobody's)");
  }
  if (sources.machines != nullptr) {
    machines = &gauge(registry, "pxed_machines",
                      "Machines seen since pxed started, by the stage their current boot reached");
  }
  if (sources.images) images = &gauge(registry, "pxed_images_mounted", "ISO images served as folders");
  if (sources.images_by_os) {
    images_by_os = &gauge(registry, "pxed_images",
                          "Images served, by the OS osinfo-db finds in each (its short id) or unknown");
  }
  if (sources.stream_subscribers) {
    subscribers = &gauge(registry, "pxed_api_stream_subscribers", "Open /api/v1/events/stream connections");
  }
}

void Metrics::Impl::count_events(const events::Event& e) {
  auto& slot = by_kind[static_cast<std::size_t>(e.kind)][static_cast<std::size_t>(e.level)];
  if (slot == nullptr) {
    slot = &events.Add({{"kind", std::string(e.name())}, {"level", std::string(events::to_string(e.level))}});
  }
  slot->Increment();

  if (auto type = answer_type(e.kind); !type.empty()) {
    auto& series = dhcp_series(type);
    series.count->Increment();
    series.duration->Observe(e.number("ms") / 1000);
    return;
  }
  switch (e.kind) {
    case Kind::dhcp_dropped: {
      const auto reason = e.text("reason");
      dhcp_dropped.Add({{"reason", bounded(reason, kDhcpDropped)}}).Increment();
      if (std::ranges::find(kDhcpMalformed.values, reason) != kDhcpMalformed.values.end()) {
        malformed.Add({{"protocol", "dhcp"}, {"error", std::string(reason)}}).Increment();
      }
      break;
    }
    case Kind::dhcp_ignored:
      dhcp_ignored.Add({{"reason", bounded(e.text("reason"), kDhcpIgnored)}}).Increment();
      break;
    case Kind::dhcp_refused:
      // dhcp.refused names its reason `result` (the SIGUSR1 counters read it).
      dhcp_refused.Add({{"reason", bounded(e.text("result"), kDhcpRefused)}}).Increment();
      break;
    case Kind::tftp_done: {
      auto result = e.text("result");
      // "read-error:<strerror>": the errno text belongs in the log, not in a label.
      if (result.starts_with("read-error")) result = "read-error";
      const auto label = bounded(result, kTftpResults);
      tftp_transfers.Add({{"result", label}}).Increment();
      tftp_bytes.Add({{"result", label}}).Increment(e.number("bytes"));
      tftp_seconds.Observe(e.number("ms") / 1000);
      break;
    }
    case Kind::tftp_refused: {
      // A line-rate refusal is logged once per interval, with how many it stands for.
      tftp_refused.Add({{"reason", bounded(e.text("reason"), kTftpRefusals)}})
          .Increment(1 + e.number("suppressed"));
      break;
    }
    case Kind::tftp_malformed:
      malformed.Add({{"protocol", "tftp"}, {"error", bounded(e.text("error"), kTftpMalformed)}}).Increment();
      break;
    case Kind::http_request: {
      const auto route = e.find("route") != nullptr ? bounded(e.text("route"), kRoutes) : std::string(kFilesRoute);
      const auto code = http_code(e.find("status"));
      auto& series = http_series(route, code);
      series.count->Increment();
      series.bytes->Increment(e.number("bytes"));
      series.duration->Observe(e.number("ms") / 1000);
      break;
    }
    case Kind::http_refused:
      http_refused.Add({{"reason", bounded(e.text("reason"), kHttpRefused)}}).Increment();
      break;
    case Kind::http_timeout:
      http_timeouts.Add({{"reason", bounded(e.text("reason"), kHttpTimeouts)}}).Increment();
      break;
    default: break;
  }
}

Metrics::Impl::Answered& Metrics::Impl::http_series(const std::string& route, const std::string& code) {
  auto [it, added] = http_answered.try_emplace({route, code});
  if (added) {
    it->second.count = &http_requests.Add({{"route", route}, {"code", code}});
    it->second.bytes = &http_bytes.Add({{"route", route}, {"code", code}});
    it->second.duration = &http_duration.Add({{"route", route}}, kSecondBuckets);
  }
  return it->second;
}

Metrics::Impl::Answered& Metrics::Impl::dhcp_series(std::string_view type) {
  auto it = dhcp_answered.find(type);
  if (it == dhcp_answered.end()) {
    const std::string name(type);
    it = dhcp_answered.emplace(name, Answered{}).first;
    it->second.count = &dhcp_answers.Add({{"type", name}});
    it->second.duration = &dhcp_duration.Add({{"type", name}}, kDhcpBuckets);
  }
  return it->second;
}

void Metrics::Impl::read_gauges() {
  auto set = [](Family<Gauge>* family, const prometheus::Labels& labels, double value) {
    if (family != nullptr) family->Add(labels).Set(value);
  };
  if (sources.tftp_transfers) set(tftp_active, {}, static_cast<double>(sources.tftp_transfers()));
  if (sources.http_connections) set(http_open, {}, static_cast<double>(sources.http_connections()));
  if (sources.images) set(images, {}, static_cast<double>(sources.images()));
  if (sources.stream_subscribers) set(subscribers, {}, static_cast<double>(sources.stream_subscribers()));
  if (sources.images_by_os) {
    const auto counts = sources.images_by_os();
    for (const auto& [os, n] : counts) image_oses.insert(os);
    for (const auto& os : image_oses) {
      auto it = counts.find(os);
      set(images_by_os, {{"os", os}}, it == counts.end() ? 0.0 : static_cast<double>(it->second));
    }
  }
  if (sources.leases) {
    for (const auto& s : sources.leases()) {
      set(leases, {{"subnet", s.subnet}, {"state", "used"}}, static_cast<double>(s.used));
      set(leases, {{"subnet", s.subnet}, {"state", "free"}}, static_cast<double>(s.free));
    }
  }
  if (sources.machines != nullptr) {
    // One more than the stages: a machine with no stage known (no machine store).
    std::array<std::size_t, kStages + 1> count{};
    for (const auto* row : sources.machines->rows()) {
      ++count[row->stage ? static_cast<std::size_t>(*row->stage) : kStages];
    }
    for (std::size_t i = 0; i < kStages; ++i) {
      set(machines, {{"stage", std::string(store::to_string(static_cast<store::Stage>(i)))}},
          static_cast<double>(count[i]));
    }
    set(machines, {{"stage", "unknown"}}, static_cast<double>(count[kStages]));
  }
}

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

void Metrics::read_from(MetricSources sources) {
  impl_->sources = std::move(sources);
  impl_->add_gauges();
}

void Metrics::publish(const events::Event& event) { impl_->count_events(event); }

std::string Metrics::text() {
  impl_->read_gauges();
  return prometheus::TextSerializer{}.Serialize(impl_->registry.Collect());
}

http::Routes Metrics::routes() {
  return {{std::string(kMetricsPath), [this](const http::Call&) -> std::optional<http::Answer> {
             http::Answer answer;
             answer.body = text();
             answer.content_type = std::string(kMetricsContentType);
             return answer;
           }}};
}

}  // namespace pxed::api
