#pragma once
// A DHCP/BOOTP message as a value (RFC 2131 §2, RFC 2132 options). decode()
// checks every length before use; encode() writes what a value holds. Options
// keep their order; option overload (52) and long options (RFC 3396) are undone
// on decode, so callers see one option per code.
#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/net.hpp"

namespace pxed::dhcp {

inline constexpr std::size_t kMaxOptionLength = 255;  // RFC 2132 §2: one length octet

enum class Op : std::uint8_t { request = 1, reply = 2 };

// Option 53 (RFC 2132 §9.6).
enum class MessageType : std::uint8_t {
  discover = 1, offer = 2, request = 3, decline = 4, ack = 5, nak = 6, release = 7, inform = 8,
};
std::string_view to_string(MessageType t);  // "DISCOVER", ...

// Option codes we read or write, named as RFC 2132 and the PXE documents name them.
namespace option {
inline constexpr std::uint8_t kPad = 0, kSubnetMask = 1, kRouter = 3, kDns = 6, kHostname = 12,
    kDomainName = 15, kVendorSpecific = 43, kRequestedIp = 50, kLeaseTime = 51, kOverload = 52,
    kMessageType = 53, kServerId = 54, kParameterList = 55, kMessage = 56, kMaxMessageSize = 57,
    kRenewalTime = 58, kRebindingTime = 59, kVendorClass = 60, kClientId = 61, kTftpServer = 66,
    kBootfile = 67, kUserClass = 77, kRelayAgent = 82, kClientArch = 93, kClientNdi = 94,
    kClientUuid = 97, kIpxe = 175, kEnd = 255;
}

class Options {
 public:
  const std::vector<std::uint8_t>* find(std::uint8_t code) const;
  bool has(std::uint8_t code) const { return find(code) != nullptr; }
  // Replaces the value if present (keeping its place), else appends.
  void set(std::uint8_t code, std::vector<std::uint8_t> value);
  void set(std::uint8_t code, std::string_view text);
  void set_u8(std::uint8_t code, std::uint8_t v);
  void set_u16(std::uint8_t code, std::uint16_t v);
  void set_u32(std::uint8_t code, std::uint32_t v);
  void set_ipv4(std::uint8_t code, core::Ipv4 a);
  void set_ipv4s(std::uint8_t code, std::span<const core::Ipv4> list);
  void erase(std::uint8_t code);

  // Typed reads: empty when absent or the wrong length.
  std::optional<std::uint8_t> u8(std::uint8_t code) const;
  std::optional<std::uint16_t> u16(std::uint8_t code) const;
  std::optional<std::uint32_t> u32(std::uint8_t code) const;
  std::optional<core::Ipv4> ipv4(std::uint8_t code) const;
  // Text options with trailing NULs removed (Microsoft clients add one: FIRMWARE.md 8).
  std::optional<std::string> text(std::uint8_t code) const;

  const std::vector<std::pair<std::uint8_t, std::vector<std::uint8_t>>>& all() const {
    return items_;
  }
  bool empty() const { return items_.empty(); }
  bool operator==(const Options&) const = default;  // same codes, values and order

 private:
  std::vector<std::pair<std::uint8_t, std::vector<std::uint8_t>>> items_;
};

struct Packet {
  Op op = Op::request;
  std::uint8_t htype = 1;  // 1 = Ethernet
  std::uint8_t hlen = 6;
  std::uint8_t hops = 0;
  std::uint32_t xid = 0;
  std::uint16_t secs = 0;
  std::uint16_t flags = 0;  // bit 15: broadcast
  core::Ipv4 ciaddr, yiaddr, siaddr, giaddr;
  std::array<std::uint8_t, 16> chaddr{};
  // BOOTP sname (64) and file (128): not necessarily NUL-terminated (FIRMWARE.md 24);
  // decode stops at the first NUL or the field end. Empty when overloaded with options.
  std::string sname;
  std::string file;
  Options options;

  static constexpr std::uint16_t kBroadcastFlag = 0x8000;
  std::optional<MessageType> message_type() const;
  core::Mac mac() const;  // chaddr's first 6 bytes (meaningful when htype 1, hlen 6)
  bool broadcast() const { return (flags & kBroadcastFlag) != 0; }
  bool operator==(const Packet&) const = default;
};

enum class DecodeError {
  truncated,        // shorter than the 236-byte BOOTP header + magic cookie
  bad_cookie,       // not 99.130.83.99: BOOTP without DHCP, or garbage
  bad_op,           // op not 1 or 2
  bad_hardware,     // hlen > 16
  option_overrun,   // an option's length runs past the end of its field
  overload_loop,    // option 52 inside sname/file, or an invalid value
  too_large,        // longer than kMaxPacket
};
std::string_view to_string(DecodeError e);

inline constexpr std::size_t kHeaderSize = 236;    // RFC 2131 §2, without the options
inline constexpr std::size_t kMinPacket = 300;     // BOOTP (RFC 951): replies padded to this
inline constexpr std::size_t kMaxPacket = 65535 - 28;  // whatever fits one UDP datagram
inline constexpr std::size_t kDefaultMaxReply = 576 - 28;  // RFC 2131 §2: every client takes 576-byte IP datagrams

std::expected<Packet, DecodeError> decode(std::span<const std::byte> bytes);

// Options go after the cookie; when they do not fit in max_size and both
// `file` and `sname` are empty, the rest spill into them with option 52
// (RFC 2132 §9.3). Options longer than 255 bytes are split (RFC 3396). Padded
// to kMinPacket. An option set that cannot fit at all is cut at the last whole
// option and the result says so.
// Option 53 is written first (RFC 2131 §4.1 convention; old PXE ROMs look for
// it there), the rest in insertion order. A caller's option 52 is ignored:
// overload is encode's decision. max_size below kMinPacket means kMinPacket.
struct Encoded {
  std::vector<std::byte> bytes;
  bool truncated = false;  // options left out for lack of room
};
Encoded encode(const Packet& packet, std::size_t max_size = kDefaultMaxReply);

}  // namespace pxed::dhcp
