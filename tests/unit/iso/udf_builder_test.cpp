// UDF edge cases real tools rarely write, built block by block.
#include <gtest/gtest.h>

#include "iso/image.hpp"
#include "iso/udf.hpp"
#include "iso_test_support.hpp"
#include "udf_test_support.hpp"

namespace pxed::iso {
namespace {

using namespace pxed::iso::testing;

Image open_ok(const std::vector<std::byte>& image) {
  auto opened = Image::open(memory_reader(image), image.size());
  if (!opened) throw std::runtime_error(opened.error());
  return std::move(*opened);
}

TEST(UdfImage, ListsFilesAndDirectoriesWithModeAndMtime) {
  UdfBuilder b;
  const std::uint32_t hello = b.add_file("hello\n");
  const std::uint32_t inner = b.add_file("inner");
  const std::uint32_t sub = b.add_directory({UdfBuilder::fid("inner.txt", inner)});
  const std::uint32_t root = b.add_directory(
      {UdfBuilder::fid("hello.txt", hello), UdfBuilder::fid("sub", sub, udf::kFidDirectory)});
  auto bytes = b.finish(root);
  Image image = open_ok(bytes);
  EXPECT_EQ(image.naming(), Naming::udf);
  EXPECT_EQ(to_string(image.naming()), "udf");
  EXPECT_EQ(image.volume_id(), "TestUDF");
  auto entries = image.list("/");
  ASSERT_TRUE(entries) << entries.error();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].name, "hello.txt");
  EXPECT_EQ((*entries)[0].mode, 0100444u);  // no permissions recorded: the default
  EXPECT_EQ((*entries)[0].mtime, kBuiltMtime);
  EXPECT_EQ(extent_bytes(bytes, (*entries)[0]), "hello\n");
  EXPECT_TRUE((*entries)[1].directory);
  EXPECT_EQ((*entries)[1].mode, 0040555u);
  auto file = image.stat("sub/inner.txt");
  ASSERT_TRUE(file) << file.error();
  EXPECT_EQ(extent_bytes(bytes, *file), "inner");
}

// Windows loaders ask for "\Boot\BCD" where Windows media say "boot/bcd" (vfs has
// turned the backslashes into slashes): UDF names match ignoring case when no exact name exists.
TEST(UdfImage, NamesMatchIgnoringCaseWhenNoExactNameExists) {
  UdfBuilder b;
  const std::uint32_t bcd = b.add_file("bcd");
  const std::uint32_t upper = b.add_file("upper");
  const std::uint32_t lower = b.add_file("lower");
  const std::uint32_t boot = b.add_directory({UdfBuilder::fid("bcd", bcd), UdfBuilder::fid("Same", upper),
                                              UdfBuilder::fid("same", lower)});
  const std::uint32_t root = b.add_directory({UdfBuilder::fid("boot", boot, udf::kFidDirectory)});
  auto bytes = b.finish(root);
  Image image = open_ok(bytes);
  auto file = image.stat("Boot/BCD");
  ASSERT_TRUE(file) << file.error();
  EXPECT_EQ(extent_bytes(bytes, *file), "bcd");
  EXPECT_EQ(file->name, "bcd");
  // An exact spelling wins over an earlier record that differs only in case.
  auto exact = image.stat("boot/same");
  ASSERT_TRUE(exact) << exact.error();
  EXPECT_EQ(extent_bytes(bytes, *exact), "lower");
  EXPECT_FALSE(image.stat("boot/bcdx"));
}

TEST(UdfImage, ReadsPermissionsAsMode) {
  UdfBuilder b;
  FileEntryOptions o;
  const std::uint32_t data = b.add_data("x");
  o.information_length = 1;
  o.descriptors = short_ad(1, data);
  // ECMA-167 4/14.9.5: owner read+write+exec (bits 10-12), group read (7), other read (2).
  o.permissions = (7u << 10) | (4u << 5) | 4u;
  const std::uint32_t icb = b.add_entry(o);
  auto bytes = b.finish(b.add_directory({UdfBuilder::fid("x", icb)}));
  auto entry = open_ok(bytes).stat("x");
  ASSERT_TRUE(entry) << entry.error();
  EXPECT_EQ(entry->mode, 0100744u);
}

