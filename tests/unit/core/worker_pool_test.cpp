#include "core/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <set>
#include <thread>

namespace pxed::core {
namespace {

// The loop's queue: what post hands over runs only when the test drains it,
// as asio::post runs it only on the io_context's thread.
struct FakeLoop {
  std::mutex mutex;
  std::vector<WorkerPool::Task> posted;
  std::condition_variable arrived;

  WorkerPool::Post post() {
    return [this](WorkerPool::Task t) {
      std::lock_guard lock(mutex);
      posted.push_back(std::move(t));
      arrived.notify_all();
    };
  }
  // Waits (bounded) for n posted tasks, then runs them here.
  bool run(std::size_t n) {
    std::unique_lock lock(mutex);
    if (!arrived.wait_for(lock, std::chrono::seconds(10), [&] { return posted.size() >= n; })) return false;
    auto tasks = std::move(posted);
    posted.clear();
    lock.unlock();
    for (auto& t : tasks) t();
    return true;
  }
};

TEST(WorkerPool, RunsWorkOnAWorkerAndDeliversTheResultThroughPost) {
  FakeLoop loop;
  WorkerPool pool(2, loop.post());
  const auto loop_thread = std::this_thread::get_id();
  std::thread::id worked_on;
  int got = 0;
  pool.submit([&](std::stop_token) { worked_on = std::this_thread::get_id(); return 42; },
              [&](int result) { got = result; });
  EXPECT_EQ(got, 0);  // nothing runs on the loop until the loop runs it
  ASSERT_TRUE(loop.run(1));
  EXPECT_EQ(got, 42);
  EXPECT_NE(worked_on, loop_thread);
}

TEST(WorkerPool, ASlowJobDoesNotHoldTheOthersWithTwoWorkers) {
  FakeLoop loop;
  WorkerPool pool(2, loop.post());
  std::promise<void> release;
  auto released = release.get_future().share();
  std::vector<int> order;
  pool.submit([released](std::stop_token) { released.wait(); return 1; }, [&](int r) { order.push_back(r); });
  pool.submit([](std::stop_token) { return 2; }, [&](int r) { order.push_back(r); });
  ASSERT_TRUE(loop.run(1));
  EXPECT_EQ(order, std::vector<int>{2});
  release.set_value();
  ASSERT_TRUE(loop.run(1));
  EXPECT_EQ(order, (std::vector<int>{2, 1}));
}

TEST(WorkerPool, StoppingDropsQueuedJobsAndTellsTheRunningOneToStop) {
  FakeLoop loop;
  std::atomic<bool> running{false};
  std::atomic<bool> saw_stop{false};
  std::atomic<int> queued_ran{0};
  {
    WorkerPool pool(1, loop.post());
    pool.submit(
        [&](std::stop_token stop) {
          running = true;
          // A job reading a huge directory checks between reads; bounded here.
          for (int i = 0; i < 10'000 && !stop.stop_requested(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
          saw_stop = stop.stop_requested();
          return 0;
        },
        [](int) {});
    pool.submit([&](std::stop_token) { return ++queued_ran; }, [](int) {});
    for (int i = 0; i < 10'000 && !running; ++i) std::this_thread::yield();
    EXPECT_EQ(pool.queued(), 1u);
  }
  EXPECT_TRUE(saw_stop);
  EXPECT_EQ(queued_ran, 0);
  EXPECT_TRUE(loop.posted.empty());  // a stopped job's result never reaches the loop
}

TEST(WorkerPool, OnStartRunsOnEachWorkerBeforeItsFirstJob) {
  FakeLoop loop;
  std::mutex mutex;
  std::set<std::thread::id> started;
  {
    WorkerPool pool(2, loop.post(), [&] {
      std::lock_guard lock(mutex);
      started.insert(std::this_thread::get_id());
    });
    std::thread::id ran_on;
    pool.submit([&](std::stop_token) { ran_on = std::this_thread::get_id(); return 0; }, [](int) {});
    ASSERT_TRUE(loop.run(1));
    std::lock_guard lock(mutex);
    EXPECT_TRUE(started.contains(ran_on));
  }
  EXPECT_EQ(started.size(), 2u);
}

TEST(WorkerPool, OnStartHasRunOnEveryWorkerWhenTheConstructorReturns) {
  // serve loads its syscall filter (which refuses setpriority) right after.
  FakeLoop loop;
  std::atomic<int> started = 0;
  WorkerPool pool(2, loop.post(), [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ++started;
  });
  EXPECT_EQ(started.load(), 2);
}

TEST(WorkerPool, NoThreadsRunsInlineForCommandsWithoutALoop) {
  int got = 0;
  WorkerPool pool(0, [](WorkerPool::Task t) { t(); });
  pool.submit([](std::stop_token) { return 7; }, [&](int r) { got = r; });
  EXPECT_EQ(got, 7);
}

}  // namespace
}  // namespace pxed::core
