#pragma once
// Every finished transaction becomes one Event: the same record feeds the log
// line and the counters, so nobody logs and counts separately.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.hpp"

namespace pxed::events {

enum class Level { debug, info, warn, error };

struct Event {
  std::string name;  // stable: "tftp.done", "tftp.refused", ...
  Level level = Level::info;
  std::vector<std::pair<std::string, std::string>> fields;

  Event& add(std::string key, std::string value) {
    fields.emplace_back(std::move(key), std::move(value));
    return *this;
  }
};

// Sets up spdlog on stderr: key=value text or one JSON object per line.
void init_logging(config::LogFormat format, std::string_view level);

// Logs the event and counts it under its name plus its "result" field, if any
// (e.g. "tftp.done result=ok" counts tftp.done and tftp.done.ok).
void emit(const Event& event);

// Formats as `name k=v k2="v with spaces"` (values quoted only when needed).
std::string format_text(const Event& event);
// Formats as {"event":"name","k":"v",...}.
std::string format_json(const Event& event);

std::map<std::string, std::uint64_t> counters();

}  // namespace pxed::events
