#pragma once
// DHCP decisions without I/O: bytes and where they arrived in, at most one reply
// plus the leases that must be durable before it leaves, plus what to log.
// Full mode (RFC 2131 server), proxy mode (boot information only, PXE spec 2.1
// §2.2.5) and the PXE boot server on port 4011 all live here; dhcp_service.cpp
// owns the sockets, the clock and the store.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "boot/boot.hpp"
#include "boot/inventory.hpp"
#include "boot/sightings.hpp"
#include "config/config.hpp"
#include "core/net.hpp"
#include "dhcp/lease_pool.hpp"
#include "dhcp/packet.hpp"
#include "events/event.hpp"
#include "store/lease_store.hpp"

namespace pxed::dhcp {

inline constexpr std::uint16_t kServerPort = 67;
inline constexpr std::uint16_t kClientPort = 68;
inline constexpr std::uint16_t kPxePort = 4011;  // PXE boot server (ProxyDHCP step 2)

// Where a datagram came from and how it reached us (IP_PKTINFO).
struct Arrival {
  core::Ipv4 source;
  std::uint16_t source_port = kClientPort;
  core::Ipv4 destination;  // the IP header's: 255.255.255.255 or one of ours
  core::Ipv4 local;        // our address on the arrival interface: siaddr, option 54
  int ifindex = 0;
  // 67: DHCP server port; 4011: PXE boot server; 68: a reply another server
  // broadcast to a client, only observed (foreign server detection).
  std::uint16_t local_port = kServerPort;
};

struct Reply {
  Packet packet;
  core::Ipv4 to;          // 255.255.255.255, giaddr, ciaddr or the 4011 requester
  std::uint16_t port = kClientPort;
  int ifindex = 0;        // the arrival interface: broadcasts must leave through it
  // encode(packet, max_size): what the client said it takes (option 57), at
  // least 576-byte datagrams (RFC 2131 §2), never more than one Ethernet frame.
  std::size_t max_size = kDefaultMaxReply;
};

struct Response {
  std::vector<store::Lease> commit;  // write these durably, then send the reply
  std::optional<Reply> reply;
  std::vector<events::Event> events;  // dhcp.offer, dhcp.ack, dhcp.dropped, ...
  // What the request showed of the machine (and its address, once known), for
  // tying later TFTP and HTTP requests to it (boot::Sightings). The service
  // records it once the reply is sent.
  std::optional<boot::Sighting> seen;
};

// What boot answers are decided with: [boot] and the inventory (a snapshot
// that a reload replaces) and what the store remembers: install states of
// once machines and profiles assigned by hand (app's, read on the loop's thread).
struct Deciding {
  std::shared_ptr<const config::Config> config;
  const boot::Remembered* remembered = nullptr;
  boot::BootPlan plan(const boot::ClientFacts& facts, const boot::Context& context) const;
};

class Server {
 public:
  // `leases` is what the store loaded at startup; `now` is Unix seconds.
  Server(const config::Dhcp& dhcp, const config::Boot& boot, const config::Http& http,
         std::vector<store::Lease> leases);
  ~Server();
  Server(Server&&) noexcept;
  Server& operator=(Server&&) noexcept;

  Response handle(std::int64_t now, const Arrival& arrival, std::span<const std::byte> datagram);
  // From now on boot answers follow this config's [boot] and inventory (a
  // reload); leases, subnets and listeners stay as they were.
  void decide_with(Deciding deciding);

  // Bound, unexpired leases now (for the status API and tests).
  std::vector<store::Lease> active_leases(std::int64_t now) const;
  std::vector<RangeUse> range_use(std::int64_t now) const;  // by subnet, in config order

  // Flood summaries due by `now`, each with the ifindex it is about; the
  // service calls it at next_tick() (0: nothing pending) and names the interface.
  std::vector<std::pair<int, events::Event>> tick(std::int64_t now);
  std::int64_t next_tick() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pxed::dhcp
