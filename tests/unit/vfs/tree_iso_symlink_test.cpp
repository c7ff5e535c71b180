// Symlinks inside a mounted ISO image, as TFTP and HTTP meet them through the
// Tree: followed inside the image, listed as what they point to, refused
// (outside_root: TFTP access violation, HTTP 404) when they leave it or loop.
#include <gtest/gtest.h>

#include <algorithm>

#include "file_reading.hpp"
#include "iso/iso_test_support.hpp"
#include "vfs/tree.hpp"

namespace pxed::vfs {
namespace {

namespace fs = std::filesystem;
using iso::testing::make_iso;
using iso::testing::random_bytes;
using iso::testing::write_file;
using test::TempDir;
using testing::read_in_chunks;

class TreeIsoSymlinks : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!iso::testing::have_xorriso()) GTEST_SKIP() << "xorriso not installed";
    kernel_ = random_bytes(100'000, 5);
    const fs::path src = dir_.path() / "src";
    write_file(src / "images/pxeboot/vmlinuz", kernel_);
    fs::create_symlink("images/pxeboot/vmlinuz", src / "vmlinuz");
    fs::create_symlink("/images/pxeboot", src / "pxeboot");
    fs::create_symlink("../../../../etc/passwd", src / "images/passwd");
    fs::create_symlink("loop2", src / "loop1");
    fs::create_symlink("loop1", src / "loop2");
    fs::create_symlink("nowhere", src / "dangling");
    fs::create_directories(dir_.path() / "root");
    ASSERT_FALSE(make_iso(src, dir_.path() / "x.iso", "-R -J").empty());
    auto tree = Tree::open_root(dir_.path() / "root");
    ASSERT_TRUE(tree) << tree.error();
    auto added = tree->add_iso_mount("/os", dir_.path() / "x.iso");
    ASSERT_TRUE(added) << added.error();
    tree_.emplace(std::move(*tree));
  }

  TempDir dir_;
  std::string kernel_;
  std::optional<Tree> tree_;
};

TEST_F(TreeIsoSymlinks, ALinkToAFileOpensThatFile) {
  auto file = tree_->open("os/vmlinuz");
  ASSERT_TRUE(file) << to_string(file.error());
  EXPECT_EQ(read_in_chunks(*file, 1468), kernel_);
  auto through_dir_link = tree_->open("/os/pxeboot/vmlinuz");
  ASSERT_TRUE(through_dir_link) << to_string(through_dir_link.error());
  EXPECT_EQ(through_dir_link->size(), kernel_.size());
}

TEST_F(TreeIsoSymlinks, ALinkToADirectoryIsADirectory) {
  EXPECT_EQ(tree_->is_directory("os/pxeboot"), true);
  EXPECT_EQ(tree_->open("os/pxeboot").error(), OpenError::not_a_file);
  auto listing = tree_->list("os/pxeboot/");
  ASSERT_TRUE(listing);
  ASSERT_EQ(listing->size(), 1u);
  EXPECT_EQ((*listing)[0].name, "vmlinuz");
}

TEST_F(TreeIsoSymlinks, LinksLeavingTheImageOrLoopingAreRefusedAsOutside) {
  EXPECT_EQ(tree_->open("os/images/passwd").error(), OpenError::outside_root);
  EXPECT_EQ(tree_->open("os/loop1").error(), OpenError::outside_root);
  EXPECT_EQ(tree_->open("os/dangling").error(), OpenError::not_found);
  EXPECT_EQ(tree_->is_directory("os/loop1").error(), OpenError::outside_root);
}

TEST_F(TreeIsoSymlinks, ListingShowsLinksAsTheirTargetsAndHidesTheRest) {
  auto listing = tree_->list("/os");
  ASSERT_TRUE(listing);
  std::vector<std::string> names;
  for (const auto& e : *listing) names.push_back(e.name);
  // Directories first: the real one and the link to one; loops and dangling links are not shown.
  EXPECT_EQ(names, (std::vector<std::string>{"images", "pxeboot", "vmlinuz"}));
  EXPECT_TRUE((*listing)[1].directory);
  EXPECT_EQ((*listing)[2].size, kernel_.size());
  auto images = tree_->list("/os/images");
  ASSERT_TRUE(images);
  ASSERT_EQ(images->size(), 1u);  // "passwd" leaves the image: not advertised
  EXPECT_EQ((*images)[0].name, "pxeboot");
}

}  // namespace
}  // namespace pxed::vfs