TEST(UdfImage, JoinsAFileOfManyExtentsInOrder) {
  UdfBuilder b;
  const std::string part1 = random_bytes(2 * 2048, 1);
  const std::string part2 = random_bytes(2048, 2);
  const std::string part3 = random_bytes(700, 3);
  // Written out of order, with gaps, so the extents cannot be merged.
  const std::uint32_t at3 = b.add_data(part3);
  b.allocate(1);
  const std::uint32_t at1 = b.add_data(part1);
  b.allocate(1);
  const std::uint32_t at2 = b.add_data(part2);
  FileEntryOptions o;
  o.information_length = part1.size() + part2.size() + part3.size();
  for (auto ad : {short_ad(4096, at1), short_ad(2048, at2), short_ad(700, at3)}) append(o.descriptors, ad);
  const std::uint32_t icb = b.add_entry(o);
  auto bytes = b.finish(b.add_directory({UdfBuilder::fid("multi.bin", icb)}));
  auto entry = open_ok(bytes).stat("multi.bin");
  ASSERT_TRUE(entry) << entry.error();
  EXPECT_EQ(entry->extents.size(), 3u);
  EXPECT_EQ(entry->size, o.information_length);
  EXPECT_EQ(extent_bytes(bytes, *entry), part1 + part2 + part3);
}

TEST(UdfImage, MergesContiguousExtents) {
  UdfBuilder b;
  const std::string data = random_bytes(3 * 2048, 4);
  const std::uint32_t at = b.add_data(data);
  FileEntryOptions o;
  o.information_length = data.size();
  for (std::uint32_t i = 0; i < 3; ++i) append(o.descriptors, short_ad(2048, at + i));
  auto bytes = b.finish(b.add_directory({UdfBuilder::fid("f", b.add_entry(o))}));
  auto entry = open_ok(bytes).stat("f");
  ASSERT_TRUE(entry) << entry.error();
  EXPECT_EQ(entry->extents.size(), 1u);
  EXPECT_EQ(extent_bytes(bytes, *entry), data);
}

TEST(UdfImage, ServesDataEmbeddedInTheFileEntry) {
  UdfBuilder b;
  FileEntryOptions o;
  const std::string data = "small file kept in its ICB\n";
  o.form = udf::AllocationForm::embedded;
  o.information_length = data.size();
  o.descriptors.resize(data.size());
  std::memcpy(o.descriptors.data(), data.data(), data.size());
  const std::uint32_t icb = b.add_entry(o);
  auto bytes = b.finish(b.add_directory({UdfBuilder::fid("small", icb)}, /*embedded=*/true));
  auto entry = open_ok(bytes).stat("small");
  ASSERT_TRUE(entry) << entry.error();
  ASSERT_EQ(entry->extents.size(), 1u);
  // The extent points into the File Entry's own block, after its 176 fixed bytes.
  EXPECT_EQ(entry->extents[0].offset, b.partition_offset(icb) + 176);
  EXPECT_EQ(extent_bytes(bytes, *entry), data);
}

TEST(UdfImage, ReadsExtendedFileEntriesWithLongAndExtendedDescriptors) {
  UdfBuilder b;
  const std::string one = random_bytes(3000, 5);
  const std::string two = random_bytes(5000, 6);
  FileEntryOptions a;
  a.extended = true;
  a.form = udf::AllocationForm::long_ad;
  a.information_length = one.size();
  a.descriptors = long_ad(static_cast<std::uint32_t>(one.size()), b.add_data(one));
  const std::uint32_t a_icb = b.add_entry(a);
  FileEntryOptions e;
  e.extended = true;
  e.form = udf::AllocationForm::extended_ad;
  e.information_length = two.size();
  e.descriptors = extended_ad(static_cast<std::uint32_t>(two.size()), static_cast<std::uint32_t>(two.size()),
                              b.add_data(two));
  const std::uint32_t e_icb = b.add_entry(e);
  auto bytes = b.finish(b.add_directory({UdfBuilder::fid("long", a_icb), UdfBuilder::fid("ext", e_icb)}));
  Image image = open_ok(bytes);
  auto first = image.stat("long");
  ASSERT_TRUE(first) << first.error();
  EXPECT_EQ(first->mtime, kBuiltMtime);  // EFE keeps it at byte 92, not 84
  EXPECT_EQ(extent_bytes(bytes, *first), one);
  auto second = image.stat("ext");
  ASSERT_TRUE(second) << second.error();
  EXPECT_EQ(extent_bytes(bytes, *second), two);
}

TEST(UdfImage, DecodesSixteenBitNamesToUtf8) {
  UdfBuilder b;
  const std::uint32_t f = b.add_file("x");
  // "Grüße €" and U+1F600 as a surrogate pair.
  const std::uint32_t root = b.add_directory({UdfBuilder::fid(cs0_16(u"Gr\u00fc\u00dfe \u20ac"), f),
                                              UdfBuilder::fid(cs0_16(u"\xD83D\xDE00.txt"), f),
                                              UdfBuilder::fid(cs0_8("caf\xe9"), f)});
  auto bytes = b.finish(root);
  auto entries = open_ok(bytes).list("");
  ASSERT_TRUE(entries) << entries.error();
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].name, "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac");
  EXPECT_EQ((*entries)[1].name, "\xf0\x9f\x98\x80.txt");
  EXPECT_EQ((*entries)[2].name, "caf\xc3\xa9");
}

