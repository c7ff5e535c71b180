#include "api/history.hpp"

#include <gtest/gtest.h>

namespace pxed::api {
namespace {

using events::Event;
using events::Kind;

const core::Mac kA = *core::Mac::parse("52:54:00:00:00:0a");
const core::Mac kB = *core::Mac::parse("52:54:00:00:00:0b");

Event numbered(std::uint64_t seq, Kind kind, std::optional<core::Mac> mac = std::nullopt) {
  Event e{kind};
  e.seq = seq;
  e.time_ms = static_cast<std::int64_t>(seq) * 1000;
  e.mac = mac;
  return e;
}

std::vector<std::uint64_t> ids(const EventPage& page) {
  std::vector<std::uint64_t> out;
  for (const auto* e : page.events) out.push_back(e->seq);
  return out;
}

TEST(History, KeepsTheNewestUpToItsCapacity) {
  History h(3);
  for (std::uint64_t i = 1; i <= 5; ++i) h.publish(numbered(i, Kind::tftp_done));
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(ids(h.find({})), (std::vector<std::uint64_t>{3, 4, 5}));
}

TEST(History, TailGivesTheNewestThatMatchOldestFirstWithTheirCursor) {
  History h(10);
  for (std::uint64_t i = 1; i <= 8; ++i) h.publish(numbered(i, i % 2 ? Kind::tftp_done : Kind::dhcp_ack, kA));
  EventQuery q;
  q.tail = 3;
  auto page = h.find(q);
  EXPECT_EQ(ids(page), (std::vector<std::uint64_t>{6, 7, 8}));
  EXPECT_EQ(page.next, 8u);
  EXPECT_FALSE(page.more);
  q.filter.kinds = {Kind::tftp_done};
  EXPECT_EQ(ids(h.find(q)), (std::vector<std::uint64_t>{3, 5, 7}));
  q.after = 4;  // never reaches back past the cursor
  q.tail = 10;
  EXPECT_EQ(ids(h.find(q)), (std::vector<std::uint64_t>{5, 7}));
  q.after = 8;
  auto none = h.find(q);
  EXPECT_TRUE(none.events.empty());
  EXPECT_EQ(none.next, 8u);
}

TEST(History, LeavesDebugEventsOutSoAFloodCannotPushBootsOut) {
  History h(2);
  h.publish(numbered(1, Kind::dhcp_ack, kA));
  for (std::uint64_t i = 2; i < 1000; ++i) h.publish(numbered(i, Kind::dhcp_dropped));
  EXPECT_EQ(ids(h.find({})), (std::vector<std::uint64_t>{1}));
}

TEST(History, PagesWithACursorAndFilters) {
  History h(100);
  for (std::uint64_t i = 1; i <= 10; ++i) {
    h.publish(numbered(i, i % 2 == 0 ? Kind::tftp_done : Kind::dhcp_ack, i <= 6 ? kA : kB));
  }
  auto first = h.find({.after = 0, .filter = {}, .since_ms = 0, .limit = 4, .tail = 0});
  EXPECT_EQ(ids(first), (std::vector<std::uint64_t>{1, 2, 3, 4}));
  EXPECT_TRUE(first.more);
  auto rest = h.find({.after = first.next, .filter = {}, .since_ms = 0, .limit = 100, .tail = 0});
  EXPECT_EQ(ids(rest), (std::vector<std::uint64_t>{5, 6, 7, 8, 9, 10}));
  EXPECT_FALSE(rest.more);
  EXPECT_EQ(rest.next, 10u);
  EXPECT_EQ(ids(h.find({.after = 0, .filter = {.mac = kA, .kinds = {Kind::tftp_done}, .min_level = events::Level::debug},
                        .since_ms = 0, .limit = 100, .tail = 0})),
            (std::vector<std::uint64_t>{2, 4, 6}));
  EXPECT_EQ(ids(h.find({.after = 0, .filter = {.mac = kB, .kinds = {}, .min_level = events::Level::debug},
                        .since_ms = 9000, .limit = 100, .tail = 0})),
            (std::vector<std::uint64_t>{9, 10}));
  // Nothing new past the cursor: an empty page that keeps the cursor.
  auto none = h.find({.after = 10, .filter = {}, .since_ms = 0, .limit = 100, .tail = 0});
  EXPECT_TRUE(none.events.empty());
  EXPECT_EQ(none.next, 10u);
}

TEST(History, FiltersByAnyOfSeveralKindsAndByLevel) {
  History h(100);
  h.publish(numbered(1, Kind::dhcp_ack));
  h.publish(numbered(2, Kind::tftp_done));
  h.publish(numbered(3, Kind::machine_stage));
  h.publish(numbered(4, Kind::dhcp_decline));  // warn
  EventQuery q;
  q.filter.kinds = {Kind::machine_stage, Kind::dhcp_ack};
  EXPECT_EQ(ids(h.find(q)), (std::vector<std::uint64_t>{1, 3}));
  q.filter.kinds = {};
  q.filter.min_level = events::Level::warn;
  EXPECT_EQ(ids(h.find(q)), (std::vector<std::uint64_t>{4}));
}

TEST(History, ZeroCapacityKeepsNothing) {
  History h(0);
  h.publish(numbered(1, Kind::tftp_done));
  EXPECT_EQ(h.size(), 0u);
}

}  // namespace
}  // namespace pxed::api
