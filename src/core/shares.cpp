#include "core/shares.hpp"

#include <string_view>

namespace pxed::core {

Shares::Admission Shares::admit(std::int64_t now_ms, Client client, Id id) {
  if (holders_.contains(id)) return {Verdict::busy, std::nullopt};
  if (limits_.per_client != 0 && held_by(client) >= limits_.per_client) return {Verdict::client_busy, std::nullopt};
  Admission a{Verdict::admitted, std::nullopt};
  if (limits_.total != 0 && holders_.size() >= limits_.total) {
    a.evict = victim(now_ms);
    if (!a.evict) return {Verdict::busy, std::nullopt};
    release(*a.evict);
  }
  holders_.emplace(id, Holder{client, now_ms, false});
  ++per_client_[client];
  return a;
}

void Shares::proven(Id id) {
  if (auto it = holders_.find(id); it != holders_.end()) it->second.proven = true;
}

void Shares::release(Id id) {
  auto it = holders_.find(id);
  if (it == holders_.end()) return;
  if (auto c = per_client_.find(it->second.client); c != per_client_.end() && --c->second == 0) per_client_.erase(c);
  holders_.erase(it);
}

std::size_t Shares::held_by(Client client) const {
  auto it = per_client_.find(client);
  return it == per_client_.end() ? 0 : it->second;
}

// The oldest unproven holder past its grace. A linear scan: it runs only when
// the server is full, and holders number in the thousands at most.
std::optional<Shares::Id> Shares::victim(std::int64_t now_ms) const {
  std::optional<Id> oldest;
  std::int64_t since = 0;
  for (const auto& [id, h] : holders_) {
    if (h.proven || now_ms - h.since < limits_.grace_ms) continue;
    if (!oldest || h.since < since) {
      oldest = id;
      since = h.since;
    }
  }
  return oldest;
}

std::string_view to_string(Shares::Verdict v) {
  switch (v) {
    case Shares::Verdict::admitted: return "admitted";
    case Shares::Verdict::busy: return "busy";
    case Shares::Verdict::client_busy: return "client-busy";
  }
  return "unknown";
}

}  // namespace pxed::core
