#include "tftp/port_pool.hpp"

namespace pxed::tftp {

PortPool::PortPool(std::uint16_t first, std::uint16_t last)
    : first_(first), held_(static_cast<std::size_t>(last - first) + 1, false) {}

std::optional<std::uint16_t> PortPool::take() {
  const auto n = size();
  if (held_count_ == n) return std::nullopt;
  for (std::uint32_t tried = 0; tried < n; ++tried) {
    const auto index = (next_ + tried) % n;
    if (held_[index]) continue;
    held_[index] = true;
    ++held_count_;
    next_ = (index + 1) % n;
    return static_cast<std::uint16_t>(first_ + index);
  }
  return std::nullopt;  // not reached: held_count_ < n leaves a free port
}

void PortPool::give_back(std::uint16_t port) {
  if (port < first_ || port - first_ >= static_cast<int>(size())) return;
  const auto index = static_cast<std::size_t>(port - first_);
  if (!held_[index]) return;
  held_[index] = false;
  --held_count_;
}

}  // namespace pxed::tftp
