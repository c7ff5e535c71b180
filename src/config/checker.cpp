#include "config/checker.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <vector>

#include "config/duration.hpp"
#include "core/suggest.hpp"

namespace pxed::config {

void Checker::fail(std::uint32_t line, std::string key, std::string message) {
  errors.push_back({file, line, std::move(key), std::move(message)});
}

void Checker::fail(const Field& f, std::string message) {
  fail(f.line(), f.key, std::move(message));
}

bool Checker::failed(std::string_view key) const {
  return std::ranges::any_of(errors, [&](const ConfigError& e) { return e.key == key; });
}

std::optional<std::uint32_t> Checker::line_of(std::string_view key) const {
  auto it = seen.find(key);
  return it == seen.end() ? std::nullopt : std::optional(it->second);
}

std::uint32_t Checker::line_in_item(const std::string& key, std::uint32_t item_line) const {
  auto it = item_seen.find({key, item_line});
  return it == item_seen.end() ? item_line : it->second;
}

std::string_view type_name(const toml::value& v) {
  // Indexed by toml::value_t: empty, boolean, integer, floating, string,
  // offset_datetime, local_datetime, local_date, local_time, array, table.
  constexpr std::string_view kNames[] = {"nothing", "a boolean", "an integer", "a float",
                                         "a string", "a date-time", "a date-time", "a date",
                                         "a time", "an array", "a table"};
  static_assert(std::size(kNames) == static_cast<std::size_t>(toml::value_t::table) + 1);
  auto index = static_cast<std::size_t>(v.type());
  return index < std::size(kNames) ? kNames[index] : "an unknown type";
}

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string did_you_mean(std::string_view name, std::span<const std::string_view> known, std::string_view open,
                         std::string_view close) {
  const std::vector<std::string> names(known.begin(), known.end());
  // "at" is two edits from any two-letter word: short names get one.
  auto guess = core::nearest(name, names, name.size() <= 3 ? 1 : 2);
  if (!guess || *guess == name) return "";
  return "did you mean " + std::string(open) + *guess + std::string(close) + "? ";
}

namespace {

// Decimal without sign or leading zeros: "010" would be octal to inet_aton.
std::optional<std::uint32_t> decimal(std::string_view s, std::uint32_t max) {
  if (s.empty() || s.size() > 5 || (s.size() > 1 && s.front() == '0')) return std::nullopt;
  std::uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

}  // namespace

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  if (text.starts_with('[')) {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) return std::nullopt;
    const std::string address(text.substr(1, close - 1));
    in6_addr parsed{};
    if (address.empty() || ::inet_pton(AF_INET6, address.c_str(), &parsed) != 1) return std::nullopt;
    auto port = decimal(text.substr(close + 2), 65535);
    if (!port || *port == 0) return std::nullopt;
    return Endpoint{address, static_cast<std::uint16_t>(*port)};
  }
  std::string_view rest = text;
  for (char separator : {'.', '.', '.', ':'}) {
    auto at = rest.find(separator);
    if (at == std::string_view::npos || !decimal(rest.substr(0, at), 255)) return std::nullopt;
    rest.remove_prefix(at + 1);
  }
  auto port = decimal(rest, 65535);
  if (!port || *port == 0) return std::nullopt;
  auto address = text.substr(0, text.size() - rest.size() - 1);
  return Endpoint{std::string(address), static_cast<std::uint16_t>(*port)};
}

bool expect_type(Checker& c, const Field& f, toml::value_t type, std::string_view what) {
  if (f.value.type() == type) return true;
  c.fail(f, "must be " + std::string(what) + ", got " + std::string(type_name(f.value)));
  return false;
}

const std::string* string_of(Checker& c, const Field& f, std::string_view what) {
  return expect_type(c, f, toml::value_t::string, what) ? &f.value.as_string().str : nullptr;
}

void read_bool(Checker& c, const Field& f, bool& out) {
  if (expect_type(c, f, toml::value_t::boolean, "a boolean (true or false)")) {
    out = f.value.as_boolean();
  }
}

void read_string(Checker& c, const Field& f, std::string& out) {
  if (auto text = string_of(c, f)) out = *text;
}

std::optional<std::int64_t> int_in(Checker& c, const Field& f, const IntRange& range) {
  if (!expect_type(c, f, toml::value_t::integer, "an integer")) return std::nullopt;
  const std::int64_t v = f.value.as_integer();
  if (v >= range.min && v <= range.max) return v;
  std::string why = range.why.empty() ? "" : " (" + std::string(range.why) + ")";
  c.fail(f, "must be " + std::to_string(range.min) + ".." + std::to_string(range.max) + why +
                ", got " + std::to_string(v));
  return std::nullopt;
}

