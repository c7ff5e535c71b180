// A lookup in a hostile image does bounded work: each directory is read at
// most once per lookup, and steps and bytes past the bound are refused
// (over_budget) instead of tried, however the path or links loop.
#include <gtest/gtest.h>

#include <atomic>

#include "iso/image.hpp"
#include "iso/record.hpp"
#include "iso_test_support.hpp"

namespace pxed::iso {
namespace {

using namespace pxed::iso::testing;

// An image whose "big" directory holds many files, with links that loop
// through it; no directory cache, as when "big" is larger than the cache.
// Built once for the suite (xorriso takes a while).
const std::vector<std::byte>& loop_image_bytes() {
  static const std::vector<std::byte> bytes = [] {
    TempDir dir;
    const auto tree = dir.path() / "tree";
    for (int i = 0; i < 300; ++i) write_file(tree / "big" / ("file-with-a-long-name-" + std::to_string(i)), "x");
    fs::create_symlink(".", tree / "big/here");
    fs::create_symlink("..", tree / "big/up");
    fs::create_directories(tree / "links");
    for (int i = 0; i < 50; ++i) fs::create_symlink("../big/file-with-a-long-name-1", tree / "links" / ("l" + std::to_string(i)));
    return make_iso(tree, dir.path() / "out.iso", "-R");
  }();
  return bytes;
}

struct LoopImage {
  const std::vector<std::byte>& bytes = loop_image_bytes();
  std::uint64_t read_after_open = 0;
  bool counting = false;

  Image open(std::size_t cache_bytes = 0) {
    ReadAt read = [this](std::span<std::byte> out, std::uint64_t offset) -> std::expected<std::size_t, int> {
      if (counting) read_after_open += out.size();
      return memory_reader(bytes)(out, offset);
    };
    auto image = Image::open(std::move(read), bytes.size(), cache_bytes);
    EXPECT_TRUE(image) << (image ? "" : image.error());
    counting = true;
    return std::move(*image);
  }
  // A directory's size, read without counting.
  std::uint64_t size_of(const Image& image, std::string_view path) {
    counting = false;
    auto entry = image.stat(path);
    counting = true;
    return entry ? entry->size : 0;
  }
  std::uint64_t big_size(const Image& image) { return size_of(image, "big"); }
};

TEST(IsoLookupBudget, ADotDotChainReadsEachDirectoryOnce) {
  PXED_REQUIRE_XORRISO();
  LoopImage fixture;
  ASSERT_FALSE(fixture.bytes.empty());
  auto image = fixture.open();
  const auto big = fixture.big_size(image);
  ASSERT_GT(big, 8u * kSectorSize);  // a directory of several sectors
  std::string path;
  for (int i = 0; i < 500; ++i) path += "big/../";
  path += "big/file-with-a-long-name-7";
  fixture.read_after_open = 0;
  auto entry = image.resolve(path, FollowLast::yes);
  ASSERT_TRUE(entry) << entry.error().message;
  // The root and "big" once each, not 500 times.
  EXPECT_LE(fixture.read_after_open, 2 * big + 4 * kSectorSize);
}

TEST(IsoLookupBudget, LinksThroughABigDirectoryReadItOnce) {
  PXED_REQUIRE_XORRISO();
  LoopImage fixture;
  ASSERT_FALSE(fixture.bytes.empty());
  auto image = fixture.open();
  const auto big = fixture.big_size(image);
  fixture.read_after_open = 0;
  // "here" and "up" loop back through big: 19 hops, each re-entering it.
  std::string path = "big";
  for (int i = 0; i < 9; ++i) path += "/here/up/big";
  auto entry = image.resolve(path + "/file-with-a-long-name-3", FollowLast::yes);
  ASSERT_TRUE(entry) << entry.error().message;
  EXPECT_LE(fixture.read_after_open, 2 * big + 4 * kSectorSize);
}

TEST(IsoLookupBudget, StepsPastTheBoundAreRefused) {
  PXED_REQUIRE_XORRISO();
  LoopImage fixture;
  ASSERT_FALSE(fixture.bytes.empty());
  auto image = fixture.open();
  std::string path;
  for (int i = 0; i < 100; ++i) path += "big/../";
  LookupBudget budget(/*max_steps=*/50);
  auto entry = image.resolve(path + "big", FollowLast::yes, budget);
  ASSERT_FALSE(entry);
  EXPECT_EQ(entry.error().error, LookupError::over_budget);
  EXPECT_EQ(budget.steps(), 51u);
}

TEST(IsoLookupBudget, ADirectoryPastTheByteBoundIsNotRead) {
  PXED_REQUIRE_XORRISO();
  LoopImage fixture;
  ASSERT_FALSE(fixture.bytes.empty());
  auto image = fixture.open();
  const auto big = fixture.big_size(image);
  fixture.read_after_open = 0;
  LookupBudget budget(kMaxLookupSteps, /*max_read_bytes=*/big - 1 + kSectorSize);
  auto entry = image.resolve("big/file-with-a-long-name-3", FollowLast::yes, budget);
  ASSERT_FALSE(entry);
  EXPECT_EQ(entry.error().error, LookupError::over_budget);
  EXPECT_LE(fixture.read_after_open, std::uint64_t{kSectorSize});  // the root only
}

TEST(IsoLookupBudget, AListingAndTheLinksItResolvesShareOneBudget) {
  PXED_REQUIRE_XORRISO();
  LoopImage fixture;
  ASSERT_FALSE(fixture.bytes.empty());
  auto image = fixture.open();
  const auto big = fixture.big_size(image);
  const auto root_and_links = fixture.size_of(image, "") + fixture.size_of(image, "links");
  fixture.read_after_open = 0;
  LookupBudget budget;
  auto links = image.list("links", budget);
  ASSERT_TRUE(links) << links.error().message;
  ASSERT_EQ(links->size(), 50u);
  for (const auto& link : *links) ASSERT_TRUE(image.resolve("links/" + link.name, FollowLast::yes, budget));
  // 50 links into "big": it is read once for all of them.
  EXPECT_EQ(fixture.read_after_open, big + root_and_links);
}

TEST(IsoLookupBudget, ADirectoryTooLargeToCacheIsReadOnceThenRefusedAtOnce) {
  PXED_REQUIRE_XORRISO();
  LoopImage fixture;
  ASSERT_FALSE(fixture.bytes.empty());
  auto image = fixture.open(/*cache_bytes=*/16 * 1024);  // "big" parses to more than this
  auto first = image.resolve("big/file-with-a-long-name-3", FollowLast::yes);
  ASSERT_TRUE(first) << first.error().message;  // the lookup that read it uses it
  fixture.read_after_open = 0;
  auto again = image.resolve("big/file-with-a-long-name-4", FollowLast::yes);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().error, LookupError::over_budget);
  EXPECT_EQ(fixture.read_after_open, 0u);  // not read again: that is what a hostile image wants
}

}  // namespace
}  // namespace pxed::iso
