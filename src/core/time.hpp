#pragma once
// Pure code takes time as a value; only services read the clock.
#include <chrono>
#include <cstdint>

namespace pxed::core {
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

// Unix seconds now: leases, install states and the stores count in these.
inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Unix milliseconds now: events' times and the API's.
inline std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A time point as whole milliseconds, for pure code that counts in integers (Shares).
inline std::int64_t milliseconds_of(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
}  // namespace pxed::core
