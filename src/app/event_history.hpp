#pragma once
// The API's history across restarts: at start the newest events kept in the
// state directory (store::EventStore) go back into the history ring and the
// machine table, and the bus numbers on after them; while pxed serves, the
// recorder writes each event the history keeps to that store on its own
// thread, a batch a second, never on the loop.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "events/bus.hpp"
#include "store/event_store.hpp"

namespace pxed::app {

struct RestoredHistory {
  std::optional<store::EventStore> store;  // none: `error` says why
  std::string error;
  std::uint64_t last_id = 0;    // the newest event read back
  std::size_t events = 0;       // read back into the outputs
  std::size_t unreadable = 0;   // rows that are no event of this pxed (a kind a newer one added)
};

// Before anything is emitted: reads the newest `keep` events into `into`
// (History, MachineTable) and makes the bus number on after them.
RestoredHistory restore_history(const std::filesystem::path& state_dir, std::uint64_t keep, events::Bus& bus,
                                std::span<events::Output* const> into);

class EventRecorder : public events::Output {
 public:
  // Runs a function on the loop's thread: where a failed write is reported.
  using Post = std::function<void(std::function<void()>)>;
  struct Limits {
    std::chrono::milliseconds interval{1000};  // a batch at least this often while events come
    std::size_t batch = 512;                   // or as soon as this many wait
  };

  // Keeps the newest `keep` events in the store.
  EventRecorder(store::EventStore store, std::uint64_t keep, Post post, events::Bus& bus, Limits limits);
  ~EventRecorder() override;
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  // The history's rule: debug events (floods of dropped packets) are not kept.
  void publish(const events::Event& event) override;
  // Writes what waits and ends the writer; events after it are not kept.
  // serve() calls it before the loop that `post` reaches is gone.
  void stop();

 private:
  void run(std::stop_token stop);

  store::EventStore store_;  // the writer thread's, and stop()'s once it has ended
  std::uint64_t keep_;
  Post post_;
  events::Bus& bus_;
  Limits limits_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  // Guarded by mutex_. Events, not their JSON: the writer formats them, off
  // the loop (every HTTP request is an event).
  std::vector<events::Event> pending_;
  bool failing_ = false;                     // the writer's: one report per run of failures
  std::jthread writer_;
};

}  // namespace pxed::app
