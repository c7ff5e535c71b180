#include "events/event.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

namespace pxed::events {
namespace {

bool needs_quotes(std::string_view v) {
  return v.empty() || std::ranges::any_of(v, [](char c) {
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

// A number's shortest text that reads back the same; JSON has no inf or NaN.
std::string number_text(double d, bool json) {
  if (!std::isfinite(d)) return json ? "null" : fmt::format("{}", d);
  return fmt::format("{}", d);
}

void append_text_value(std::string& out, const Value& value) {
  const auto* s = std::get_if<std::string>(&value);
  out += s != nullptr ? text_line_value(*s) : value_text(value);
}

void append_json_value(std::string& out, const Value& value) {
  if (const auto* s = std::get_if<std::string>(&value)) {
    out += '"';
    append_escaped(out, *s);
    out += '"';
  } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
    out += fmt::format("{}", *i);
  } else if (const auto* d = std::get_if<double>(&value)) {
    out += number_text(*d, true);
  } else {
    out += std::get<bool>(value) ? "true" : "false";
  }
}

void append_json_pair(std::string& out, std::string_view key, std::string_view text) {
  out += ",\"";
  append_escaped(out, key);
  out += "\":\"";
  append_escaped(out, text);
  out += '"';
}

}  // namespace

std::string text_line_value(std::string_view value) {
  if (!needs_quotes(value)) return std::string(value);
  std::string out = "\"";
  append_escaped(out, value);
  return out + '"';
}

std::string value_text(const Value& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(&value)) return fmt::format("{}", *i);
  if (const auto* d = std::get_if<double>(&value)) return number_text(*d, false);
  return std::get<bool>(value) ? "true" : "false";
}

const Value* Event::find(std::string_view key) const {
  auto it = std::ranges::find(fields, key, &Field::key);
  return it == fields.end() ? nullptr : &it->value;
}

std::string_view Event::text(std::string_view key) const {
  const auto* value = find(key);
  const auto* s = value != nullptr ? std::get_if<std::string>(value) : nullptr;
  return s != nullptr ? std::string_view(*s) : std::string_view{};
}

std::int64_t Event::integer(std::string_view key) const {
  const auto* value = find(key);
  const auto* n = value != nullptr ? std::get_if<std::int64_t>(value) : nullptr;
  return n != nullptr ? *n : 0;
}

double Event::number(std::string_view key) const {
  const auto* value = find(key);
  if (value == nullptr) return 0;
  if (const auto* n = std::get_if<std::int64_t>(value)) return static_cast<double>(*n);
  if (const auto* d = std::get_if<double>(value)) return *d;
  return 0;
}

std::string format_text(const Event& event) {
  std::string out(event.name());
  for (const auto& [key, value] : event.fields) {
    out += ' ';
    out += key;
    out += '=';
    append_text_value(out, value);
  }
  // Last, so a line reads protocol-first; `grep mac=52:54:00:12:34:56` follows one machine.
  if (event.mac) out += " mac=" + event.mac->to_string();
  return out;
}

std::string format_json_fields(const Event& event) {
  std::string out = "\"event\":\"";
  append_escaped(out, event.name());
  out += '"';
  for (const auto& [key, value] : event.fields) {
    out += ",\"";
    append_escaped(out, key);
    out += "\":";
    append_json_value(out, value);
  }
  if (event.mac) append_json_pair(out, "mac", event.mac->to_string());
  return out;
}

std::string utc_text(std::int64_t ms) {
  if (ms == 0) return {};
  // fmt 9 prints no fraction of a second for a time point: the milliseconds go separately.
  const auto seconds = std::chrono::sys_seconds(std::chrono::seconds(ms / 1000));
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", seconds, ms % 1000);
}

std::string format_json(const Event& event) {
  return fmt::format(R"({{"id":{},"time":"{}","time_ms":{},"level":"{}",{}}})", event.seq,
                     utc_text(event.time_ms), event.time_ms, to_string(event.level), format_json_fields(event));
}

std::optional<Event> parse_json(std::string_view text) {
  // ordered: a log line keeps its fields in the order they were added.
  const auto doc = nlohmann::ordered_json::parse(text, nullptr, false);
  if (!doc.is_object()) return std::nullopt;
  const auto string_at = [&](const char* key) -> std::string {
    auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const auto kind = kind_named(string_at("event"));
  const auto level = level_named(string_at("level"));
  const auto id = doc.find("id");
  const auto time = doc.find("time_ms");
  if (!kind || !level || id == doc.end() || !id->is_number_unsigned() || time == doc.end() ||
      !time->is_number_integer()) {
    return std::nullopt;
  }
  Event e(*kind, *level);
  e.seq = id->get<std::uint64_t>();
  e.time_ms = time->get<std::int64_t>();
  for (const auto& [key, value] : doc.items()) {
    if (key == "id" || key == "time" || key == "time_ms" || key == "level" || key == "event") continue;
    if (key == "mac") {
      e.mac = value.is_string() ? core::Mac::parse(value.get<std::string>()) : std::nullopt;
      if (!e.mac) return std::nullopt;
    } else if (value.is_string()) {
      e.add(key, value.get<std::string>());
    } else if (value.is_boolean()) {
      e.add(key, value.get<bool>());
    } else if (value.is_number_integer()) {
      e.add(key, value.get<std::int64_t>());
    } else if (value.is_number_float()) {
      e.add(key, value.get<double>());
    } else {
      return std::nullopt;
    }
  }
  return e;
}

}  // namespace pxed::events
