#include "api/stream.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace pxed::api {
namespace {

using events::Event;
using events::Kind;

const core::Mac kA = *core::Mac::parse("52:54:00:00:00:0a");

Event numbered(std::uint64_t seq, Kind kind) {
  Event e{kind};
  e.seq = seq;
  e.time_ms = 1000;
  return e;
}

TEST(Stream, WritesEachEventAsOneSseMessage) {
  auto e = numbered(7, Kind::tftp_done);
  e.add("bytes", 5);
  const auto m = sse_message(e);
  EXPECT_TRUE(m.starts_with("id: 7\nevent: tftp.done\ndata: {\"id\":7,")) << m;
  EXPECT_TRUE(m.ends_with("\"bytes\":5}\n\n")) << m;
  EXPECT_EQ(std::ranges::count(m, '\n'), 4);  // the data is one line
}

TEST(Stream, HandsSubscribersWhatTheirFilterWantsAndWakesThem) {
  Stream s;
  auto all = s.subscribe({});
  auto only_a = s.subscribe({.mac = kA, .kind = std::nullopt});
  int wakes = 0;
  all->on_wake([&] { ++wakes; });
  s.publish(numbered(1, Kind::http_request));
  auto mine = numbered(2, Kind::tftp_done);
  mine.mac = kA;
  s.publish(mine);
  s.publish(numbered(3, Kind::dhcp_dropped));  // debug: not streamed
  EXPECT_EQ(all->pending(), 2u);
  EXPECT_EQ(wakes, 2);
  auto got = only_a->take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].starts_with("id: 2\n"));
}

TEST(Stream, DropsASubscriberThatFallsBehindInsteadOfWaiting) {
  Stream s({.max_subscribers = 8, .max_pending = 3});
  auto slow = s.subscribe({});
  auto fast = s.subscribe({});
  for (std::uint64_t i = 1; i <= 5; ++i) {
    s.publish(numbered(i, Kind::http_request));
    fast->take();
  }
  EXPECT_TRUE(slow->closed());
  EXPECT_FALSE(fast->closed());
  EXPECT_EQ(s.dropped(), 1u);
  EXPECT_EQ(slow->pending(), 3u);  // what it had stays for the connection to write
}

TEST(Stream, RefusesPastMaxSubscribersAndForgetsThoseGone) {
  Stream s({.max_subscribers = 2, .max_pending = 10});
  auto a = s.subscribe({});
  auto b = s.subscribe({});
  EXPECT_EQ(s.subscribe({}), nullptr);
  a.reset();  // the connection ended
  EXPECT_NE(s.subscribe({}), nullptr);
}

}  // namespace
}  // namespace pxed::api
