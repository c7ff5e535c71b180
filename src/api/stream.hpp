#pragma once
// /api/v1/events/stream: every event as it happens, as Server-Sent Events
// (`id`, `event`, `data` lines; EventSource reads them). Each event is
// formatted once into a ring every subscriber reads from at its own cursor:
// an event costs the same with one viewer or a hundred, and a subscriber
// costs a write per batch, not per event. One that falls more than the ring
// behind is dropped, never waited for: serving the boots comes first, and
// EventSource reconnects with Last-Event-ID.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/history.hpp"
#include "core/net.hpp"
#include "events/bus.hpp"
#include "http/routes.hpp"

namespace pxed::api {

struct StreamLimits {
  std::size_t max_subscribers = 256;
  std::size_t max_behind = 1024;  // events a subscriber may lag before it is dropped
};


// One event as an SSE message.
std::string sse_message(const events::Event& event);

class Stream : public events::Output {
 public:
  explicit Stream(StreamLimits limits = {});
  ~Stream() override;
  // A new subscriber's feed, starting after the latest event, or nullptr when
  // there are max_subscribers already.
  std::shared_ptr<http::Feed> subscribe(EventFilter filter);
  void publish(const events::Event& event) override;
  std::size_t subscribers() const;
  std::uint64_t dropped() const;

  struct State;  // shared with the feeds, which may outlive a moment of the stream's

 private:
  std::shared_ptr<State> state_;
};

}  // namespace pxed::api
