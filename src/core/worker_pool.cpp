#include "core/worker_pool.hpp"

#include <latch>

namespace pxed::core {

WorkerPool::WorkerPool(std::size_t threads, Post post, std::function<void()> on_start) : post_(std::move(post)) {
  workers_.reserve(threads);
  std::latch started(static_cast<std::ptrdiff_t>(threads));
  for (std::size_t i = 0; i < threads; ++i) {
    workers_.emplace_back([this, on_start, &started](std::stop_token stop) {
      if (on_start) on_start();
      started.count_down();
      work(stop);
    });
  }
  started.wait();
}

WorkerPool::~WorkerPool() {
  for (auto& w : workers_) w.request_stop();
  {
    std::lock_guard lock(mutex_);
    queue_.clear();
  }
  workers_.clear();  // joins
}

std::size_t WorkerPool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void WorkerPool::enqueue(Job job) {
  if (workers_.empty()) {
    job(std::stop_token{});
    return;
  }
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void WorkerPool::work(std::stop_token stop) {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      if (!wake_.wait(lock, stop, [this] { return !queue_.empty(); })) return;  // stop requested
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job(stop);
  }
}

}  // namespace pxed::core
