#include "app/loop_relay.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <utility>

namespace pxed::app {

LoopRelay::LoopRelay(boost::asio::io_context& io, std::chrono::microseconds gather)
    : io_(io), loop_thread_(std::this_thread::get_id()), gather_(gather), timer_(io) {}

void LoopRelay::run(std::function<void()> work) {
  bool first = false;
  {
    std::lock_guard locked(mutex_);
    first = queued_.empty();
    queued_.push_back(std::move(work));
  }
  if (!first) return;
  if (gather_.count() == 0) return boost::asio::post(io_, [this] { drain(); });
  boost::asio::post(io_, [this] {
    timer_.expires_after(gather_);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) drain();
    });
  });
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
