#pragma once
// The recent events, newest last, for /api/v1/events and each machine's
// timeline: a ring of a configured size, so a busy week costs a bounded
// amount of memory. Debug events (dropped packets, refusals at the rate
// limit) are counted but not kept: a flood must not push the boots out.
#include <cstdint>
#include <bitset>
#include <deque>
#include <initializer_list>
#include <optional>
#include <vector>

#include "core/net.hpp"
#include "events/bus.hpp"

namespace pxed::api {

// The kinds a query wants; none added: every kind.
class KindSet {
 public:
  KindSet() = default;
  KindSet(std::initializer_list<events::Kind> kinds) {
    for (auto k : kinds) add(k);
  }
  void add(events::Kind kind) {
    bits_.set(static_cast<std::size_t>(kind));
    any_ = true;
  }
  bool contains(events::Kind kind) const { return !any_ || bits_.test(static_cast<std::size_t>(kind)); }

 private:
  static constexpr std::size_t kMaxKinds = 128;
  std::bitset<kMaxKinds> bits_;
  bool any_ = false;
};

// What an event must be for a query or a stream that filters.
struct EventFilter {
  std::optional<core::Mac> mac;                   // only this machine's
  KindSet kinds;                                  // only these kinds
  events::Level min_level = events::Level::debug;  // only this level or worse
  bool matches(events::Kind kind, events::Level level, const std::optional<core::Mac>& m) const {
    return (!mac || m == mac) && kinds.contains(kind) && level >= min_level;
  }
};

struct EventQuery {
  std::uint64_t after = 0;    // ids greater than this (a cursor)
  EventFilter filter;
  std::int64_t since_ms = 0;  // only at or after this Unix time (ms)
  std::size_t limit = 100;
  // Nonzero: the newest this many that match instead of the oldest `limit`
  // (a dashboard's first look, without paging through the whole history).
  std::size_t tail = 0;
  bool matches(const events::Event& e) const {
    return filter.matches(e.kind, e.level, e.mac) && e.time_ms >= since_ms;
  }
};

struct EventPage {
  std::vector<const events::Event*> events;  // oldest first
  std::uint64_t next = 0;                    // the cursor for the next page (the last id given)
  bool more = false;                         // more matched than limit
};

class History : public events::Output {
 public:
  explicit History(std::size_t capacity) : capacity_(capacity) {}
  void publish(const events::Event& event) override;
  EventPage find(const EventQuery& query) const;
  std::size_t size() const { return ring_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  std::size_t capacity_;
  std::deque<events::Event> ring_;  // ascending seq
};

}  // namespace pxed::api
