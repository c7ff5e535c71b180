#include "http/request_logic.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace pxed::http {
namespace {

using namespace std::chrono;

// ---- percent-decoding and the request-target ----

TEST(PercentDecode, DecodesEscapesInEitherCaseAndKeepsPlus) {
  EXPECT_EQ(percent_decode("/a%20b%2Fc%2fd+e"), "/a b/c/d+e");
  EXPECT_EQ(percent_decode("%2e%2E/"), "../");
  EXPECT_EQ(percent_decode(""), "");
  EXPECT_EQ(percent_decode("%ff"), "\xff");
}

TEST(PercentDecode, RefusesTruncatedAndNonHexEscapes) {
  for (auto bad : {"%", "%2", "/x%", "/x%4", "%zz", "%g0", "%0g", "%%41"}) {
    SCOPED_TRACE(bad);
    auto r = percent_decode(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), TargetError::bad_escape);
  }
}

TEST(PercentDecode, RefusesNulEscapedOrRaw) {
  EXPECT_EQ(percent_decode("/a%00b").error(), TargetError::nul_byte);
  EXPECT_EQ(percent_decode(std::string_view("/a\0b", 4)).error(), TargetError::nul_byte);
}

TEST(TargetPath, DropsQueryAndFragmentBeforeDecoding) {
  EXPECT_EQ(target_path("/boot.ipxe?mac=52:54:00"), "/boot.ipxe");
  EXPECT_EQ(target_path("/a%3Fb?x"), "/a?b");  // an escaped '?' is part of the name
  EXPECT_EQ(target_path("/a#frag"), "/a");
  EXPECT_EQ(target_path("/"), "/");
}

TEST(QueryOf, KeepsTheRawQueryWithoutTheFragment) {
  EXPECT_EQ(query_of("/boot.ipxe?mac=52:54:00:12:34:56&uuid=x#frag"), "mac=52:54:00:12:34:56&uuid=x");
  EXPECT_EQ(query_of("/boot.ipxe"), "");
  EXPECT_EQ(query_of("/a#?b"), "");
}

TEST(TargetPath, AcceptsAbsoluteFormAndKeepsOnlyThePath) {
  EXPECT_EQ(target_path("http://10.0.0.1:8080/x/y.efi?z"), "/x/y.efi");
  EXPECT_EQ(target_path("HTTP://host"), "/");
  EXPECT_EQ(target_path("http://host?q"), "/");
}

TEST(TargetPath, RefusesOtherForms) {
  EXPECT_EQ(target_path("*").error(), TargetError::not_origin_form);
  EXPECT_EQ(target_path("x/y").error(), TargetError::not_origin_form);
  EXPECT_EQ(target_path("").error(), TargetError::not_origin_form);
  EXPECT_EQ(target_path("/a%zz").error(), TargetError::bad_escape);
}

// ---- Range ----

void expect_partial(std::string_view header, std::uint64_t size, std::uint64_t first, std::uint64_t length) {
  SCOPED_TRACE(std::string(header) + " of " + std::to_string(size));
  auto s = select_range(header, size);
  ASSERT_EQ(s.outcome, RangeOutcome::partial);
  EXPECT_EQ(s.range.first, first);
  EXPECT_EQ(s.range.length, length);
}

void expect_outcome(std::string_view header, std::uint64_t size, RangeOutcome outcome) {
  SCOPED_TRACE(std::string(header) + " of " + std::to_string(size));
  auto s = select_range(header, size);
  EXPECT_EQ(s.outcome, outcome);
  if (outcome == RangeOutcome::whole) {
    EXPECT_EQ(s.range.first, 0u);
    EXPECT_EQ(s.range.length, size);
  }
}

TEST(SelectRange, FirstLastForms) {
  expect_partial("bytes=0-0", 100, 0, 1);
  expect_partial("bytes=0-99", 100, 0, 100);
  expect_partial("bytes=10-19", 100, 10, 10);
  expect_partial("bytes=99-99", 100, 99, 1);
  expect_partial("bytes=50-1000", 100, 50, 50);  // last clamped to the end
  expect_partial("Bytes = 1-2", 100, 1, 2);      // unit is case-insensitive, OWS allowed
}

TEST(SelectRange, OpenEndedAndSuffixForms) {
  expect_partial("bytes=10-", 100, 10, 90);
  expect_partial("bytes=0-", 1, 0, 1);
  expect_partial("bytes=-10", 100, 90, 10);
  expect_partial("bytes=-100", 100, 0, 100);
  expect_partial("bytes=-1000", 100, 0, 100);
}

