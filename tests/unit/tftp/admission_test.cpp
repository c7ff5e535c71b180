#include "tftp/admission.hpp"

#include <gtest/gtest.h>

#include <string_view>

namespace pxed::tftp {
namespace {

using V = Admission::Verdict;

using namespace std::string_view_literals;
// RRQs as they arrive (RFC 1350 §5): the bytes are what a resend repeats.
constexpr auto kLoader = "\x00\x01lpxelinux.0\x00octet\x00"sv;
constexpr auto kProbe = "\x00\x01syslinux.efi\x00octet\x00tsize\x00" "0\x00"sv;
constexpr auto kFetch = "\x00\x01syslinux.efi\x00octet\x00"sv;

AdmissionLimits limits(std::size_t total, std::size_t per_client = 0, std::int64_t memory_ms = 3000) {
  return AdmissionLimits{.shares = {.total = total, .per_client = per_client, .grace_ms = 2000},
                         .resent_memory_ms = memory_ms};
}

TEST(TftpAdmission, StartsATransferForANewRequest) {
  Admission a(limits(10));
  auto d = a.on_request(0, 1, 100, kLoader);
  EXPECT_EQ(d.verdict, V::start);
  EXPECT_FALSE(d.evict);
  EXPECT_EQ(a.in_flight(), 1u);
}

TEST(TftpAdmission, ARequestResentWhileItsTransferRunsStartsNothing) {
  Admission a(limits(10));
  ASSERT_EQ(a.on_request(0, 1, 100, kLoader).verdict, V::start);
  EXPECT_EQ(a.on_request(660, 1, 100, kLoader).verdict, V::resent);
  EXPECT_EQ(a.in_flight(), 1u);
  EXPECT_EQ(a.shares().held(), 1u);
}

TEST(TftpAdmission, ARequestResentJustAfterItsTransferEndedStartsNothing) {
  // A short file (a config, a tsize probe) is done before the copy queued behind the first RRQ is read.
  Admission a(limits(10));
  ASSERT_EQ(a.on_request(0, 1, 100, kProbe).verdict, V::start);
  a.finished(50, 1, true);
  EXPECT_EQ(a.shares().held(), 0u);
  EXPECT_EQ(a.on_request(700, 1, 100, kProbe).verdict, V::resent);
  EXPECT_EQ(a.shares().held(), 0u);
}

TEST(TftpAdmission, ADifferentRequestFromTheSamePortAfterTheEndIsServed) {
  // EDK2 asks tsize, aborts, then fetches without tsize (FIRMWARE.md 18): never taken for a resend.
  Admission a(limits(10));
  ASSERT_EQ(a.on_request(0, 1, 100, kProbe).verdict, V::start);
  a.finished(10, 1, true);
  EXPECT_EQ(a.on_request(20, 1, 100, kFetch).verdict, V::start);
  a.finished(30, 1, true);
  EXPECT_EQ(a.on_request(40, 1, 100, kFetch).verdict, V::resent);
  EXPECT_EQ(a.on_request(41, 1, 100, kProbe).verdict, V::start);
}

TEST(TftpAdmission, TheSameRequestIsServedAgainOnceTheMemoryHasPassed) {
  Admission a(limits(10, 0, 3000));
  ASSERT_EQ(a.on_request(0, 1, 100, kLoader).verdict, V::start);
  a.finished(100, 1, true);
  EXPECT_EQ(a.on_request(3099, 1, 100, kLoader).verdict, V::resent);
  EXPECT_EQ(a.on_request(3100, 1, 100, kLoader).verdict, V::start);
  EXPECT_EQ(a.remembered(), 0u);
}

TEST(TftpAdmission, ARequestThatNeverBecameATransferIsNotRemembered) {
  Admission a(limits(10));
  ASSERT_EQ(a.on_request(0, 1, 100, kLoader).verdict, V::start);
  a.finished(1, 1, false);  // the open was refused: the client's retry must be looked at again
  EXPECT_EQ(a.on_request(2, 1, 100, kLoader).verdict, V::start);
}

TEST(TftpAdmission, AFullServerDropsANewRequestAndAdmitsItsRetryOnceASlotFrees) {
  Admission a(limits(2));
  ASSERT_EQ(a.on_request(0, 1, 100, kLoader).verdict, V::start);
  ASSERT_EQ(a.on_request(0, 2, 101, kLoader).verdict, V::start);
  a.proven(1);
  a.proven(2);
  EXPECT_EQ(a.on_request(10, 3, 102, kLoader).verdict, V::busy);
  EXPECT_EQ(a.in_flight(), 2u);
  EXPECT_EQ(a.on_request(670, 3, 102, kLoader).verdict, V::busy);  // the firmware's retry, still full
  a.finished(900, 1, true);
  EXPECT_EQ(a.on_request(1330, 3, 102, kLoader).verdict, V::start);
}

TEST(TftpAdmission, AClientOverItsShareIsToldSo) {
  Admission a(limits(10, 1));
  ASSERT_EQ(a.on_request(0, 1, 100, kLoader).verdict, V::start);
  EXPECT_EQ(a.on_request(0, 2, 100, kLoader).verdict, V::client_busy);
}

TEST(TftpAdmission, AnUnprovenTransferPastItsGraceGivesItsSlotAndIsForgotten) {
  Admission a(limits(1));
  ASSERT_EQ(a.on_request(0, 1, 100, kLoader).verdict, V::start);
  auto d = a.on_request(2500, 2, 101, kLoader);
  EXPECT_EQ(d.verdict, V::start);
  ASSERT_TRUE(d.evict);
  EXPECT_EQ(*d.evict, 1u);
  a.finished(2600, 1, true);  // the evicted transfer ends later: it neither frees 2's slot nor is remembered
  EXPECT_EQ(a.shares().held(), 1u);
  EXPECT_EQ(a.on_request(2700, 1, 100, kLoader).verdict, V::busy);
}

TEST(TftpAdmission, TheMemoryOfFinishedRequestsIsBounded) {
  auto l = limits(0);
  l.resent_memory_entries = 2;
  Admission a(l);
  for (Admission::Key k = 1; k <= 3; ++k) {
    ASSERT_EQ(a.on_request(0, k, k, kLoader).verdict, V::start);
    a.finished(1, k, true);
  }
  EXPECT_EQ(a.remembered(), 2u);
  EXPECT_EQ(a.on_request(2, 1, 1, kLoader).verdict, V::start);  // the oldest was forgotten
  EXPECT_EQ(a.on_request(2, 3, 3, kLoader).verdict, V::resent);
}

TEST(TftpAdmission, APortThatFinishesTwiceIsRememberedUntilItsLastEnd) {
  Admission a(limits(0, 0, 1000));
  ASSERT_EQ(a.on_request(0, 1, 100, kProbe).verdict, V::start);
  a.finished(0, 1, true);
  ASSERT_EQ(a.on_request(500, 1, 100, kFetch).verdict, V::start);
  a.finished(900, 1, true);
  EXPECT_EQ(a.on_request(1200, 1, 100, kFetch).verdict, V::resent);  // the first entry's expiry leaves the second
}

}  // namespace
}  // namespace pxed::tftp
