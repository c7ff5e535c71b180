#include "dhcp/admission.hpp"

#include <algorithm>

#include "dhcp/server.hpp"

namespace pxed::dhcp {

bool relay_trusted(const config::Dhcp& dhcp, const Arrival& arrival, core::Ipv4 giaddr,
                   const core::Ipv4Network* local_subnet, const core::Ipv4Network& giaddr_subnet) {
  switch (dhcp.relay_policy) {
    case config::RelayPolicy::any: return true;
    case config::RelayPolicy::listed:
      return std::ranges::any_of(dhcp.relay_agents,
                                 [&](const core::Ipv4Network& n) { return n.contains(arrival.source); });
    case config::RelayPolicy::routed: break;
  }
  if (local_subnet != nullptr && local_subnet->contains(giaddr)) return true;
  // RFC 1542 §4.1.1: a relay agent sends what it relays to the server addresses
  // it is configured with; only a client broadcasts to 255.255.255.255, and
  // one without an address sends from 0.0.0.0.
  if (arrival.destination == core::kBroadcast || arrival.source.is_zero()) return false;
  // A host on giaddr's own network is one of its clients, not its relay: the
  // relay forwards from its address on the way to us, or from giaddr itself.
  return arrival.source == giaddr || !giaddr_subnet.contains(arrival.source);
}

ClientWindows::Window* ClientWindows::find(std::int64_t now, const std::string& client) {
  auto w = windows_.find(client);
  if (w == windows_.end()) return nullptr;
  return &w->second.at(now);
}

ClientWindows::Window* ClientWindows::add(std::int64_t now, const std::string& client) {
  if (windows_.size() >= kMaxClients) {
    std::erase_if(windows_, [now](const auto& kv) { return kv.second.second != now; });
  }
  if (windows_.size() >= kMaxClients) return nullptr;
  return &windows_[client].at(now);
}

BindingLimits::Verdict BindingLimits::take(std::int64_t now, int ifindex, const std::string& client) {
  ClientWindows::Window* mine = nullptr;
  if (per_client_ != 0) {
    mine = clients_.find(now, client);
    if (mine != nullptr && mine->used >= per_client_) return Verdict::client_limited;
  }
  if (per_interface_ != 0) {
    auto& w = interfaces_[ifindex].at(now);
    if (w.used >= per_interface_) return Verdict::interface_limited;
    ++w.used;
  }
  if (per_client_ == 0) return Verdict::allowed;
  if (mine == nullptr) mine = clients_.add(now, client);
  if (mine != nullptr) ++mine->used;
  return Verdict::allowed;
}

bool AnswerBudget::take(std::int64_t now, const std::string& client) {
  if (per_second_ == 0) return true;
  auto* mine = clients_.find(now, client);
  if (mine == nullptr) mine = clients_.add(now, client);
  if (mine == nullptr) return true;
  if (mine->used >= per_second_) return false;
  ++mine->used;
  return true;
}

std::vector<events::Event> FloodReport::refused(std::int64_t now, int ifindex, std::string_view reason) {
  std::vector<events::Event> out;
  auto [w, opened] = open_.try_emplace(ifindex, Window{now, 0, {}});
  if (opened) {
    out.push_back(events::Event{events::Kind::dhcp_flood}
                      .add("state", "started")
                      .add("reason", reason)
                      .add("report_seconds", interval_));
    return out;
  }
  if (now - w->second.start >= interval_) out.push_back(summary(now, w->second));
  ++w->second.refused;
  auto r = w->second.reasons.find(reason);
  if (r == w->second.reasons.end()) r = w->second.reasons.emplace(std::string(reason), 0).first;
  ++r->second;
  return out;
}

events::Event FloodReport::summary(std::int64_t now, Window& w) const {
  events::Event e{events::Kind::dhcp_flood};
  e.add("state", "ongoing").add("seconds", now - w.start).add("refused", w.refused);
  for (const auto& [reason, count] : w.reasons) e.add(reason, count);
  w = Window{now, 0, {}};
  return e;
}

std::vector<std::pair<int, events::Event>> FloodReport::tick(std::int64_t now) {
  std::vector<std::pair<int, events::Event>> out;
  for (auto w = open_.begin(); w != open_.end();) {
    if (now - w->second.start < interval_) {
      ++w;
    } else if (w->second.refused == 0) {
      w = open_.erase(w);  // a whole interval without a refusal: the flood is over
    } else {
      out.emplace_back(w->first, summary(now, w->second));
      ++w;
    }
  }
  return out;
}

std::int64_t FloodReport::next_tick() const {
  std::int64_t next = 0;
  for (const auto& [ifindex, w] : open_) {
    if (next == 0 || w.start + interval_ < next) next = w.start + interval_;
  }
  return next;
}

}  // namespace pxed::dhcp
