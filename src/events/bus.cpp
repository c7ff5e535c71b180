#include "events/bus.hpp"

#include <algorithm>

#include "core/time.hpp"

namespace pxed::events {

Bus::Bus(Clock clock) : clock_(std::move(clock)) {}

Bus::Bus() : Bus(core::unix_now_ms) {}

void Bus::add(std::shared_ptr<Output> output) { outputs_.push_back(std::move(output)); }

void Bus::set_namer(Namer namer) { namer_ = std::move(namer); }

void Bus::set_forward(std::function<void(Event)> forward) {
  forward_ = std::move(forward);
  owner_ = std::this_thread::get_id();
}

void Bus::emit(Event event) {
  if (event.time_ms == 0) event.time_ms = clock_();  // when it happened, not when it arrived
  if (forward_ && std::this_thread::get_id() != owner_) return forward_(std::move(event));
  event.seq = next_seq_++;
  if (!event.mac && !event.client.is_zero() && namer_) event.mac = namer_(event.client);
  for (const auto& output : outputs_) output->publish(event);
}

void Counters::publish(const Event& event) {
  ++by_kind_[static_cast<std::size_t>(event.kind)];
  const auto result = event.text("result");
  if (result.empty()) return;
  auto name = std::string(event.name()) + "." + std::string(result);
  auto it = std::ranges::find(by_result_, name, &std::pair<std::string, std::uint64_t>::first);
  if (it == by_result_.end()) {
    by_result_.emplace_back(std::move(name), 1);
  } else {
    ++it->second;
  }
}

std::vector<std::pair<std::string, std::uint64_t>> Counters::snapshot() const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (const auto& k : kinds()) {
    if (auto n = by_kind_[static_cast<std::size_t>(k.kind)]; n != 0) out.emplace_back(std::string(k.name), n);
  }
  out.insert(out.end(), by_result_.begin(), by_result_.end());
  std::ranges::sort(out);
  return out;
}

}  // namespace pxed::events
