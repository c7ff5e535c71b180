#include "store/event_store.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace pxed::store {
namespace {

using test::TempDir;

std::vector<StoredEvent> numbered(std::uint64_t first, std::uint64_t last) {
  std::vector<StoredEvent> out;
  for (auto id = first; id <= last; ++id) out.push_back({id, R"({"id":)" + std::to_string(id) + "}"});
  return out;
}

std::vector<std::uint64_t> ids(const std::vector<StoredEvent>& events) {
  std::vector<std::uint64_t> out;
  for (const auto& e : events) out.push_back(e.id);
  return out;
}

TEST(EventStore, GivesBackTheNewestOldestFirstAcrossAReopen) {
  TempDir dir;
  {
    auto store = EventStore::open(dir.path());
    ASSERT_TRUE(store) << store.error();
    ASSERT_TRUE(store->append(numbered(1, 5), 0));
    ASSERT_TRUE(store->append(numbered(6, 7), 0));
  }
  auto store = EventStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  auto newest = store->newest(3);
  ASSERT_TRUE(newest) << newest.error();
  EXPECT_EQ(ids(*newest), (std::vector<std::uint64_t>{5, 6, 7}));
  EXPECT_EQ(newest->back().json, R"({"id":7})");
  EXPECT_EQ(ids(*store->newest(100)).size(), 7u);
}

TEST(EventStore, KeepsOnlyTheNewestRowsEvenWhenIdsHaveGaps) {
  TempDir dir;
  auto store = EventStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  // Debug events are never stored: the ids kept are not contiguous.
  ASSERT_TRUE(store->append(std::vector<StoredEvent>{{2, "a"}, {5, "b"}, {9, "c"}, {10, "d"}}, 3));
  EXPECT_EQ(ids(*store->newest(100)), (std::vector<std::uint64_t>{5, 9, 10}));
  ASSERT_TRUE(store->append(std::vector<StoredEvent>{{11, "e"}}, 3));
  EXPECT_EQ(ids(*store->newest(100)), (std::vector<std::uint64_t>{9, 10, 11}));
}

TEST(EventStore, ASecondWriterIsRefused) {
  TempDir dir;
  auto first = EventStore::open(dir.path());
  ASSERT_TRUE(first) << first.error();
  auto second = EventStore::open(dir.path());
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().find("events.lock"), std::string::npos) << second.error();
}

TEST(EventStore, AnotherFileInItsPlaceIsRefusedByName) {
  TempDir dir;
  std::ofstream(dir.path() / "events.sqlite3") << "not a database, but someone's notes\n";
  auto store = EventStore::open(dir.path());
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().find("events.sqlite3"), std::string::npos) << store.error();
}

TEST(EventStore, AMissingStateDirectoryIsNamed) {
  TempDir dir;
  auto store = EventStore::open(dir.path() / "nope");
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().find("nope"), std::string::npos) << store.error();
}

}  // namespace
}  // namespace pxed::store
