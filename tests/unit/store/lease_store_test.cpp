#include "store/lease_store.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "store/lease_check.hpp"
#include "support/test_support.hpp"

namespace pxed::store {
namespace {

using test::TempDir;

Lease lease(std::uint32_t ip, std::int64_t expires = 1'800'000'000, std::string hostname = "pc") {
  Lease l;
  l.ip = core::Ipv4{ip};
  l.mac = core::Mac{{0x52, 0x54, 0x00, static_cast<std::uint8_t>(ip >> 16), static_cast<std::uint8_t>(ip >> 8),
                     static_cast<std::uint8_t>(ip)}};
  l.client_id = {0x01, 0x52, 0x54, 0x00, static_cast<std::uint8_t>(ip)};
  l.hostname = std::move(hostname);
  l.expires = expires;
  l.updated = expires - 43200;
  return l;
}

std::vector<Lease> load(const std::filesystem::path& dir) {
  auto store = LeaseStore::open(dir);
  if (!store) {
    ADD_FAILURE() << store.error();
    return {};
  }
  auto all = store->load_all();
  if (!all) {
    ADD_FAILURE() << all.error();
    return {};
  }
  return *all;
}

TEST(LeaseStore, WrittenLeasesLoadBackEqual) {
  TempDir dir;
  auto store = LeaseStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  std::vector<Lease> leases = {lease(0x0a4d0064), lease(0x0a4d0065)};
  leases[1].state = LeaseState::declined;
  leases[1].client_id.clear();  // no option 61: stored as an empty blob, not NULL
  leases[1].hostname.clear();
  ASSERT_TRUE(store->write(leases));
  auto all = store->load_all();
  ASSERT_TRUE(all) << all.error();
  EXPECT_EQ(*all, leases);
}

TEST(LeaseStore, CommitIsDurableAndLeavesTheCountToRecount) {
  // The DHCP service sends ACKs after commit() and refreshes leases.seen later
  // (dhcp/group_commit.hpp): a commit alone must not touch it, a recount must.
  TempDir dir;
  {
    auto store = LeaseStore::open(dir.path());
    ASSERT_TRUE(store) << store.error();
    ASSERT_TRUE(store->write(std::vector{lease(0x0a4d0001)}));
    EXPECT_EQ(check_leases(dir.path(), 0).seen, 1);
    std::vector<Lease> more = {lease(0x0a4d0002), lease(0x0a4d0003)};
    ASSERT_TRUE(store->commit(more));
    EXPECT_EQ(check_leases(dir.path(), 0).seen, 1);  // trails the database, which a start accepts
    ASSERT_TRUE(store->recount());
    EXPECT_EQ(check_leases(dir.path(), 0).seen, 3);
  }
  EXPECT_EQ(load(dir.path()).size(), 3u);
}

TEST(LeaseStore, AnEmptyStoreLoadsNothing) {
  TempDir dir;
  EXPECT_TRUE(load(dir.path()).empty());
}

TEST(LeaseStore, ValuesAtTheEdgesRoundTrip) {
  TempDir dir;
  // 255.255.255.255 does not fit a signed 32-bit column; FIRMWARE.md 8: Windows
  // clients send NUL-terminated hostnames, kept byte for byte.
  std::vector<Lease> leases = {lease(0), lease(0xffffffff, -1, std::string("ws01\0", 5))};
  leases[1].client_id.assign(255, 0xff);
  leases[1].updated = INT64_MAX;
  {
    auto store = LeaseStore::open(dir.path());
    ASSERT_TRUE(store) << store.error();
    ASSERT_TRUE(store->write(leases));
  }
  EXPECT_EQ(load(dir.path()), leases);
}

TEST(LeaseStore, WritingAnExistingIpReplacesItsLease) {
  TempDir dir;
  auto store = LeaseStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  ASSERT_TRUE(store->write(std::vector{lease(0x0a000001, 100), lease(0x0a000002, 100)}));
  Lease renewed = lease(0x0a000001, 200, "renamed");
  renewed.state = LeaseState::released;
  ASSERT_TRUE(store->write(std::vector{renewed}));
  auto all = store->load_all();
  ASSERT_TRUE(all) << all.error();
  EXPECT_EQ(*all, (std::vector{renewed, lease(0x0a000002, 100)}));
}

TEST(LeaseStore, OneBatchCanHoldManyLeasesIncludingRepeats) {
  TempDir dir;
  auto store = LeaseStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  std::vector<Lease> batch;
  for (std::uint32_t i = 0; i < 5000; ++i) batch.push_back(lease(0x0a000000 + i));
  batch.push_back(lease(0x0a000007, 42));  // the later one in a batch wins
  ASSERT_TRUE(store->write(batch));
  auto all = store->load_all();
  ASSERT_TRUE(all) << all.error();
  ASSERT_EQ(all->size(), 5000u);
  EXPECT_EQ((*all)[7], lease(0x0a000007, 42));
  EXPECT_EQ(all->back(), lease(0x0a000000 + 4999));
}

TEST(LeaseStore, AnEmptyBatchSucceeds) {
  TempDir dir;
  auto store = LeaseStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  EXPECT_TRUE(store->write({}));
}

TEST(LeaseStore, ReopeningAfterCloseKeepsEverything) {
  TempDir dir;
  std::vector<Lease> expected;
  for (int round = 0; round < 3; ++round) {
    auto store = LeaseStore::open(dir.path());
    ASSERT_TRUE(store) << store.error();
    auto all = store->load_all();
    ASSERT_TRUE(all) << all.error();
    EXPECT_EQ(*all, expected) << "round " << round;
    std::vector<Lease> batch = {lease(0x0a000010 + static_cast<std::uint32_t>(round))};
    ASSERT_TRUE(store->write(batch));
    expected.push_back(batch[0]);
  }
  EXPECT_EQ(load(dir.path()), expected);
}

TEST(LeaseStore, AMovedStoreKeepsWorking) {
  TempDir dir;
  auto opened = LeaseStore::open(dir.path());
  ASSERT_TRUE(opened) << opened.error();
  LeaseStore store = std::move(*opened);
  ASSERT_TRUE(store.write(std::vector{lease(1)}));
  auto all = store.load_all();
  ASSERT_TRUE(all) << all.error();
  EXPECT_EQ(all->size(), 1u);
}

TEST(LeaseStore, AMissingStateDirIsAnErrorNamingIt) {
  TempDir dir;
  auto missing = dir.path() / "no-such-dir";
  auto store = LeaseStore::open(missing);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().find(missing.string()), std::string::npos) << store.error();
  EXPECT_NE(store.error().find("does not exist"), std::string::npos) << store.error();
  EXPECT_FALSE(std::filesystem::exists(missing));  // never created behind the admin's back
}

TEST(LeaseStore, AFileThatIsNotADatabaseIsAClearError) {
  TempDir dir;
  std::ofstream(dir.path() / "leases.sqlite3") << std::string(4096, 'x');
  auto store = LeaseStore::open(dir.path());
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().find((dir.path() / "leases.sqlite3").string()), std::string::npos) << store.error();
  EXPECT_NE(store.error().find("not a database"), std::string::npos) << store.error();
}

