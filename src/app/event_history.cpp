#include "app/event_history.hpp"

#include <algorithm>
#include <utility>

namespace pxed::app {

RestoredHistory restore_history(const std::filesystem::path& state_dir, std::uint64_t keep, events::Bus& bus,
                                std::span<events::Output* const> into) {
  RestoredHistory restored;
  // Its first start: the other stores create it too, after this one.
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) {
    restored.error = "cannot create state_dir " + state_dir.string() + ": " + ec.message();
    return restored;
  }
  auto store = store::EventStore::open(state_dir);
  if (!store) {
    restored.error = store.error();
    return restored;
  }
  auto rows = store->newest(keep);
  if (!rows) {
    restored.error = rows.error();
    return restored;
  }
  for (const auto& row : *rows) {
    // Even a row this pxed cannot read holds its id: numbering goes on after it.
    restored.last_id = std::max(restored.last_id, row.id);
    auto event = events::parse_json(row.json);
    if (!event || event->seq != row.id) {
      ++restored.unreadable;
      continue;
    }
    for (auto* output : into) output->publish(*event);
    ++restored.events;
  }
  bus.continue_after(restored.last_id);
  restored.store = std::move(*store);
  return restored;
}

EventRecorder::EventRecorder(store::EventStore store, std::uint64_t keep, Post post, events::Bus& bus,
                             Limits limits)
    : store_(std::move(store)), keep_(keep), post_(std::move(post)), bus_(bus), limits_(limits),
      writer_([this](std::stop_token stop) { run(stop); }) {}

EventRecorder::~EventRecorder() { stop(); }

void EventRecorder::publish(const events::Event& event) {
  if (event.level == events::Level::debug) return;
  std::size_t waiting = 0;
  {
    const std::scoped_lock lock(mutex_);
    if (!writer_.joinable()) return;
    pending_.push_back(event);
    waiting = pending_.size();
  }
  if (waiting == limits_.batch) wake_.notify_one();
}

void EventRecorder::stop() {
  if (!writer_.joinable()) return;
  writer_.request_stop();  // wakes the wait; run() writes what is left and returns
  writer_.join();
}

void EventRecorder::run(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, stop, limits_.interval, [this] { return pending_.size() >= limits_.batch; });
    auto taken = std::exchange(pending_, {});
    lock.unlock();
    if (!taken.empty()) {
      std::vector<store::StoredEvent> batch;
      batch.reserve(taken.size());
      for (const auto& event : taken) batch.push_back({event.seq, events::format_json(event)});
      auto written = store_.append(batch, keep_);
      if (!written && !failing_) {
        // Told once per run of failures: a full disk must not fill the log too.
        post_([&bus = bus_, error = written.error(), n = batch.size()] {
          bus.emit(events::Event{events::Kind::events_store_failed}.add("events", n).add("error", error));
        });
      }
      failing_ = !written;
    }
    lock.lock();
    if (stop.stop_requested() && pending_.empty()) return;
  }
}

}  // namespace pxed::app
