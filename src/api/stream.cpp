#include "api/stream.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace pxed::api {

std::string sse_message(const events::Event& event) {
  // format_json writes one line: no newline can end the data field early.
  return fmt::format("id: {}\nevent: {}\ndata: {}\n\n", event.seq, event.name(), events::format_json(event));
}

void Stream::forget_gone() {
  std::erase_if(subscribers_, [](const Subscriber& s) { return s.feed.expired(); });
}

std::shared_ptr<http::Feed> Stream::subscribe(StreamFilter filter) {
  forget_gone();
  if (subscribers_.size() >= limits_.max_subscribers) return nullptr;
  auto feed = std::make_shared<http::Feed>();
  subscribers_.push_back({feed, std::move(filter)});
  return feed;
}

void Stream::publish(const events::Event& event) {
  if (event.level == events::Level::debug) return;
  std::string message;  // formatted once, for the first subscriber that wants it
  bool gone = false;
  for (auto& s : subscribers_) {
    auto feed = s.feed.lock();
    if (!feed || feed->closed()) {
      gone = true;
      continue;
    }
    if (!s.filter.matches(event)) continue;
    if (feed->pending() >= limits_.max_pending) {
      feed->close();
      ++dropped_;
      gone = true;
      continue;
    }
    if (message.empty()) message = sse_message(event);
    feed->push(message);
  }
  if (gone) forget_gone();
}

}  // namespace pxed::api
