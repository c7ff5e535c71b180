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
  const auto first = std::ranges::upper_bound(ring_, query.after, {}, &events::Event::seq);
  if (query.tail != 0) {
    for (auto it = ring_.end(); it != first && page.events.size() < query.tail;) {
      --it;
      if (query.matches(*it)) page.events.push_back(&*it);
    }
    std::ranges::reverse(page.events);
    if (!page.events.empty()) page.next = page.events.back()->seq;
    return page;
  }
  auto it = first;
  for (; it != ring_.end(); ++it) {
    const auto& e = *it;
    if (!query.matches(e)) continue;
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
