#include "core/bytes.hpp"

#include <gtest/gtest.h>

namespace pxed::core {
namespace {

std::vector<std::byte> bytes_of(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(std::byte(b));
  return out;
}

TEST(ByteReader, ReadsNetworkOrderIntegers) {
  auto in = bytes_of({0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07});
  ByteReader r{in};
  EXPECT_EQ(r.u8(), 0x01);
  EXPECT_EQ(r.u16(), 0x0203);
  EXPECT_EQ(r.u32(), 0x04050607u);
  EXPECT_TRUE(r.empty());
}

TEST(ByteReader, ShortInputIsEmptyOptionalNotOverread) {
  auto in = bytes_of({0x01});
  ByteReader r{in};
  EXPECT_FALSE(r.u16().has_value());
  EXPECT_EQ(r.remaining(), 1u);  // a failed read consumes nothing
  EXPECT_FALSE(r.bytes(2).has_value());
}

TEST(ByteReader, CstringStopsAtNulAndRespectsLimit) {
  auto in = bytes_of({'a', 'b', 0, 'c', 'd', 'e', 0});
  ByteReader r{in};
  EXPECT_EQ(r.cstring(2), "ab");
  EXPECT_FALSE(r.cstring(2).has_value());  // "cde" is longer than 2
  EXPECT_EQ(r.cstring(3), "cde");
  EXPECT_TRUE(r.empty());
}

TEST(ByteReader, CstringWithoutNulFails) {
  auto in = bytes_of({'a', 'b'});
  ByteReader r{in};
  EXPECT_FALSE(r.cstring(100).has_value());
}

TEST(ByteWriter, RoundTripsThroughReader) {
  ByteWriter w;
  w.u8(7);
  w.u16(0xBEEF);
  w.u32(0xDEADBEEF);
  w.cstring("octet");
  auto data = w.take();
  ByteReader r{data};
  EXPECT_EQ(r.u8(), 7);
  EXPECT_EQ(r.u16(), 0xBEEF);
  EXPECT_EQ(r.u32(), 0xDEADBEEFu);
  EXPECT_EQ(r.cstring(16), "octet");
  EXPECT_TRUE(r.empty());
}

}  // namespace
}  // namespace pxed::core
