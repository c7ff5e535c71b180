// [[files.mount]] dir = ...: another directory appears at a path in the tree,
// confined like the root (openat2 RESOLVE_BENEATH in the mounted directory).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "file_reading.hpp"
#include "support/test_support.hpp"
#include "vfs/tree.hpp"

namespace pxed::vfs {
namespace {

namespace fs = std::filesystem;
using test::TempDir;
using testing::read_in_chunks;

void write_file(const fs::path& path, std::string_view content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

class TreeDirMount : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path& d = dir_.path();
    write_file(d / "root/readme.txt", "root\n");
    write_file(d / "root/other/shadowed.txt", "hidden by the mount\n");
    write_file(d / "other/kernel", "kernel bytes");
    write_file(d / "other/sub/initrd", "initrd bytes");
    write_file(d / "secret.txt", "outside\n");
    fs::create_symlink("sub/initrd", d / "other/inside-link");
    fs::create_symlink("../secret.txt", d / "other/climb");
    fs::create_symlink(d / "other/kernel", d / "other/absolute");
    auto tree = Tree::open_root(d / "root");
    ASSERT_TRUE(tree) << tree.error();
    auto added = tree->add_dir_mount("/other", d / "other");
    ASSERT_TRUE(added) << added.error();
    tree_.emplace(std::move(*tree));
  }
  TempDir dir_;
  std::optional<Tree> tree_;
};

TEST_F(TreeDirMount, FilesOfTheMountedDirectoryOpenUnderTheMountPoint) {
  auto kernel = tree_->open("/other/kernel");
  ASSERT_TRUE(kernel) << to_string(kernel.error());
  EXPECT_EQ(read_in_chunks(*kernel, 5), "kernel bytes");
  auto initrd = tree_->open("other\\sub\\initrd");
  ASSERT_TRUE(initrd);
  EXPECT_EQ(read_in_chunks(*initrd, 512), "initrd bytes");
  EXPECT_EQ(read_in_chunks(*tree_->open("other/inside-link"), 512), "initrd bytes");
  // The root's own "other" directory is hidden by the mount.
  EXPECT_EQ(tree_->open("other/shadowed.txt").error(), OpenError::not_found);
  EXPECT_TRUE(tree_->open("readme.txt"));
}

TEST_F(TreeDirMount, SymlinksLeavingTheMountedDirectoryAreRefused) {
  EXPECT_EQ(tree_->open("other/climb").error(), OpenError::outside_root);
  EXPECT_EQ(tree_->open("other/absolute").error(), OpenError::outside_root);
  EXPECT_EQ(tree_->open("other/../secret.txt").error(), OpenError::bad_path);
}

TEST_F(TreeDirMount, ListingsAndDirectoryChecksSeeTheMountedDirectory) {
  auto root = tree_->list("/");
  ASSERT_TRUE(root);
  ASSERT_EQ(root->size(), 2u);
  EXPECT_EQ((*root)[0].name, "other");
  auto other = tree_->list("/other/");
  ASSERT_TRUE(other);
  std::vector<std::string> names;
  for (const auto& e : *other) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"sub", "inside-link", "kernel"}));  // no escaping links
  EXPECT_EQ(tree_->is_directory("other"), true);
  EXPECT_EQ(tree_->is_directory("other/sub"), true);
  EXPECT_EQ(tree_->is_directory("other/kernel"), false);
  EXPECT_EQ(tree_->open("other").error(), OpenError::not_a_file);
  EXPECT_EQ(tree_->list("other/kernel").error(), OpenError::not_found);
}

TEST_F(TreeDirMount, BadDirectoryMountsSayWhatIsWrong) {
  auto missing = tree_->add_dir_mount("/m", dir_.path() / "missing");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("missing"), std::string::npos);
  auto file = tree_->add_dir_mount("/f", dir_.path() / "secret.txt");
  ASSERT_FALSE(file);
  EXPECT_NE(file.error().find("Not a directory"), std::string::npos);
  auto taken = tree_->add_dir_mount("/other", dir_.path() / "other");
  ASSERT_FALSE(taken);
  EXPECT_NE(taken.error().find("already mounted"), std::string::npos);
  EXPECT_FALSE(tree_->add_dir_mount("/", dir_.path() / "other"));
}

}  // namespace
}  // namespace pxed::vfs
