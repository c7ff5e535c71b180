#pragma once
// Addresses as values: an IPv4 address in host byte order and a 6-byte MAC.
// Parsing is strict (what a config file or a log line holds); nothing here
// touches a socket.
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pxed::core {

struct Ipv4 {
  std::uint32_t value = 0;  // host byte order: 10.0.0.1 is 0x0a000001

  static std::optional<Ipv4> parse(std::string_view dotted);  // "A.B.C.D", no leading zeros
  std::string to_string() const;
  // Upper-case hex of the four bytes, as pxelinux asks for them: "0A000001".
  std::string to_hex() const;
  bool is_zero() const { return value == 0; }
  auto operator<=>(const Ipv4&) const = default;
};

inline constexpr Ipv4 kBroadcast{0xffffffffu};

// network/prefix, e.g. 10.77.0.0/24. parse() refuses host bits set.
struct Ipv4Network {
  Ipv4 network;
  std::uint8_t prefix = 0;  // 0..32

  static std::optional<Ipv4Network> parse(std::string_view cidr);
  std::uint32_t mask() const { return prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix); }
  bool contains(Ipv4 a) const { return (a.value & mask()) == network.value; }
  Ipv4 broadcast() const { return Ipv4{network.value | ~mask()}; }
  std::string to_string() const;
  auto operator<=>(const Ipv4Network&) const = default;
};

struct Mac {
  std::array<std::uint8_t, 6> bytes{};

  // "52:54:00:12:34:56" or "52-54-00-12-34-56", either case.
  static std::optional<Mac> parse(std::string_view text);
  std::string to_string() const;  // "52:54:00:12:34:56"
  // pxelinux's file name: "01-52-54-00-12-34-56" (ARP type 1, lower case, dashes).
  std::string to_pxelinux() const;
  auto operator<=>(const Mac&) const = default;
};

// A machine's UUID (SMBIOS system UUID, PXE option 97 after its type byte), in
// the order the client sent it. Text is what pxelinux asks for and people
// write: "8-4-4-4-12" lower-case hex digits, bytes printed in the order held.
struct Uuid {
  std::array<std::uint8_t, 16> bytes{};

  static std::optional<Uuid> parse(std::string_view text);  // either case
  std::string to_string() const;
  auto operator<=>(const Uuid&) const = default;
};

}  // namespace pxed::core
