#pragma once
// One typed record per thing pxed did or refused: the log line, the counters,
// the history and the live stream all read the same Event, so nobody logs and
// counts separately. Kinds are a table (kind.hpp); fields keep their types, so
// a JSON log writes `"bytes":42372`, not `"bytes":"42372"`.
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/net.hpp"
#include "events/kind.hpp"

namespace pxed::events {

using Value = std::variant<std::string, std::int64_t, double, bool>;

struct Field {
  std::string key;
  Value value;
};

struct Event {
  Kind kind;
  Level level;
  std::int64_t time_ms = 0;        // Unix milliseconds; the bus stamps it when zero
  std::uint64_t seq = 0;           // the bus numbers events from 1: the API's ids and cursors
  std::optional<core::Mac> mac;    // the machine, when pxed can tell (the bus asks its namer)
  core::Ipv4 client;               // the machine's address; zero when none (pxed.ready)
  std::vector<Field> fields;

  explicit Event(Kind k) : kind(k), level(info(k).level) {}
  Event(Kind k, Level l) : kind(k), level(l) {}

  std::string_view name() const { return info(kind).name; }

  Event& add(std::string key, std::string value) {
    fields.push_back({std::move(key), Value{std::move(value)}});
    return *this;
  }
  Event& add(std::string key, std::string_view value) { return add(std::move(key), std::string(value)); }
  Event& add(std::string key, const char* value) { return add(std::move(key), std::string(value)); }
  Event& add(std::string key, bool value) {
    fields.push_back({std::move(key), Value{value}});
    return *this;
  }
  template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>)
  Event& add(std::string key, T value) {
    fields.push_back({std::move(key), Value{static_cast<std::int64_t>(value)}});
    return *this;
  }
  Event& add(std::string key, double value) {
    fields.push_back({std::move(key), Value{value}});
    return *this;
  }
  Event& about(const core::Mac& machine) {
    mac = machine;
    return *this;
  }
  Event& from(core::Ipv4 address) {
    client = address;
    return *this;
  }

  // The first field of that key, or nullptr.
  const Value* find(std::string_view key) const;
  // A string field's text; empty when absent or not a string.
  std::string_view text(std::string_view key) const;
  // A whole-number field; 0 when absent or not a whole number.
  std::int64_t integer(std::string_view key) const;
  // A number field, whole or not; 0 when absent or text.
  double number(std::string_view key) const;
};

// Unix milliseconds as the API writes times: "2026-12-07T08:41:02.117Z"; empty for 0.
std::string utc_text(std::int64_t ms);

// A value as text: a string as it is, a number in its shortest exact form.
std::string value_text(const Value& value);

// A text value as a log line writes it: bare, or quoted and escaped when it
// has a space, quote, '=', backslash or control character (or is empty).
std::string text_line_value(std::string_view value);

// `name k=v k2="v with spaces" mac=...` (values quoted only when needed).
std::string format_text(const Event& event);
// `"event":"name","k":"v","n":3,...` without braces: the log pattern adds time and level.
std::string format_json_fields(const Event& event);
// One whole JSON object with time and level, for the history and the stream.
std::string format_json(const Event& event);
// What format_json wrote, read back (the history kept on disk); nullopt for
// anything else: an unknown kind or level, a value that is no field's type.
std::optional<Event> parse_json(std::string_view json);

}  // namespace pxed::events
