#pragma once
// Which address belongs to whom, in memory: full mode's subnets, their ranges
// and reservations, the leases the store loaded and every change since, and
// the offers we are holding. Pure: time is Unix seconds passed in; the server
// writes what bind/decline/release return to the store before it answers.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "core/net.hpp"
#include "dhcp/packet.hpp"
#include "store/lease_store.hpp"

namespace pxed::dhcp {

// An offer is held this long so a second client is not offered the same
// address while the first one decides (RFC 2131 §4.3.1 "the server SHOULD
// reserve the offered address"). Clients send their REQUEST within seconds.
inline constexpr std::int64_t kOfferHoldSeconds = 60;

using ClientId = std::vector<std::uint8_t>;

// RFC 2131 §4.2: a client is option 61 when it sends one, else htype + chaddr.
ClientId client_id_of(const Packet& packet);

struct Client {
  ClientId id;
  core::Mac mac;         // reservations are by MAC
  std::string hostname;  // option 12 as sent, kept in the lease
};

// How an address stands for one client (RFC 2131 §4.3.2 decisions).
enum class Standing {
  yours,          // its lease (any state but declined), its reservation or its held offer
  free,           // in the range, nobody's: may be bound to it
  taken,          // another client's live lease, offer or reservation; quarantined;
                  // or not the address this client's reservation says
  out_of_range,   // in the subnet but outside the range and not reserved for it
  wrong_network,  // not in the subnet at all
};

// How much a DECLINE may quarantine (config::Dhcp decline_max_*; these are its defaults).
struct QuarantineLimits {
  std::uint32_t per_client = 2;  // live quarantines caused by one MAC
  std::uint32_t percent = 10;    // of a subnet's range, at least one address
};

// Why a DECLINE quarantined nothing.
enum class DeclineRefusal {
  not_acked,     // RFC 2131 §4.3.3: only an address we ACKed to it, still bound
  client_limit,  // that client has quarantined its share already
  subnet_limit,  // the subnet has its share quarantined already
};

// A subnet's addresses now, for /metrics (pxed_dhcp_leases).
struct RangeUse {
  std::size_t used = 0;  // bound, unexpired leases in the subnet
  std::size_t free = 0;  // range addresses no live lease, offer, reservation or quarantine holds
};

class LeasePool {
 public:
  LeasePool(std::vector<config::Subnet> subnets, std::chrono::seconds decline_quarantine,
            std::span<const store::Lease> loaded, QuarantineLimits quarantine_limits = {});

  const std::vector<config::Subnet>& subnets() const { return subnets_; }
  // The subnet whose network holds `address` (giaddr, or our arrival address).
  std::optional<std::size_t> subnet_for(core::Ipv4 address) const;
  const config::Reservation* reservation(std::size_t subnet, core::Mac mac) const;

  // Picks an address and holds it for kOfferHoldSeconds: the reservation, the
  // offer already held, the client's current or previous address, the requested
  // one (option 50), a never-used one, then the lease that expired longest ago.
  // Empty when nothing in the subnet is free.
  std::optional<core::Ipv4> offer(std::int64_t now, std::size_t subnet, const Client& client,
                                  std::optional<core::Ipv4> requested);

  // The address offer() would give without taking a new one: the client's
  // reservation, its held offer, or its current or previous lease. Empty when
  // an offer would tie a new address to it (what the binding limits count).
  std::optional<core::Ipv4> claimed(std::int64_t now, std::size_t subnet, const Client& client) const;

  Standing standing(std::int64_t now, std::size_t subnet, const Client& client, core::Ipv4 address) const;
  // Whether we have any record of the client: a lease, a reservation or an offer.
  bool knows(std::int64_t now, std::size_t subnet, const Client& client) const;

