#include "config/duration.hpp"

#include <charconv>
#include <cstdint>
#include <limits>

namespace pxed::config {
namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t milliseconds;
};

// Smallest first: format_duration walks it backwards to find the largest exact unit.
constexpr Unit kUnits[] = {
    {"ms", 1}, {"s", 1'000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000},
};

constexpr std::string_view kUnitList = "ms, s, m, h or d";

}  // namespace

std::expected<std::chrono::milliseconds, std::string> parse_duration(std::string_view text) {
  if (text.empty()) return std::unexpected("is empty; write a number and a unit, e.g. \"2s\"");
  if (text.front() == '-') return std::unexpected("must not be negative");

  std::int64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc::result_out_of_range) return std::unexpected("is too large");
  // from_chars accepts no sign or space, so a failure here means no leading digit.
  if (ec != std::errc{}) return std::unexpected("must start with a whole number, e.g. \"2s\"");

  std::string_view unit = text.substr(static_cast<std::size_t>(end - text.data()));
  if (unit.empty()) {
    return std::unexpected("has no unit; add one of " + std::string(kUnitList) + ", e.g. \"" +
                           std::string(text) + "s\"");
  }
  if (unit.front() == '.') {
    return std::unexpected("must be a whole number; use a smaller unit (\"1500ms\", not \"1.5s\")");
  }
  for (const Unit& u : kUnits) {
    if (unit != u.suffix) continue;
    if (number > std::numeric_limits<std::int64_t>::max() / u.milliseconds) {
      return std::unexpected("is too large");
    }
    return std::chrono::milliseconds(number * u.milliseconds);
  }
  return std::unexpected("has an unknown unit \"" + std::string(unit) + "\"; use " +
                         std::string(kUnitList));
}

std::string format_duration(std::chrono::milliseconds duration) {
  const std::int64_t ms = duration.count();
  for (auto u = std::rbegin(kUnits); u != std::rend(kUnits); ++u) {
    if (ms != 0 && ms % u->milliseconds == 0) {
      return std::to_string(ms / u->milliseconds) + std::string(u->suffix);
    }
  }
  return std::to_string(ms) + "ms";
}

}  // namespace pxed::config
