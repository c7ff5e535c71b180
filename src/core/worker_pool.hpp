#pragma once
// A few threads for work that may wait on a disk (an image's directories, a
// netascii file's size, a cold read), so the one event loop that answers
// DHCP, TFTP and HTTP never does. The caller hands in `post`, which runs a
// function on the loop (asio::post in the services), so core needs no Asio
// and a job's result always comes back on the loop's thread: the services
// and the pure state machines stay single-threaded.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

namespace pxed::core {

class WorkerPool {
 public:
  // Move-only: a result may own a descriptor (vfs::File), a continuation a
  // coroutine's handler.
  using Task = std::move_only_function<void()>;
  using Post = std::function<void(Task)>;

  // threads 0 runs each job inline in submit() (tests, and `pxed` CLI
  // commands that have no loop to protect). on_start runs first on each
  // worker thread (app lowers their CPU priority there, so parsing a huge
  // directory never takes the CPU from the loop), and has run on every one
  // when the constructor returns: the syscall filter serve loads later
  // refuses setpriority.
  WorkerPool(std::size_t threads, Post post, std::function<void()> on_start = {});
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  // Queued jobs are dropped (their `done` never runs); running ones see
  // their stop_token set and are waited for: jobs check it between reads,
  // so stopping takes at most one read, and SIGTERM is answered promptly.
  ~WorkerPool();

  // Runs work(stop) on a worker, then done(result) through post. The
  // result must be movable; work must not touch the loop's state.
  template <class Work, class Done>
  void submit(Work work, Done done) {
    using Result = decltype(work(std::stop_token{}));
    enqueue([this, work = std::move(work), done = std::move(done)](std::stop_token stop) mutable {
      auto result = std::make_shared<Result>(work(stop));
      if (stop.stop_requested()) return;
      post_([done = std::move(done), result]() mutable { done(std::move(*result)); });
    });
  }

  std::size_t threads() const { return workers_.size(); }
  // Jobs waiting for a worker (not those running).
  std::size_t queued() const;

 private:
  using Job = std::move_only_function<void(std::stop_token)>;
  void enqueue(Job job);
  void work(std::stop_token stop);

  Post post_;
  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<Job> queue_;
  std::vector<std::jthread> workers_;  // last: started after the rest exists, stopped first
};

}  // namespace pxed::core
