#pragma once
// /api/v1/events/stream: every event as it happens, as Server-Sent Events
// (`id`, `event`, `data` lines; EventSource reads them). A subscriber that
// falls behind by max_pending events is dropped, never waited for: serving
// the boots comes first, and EventSource reconnects with Last-Event-ID.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/net.hpp"
#include "events/bus.hpp"
#include "http/routes.hpp"

namespace pxed::api {

struct StreamLimits {
  std::size_t max_subscribers = 256;
  std::size_t max_pending = 1024;  // events queued for one subscriber before it is dropped
};

struct StreamFilter {
  std::optional<core::Mac> mac;
  std::optional<events::Kind> kind;
  bool matches(const events::Event& e) const {
    return (!mac || e.mac == mac) && (!kind || e.kind == *kind);
  }
};

// One event as an SSE message.
std::string sse_message(const events::Event& event);

class Stream : public events::Output {
 public:
  explicit Stream(StreamLimits limits = {}) : limits_(limits) {}
  // A new subscriber's feed, or nullptr when there are max_subscribers already.
  std::shared_ptr<http::Feed> subscribe(StreamFilter filter);
  void publish(const events::Event& event) override;
  std::size_t subscribers() const { return subscribers_.size(); }
  std::uint64_t dropped() const { return dropped_; }

 private:
  struct Subscriber {
    std::weak_ptr<http::Feed> feed;
    StreamFilter filter;
  };
  void forget_gone();
  StreamLimits limits_;
  std::vector<Subscriber> subscribers_;
  std::uint64_t dropped_ = 0;
};

}  // namespace pxed::api
