#include "report.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include <fmt/core.h>

#include "plan.hpp"

namespace pxed::storm {
namespace {

std::string cell(double v) { return v < 0 ? "" : fmt::format("{:.3f}", v); }

struct Stage {
  const char* name;
  double Result::*field;
};
constexpr Stage kStages[] = {{"dhcp", &Result::dhcp_ms},     {"offer", &Result::offer_ms},
                             {"ack", &Result::ack_ms},       {"loader", &Result::loader_ms},
                             {"config", &Result::config_ms}, {"kernel", &Result::kernel_ms},
                             {"initrd", &Result::initrd_ms}, {"total", &Result::total_ms},
                             {"proxy", &Result::proxy_ms},   {"bootsrv", &Result::boot_server_ms}};

}  // namespace

std::string report_text(const std::vector<Result>& results) {
  std::size_t done = 0;
  double wall = 0;
  unsigned discovers = 0, requests = 0, naks = 0, retransmits = 0, lookups = 0, misses = 0;
  std::uint64_t bytes = 0;
  std::map<std::string, std::pair<std::size_t, std::string>> failures;  // stage -> (count, first why)
  for (const auto& r : results) {
    discovers += r.discovers;
    requests += r.requests;
    naks += r.naks;
    retransmits += r.tftp_retransmits;
    lookups += r.config_lookups;
    misses += r.config_misses;
    bytes += r.http_bytes;
    if (r.done) {
      ++done;
      wall = std::max(wall, r.start_ms + r.total_ms);
    } else {
      const auto stage = r.failed.empty() ? std::string("unfinished") : r.failed.substr(0, r.failed.find(':'));
      auto& f = failures[stage];
      if (f.first++ == 0) f.second = r.failed.empty() ? "still running at the deadline" : r.failed;
    }
  }
  const auto n = results.size();
  std::string out = fmt::format("storm clients={} done={} failed={} wall_ms={:.1f}\n", n, done, n - done, wall);
  for (const auto& st : kStages) {
    std::vector<double> v;
    for (const auto& r : results) {
      if (r.*st.field >= 0) v.push_back(r.*st.field);
    }
    auto p50 = percentile(v, 50), p99 = percentile(v, 99), max = percentile(v, 100);
    out += fmt::format("stage name={} n={} p50_ms={:.2f} p99_ms={:.2f} max_ms={:.2f}\n", st.name, v.size(),
                       p50.value_or(-1), p99.value_or(-1), max.value_or(-1));
  }
  // Rounds are DISCOVER-REQUEST pairs: each machine's first, plus one per NAK.
  const auto rounds = static_cast<unsigned>(n) + naks;
  out += fmt::format("counts discovers={} dhcp_discover_retries={} requests={} dhcp_request_retries={} dhcp_naks={} "
                     "tftp_retransmits={} config_lookups={} config_misses={} http_bytes={}\n",
                     discovers, discovers - std::min(discovers, rounds), requests,
                     requests - std::min(requests, rounds), naks, retransmits, lookups, misses, bytes);
  for (const auto& [stage, f] : failures) {
    out += fmt::format("failure stage={} count={} first=\"{}\"\n", stage, f.first, f.second);
  }
  return out;
}

std::string csv_text(const std::vector<Result>& results, unsigned uefi_percent) {
  std::string out =
      "index,mac,arch,done,start_ms,dhcp_ms,offer_ms,ack_ms,loader_ms,config_ms,kernel_ms,initrd_ms,"
      "total_ms,discovers,requests,naks,tftp_retransmits,config_lookups,failed\n";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    const auto m = make_machine(i, uefi_percent);
    out += fmt::format("{},{},{},{},{:.3f},{},{},{},{},{},{},{},{},{},{},{},{},{},\"{}\"\n", i, m.mac.to_string(),
                       static_cast<int>(m.firmware), r.done ? 1 : 0, r.start_ms, cell(r.dhcp_ms), cell(r.offer_ms),
                       cell(r.ack_ms), cell(r.loader_ms), cell(r.config_ms), cell(r.kernel_ms), cell(r.initrd_ms),
                       cell(r.total_ms), r.discovers, r.requests, r.naks, r.tftp_retransmits, r.config_lookups,
                       r.failed);
  }
  return out;
}

}  // namespace pxed::storm
