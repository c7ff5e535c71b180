#include "app/event_history.hpp"

#include <gtest/gtest.h>

#include <array>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "api/history.hpp"
#include "api/machine_table.hpp"
#include "support/test_support.hpp"

namespace pxed::app {
namespace {

using events::Event;
using events::Kind;
using test::TempDir;

const core::Mac kMac{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};

struct Seen : events::Output {
  std::vector<Event> events;
  void publish(const Event& e) override { events.push_back(e); }
};

Event stage(std::uint64_t seq, std::int64_t ms, std::string_view name) {
  Event e{Kind::machine_stage};
  e.seq = seq;
  e.time_ms = ms;
  e.mac = kMac;
  e.add("stage", name).add("file", "/vmlinuz").add("bytes", 42).add("ms", 3.5).add("cached", true);
  return e;
}

EventRecorder::Post no_loop() {
  return [](std::function<void()> f) { f(); };
}

TEST(EventHistory, AStoredEventReadsBackAsTheSameEvent) {
  const Event e = stage(7, 1796003000117, "kernel");
  auto back = events::parse_json(events::format_json(e));
  ASSERT_TRUE(back);
  EXPECT_EQ(events::format_json(*back), events::format_json(e));
  EXPECT_EQ(events::format_text(*back), events::format_text(e));
  EXPECT_EQ(back->mac, kMac);
  EXPECT_FALSE(events::parse_json(R"({"id":1,"time_ms":5,"level":"info","event":"no.such_kind"})"));
  EXPECT_FALSE(events::parse_json(R"({"id":1,"time_ms":5,"level":"info","event":"pxed.ready","x":[1]})"));
  EXPECT_FALSE(events::parse_json("not json"));
}

TEST(EventHistory, WhatWasRecordedComesBackAfterARestartAndIdsGoOn) {
  TempDir dir;
  {
    events::Bus bus([] { return std::int64_t{1000}; });
    auto restored = restore_history(dir.path(), 100, bus, {});
    ASSERT_TRUE(restored.store) << restored.error;
    EXPECT_EQ(restored.events, 0u);
    auto recorder = std::make_shared<EventRecorder>(std::move(*restored.store), 100, no_loop(), bus,
                                                    EventRecorder::Limits{});
    bus.add(recorder);
    bus.emit(Event{Kind::pxed_ready});
    bus.emit(Event{Kind::dhcp_dropped});  // debug: counted, never kept
    bus.emit(Event{Kind::machine_stage}.about(kMac).add("stage", "dhcp"));
    recorder->stop();  // pxed stopping: what waits is written
  }
  events::Bus bus([] { return std::int64_t{2000}; });
  api::History history(100);
  api::MachineTable table;
  const std::array<events::Output*, 2> into{&history, &table};
  auto restored = restore_history(dir.path(), 100, bus, into);
  ASSERT_TRUE(restored.store) << restored.error;
  EXPECT_EQ(restored.events, 2u);
  EXPECT_EQ(restored.last_id, 3u);
  EXPECT_EQ(history.size(), 2u);
  const auto* row = table.find(kMac);
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->first_ms, 1000);
  auto seen = std::make_shared<Seen>();
  bus.add(seen);
  bus.emit(Event{Kind::pxed_ready});
  ASSERT_EQ(seen->events.size(), 1u);
  EXPECT_EQ(seen->events[0].seq, 4u);
}

TEST(EventHistory, OnlyTheNewestKeepAreKeptAndRestored) {
  TempDir dir;
  {
    events::Bus bus;
    auto restored = restore_history(dir.path(), 3, bus, {});
    ASSERT_TRUE(restored.store) << restored.error;
    // A batch of 2: the writer wakes before stop() for the first ones.
    EventRecorder recorder(std::move(*restored.store), 3, no_loop(), bus, {.interval = std::chrono::hours(1), .batch = 2});
    for (std::uint64_t i = 1; i <= 5; ++i) recorder.publish(stage(i, 1000 + static_cast<std::int64_t>(i), "loader"));
  }
  events::Bus bus;
  api::History history(100);
  const std::array<events::Output*, 1> into{&history};
  auto restored = restore_history(dir.path(), 100, bus, into);
  EXPECT_EQ(restored.events, 3u);
  EXPECT_EQ(restored.last_id, 5u);
  api::EventQuery all;
  std::vector<std::uint64_t> ids;
  for (const auto* e : history.find(all).events) ids.push_back(e->seq);
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{3, 4, 5}));
}

TEST(EventHistory, AStateDirectoryIsCreatedOrItsProblemIsAReason) {
  TempDir dir;
  events::Bus bus;
  EXPECT_TRUE(restore_history(dir.path() / "new" / "state", 100, bus, {}).store);
  std::ofstream(dir.path() / "file") << "x";
  auto restored = restore_history(dir.path() / "file" / "state", 100, bus, {});
  EXPECT_FALSE(restored.store);
  EXPECT_NE(restored.error.find("file/state"), std::string::npos) << restored.error;
}

}  // namespace
}  // namespace pxed::app
