// Rock Ridge symlinks (RRIP 4.1.3 SL) are followed inside the image: relative
// targets from the link's directory, absolute ones from the image's root,
// with a bounded number of hops; nothing ever resolves outside the image.
#include <gtest/gtest.h>

#include <memory>

#include "iso/image.hpp"
#include "iso_test_support.hpp"

namespace pxed::iso {
namespace {

using namespace pxed::iso::testing;

class ImageSymlinks : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!have_xorriso()) return;
    dir_ = new TempDir;
    const fs::path tree = dir_->path() / "tree";
    write_file(tree / "images/pxeboot/vmlinuz", random_bytes(5000, 1));
    write_file(tree / "images/pxeboot/initrd.img", random_bytes(7000, 2));
    fs::create_symlink("images/pxeboot/vmlinuz", tree / "relative");
    fs::create_symlink("/images/pxeboot/initrd.img", tree / "absolute");
    fs::create_symlink("../images/pxeboot/vmlinuz", tree / "images/parent");
    fs::create_symlink("pxeboot", tree / "images/dirlink");
    fs::create_symlink("relative", tree / "chain");
    fs::create_symlink("./images/../images/./pxeboot", tree / "dotted");
    fs::create_symlink("loop-b", tree / "loop-a");
    fs::create_symlink("loop-a", tree / "loop-b");
    fs::create_symlink("self/x", tree / "self");
    fs::create_symlink("../../etc/passwd", tree / "images/escape");
    fs::create_symlink("/etc/hostname", tree / "host-absolute");
    fs::create_symlink("missing", tree / "dangling");
    bytes_ = new std::vector<std::byte>(make_iso(tree, dir_->path() / "out.iso", "-R -J"));
  }
  static void TearDownTestSuite() {
    delete bytes_;
    delete dir_;
    bytes_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override {
    PXED_REQUIRE_XORRISO();
    ASSERT_FALSE(bytes_->empty());
    auto opened = Image::open(memory_reader(*bytes_), bytes_->size());
    ASSERT_TRUE(opened) << opened.error();
    ASSERT_EQ(opened->naming(), Naming::rock_ridge);
    image_ = std::make_unique<Image>(std::move(*opened));
  }
  std::string content(const Entry& e) const { return extent_bytes(*bytes_, e); }
  std::string content_of(const std::string& path) const {
    auto e = image_->resolve(path, FollowLast::no);
    return e ? content(*e) : "missing " + path;
  }
  LookupError error_of(std::string_view path) const {
    auto e = image_->resolve(path, FollowLast::yes);
    EXPECT_FALSE(e) << path << " resolved";
    return e ? LookupError::not_found : e.error().error;
  }

  static TempDir* dir_;
  static std::vector<std::byte>* bytes_;
  std::unique_ptr<Image> image_;
};

TempDir* ImageSymlinks::dir_ = nullptr;
std::vector<std::byte>* ImageSymlinks::bytes_ = nullptr;

TEST_F(ImageSymlinks, RelativeTargetResolvesFromTheLinksDirectory) {
  auto e = image_->resolve("relative", FollowLast::yes);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_FALSE(e->symlink_target);
  EXPECT_EQ(e->name, "vmlinuz");
  EXPECT_EQ(content(*e), content_of("images/pxeboot/vmlinuz"));
  auto up = image_->resolve("images/parent", FollowLast::yes);
  ASSERT_TRUE(up) << up.error().message;
  EXPECT_EQ(content(*up), content_of("images/pxeboot/vmlinuz"));
}

TEST_F(ImageSymlinks, AbsoluteTargetResolvesFromTheImageRoot) {
  auto e = image_->resolve("absolute", FollowLast::yes);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(content(*e), content_of("images/pxeboot/initrd.img"));
}

TEST_F(ImageSymlinks, LinksOnTheWayAreFollowedAndChainsToo) {
  auto through = image_->resolve("images/dirlink/initrd.img", FollowLast::no);
  ASSERT_TRUE(through) << through.error().message;
  EXPECT_EQ(content(*through), content_of("images/pxeboot/initrd.img"));
  auto chain = image_->resolve("chain", FollowLast::yes);
  ASSERT_TRUE(chain) << chain.error().message;
  EXPECT_EQ(content(*chain), content_of("images/pxeboot/vmlinuz"));
  auto dotted = image_->resolve("dotted/vmlinuz", FollowLast::yes);
  ASSERT_TRUE(dotted) << dotted.error().message;
  EXPECT_EQ(content(*dotted), content_of("images/pxeboot/vmlinuz"));
}

TEST_F(ImageSymlinks, WithoutFollowLastTheLinkItselfIsReturned) {
  auto e = image_->resolve("images/dirlink", FollowLast::no);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->symlink_target, "pxeboot");
  EXPECT_EQ(image_->stat("images/dirlink")->symlink_target, "pxeboot");  // stat is lstat
  auto dir = image_->resolve("images/dirlink", FollowLast::yes);
  ASSERT_TRUE(dir);
  EXPECT_TRUE(dir->directory);
}

TEST_F(ImageSymlinks, ListingThroughADirectoryLinkShowsItsTarget) {
  auto listing = image_->list("images/dirlink");
  ASSERT_TRUE(listing) << listing.error();
  std::vector<std::string> names;
  for (const auto& e : *listing) names.push_back(e.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"initrd.img", "vmlinuz"}));
}

TEST_F(ImageSymlinks, LoopsEndAfterBoundedHops) {
  EXPECT_EQ(error_of("loop-a"), LookupError::too_many_links);
  EXPECT_EQ(error_of("self"), LookupError::too_many_links);
  // Not followed, a loop is just a link.
  EXPECT_TRUE(image_->resolve("loop-a", FollowLast::no));
}

TEST_F(ImageSymlinks, NothingResolvesAboveTheImageRoot) {
  EXPECT_EQ(error_of("images/escape"), LookupError::outside_image);
  // An absolute target means the image's root: /etc/hostname is not in it.
  EXPECT_EQ(error_of("host-absolute"), LookupError::not_found);
  EXPECT_EQ(error_of("dangling"), LookupError::not_found);
  EXPECT_EQ(error_of("relative/x"), LookupError::not_a_directory);
}

}  // namespace
}  // namespace pxed::iso
