#pragma once
// Work other threads hand to the event loop's thread, run there in the order
// handed: HTTP's own loops (docs/threads.md) emit events and report the files
// machines fetched through it, since the outputs, the namer and the machine
// records belong to the loop. The loop runs what was handed `gather` after
// the first of it: one wake-up (and one timer) per batch, not one per item.
// Tens of thousands of requests a second otherwise cost as many wake-ups of
// an idle loop; measured, those wake-ups cost more than the requests.
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pxed::app {

class LoopRelay {
 public:
  // Made on the loop's thread (the one that will run io). gather: how long
  // the first item waits for others (zero: the loop runs it at its next look).
  explicit LoopRelay(boost::asio::io_context& io, std::chrono::microseconds gather = kGather);
  // Late enough to batch a busy loop turn's worth, early enough that a log
  // line, a dashboard row or a machine's stage is not seen late.
  static constexpr std::chrono::microseconds kGather{1000};
  LoopRelay(const LoopRelay&) = delete;
  LoopRelay& operator=(const LoopRelay&) = delete;

  // On any thread: work runs on the loop's, after what was handed before it.
  void run(std::function<void()> work);
  bool on_loop() const { return std::this_thread::get_id() == loop_thread_; }

 private:
  void drain();

  boost::asio::io_context& io_;
  const std::thread::id loop_thread_;
  const std::chrono::microseconds gather_;
  boost::asio::steady_timer timer_;  // the loop's own: armed and fired on its thread
  std::mutex mutex_;
  std::vector<std::function<void()>> queued_;  // a drain is on its way while non-empty
};

}  // namespace pxed::app
