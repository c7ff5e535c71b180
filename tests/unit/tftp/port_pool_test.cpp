// [tftp] port_range's bookkeeping: which port the next transfer answers from.
#include "tftp/port_pool.hpp"

#include <gtest/gtest.h>

namespace pxed::tftp {
namespace {

TEST(PortPool, HandsOutThePortsInTurn) {
  PortPool pool(30000, 30002);
  EXPECT_EQ(pool.size(), 3u);
  EXPECT_EQ(pool.take(), 30000);
  EXPECT_EQ(pool.take(), 30001);
  EXPECT_EQ(pool.take(), 30002);
  EXPECT_EQ(pool.held(), 3u);
}

TEST(PortPool, NothingWhenEveryPortIsHeld) {
  PortPool pool(30000, 30001);
  ASSERT_TRUE(pool.take());
  ASSERT_TRUE(pool.take());
  EXPECT_EQ(pool.take(), std::nullopt);
  pool.give_back(30000);
  EXPECT_EQ(pool.take(), 30000);
}

TEST(PortPool, APortGivenBackIsNotTheNextHandedOut) {
  // A late ACK of the finished transfer must not reach the next one.
  PortPool pool(30000, 30009);
  auto first = pool.take();
  ASSERT_EQ(first, 30000);
  pool.give_back(*first);
  EXPECT_EQ(pool.take(), 30001);
  EXPECT_EQ(pool.take(), 30002);
}

TEST(PortPool, SkipsHeldPortsWhenItWrapsAround) {
  PortPool pool(100, 103);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(pool.take());
  pool.give_back(101);
  pool.give_back(103);
  EXPECT_EQ(pool.take(), 101);
  EXPECT_EQ(pool.take(), 103);
  EXPECT_EQ(pool.take(), std::nullopt);
}

TEST(PortPool, ARangeOfOnePortAndTheTopPortWork) {
  PortPool pool(65535, 65535);
  EXPECT_EQ(pool.take(), 65535);
  EXPECT_EQ(pool.take(), std::nullopt);
  pool.give_back(65535);
  EXPECT_EQ(pool.take(), 65535);
}

TEST(PortPool, GivingBackAStrangerOrTwiceChangesNothing) {
  PortPool pool(200, 201);
  auto port = pool.take();
  pool.give_back(199);
  pool.give_back(202);
  EXPECT_EQ(pool.held(), 1u);
  pool.give_back(*port);
  pool.give_back(*port);
  EXPECT_EQ(pool.held(), 0u);
}

}  // namespace
}  // namespace pxed::tftp
