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
                     std::span<const store::Lease> loaded, QuarantineLimits quarantine_limits)
    : subnets_(std::move(subnets)),
      quarantine_time_(decline_quarantine.count()),
      free_(subnets_.size()),
      quarantine_limits_(quarantine_limits),
      quarantine_(subnets_.size()) {
  for (std::size_t i = 0; i < subnets_.size(); ++i) {
    free_[i].cursor = subnets_[i].range_first.value;
    const auto& reservations = subnets_[i].reservations;
    for (std::size_t r = 0; r < reservations.size(); ++r) {
      reserved_[reservations[r].ip.value] = Reserved{i, reservations[r].mac};
      reservation_of_.try_emplace({i, reservations[r].mac}, r);
    }
  }
  for (const auto& lease : loaded) put(lease);
}

std::optional<std::size_t> LeasePool::subnet_for(core::Ipv4 address) const {
  for (std::size_t i = 0; i < subnets_.size(); ++i) {
    if (subnets_[i].network.contains(address)) return i;
  }
  return std::nullopt;
}

std::optional<std::size_t> LeasePool::range_subnet(core::Ipv4 a) const {
  for (std::size_t i = 0; i < subnets_.size(); ++i) {
    if (in_range(i, a)) return i;
  }
  return std::nullopt;
}

const config::Reservation* LeasePool::reservation(std::size_t subnet, core::Mac mac) const {
  const auto& reservations = subnets_.at(subnet).reservations;
  if (auto r = reservation_of_.find({subnet, mac}); r != reservation_of_.end()) return &reservations[r->second];
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
  const auto& network = subnets_.at(subnet).network;
  auto key = key_of(client.id);
  if (auto c = by_client_.find(key); c != by_client_.end()) {
    for (auto v : c->second) {
      if (network.contains(core::Ipv4{v})) return true;
    }
  }
  auto o = offer_by_client_.find(key);
  if (o == offer_by_client_.end()) return false;
  auto held = offers_.find(o->second);
  return held != offers_.end() && held->second.until > now && network.contains(core::Ipv4{o->second});
}

std::optional<core::Ipv4> LeasePool::claimed(std::int64_t now, std::size_t subnet, const Client& client) const {
  if (const auto* r = reservation(subnet, client.mac); r != nullptr && available(now, subnet, client, r->ip)) {
    return r->ip;
  }
  if (auto o = offer_by_client_.find(key_of(client.id)); o != offer_by_client_.end()) {
    core::Ipv4 a{o->second};
    if (in_range(subnet, a) && available(now, subnet, client, a)) return a;
  }
  return previous_address(now, subnet, client);
}