  // Binds (or extends) `address` for `lease_time` from now; call only when
  // standing() says yours or free. Returns what changed, the bound lease first,
  // then any other address the client held in the subnet, now released.
  std::vector<store::Lease> bind(std::int64_t now, std::size_t subnet, const Client& client,
                                 core::Ipv4 address, std::chrono::seconds lease_time);
  // DHCPDECLINE: someone else answers ARP for it. Quarantined, owned by nobody,
  // when it is the client's bound lease and the quarantine limits allow.
  std::expected<store::Lease, DeclineRefusal> decline(std::int64_t now, const Client& client,
                                                      core::Ipv4 address);
  // Addresses quarantined now in a subnet (for tests and the fuzzer's checks).
  std::size_t quarantined(std::int64_t now, std::size_t subnet);
  // DHCPRELEASE: free now, still remembered as the client's previous address.
  std::optional<store::Lease> release(std::int64_t now, const Client& client, core::Ipv4 address);
  // The client took another server's offer (RFC 2131 §4.3.2 selecting).
  void forget_offer(const ClientId& client);

  std::vector<store::Lease> active(std::int64_t now) const;  // bound, unexpired
  // By subnet, in config order. Walks everything the pool holds: for a scrape
  // every few seconds, not for a request.
  std::vector<RangeUse> range_use(std::int64_t now) const;
  std::optional<store::Lease> lease(core::Ipv4 address) const;

 private:
  struct Offer {
    ClientId client;
    std::int64_t until = 0;
  };
  struct Reserved {
    std::size_t subnet = 0;
    core::Mac mac;
  };
  // What a subnet can still hand out, kept up to date on every change so one
  // DISCOVER costs O(log n), not a walk over every lease and offer we hold.
  struct Free {
    // Every range address below it has had a lease, a reservation or an offer
    // (addresses are handed out in order, so it only moves forward)...
    std::uint64_t cursor = 0;
    // ...except these: offered below the cursor, never bound, offer gone.
    std::set<std::uint32_t> returned;
    // Leases not under an offer, (expires, address): the oldest one first.
    // Released leases apart, as they are free whatever their expiry says.
    std::set<std::pair<std::int64_t, std::uint32_t>> expiring;
    std::set<std::pair<std::int64_t, std::uint32_t>> released;
  };

  bool in_range(std::size_t subnet, core::Ipv4 a) const;
  bool usable_host(std::size_t subnet, core::Ipv4 a) const;  // not network or broadcast
  bool available(std::int64_t now, std::size_t subnet, const Client& client, core::Ipv4 a) const;
  std::optional<core::Ipv4> previous_address(std::int64_t now, std::size_t subnet, const Client& client) const;
  std::optional<core::Ipv4> never_used(std::size_t subnet);
  std::optional<core::Ipv4> oldest_expired(std::int64_t now, std::size_t subnet, const Client& client) const;
  void hold(std::int64_t now, const Client& client, core::Ipv4 a);
  void expire_offers(std::int64_t now);
  void drop_offer(std::map<std::uint32_t, Offer>::iterator offer);
  void put(store::Lease lease);
  // The subnet whose range holds `a` (ranges do not overlap: config checks).
  std::optional<std::size_t> range_subnet(core::Ipv4 a) const;
  // Adds or removes a lease in its subnet's Free::expiring or Free::released.
  void index(const store::Lease& lease);
  void unindex(const store::Lease& lease);

  std::vector<config::Subnet> subnets_;
  std::int64_t quarantine_time_ = 0;
  std::map<std::uint32_t, store::Lease> leases_;             // by address
  // Addresses whose lease names the client, by its id as a string (GCC 12 warns
  // falsely about std::map<std::vector<std::uint8_t>, ...>).
  std::unordered_map<std::string, std::vector<std::uint32_t>> by_client_;
  std::map<std::uint32_t, Offer> offers_;                    // by address
  std::unordered_map<std::string, std::uint32_t> offer_by_client_;  // a client holds one offer
  std::set<std::pair<std::int64_t, std::uint32_t>> offer_expiry_;   // (until, address)
  std::map<std::uint32_t, Reserved> reserved_;               // by address
  // (subnet, MAC) -> index in that subnet's reservations; the first one wins.
  std::map<std::pair<std::size_t, core::Mac>, std::size_t> reservation_of_;
  std::vector<Free> free_;                                   // by subnet
  QuarantineLimits quarantine_limits_;
  // Declined leases, (expires, address), by subnet: kept by put(), pruned as they expire.
  std::vector<std::set<std::pair<std::int64_t, std::uint32_t>>> quarantine_;
};

}  // namespace pxed::dhcp
