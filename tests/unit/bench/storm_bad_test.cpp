#include "storm/bad.hpp"

#include <gtest/gtest.h>

#include "tftp/packet.hpp"

namespace pxed::storm {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(StormBad, KindsParseBackFromTheirNames) {
  for (auto kind : {BadKind::netascii, BadKind::slow_http, BadKind::dhcp_flood}) {
    EXPECT_EQ(parse_bad_kind(name_of(kind)), kind);
  }
  EXPECT_FALSE(parse_bad_kind("slow_http"));
  EXPECT_FALSE(parse_bad_kind(""));
}

TEST(StormBad, PaceIsTheRateUntilItsCeiling) {
  const Pace pace{.per_second = 1000, .limit = 2500};
  EXPECT_EQ(pace.due(seconds{0}), 0u);
  EXPECT_EQ(pace.due(milliseconds{1}), 1u);
  EXPECT_EQ(pace.due(milliseconds{1999}), 1999u);
  EXPECT_EQ(pace.due(seconds{3}), 2500u);
  EXPECT_EQ(pace.due(std::chrono::hours{1000000}), 2500u);  // no overflow past the ceiling
  EXPECT_EQ(pace.due(-seconds{1}), 0u);                      // a clock read before the start
}

TEST(StormBad, PaceWithoutARateIsBackToBackUpToItsCeiling) {
  const Pace pace{.per_second = 0, .limit = 7};
  EXPECT_EQ(pace.due(seconds{0}), 7u);
}

TEST(StormBad, EveryKindIsBounded) {
  for (auto kind : {BadKind::netascii, BadKind::slow_http, BadKind::dhcp_flood}) {
    const auto& bad = bad_client_of(kind);
    EXPECT_EQ(bad.kind, kind);
    EXPECT_GT(bad.pace.limit, 0u) << name_of(kind);
    EXPECT_LT(bad.pace.limit, 1ull << 40) << name_of(kind);
  }
}

TEST(StormBad, NetasciiClientAsksNetasciiWithAWindow) {
  const auto& bad = bad_client_of(BadKind::netascii);
  TftpReceiver rx("storm/initrd.img", bad.ask);
  auto rrq = tftp::decode(rx.request());
  ASSERT_TRUE(rrq);
  const auto* request = std::get_if<tftp::Request>(&*rrq);
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->mode, tftp::Mode::netascii);
  EXPECT_EQ(tftp::find_option(request->options, "windowsize") != nullptr, true);
  // The storm's firmware still reads octet.
  TftpReceiver firmware("lpxelinux.0", tftp_of(Firmware::bios).loader);
  auto octet = tftp::decode(firmware.request());
  ASSERT_TRUE(octet);
  EXPECT_EQ(std::get<tftp::Request>(*octet).mode, tftp::Mode::octet);
}

TEST(StormBad, SlowReaderHoldsItsConnectionLongerThanAStorm) {
  const auto& bad = bad_client_of(BadKind::slow_http);
  // 50 MiB at its pace takes longer than storm.sh's 600 s deadline.
  EXPECT_LT(bad.pace.due(seconds{600}), 50ull << 20);
  EXPECT_GT(bad.receive_buffer, 0u);
}

TEST(StormBad, ReportIsOneLineWithQuotesKeptOutOfTheReason) {
  BadTally tally{.sent = 5, .answers = 4, .bytes = 100, .errors = 1, .first_error = "HTTP \"503\"\nbusy"};
  EXPECT_EQ(bad_report_text(BadKind::dhcp_flood, tally, 12.345),
            "bad kind=dhcp-flood seconds=12.3 sent=5 answers=4 bytes=100 errors=1 first_error=\"HTTP '503' busy\"\n");
}

}  // namespace
}  // namespace pxed::storm
