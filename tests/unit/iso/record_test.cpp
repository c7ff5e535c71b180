#include "iso/record.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "iso/susp.hpp"

namespace pxed::iso {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

std::vector<std::byte> bytes(std::string_view s) {
  std::vector<std::byte> out;
  for (char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

void append(std::vector<std::byte>& to, const std::vector<std::byte>& more) {
  to.insert(to.end(), more.begin(), more.end());
}

// A directory record with the given identifier and system use bytes.
std::vector<std::byte> record(std::string_view identifier, const std::vector<std::byte>& su = {}) {
  std::vector<std::byte> r(33, std::byte{0});
  r[2] = std::byte{20};                                // extent block 20
  r[10] = std::byte{0x00};
  r[11] = std::byte{0x10};                             // 4096 bytes
  r[18] = std::byte{70};                               // 1970
  r[19] = std::byte{1};
  r[20] = std::byte{2};                                // 1970-01-02 00:00:00
  r[32] = static_cast<std::byte>(identifier.size());
  append(r, bytes(identifier));
  if (identifier.size() % 2 == 0) r.push_back(std::byte{0});
  append(r, su);
  r[0] = static_cast<std::byte>(r.size());
  return r;
}

TEST(PlainName, StripsVersionAndTrailingDot) {
  EXPECT_EQ(plain_name(bytes("README.;1")), "README");
  EXPECT_EQ(plain_name(bytes("INITRD.IMG;1")), "INITRD.IMG");
  EXPECT_EQ(plain_name(bytes("ISOLINUX")), "ISOLINUX");  // directories carry no version
  EXPECT_EQ(plain_name(bytes("MixedCase.;1")), "MixedCase");  // no lower-casing
}

TEST(JolietName, DecodesUcs2BigEndianToUtf8AndDropsVersion) {
  EXPECT_EQ(joliet_name(bytes({0, 'c', 0, 'a', 0, 'f', 0, 0xE9, 0, ';', 0, '1'})), "caf\xC3\xA9");
  EXPECT_EQ(joliet_name(bytes({0xD8, 0x3D, 0xDE, 0x00})), "\xF0\x9F\x98\x80");  // surrogate pair
  EXPECT_EQ(joliet_name(bytes({0xD8, 0x3D})), "\xEF\xBF\xBD");  // lone surrogate -> U+FFFD
  EXPECT_EQ(joliet_name(bytes({0, 'a', 0})), "a");             // odd trailing byte ignored
}

TEST(DecodeRecord, ReadsExtentLengthDateAndSystemUse) {
  const auto raw = record("FILE.;1", bytes("XYZW"));  // the spans below point into it
  auto r = decode_record(raw);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->extent_block, 20u);
  EXPECT_EQ(r->data_offset(), 20u * 2048);
  EXPECT_EQ(r->data_length, 4096u);
  EXPECT_EQ(r->recorded, 86400);
  EXPECT_EQ(plain_name(r->identifier), "FILE");
  EXPECT_EQ(r->system_use.size(), 4u);  // after the padding byte of an even-length name
}

TEST(DecodeRecord, RejectsShortRecordsAndIdentifiersPastTheEnd) {
  EXPECT_FALSE(decode_record(bytes({33})));
  auto r = record("A");
  r[32] = std::byte{40};
  EXPECT_FALSE(decode_record(r));
  r = record("A");
  r[0] = std::byte{200};  // length byte disagrees with the span
  EXPECT_FALSE(decode_record(r));
}

TEST(DecodeRecordTime, AppliesTheGmtOffset) {
  // 2000-01-01 01:00 at GMT+1 (4 quarters) is 2000-01-01 00:00 UTC.
  auto t = bytes({100, 1, 1, 1, 0, 0, 4});
  EXPECT_EQ(decode_record_time(std::span<const std::byte, 7>(t.data(), 7)), 946684800);
  auto garbage = bytes({255, 255, 255, 255, 255, 255, 255});
  (void)decode_record_time(std::span<const std::byte, 7>(garbage.data(), 7));  // no UB
}

TEST(SharingProtocol, IsFoundOnlyWithItsCheckBytes) {
  EXPECT_TRUE(find_sharing_protocol(bytes({'S', 'P', 7, 1, 0xBE, 0xEF, 0})));
  EXPECT_FALSE(find_sharing_protocol(bytes({'S', 'P', 7, 1, 0xBE, 0xEE, 0})));
  EXPECT_FALSE(find_sharing_protocol(bytes({'S', 'P', 7})));
}

TEST(RockRidge, JoinsNameAcrossContinuedNmEntries) {
  RockRidge rr;
  auto area = bytes({'N', 'M', 8, 1, 1, 'a', 'b', 'c'});
  append(area, bytes({'N', 'M', 7, 1, 0, 'd', 'e'}));
  auto next = rr.parse(area);
  ASSERT_TRUE(next);
  EXPECT_FALSE(*next);
  EXPECT_EQ(rr.name(), "abcde");
}

TEST(RockRidge, MarksNmCurrentAndParentAsSelfOrParent) {
  RockRidge rr;
  ASSERT_TRUE(rr.parse(bytes({'N', 'M', 5, 1, 2})));
  EXPECT_TRUE(rr.names_self_or_parent());
}

TEST(RockRidge, BuildsSymlinkFromRootParentCurrentAndContinuedComponents) {
  RockRidge rr;
  // "/" + ".." + "." + "ab" continued by "cd" -> "/.././abcd"
  auto area = bytes({'S', 'L', 17, 1, 0, 0x08, 0, 0x04, 0, 0x02, 0, 0x01, 2, 'a', 'b', 0, 0});
  area[2] = std::byte{15};
  area.resize(15);
  append(area, bytes({'S', 'L', 9, 1, 0, 0, 2, 'c', 'd'}));
  ASSERT_TRUE(rr.parse(area));
  EXPECT_EQ(rr.symlink_target(), "/.././abcd");
}

TEST(RockRidge, RejectsSymlinkComponentPastItsEntry) {
  RockRidge rr;
  EXPECT_FALSE(rr.parse(bytes({'S', 'L', 8, 1, 0, 0, 9, 'a'})));
}

TEST(RockRidge, ReturnsContinuationAreaAndStopsAtTerminator) {
  RockRidge rr;
  auto area = bytes({'C', 'E', 28, 1, 5, 0, 0, 0, 0, 0, 0, 5, 100, 0, 0, 0, 0, 0, 0, 100,
                     50, 0, 0, 0, 0, 0, 0, 50});
  append(area, bytes({'S', 'T', 4, 1}));
  append(area, bytes({'N', 'M', 6, 1, 0, 'x'}));  // after ST: ignored
  auto next = rr.parse(area);
  ASSERT_TRUE(next);
  ASSERT_TRUE(*next);
  EXPECT_EQ((*next)->block, 5u);
  EXPECT_EQ((*next)->offset, 100u);
  EXPECT_EQ((*next)->length, 50u);
  EXPECT_FALSE(rr.name());
}

TEST(RockRidge, ReadsModeAndModifyTime) {
  RockRidge rr;
  std::vector<std::byte> px(36, std::byte{0});
  px[0] = std::byte{'P'};
  px[1] = std::byte{'X'};
  px[2] = std::byte{36};
  px[3] = std::byte{1};
  px[4] = std::byte{0xED};
  px[5] = std::byte{0x41};  // 040755
  // TF with CREATION and MODIFY, short form: the second stamp is the mtime.
  auto tf = bytes({'T', 'F', 19, 1, 0x03, 70, 1, 1, 0, 0, 0, 0, 70, 1, 2, 0, 0, 0, 0});
  append(px, tf);
  ASSERT_TRUE(rr.parse(px));
  EXPECT_EQ(rr.mode(), 040755u);
  EXPECT_EQ(rr.mtime(), 86400);
}

TEST(RockRidge, ReadsChildLinkAndRelocatedMarks) {
  RockRidge placeholder;
  ASSERT_TRUE(placeholder.parse(bytes({'C', 'L', 12, 1, 42, 0, 0, 0, 0, 0, 0, 42})));
  EXPECT_EQ(placeholder.child_link(), 42u);
  EXPECT_FALSE(placeholder.relocated());
  RockRidge moved;
  ASSERT_TRUE(moved.parse(bytes({'R', 'E', 4, 1})));
  EXPECT_TRUE(moved.relocated());
  EXPECT_FALSE(moved.child_link());
}

TEST(RockRidge, StopsAtMalformedEntryLengthWithoutReadingPastTheArea) {
  RockRidge rr;
  auto next = rr.parse(bytes({'N', 'M', 200, 1, 0, 'x'}));
  ASSERT_TRUE(next);
  EXPECT_FALSE(rr.name());
}

}  // namespace
}  // namespace pxed::iso
