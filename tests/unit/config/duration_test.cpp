#include "config/duration.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pxed::config {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

TEST(ConfigDuration, ParsesEveryUnit) {
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("2s"), 2s);
  EXPECT_EQ(parse_duration("5m"), 5min);
  EXPECT_EQ(parse_duration("12h"), 12h);
  EXPECT_EQ(parse_duration("1d"), 24h);
}

TEST(ConfigDuration, ZeroIsADurationAndRangesAreTheCallersJob) {
  EXPECT_EQ(parse_duration("0s"), 0ms);
}

TEST(ConfigDuration, BareNumberIsRejectedBecauseTheUnitWouldBeAGuess) {
  auto d = parse_duration("5");
  ASSERT_FALSE(d);
  EXPECT_THAT(d.error(), HasSubstr("has no unit"));
  EXPECT_THAT(d.error(), HasSubstr("\"5s\""));
}

TEST(ConfigDuration, FractionIsRejectedWithTheSmallerUnitToUse) {
  auto d = parse_duration("1.5s");
  ASSERT_FALSE(d);
  EXPECT_THAT(d.error(), HasSubstr("whole number"));
  EXPECT_THAT(d.error(), HasSubstr("1500ms"));
}

TEST(ConfigDuration, NegativeIsRejected) {
  auto d = parse_duration("-1s");
  ASSERT_FALSE(d);
  EXPECT_THAT(d.error(), HasSubstr("negative"));
}

TEST(ConfigDuration, UnitWithoutNumberIsRejected) {
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_FALSE(parse_duration("ms"));
  EXPECT_FALSE(parse_duration("+5s"));
  EXPECT_FALSE(parse_duration(" 5s"));
}

TEST(ConfigDuration, EmptyIsRejected) {
  auto d = parse_duration("");
  ASSERT_FALSE(d);
  EXPECT_THAT(d.error(), HasSubstr("empty"));
}

TEST(ConfigDuration, UnknownOrTrailingUnitIsRejectedNamingTheUnits) {
  auto d = parse_duration("5sec");
  ASSERT_FALSE(d);
  EXPECT_THAT(d.error(), HasSubstr("unknown unit \"sec\""));
  EXPECT_THAT(d.error(), HasSubstr("ms, s, m, h or d"));
  EXPECT_FALSE(parse_duration("5 s"));
  EXPECT_FALSE(parse_duration("5s5"));
  EXPECT_FALSE(parse_duration("1e3ms"));
}

TEST(ConfigDuration, OverflowIsRejectedNotWrapped) {
  EXPECT_THAT(parse_duration("99999999999999999999ms").error(), HasSubstr("too large"));
  EXPECT_THAT(parse_duration("9223372036854775807d").error(), HasSubstr("too large"));
  // The largest value that fits is still accepted.
  EXPECT_EQ(parse_duration("9223372036854775807ms"), std::chrono::milliseconds::max());
}

TEST(ConfigDuration, FormatsInTheLargestExactUnit) {
  EXPECT_EQ(format_duration(1500ms), "1500ms");
  EXPECT_EQ(format_duration(60s), "1m");
  EXPECT_EQ(format_duration(255s), "255s");
  EXPECT_EQ(format_duration(1h), "1h");
  EXPECT_EQ(format_duration(48h), "2d");
  EXPECT_EQ(format_duration(0ms), "0ms");
}

TEST(ConfigDuration, FormatThenParseRoundTrips) {
  for (std::chrono::milliseconds d :
       std::initializer_list<std::chrono::milliseconds>{1ms, 999ms, 1000ms, 90s, 3600s, 72h}) {
    EXPECT_EQ(parse_duration(format_duration(d)), d) << format_duration(d);
  }
}

}  // namespace
}  // namespace pxed::config
