#pragma once
// /metrics (docs/api.md "Metrics"): the events, counted into Prometheus
// families, plus gauges asked of the services when Prometheus scrapes. The
// counters come from the same events as the log and the history, so a
// number on a dashboard and a line in the log never disagree.
// prometheus-cpp stays in metrics.cpp: its headers cost every includer.
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/machine_table.hpp"
#include "events/bus.hpp"
#include "http/routes.hpp"

namespace pxed::api {

inline constexpr std::string_view kMetricsPath = "/metrics";
// The text format Prometheus (and every scraper) reads; 0.0.4 is its only version.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4";

struct SubnetLeases {
  std::string subnet;     // "10.77.0.0/24": from the config, so a bounded label
  std::size_t used = 0;   // bound and unexpired
  std::size_t free = 0;   // in the range and nobody's: no lease, offer, reservation or quarantine
};

// What only the services know, read at scrape time. An empty one (that
// service is off) leaves its gauge out rather than reporting a false zero.
struct MetricSources {
  std::function<std::size_t()> tftp_transfers = {};
  std::function<std::size_t()> http_connections = {};
  std::function<std::vector<SubnetLeases>()> leases = {};
  std::function<std::size_t()> images = {};
  // Images served, by the short id of the OS found in each ("debian11") or "unknown".
  std::function<std::map<std::string, std::size_t>()> images_by_os = {};
  std::function<std::size_t()> stream_subscribers = {};
  const MachineTable* machines = nullptr;
};

class Metrics : public events::Output {
 public:
  Metrics();
  ~Metrics() override;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The services exist after the bus has started carrying events: their gauges
  // are added once they do. Call once, before serving.
  void read_from(MetricSources sources);
  void publish(const events::Event& event) override;
  // Every family in the text format, gauges read now.
  std::string text();
  // GET /metrics, for http::Service.
  http::Routes routes();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pxed::api
