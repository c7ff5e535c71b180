#include "events/bus.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "events/log.hpp"

namespace pxed::events {
namespace {

struct Recorder : Output {
  std::vector<Event> seen;
  void publish(const Event& event) override { seen.push_back(event); }
};

const core::Mac kMac = *core::Mac::parse("52:54:00:aa:bb:cc");
const core::Ipv4 kAddress = *core::Ipv4::parse("10.77.0.100");

TEST(Bus, StampsTheTimeOnlyWhenTheEventHasNone) {
  Bus bus([] { return std::int64_t{5000}; });
  auto recorder = std::make_shared<Recorder>();
  bus.add(recorder);
  bus.emit(Event{Kind::pxed_ready});
  Event dated{Kind::pxed_ready};
  dated.time_ms = 42;
  bus.emit(dated);
  ASSERT_EQ(recorder->seen.size(), 2u);
  EXPECT_EQ(recorder->seen[0].time_ms, 5000);
  EXPECT_EQ(recorder->seen[1].time_ms, 42);
}

TEST(Bus, AnotherThreadsEventsGoThroughTheForwardStampedButNotNumbered) {
  Bus bus([] { return std::int64_t{7000}; });
  auto recorder = std::make_shared<Recorder>();
  bus.add(recorder);
  bus.set_namer([](core::Ipv4) { return std::optional(kMac); });
  std::vector<Event> forwarded;
  bus.set_forward([&](Event e) { forwarded.push_back(std::move(e)); });
  std::thread other([&] { bus.emit(Event{Kind::http_request}.from(kAddress)); });
  other.join();
  ASSERT_EQ(forwarded.size(), 1u);
  EXPECT_TRUE(recorder->seen.empty());  // no output ran on the other thread
  EXPECT_EQ(forwarded[0].time_ms, 7000);
  EXPECT_EQ(forwarded[0].seq, 0u);
  EXPECT_FALSE(forwarded[0].mac);  // the namer reads the loop's state: named on arrival
  // What the owner's thread emits (the forwarded event, brought back) goes out inline.
  bus.emit(forwarded[0]);
  bus.emit(Event{Kind::pxed_ready});
  ASSERT_EQ(recorder->seen.size(), 2u);
  EXPECT_EQ(recorder->seen[0].time_ms, 7000);
  EXPECT_EQ(recorder->seen[0].mac, kMac);
  EXPECT_EQ(recorder->seen[1].seq, 2u);
  EXPECT_EQ(forwarded.size(), 1u);
}

TEST(Bus, NumbersEventsFromOneInTheOrderEmitted) {
  Bus bus([] { return std::int64_t{1}; });
  auto recorder = std::make_shared<Recorder>();
  bus.add(recorder);
  for (int i = 0; i < 3; ++i) bus.emit(Event{Kind::http_request});
  ASSERT_EQ(recorder->seen.size(), 3u);
  EXPECT_EQ(recorder->seen[0].seq, 1u);
  EXPECT_EQ(recorder->seen[2].seq, 3u);
}

TEST(Bus, NamesTheMachineBehindAClientAddress) {
  Bus bus([] { return std::int64_t{1}; });
  auto recorder = std::make_shared<Recorder>();
  bus.add(recorder);
  int asked = 0;
  bus.set_namer([&](core::Ipv4 address) -> std::optional<core::Mac> {
    ++asked;
    if (address == kAddress) return kMac;
    return std::nullopt;
  });
  bus.emit(Event{Kind::tftp_done}.from(kAddress));
  bus.emit(Event{Kind::tftp_done}.from(*core::Ipv4::parse("10.77.0.101")));
  bus.emit(Event{Kind::pxed_ready});  // no address: nobody to ask about
  const auto other = *core::Mac::parse("52:54:00:00:00:09");
  bus.emit(Event{Kind::dhcp_ack}.about(other).from(kAddress));  // DHCP knows better than the namer
  ASSERT_EQ(recorder->seen.size(), 4u);
  EXPECT_EQ(recorder->seen[0].mac, kMac);
  EXPECT_EQ(recorder->seen[1].mac, std::nullopt);
  EXPECT_EQ(recorder->seen[2].mac, std::nullopt);
  EXPECT_EQ(recorder->seen[3].mac, other);
  EXPECT_EQ(asked, 2);
}

TEST(Bus, HandsEveryEventToEveryOutputInOrder) {
  Bus bus([] { return std::int64_t{1}; });
  auto a = std::make_shared<Recorder>();
  auto b = std::make_shared<Recorder>();
  bus.add(a);
  bus.add(b);
  bus.emit(Event{Kind::http_request});
  bus.emit(Event{Kind::tftp_refused});
  ASSERT_EQ(b->seen.size(), 2u);
  EXPECT_EQ(a->seen[1].kind, Kind::tftp_refused);
  EXPECT_EQ(b->seen[0].kind, Kind::http_request);
}

TEST(Counters, CountByKindAndByResult) {
  Counters counters;
  counters.publish(Event{Kind::tftp_done}.add("result", "ok"));
  counters.publish(Event{Kind::tftp_done}.add("result", "ok"));
  counters.publish(Event{Kind::tftp_done}.add("result", "timeout"));
  counters.publish(Event{Kind::http_request}.add("status", 200));
  EXPECT_EQ(counters.count(Kind::tftp_done), 3u);
  EXPECT_EQ(counters.count(Kind::dhcp_ack), 0u);
  const std::vector<std::pair<std::string, std::uint64_t>> expected{
      {"http.request", 1}, {"tftp.done", 3}, {"tftp.done.ok", 2}, {"tftp.done.timeout", 1}};
  EXPECT_EQ(counters.snapshot(), expected);
}

TEST(Log, WritesTextLinesAtOrAboveTheThreshold) {
  std::ostringstream out;
  Log log(LogFormat::text, "info", &out);
  log.publish(Event{Kind::dhcp_dropped}.add("reason", "bootreply"));  // debug: below
  log.publish(Event{Kind::tftp_done}.add("bytes", 7).about(kMac));
  const auto text = out.str();
  EXPECT_EQ(text.find("dhcp.dropped"), std::string::npos);
  EXPECT_NE(text.find(" info tftp.done bytes=7 mac=52:54:00:aa:bb:cc\n"), std::string::npos) << text;
}

TEST(Log, WritesOneJsonObjectPerLine) {
  std::ostringstream out;
  Log log(LogFormat::json, "debug", &out);
  log.publish(Event{Kind::tftp_done}.add("bytes", 7));
  const auto line = out.str();
  EXPECT_EQ(line.front(), '{');
  EXPECT_NE(line.find(R"("level":"info","event":"tftp.done","bytes":7})"), std::string::npos) << line;
}

}  // namespace
}  // namespace pxed::events
