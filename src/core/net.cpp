#include "core/net.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace pxed::core {
namespace {

// One decimal number 0..max with no sign, no leading zeros, no spaces.
std::optional<std::uint32_t> decimal(std::string_view s, std::uint32_t max) {
  if (s.empty() || s.size() > 10 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  std::uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

std::optional<std::uint8_t> hex_digit(char c) {
  if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<std::uint8_t>(c - 'A' + 10);
  return std::nullopt;
}

}  // namespace

std::optional<Ipv4> Ipv4::parse(std::string_view dotted) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    auto dot = dotted.find('.');
    if ((i < 3) != (dot != std::string_view::npos)) return std::nullopt;
    auto octet = decimal(dotted.substr(0, dot), 255);
    if (!octet) return std::nullopt;
    value = value << 8 | *octet;
    dotted = i < 3 ? dotted.substr(dot + 1) : std::string_view{};
  }
  return Ipv4{value};
}

std::string Ipv4::to_string() const {
  char out[16];
  int n = std::snprintf(out, sizeof out, "%u.%u.%u.%u", value >> 24, (value >> 16) & 0xff,
                        (value >> 8) & 0xff, value & 0xff);
  return std::string(out, static_cast<std::size_t>(n));
}

std::string Ipv4::to_hex() const {
  char out[9];
  std::snprintf(out, sizeof out, "%08X", value);
  return out;
}

std::optional<Ipv4Network> Ipv4Network::parse(std::string_view cidr) {
  auto slash = cidr.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto address = Ipv4::parse(cidr.substr(0, slash));
  auto prefix = decimal(cidr.substr(slash + 1), 32);
  if (!address || !prefix) return std::nullopt;
  Ipv4Network net{*address, static_cast<std::uint8_t>(*prefix)};
  if ((address->value & ~net.mask()) != 0) return std::nullopt;
  return net;
}

std::string Ipv4Network::to_string() const {
  return network.to_string() + "/" + std::to_string(prefix);
}

std::optional<Mac> Mac::parse(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  const char separator = text[2];
  if (separator != ':' && separator != '-') return std::nullopt;
  Mac mac;
  for (std::size_t i = 0; i < 6; ++i) {
    auto hi = hex_digit(text[i * 3]);
    auto lo = hex_digit(text[i * 3 + 1]);
    if (!hi || !lo || (i < 5 && text[i * 3 + 2] != separator)) return std::nullopt;
    mac.bytes[i] = static_cast<std::uint8_t>(*hi << 4 | *lo);
  }
  return mac;
}

std::string Mac::to_string() const {
  char out[18];
  std::snprintf(out, sizeof out, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
                bytes[3], bytes[4], bytes[5]);
  return out;
}

std::string Mac::to_pxelinux() const {
  char out[21];
  std::snprintf(out, sizeof out, "01-%02x-%02x-%02x-%02x-%02x-%02x", bytes[0], bytes[1],
                bytes[2], bytes[3], bytes[4], bytes[5]);
  return out;
}

namespace {
// Where the dashes go in "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx".
constexpr std::array<std::size_t, 4> kUuidDashes = {8, 13, 18, 23};
constexpr std::size_t kUuidTextSize = 36;
}  // namespace

std::optional<Uuid> Uuid::parse(std::string_view text) {
  if (text.size() != kUuidTextSize) return std::nullopt;
  Uuid uuid;
  std::size_t byte = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (std::ranges::find(kUuidDashes, i) != kUuidDashes.end()) {
      if (text[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    auto hi = hex_digit(text[i]);
    auto lo = hex_digit(text[i + 1]);
    if (!hi || !lo) return std::nullopt;
    uuid.bytes[byte++] = static_cast<std::uint8_t>(*hi << 4 | *lo);
    i += 2;
  }
  return uuid;
}

std::string Uuid::to_string() const {
  std::string out;
  out.reserve(kUuidTextSize);
  constexpr char kDigits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0xf];
  }
  return out;
}

}  // namespace pxed::core
