#pragma once
// One log line per interval for something a client can make happen at line
// rate (a hostile image's refused lookups): the first in each interval is
// written with how many were left out since the last one.
#include <cstdint>
#include <optional>

#include "core/time.hpp"

namespace pxed::core {

class LogLimiter {
 public:
  explicit LogLimiter(Duration interval) : interval_(interval) {}

  // The number suppressed since the last line when this one may be written;
  // nothing (and counted) when it may not.
  std::optional<std::uint64_t> allow(TimePoint now) {
    if (written_ && now - last_ < interval_) {
      ++suppressed_;
      return std::nullopt;
    }
    written_ = true;
    last_ = now;
    auto n = suppressed_;
    suppressed_ = 0;
    return n;
  }

 private:
  Duration interval_;
  TimePoint last_{};
  bool written_ = false;
  std::uint64_t suppressed_ = 0;
};

}  // namespace pxed::core
