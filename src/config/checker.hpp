#pragma once
// Reading one TOML value into a typed field, or recording why not. The schema
// in config.cpp is built from these; none of them stops at the first problem.
// Internal to the config module: only config.cpp and its tests include it.
#include <chrono>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml.hpp>

#include "config/config.hpp"

namespace pxed::config {

struct Field {
  std::string key;  // dotted, e.g. "tftp.blksize_max"
  const toml::value& value;
  std::uint32_t line() const { return value.location().line(); }
};

// Every check records its problem and carries on, so one run shows them all.
struct Checker {
  std::string file;
  std::filesystem::path base_dir;  // relative paths are resolved against it
  std::vector<ConfigError> errors;
  std::map<std::string, std::uint32_t, std::less<>> seen;  // key -> line, for cross-key checks
  // The keys of an array of tables repeat from item to item, so cross-checks
  // find each item's keys by (key, line of the item's table).
  std::map<std::pair<std::string, std::uint32_t>, std::uint32_t> item_seen;
  // files.allow_system_root: a key that only widens what the checks accept,
  // so it lives with them rather than in Config (serve never reads it).
  bool allow_system_root = false;

  void fail(std::uint32_t line, std::string key, std::string message);
  void fail(const Field& f, std::string message);
  bool failed(std::string_view key) const;
  std::optional<std::uint32_t> line_of(std::string_view key) const;
  // Where `key` was written in the table starting at `item_line`; item_line when it was not.
  std::uint32_t line_in_item(const std::string& key, std::uint32_t item_line) const;
};

struct IntRange {
  std::int64_t min, max;
  std::string_view why;  // appended to the message, e.g. "RFC 2348"
};

struct DurationRange {
  std::chrono::milliseconds min, max;
};

std::string_view type_name(const toml::value& v);  // "an integer", "a string", ...
std::string in_quotes(std::string_view s);
// "did you mean \"tftp\"? " when name is a slip of one of `known` (one edit for
// names of three letters or fewer, two otherwise), else "". `open`/`close`
// wrap the guess as the message lists the names: "[", "]" for sections.
std::string did_you_mean(std::string_view name, std::span<const std::string_view> known,
                         std::string_view open = "\"", std::string_view close = "\"");

// "A.B.C.D:PORT": four decimal octets 0..255 (no leading zeros), then a port 1..65535;
// or "[IPv6]:PORT" (RFC 3986's brackets, as in a URL).
std::optional<Endpoint> parse_endpoint(std::string_view text);

// The readers: on a problem they record it and leave `out` alone.
bool expect_type(Checker& c, const Field& f, toml::value_t type, std::string_view what);
const std::string* string_of(Checker& c, const Field& f, std::string_view what = "a string");
void read_bool(Checker& c, const Field& f, bool& out);
void read_string(Checker& c, const Field& f, std::string& out);
std::optional<std::int64_t> int_in(Checker& c, const Field& f, const IntRange& range);
void read_duration(Checker& c, const Field& f, std::chrono::milliseconds& out,
                   const DurationRange& range);
void read_choice(Checker& c, const Field& f, std::string& out,
                 std::span<const std::string_view> choices);
void read_path(Checker& c, const Field& f, std::filesystem::path& out);  // relative: base_dir
// The directory a config file really is in, symlinks followed: relative paths
// in /etc/pxed/pxed.toml -> /srv/site/pxed.toml are relative to /srv/site,
// where the files written beside it are (pxed.example.toml says so).
std::filesystem::path directory_holding(const std::filesystem::path& file);
void read_endpoint(Checker& c, const Field& f, Endpoint& out);
// One address, or an array of them: the first in `first`, the others in `also`.
void read_listen(Checker& c, const Field& f, Endpoint& first, std::vector<Endpoint>& also);

template <std::integral T>
void read_int(Checker& c, const Field& f, T& out, const IntRange& range) {
  if (auto v = int_in(c, f, range)) out = static_cast<T>(*v);  // the range fits T
}

}  // namespace pxed::config
