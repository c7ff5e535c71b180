#include "store/state_file.hpp"

#include <gtest/gtest.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "store/lease_check.hpp"
#include "store/lease_store.hpp"
#include "store/machine_store.hpp"
#include "support/test_support.hpp"

namespace pxed::store {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

constexpr uid_t kNobody = 65534;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(StateFile, ASymlinkedDatabaseIsRefusedAndItsTargetNeverCreated) {
  TempDir dir, elsewhere;
  const fs::path target = elsewhere.path() / "owned-by-root";
  fs::create_symlink(target, dir.path() / "leases.sqlite3");
  auto store = LeaseStore::open(dir.path());
  ASSERT_FALSE(store);
  EXPECT_TRUE(contains(store.error(), (dir.path() / "leases.sqlite3").string())) << store.error();
  EXPECT_TRUE(contains(store.error(), "symbolic link")) << store.error();
  EXPECT_FALSE(fs::exists(fs::symlink_status(target)));
}

TEST(StateFile, ASymlinkedCompanionIsRefusedBeforeSqliteWritesThroughIt) {
  TempDir dir, elsewhere;
  const fs::path target = elsewhere.path() / "precious";
  std::ofstream(target) << "keep me";
  fs::create_symlink(target, dir.path() / "machines.sqlite3-wal");
  auto store = MachineStore::open(dir.path());
  ASSERT_FALSE(store);
  EXPECT_TRUE(contains(store.error(), "machines.sqlite3-wal")) << store.error();
  std::ifstream in(target);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, "keep me");
}

TEST(StateFile, AHardLinkIsRefused) {
  TempDir dir;
  std::ofstream(dir.path() / "other") << "x";
  fs::create_hard_link(dir.path() / "other", dir.path() / "leases.lock");
  auto store = LeaseStore::open(dir.path());
  ASSERT_FALSE(store);
  EXPECT_TRUE(contains(store.error(), "hard links")) << store.error();
}

TEST(StateFile, AFifoInPlaceOfTheDatabaseIsRefusedAtOnce) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir.path() / "leases.sqlite3").c_str(), 0600), 0);
  auto status = test::run_in_child([&] { return LeaseStore::open(dir.path()) ? 1 : 0; }, std::chrono::seconds(5));
  EXPECT_EQ(status, 0);
}

TEST(StateFile, DatabasesAreCreatedPrivate) {
  TempDir dir;
  { ASSERT_TRUE(LeaseStore::open(dir.path())); }
  { ASSERT_TRUE(MachineStore::open(dir.path())); }
  for (const char* name : {"leases.sqlite3", "machines.sqlite3", "leases.lock", "machines.lock", "leases.seen"}) {
    struct stat st{};
    ASSERT_EQ(::lstat((dir.path() / name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_mode & 07777, 0600u) << name;
  }
}

TEST(StateFile, AsRootFilesAreMadeAsTheStateDirsOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  TempDir dir;
  ASSERT_EQ(::chown(dir.path().c_str(), kNobody, kNobody), 0);
  {
    auto store = LeaseStore::open(dir.path());
    ASSERT_TRUE(store) << store.error();
  }
  for (const char* name : {"leases.sqlite3", "leases.lock", "leases.seen"}) {
    struct stat st{};
    ASSERT_EQ(::lstat((dir.path() / name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_uid, kNobody) << name;
  }
  EXPECT_EQ(::setfsuid(static_cast<uid_t>(-1)), 0);  // the switch ends with the open
}

TEST(StateFile, AsRootARootOwnedFileFromAnOlderPxedIsHandedToTheOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  TempDir dir;
  { ASSERT_TRUE(MachineStore::open(dir.path())); }  // made by root, as pxed did before
  ASSERT_EQ(::chown(dir.path().c_str(), kNobody, kNobody), 0);
  auto store = MachineStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  struct stat st{};
  ASSERT_EQ(::lstat((dir.path() / "machines.sqlite3").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kNobody);
}

TEST(StateFile, AsRootRecoverHandsAnOlderPxedsRootOwnedStoreToTheOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  TempDir dir;
  { ASSERT_TRUE(LeaseStore::open(dir.path())); }  // made by root, as pxed did before
  fs::remove(dir.path() / "leases.seen");
  ASSERT_EQ(::chown(dir.path().c_str(), kNobody, kNobody), 0);
  auto recovered = recover_leases(dir.path(), 1'800'000'000);
  ASSERT_TRUE(recovered) << recovered.error();
  ASSERT_TRUE(LeaseStore::open(dir.path()));
}

TEST(StateFile, AStateDirReachedThroughASymlinkStillOpens) {
  TempDir dir;
  fs::create_directories(dir.path() / "real");
  fs::create_directory_symlink(dir.path() / "real", dir.path() / "link");
  {
    auto leases = LeaseStore::open(dir.path() / "link");
    ASSERT_TRUE(leases) << leases.error();
    auto machines = MachineStore::open(dir.path() / "link");
    ASSERT_TRUE(machines) << machines.error();
  }
  EXPECT_TRUE(fs::is_regular_file(dir.path() / "real/leases.sqlite3"));
  auto found = check_leases(dir.path() / "link", 0);
  EXPECT_TRUE(found.problems.empty()) << found.problems.front();
  EXPECT_EQ(found.rows, 0);
}

TEST(StateFile, ReplaceNeverWritesThroughALink) {
  TempDir dir, elsewhere;
  const fs::path target = elsewhere.path() / "precious";
  std::ofstream(target) << "keep me";
  fs::create_symlink(target, dir.path() / "pxed.pid");
  ASSERT_TRUE(state::replace(dir.path(), "pxed.pid", "42\n"));
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(dir.path() / "pxed.pid")));
  std::ifstream in(target);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, "keep me");
  fs::create_symlink(target, dir.path() / "x.new");
  EXPECT_FALSE(state::replace(dir.path(), "x", "1"));
}

}  // namespace
}  // namespace pxed::store