TEST(SelectRange, StartsBeyondTheEndAreUnsatisfiable) {
  expect_outcome("bytes=100-", 100, RangeOutcome::unsatisfiable);
  expect_outcome("bytes=100-200", 100, RangeOutcome::unsatisfiable);
  expect_outcome("bytes=0-", 0, RangeOutcome::unsatisfiable);
  expect_outcome("bytes=-0", 100, RangeOutcome::unsatisfiable);
  expect_outcome("bytes=-5", 0, RangeOutcome::unsatisfiable);
}

TEST(SelectRange, HugeNumbersSaturateInsteadOfWrapping) {
  // 2^64 + 5 would wrap to 5 without saturation.
  expect_outcome("bytes=18446744073709551621-", 100, RangeOutcome::unsatisfiable);
  expect_outcome("bytes=99999999999999999999999999-", 100, RangeOutcome::unsatisfiable);
  expect_partial("bytes=5-99999999999999999999999999", 100, 5, 95);
  expect_partial("bytes=-99999999999999999999999999", 100, 0, 100);
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  expect_partial("bytes=0-", kMax, 0, kMax);
}

TEST(SelectRange, InvalidOrOtherUnitsAreIgnored) {
  for (auto header : {"", "bytes", "bytes=", "bytes=-", "bytes=a-b", "bytes=5-4", "bytes=1-2-3",
                      "bytes=+1-2", "bytes=1- 2x", "items=0-1", "bytes 0-1", "bytes=0x10-"}) {
    expect_outcome(header, 100, RangeOutcome::whole);
  }
}

TEST(SelectRange, SeveralRangesAreIgnoredAndTheWholeFileSent) {
  expect_outcome("bytes=0-1,5-6", 100, RangeOutcome::whole);
  expect_outcome("bytes=0-1, -5", 100, RangeOutcome::whole);
  expect_outcome("bytes=200-300,400-", 100, RangeOutcome::whole);
}

TEST(ContentRange, FormatsBothForms) {
  EXPECT_EQ(content_range({10, 10}, 100), "bytes 10-19/100");
  EXPECT_EQ(content_range({0, 1}, 1), "bytes 0-0/1");
  EXPECT_EQ(unsatisfied_range(100), "bytes */100");
}

// ---- validators and conditional requests ----

TEST(Etag, IsQuotedSizeAndNanosecondsInHex) {
  EXPECT_EQ(make_etag(255, nanoseconds(4096)), "\"ff-1000\"");
  EXPECT_EQ(make_etag(0, nanoseconds(0)), "\"0-0\"");
  EXPECT_NE(make_etag(1, nanoseconds(1)), make_etag(1, nanoseconds(2)));
}

TEST(HttpDate, FormatsImfFixdateAndReadsItBack) {
  sys_seconds t = sys_days(1994y / November / 6) + 8h + 49min + 37s;
  EXPECT_EQ(format_http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), t);
  sys_seconds epoch{};
  EXPECT_EQ(format_http_date(epoch), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(parse_http_date(format_http_date(epoch)), epoch);
}

TEST(HttpDate, RejectsOtherFormsAndNonsense) {
  for (auto bad : {"", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                   "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 31 Feb 1994 08:49:37 GMT",
                   "Sun, 06 Nov 1994 24:00:00 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT",
                   "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 0x Nov 1994 08:49:37 GMT"}) {
    EXPECT_FALSE(parse_http_date(bad)) << bad;
  }
}

class Conditional : public ::testing::Test {
 protected:
  const std::string etag = "\"64-5f\"";
  const sys_seconds modified = sys_days(2024y / March / 1) + 12h;
  const std::string at = "Fri, 01 Mar 2024 12:00:00 GMT";
  const std::string before = "Fri, 01 Mar 2024 11:59:59 GMT";
};

TEST_F(Conditional, IfNoneMatchMatchesOneOfSeveralTagsWeakly) {
  EXPECT_TRUE(not_modified(etag, "", etag, modified));
  EXPECT_TRUE(not_modified("\"other\", " + etag, "", etag, modified));
  EXPECT_TRUE(not_modified("W/" + etag, "", etag, modified));
  EXPECT_TRUE(not_modified("*", "", etag, modified));
  EXPECT_FALSE(not_modified("\"other\"", "", etag, modified));
}

TEST_F(Conditional, IfNoneMatchWinsOverIfModifiedSince) {
  EXPECT_FALSE(not_modified("\"other\"", at, etag, modified));
}

TEST_F(Conditional, IfModifiedSinceComparesWholeSeconds) {
  EXPECT_TRUE(not_modified("", at, etag, modified));
  EXPECT_TRUE(not_modified("", "Sat, 02 Mar 2024 00:00:00 GMT", etag, modified));
  EXPECT_FALSE(not_modified("", before, etag, modified));
  EXPECT_FALSE(not_modified("", "garbage", etag, modified));
  EXPECT_FALSE(not_modified("", "", etag, modified));
}

