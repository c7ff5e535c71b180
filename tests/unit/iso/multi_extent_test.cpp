// xorriso splits only files over 4 GiB into several extents, too big for a
// unit test, so these tests build an image with two adjacent files and patch
// their directory records into one multi-extent file (ECMA-119 6.5.1): the
// first record gets the "not final" flag, the second the first's identifier.
#include <gtest/gtest.h>

#include "iso/image.hpp"
#include "iso_test_support.hpp"

namespace pxed::iso {
namespace {

using namespace pxed::iso::testing;

// Offset of the directory record whose identifier starts with `identifier`.
// Upper-case d-characters appear only in ISO 9660 identifiers here: Rock
// Ridge NM keeps the lower-case source name and Joliet is UCS-2.
std::size_t find_record(const std::vector<std::byte>& image, std::string_view identifier) {
  for (std::size_t at = 33; at + identifier.size() <= image.size(); ++at) {
    if (std::memcmp(image.data() + at, identifier.data(), identifier.size()) != 0) continue;
    const auto name_length = std::to_integer<std::size_t>(image[at - 1]);
    const auto record_length = std::to_integer<std::size_t>(image[at - 33]);
    if (name_length >= identifier.size() && record_length >= 33 + name_length) return at - 33;
  }
  throw std::runtime_error("no record for " + std::string(identifier));
}

void make_multi_extent(std::vector<std::byte>& image) {
  const std::size_t first = find_record(image, "SPLITA");
  const std::size_t second = find_record(image, "SPLITB");
  ASSERT_EQ(second, first + std::to_integer<std::size_t>(image[first]))
      << "records must be adjacent";
  image[first + 25] |= std::byte{0x80};  // ECMA-119 9.1.6 bit 7: record is not the final one
  image[second + 33 + 5] = std::byte{'A'};
}

class MultiExtentFile : public ::testing::TestWithParam<const char*> {};

TEST_P(MultiExtentFile, JoinsConsecutiveRecordsIntoOneFileInOrder) {
  PXED_REQUIRE_XORRISO();
  TempDir dir;
  // A non-final extent's length is a whole number of blocks (ECMA-119 6.5.1).
  const std::string part_a = random_bytes(4096, 10);
  const std::string part_b = random_bytes(3000, 11);
  write_file(dir.path() / "tree/splita", part_a);
  write_file(dir.path() / "tree/splitb", part_b);
  write_file(dir.path() / "tree/zzz", "after\n");
  auto bytes = make_iso(dir.path() / "tree", dir.path() / "out.iso", GetParam());
  ASSERT_FALSE(bytes.empty());
  make_multi_extent(bytes);

  auto image = Image::open(memory_reader(bytes), bytes.size());
  ASSERT_TRUE(image) << image.error();
  auto root = image->list("/");
  ASSERT_TRUE(root) << root.error();
  ASSERT_EQ(root->size(), 2u);  // the joined file and zzz
  const std::string name = image->naming() == Naming::rock_ridge ? "splita" : "SPLITA";
  auto joined = image->stat(name);
  ASSERT_TRUE(joined) << joined.error();
  EXPECT_EQ(joined->size, part_a.size() + part_b.size());
  ASSERT_EQ(joined->extents.size(), 2u);
  EXPECT_EQ(joined->extents[0].length, part_a.size());
  EXPECT_EQ(joined->extents[1].length, part_b.size());
  write_file(dir.path() / "expected", part_a + part_b);
  EXPECT_EQ(sha256_of(extent_bytes(bytes, *joined), dir.path() / "scratch"),
            sha256_of_file(dir.path() / "expected"));
  EXPECT_TRUE(image->stat(image->naming() == Naming::rock_ridge ? "zzz" : "ZZZ"));
}

INSTANTIATE_TEST_SUITE_P(Namings, MultiExtentFile,
                         ::testing::Values("--norock", "-R"));

TEST(MultiExtentRecords, RejectsAFileWhoseFinalRecordIsMissing) {
  PXED_REQUIRE_XORRISO();
  TempDir dir;
  write_file(dir.path() / "tree/splita", random_bytes(4096, 12));
  write_file(dir.path() / "tree/splitb", "b");
  auto bytes = make_iso(dir.path() / "tree", dir.path() / "out.iso", "--norock");
  ASSERT_FALSE(bytes.empty());
  // Flag the first record "not final" but leave the next one a different file.
  bytes[find_record(bytes, "SPLITA") + 25] |= std::byte{0x80};
  auto image = Image::open(memory_reader(bytes), bytes.size());
  ASSERT_TRUE(image) << image.error();
  auto root = image->list("/");
  ASSERT_FALSE(root);
  EXPECT_NE(root.error().find("lacks its final record"), std::string::npos) << root.error();
}

}  // namespace
}  // namespace pxed::iso
