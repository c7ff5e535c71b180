#include "boot/sightings.hpp"

namespace pxed::boot {

void Sightings::erase(Entries::iterator it) {
  by_mac_.erase(it->facts.mac);
  if (auto a = by_address_.find(it->facts.address.value); a != by_address_.end() && a->second == it) {
    by_address_.erase(a);
  }
  if (it->facts.uuid) {
    if (auto u = by_uuid_.find(*it->facts.uuid); u != by_uuid_.end() && u->second == it) by_uuid_.erase(u);
  }
  entries_.erase(it);
}

void Sightings::record(Sighting sighting) {
  if (auto old = by_mac_.find(sighting.facts.mac); old != by_mac_.end()) {
    // A DISCOVER or proxy OFFER carries no address yet: the one we knew still holds.
    const auto& before = old->second->facts;
    if (sighting.facts.address.is_zero() && !before.address.is_zero()) {
      sighting.facts.address = before.address;
      sighting.how = old->second->how;
    }
    // A loader's own DHCP (syslinux.efi, an installer's dhclient) sends no option
    // 93 or 97: the firmware's request said what the machine is.
    if (!sighting.facts.arch) sighting.facts.arch = before.arch;
    if (!sighting.facts.uuid) sighting.facts.uuid = before.uuid;
    erase(old->second);
  }
  entries_.push_front(std::move(sighting));
  auto it = entries_.begin();
  by_mac_[it->facts.mac] = it;
  // The newest claim to an address or a UUID wins: a lease moved to another machine.
  if (!it->facts.address.is_zero()) by_address_[it->facts.address.value] = it;
  if (it->facts.uuid) by_uuid_[*it->facts.uuid] = it;
  while (entries_.size() > capacity_) erase(std::prev(entries_.end()));
}

void Sightings::forget_address(core::Ipv4 address, const core::Mac& mac) {
  auto a = by_address_.find(address.value);
  if (a == by_address_.end() || a->second->facts.mac != mac) return;
  a->second->facts.address = {};
  by_address_.erase(a);
}

const Sighting* Sightings::by_address(core::Ipv4 address) const {
  auto it = by_address_.find(address.value);
  return it == by_address_.end() ? nullptr : &*it->second;
}

const Sighting* Sightings::by_mac(const core::Mac& mac) const {
  auto it = by_mac_.find(mac);
  return it == by_mac_.end() ? nullptr : &*it->second;
}

const Sighting* Sightings::by_uuid(const core::Uuid& uuid) const {
  auto it = by_uuid_.find(uuid);
  return it == by_uuid_.end() ? nullptr : &*it->second;
}

}  // namespace pxed::boot
