#include "app/leases_cli.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <ostream>

#include "boot/inventory.hpp"
#include "events/bus.hpp"
#include "store/lease_check.hpp"
#include "store/lease_store.hpp"

namespace pxed::app {
namespace {

constexpr int kOk = 0;
constexpr int kFailed = 1;

// The longest lease any subnet gives: how long a machine can hold an address
// pxed no longer knows of before it must ask again.
std::int64_t longest_lease(const config::Config& cfg) {
  std::int64_t longest = 0;
  for (const auto& subnet : cfg.dhcp.subnets) longest = std::max<std::int64_t>(longest, subnet.lease_time.count());
  return longest;
}

}  // namespace

int check_leases(const config::Config& cfg, std::int64_t now, std::ostream& out, std::ostream& err) {
  const auto found = store::check_leases(cfg.server.state_dir, now);
  if (!found.exists && found.problems.empty()) {
    out << fmt::format("{}: no lease store yet (pxed makes one when it starts in full DHCP mode)\n", found.file.string());
    return kOk;
  }
  if (found.rows < 0) {
    out << fmt::format("{}: no lease could be read", found.file.string());
  } else {
    out << fmt::format("{}: {} leases ({} bound and unexpired)", found.file.string(), found.rows, found.bound);
  }
  out << (found.seen ? fmt::format(", pxed last wrote {}\n", *found.seen) : std::string(", no leases.seen yet\n"));
  if (found.recovered != 0) out << fmt::format("recovered at {}\n", boot::utc_time(found.recovered));
  if (found.problems.empty()) {
    out << "ok: pxed starts with it\n";
    return kOk;
  }
  for (const auto& problem : found.problems) err << problem << '\n';
  err << fmt::format("damaged: pxed will not start in full DHCP mode with it. Stop pxed, then run\n"
                     "  pxed leases recover -c {}\n"
                     "which keeps a copy of every lease file and builds a new store from what is readable\n"
                     "(docs/leases.md), or restore a backup of the whole state dir.\n",
                     cfg.source.string());
  return kFailed;
}

int recover_leases(const config::Config& cfg, std::int64_t now, std::ostream& out, std::ostream& err) {
  auto recovered = store::recover_leases(cfg.server.state_dir, now);
  if (!recovered) {
    err << recovered.error() << '\n';
    return kFailed;
  }
  out << fmt::format("kept the files as they were in {}\n", recovered->copy.string());
  out << fmt::format("new store: {} leases read back", recovered->kept);
  if (recovered->seen > 0) out << fmt::format(" (pxed had written {})", recovered->seen);
  out << '\n';
  if (recovered->skipped > 0) out << fmt::format("{} rows could not be read as leases and were left out\n", recovered->skipped);
  if (!recovered->stopped.empty()) out << fmt::format("reading stopped early: {}\n", recovered->stopped);
  const std::int64_t lost = recovered->seen - recovered->kept;
  if (lost > 0 || !recovered->stopped.empty()) {
    const std::int64_t wait = longest_lease(cfg);
    out << fmt::format(
        "Up to {} addresses may still be held by machines pxed no longer knows of. Each asks again within\n"
        "its lease time; until {} (the longest lease_time, {} s) keep new machines off the network, or\n"
        "narrow dhcp.subnet.range, so no one is given an address another machine holds.\n",
        lost > 0 ? std::to_string(lost) : std::string("some"), boot::utc_time(now + wait), wait);
  }
  out << "pxed starts with the new store now.\n";
  return kOk;
}

std::vector<config::ConfigError> lease_store_errors(const config::Config& cfg, std::int64_t now) {
  std::vector<config::ConfigError> errors;
  if (cfg.dhcp.mode != config::DhcpMode::full) return errors;
  const auto line = cfg.lines.find("server.state_dir");
  for (const auto& problem : store::check_leases(cfg.server.state_dir, now).problems) {
    errors.push_back(config::ConfigError{cfg.source.string(), line == cfg.lines.end() ? 0u : line->second,
                                         "server.state_dir",
                                         problem + "; serve refuses this lease store: see `pxed leases check`"});
  }
  return errors;
}

void warn_if_recently_recovered(const config::Config& cfg, std::int64_t now, events::Bus& bus) {
  const std::int64_t recovered = store::lease_store_recovered_at(cfg.server.state_dir);
  const std::int64_t until = recovered + longest_lease(cfg);
  if (recovered == 0 || now >= until) return;
  bus.emit(events::Event{events::Kind::dhcp_recovered_store}
      .add("recovered", boot::utc_time(recovered))
      .add("until", boot::utc_time(until))
      .add("why", "leases lost before the recovery are unknown; a new machine may be offered an "
                               "address another still holds until then (docs/leases.md)"));
}

}  // namespace pxed::app
