#pragma once
// Work other threads hand to the event loop's thread, run there in the order
// handed: HTTP's own loops (docs/threads.md) emit events and report the files
// machines fetched through it, since the outputs, the namer and the machine
// records belong to the loop. One post wakes the loop for everything handed
// since its last look, not one per item (tens of thousands of requests a
// second would otherwise cost as many wake-ups).
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace pxed::app {

class LoopRelay {
 public:
  // Made on the loop's thread (the one that will run io).
  explicit LoopRelay(boost::asio::io_context& io);
  LoopRelay(const LoopRelay&) = delete;
  LoopRelay& operator=(const LoopRelay&) = delete;

  // On any thread: work runs on the loop's, after what was handed before it.
  void run(std::function<void()> work);
  bool on_loop() const { return std::this_thread::get_id() == loop_thread_; }

 private:
  void drain();

  boost::asio::io_context& io_;
  const std::thread::id loop_thread_;
  std::mutex mutex_;
  std::vector<std::function<void()>> queued_;  // a post to drain is pending while non-empty
};

}  // namespace pxed::app
