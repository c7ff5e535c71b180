#include "dhcp/lease_pool.hpp"

#include <algorithm>
#include <utility>

namespace pxed::dhcp {
namespace {

std::string key_of(const ClientId& id) { return std::string(id.begin(), id.end()); }

}  // namespace

ClientId client_id_of(const Packet& packet) {
  if (const auto* id = packet.options.find(option::kClientId); id != nullptr && !id->empty()) return *id;
  ClientId id{packet.htype};
  auto length = std::min<std::size_t>(packet.hlen, packet.chaddr.size());
  id.insert(id.end(), packet.chaddr.begin(), packet.chaddr.begin() + static_cast<std::ptrdiff_t>(length));
  return id;
}

LeasePool::LeasePool(std::vector<config::Subnet> subnets, std::chrono::seconds decline_quarantine,
                     std::span<const store::Lease> loaded)
    : subnets_(std::move(subnets)), quarantine_(decline_quarantine.count()) {
  for (std::size_t i = 0; i < subnets_.size(); ++i) {
    for (const auto& r : subnets_[i].reservations) reserved_[r.ip.value] = Reserved{i, r.mac};
  }
  for (const auto& lease : loaded) put(lease);
}

std::optional<std::size_t> LeasePool::subnet_for(core::Ipv4 address) const {
  for (std::size_t i = 0; i < subnets_.size(); ++i) {
    if (subnets_[i].network.contains(address)) return i;
  }
  return std::nullopt;
}

const config::Reservation* LeasePool::reservation(std::size_t subnet, core::Mac mac) const {
  for (const auto& r : subnets_.at(subnet).reservations) {
    if (r.mac == mac) return &r;
  }
  return nullptr;
}

bool LeasePool::in_range(std::size_t subnet, core::Ipv4 a) const {
  const auto& s = subnets_.at(subnet);
  return s.range_first <= a && a <= s.range_last && usable_host(subnet, a);
}

bool LeasePool::usable_host(std::size_t subnet, core::Ipv4 a) const {
  const auto& net = subnets_.at(subnet).network;
  if (!net.contains(a)) return false;
  // A /31 or /32 has no network or broadcast address to avoid (RFC 3021).
  if (net.prefix >= 31) return true;
  return a != net.network && a != net.broadcast();
}

bool LeasePool::available(std::int64_t now, std::size_t subnet, const Client& client, core::Ipv4 a) const {
  if (!usable_host(subnet, a)) return false;
  if (auto r = reserved_.find(a.value); r != reserved_.end()) {
    if (r->second.subnet != subnet || r->second.mac != client.mac) return false;  // never anyone else's
  }
  if (auto o = offers_.find(a.value); o != offers_.end()) {
    if (o->second.until > now && o->second.client != client.id) return false;
  }
  if (auto l = leases_.find(a.value); l != leases_.end()) {
    const auto& lease = l->second;
    if (lease.state == store::LeaseState::declined && lease.expires > now) return false;
    // A bound, unexpired lease belongs to its client and nobody else.
    if (lease.state == store::LeaseState::bound && lease.expires > now && lease.client_id != client.id) {
      return false;
    }
  }
  return true;
}

Standing LeasePool::standing(std::int64_t now, std::size_t subnet, const Client& client, core::Ipv4 a) const {
  if (!subnets_.at(subnet).network.contains(a)) return Standing::wrong_network;
  // A client with a reservation gets that address, so any other one is wrong
  // for it; unless someone still holds the reserved one and it had to take a
  // dynamic address meanwhile.
  if (const auto* r = reservation(subnet, client.mac); r != nullptr && r->ip != a && available(now, subnet, client, r->ip)) {
    return Standing::taken;
  }
  if (!usable_host(subnet, a)) return Standing::out_of_range;
  if (!available(now, subnet, client, a)) return Standing::taken;
  if (auto r = reserved_.find(a.value); r != reserved_.end()) return Standing::yours;  // available: it is ours
  if (auto o = offers_.find(a.value); o != offers_.end() && o->second.until > now) return Standing::yours;
  if (auto l = leases_.find(a.value);
      l != leases_.end() && l->second.client_id == client.id && l->second.state != store::LeaseState::declined) {
    return Standing::yours;
  }
  return in_range(subnet, a) ? Standing::free : Standing::out_of_range;
}

bool LeasePool::knows(std::int64_t now, std::size_t subnet, const Client& client) const {
  if (reservation(subnet, client.mac) != nullptr) return true;
  if (auto c = by_client_.find(key_of(client.id)); c != by_client_.end()) {
    for (auto v : c->second) {
      if (subnets_.at(subnet).network.contains(core::Ipv4{v})) return true;
    }
  }
  return std::ranges::any_of(offers_, [&](const auto& o) {
    return o.second.client == client.id && o.second.until > now &&
           subnets_.at(subnet).network.contains(core::Ipv4{o.first});
  });
}

std::optional<core::Ipv4> LeasePool::offer(std::int64_t now, std::size_t subnet, const Client& client,
                                           std::optional<core::Ipv4> requested) {
  std::erase_if(offers_, [&](const auto& o) { return o.second.until <= now; });
  auto chosen = [&]() -> std::optional<core::Ipv4> {
    if (const auto* r = reservation(subnet, client.mac); r != nullptr && available(now, subnet, client, r->ip)) {
      return r->ip;
    }
    for (const auto& [v, o] : offers_) {
      core::Ipv4 a{v};
      if (o.client == client.id && in_range(subnet, a) && available(now, subnet, client, a)) return a;
    }
    if (auto a = previous_address(now, subnet, client)) return a;
    if (requested && in_range(subnet, *requested) && available(now, subnet, client, *requested)) return requested;
    if (auto a = never_used(now, subnet, client)) return a;
    return oldest_expired(now, subnet, client);
  }();
  if (chosen) hold(now, client, *chosen);
  return chosen;
}

std::optional<core::Ipv4> LeasePool::previous_address(std::int64_t now, std::size_t subnet,
                                                      const Client& client) const {
  auto c = by_client_.find(key_of(client.id));
  if (c == by_client_.end()) return std::nullopt;
  const store::Lease* best = nullptr;
  auto live = [&](const store::Lease& l) { return l.state == store::LeaseState::bound && l.expires > now; };
  for (auto v : c->second) {
    core::Ipv4 a{v};
    const auto& lease = leases_.at(v);
    if (lease.state == store::LeaseState::declined || !in_range(subnet, a) || !available(now, subnet, client, a)) {
      continue;
    }
    // Its current lease first, else the one it had last.
    if (best == nullptr || (live(lease) && !live(*best)) ||
        (live(lease) == live(*best) && lease.updated > best->updated)) {
      best = &lease;
    }
  }
  if (best == nullptr) return std::nullopt;
  return best->ip;
}

std::optional<core::Ipv4> LeasePool::never_used(std::int64_t now, std::size_t subnet, const Client& client) const {
  const auto& s = subnets_.at(subnet);
  // Each address skipped here is a known lease, reservation or offer, so the
  // walk is bounded by what we hold, not by the size of the range.
  for (std::uint64_t v = s.range_first.value; v <= s.range_last.value; ++v) {
    core::Ipv4 a{static_cast<std::uint32_t>(v)};
    auto key = a.value;
    if (leases_.contains(key) || reserved_.contains(key) || offers_.contains(key)) continue;
    if (in_range(subnet, a) && available(now, subnet, client, a)) return a;
  }
  return std::nullopt;
}

std::optional<core::Ipv4> LeasePool::oldest_expired(std::int64_t now, std::size_t subnet,
                                                    const Client& client) const {
  const store::Lease* oldest = nullptr;
  for (const auto& [v, lease] : leases_) {
    if (!in_range(subnet, lease.ip) || !available(now, subnet, client, lease.ip)) continue;
    if (oldest == nullptr || lease.expires < oldest->expires) oldest = &lease;
  }
  if (oldest == nullptr) return std::nullopt;
  return oldest->ip;
}

void LeasePool::hold(std::int64_t now, const Client& client, core::Ipv4 a) {
  forget_offer(client.id);
  offers_[a.value] = Offer{client.id, now + kOfferHoldSeconds};
}

void LeasePool::forget_offer(const ClientId& client) {
  std::erase_if(offers_, [&](const auto& o) { return o.second.client == client; });
}

void LeasePool::put(store::Lease lease) {
  auto key = lease.ip.value;
  if (auto old = leases_.find(key); old != leases_.end() && old->second.client_id != lease.client_id) {
    if (auto c = by_client_.find(key_of(old->second.client_id)); c != by_client_.end()) {
      std::erase(c->second, key);
      if (c->second.empty()) by_client_.erase(c);
    }
  }
  if (!lease.client_id.empty()) {
    auto& addresses = by_client_[key_of(lease.client_id)];
    if (std::ranges::find(addresses, key) == addresses.end()) addresses.push_back(key);
  }
  leases_[key] = std::move(lease);
}

std::vector<store::Lease> LeasePool::bind(std::int64_t now, std::size_t subnet, const Client& client,
                                          core::Ipv4 address, std::chrono::seconds lease_time) {
  std::vector<store::Lease> changed;
  changed.push_back(store::Lease{.ip = address,
                                 .client_id = client.id,
                                 .mac = client.mac,
                                 .hostname = client.hostname,
                                 .state = store::LeaseState::bound,
                                 .expires = now + lease_time.count(),
                                 .updated = now});
  forget_offer(client.id);
  std::erase_if(offers_, [&](const auto& o) { return o.first == address.value; });
  put(changed.front());
  // One address per client per subnet: the one it had before is free again.
  if (auto c = by_client_.find(key_of(client.id)); c != by_client_.end()) {
    for (auto v : std::vector<std::uint32_t>(c->second)) {
      auto& other = leases_.at(v);
      if (v == address.value || !subnets_.at(subnet).network.contains(other.ip)) continue;
      if (other.state != store::LeaseState::bound || other.expires <= now) continue;
      other.state = store::LeaseState::released;
      other.expires = now;
      other.updated = now;
      changed.push_back(other);
    }
  }
  return changed;
}

std::optional<store::Lease> LeasePool::decline(std::int64_t now, const Client& client, core::Ipv4 address) {
  auto l = leases_.find(address.value);
  bool leased = l != leases_.end() && l->second.client_id == client.id;
  auto o = offers_.find(address.value);
  bool offered = o != offers_.end() && o->second.client == client.id && o->second.until > now;
  if (!leased && !offered) return std::nullopt;  // not its address: a forged or stale DECLINE
  if (offered) offers_.erase(o);
  store::Lease lease{.ip = address,
                     .client_id = {},
                     .mac = client.mac,
                     .hostname = {},
                     .state = store::LeaseState::declined,
                     .expires = now + quarantine_,
                     .updated = now};
  put(lease);
  return lease;
}

std::optional<store::Lease> LeasePool::release(std::int64_t now, const Client& client, core::Ipv4 address) {
  auto l = leases_.find(address.value);
  if (l == leases_.end() || l->second.client_id != client.id || l->second.state != store::LeaseState::bound) {
    return std::nullopt;
  }
  l->second.state = store::LeaseState::released;
  l->second.expires = std::min(l->second.expires, now);
  l->second.updated = now;
  return l->second;
}

std::vector<store::Lease> LeasePool::active(std::int64_t now) const {
  std::vector<store::Lease> out;
  for (const auto& [v, lease] : leases_) {
    if (lease.state == store::LeaseState::bound && lease.expires > now) out.push_back(lease);
  }
  return out;
}

std::optional<store::Lease> LeasePool::lease(core::Ipv4 address) const {
  if (auto l = leases_.find(address.value); l != leases_.end()) return l->second;
  return std::nullopt;
}

}  // namespace pxed::dhcp
