#include "tftp/netascii.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace pxed::tftp {
namespace {

using namespace std::string_view_literals;

std::vector<std::byte> bytes_of(std::string_view s) {
  std::vector<std::byte> out;
  for (char c : s) out.push_back(std::byte(static_cast<unsigned char>(c)));
  return out;
}

std::string text_of(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Encodes all of source into one buffer big enough for any expansion.
std::string encode_all(std::string_view source) {
  NetasciiCursor cursor;
  auto in = bytes_of(source);
  std::vector<std::byte> out(2 * in.size() + 1);
  auto n = netascii_encode(cursor, in, out);
  EXPECT_EQ(cursor.source_offset, in.size());
  EXPECT_FALSE(cursor.has_pending);
  return text_of(std::span(out).first(n));
}

TEST(Netascii, LfBecomesCrLf) { EXPECT_EQ(encode_all("a\nb\n"), "a\r\nb\r\n"); }

TEST(Netascii, CrBecomesCrNul) { EXPECT_EQ(encode_all("a\rb"), "a\r\0b"sv); }

TEST(Netascii, CrLfInSourceIsEncodedByteByByte) {
  // RFC 764 encodes the file's bytes; a CR LF already in the file grows to four.
  EXPECT_EQ(encode_all("\r\n"), "\r\0\r\n"sv);
}

TEST(Netascii, OtherBytesPassThrough) {
  std::string all;
  for (int c = 0; c < 256; ++c) {
    if (c != '\n' && c != '\r') all.push_back(static_cast<char>(c));
  }
  EXPECT_EQ(encode_all(all), all);
}

TEST(Netascii, EmptyInputWritesNothing) {
  NetasciiCursor cursor;
  std::vector<std::byte> out(16);
  EXPECT_EQ(netascii_encode(cursor, {}, out), 0u);
  EXPECT_EQ(cursor.source_offset, 0u);
  EXPECT_FALSE(cursor.has_pending);
}

TEST(Netascii, FullOutputStopsBeforeConsumingMore) {
  NetasciiCursor cursor;
  auto in = bytes_of("abcdef");
  std::vector<std::byte> out(4);
  EXPECT_EQ(netascii_encode(cursor, in, out), 4u);
  EXPECT_EQ(text_of(out), "abcd");
  EXPECT_EQ(cursor.source_offset, 4u);
}

TEST(Netascii, CrPairSplitAcrossFullOutputCarriesPendingByte) {
  NetasciiCursor cursor;
  auto in = bytes_of("ab\ncd");
  std::vector<std::byte> first(3);
  ASSERT_EQ(netascii_encode(cursor, in, first), 3u);
  EXPECT_EQ(text_of(first), "ab\r");
  EXPECT_TRUE(cursor.has_pending);
  EXPECT_EQ(cursor.pending, std::byte{'\n'});
  EXPECT_EQ(cursor.source_offset, 3u);  // the LF is consumed; its second half is owed

  std::vector<std::byte> second(16);
  auto rest = std::span(in).subspan(cursor.source_offset);
  auto n = netascii_encode(cursor, rest, second);
  EXPECT_EQ(text_of(std::span(second).first(n)), "\ncd");
  EXPECT_FALSE(cursor.has_pending);
  EXPECT_EQ(cursor.source_offset, 5u);
}

TEST(Netascii, CrNulSplitAcrossFullOutputCarriesNul) {
  NetasciiCursor cursor;
  auto in = bytes_of("\r");
  std::vector<std::byte> one(1);
  ASSERT_EQ(netascii_encode(cursor, in, one), 1u);
  EXPECT_EQ(one[0], std::byte{'\r'});
  ASSERT_TRUE(cursor.has_pending);
  EXPECT_EQ(cursor.pending, std::byte{0});

  // The source is used up; the owed NUL still comes out.
  auto n = netascii_encode(cursor, {}, one);
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(one[0], std::byte{0});
  EXPECT_FALSE(cursor.has_pending);
  EXPECT_EQ(cursor.source_offset, 1u);
}

TEST(Netascii, PendingByteWaitsForRoomInOutput) {
  NetasciiCursor cursor{.source_offset = 7, .pending = std::byte{'\n'}, .has_pending = true};
  EXPECT_EQ(netascii_encode(cursor, bytes_of("x"), {}), 0u);
  EXPECT_TRUE(cursor.has_pending);
  EXPECT_EQ(cursor.source_offset, 7u);
}

TEST(Netascii, SizeCountsOneExtraByteForEachLfAndCr) {
  EXPECT_EQ(netascii_size(0, 0, 0), 0u);
  EXPECT_EQ(netascii_size(10, 2, 3), 15u);
}

// Property: however the output is chunked (as blocks of any size would chunk
// it), the concatenation is the one-shot encoding, and its length is
// netascii_size(). The source is handed over from the cursor's offset each
// time, as BlockReader does.
TEST(Netascii, ChunkedEncodingEqualsOneShotEncoding) {
  std::mt19937 rng(20240611);  // fixed seed: failures reproduce
  // Biased alphabet so CR and LF (and CR LF runs) are frequent.
  constexpr std::string_view kAlphabet = "\r\n\r\nab\0\xff"sv;
  for (int round = 0; round < 500; ++round) {
    std::size_t size = std::uniform_int_distribution<std::size_t>(0, 300)(rng);
    std::string source;
    for (std::size_t i = 0; i < size; ++i) {
      source.push_back(kAlphabet[std::uniform_int_distribution<std::size_t>(0, kAlphabet.size() - 1)(rng)]);
    }
    auto in = bytes_of(source);
    auto lf = static_cast<std::uint64_t>(std::ranges::count(source, '\n'));
    auto cr = static_cast<std::uint64_t>(std::ranges::count(source, '\r'));
    std::string one_shot = encode_all(source);
    ASSERT_EQ(one_shot.size(), netascii_size(size, lf, cr)) << "round " << round;

    NetasciiCursor cursor;
    std::string chunked;
    std::size_t max_chunk = std::uniform_int_distribution<std::size_t>(1, 20)(rng);
    for (int guard = 0; guard < 10000; ++guard) {
      std::vector<std::byte> out(std::uniform_int_distribution<std::size_t>(1, max_chunk)(rng));
      auto rest = std::span(in).subspan(cursor.source_offset);
      auto n = netascii_encode(cursor, rest, out);
      chunked += text_of(std::span(out).first(n));
      if (n < out.size()) break;  // a short chunk ends the transfer
    }
    EXPECT_EQ(chunked, one_shot) << "round " << round << " max_chunk " << max_chunk;
    EXPECT_EQ(cursor.source_offset, size);
    EXPECT_FALSE(cursor.has_pending);
  }
}

}  // namespace
}  // namespace pxed::tftp