TEST(LeaseStore, ADatabaseDamagedPastItsHeaderIsRefusedAtOpen) {
  TempDir dir;
  {
    auto store = LeaseStore::open(dir.path());
    ASSERT_TRUE(store) << store.error();
    std::vector<Lease> batch;
    for (std::uint32_t i = 0; i < 2000; ++i) batch.push_back(lease(i, 1, std::string(40, 'h')));
    ASSERT_TRUE(store->write(batch));
  }
  auto file = dir.path() / "leases.sqlite3";
  ASSERT_GT(std::filesystem::file_size(file), 16384u);
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8192);  // inside the table's b-tree, well past the 100-byte header
    f << std::string(4096, '\x5a');
  }
  auto store = LeaseStore::open(dir.path());
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().find(file.string()), std::string::npos) << store.error();
}

TEST(LeaseStore, ASchemaFromANewerPxedIsRefused) {
  TempDir dir;
  { ASSERT_TRUE(LeaseStore::open(dir.path())); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "leases.sqlite3").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = LeaseStore::open(dir.path());
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().find("newer pxed"), std::string::npos) << store.error();
}

TEST(LeaseStore, UsesWalAndFullSync) {
  TempDir dir;
  auto store = LeaseStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "leases.sqlite3-wal"));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "leases.sqlite3").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), "wal");
  sqlite3_finalize(s);
  sqlite3_close(db);
}