std::optional<core::Ipv4> LeasePool::offer(std::int64_t now, std::size_t subnet, const Client& client,
                                           std::optional<core::Ipv4> requested) {
  expire_offers(now);
  auto chosen = [&]() -> std::optional<core::Ipv4> {
    if (auto a = claimed(now, subnet, client)) return a;
    if (requested && in_range(subnet, *requested) && available(now, subnet, client, *requested)) return requested;
    if (auto a = never_used(subnet)) return a;
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

// The lowest range address that never had a lease, a reservation or a live
// offer. Called after expire_offers(), so every offer left is live.
std::optional<core::Ipv4> LeasePool::never_used(std::size_t subnet) {
  const auto& s = subnets_.at(subnet);
  auto& f = free_.at(subnet);
  // Each address is stepped over once in the pool's life: amortised O(log n).
  for (; f.cursor <= s.range_last.value; ++f.cursor) {
    auto key = static_cast<std::uint32_t>(f.cursor);
    if (!usable_host(subnet, core::Ipv4{key})) continue;
    if (leases_.contains(key) || reserved_.contains(key) || offers_.contains(key)) continue;
    break;
  }
  std::optional<core::Ipv4> lowest;
  if (f.cursor <= s.range_last.value) lowest = core::Ipv4{static_cast<std::uint32_t>(f.cursor)};
  // Below the cursor, in order: `returned` holds only free addresses of this range.
  if (auto r = f.returned.begin(); r != f.returned.end() && (!lowest || *r < lowest->value)) lowest = core::Ipv4{*r};
  return lowest;
}

std::optional<core::Ipv4> LeasePool::oldest_expired(std::int64_t now, std::size_t subnet,
                                                    const Client& client) const {
  const auto& f = free_.at(subnet);
  // Skipped entries are rare: reserved for another MAC, or the network or
  // broadcast address. Offered addresses are not in these sets at all.
  std::optional<std::pair<std::int64_t, std::uint32_t>> oldest;
  for (const auto& entry : f.expiring) {
    if (entry.first > now) break;  // bound to someone or quarantined from here on
    if (in_range(subnet, core::Ipv4{entry.second}) && available(now, subnet, client, core::Ipv4{entry.second})) {
      oldest = entry;
      break;
    }
  }
  for (const auto& entry : f.released) {
    if (oldest && *oldest < entry) break;
    if (in_range(subnet, core::Ipv4{entry.second}) && available(now, subnet, client, core::Ipv4{entry.second})) {
      oldest = entry;
      break;
    }
  }
  if (!oldest) return std::nullopt;
  return core::Ipv4{oldest->second};
}

void LeasePool::hold(std::int64_t now, const Client& client, core::Ipv4 a) {
  forget_offer(client.id);
  if (auto other = offers_.find(a.value); other != offers_.end()) drop_offer(other);
  auto until = now + kOfferHoldSeconds;
  offers_.emplace(a.value, Offer{client.id, until});
  offer_by_client_[key_of(client.id)] = a.value;
  offer_expiry_.emplace(until, a.value);
  if (auto s = range_subnet(a)) free_[*s].returned.erase(a.value);
  if (auto l = leases_.find(a.value); l != leases_.end()) unindex(l->second);
}

void LeasePool::expire_offers(std::int64_t now) {
  while (!offer_expiry_.empty() && offer_expiry_.begin()->first <= now) {
    auto offer = offers_.find(offer_expiry_.begin()->second);
    if (offer == offers_.end()) {  // cannot happen: drop_offer() keeps both in step
      offer_expiry_.erase(offer_expiry_.begin());
      continue;
    }
    drop_offer(offer);
  }
}

void LeasePool::drop_offer(std::map<std::uint32_t, Offer>::iterator offer) {
  auto address = offer->first;
  offer_expiry_.erase({offer->second.until, address});
  if (auto c = offer_by_client_.find(key_of(offer->second.client)); c != offer_by_client_.end() && c->second == address) {
    offer_by_client_.erase(c);
  }
  offers_.erase(offer);
  // The address is free again: to oldest_expired() if it has a lease, else to
  // never_used(), which must see it if its cursor already went past.
  if (auto l = leases_.find(address); l != leases_.end()) {
    index(l->second);
  } else if (auto s = range_subnet(core::Ipv4{address}); s && !reserved_.contains(address) && address < free_[*s].cursor) {
    free_[*s].returned.insert(address);
  }
}

void LeasePool::forget_offer(const ClientId& client) {
  auto c = offer_by_client_.find(key_of(client));
  if (c == offer_by_client_.end()) return;
  if (auto o = offers_.find(c->second); o != offers_.end() && o->second.client == client) {
    drop_offer(o);
  } else {
    offer_by_client_.erase(c);
  }
}

void LeasePool::index(const store::Lease& lease) {
  if (offers_.contains(lease.ip.value)) return;  // held: not free for anyone else
  auto s = range_subnet(lease.ip);
  if (!s) return;
  auto& f = free_[*s];
  auto& by_expiry = lease.state == store::LeaseState::released ? f.released : f.expiring;
  by_expiry.emplace(lease.expires, lease.ip.value);
}

void LeasePool::unindex(const store::Lease& lease) {
  auto s = range_subnet(lease.ip);
  if (!s) return;
  auto& f = free_[*s];
  auto& by_expiry = lease.state == store::LeaseState::released ? f.released : f.expiring;
  by_expiry.erase({lease.expires, lease.ip.value});
}

void LeasePool::put(store::Lease lease) {
  auto key = lease.ip.value;
  auto subnet = subnet_for(lease.ip);
  if (auto old = leases_.find(key); old != leases_.end()) {
    unindex(old->second);
    if (subnet && old->second.state == store::LeaseState::declined) {
      quarantine_[*subnet].erase({old->second.expires, key});
    }
    if (old->second.client_id != lease.client_id) {
      if (auto c = by_client_.find(key_of(old->second.client_id)); c != by_client_.end()) {
        std::erase(c->second, key);
        if (c->second.empty()) by_client_.erase(c);
      }
    }
  }
  if (!lease.client_id.empty()) {
    auto& addresses = by_client_[key_of(lease.client_id)];
    if (std::ranges::find(addresses, key) == addresses.end()) addresses.push_back(key);
  }
  if (auto s = range_subnet(lease.ip)) free_[*s].returned.erase(key);
  if (subnet && lease.state == store::LeaseState::declined) quarantine_[*subnet].emplace(lease.expires, key);
  auto& stored = leases_[key];
  stored = std::move(lease);
  index(stored);
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
  if (auto o = offers_.find(address.value); o != offers_.end()) drop_offer(o);
  put(changed.front());
  // One address per client per subnet: the one it had before is free again.
  if (auto c = by_client_.find(key_of(client.id)); c != by_client_.end()) {
    for (auto v : std::vector<std::uint32_t>(c->second)) {
      auto& other = leases_.at(v);
      if (v == address.value || !subnets_.at(subnet).network.contains(other.ip)) continue;
      if (other.state != store::LeaseState::bound || other.expires <= now) continue;
      unindex(other);
      other.state = store::LeaseState::released;
      other.expires = now;
      other.updated = now;
      index(other);
      changed.push_back(other);
    }
  }
  return changed;
}

std::expected<store::Lease, DeclineRefusal> LeasePool::decline(std::int64_t now, const Client& client,
                                                                core::Ipv4 address) {
  // RFC 2131 §3.1 step 5, §4.3.3: a client declines what it was ACKed, after
  // probing it. An offer is not yet its address: declining one only took it
  // out of service, as often as a forger liked.
  auto l = leases_.find(address.value);
  if (l == leases_.end() || l->second.client_id != client.id || l->second.state != store::LeaseState::bound ||
      l->second.expires <= now) {
    return std::unexpected(DeclineRefusal::not_acked);
  }
  auto subnet = subnet_for(address);
  if (!subnet) return std::unexpected(DeclineRefusal::not_acked);  // a lease from an older config
  const auto held = quarantined(now, *subnet);
  const auto& s = subnets_[*subnet];
  const std::uint64_t range = s.range_first.is_zero() ? 0 : std::uint64_t{s.range_last.value} - s.range_first.value + 1;
  const auto share = std::max<std::uint64_t>(1, range * quarantine_limits_.percent / 100);
  if (held >= share) return std::unexpected(DeclineRefusal::subnet_limit);
  // The client's share counts across every subnet: a relay's giaddr must not multiply it.
  std::uint64_t mine = 0;
  for (std::size_t i = 0; i < quarantine_.size(); ++i) {
    quarantined(now, i);
    mine += static_cast<std::uint64_t>(std::ranges::count_if(
        quarantine_[i], [&](const auto& entry) { return leases_.at(entry.second).mac == client.mac; }));
  }
  if (mine >= quarantine_limits_.per_client) {
    return std::unexpected(DeclineRefusal::client_limit);
  }
  store::Lease lease{.ip = address,
                     .client_id = {},
                     .mac = client.mac,
                     .hostname = {},
                     .state = store::LeaseState::declined,
                     .expires = now + quarantine_time_,
                     .updated = now};
  put(lease);
  return lease;
}

std::size_t LeasePool::quarantined(std::int64_t now, std::size_t subnet) {
  auto& q = quarantine_.at(subnet);
  while (!q.empty() && q.begin()->first <= now) q.erase(q.begin());
  return q.size();
}

std::optional<store::Lease> LeasePool::release(std::int64_t now, const Client& client, core::Ipv4 address) {
  auto l = leases_.find(address.value);
  if (l == leases_.end() || l->second.client_id != client.id || l->second.state != store::LeaseState::bound) {
    return std::nullopt;
  }
  unindex(l->second);
  l->second.state = store::LeaseState::released;
  l->second.expires = std::min(l->second.expires, now);
  l->second.updated = now;
  index(l->second);
  return l->second;
}

std::vector<store::Lease> LeasePool::active(std::int64_t now) const {
  std::vector<store::Lease> out;
  for (const auto& [v, lease] : leases_) {
    if (lease.state == store::LeaseState::bound && lease.expires > now) out.push_back(lease);
  }
  return out;
}

std::vector<RangeUse> LeasePool::range_use(std::int64_t now) const {
  std::vector<RangeUse> out(subnets_.size());
  std::set<std::uint32_t> held;  // range addresses that are not free
  for (const auto& [v, lease] : leases_) {
    // A released lease is free whatever its expiry; an expired one (a quarantine too) is free again.
    if (lease.state == store::LeaseState::released || lease.expires <= now) continue;
    if (lease.state == store::LeaseState::bound) {
      if (auto s = subnet_for(lease.ip)) ++out[*s].used;
    }
    held.insert(v);
  }
  for (const auto& [v, offer] : offers_) {
    if (offer.until > now) held.insert(v);
  }
  for (const auto& [v, reserved] : reserved_) held.insert(v);
  for (std::size_t i = 0; i < subnets_.size(); ++i) {
    const auto& s = subnets_[i];
    // Counted, not walked: a /8 range is sixteen million addresses.
    auto size = static_cast<std::size_t>(s.range_last.value - s.range_first.value) + 1;
    for (auto edge : {s.network.network, s.network.broadcast()}) {
      if (s.range_first <= edge && edge <= s.range_last && !usable_host(i, edge)) --size;
    }
    const auto from = held.lower_bound(s.range_first.value);
    const auto to = held.upper_bound(s.range_last.value);
    std::size_t taken = 0;
    for (auto it = from; it != to; ++it) {
      if (usable_host(i, core::Ipv4{*it})) ++taken;
    }
    out[i].free = size - taken;
  }
  return out;
}

std::optional<store::Lease> LeasePool::lease(core::Ipv4 address) const {
  if (auto l = leases_.find(address.value); l != leases_.end()) return l->second;
  return std::nullopt;
}

}  // namespace pxed::dhcp
