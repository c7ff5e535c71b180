#pragma once
// Durations in the config are strings with a unit ("250ms", "2s", "5m", "12h",
// "1d") so that a bare number can never be read in the wrong unit.
#include <chrono>
#include <expected>
#include <string>
#include <string_view>

namespace pxed::config {

// A whole, non-negative decimal number followed by exactly one unit: ms, s, m,
// h or d. The error says what is wrong, without repeating the text.
std::expected<std::chrono::milliseconds, std::string> parse_duration(std::string_view text);

// The inverse, in the largest exact unit: 1500ms -> "1500ms", 60000ms -> "1m".
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace pxed::config
