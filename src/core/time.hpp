#pragma once
// Pure code takes time as a value; only services read the clock.
#include <chrono>

namespace pxed::core {
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;
}  // namespace pxed::core
