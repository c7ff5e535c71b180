// Damaged and hostile UDF images end in an error value naming the damage:
// no crash, no endless loop, no read outside the image.
#include <gtest/gtest.h>

#include "iso/image.hpp"
#include "iso/record.hpp"
#include "iso/udf.hpp"
#include "iso_test_support.hpp"
#include "udf_test_support.hpp"

namespace pxed::iso {
namespace {

using namespace pxed::iso::testing;

ReadAt strict_reader(const std::vector<std::byte>& image) {
  return [&image](std::span<std::byte> out, std::uint64_t offset) -> std::expected<std::size_t, int> {
    EXPECT_LE(offset + out.size(), image.size()) << "read outside the image";
    return memory_reader(image)(out, offset);
  };
}

std::string open_error(const std::vector<std::byte>& image) {
  auto opened = Image::open(strict_reader(image), image.size());
  return opened ? std::string("opened as ") + std::string(to_string(opened->naming())) : opened.error();
}

std::string listing_error(const std::vector<std::byte>& image) {
  auto opened = Image::open(strict_reader(image), image.size());
  if (!opened) return "open failed: " + opened.error();
  auto listing = opened->list("/");
  return listing ? "listed" : listing.error();
}

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

// A root directory with one file whose File Entry the test then breaks.
struct OneFile {
  UdfBuilder b;
  std::uint32_t file = 0;
  std::uint32_t root = 0;
  OneFile() {
    file = b.add_file("payload");
    root = b.add_directory({UdfBuilder::fid("f", file)});
  }
};

TEST(UdfHostile, BadTagChecksumOnAFileEntryFailsItsDirectory) {
  OneFile one;
  auto image = one.b.finish(one.root);
  image[one.b.partition_offset(one.file) + 4] ^= std::byte{1};
  EXPECT_HAS(listing_error(image), "checksum");
}

TEST(UdfHostile, BadCrcIsRejected) {
  OneFile one;
  auto image = one.b.finish(one.root);
  image[one.b.partition_offset(one.file) + 100] ^= std::byte{1};  // inside the CRC, not the tag
  EXPECT_HAS(listing_error(image), "CRC");
}

TEST(UdfHostile, WrongTagLocationIsRejected) {
  OneFile one;
  auto image = one.b.finish(one.root);
  // A valid File Entry copied to another block still names its old one.
  auto block = std::span(image).subspan(one.b.partition_offset(one.file), 2048);
  auto other = std::span(image).subspan(one.b.partition_offset(1), 2048);
  std::copy(block.begin(), block.end(), other.begin());
  // Point the root's FID at the copy.
  auto root_data = std::span(image).subspan(one.b.partition_offset(one.root - 1), 2048);
  const std::size_t second_fid = 40;  // after the 40-byte parent FID
  put32(root_data, second_fid + 24, 1);
  seal(root_data.subspan(second_fid, 38 + 2), 257, 0);
  EXPECT_HAS(listing_error(image), "descriptor says it is at block");
}

TEST(UdfHostile, ExtentPastTheImageEndIsRejected) {
  UdfBuilder b;
  FileEntryOptions o;
  o.information_length = 4096;
  o.descriptors = short_ad(4096, 1'000'000);
  auto image = b.finish(b.add_directory({UdfBuilder::fid("far", b.add_entry(o))}));
  EXPECT_HAS(listing_error(image), "runs past the partition's end");
}

TEST(UdfHostile, FileLongerThanItsExtentsIsRejected) {
  UdfBuilder b;
  FileEntryOptions o;
  o.information_length = std::uint64_t{1} << 60;
  o.descriptors = short_ad(2048, b.add_data("x"));
  auto image = b.finish(b.add_directory({UdfBuilder::fid("huge", b.add_entry(o))}));
  EXPECT_HAS(listing_error(image), "cover only 2048");
}

TEST(UdfHostile, HugeDirectorySizeIsRejected) {
  UdfBuilder b;
  FileEntryOptions o;
  o.file_type = udf::kFileTypeDirectory;
  o.information_length = std::uint64_t{1} << 40;
  o.descriptors = short_ad(2048, b.add_data("x"));
  auto image = b.finish(b.add_directory({UdfBuilder::fid("d", b.add_entry(o), udf::kFidDirectory)}));
  EXPECT_HAS(listing_error(image), "larger than 64 MiB");
}

TEST(UdfHostile, AllocationExtentLoopEnds) {
  UdfBuilder b;
  const std::uint32_t aed = b.allocate(1);
  std::vector<std::byte> d(24);
  append(d, short_ad(2048, aed, udf::ExtentType::continuation));  // points at itself
  put32(d, 20, udf::kShortAdSize);
  seal(d, 258, aed);
  std::memcpy(b.block(aed).data(), d.data(), d.size());
  FileEntryOptions o;
  o.information_length = 4096;
  o.descriptors = short_ad(2048, aed, udf::ExtentType::continuation);
  auto image = b.finish(b.add_directory({UdfBuilder::fid("loop", b.add_entry(o))}));
  EXPECT_HAS(listing_error(image), "too many allocation extent descriptors");
}

TEST(UdfHostile, IndirectEntryLoopEnds) {
  UdfBuilder b;
  const std::uint32_t at = b.allocate(1);
  std::vector<std::byte> d(52);
  auto self = long_ad(2048, at);
  std::memcpy(d.data() + 36, self.data(), self.size());
  seal(d, 259, at);
  std::memcpy(b.block(at).data(), d.data(), d.size());
  auto image = b.finish(b.add_directory({UdfBuilder::fid("loop", at)}));
  EXPECT_HAS(listing_error(image), "indirect entries");
}

TEST(UdfHostile, DirectoryContainingItselfResolvesBoundedly) {
  UdfBuilder b;
  // The root lists itself as "again": paths may go on forever, each walk ends.
  const std::uint32_t root_block = b.allocate(1);
  const std::uint32_t root = b.add_directory({UdfBuilder::fid("again", root_block, udf::kFidDirectory)});
  auto image = b.finish(root);
  // Move the root's File Entry to the block the FID names.
  auto from = std::span(image).subspan(b.partition_offset(root), 2048);
  std::copy(from.begin(), from.end(), std::span(image).subspan(b.partition_offset(root_block)).begin());
  auto to = std::span(image).subspan(b.partition_offset(root_block), 2048);
  seal(to.first(176 + le32(to, 172)), 261, root_block);
  auto opened = Image::open(strict_reader(image), image.size());
  ASSERT_TRUE(opened) << opened.error();
  std::string path;
  for (int i = 0; i < 200; ++i) path += "again/";
  auto deep = opened->resolve(path, FollowLast::yes);
  EXPECT_FALSE(deep);
  EXPECT_TRUE(opened->resolve("again/again/again", FollowLast::yes));
}

TEST(UdfHostile, UnsupportedBlockSizeSaysSoAndFallsBack) {
  OneFile one;
  auto image = one.b.finish(one.root, /*block_size=*/4096);
  const std::string error = open_error(image);
  EXPECT_HAS(error, "UDF logical block size 4096 is not supported");
  EXPECT_HAS(error, "ISO 9660: ");  // no ISO 9660 either: both named
}

TEST(UdfHostile, ReserveSequenceReplacesABrokenMainOne) {
  OneFile one;
  auto image = one.b.finish(one.root);
  image[34 * 2048 + 4] ^= std::byte{1};  // the main LVD's tag checksum
  EXPECT_EQ(listing_error(image), "listed");
  image[50 * 2048 + 4] ^= std::byte{1};  // and the reserve's
  EXPECT_HAS(open_error(image), "reserve");
}

TEST(UdfHostile, AnchorAtTheLastBlockIsFoundWhenBlock256HasNone) {
  OneFile one;
  auto image = one.b.finish(one.root);
  std::vector<std::byte> anchor(image.begin() + 256 * 2048, image.begin() + 257 * 2048);
  const std::uint32_t last = static_cast<std::uint32_t>(image.size() / 2048 - 1);
  std::fill(image.begin() + 256 * 2048, image.begin() + 257 * 2048, std::byte{0});
  seal(std::span(anchor).first(512), 2, last);
  std::copy(anchor.begin(), anchor.end(), image.begin() + last * 2048);
  EXPECT_EQ(listing_error(image), "listed");
  std::fill(image.begin() + last * 2048, image.end(), std::byte{0});
  EXPECT_HAS(open_error(image), "no UDF anchor");
}

TEST(UdfHostile, TruncatedImagesNeverReadOutside) {
  OneFile one;
  auto image = one.b.finish(one.root);
  for (std::size_t size = 0; size < image.size(); size += 512) {
    std::vector<std::byte> cut(image.begin(), image.begin() + static_cast<std::ptrdiff_t>(size));
    auto opened = Image::open(strict_reader(cut), cut.size());
    if (opened) (void)opened->list("/");
  }
}

TEST(UdfHostile, FlippedBytesNeverCrashOrEscape) {
  OneFile one;
  auto image = one.b.finish(one.root);
  // Every byte of the descriptors that matter, each flipped alone.
  std::vector<std::size_t> spots;
  for (std::size_t at = 0; at < 512; ++at) {
    spots.push_back(256 * 2048 + at);
    spots.push_back(34 * 2048 + at);
    spots.push_back(one.b.partition_offset(0) + at);
    spots.push_back(one.b.partition_offset(one.file) + at);
    spots.push_back(one.b.partition_offset(one.root) + at);
    spots.push_back(one.b.partition_offset(one.root - 1) + at);
  }
  for (std::size_t spot : spots) {
    for (std::uint8_t mask : {0x01, 0x80, 0xFF}) {
      auto bad = image;
      bad[spot] ^= std::byte{mask};
      auto opened = Image::open(strict_reader(bad), bad.size());
      if (!opened) {
        EXPECT_FALSE(opened.error().empty());
        continue;
      }
      auto listing = opened->list("/");
      if (!listing) continue;
      for (const auto& entry : *listing)
        for (const auto& extent : entry.extents) EXPECT_LE(extent.offset + extent.length, bad.size());
    }
  }
}

}  // namespace
}  // namespace pxed::iso
