// UDF descriptor decoders on hand-made bytes.
#include "iso/udf_descriptor.hpp"

#include <gtest/gtest.h>

#include "udf_test_support.hpp"

namespace pxed::iso::udf {
namespace {

using namespace pxed::iso::testing;

std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(std::byte(v));
  return out;
}

TEST(UdfDescriptor, CrcIsCrcItuT) {
  // The CRC-16/XMODEM check value (polynomial 0x1021, initial 0), as ECMA-167 3/7.2.6 uses.
  const std::string check = "123456789";
  EXPECT_EQ(crc_itu_t(std::as_bytes(std::span(check))), 0x31C3);
}

TEST(UdfDescriptor, TagChecksumAndCrcAreVerified) {
  std::vector<std::byte> d(64);
  d[40] = std::byte{7};
  seal(d, 8, 99);
  auto tag = decode_tag(d);
  ASSERT_TRUE(tag) << tag.error();
  EXPECT_EQ(tag->id, 8);
  EXPECT_EQ(tag->location, 99u);
  d[40] = std::byte{8};
  EXPECT_FALSE(decode_tag(d));
  d[40] = std::byte{7};
  d[12] = std::byte{1};  // location changed without the checksum
  EXPECT_FALSE(decode_tag(d));
  EXPECT_FALSE(decode_tag(std::vector<std::byte>(16)));  // an empty block
  EXPECT_FALSE(decode_tag(std::vector<std::byte>(8)));
}

TEST(UdfDescriptor, TimestampAppliesItsZoneOffset) {
  std::vector<std::byte> t(12);
  put16(t, 0, 0x1000 | 120);  // type 1, UTC+02:00
  put16(t, 2, 2024);
  t[4] = std::byte{5};
  t[5] = std::byte{6};
  t[6] = std::byte{9};
  t[7] = std::byte{8};
  t[8] = std::byte{9};
  EXPECT_EQ(decode_timestamp(t), kBuiltMtime);
  put16(t, 0, 0x1000 | 0x801);  // -2047: no offset given, read as UTC
  EXPECT_EQ(decode_timestamp(t), kBuiltMtime + 2 * 3600);
  t[4] = std::byte{99};  // a hostile month is clamped, not undefined
  (void)decode_timestamp(t);
}

TEST(UdfDescriptor, Cs0DecodesBothCompressionIds) {
  EXPECT_EQ(cs0_to_utf8(cs0_8("abc")), "abc");
  EXPECT_EQ(cs0_to_utf8(cs0_8("\xe9")), "\xc3\xa9");
  EXPECT_EQ(cs0_to_utf8(cs0_16(u"\u20ac")), "\xe2\x82\xac");
  EXPECT_EQ(cs0_to_utf8(cs0_16(u"\xD800x")), "\xef\xbf\xbdx");  // a lone surrogate
  EXPECT_EQ(cs0_to_utf8(bytes({16, 0})), std::nullopt);         // odd length
  EXPECT_EQ(cs0_to_utf8(bytes({9, 'a'})), std::nullopt);        // unknown compression id
  EXPECT_EQ(cs0_to_utf8(bytes({8, 'a', 0})), std::nullopt);     // NUL
  EXPECT_EQ(cs0_to_utf8(bytes({})), "");
}

TEST(UdfDescriptor, DstringUsesItsLengthByte) {
  std::vector<std::byte> field(32);
  auto text = cs0_8("LABEL");
  std::copy(text.begin(), text.end(), field.begin());
  field.back() = std::byte(text.size());
  EXPECT_EQ(dstring_to_utf8(field), "LABEL");
  field.back() = std::byte{200};  // longer than the field
  EXPECT_EQ(dstring_to_utf8(field), "");
}

TEST(UdfDescriptor, SymlinkComponentsJoin) {
  auto path = bytes({2, 0, 0, 0, 5, 4, 0, 0, 8, 'e', 't', 'c', 4, 0, 0, 0, 3, 0, 0, 0});
  EXPECT_EQ(decode_symlink(path), "/etc/./..");
  EXPECT_EQ(decode_symlink(bytes({5, 4, 0, 0, 8, 'a', '/', 'b'})), std::nullopt);  // '/' in a name
  EXPECT_EQ(decode_symlink(bytes({5, 9, 0, 0, 8})), std::nullopt);                 // truncated
  EXPECT_EQ(decode_symlink(bytes({7, 0, 0, 0})), std::nullopt);                    // unknown type
}

TEST(UdfDescriptor, LogicalVolumeMapsMustFitTheDescriptor) {
  std::vector<std::byte> d(446);
  put32(d, 212, 2048);
  put32(d, 264, 6);
  put32(d, 268, 1);
  d[440] = std::byte{1};
  d[441] = std::byte{6};
  put16(d, 444, 3);
  auto lvd = decode_logical_volume(d);
  ASSERT_TRUE(lvd) << lvd.error();
  ASSERT_EQ(lvd->maps.size(), 1u);
  EXPECT_EQ(lvd->maps[0].partition_number, 3);
  put32(d, 268, 2);  // a second map the table has no room for
  EXPECT_FALSE(decode_logical_volume(d));
  put32(d, 264, 4000);
  EXPECT_FALSE(decode_logical_volume(d));
}

TEST(UdfDescriptor, FileEntryAreasMustFitItsBlock) {
  std::vector<std::byte> d(2048);
  put16(d, 0, 261);
  put32(d, 168, 100);   // extended attributes
  put32(d, 172, 2000);  // allocation descriptors: 176 + 100 + 2000 > 2048
  EXPECT_FALSE(decode_file_entry(d));
  put32(d, 172, 16);
  auto entry = decode_file_entry(d);
  ASSERT_TRUE(entry) << entry.error();
  EXPECT_EQ(entry->descriptors_offset, 276u);
  put16(d, 16 + 18, 5);  // allocation form 5 does not exist
  EXPECT_FALSE(decode_file_entry(d));
}

}  // namespace
}  // namespace pxed::iso::udf
