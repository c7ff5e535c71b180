#pragma once
// The DHCP service: sockets on ports 67 and 4011 (and 68, to notice other DHCP
// servers) on each of server.interfaces, the lease store, and the batching of
// lease writes so every ACK leaves only after its lease is on disk. All
// decisions are in dhcp::Server.
#include <cstddef>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "boot/sightings.hpp"
#include "config/config.hpp"
#include "dhcp/server.hpp"

namespace boost::asio {
class io_context;
}

namespace pxed::events {
class Bus;
}

namespace pxed::dhcp {

class Service {
 public:
  // What each request shows of its machine goes into `sightings` (on io's
  // thread), for the file services to tell who asks, and to on_seen; every
  // answer and refusal goes to `bus`.
  Service(boost::asio::io_context& io, const config::Config& config, boot::Sightings& sightings, events::Bus& bus,
          std::function<void(const boot::Sighting&)> on_seen = {});
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Binds the sockets (port 67 needs root) and opens the lease store; call
  // before dropping privileges.
  std::expected<void, std::string> bind();
  void start();
  std::size_t active_leases() const;
  // Bound and unexpired now, for the API.
  std::vector<store::Lease> leases() const;
  // Full mode's subnets (network, used, free), in config order; empty in proxy mode.
  std::vector<std::pair<core::Ipv4Network, RangeUse>> range_use() const;
  // Boot answers follow this [boot] and inventory from now on (start and reload).
  void decide_with(Deciding deciding);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pxed::dhcp
