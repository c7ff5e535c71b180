#include "tftp/negotiation.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace pxed::tftp {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kSize = 42372;  // lpxelinux.0

NegotiationLimits limits(std::uint32_t blksize_max = 1468, std::uint16_t windowsize_max = 16) {
  return {.blksize_max = blksize_max, .windowsize_max = windowsize_max};
}

std::string accepted(const Negotiated& n, std::string_view name) {
  const auto* v = find_option(n.accepted, name);
  return v ? *v : "<absent>";
}

TEST(TftpNegotiation, NoOptionsAcceptsNothingAndSendsNoOack) {
  auto n = negotiate({}, kSize, limits());
  EXPECT_TRUE(n.accepted.empty());
  EXPECT_EQ(n.blksize, kDefaultBlksize);
  EXPECT_EQ(n.windowsize, 1);
  EXPECT_FALSE(n.timeout);
  EXPECT_FALSE(n.tsize);
}

TEST(TftpNegotiation, BlksizeWithinCapIsAnsweredAsAsked) {
  auto n = negotiate({{"blksize", "1456"}}, kSize, limits(1468));
  EXPECT_EQ(n.blksize, 1456u);
  EXPECT_EQ(accepted(n, "blksize"), "1456");
}

TEST(TftpNegotiation, BlksizeAtCapIsAnsweredAsAsked) {
  auto n = negotiate({{"blksize", "1468"}}, kSize, limits(1468));
  EXPECT_EQ(n.blksize, 1468u);
  EXPECT_EQ(accepted(n, "blksize"), "1468");
}

TEST(TftpNegotiation, BlksizeAboveCapIsAnsweredWithCap) {
  auto n = negotiate({{"blksize", "8192"}}, kSize, limits(1468));
  EXPECT_EQ(n.blksize, 1468u);
  EXPECT_EQ(accepted(n, "blksize"), "1468");
}

TEST(TftpNegotiation, BlksizeNeverRaisesTheClientsValue) {
  // FIRMWARE.md 19: shim asks for 512 and must get 512, whatever the cap.
  for (std::uint32_t cap : {512u, 1468u, 65464u}) {
    auto n = negotiate({{"blksize", "512"}}, kSize, limits(cap));
    EXPECT_EQ(n.blksize, 512u) << "cap " << cap;
    EXPECT_EQ(accepted(n, "blksize"), "512");
  }
  auto n = negotiate({{"blksize", "8"}}, kSize, limits(65464));
  EXPECT_EQ(n.blksize, 8u);
}

TEST(TftpNegotiation, BlksizeBelowEightIsIgnored) {
  for (const char* v : {"0", "1", "7"}) {
    auto n = negotiate({{"blksize", v}}, kSize, limits());
    EXPECT_EQ(n.blksize, kDefaultBlksize) << v;
    EXPECT_TRUE(n.accepted.empty()) << v;
  }
}

TEST(TftpNegotiation, NonNumericBlksizeIsIgnored) {
  for (const char* v : {"", "abc", "1468x", " 1468", "-1", "+1468", "0x5bc", "1e3"}) {
    auto n = negotiate({{"blksize", v}}, kSize, limits());
    EXPECT_EQ(n.blksize, kDefaultBlksize) << '"' << v << '"';
    EXPECT_TRUE(n.accepted.empty()) << '"' << v << '"';
  }
}

TEST(TftpNegotiation, BlksizeMaximumIs65464) {
  auto n = negotiate({{"blksize", "65464"}}, kSize, limits(65464));
  EXPECT_EQ(n.blksize, kMaxBlksize);
  EXPECT_EQ(accepted(n, "blksize"), "65464");

  n = negotiate({{"blksize", "65465"}}, kSize, limits(65464));
  EXPECT_EQ(n.blksize, kMaxBlksize);
  EXPECT_EQ(accepted(n, "blksize"), "65464");

  // A cap configured above the RFC limit is still held to it.
  n = negotiate({{"blksize", "70000"}}, kSize, limits(100000));
  EXPECT_EQ(n.blksize, kMaxBlksize);
  EXPECT_EQ(accepted(n, "blksize"), "65464");
}

