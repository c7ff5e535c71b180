#pragma once
// Where events go: the outputs (log, counters, history, live stream) are
// handed to one Bus at start, and every service is handed the Bus. Nothing
// here is global, so a test builds its own and reads what arrived.
#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "core/net.hpp"
#include "events/event.hpp"

namespace pxed::events {

class Output {
 public:
  virtual ~Output() = default;
  virtual void publish(const Event& event) = 0;
};

// The machine behind a client address, when DHCP has seen it.
using Namer = std::function<std::optional<core::Mac>(core::Ipv4)>;
// Unix milliseconds now; handed in so tests choose the time.
using Clock = std::function<std::int64_t()>;

// Outputs and the namer run on one thread, the event loop's (they read state
// the loop owns and take no locks of their own). Other threads (HTTP's own
// loops, docs/threads.md) emit through a forward the loop's owner hands in.
class Bus {
 public:
  explicit Bus(Clock clock);
  Bus();  // the system clock

  void add(std::shared_ptr<Output> output);
  void set_namer(Namer namer);
  // From now on, emit on any thread but this one stamps the event's time and
  // hands it to `forward`, which must bring it to this thread and emit it
  // here (app: batched posts to the loop). Null: every thread emits inline.
  // Set before other threads emit.
  void set_forward(std::function<void(Event)> forward);
  // Numbers the event, stamps the time when unset, names the machine from
  // the client address when the event does not, then hands it to every
  // output in order.
  void emit(Event event);
  // Numbers go on after `seq` (the last event kept from before a restart),
  // so ids stay unique and cursors stay valid across restarts.
  void continue_after(std::uint64_t seq) { next_seq_ = std::max(next_seq_, seq + 1); }

 private:
  Clock clock_;
  Namer namer_;
  std::function<void(Event)> forward_;
  std::thread::id owner_;
  std::vector<std::shared_ptr<Output>> outputs_;
  std::uint64_t next_seq_ = 1;
};

// Counts every event by kind, and by kind and result ("tftp.done.ok").
class Counters : public Output {
 public:
  void publish(const Event& event) override;
  std::uint64_t count(Kind kind) const { return by_kind_[static_cast<std::size_t>(kind)]; }
  // Every non-zero counter by name, in name order: the SIGUSR1 line.
  std::vector<std::pair<std::string, std::uint64_t>> snapshot() const;

 private:
  std::vector<std::uint64_t> by_kind_ = std::vector<std::uint64_t>(kinds().size());
  std::vector<std::pair<std::string, std::uint64_t>> by_result_;  // few distinct: a vector beats a map
};

}  // namespace pxed::events
