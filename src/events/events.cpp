#include "events/events.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

namespace pxed::events {
namespace {

config::LogFormat g_format = config::LogFormat::text;
std::mutex g_counters_mutex;
std::map<std::string, std::uint64_t> g_counters;

bool needs_quotes(std::string_view v) {
  return v.empty() || std::any_of(v.begin(), v.end(), [](char c) {
           return c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
         });
}

void append_escaped(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
}

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

void init_logging(config::LogFormat format, std::string_view level) {
  g_format = format;
  auto logger = spdlog::stderr_logger_mt("pxed");
  if (format == config::LogFormat::json) {
    // The JSON object carries its own fields; time and level are added here.
    logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l",%v})");
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(std::string(level)));
  spdlog::flush_on(spdlog::level::info);
}

std::string format_text(const Event& event) {
  std::string out = event.name;
  for (const auto& [key, value] : event.fields) {
    out += ' ';
    out += key;
    out += '=';
    if (needs_quotes(value)) {
      out += '"';
      append_escaped(out, value);
      out += '"';
    } else {
      out += value;
    }
  }
  return out;
}

std::string format_json(const Event& event) {
  std::string out = "\"event\":\"";
  append_escaped(out, event.name);
  out += '"';
  for (const auto& [key, value] : event.fields) {
    out += ",\"";
    append_escaped(out, key);
    out += "\":\"";
    append_escaped(out, value);
    out += '"';
  }
  return out;
}

void emit(const Event& event) {
  {
    std::lock_guard lock(g_counters_mutex);
    ++g_counters[event.name];
    for (const auto& [key, value] : event.fields) {
      if (key == "result") ++g_counters[event.name + "." + value];
    }
  }
  auto level = to_spdlog(event.level);
  if (!spdlog::should_log(level)) return;
  if (g_format == config::LogFormat::json) {
    spdlog::log(level, "{}", format_json(event));
  } else {
    spdlog::log(level, "{}", format_text(event));
  }
}

std::map<std::string, std::uint64_t> counters() {
  std::lock_guard lock(g_counters_mutex);
  return g_counters;
}

}  // namespace pxed::events