TEST_F(Conditional, IfRangeNeedsTheSameStrongTagOrTheExactDate) {
  EXPECT_TRUE(if_range_allows("", etag, modified));
  EXPECT_TRUE(if_range_allows(etag, etag, modified));
  EXPECT_FALSE(if_range_allows("W/" + etag, etag, modified));
  EXPECT_FALSE(if_range_allows("\"other\"", etag, modified));
  EXPECT_TRUE(if_range_allows(at, etag, modified));
  EXPECT_FALSE(if_range_allows(before, etag, modified));
}

// ---- content types ----

TEST(ContentType, ComesFromTheExtensionTable) {
  EXPECT_EQ(content_type("/ipxe.efi"), "application/octet-stream");
  EXPECT_EQ(content_type("/lpxelinux.0"), "application/octet-stream");
  EXPECT_EQ(content_type("/undionly.kpxe"), "application/octet-stream");
  EXPECT_EQ(content_type("/menu.c32"), "application/octet-stream");
  EXPECT_EQ(content_type("/iso/debian.iso"), "application/x-iso9660-image");
  EXPECT_EQ(content_type("/grub/grub.cfg"), "text/plain");
  EXPECT_EQ(content_type("/README.TXT"), "text/plain");
  EXPECT_EQ(content_type("/boot.ipxe"), "text/plain");
  EXPECT_EQ(content_type("/index.html"), "text/html");
  EXPECT_EQ(content_type("/a.json"), "application/json");
}

TEST(ContentType, BootScriptsAndInstallFilesAreText) {
  EXPECT_EQ(content_type("/ks/db-01.ks"), "text/plain");
  EXPECT_EQ(content_type("/preseed.cfg"), "text/plain");
  EXPECT_EQ(content_type("/debian/preseed.seed"), "text/plain");
  EXPECT_EQ(content_type("/rocky9/.treeinfo"), "text/plain");
  EXPECT_EQ(content_type("/rocky9/repodata/repomd.xml"), "text/xml");
  EXPECT_EQ(content_type("/win/autounattend.XML"), "text/xml");
  EXPECT_EQ(content_type("/nocloud/user-data"), "text/plain");
  EXPECT_EQ(content_type("/nocloud/meta-data"), "text/plain");
  EXPECT_EQ(content_type("/pxelinux.cfg/default"), "text/plain");
  EXPECT_EQ(content_type("/pxelinux.cfg/01-52-54-00-12-34-56"), "text/plain");
  EXPECT_EQ(content_type("/autoinstall.yaml"), "text/plain");
}

TEST(ContentType, UnknownOrMissingExtensionIsOctetStream) {
  EXPECT_EQ(content_type("/vmlinuz"), "application/octet-stream");
  EXPECT_EQ(content_type("/initrd.img"), "application/octet-stream");
  EXPECT_EQ(content_type("/dir.cfg/vmlinuz"), "application/octet-stream");
  EXPECT_EQ(content_type("/trailing."), "application/octet-stream");
  EXPECT_EQ(content_type(""), "application/octet-stream");
}

}  // namespace
}  // namespace pxed::http

namespace pxed::http {
namespace {

TEST(HostProblem, TwoHostLinesAreRefusedInEveryVersionAndNoneOnlyInHttp11) {
  EXPECT_EQ(host_problem(11, 1), std::nullopt);
  EXPECT_EQ(host_problem(10, 0), std::nullopt);
  EXPECT_EQ(host_problem(11, 0), "no-host");
  EXPECT_EQ(host_problem(11, 2), "two-hosts");
  EXPECT_EQ(host_problem(10, 2), "two-hosts");
}

TEST(LoggedTarget, AnswersTokenNeverReachesTheLog) {
  EXPECT_EQ(logged_target("/pxed/v1/answers/52-54-00-12-34-56/ks.cfg?token=s3cret"),
            "/pxed/v1/answers/52-54-00-12-34-56/ks.cfg?token=-");
  EXPECT_EQ(logged_target("/boot.ipxe?mac=52:54:00:12:34:56&token=x&serial=1"), "/boot.ipxe?mac=52:54:00:12:34:56&token=-&serial=1");
  EXPECT_EQ(logged_target("/a?mytoken=1"), "/a?mytoken=1");
  EXPECT_EQ(logged_target("/a"), "/a");
  EXPECT_EQ(logged_target("/a?"), "/a?");
}

}  // namespace
}  // namespace pxed::http
