#pragma once
// `pxed leases check`: whether the lease store in server.state_dir is whole and
// what it holds; `pxed leases recover`: keep a copy of a damaged store and
// build a new one from what is readable (docs/leases.md says what that means).
#include <cstdint>
#include <iosfwd>
#include <vector>

#include "config/config.hpp"

namespace pxed::events {
class Bus;
}

namespace pxed::app {

int check_leases(const config::Config& cfg, std::int64_t now, std::ostream& out, std::ostream& err);
int recover_leases(const config::Config& cfg, std::int64_t now, std::ostream& out, std::ostream& err);

// What `pxed check` reports of the lease store in full mode: every problem for
// which serve would refuse it, as errors on server.state_dir.
std::vector<config::ConfigError> lease_store_errors(const config::Config& cfg, std::int64_t now);

// serve in full mode: a store recovered less than the longest lease_time ago
// may lack leases machines still hold; say so at every start until then.
void warn_if_recently_recovered(const config::Config& cfg, std::int64_t now, events::Bus& bus);

}  // namespace pxed::app
