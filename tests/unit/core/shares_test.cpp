#include "core/shares.hpp"

#include <gtest/gtest.h>

namespace pxed::core {
namespace {

using Verdict = Shares::Verdict;

constexpr Shares::Client kA = 1, kB = 2, kC = 3;

TEST(Shares, AdmitsUpToTheTotalThenRefusesBusyWhileEveryHolderIsProven) {
  Shares s({.total = 2, .per_client = 0, .grace_ms = 0});
  EXPECT_EQ(s.admit(0, kA, 1).verdict, Verdict::admitted);
  EXPECT_EQ(s.admit(0, kB, 2).verdict, Verdict::admitted);
  s.proven(1);
  s.proven(2);
  auto third = s.admit(10'000, kC, 3);
  EXPECT_EQ(third.verdict, Verdict::busy);
  EXPECT_FALSE(third.evict);
  s.release(1);
  EXPECT_EQ(s.admit(10'000, kC, 3).verdict, Verdict::admitted);
  EXPECT_EQ(s.held(), 2u);
}

TEST(Shares, AClientPastItsShareIsRefusedWhileOthersAreAdmitted) {
  Shares s({.total = 10, .per_client = 2, .grace_ms = 0});
  EXPECT_EQ(s.admit(0, kA, 1).verdict, Verdict::admitted);
  EXPECT_EQ(s.admit(0, kA, 2).verdict, Verdict::admitted);
  EXPECT_EQ(s.admit(0, kA, 3).verdict, Verdict::client_busy);
  EXPECT_EQ(s.admit(0, kB, 4).verdict, Verdict::admitted);
  EXPECT_EQ(s.held_by(kA), 2u);
  s.release(1);
  EXPECT_EQ(s.held_by(kA), 1u);
  EXPECT_EQ(s.admit(0, kA, 3).verdict, Verdict::admitted);
}

// The attack: a flood of requests from forged addresses fills every slot and never
// acknowledges; a real machine arriving next takes the oldest of them.
TEST(Shares, WhenFullTheOldestUnprovenHolderPastItsGraceMakesRoom) {
  Shares s({.total = 3, .per_client = 0, .grace_ms = 1000});
  ASSERT_EQ(s.admit(0, 100, 1).verdict, Verdict::admitted);
  ASSERT_EQ(s.admit(100, 101, 2).verdict, Verdict::admitted);
  ASSERT_EQ(s.admit(200, 102, 3).verdict, Verdict::admitted);
  // Within the grace of every holder: a slow first round trip is not pushed out.
  EXPECT_EQ(s.admit(900, kA, 4).verdict, Verdict::busy);
  auto a = s.admit(1050, kA, 4);
  EXPECT_EQ(a.verdict, Verdict::admitted);
  EXPECT_EQ(a.evict, 1u);
  EXPECT_EQ(s.held(), 3u);
  EXPECT_EQ(s.held_by(100), 0u);
  // Proven holders are never taken: only 3 was left unproven and old enough.
  s.proven(2);
  s.proven(4);
  auto b = s.admit(5000, kB, 5);
  EXPECT_EQ(b.evict, 3u);
  EXPECT_EQ(s.admit(5000, kC, 6).verdict, Verdict::busy);
}

TEST(Shares, AnIdAlreadyHeldIsNotAdmittedTwiceAndUnknownReleasesAreIgnored) {
  Shares s({.total = 0, .per_client = 0, .grace_ms = 0});
  EXPECT_EQ(s.admit(0, kA, 1).verdict, Verdict::admitted);
  EXPECT_EQ(s.admit(0, kA, 1).verdict, Verdict::busy);
  s.release(42);
  s.proven(42);
  EXPECT_EQ(s.held(), 1u);
  EXPECT_EQ(to_string(Verdict::client_busy), "client-busy");
}

}  // namespace
}  // namespace pxed::core
