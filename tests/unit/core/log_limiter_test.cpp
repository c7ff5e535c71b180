#include "core/log_limiter.hpp"

#include <gtest/gtest.h>

namespace pxed::core {
namespace {

using namespace std::chrono_literals;

TEST(LogLimiter, OneLinePerIntervalWithTheCountLeftOut) {
  LogLimiter limiter(10s);
  const TimePoint t0{};
  EXPECT_EQ(limiter.allow(t0), 0u);
  EXPECT_EQ(limiter.allow(t0 + 1s), std::nullopt);
  EXPECT_EQ(limiter.allow(t0 + 9s), std::nullopt);
  EXPECT_EQ(limiter.allow(t0 + 10s), 2u);
  EXPECT_EQ(limiter.allow(t0 + 30s), 0u);
}

}  // namespace
}  // namespace pxed::core