TEST(UdfImage, SkipsDeletedEntriesAndUnusableNamesButListsHiddenOnes) {
  UdfBuilder b;
  const std::uint32_t f = b.add_file("x");
  const std::uint32_t root = b.add_directory({
      UdfBuilder::fid("deleted", f, udf::kFidDeleted),
      UdfBuilder::fid("hidden", f, udf::kFidHidden),
      UdfBuilder::fid("a/b", f),
      UdfBuilder::fid("..", f),
      UdfBuilder::fid(cs0_16(std::u16string_view(u"nul\0l", 5)), f),
      UdfBuilder::fid("kept", f),
  });
  auto bytes = b.finish(root);
  auto entries = open_ok(bytes).list("/");
  ASSERT_TRUE(entries) << entries.error();
  std::vector<std::string> names;
  for (const auto& e : *entries) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"hidden", "kept"}));
}

TEST(UdfImage, FollowsAllocationExtentContinuations) {
  UdfBuilder b;
  const std::string one = random_bytes(2048, 7);
  const std::string two = random_bytes(1000, 8);
  const std::uint32_t at1 = b.add_data(one);
  b.allocate(1);
  const std::uint32_t at2 = b.add_data(two);
  // 4/14.5: the File Entry holds one extent and a pointer to the next descriptors.
  const std::uint32_t aed = b.allocate(1);
  std::vector<std::byte> d(24);
  append(d, short_ad(1000, at2));
  put32(d, 20, udf::kShortAdSize);
  seal(d, 258, aed);
  std::memcpy(b.block(aed).data(), d.data(), d.size());
  FileEntryOptions o;
  o.information_length = one.size() + two.size();
  append(o.descriptors, short_ad(2048, at1));
  append(o.descriptors, short_ad(2048, aed, udf::ExtentType::continuation));
  auto bytes = b.finish(b.add_directory({UdfBuilder::fid("f", b.add_entry(o))}));
  auto entry = open_ok(bytes).stat("f");
  ASSERT_TRUE(entry) << entry.error();
  EXPECT_EQ(extent_bytes(bytes, *entry), one + two);
}

// A Windows install.wim passes 4 GiB in extents of < 1 GiB. The reader
// below pretends the image is 6 GiB (zeros past the built bytes): the data
// is never read, only located.
TEST(UdfImage, ReadsAFileLargerThanFourGibInFiveExtents) {
  UdfBuilder b;
  constexpr std::uint32_t kChunk = (1u << 30) - 2048;  // the largest block multiple below 2^30
  constexpr std::uint64_t kSize = 4 * std::uint64_t{kChunk} + 12345;
  const std::uint32_t first_block = 1000;
  FileEntryOptions o;
  o.information_length = kSize;
  for (std::uint32_t i = 0; i < 4; ++i) append(o.descriptors, short_ad(kChunk, first_block + i * (kChunk / 2048)));
  append(o.descriptors, short_ad(12345, first_block + 4 * (kChunk / 2048)));
  const std::uint32_t icb = b.add_entry(o);
  auto bytes = b.finish(b.add_directory({UdfBuilder::fid("install.wim", icb)}));
  const std::uint64_t fake_size = 6ull << 30;
  // The partition descriptor must cover the fake size too.
  for (std::uint32_t pd : {33u, 49u}) {
    auto d = std::span(bytes).subspan(pd * 2048, 512);
    put32(d, 192, static_cast<std::uint32_t>(fake_size / 2048 - UdfBuilder::kPartitionStart));
    seal(d, 5, pd);
  }
  ReadAt read = [&bytes](std::span<std::byte> out, std::uint64_t offset) -> std::expected<std::size_t, int> {
    std::memset(out.data(), 0, out.size());
    if (offset < bytes.size())
      std::memcpy(out.data(), bytes.data() + offset, std::min<std::uint64_t>(out.size(), bytes.size() - offset));
    return out.size();
  };
  auto image = Image::open(read, fake_size);
  ASSERT_TRUE(image) << image.error();
  auto entry = image->stat("install.wim");
  ASSERT_TRUE(entry) << entry.error();
  EXPECT_EQ(entry->size, kSize);
  std::uint64_t total = 0;
  for (const auto& e : entry->extents) total += e.length;
  EXPECT_EQ(total, kSize);
  EXPECT_EQ(entry->extents.front().offset, b.partition_offset(first_block));
}