TEST(TftpNegotiation, TsizeAnswersTheRealSize) {
  auto n = negotiate({{"tsize", "0"}}, kSize, limits());
  EXPECT_TRUE(n.tsize);
  EXPECT_EQ(accepted(n, "tsize"), "42372");

  n = negotiate({{"tsize", "0"}}, 0, limits());
  EXPECT_EQ(accepted(n, "tsize"), "<absent>");  // curl aborts on "tsize 0"
  EXPECT_FALSE(n.tsize);

  n = negotiate({{"tsize", "0"}}, 5'000'000'000ull, limits());
  EXPECT_EQ(accepted(n, "tsize"), "5000000000");
}

TEST(TftpNegotiation, TsizeIsLeftOutWhenTheSizeIsNotKnownBeforehand) {
  // netascii (RFC 2349 lets a server omit it); the other options still count.
  auto n = negotiate({{"tsize", "0"}, {"blksize", "1024"}}, std::nullopt, limits());
  EXPECT_FALSE(n.tsize);
  EXPECT_EQ(accepted(n, "tsize"), "<absent>");
  EXPECT_EQ(n.blksize, 1024u);
}

TEST(TftpNegotiation, TimeoutInRangeIsEchoedVerbatim) {
  for (const char* v : {"1", "5", "255", "007"}) {
    auto n = negotiate({{"timeout", v}}, kSize, limits());
    ASSERT_TRUE(n.timeout) << v;
    EXPECT_EQ(*n.timeout, std::chrono::seconds(std::stoi(v)));
    EXPECT_EQ(accepted(n, "timeout"), v);  // RFC 2349: the same value, or nothing
  }
}

TEST(TftpNegotiation, TimeoutOutOfRangeIsIgnored) {
  for (const char* v : {"0", "256", "100000", "x"}) {
    auto n = negotiate({{"timeout", v}}, kSize, limits());
    EXPECT_FALSE(n.timeout) << v;
    EXPECT_TRUE(n.accepted.empty()) << v;
  }
}

TEST(TftpNegotiation, WindowsizeWithinLimitIsAccepted) {
  auto n = negotiate({{"windowsize", "8"}}, kSize, limits(1468, 16));
  EXPECT_EQ(n.windowsize, 8);
  EXPECT_EQ(accepted(n, "windowsize"), "8");
}

TEST(TftpNegotiation, NetasciiTransferIsLockStepWhateverItAsks) {
  // The bad client of bench/storm: netascii for a huge file with a window of 8.
  auto n = negotiate({{"blksize", "1468"}, {"windowsize", "8"}}, std::nullopt, limits(1468, 16), Mode::netascii);
  EXPECT_EQ(n.windowsize, 1);
  EXPECT_EQ(accepted(n, "windowsize"), "<absent>");
  EXPECT_EQ(accepted(n, "blksize"), "1468");  // the other options as for octet
  EXPECT_EQ(negotiate({{"windowsize", "8"}}, kSize, limits(1468, 16), Mode::octet).windowsize, 8);
}

TEST(TftpNegotiation, WindowsizeIsCappedByWindowsizeMax) {
  auto n = negotiate({{"windowsize", "64"}}, kSize, limits(1468, 16));
  EXPECT_EQ(n.windowsize, 16);
  EXPECT_EQ(accepted(n, "windowsize"), "16");
}

TEST(TftpNegotiation, WindowsizeZeroIsIgnored) {
  auto n = negotiate({{"windowsize", "0"}}, kSize, limits());
  EXPECT_EQ(n.windowsize, 1);
  EXPECT_TRUE(n.accepted.empty());
}

TEST(TftpNegotiation, WindowsizeIsCappedByWindowBytes) {
  // 256 KiB / 65464 = 4 blocks in flight at most.
  auto n = negotiate({{"blksize", "65464"}, {"windowsize", "64"}}, kSize, limits(65464, 64));
  EXPECT_EQ(n.blksize, 65464u);
  EXPECT_EQ(n.windowsize, 4);
  EXPECT_EQ(accepted(n, "windowsize"), "4");
  EXPECT_LE(std::uint64_t{n.windowsize} * n.blksize, kMaxWindowBytes);
}

TEST(TftpNegotiation, WindowsizeBeforeBlksizeIsStillCapped) {
  auto n = negotiate({{"windowsize", "64"}, {"blksize", "65464"}}, kSize, limits(65464, 64));
  EXPECT_EQ(n.blksize, 65464u);
  EXPECT_EQ(n.windowsize, 4);
  ASSERT_EQ(n.accepted.size(), 2u);
  EXPECT_EQ(n.accepted[0], (std::pair<std::string, std::string>{"windowsize", "4"}));
  EXPECT_EQ(n.accepted[1], (std::pair<std::string, std::string>{"blksize", "65464"}));
}

TEST(TftpNegotiation, WindowBytesUseTheNegotiatedNotTheRequestedBlksize) {
  // The client asks for 65464 but the cap gives 1468; 256 KiB / 1468 = 178 blocks,
  // so windowsize_max (64) binds, not the 4 that 65464-byte blocks would allow.
  auto n = negotiate({{"windowsize", "64"}, {"blksize", "65464"}}, kSize, limits(1468, 64));
  EXPECT_EQ(n.blksize, 1468u);
  EXPECT_EQ(n.windowsize, 64);
  EXPECT_EQ(accepted(n, "windowsize"), "64");
}

TEST(TftpNegotiation, OackKeepsTheClientsOptionOrder) {
  Options requested{{"tsize", "0"}, {"windowsize", "4"}, {"timeout", "3"}, {"blksize", "1408"}};
  auto n = negotiate(requested, kSize, limits());
  ASSERT_EQ(n.accepted.size(), 4u);
  EXPECT_EQ(n.accepted[0].first, "tsize");
  EXPECT_EQ(n.accepted[1].first, "windowsize");
  EXPECT_EQ(n.accepted[2].first, "timeout");
  EXPECT_EQ(n.accepted[3].first, "blksize");
  EXPECT_EQ(n.accepted[0].second, "42372");
  EXPECT_EQ(n.accepted[1].second, "4");
  EXPECT_EQ(n.accepted[2].second, "3");
  EXPECT_EQ(n.accepted[3].second, "1408");
  EXPECT_EQ(n.timeout, 3s);
}

TEST(TftpNegotiation, UnknownOptionsAreIgnored) {
  Options requested{{"multicast", ""}, {"rollover", "0"}, {"blksize", "1024"}, {"utimeout", "500000"}};
  auto n = negotiate(requested, kSize, limits());
  ASSERT_EQ(n.accepted.size(), 1u);
  EXPECT_EQ(n.accepted[0], (std::pair<std::string, std::string>{"blksize", "1024"}));
}

TEST(TftpNegotiation, HugeNumbersAreIgnoredNotWrapped) {
  // 2^64 + 512 would wrap to 512 if parsed carelessly.
  auto n = negotiate({{"blksize", "18446744073709552128"}, {"windowsize", "18446744073709551617"}}, kSize,
                     limits());
  EXPECT_EQ(n.blksize, kDefaultBlksize);
  EXPECT_EQ(n.windowsize, 1);
  EXPECT_TRUE(n.accepted.empty());
}

}  // namespace
}  // namespace pxed::tftp
