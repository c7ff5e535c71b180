#pragma once
// Who is asking: loaders such as shim and GRUB ask fixed names and send no
// MAC, so a TFTP or HTTP request is tied to a machine by its source address.
// DHCP tells us which address each machine has: the lease we gave (full mode),
// the address a client requested from another server or used on port 4011
// (proxy mode). Pure and bounded: the oldest sightings go first.
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <string>

#include "boot/boot.hpp"
#include "core/net.hpp"

namespace pxed::boot {

struct Sighting {
  ClientFacts facts;     // the last DHCP request's (facts.address: the machine's address, or zero)
  std::string how;       // how the address is known: "lease", "proxy request", "boot server request"
  std::int64_t at = 0;   // Unix seconds
};

class Sightings {
 public:
  explicit Sightings(std::size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

  // A request from facts.mac: replaces what was known of that machine. A
  // sighting without an address keeps the address known before.
  void record(Sighting sighting);
  // Forgets the address (a released or expired lease) unless another machine took it.
  void forget_address(core::Ipv4 address, const core::Mac& mac);

  const Sighting* by_address(core::Ipv4 address) const;
  const Sighting* by_mac(const core::Mac& mac) const;
  const Sighting* by_uuid(const core::Uuid& uuid) const;
  std::size_t size() const { return by_mac_.size(); }

  static constexpr std::size_t kDefaultCapacity = 65536;

 private:
  using Entries = std::list<Sighting>;  // most recent first
  void erase(Entries::iterator it);

  std::size_t capacity_;
  Entries entries_;
  std::map<core::Mac, Entries::iterator> by_mac_;
  std::map<std::uint32_t, Entries::iterator> by_address_;
  std::map<core::Uuid, Entries::iterator> by_uuid_;
};

}  // namespace pxed::boot
