// A lease store that lost rows is refused at open; check says why; recover
// keeps a copy and builds a store pxed opens again.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "store/lease_check.hpp"
#include "store/lease_store.hpp"
#include "support/test_support.hpp"

namespace pxed::store {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

constexpr std::int64_t kNow = 1'800'000'000;

std::vector<Lease> some_leases(std::uint32_t count) {
  std::vector<Lease> leases;
  for (std::uint32_t i = 0; i < count; ++i) {
    Lease l;
    l.ip = core::Ipv4{0x0a4d0064 + i};
    l.mac = core::Mac{{0x52, 0x54, 0x00, 0x00, 0x00, static_cast<std::uint8_t>(i)}};
    l.expires = kNow + 3600;
    leases.push_back(l);
  }
  return leases;
}

// Writes the leases from a child that exits without closing the store, as a
// crash or kill -9 does: the rows are then in the -wal only, not yet in the file.
void write_then_die(const fs::path& dir, std::uint32_t count) {
  auto status = test::run_in_child(
      [&] {
        auto store = LeaseStore::open(dir);
        if (!store || !store->write(some_leases(count))) return 1;
        ::_exit(0);
      },
      std::chrono::seconds(10));
  ASSERT_EQ(status, 0);
  ASSERT_TRUE(fs::exists(dir / "leases.sqlite3-wal"));
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(LeaseCheck, AStoreThatKeptItsRowsOpensAndChecksOk) {
  TempDir dir;
  write_then_die(dir.path(), 5);
  auto store = LeaseStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  EXPECT_EQ(store->load_all()->size(), 5u);
  auto found = check_leases(dir.path(), kNow);
  EXPECT_TRUE(found.problems.empty()) << found.problems.front();
  EXPECT_EQ(found.rows, 5);
  EXPECT_EQ(found.seen, 5);
}

TEST(LeaseCheck, ADeletedWalIsRefusedNamingTheFileAndTheWayBack) {
  TempDir dir;
  write_then_die(dir.path(), 5);
  fs::remove(dir.path() / "leases.sqlite3-wal");
  auto store = LeaseStore::open(dir.path());
  ASSERT_FALSE(store);
  EXPECT_TRUE(contains(store.error(), (dir.path() / "leases.sqlite3").string())) << store.error();
  EXPECT_TRUE(contains(store.error(), "pxed leases recover")) << store.error();
  EXPECT_FALSE(check_leases(dir.path(), kNow).problems.empty());
}

TEST(LeaseCheck, AGarbledWalHeaderIsRefused) {
  TempDir dir;
  { ASSERT_TRUE(LeaseStore::open(dir.path())); }   // the schema, checkpointed on close
  write_then_die(dir.path(), 5);
  {
    std::fstream wal(dir.path() / "leases.sqlite3-wal", std::ios::in | std::ios::out | std::ios::binary);
    wal.seekp(0);
    wal << std::string(32, '\x5a');
  }
  auto store = LeaseStore::open(dir.path());
  ASSERT_FALSE(store);
  EXPECT_TRUE(contains(store.error(), "holds 0 leases but pxed last wrote 5")) << store.error();
}

TEST(LeaseCheck, ATruncatedDatabaseIsRefused) {
  TempDir dir;
  { ASSERT_TRUE(LeaseStore::open(dir.path())->write(some_leases(3))); }
  fs::resize_file(dir.path() / "leases.sqlite3", 0);
  auto store = LeaseStore::open(dir.path());
  ASSERT_FALSE(store);
  EXPECT_TRUE(contains(store.error(), "is empty but pxed last wrote 3 leases")) << store.error();
  auto found = check_leases(dir.path(), kNow);
  EXPECT_FALSE(found.problems.empty());
}

TEST(LeaseCheck, ADeletedDatabaseIsRefused) {
  TempDir dir;
  { ASSERT_TRUE(LeaseStore::open(dir.path())->write(some_leases(3))); }
  fs::remove(dir.path() / "leases.sqlite3");
  auto store = LeaseStore::open(dir.path());
  ASSERT_FALSE(store);
  EXPECT_TRUE(contains(store.error(), "is gone")) << store.error();
  EXPECT_FALSE(fs::exists(dir.path() / "leases.sqlite3"));  // not made anew behind the admin's back
}

TEST(LeaseCheck, AStoreFromBeforeTheMarkerIsAdopted) {
  TempDir dir;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "leases.sqlite3").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE leases (ip INTEGER PRIMARY KEY, client_id BLOB NOT NULL, mac BLOB NOT NULL,"
                         " hostname TEXT NOT NULL, state INTEGER NOT NULL, expires INTEGER NOT NULL,"
                         " updated INTEGER NOT NULL);"
                         "INSERT INTO leases VALUES (1, x'', x'525400000001', 'a', 1, 1, 1);"
                         "PRAGMA user_version = 1",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  {
    auto store = LeaseStore::open(dir.path());
    ASSERT_TRUE(store) << store.error();
    EXPECT_EQ(store->load_all()->size(), 1u);
  }
  EXPECT_EQ(check_leases(dir.path(), kNow).seen, 1);
}

TEST(LeaseCheck, RecoverKeepsACopyAndWhatIsReadableThenTheStoreOpens) {
  TempDir dir;
  { ASSERT_TRUE(LeaseStore::open(dir.path())->write(some_leases(4))); }
  write_then_die(dir.path(), 9);  // rows 5..9 exist only in the -wal
  fs::remove(dir.path() / "leases.sqlite3-wal");
  ASSERT_FALSE(LeaseStore::open(dir.path()));
  auto recovered = recover_leases(dir.path(), kNow);
  ASSERT_TRUE(recovered) << recovered.error();
  EXPECT_EQ(recovered->kept, 4);
  EXPECT_EQ(recovered->seen, 9);
  EXPECT_TRUE(fs::exists(recovered->copy / "leases.sqlite3"));
  EXPECT_TRUE(fs::exists(recovered->copy / "leases.seen"));
  auto store = LeaseStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  EXPECT_EQ(store->load_all()->size(), 4u);
  auto found = check_leases(dir.path(), kNow);
  EXPECT_EQ(found.recovered, kNow);
  EXPECT_EQ(found.seen, 4);
}

TEST(LeaseCheck, RecoverIsRefusedWhilePxedServes) {
  TempDir dir;
  auto store = LeaseStore::open(dir.path());
  ASSERT_TRUE(store);
  auto recovered = recover_leases(dir.path(), kNow);
  ASSERT_FALSE(recovered);
  EXPECT_TRUE(contains(recovered.error(), "another pxed uses")) << recovered.error();
}

}  // namespace
}  // namespace pxed::store