TEST(LeaseStore, ASecondStoreOnTheSameDirIsRefusedWhileTheFirstIsOpen) {
  TempDir dir;
  auto first = LeaseStore::open(dir.path());
  ASSERT_TRUE(first) << first.error();
  auto second = LeaseStore::open(dir.path());
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().find("another pxed uses " + dir.path().string()), std::string::npos)
      << second.error();
  first = std::unexpected("closed");  // releases the lock
  EXPECT_TRUE(LeaseStore::open(dir.path()));
}

TEST(LeaseStore, ASecondProcessOnTheSameDirIsRefused) {
  TempDir dir;
  auto first = LeaseStore::open(dir.path());
  ASSERT_TRUE(first) << first.error();
  auto status = test::run_in_child(
      [&] {
        auto second = LeaseStore::open(dir.path());
        if (second) return 1;
        return second.error().find("another pxed uses") != std::string::npos ? 0 : 2;
      },
      std::chrono::seconds(10));
  EXPECT_EQ(status, 0);
}

// ---- crash durability: "kill -9 at any moment, restart: every client keeps its address"

constexpr std::uint32_t kPerBatch = 4;
constexpr std::uint32_t kHotIp = 0x0a0000fe;  // renewed by every batch

std::vector<Lease> crash_batch(std::uint32_t n) {
  std::vector<Lease> batch;
  for (std::uint32_t j = 0; j < kPerBatch; ++j) batch.push_back(lease(0x0b000000 + n * kPerBatch + j, n));
  batch.push_back(lease(kHotIp, n));
  return batch;
}

// Child: writes batch 1, 2, 3, ... and reports each number once write() has returned.
[[noreturn]] void write_until_killed(const std::filesystem::path& dir, int report) {
  ::alarm(20);  // never outlive a parent that failed to kill us
  auto store = LeaseStore::open(dir);
  if (!store) ::_exit(3);
  for (std::uint32_t n = 1;; ++n) {
    if (!store->write(crash_batch(n))) ::_exit(4);
    if (::write(report, &n, sizeof n) != sizeof n) ::_exit(5);
  }
}

// Reads one acknowledged batch number; 0 on EOF or after a deadline.
std::uint32_t read_ack(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return 0;
  std::uint32_t n = 0;
  return ::read(fd, &n, sizeof n) == sizeof n ? n : 0;
}

TEST(LeaseStore, EveryAcknowledgedBatchSurvivesKillNine) {
  std::random_device seed_source;
  const unsigned seed = seed_source();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 random(seed);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (int round = 0; round < 20 && std::chrono::steady_clock::now() < give_up; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    TempDir dir;
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      write_until_killed(dir.path(), fds[1]);
    }
    ::close(fds[1]);
    // Kill after a random number of acknowledgements plus a random delay, so
    // the signal lands anywhere: mid-batch, mid-commit, mid-fsync, between.
    std::uint32_t acked = 0;
    const auto wanted = std::uniform_int_distribution<std::uint32_t>(1, 12)(random);
    while (acked < wanted) {
      auto n = read_ack(fds[0], 5000);
      if (n == 0) break;
      acked = n;
    }
    ::usleep(std::uniform_int_distribution<unsigned>(0, 3000)(random));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    for (std::uint32_t n; (n = read_ack(fds[0], 0)) != 0;) acked = n;  // sent before it died
    ::close(fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
    ASSERT_GT(acked, 0u) << "the child never acknowledged a batch";

    auto all = load(dir.path());  // also proves the dead child's lock is gone
    std::map<std::uint32_t, Lease> by_ip;
    for (const auto& l : all) by_ip.emplace(l.ip.value, l);
    for (std::uint32_t n = 1; n <= acked; ++n) {
      for (const auto& l : crash_batch(n)) {
        if (l.ip.value == kHotIp) continue;
        auto it = by_ip.find(l.ip.value);
        ASSERT_NE(it, by_ip.end()) << "batch " << n << " of " << acked << " acknowledged is lost";
        EXPECT_EQ(it->second, l);
      }
    }
    ASSERT_TRUE(by_ip.contains(kHotIp));
    EXPECT_GE(by_ip[kHotIp].expires, acked) << "a renewal that was acknowledged is lost";
    // At most the one batch in flight when the signal came may be there too, and then whole.
    const auto last = static_cast<std::uint32_t>(by_ip[kHotIp].expires);
    EXPECT_LE(last, acked + 1);
    EXPECT_EQ(all.size(), last * kPerBatch + 1) << "a batch is there only in part";
  }
}

}  // namespace
}  // namespace pxed::store
