#pragma once
// A fuzz input read as a stream of choices. Past its end every choice is 0,
// so any input, however short, is a whole run.
#include <cstdint>
#include <span>

namespace pxed::fuzz {

struct Input {
  std::span<const std::uint8_t> rest;

  std::uint8_t byte() {
    if (rest.empty()) return 0;
    auto b = rest.front();
    rest = rest.subspan(1);
    return b;
  }
  std::uint16_t u16() { return static_cast<std::uint16_t>(byte() << 8 | byte()); }
};

}  // namespace pxed::fuzz
