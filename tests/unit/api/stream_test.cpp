#include "api/stream.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace pxed::api {
namespace {

using events::Event;
using events::Kind;

const core::Mac kA = *core::Mac::parse("52:54:00:00:00:0a");

Event numbered(std::uint64_t seq, Kind kind, std::optional<core::Mac> mac = std::nullopt) {
  Event e{kind};
  e.seq = seq;
  e.time_ms = 1000;
  e.mac = mac;
  return e;
}

std::vector<std::string> texts(const std::vector<http::Feed::Chunk>& chunks) {
  std::vector<std::string> out;
  for (const auto& c : chunks) out.push_back(c->substr(0, c->find('\n')));
  return out;
}

TEST(Stream, WritesEachEventAsOneSseMessage) {
  auto e = numbered(7, Kind::tftp_done);
  e.add("bytes", 5);
  const auto m = sse_message(e);
  EXPECT_TRUE(m.starts_with("id: 7\nevent: tftp.done\ndata: {\"id\":7,")) << m;
  EXPECT_TRUE(m.ends_with("\"bytes\":5}\n\n")) << m;
  EXPECT_EQ(std::ranges::count(m, '\n'), 4);  // the data is one line
}

TEST(Stream, HandsSubscribersWhatTheirFilterWantsFromWhereTheySubscribed) {
  Stream s;
  s.publish(numbered(1, Kind::http_request));  // before anyone subscribed
  auto all = s.subscribe({});
  auto only_a = s.subscribe({.mac = kA, .kinds = {}, .min_level = events::Level::debug});
  s.publish(numbered(2, Kind::http_request));
  s.publish(numbered(3, Kind::tftp_done, kA));
  s.publish(numbered(4, Kind::dhcp_dropped));  // debug: not streamed
  EXPECT_TRUE(all->ready());
  EXPECT_EQ(texts(all->take()), (std::vector<std::string>{"id: 2", "id: 3"}));
  EXPECT_EQ(texts(only_a->take()), (std::vector<std::string>{"id: 3"}));
  EXPECT_FALSE(all->ready());
  EXPECT_TRUE(all->take().empty());
}

TEST(Stream, WithNobodySubscribedEventsAreCountedButNotKept) {
  Stream s;
  s.publish(numbered(1, Kind::http_request));
  auto first = s.subscribe({});
  s.publish(numbered(2, Kind::http_request));
  EXPECT_EQ(texts(first->take()), (std::vector<std::string>{"id: 2"}));
  first.reset();
  EXPECT_EQ(s.subscribers(), 0u);
  s.publish(numbered(3, Kind::http_request));  // nobody to read it
  s.publish(numbered(4, Kind::http_request));
  auto second = s.subscribe({});
  EXPECT_FALSE(second->ready());  // starts after 4, as a subscriber always starts at the latest
  s.publish(numbered(5, Kind::http_request));
  EXPECT_EQ(texts(second->take()), (std::vector<std::string>{"id: 5"}));
}

TEST(Stream, WakesASubscriberOnlyWhenItHasTakenEverything) {
  Stream s;
  auto feed = s.subscribe({});
  int wakes = 0;
  feed->on_wake([&] { ++wakes; });
  s.publish(numbered(1, Kind::http_request));
  s.publish(numbered(2, Kind::http_request));  // it was woken already and has not taken yet
  EXPECT_EQ(wakes, 1);
  EXPECT_EQ(feed->take().size(), 2u);
  s.publish(numbered(3, Kind::http_request));
  EXPECT_EQ(wakes, 2);
}

TEST(Stream, DropsASubscriberThatFallsBehindInsteadOfWaiting) {
  Stream s({.max_subscribers = 8, .max_behind = 3});
  auto slow = s.subscribe({});
  auto fast = s.subscribe({});
  int slow_wakes = 0;
  slow->on_wake([&] { ++slow_wakes; });
  for (std::uint64_t i = 1; i <= 5; ++i) {
    s.publish(numbered(i, Kind::http_request));
    fast->take();
  }
  EXPECT_TRUE(slow->closed());
  EXPECT_FALSE(fast->closed());
  EXPECT_EQ(s.dropped(), 1u);
  EXPECT_EQ(slow_wakes, 2);  // the first event, then the drop: its connection ends the response
}

TEST(Stream, RefusesPastMaxSubscribersAndForgetsThoseGone) {
  Stream s({.max_subscribers = 2, .max_behind = 10});
  auto a = s.subscribe({});
  auto b = s.subscribe({});
  EXPECT_EQ(s.subscribe({}), nullptr);
  a.reset();  // the connection ended
  EXPECT_EQ(s.subscribers(), 1u);
  EXPECT_NE(s.subscribe({}), nullptr);
}

}  // namespace
}  // namespace pxed::api
