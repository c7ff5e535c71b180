// Tree::list and Tree::is_directory: what a directory listing may show, and
// that it shows nothing the tree would refuse to open.
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "support/test_support.hpp"
#include "vfs/tree.hpp"

namespace pxed::vfs {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

void write_file(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::vector<std::string> names_of(const std::vector<DirEntry>& entries) {
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.name);
  return names;
}

const DirEntry* find(const std::vector<DirEntry>& entries, std::string_view name) {
  auto it = std::ranges::find(entries, name, &DirEntry::name);
  return it == entries.end() ? nullptr : &*it;
}

class TreeList : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path& r = dir_.path();
    write_file(r / "b.bin", "12345");
    write_file(r / "a.bin", "");
    write_file(r / "Z upper", "z");
    fs::create_directory(r / "sub");
    fs::create_directory(r / "sub" / "inner");
    write_file(r / "sub" / "file.txt", "alpha");
    fs::create_directory(r / "empty");
    fs::create_directory(r / "zdir");
    fs::create_symlink("b.bin", r / "link-file");
    fs::create_symlink("sub", r / "link-dir");
    fs::create_symlink("../b.bin", r / "sub" / "up-inside");     // ".." that stays inside
    fs::create_symlink("/etc/passwd", r / "link-abs");           // absolute: refused by open()
    fs::create_symlink("../../../../../../etc", r / "sub" / "climb");
    fs::create_symlink("missing", r / "dangling");
    fs::create_symlink("loop-b", r / "loop-a");
    fs::create_symlink("loop-a", r / "loop-b");
    EXPECT_EQ(::mkfifo((r / "fifo").c_str(), 0644), 0) << std::strerror(errno);
    // A known mtime, to check it is the file's and not the link's or now.
    timeval times[2] = {{1'800'000'000, 0}, {1'800'000'000, 0}};
    EXPECT_EQ(::utimes((r / "b.bin").c_str(), times), 0);

    auto tree = Tree::open_root(r);
    ASSERT_TRUE(tree.has_value()) << tree.error();
    tree_.emplace(std::move(*tree));
  }

  const Tree& tree() const { return *tree_; }

  TempDir dir_;
  std::optional<Tree> tree_;
};

TEST_F(TreeList, RootListsDirectoriesFirstThenFilesByName) {
  auto entries = tree().list("/");
  ASSERT_TRUE(entries.has_value()) << to_string(entries.error());
  EXPECT_EQ(names_of(*entries), (std::vector<std::string>{"empty", "link-dir", "sub", "zdir", "Z upper",
                                                         "a.bin", "b.bin", "link-file"}));
}

// `serve`: a worker reads and sorts the directory; the loop only merges in
// the mount points (over a name they share, here "sub"), in the same order
// a listing read in one go has.
TEST_F(TreeList, AWorkersSortedListingMergedWithMountPointsOnTheLoop) {
  ASSERT_TRUE(tree_->add_empty_directory("/sub").has_value());
  ASSERT_TRUE(tree_->add_empty_directory("/m-images").has_value());
  ASSERT_TRUE(tree_->add_empty_directory("/A-first").has_value());
  auto whole = tree().list("/");
  tree_->set_on_loop(true);
  EXPECT_EQ(tree().list("/").error(), OpenError::would_block);
  auto found = tree().prefetch("/", Tree::Need::listing)(std::stop_token{});
  auto merged = tree().list("/", &found);
  ASSERT_TRUE(whole.has_value());
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ(names_of(*merged), (std::vector<std::string>{"A-first", "empty", "link-dir", "m-images", "sub", "zdir",
                                                        "Z upper", "a.bin", "b.bin", "link-file"}));
  EXPECT_EQ(names_of(*merged), names_of(*whole));
  EXPECT_TRUE(find(*merged, "sub")->directory);
}

TEST_F(TreeList, RootCanBeNamedSlashOrDot) {
  auto slash = tree().list("/");
  auto dot = tree().list(".");
  ASSERT_TRUE(slash.has_value());
  ASSERT_TRUE(dot.has_value());
  EXPECT_EQ(names_of(*slash), names_of(*dot));
  EXPECT_EQ(slash->size(), 8u);
}

