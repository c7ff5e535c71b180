#include "api/history.hpp"

#include <algorithm>

namespace pxed::api {

void History::publish(const events::Event& event) {
  if (event.level == events::Level::debug || capacity_ == 0) return;
  if (ring_.size() == capacity_) ring_.pop_front();
  ring_.push_back(event);
}

EventPage History::find(const EventQuery& query) const {
  EventPage page;
  page.next = query.after;
  // Ids ascend: start at the first one past the cursor.
  auto it = std::ranges::upper_bound(ring_, query.after, {}, &events::Event::seq);
  for (; it != ring_.end(); ++it) {
    const auto& e = *it;
    if (!query.filter.matches(e.kind, e.level, e.mac)) continue;
    if (e.time_ms < query.since_ms) continue;
    if (page.events.size() == query.limit) {
      page.more = true;
      break;
    }
    page.events.push_back(&e);
    page.next = e.seq;
  }
  return page;
}

}  // namespace pxed::api