void read_duration(Checker& c, const Field& f, std::chrono::milliseconds& out,
                   const DurationRange& range) {
  auto text = string_of(c, f, "a duration string such as \"2s\" or \"250ms\"");
  if (!text) return;
  auto d = parse_duration(*text);
  if (!d) return c.fail(f, "duration " + in_quotes(*text) + " " + d.error());
  if (*d < range.min || *d > range.max) {
    return c.fail(f, "must be " + format_duration(range.min) + ".." +
                         format_duration(range.max) + ", got " + in_quotes(*text));
  }
  out = *d;
}

void read_choice(Checker& c, const Field& f, std::string& out,
                 std::span<const std::string_view> choices) {
  auto text = string_of(c, f);
  if (!text) return;
  if (std::ranges::find(choices, *text) != choices.end()) return void(out = *text);
  std::string list;
  for (auto choice : choices) list += (list.empty() ? "" : ", ") + std::string(choice);
  c.fail(f, "must be one of " + list + "; got " + in_quotes(*text));
}

std::filesystem::path directory_holding(const std::filesystem::path& file) {
  std::error_code ec;
  auto real = std::filesystem::weakly_canonical(std::filesystem::absolute(file, ec), ec);
  if (ec) real = std::filesystem::absolute(file, ec);
  return real.lexically_normal().parent_path();
}

// Relative paths follow the config file, not the directory pxed was started from.
void read_path(Checker& c, const Field& f, std::filesystem::path& out) {
  auto text = string_of(c, f);
  if (!text) return;
  if (text->empty()) return c.fail(f, "must not be empty");
  std::filesystem::path p(*text);
  out = (p.is_absolute() ? p : c.base_dir / p).lexically_normal();
  if (!out.has_filename() && out.has_relative_path()) out = out.parent_path();  // "a/" -> "a"
}

void read_endpoint(Checker& c, const Field& f, Endpoint& out) {
  auto text = string_of(c, f);
  if (!text) return;
  auto endpoint = parse_endpoint(*text);
  if (!endpoint) {
    return c.fail(f, "must be \"A.B.C.D:PORT\" or \"[IPv6]:PORT\" (port 1..65535), got " +
                         in_quotes(*text));
  }
  out = *endpoint;
}

void read_listen(Checker& c, const Field& f, Endpoint& first, std::vector<Endpoint>& also) {
  if (f.value.is_string()) {
    read_endpoint(c, f, first);
    also.clear();
    return;
  }
  const std::string example = "an address such as \"0.0.0.0:69\" or an array of them";
  if (!expect_type(c, f, toml::value_t::array, example)) return;
  const auto& items = f.value.as_array();
  if (items.empty()) return c.fail(f, "must hold at least one address (to stop the service: enabled = false)");
  std::vector<Endpoint> read;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto where = "element " + std::to_string(i + 1) + " ";
    if (!items[i].is_string()) {
      c.fail(Field{f.key, items[i]}, where + "must be a string, got " + std::string(type_name(items[i])));
      continue;
    }
    const auto& text = items[i].as_string().str;
    auto endpoint = parse_endpoint(text);
    if (!endpoint) {
      c.fail(Field{f.key, items[i]}, where + "must be \"A.B.C.D:PORT\" or \"[IPv6]:PORT\" (port 1..65535), got " +
                                         in_quotes(text));
      continue;
    }
    // Two sockets on one address and port: serve's second bind would fail.
    auto clash = std::ranges::find_if(read, [&](const Endpoint& e) { return overlaps(e, *endpoint); });
    if (clash != read.end()) {
      c.fail(Field{f.key, items[i]}, where + in_quotes(text) + " overlaps " + in_quotes(to_string(*clash)) +
                                         " (one port: a wildcard address covers every other)");
      continue;
    }
    read.push_back(*endpoint);
  }
  if (read.size() != items.size()) return;
  first = read.front();
  also.assign(read.begin() + 1, read.end());
}

std::string to_string(const Endpoint& e) {
  return (e.is_v6() ? "[" + e.address + "]" : e.address) + ":" + std::to_string(e.port);
}

bool overlaps(const Endpoint& a, const Endpoint& b) {
  if (a.port != b.port || a.is_v6() != b.is_v6()) return false;
  auto wildcard = [](const Endpoint& e) { return e.address == "0.0.0.0" || e.address == "::"; };
  return a.address == b.address || wildcard(a) || wildcard(b);
}

}  // namespace pxed::config