TEST_F(TreeList, EntriesCarryTypeSizeAndMtime) {
  auto entries = tree().list("/");
  ASSERT_TRUE(entries.has_value());
  const DirEntry* b = find(*entries, "b.bin");
  ASSERT_NE(b, nullptr);
  EXPECT_FALSE(b->directory);
  EXPECT_EQ(b->size, 5u);
  EXPECT_EQ(b->mtime_seconds, 1'800'000'000);
  const DirEntry* sub = find(*entries, "sub");
  ASSERT_NE(sub, nullptr);
  EXPECT_TRUE(sub->directory);
  EXPECT_EQ(sub->size, 0u);
}

TEST_F(TreeList, SymlinksInsideAreListedAsWhatTheyPointTo) {
  auto entries = tree().list("/");
  ASSERT_TRUE(entries.has_value());
  const DirEntry* file = find(*entries, "link-file");
  ASSERT_NE(file, nullptr);
  EXPECT_FALSE(file->directory);
  EXPECT_EQ(file->size, 5u);
  EXPECT_EQ(file->mtime_seconds, 1'800'000'000);
  const DirEntry* dir = find(*entries, "link-dir");
  ASSERT_NE(dir, nullptr);
  EXPECT_TRUE(dir->directory);
}

TEST_F(TreeList, SymlinkWithDotDotThatStaysInsideIsListed) {
  // Resolved from the root, not from sub/: "../b.bin" is the root's b.bin.
  auto entries = tree().list("sub");
  ASSERT_TRUE(entries.has_value());
  const DirEntry* up = find(*entries, "up-inside");
  ASSERT_NE(up, nullptr);
  EXPECT_EQ(up->size, 5u);
}

TEST_F(TreeList, OmitsSymlinksOutsideDanglingLoopsAndSpecialFiles) {
  auto root = tree().list("/");
  ASSERT_TRUE(root.has_value());
  for (auto hidden : {"link-abs", "dangling", "loop-a", "loop-b", "fifo"}) {
    EXPECT_EQ(find(*root, hidden), nullptr) << hidden;
  }
  auto sub = tree().list("sub");
  ASSERT_TRUE(sub.has_value());
  EXPECT_EQ(names_of(*sub), (std::vector<std::string>{"inner", "file.txt", "up-inside"}));
}

TEST_F(TreeList, SubdirectoryByAnySpelling) {
  for (auto raw : {"sub", "/sub/", "sub//", "\\sub\\", "./sub"}) {
    auto entries = tree().list(raw);
    ASSERT_TRUE(entries.has_value()) << raw;
    EXPECT_EQ(entries->size(), 3u) << raw;
  }
}

TEST_F(TreeList, ThroughADirectorySymlinkInside) {
  auto entries = tree().list("link-dir/");
  ASSERT_TRUE(entries.has_value());
  EXPECT_EQ(names_of(*entries), (std::vector<std::string>{"inner", "file.txt", "up-inside"}));
}

TEST_F(TreeList, EmptyDirectoryIsAnEmptyList) {
  auto entries = tree().list("empty/");
  ASSERT_TRUE(entries.has_value());
  EXPECT_TRUE(entries->empty());
}

TEST_F(TreeList, EmptyNameIsABadPathAsInOpen) {
  EXPECT_EQ(tree().list("").error(), OpenError::bad_path);
  EXPECT_EQ(tree().is_directory("").error(), OpenError::bad_path);
}

TEST_F(TreeList, FileOrMissingNameIsNotFound) {
  EXPECT_EQ(tree().list("b.bin").error(), OpenError::not_found);
  EXPECT_EQ(tree().list("b.bin/").error(), OpenError::not_found);
  EXPECT_EQ(tree().list("nope/").error(), OpenError::not_found);
  EXPECT_EQ(tree().list("sub/file.txt/x").error(), OpenError::not_found);
}

TEST_F(TreeList, FifoIsNotListedAsADirectoryAndDoesNotBlock) {
  // O_DIRECTORY fails before the FIFO is opened, so no writer is waited for.
  auto code = test::run_in_child([&] { return tree().list("fifo").has_value() ? 0 : 1; },
                                 std::chrono::seconds(5));
  EXPECT_EQ(code, 1);
}

TEST_F(TreeList, RefusesTraversalAndLinksOutOfTheRoot) {
  EXPECT_EQ(tree().list("..").error(), OpenError::bad_path);
  EXPECT_EQ(tree().list("sub/../..").error(), OpenError::bad_path);
  EXPECT_EQ(tree().list("/../etc/").error(), OpenError::bad_path);
  EXPECT_EQ(tree().list("sub/climb/").error(), OpenError::outside_root);
  EXPECT_EQ(tree().list("link-abs").error(), OpenError::outside_root);
  EXPECT_EQ(tree().list("loop-a").error(), OpenError::outside_root);
}

TEST_F(TreeList, StopsAtTheListingCap) {
  const fs::path big = dir_.path() / "big";
  fs::create_directory(big);
  for (std::size_t i = 0; i < kMaxListing + 5; ++i) {
    std::ofstream(big / ("f" + std::to_string(i)));
  }
  auto entries = tree().list("big");
  ASSERT_TRUE(entries.has_value());
  EXPECT_EQ(entries->size(), kMaxListing);
  EXPECT_TRUE(std::ranges::is_sorted(*entries, {}, &DirEntry::name));
}

TEST_F(TreeList, IsDirectoryTellsDirectoriesFromFiles) {
  EXPECT_EQ(tree().is_directory("."), true);
  EXPECT_EQ(tree().is_directory("/"), true);
  EXPECT_EQ(tree().is_directory("sub"), true);
  EXPECT_EQ(tree().is_directory("link-dir"), true);
  EXPECT_EQ(tree().is_directory("b.bin"), false);
  EXPECT_EQ(tree().is_directory("link-file"), false);
  EXPECT_EQ(tree().is_directory("fifo"), false);
}

TEST_F(TreeList, IsDirectoryRefusesWhatOpenRefuses) {
  EXPECT_EQ(tree().is_directory("nope").error(), OpenError::not_found);
  EXPECT_EQ(tree().is_directory("..").error(), OpenError::bad_path);
  EXPECT_EQ(tree().is_directory("sub/climb").error(), OpenError::outside_root);
  EXPECT_EQ(tree().is_directory("link-abs").error(), OpenError::outside_root);
}

}  // namespace
}  // namespace pxed::vfs
