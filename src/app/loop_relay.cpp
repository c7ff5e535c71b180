#include "app/loop_relay.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <utility>

namespace pxed::app {

LoopRelay::LoopRelay(boost::asio::io_context& io) : io_(io), loop_thread_(std::this_thread::get_id()) {}

void LoopRelay::run(std::function<void()> work) {
  bool first = false;
  {
    std::lock_guard locked(mutex_);
    first = queued_.empty();
    queued_.push_back(std::move(work));
  }
  if (first) boost::asio::post(io_, [this] { drain(); });
}

void LoopRelay::drain() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard locked(mutex_);
    batch.swap(queued_);
  }
  for (auto& work : batch) work();
}

}  // namespace pxed::app
