// Damaged and hostile images end in an error value: no crash, no endless
// loop, no read outside the image.
#include <gtest/gtest.h>

#include "iso/image.hpp"
#include "iso/record.hpp"
#include "iso_test_support.hpp"

namespace pxed::iso {
namespace {

using namespace pxed::iso::testing;

constexpr std::size_t kPvd = 16 * kSectorSize;
constexpr std::size_t kRootRecord = kPvd + 156;

std::vector<std::byte> small_image(const std::string& flags = "-R -J") {
  TempDir dir;
  write_file(dir.path() / "tree/sub/file.txt", "hello\n");
  write_file(dir.path() / "tree/top.txt", "top\n");
  return make_iso(dir.path() / "tree", dir.path() / "out.iso", flags);
}

// A ReadAt that fails the test if asked for anything past the image.
ReadAt strict_reader(const std::vector<std::byte>& image) {
  return [&image](std::span<std::byte> out, std::uint64_t offset) -> std::expected<std::size_t, int> {
    EXPECT_LE(offset + out.size(), image.size()) << "read outside the image";
    return memory_reader(image)(out, offset);
  };
}

std::uint64_t root_offset(const std::vector<std::byte>& image) {
  return std::uint64_t{le32(image, kRootRecord + 2)} * kSectorSize;
}

// The image opens, but listing its root fails with a message naming the damage.
void expect_root_listing_fails(const std::vector<std::byte>& image, std::string_view why) {
  auto opened = Image::open(strict_reader(image), image.size());
  ASSERT_TRUE(opened) << opened.error();
  auto listing = opened->list("/");
  ASSERT_FALSE(listing);
  EXPECT_NE(listing.error().find(why), std::string::npos) << listing.error();
}

TEST(HostileImage, RejectsEmptyAndNonIsoInput) {
  std::vector<std::byte> empty;
  auto none = Image::open(strict_reader(empty), 0);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().find("not an ISO 9660 image"), std::string::npos) << none.error();
  std::vector<std::byte> zeros(64 * 1024);
  auto zero = Image::open(strict_reader(zeros), zeros.size());
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().find("no CD001"), std::string::npos) << zero.error();
}

TEST(HostileImage, RejectsDescriptorSetWithoutTerminator) {
  std::vector<std::byte> image(200 * kSectorSize);
  for (std::size_t s = 16; s < 200; ++s) {
    image[s * kSectorSize] = std::byte{1};
    std::memcpy(image.data() + s * kSectorSize + 1, "CD001", 5);
  }
  auto opened = Image::open(strict_reader(image), image.size());
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().find("terminator"), std::string::npos) << opened.error();
}

TEST(HostileImage, RejectsRootDirectoryOutsideTheImage) {
  PXED_REQUIRE_XORRISO();
  auto image = small_image();
  ASSERT_FALSE(image.empty());
  image[kRootRecord + 5] = std::byte{0x7F};  // extent block ~2^30
  auto opened = Image::open(strict_reader(image), image.size());
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().find("outside the image"), std::string::npos) << opened.error();
}

TEST(HostileImage, ReportsTruncatedImageInsteadOfReadingPastIt) {
  PXED_REQUIRE_XORRISO();
  auto image = small_image();
  ASSERT_FALSE(image.empty());
  image.resize(root_offset(image) + kSectorSize);  // files' data cut off
  auto opened = Image::open(strict_reader(image), image.size());
  if (!opened) return;  // also acceptable: the Joliet tree or CE area is gone
  auto root = opened->list("/");
  if (root) {
    for (const auto& entry : *root)
      for (const auto& extent : entry.extents) EXPECT_LE(extent.offset + extent.length, image.size());
  }
}

TEST(HostileImage, RejectsRecordShorterThanTheFixedPart) {
  PXED_REQUIRE_XORRISO();
  auto image = small_image("--norock");
  ASSERT_FALSE(image.empty());
  const std::uint64_t root = root_offset(image);
  // The ".." record follows "."; ECMA-119 9.1 needs at least 34 bytes.
  image[root + std::to_integer<std::size_t>(image[root])] = std::byte{10};
  expect_root_listing_fails(image, "bad directory record length");
}

