// `serve`'s mode for real directories (Tree::set_on_loop): the loop walks
// only through the kernel's caches and never lists; a worker's Prefetched
// carries the answer back.
#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include <gtest/gtest.h>

#include "support/test_support.hpp"
#include "vfs/beneath.hpp"
#include "vfs/system_files.hpp"
#include "vfs/tree.hpp"

namespace pxed::vfs {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

void write_file(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

TEST(CachedWalk, OnlyEagainGoesToAWorkerAndEinvalMeansTheKernelLacksIt) {
  EXPECT_EQ(after_cached_walk(EAGAIN), CachedWalk::ask_worker);
  EXPECT_EQ(after_cached_walk(EINVAL), CachedWalk::unsupported);
  // Answers of the name itself: the same as a walk that may wait would give.
  EXPECT_EQ(after_cached_walk(ENOENT), CachedWalk::answer);
  EXPECT_EQ(after_cached_walk(EXDEV), CachedWalk::answer);
  EXPECT_EQ(after_cached_walk(ELOOP), CachedWalk::answer);
  EXPECT_EQ(after_cached_walk(EACCES), CachedWalk::answer);
}

class TreeOnLoop : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_.path() / "a.bin", "alpha");
    fs::create_directory(dir_.path() / "sub");
    write_file(dir_.path() / "sub" / "b.bin", "beta");
    auto tree = Tree::open_root(dir_.path());
    ASSERT_TRUE(tree.has_value()) << tree.error();
    tree_.emplace(std::move(*tree));
    tree_->set_on_loop(true);
  }

  TempDir dir_;
  std::optional<Tree> tree_;
};

// The files were just written, so their dentries are cached: a 5.12+ kernel
// (ours: 6.18) answers from the caches, and only a cold walk goes to a
// worker. Before 5.12 every walk would: this test says which we run on.
TEST_F(TreeOnLoop, AWalkTheCachesHoldIsAnsweredOnTheLoop) {
  auto file = tree_->open("/a.bin");
  ASSERT_TRUE(file) << to_string(file.error());
  EXPECT_EQ(file->size(), 5u);
  EXPECT_EQ(tree_->is_directory("/sub"), true);
}

TEST_F(TreeOnLoop, AMissingNameNeverAskedIsAWorkersAndThenTheCachesKnowIt) {
  // No dentry, not even a negative one: only a walk that may read the directory can say.
  EXPECT_EQ(tree_->open("/missing").error(), OpenError::would_block);
  Prefetched found = tree_->prefetch("/missing", Tree::Need::file)(std::stop_token{});
  EXPECT_EQ(tree_->open("/missing", {}, &found).error(), OpenError::not_found);
  EXPECT_EQ(tree_->open("/missing").error(), OpenError::not_found);  // the worker's walk left a negative dentry
}

TEST_F(TreeOnLoop, AListingIsNeverReadOnTheLoopButCarriedFromTheWorker) {
  EXPECT_EQ(tree_->list("/sub/").error(), OpenError::would_block);
  auto prefetch = tree_->prefetch("/sub/", Tree::Need::listing);
  ASSERT_TRUE(prefetch);
  Prefetched found = prefetch(std::stop_token{});
  auto entries = tree_->list("/sub/", &found);
  ASSERT_TRUE(entries) << to_string(entries.error());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].name, "b.bin");
  // Taken once: the next request's listing is its own.
  EXPECT_EQ(tree_->list("/sub/", &found).error(), OpenError::would_block);
}

TEST_F(TreeOnLoop, AWorkersOpenIsTheAnswerForThatNameOnly) {
  Prefetched found = tree_->prefetch("/sub/b.bin", Tree::Need::file)(std::stop_token{});
  EXPECT_EQ(found.rel, "sub/b.bin");
  auto other = tree_->open("/a.bin", {}, &found);  // another name: walked as usual
  ASSERT_TRUE(other);
  EXPECT_EQ(other->size(), 5u);
  auto file = tree_->open("sub//b.bin", {}, &found);
  ASSERT_TRUE(file);
  EXPECT_EQ(file->size(), 4u);
}

TEST_F(TreeOnLoop, AWorkerTellsADirectoryFromAFileForTheRedirect) {
  Prefetched found = tree_->prefetch("/sub", Tree::Need::file)(std::stop_token{});
  EXPECT_EQ(tree_->open("/sub", {}, &found).error(), OpenError::not_a_file);
  EXPECT_EQ(tree_->is_directory("/sub", &found), true);
}

TEST_F(TreeOnLoop, TheSystemsLoaderIsOpenedAndListedByTheWorkerToo) {
  TempDir system_dir;
  write_file(system_dir.path() / "loader.0", "loader");
  const std::string dir = system_dir.path().string();
  const SystemSource table[] = {{"loader.0", dir, "", "test-package"}};
  tree_->set_system_files(std::make_shared<const SystemFiles>(SystemFiles::open(table)));

  Prefetched found = tree_->prefetch("/loader.0", Tree::Need::file)(std::stop_token{});
  ASSERT_TRUE(found.system_file.has_value());
  auto file = tree_->open("/loader.0", {}, &found);
  ASSERT_TRUE(file) << to_string(file.error());
  EXPECT_EQ(file->system(), dir + "/loader.0");

  Prefetched listed = tree_->prefetch("/", Tree::Need::listing)(std::stop_token{});
  ASSERT_TRUE(listed.system_entries.has_value());
  auto entries = tree_->list("/", &listed);
  ASSERT_TRUE(entries) << to_string(entries.error());
  EXPECT_TRUE(std::ranges::any_of(*entries, [](const DirEntry& e) { return e.name == "loader.0"; }));
}

}  // namespace
}  // namespace pxed::vfs
