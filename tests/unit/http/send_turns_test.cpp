#include "http/send_turns.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace pxed::http {
namespace {

constexpr std::uint64_t kMiB = 1 << 20;
using Senders = std::vector<SendTurns::Sender>;

TEST(SendTurns, SendsUpToTheBudgetThenQueuesUntilTheNextTurn) {
  SendTurns t(2 * kMiB);
  EXPECT_TRUE(t.ask(1, kMiB));
  EXPECT_TRUE(t.ask(2, kMiB));
  EXPECT_FALSE(t.ask(3, kMiB));
  EXPECT_FALSE(t.ask(4, kMiB));
  EXPECT_FALSE(t.ask(5, kMiB));
  EXPECT_EQ(t.waiters(), 3u);
  EXPECT_EQ(t.next_turn(), (Senders{3, 4}));
  EXPECT_EQ(t.next_turn(), (Senders{5}));
  EXPECT_FALSE(t.waiting());
}

TEST(SendTurns, AStormOfReadyDownloadsSendsOneBudgetPerTurnInTheOrderTheyAsked) {
  // 500 downloads ready at once: every turn (one look at DHCP's and TFTP's
  // sockets) comes after 2 MiB of sends, not after 500 MiB.
  SendTurns t(2 * kMiB);
  std::uint64_t first_turn = 0;
  for (SendTurns::Sender s = 0; s < 500; ++s) first_turn += t.ask(s, kMiB) ? kMiB : 0;
  EXPECT_EQ(first_turn, 2 * kMiB);
  SendTurns::Sender expected = 2;
  for (int turn = 0; turn < 249; ++turn) {
    auto go = t.next_turn();
    ASSERT_EQ(go.size(), 2u);
    EXPECT_EQ(go[0], expected++);
    EXPECT_EQ(go[1], expected++);
    EXPECT_LE(t.spent(), 2 * kMiB);
  }
  EXPECT_FALSE(t.waiting());
}

TEST(SendTurns, AnAskBiggerThanTheBudgetStillGoesAloneInATurn) {
  SendTurns t(kMiB);
  EXPECT_TRUE(t.ask(1, 4 * kMiB));
  EXPECT_FALSE(t.ask(2, 4 * kMiB));
  EXPECT_EQ(t.next_turn(), (Senders{2}));
}

TEST(SendTurns, ALaterAskNeverOvertakesOneThatWaits) {
  SendTurns t(2 * kMiB);
  EXPECT_TRUE(t.ask(1, 2 * kMiB));
  EXPECT_FALSE(t.ask(2, kMiB));
  EXPECT_EQ(t.next_turn(), (Senders{2}));
  // Room is left in this turn, but a small ask behind a waiting one waits too.
  EXPECT_FALSE(t.ask(3, 2 * kMiB));
  EXPECT_FALSE(t.ask(4, 1));
  EXPECT_EQ(t.next_turn(), (Senders{3}));
  EXPECT_EQ(t.next_turn(), (Senders{4}));
}

TEST(SendTurns, AForgottenSenderIsNotNamed) {
  SendTurns t(kMiB);
  EXPECT_TRUE(t.ask(1, kMiB));
  EXPECT_FALSE(t.ask(2, kMiB));
  EXPECT_FALSE(t.ask(3, kMiB));
  t.forget(2);
  EXPECT_EQ(t.next_turn(), (Senders{3}));
}

TEST(SendTurns, ZeroMeansNoLimit) {
  SendTurns t(0);
  for (SendTurns::Sender s = 0; s < 100; ++s) EXPECT_TRUE(t.ask(s, kMiB));
  EXPECT_FALSE(t.waiting());
}

}  // namespace
}  // namespace pxed::http
