#include "tftp/block_reader.hpp"

#include <stdlib.h>

#include <gtest/gtest.h>

#include "support/test_support.hpp"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pxed::tftp {
namespace {

namespace fs = std::filesystem;
using namespace std::string_view_literals;

using test::TempDir;

// The expected wire bytes, written independently of netascii_encode (RFC 764).
std::string netascii_of(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\r\n";
    } else if (c == '\r') {
      out += "\r"sv;
      out.push_back('\0');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string pattern_text(std::size_t size) {
  std::string s;
  for (std::size_t i = 0; i < size; ++i) s.push_back(static_cast<char>('a' + i % 26));
  return s;
}

class BlockReaderTest : public ::testing::Test {
 protected:
  // Writes `content` as a file in the tree and opens it the way the service does.
  const vfs::File& file_with(std::string_view content) {
    std::ofstream out(dir_.path() / "f", std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) throw std::runtime_error("cannot write test file");
    auto tree = vfs::Tree::open_root(dir_.path());
    if (!tree) throw std::runtime_error(tree.error());
    auto file = tree->open("f");
    if (!file) throw std::runtime_error(std::string(vfs::to_string(file.error())));
    file_.emplace(std::move(*file));
    return *file_;
  }

  // Reads one block into a string, failing the test on a read error.
  static std::string block(BlockReader& reader, std::uint64_t n, std::uint32_t blksize) {
    std::vector<std::byte> out(blksize);
    auto got = reader.read(n, out);
    if (!got) {
      ADD_FAILURE() << "read(" << n << ") failed: errno " << got.error();
      return {};
    }
    return {reinterpret_cast<const char*>(out.data()), *got};
  }

  // Reads blocks 1, 2, ... until a short one, as a client would receive them.
  static std::vector<std::string> all_blocks(BlockReader& reader, std::uint32_t blksize) {
    std::vector<std::string> blocks;
    for (std::uint64_t n = 1; n < 100000; ++n) {
      blocks.push_back(block(reader, n, blksize));
      if (blocks.back().size() < blksize) break;
    }
    return blocks;
  }

  static std::string joined(const std::vector<std::string>& blocks) {
    std::string s;
    for (const auto& b : blocks) s += b;
    return s;
  }

  TempDir dir_;
  std::optional<vfs::File> file_;
};

TEST_F(BlockReaderTest, OctetBlocksEndWithShortBlock) {
  auto content = pattern_text(1300);
  const auto& file = file_with(content);
  BlockReader reader(file, Mode::octet, 512);
  EXPECT_EQ(block(reader, 1, 512), content.substr(0, 512));
  EXPECT_EQ(block(reader, 2, 512), content.substr(512, 512));
  EXPECT_EQ(block(reader, 3, 512), content.substr(1024));
  EXPECT_EQ(block(reader, 3, 512).size(), 276u);
}

TEST_F(BlockReaderTest, OctetBlocksCanBeReadInAnyOrder) {
  auto content = pattern_text(1300);
  const auto& file = file_with(content);
  BlockReader reader(file, Mode::octet, 512);
  EXPECT_EQ(block(reader, 3, 512), content.substr(1024));
  EXPECT_EQ(block(reader, 1, 512), content.substr(0, 512));
  EXPECT_EQ(block(reader, 2, 512), content.substr(512, 512));
}

TEST_F(BlockReaderTest, OctetExactMultipleEndsWithEmptyBlock) {
  auto content = pattern_text(1024);
  const auto& file = file_with(content);
  BlockReader reader(file, Mode::octet, 512);
  auto blocks = all_blocks(reader, 512);
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[0], content.substr(0, 512));
  EXPECT_EQ(blocks[1], content.substr(512));
  EXPECT_EQ(blocks[2], "");  // RFC 1350: a block shorter than blksize ends the transfer
}

TEST_F(BlockReaderTest, OctetEmptyFileIsOneEmptyBlock) {
  const auto& file = file_with("");
  BlockReader reader(file, Mode::octet, 512);
  EXPECT_EQ(all_blocks(reader, 512), std::vector<std::string>{""});
}

TEST_F(BlockReaderTest, ReadNeverFillsMoreThanBlksize) {
  auto content = pattern_text(3000);
  const auto& file = file_with(content);
  std::vector<std::byte> big(2048);
  BlockReader octet(file, Mode::octet, 512);
  EXPECT_EQ(octet.read(1, big), 512u);
  BlockReader netascii(file, Mode::netascii, 512);
  EXPECT_EQ(netascii.read(1, big), 512u);
}

TEST_F(BlockReaderTest, OctetSizeIsTheFileSize) {
  const auto& file = file_with("line one\nline two\r\n");
  EXPECT_EQ(BlockReader::known_size(file, Mode::octet), 19u);
}

TEST_F(BlockReaderTest, NetasciiSizeIsUnknownRatherThanScanned) {
  // Knowing it would mean reading the whole file before the first block.
  const auto& file = file_with("line one\nline two\r\nbare cr\r");
  EXPECT_EQ(BlockReader::known_size(file, Mode::netascii), std::nullopt);
}

TEST_F(BlockReaderTest, NetasciiBlocksInOrderConcatenateToTheEncodedFile) {
  std::mt19937 rng(7);
  constexpr std::string_view kAlphabet = "\r\n\nabcdefgh "sv;
  std::string text;
  for (int i = 0; i < 5000; ++i) text.push_back(kAlphabet[rng() % kAlphabet.size()]);
  const auto& file = file_with(text);
  auto expected = netascii_of(text);
  for (std::uint32_t blksize : {8u, 9u, 512u, 1468u}) {
    BlockReader reader(file, Mode::netascii, blksize);
    auto blocks = all_blocks(reader, blksize);
    EXPECT_EQ(joined(blocks), expected) << "blksize " << blksize;
    for (std::size_t i = 0; i + 1 < blocks.size(); ++i) EXPECT_EQ(blocks[i].size(), blksize);
  }
}

TEST_F(BlockReaderTest, NetasciiExactMultipleEndsWithEmptyBlock) {
  // "abc\n" x 3 encodes to 15 bytes; one more byte makes 16 = 2 x 8.
  const auto& file = file_with("abc\nabc\nabc\nx");
  BlockReader reader(file, Mode::netascii, 8);
  auto blocks = all_blocks(reader, 8);
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[0], "abc\r\nabc");
  EXPECT_EQ(blocks[1], "\r\nabc\r\nx");
  EXPECT_EQ(blocks[2], "");
}