TEST(HostileImage, RejectsRecordCrossingItsSector) {
  PXED_REQUIRE_XORRISO();
  auto image = small_image("--norock");
  ASSERT_FALSE(image.empty());
  const std::uint64_t root = root_offset(image);
  // Eight valid 254-byte records fill the sector up to byte 2032; the ninth
  // claims 255 bytes where only 16 are left.
  std::fill(image.begin() + root, image.begin() + root + kSectorSize, std::byte{0});
  for (std::size_t at = root; at + 254 <= root + kSectorSize; at += 254) {
    image[at] = std::byte{254};
    image[at + 25] = std::byte{0};
    image[at + 32] = std::byte{1};
    image[at + 33] = std::byte{'A'};
  }
  image[root + 8 * 254] = std::byte{255};
  expect_root_listing_fails(image, "bad directory record length");
}

TEST(HostileImage, DirectoryThatContainsItselfIsBoundedByPathDepth) {
  PXED_REQUIRE_XORRISO();
  auto image = small_image("--norock");
  ASSERT_FALSE(image.empty());
  auto opened = Image::open(strict_reader(image), image.size());
  ASSERT_TRUE(opened) << opened.error();
  auto sub = opened->stat("SUB");
  ASSERT_TRUE(sub) << sub.error();
  // Point SUB's record at the root directory: SUB/SUB/SUB/... never ends.
  const std::uint64_t root = root_offset(image);
  for (std::size_t at = root; at < root + kSectorSize; ++at) {
    if (std::memcmp(image.data() + at, "SUB", 3) == 0 && image[at - 1] == std::byte{3}) {
      std::memcpy(image.data() + at - 33 + 2, image.data() + kRootRecord + 2, 8);
      break;
    }
  }
  // The root's parsed records are cached: read the patched image afresh.
  opened = Image::open(strict_reader(image), image.size());
  ASSERT_TRUE(opened) << opened.error();
  std::string path;
  for (std::size_t i = 0; i < kMaxPathDepth; ++i) path += "SUB/";
  EXPECT_TRUE(opened->list(path));
  auto too_deep = opened->list(path + "SUB");
  ASSERT_FALSE(too_deep);
  EXPECT_NE(too_deep.error().find("too deep"), std::string::npos) << too_deep.error();
}

// SUSP 5.1 CE: 28 bytes, both-endian block, offset and length.
void write_continuation(std::vector<std::byte>& image, std::size_t at, std::uint32_t block,
                        std::uint32_t offset, std::uint32_t length) {
  const std::uint8_t head[4] = {'C', 'E', 28, 1};
  std::memcpy(image.data() + at, head, 4);
  auto both = [&](std::size_t field, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
      image[at + field + i] = static_cast<std::byte>(v >> (8 * i));
      image[at + field + 7 - i] = static_cast<std::byte>(v >> (8 * i));
    }
  };
  both(4, block);
  both(12, offset);
  both(20, length);
}

TEST(HostileImage, StopsAContinuationAreaThatPointsAtItself) {
  PXED_REQUIRE_XORRISO();
  auto image = small_image("-R");
  ASSERT_FALSE(image.empty());
  const std::uint64_t root = root_offset(image);
  std::size_t record = 0;
  for (std::size_t at = root; at < root + kSectorSize; ++at)
    if (std::memcmp(image.data() + at, "TOP.TXT;1", 9) == 0) record = at - 33;
  ASSERT_NE(record, 0u);
  const std::size_t su = record + 33 + 9;  // odd-length identifier: no padding byte
  ASSERT_GE(std::to_integer<std::size_t>(image[record]) - 42, 28u);
  // The record's System Use field and the area in (empty) sector 0 both
  // continue in sector 0: a loop only the chain limit ends.
  write_continuation(image, su, 0, 0, 28);
  write_continuation(image, 0, 0, 0, 28);
  expect_root_listing_fails(image, "too many SUSP continuation areas");
}

TEST(HostileImage, RejectsContinuationAreaCrossingItsBlock) {
  PXED_REQUIRE_XORRISO();
  auto image = small_image("-R");
  ASSERT_FALSE(image.empty());
  const std::uint64_t root = root_offset(image);
  std::size_t record = 0;
  for (std::size_t at = root; at < root + kSectorSize; ++at)
    if (std::memcmp(image.data() + at, "TOP.TXT;1", 9) == 0) record = at - 33;
  ASSERT_NE(record, 0u);
  write_continuation(image, record + 42, 0, 2000, 100);
  auto opened = Image::open(strict_reader(image), image.size());
  ASSERT_TRUE(opened) << opened.error();
  auto listing = opened->list("/");
  ASSERT_FALSE(listing);
  EXPECT_NE(listing.error().find("crosses its block"), std::string::npos) << listing.error();
}

}  // namespace
}  // namespace pxed::iso
