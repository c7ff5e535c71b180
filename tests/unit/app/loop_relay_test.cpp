#include "app/loop_relay.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <thread>
#include <vector>

namespace pxed::app {
namespace {

TEST(LoopRelay, WorkFromOtherThreadsRunsOnTheLoopInOrderWithOneWakeUpPerBatch) {
  boost::asio::io_context io(1);
  LoopRelay relay(io, std::chrono::microseconds{0});
  EXPECT_TRUE(relay.on_loop());
  std::vector<int> ran;
  std::vector<bool> on_loop;
  std::thread other([&] {
    EXPECT_FALSE(relay.on_loop());
    for (int i = 0; i < 3; ++i) {
      relay.run([&, i] {
        ran.push_back(i);
        on_loop.push_back(relay.on_loop());
      });
    }
  });
  other.join();
  EXPECT_TRUE(ran.empty());  // nothing runs on the thread that hands it over
  // The three went in one post: one handler runs them all.
  EXPECT_EQ(io.poll(), 1u);
  EXPECT_EQ(ran, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(on_loop, (std::vector<bool>{true, true, true}));
  // Once drained, the next hand-over posts again.
  relay.run([&] { ran.push_back(3); });
  io.restart();
  EXPECT_EQ(io.poll(), 1u);
  EXPECT_EQ(ran.back(), 3);
}

TEST(LoopRelay, WorkHandedWhileTheLoopDrainsRunsInTheNextBatch) {
  boost::asio::io_context io(1);
  LoopRelay relay(io, std::chrono::microseconds{0});
  std::vector<int> ran;
  relay.run([&] {
    ran.push_back(1);
    relay.run([&] { ran.push_back(2); });  // handed during the drain
  });
  EXPECT_EQ(io.poll(), 2u);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
}

TEST(LoopRelay, WithAGatherTimeTheFirstItemWaitsForTheOthersOnTheLoopsTimer) {
  boost::asio::io_context io(1);
  LoopRelay relay(io, std::chrono::microseconds{1});
  std::vector<int> ran;
  std::thread other([&] {
    for (int i = 0; i < 3; ++i) relay.run([&, i] { ran.push_back(i); });
  });
  other.join();
  // One handler arms the timer; nothing has run yet.
  EXPECT_EQ(io.poll_one(), 1u);
  EXPECT_TRUE(ran.empty());
  relay.run([&] { ran.push_back(3); });  // joins the batch: no second post
  io.run();  // until the timer fires and the batch is drained (1 us)
  EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3}));
}

}  // namespace
}  // namespace pxed::app
