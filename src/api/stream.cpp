#include "api/stream.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>

namespace pxed::api {

std::string sse_message(const events::Event& event) {
  // format_json writes one line: no newline can end the data field early.
  return fmt::format("id: {}\nevent: {}\ndata: {}\n\n", event.seq, event.name(), events::format_json(event));
}

namespace {

struct Entry {
  std::uint64_t seq;
  events::Kind kind;
  events::Level level;
  std::optional<core::Mac> mac;
  http::Feed::Chunk message;
};

}  // namespace

namespace {
class Subscription;
}

// Events arrive on the loop's thread; a subscriber's connection may read on
// one of HTTP's own (docs/threads.md): everything below is under `mutex`.
struct Stream::State {
  std::mutex mutex;
  StreamLimits limits;
  std::deque<Entry> ring;   // the last max_behind events, ascending seq
  std::uint64_t head = 0;   // the latest event's seq
  std::uint64_t dropped = 0;
  std::vector<Subscription*> subscriptions;  // each removes itself when its connection lets go
};

namespace {

// Reads the ring from its cursor; asleep (idle) once it has taken everything.
class Subscription : public http::Feed {
 public:
  Subscription(std::shared_ptr<Stream::State> state, EventFilter filter)
      : state_(std::move(state)), filter_(std::move(filter)), cursor_(state_->head) {
    state_->subscriptions.push_back(this);  // by subscribe, under the lock
  }
  ~Subscription() override {
    std::lock_guard locked(state_->mutex);
    std::erase(state_->subscriptions, this);
  }
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  std::vector<Chunk> take() override {
    std::lock_guard locked(state_->mutex);
    std::vector<Chunk> out;
    const auto& ring = state_->ring;
    auto it = std::ranges::upper_bound(ring, cursor_, {}, &Entry::seq);
    for (; it != ring.end(); ++it) {
      if (filter_.matches(it->kind, it->level, it->mac)) out.push_back(it->message);
    }
    cursor_ = state_->head;
    idle_ = true;
    return out;
  }
  bool ready() const override {
    std::lock_guard locked(state_->mutex);
    return !closed_ && cursor_ < state_->head;
  }
  bool closed() const override {
    std::lock_guard locked(state_->mutex);
    return closed_;
  }
  void on_wake(std::function<void()> wake) override {
    std::lock_guard locked(state_->mutex);
    wake_ = std::move(wake);
  }

  // A new event at `head`: wake the connection if it sleeps; drop it if it
  // is so far behind that the ring no longer holds what it has not read.
  // Under the lock (publish holds it): the wake only schedules the connection.
  void published(std::uint64_t oldest_kept) {
    if (closed_) return;
    if (cursor_ + 1 < oldest_kept) {
      closed_ = true;
      ++state_->dropped;
    } else if (!idle_) {
      return;
    }
    idle_ = false;
    if (wake_) wake_();
  }

 private:
  std::shared_ptr<Stream::State> state_;
  EventFilter filter_;
  std::uint64_t cursor_;  // the last seq taken
  bool idle_ = true;
  bool closed_ = false;
  std::function<void()> wake_;
};

}  // namespace

Stream::Stream(StreamLimits limits) : state_(std::make_shared<State>()) { state_->limits = limits; }

// Not closing the feeds here: at exit their connections are gone first.
Stream::~Stream() = default;

std::shared_ptr<http::Feed> Stream::subscribe(EventFilter filter) {
  std::lock_guard locked(state_->mutex);
  if (state_->subscriptions.size() >= state_->limits.max_subscribers) return nullptr;
  return std::make_shared<Subscription>(state_, std::move(filter));
}

void Stream::publish(const events::Event& event) {
  if (event.level == events::Level::debug) return;
  auto& s = *state_;
  {
    // Nobody reads the ring but its subscriptions (a new one starts at head;
    // a resumed one replays the history first): with none, an event costs no
    // SSE message. Every HTTP request is an event, tens of thousands a second.
    std::lock_guard locked(s.mutex);
    if (s.subscriptions.empty()) {
      s.head = event.seq;
      s.ring.clear();
      return;
    }
  }
  auto message = std::make_shared<const std::string>(sse_message(event));
  std::lock_guard locked(s.mutex);
  s.ring.push_back({event.seq, event.kind, event.level, event.mac, std::move(message)});
  s.head = event.seq;
  if (s.ring.size() > s.limits.max_behind) s.ring.pop_front();
  const auto oldest = s.ring.front().seq;
  // A wake only schedules the connection (a timer's cancel): no subscription ends during this walk.
  for (auto* sub : s.subscriptions) sub->published(oldest);
}

std::size_t Stream::subscribers() const {
  std::lock_guard locked(state_->mutex);
  return state_->subscriptions.size();
}

std::uint64_t Stream::dropped() const {
  std::lock_guard locked(state_->mutex);
  return state_->dropped;
}

}  // namespace pxed::api
