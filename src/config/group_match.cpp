// [[group]] match: the facts a group takes machines by. Every key takes one
// value or an array of them; MAC prefixes ("52:54:00:*") are MacPatterns.
#include <algorithm>
#include <optional>

#include "config/sections.hpp"

namespace pxed::config {
namespace {

// The firmware names of DHCP option 93 (RFC 4578 §2.1 and IANA's registry)
// that boot::resolve knows; in the order error messages list them.
constexpr std::string_view kArchNames[] = {"bios",      "efi32",      "efi64",     "arm32_efi",
                                           "arm64_efi", "efi64_http", "arm64_http"};
constexpr std::size_t kMaxVendorClass = 255;  // RFC 2132 §9.13: option 60's length is one byte

std::optional<std::uint8_t> hex_digit(char ch) {
  if (ch >= '0' && ch <= '9') return static_cast<std::uint8_t>(ch - '0');
  if (ch >= 'a' && ch <= 'f') return static_cast<std::uint8_t>(ch - 'a' + 10);
  if (ch >= 'A' && ch <= 'F') return static_cast<std::uint8_t>(ch - 'A' + 10);
  return std::nullopt;
}

// A full MAC, or whole leading octets and "*": "52:54:00:*", "52-54-00-*".
std::optional<MacPattern> parse_mac_pattern(const std::string& text) {
  if (auto mac = core::Mac::parse(text)) return MacPattern{*mac, 6, text};
  if (!text.ends_with('*')) return std::nullopt;
  const std::string_view prefix = std::string_view(text).substr(0, text.size() - 1);
  if (prefix.size() % 3 != 0 || prefix.size() / 3 >= 6) return std::nullopt;
  MacPattern pattern{{}, static_cast<std::uint8_t>(prefix.size() / 3), text};
  const char separator = prefix.empty() ? ':' : prefix[2];
  if (separator != ':' && separator != '-') return std::nullopt;
  for (std::size_t i = 0; i < pattern.octets; ++i) {
    auto hi = hex_digit(prefix[i * 3]);
    auto lo = hex_digit(prefix[i * 3 + 1]);
    if (!hi || !lo || prefix[i * 3 + 2] != separator) return std::nullopt;
    pattern.mac.bytes[i] = static_cast<std::uint8_t>(*hi << 4 | *lo);
  }
  return pattern;
}

std::optional<core::Ipv4Network> parse_network(const std::string& text) {
  return core::Ipv4Network::parse(text);
}

std::optional<std::string> parse_arch(const std::string& text) {
  if (std::ranges::find(kArchNames, text) == std::end(kArchNames)) return std::nullopt;
  return text;
}

std::optional<std::string> parse_vendor_class(const std::string& text) {
  if (text.empty() || text.size() > kMaxVendorClass) return std::nullopt;
  return text;
}

std::optional<core::Uuid> parse_uuid(const std::string& text) { return core::Uuid::parse(text); }

// One string or an array of them; `expected` says what each must be, for messages.
template <class T>
void read_values(Checker& c, const Field& f, std::vector<T>& out, std::string_view expected,
                 std::optional<T> (*parse)(const std::string&)) {
  std::vector<const toml::value*> values;
  if (f.value.is_string()) {
    values.push_back(&f.value);
  } else if (f.value.is_array()) {
    for (const auto& v : f.value.as_array()) values.push_back(&v);
  } else {
    return c.fail(f, "must be a string or an array of strings, got " +
                         std::string(type_name(f.value)));
  }
  if (values.empty()) return c.fail(f, "must not be empty: leave the key out to match any");
  std::vector<T> parsed;
  for (std::size_t i = 0; i < values.size(); ++i) {
    Field one{f.key, *values[i]};
    const std::string element =
        f.value.is_array() ? "element " + std::to_string(i + 1) + " " : std::string();
    if (!one.value.is_string()) {
      c.fail(one, element + "must be a string, got " + std::string(type_name(one.value)));
    } else if (auto v = parse(one.value.as_string().str)) {
      parsed.push_back(std::move(*v));
    } else {
      c.fail(one, element + "must be " + std::string(expected) + ", got " +
                      in_quotes(one.value.as_string().str));
    }
  }
  if (parsed.size() == values.size()) out = std::move(parsed);
}

constexpr std::string_view kNetwork =
    "a network such as \"10.77.0.0/24\" (no host bits set)";

constexpr Key<GroupMatch> kMatchKeys[] = {
    {"mac", [](auto& c, auto& f, auto& m) {
       read_values<MacPattern>(c, f, m.mac,
                               "a MAC address, or whole leading octets and *, like \"52:54:00:*\"",
                               parse_mac_pattern);
     }},
    {"subnet", [](auto& c, auto& f, auto& m) {
       read_values<core::Ipv4Network>(c, f, m.subnet, kNetwork, parse_network);
     }},
    {"relay", [](auto& c, auto& f, auto& m) {
       read_values<core::Ipv4Network>(c, f, m.relay, kNetwork, parse_network);
     }},
    {"arch", [](auto& c, auto& f, auto& m) {
       read_values<std::string>(
           c, f, m.arch, "one of bios, efi32, efi64, arm32_efi, arm64_efi, efi64_http, arm64_http",
           parse_arch);
     }},
    {"vendor_class", [](auto& c, auto& f, auto& m) {
       read_values<std::string>(
           c, f, m.vendor_class,
           "the start of option 60, 1..255 bytes, like \"PXEClient:Arch:00007\"",
           parse_vendor_class);
     }},
    {"uuid", [](auto& c, auto& f, auto& m) {
       read_values<core::Uuid>(
           c, f, m.uuid, "a UUID such as \"4c4c4544-0042-3510-8052-b4c04f4d4e31\"", parse_uuid);
     }},
};

}  // namespace

void read_group_match(Checker& c, const Field& f, GroupMatch& out) {
  read_table<GroupMatch>(c, f, kMatchKeys, out, "[[group]] match");
}

bool MacPattern::matches(const core::Mac& m) const {
  return std::equal(mac.bytes.begin(), mac.bytes.begin() + std::min<std::size_t>(octets, 6),
                    m.bytes.begin());
}

}  // namespace pxed::config