TEST_F(BlockReaderTest, NetasciiLfPairStraddlesTheBlockBoundary) {
  const auto& file = file_with("abcdefg\nhij");
  BlockReader reader(file, Mode::netascii, 8);
  EXPECT_EQ(block(reader, 1, 8), "abcdefg\r");
  EXPECT_EQ(block(reader, 2, 8), "\nhij");
}

TEST_F(BlockReaderTest, NetasciiCrPairStraddlesTheBlockBoundary) {
  const auto& file = file_with("abcdefg\rhij");
  BlockReader reader(file, Mode::netascii, 8);
  EXPECT_EQ(block(reader, 1, 8), "abcdefg\r");
  EXPECT_EQ(block(reader, 2, 8), "\0hij"sv);
}

TEST_F(BlockReaderTest, NetasciiPairStraddlingTheEndOfFileGetsItsOwnBlock) {
  // Encoded: "abcdefg\r\n" = 9 bytes at blksize 8: the LF goes alone into block 2.
  const auto& file = file_with("abcdefg\n");
  BlockReader reader(file, Mode::netascii, 8);
  auto blocks = all_blocks(reader, 8);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0], "abcdefg\r");
  EXPECT_EQ(blocks[1], "\n");
}

TEST_F(BlockReaderTest, NetasciiRetransmissionAfterForgetGivesIdenticalBytes) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += (i % 3 == 0) ? "x\r\n" : (i % 3 == 1 ? "yy\n" : "zzz\r");
  const auto& file = file_with(text);
  BlockReader reader(file, Mode::netascii, 16);
  auto first = all_blocks(reader, 16);
  ASSERT_GE(first.size(), 10u);

  // A window of blocks 4..9 was sent; the client acknowledged 3 and then went
  // quiet, so the session re-sends from 4.
  BlockReader window(file, Mode::netascii, 16);
  for (std::uint64_t n = 1; n <= 9; ++n) EXPECT_EQ(block(window, n, 16), first[n - 1]) << n;
  window.forget_before(4);
  for (std::uint64_t n = 4; n <= 9; ++n) EXPECT_EQ(block(window, n, 16), first[n - 1]) << "again " << n;
  // And the transfer carries on to the end as if nothing happened.
  for (std::uint64_t n = 10; n <= first.size(); ++n) EXPECT_EQ(block(window, n, 16), first[n - 1]) << n;
}

TEST_F(BlockReaderTest, NetasciiSingleBlockRetransmissionGivesIdenticalBytes) {
  const auto& file = file_with("abcdefg\nhijklmn\rop\n\n\n\n\n");
  BlockReader reader(file, Mode::netascii, 8);
  auto b1 = block(reader, 1, 8);
  auto b2 = block(reader, 2, 8);
  reader.forget_before(2);
  EXPECT_EQ(block(reader, 2, 8), b2);
  EXPECT_EQ(block(reader, 2, 8), b2);
  auto b3 = block(reader, 3, 8);
  EXPECT_EQ(b1 + b2 + b3 + block(reader, 4, 8), netascii_of("abcdefg\nhijklmn\rop\n\n\n\n\n"));
}

TEST_F(BlockReaderTest, NetasciiForgottenBlockCannotBeRead) {
  const auto& file = file_with(pattern_text(100));
  BlockReader reader(file, Mode::netascii, 8);
  block(reader, 1, 8);
  block(reader, 2, 8);
  reader.forget_before(2);
  std::vector<std::byte> out(8);
  auto got = reader.read(1, out);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error(), EINVAL);
}

TEST_F(BlockReaderTest, NetasciiBlockAheadOfTheCursorsIsRefused) {
  const auto& file = file_with(pattern_text(100));
  BlockReader reader(file, Mode::netascii, 8);
  std::vector<std::byte> out(8);
  auto got = reader.read(3, out);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error(), EINVAL);
}

}  // namespace
}  // namespace pxed::tftp