TEST(UdfImage, RefusesAFileWithAnUnrecordedExtent) {
  UdfBuilder b;
  FileEntryOptions o;
  o.information_length = 4096;
  append(o.descriptors, short_ad(2048, b.add_data(random_bytes(2048, 9))));
  append(o.descriptors, short_ad(2048, 0, udf::ExtentType::unallocated));  // a sparse hole
  auto bytes = b.finish(b.add_directory({UdfBuilder::fid("sparse", b.add_entry(o))}));
  auto listing = open_ok(bytes).list("/");
  ASSERT_FALSE(listing);
  EXPECT_NE(listing.error().find("'sparse'"), std::string::npos) << listing.error();
  EXPECT_NE(listing.error().find("not recorded in the image"), std::string::npos) << listing.error();
}

TEST(UdfImage, ReadsLinksAsSymlinkTargets) {
  UdfBuilder b;
  const std::uint32_t f = b.add_file("target");
  // 4/14.16: root, then "dir", then "..", then "file".
  std::vector<std::byte> path = {std::byte{1}, std::byte{0}, std::byte{0}, std::byte{0}};
  for (std::string_view part : {"dir", "file"}) {
    auto name = cs0_8(part);
    if (part == "file") append(path, std::vector<std::byte>{std::byte{3}, std::byte{0}, std::byte{0}, std::byte{0}});
    append(path, std::vector<std::byte>{std::byte{5}, std::byte(name.size()), std::byte{0}, std::byte{0}});
    append(path, name);
  }
  FileEntryOptions o;
  o.file_type = udf::kFileTypeSymlink;
  o.form = udf::AllocationForm::embedded;
  o.information_length = path.size();
  o.descriptors = path;
  const std::uint32_t link = b.add_entry(o);
  auto bytes = b.finish(b.add_directory({UdfBuilder::fid("file", f), UdfBuilder::fid("link", link)}));
  Image image = open_ok(bytes);
  auto entry = image.stat("link");
  ASSERT_TRUE(entry) << entry.error();
  ASSERT_TRUE(entry->symlink_target);
  EXPECT_EQ(*entry->symlink_target, "/dir/../file");
  EXPECT_EQ(entry->mode & 0170000, 0120000u);
}

TEST(UdfImage, ReadsThroughAMetadataPartition) {
  UdfBuilder b;
  const std::string data = random_bytes(5000, 10);
  const std::uint32_t file = b.add_file(data);
  const std::uint32_t sub = b.add_directory({UdfBuilder::fid("data.bin", file, 0, /*partition=*/1)});
  const std::uint32_t root = b.add_directory({UdfBuilder::fid("sub", sub, udf::kFidDirectory, 1)});
  auto bytes = b.finish(root, 2048, /*metadata=*/true);
  auto entry = open_ok(bytes).stat("sub/data.bin");
  ASSERT_TRUE(entry) << entry.error();
  EXPECT_EQ(extent_bytes(bytes, *entry), data);
}

// The fuzz seeds' shape: a volume too small for block 256, anchored at N-1.
std::vector<std::byte> compact_volume() {
  UdfBuilder b(/*partition_start=*/32);
  const std::uint32_t small = b.add_file("seed\n");
  FileEntryOptions o;
  o.extended = true;
  o.form = udf::AllocationForm::embedded;
  o.information_length = 3;
  o.descriptors = {std::byte{'i'}, std::byte{'c'}, std::byte{'b'}};
  const std::uint32_t embedded = b.add_entry(o);
  const std::uint32_t sub = b.add_directory({UdfBuilder::fid(cs0_16(u"\u00e9t\u00e9"), embedded)}, true);
  return b.finish(b.add_directory({UdfBuilder::fid("seed.txt", small),
                                   UdfBuilder::fid("sub", sub, udf::kFidDirectory),
                                   UdfBuilder::fid("gone", small, udf::kFidDeleted)}));
}

TEST(UdfImage, OpensASmallVolumeAnchoredAtItsLastBlock) {
  auto bytes = compact_volume();
  EXPECT_LT(bytes.size(), 100'000u);
  Image image = open_ok(bytes);
  auto seed = image.stat("seed.txt");
  ASSERT_TRUE(seed) << seed.error();
  EXPECT_EQ(extent_bytes(bytes, *seed), "seed\n");
  auto inner = image.stat("sub/\u00e9t\u00e9");
  ASSERT_TRUE(inner) << inner.error();
  EXPECT_EQ(extent_bytes(bytes, *inner), "icb");
  // PXED_WRITE_UDF_SEED=path regenerates fuzz/corpus/iso's UDF seed.
  if (const char* path = std::getenv("PXED_WRITE_UDF_SEED")) {
    write_file(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
}

}  // namespace
}  // namespace pxed::iso
