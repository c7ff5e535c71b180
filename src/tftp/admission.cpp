#include "tftp/admission.hpp"

namespace pxed::tftp {

Admission::Decision Admission::on_request(std::int64_t now_ms, Key key, Client client, std::string_view request) {
  if (in_flight_.contains(key)) return {Verdict::resent, std::nullopt};
  forget_expired(now_ms);
  if (auto it = recent_.find(key); it != recent_.end()) {
    if (it->second.request == request) return {Verdict::resent, std::nullopt};
    recent_.erase(it);  // a new request from the same port: its expiry_ entry finds nothing
  }
  auto admission = shares_.admit(now_ms, client, key);
  switch (admission.verdict) {
    case core::Shares::Verdict::client_busy: return {Verdict::client_busy, std::nullopt};
    case core::Shares::Verdict::busy: return {Verdict::busy, std::nullopt};
    case core::Shares::Verdict::admitted: break;
  }
  if (admission.evict) in_flight_.erase(*admission.evict);
  in_flight_.emplace(key, std::string(request));
  return {Verdict::start, admission.evict};
}

void Admission::proven(Key key) { shares_.proven(key); }

void Admission::finished(std::int64_t now_ms, Key key, bool answered) {
  auto it = in_flight_.find(key);
  if (it == in_flight_.end()) return;  // evicted: its slot went to another request
  shares_.release(key);
  if (answered && limits_.resent_memory_ms > 0 && limits_.resent_memory_entries > 0) {
    forget_expired(now_ms);
    while (recent_.size() >= limits_.resent_memory_entries && !expiry_.empty()) {
      auto [until, oldest] = expiry_.front();
      expiry_.pop_front();
      if (auto r = recent_.find(oldest); r != recent_.end() && r->second.until == until) recent_.erase(r);
    }
    const auto until = now_ms + limits_.resent_memory_ms;
    recent_.insert_or_assign(key, Recent{std::move(it->second), until});
    expiry_.emplace_back(until, key);
  }
  in_flight_.erase(it);
}

void Admission::forget_expired(std::int64_t now_ms) {
  while (!expiry_.empty() && expiry_.front().first <= now_ms) {
    auto [until, key] = expiry_.front();
    expiry_.pop_front();
    // Only the entry this expiry was for: the port may have finished again since.
    if (auto r = recent_.find(key); r != recent_.end() && r->second.until == until) recent_.erase(r);
  }
}

std::string_view to_string(Admission::Verdict v) {
  switch (v) {
    case Admission::Verdict::start: return "start";
    case Admission::Verdict::resent: return "resent";
    case Admission::Verdict::busy: return "busy";
    case Admission::Verdict::client_busy: return "client-busy";
  }
  return "unknown";
}

}  // namespace pxed::tftp
