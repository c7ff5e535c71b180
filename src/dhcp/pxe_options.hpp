#pragma once
// Option 43 for PXE clients (PXE spec 2.1 §2.2.6, FIRMWARE.md 3, 4, 22): the
// vendor-encapsulated sub-options that carry discovery control, boot servers,
// the boot menu, the prompt and the chosen boot item.
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/net.hpp"

namespace pxed::dhcp {

namespace pxe {
inline constexpr std::uint8_t kDiscoveryControl = 6, kBootServers = 8, kBootMenu = 9,
    kMenuPrompt = 10, kBootItem = 71, kEnd = 255;
// Sub-option 6 bits.
inline constexpr std::uint8_t kNoBroadcast = 1, kNoMulticast = 2, kOnlyListedServers = 4,
    kUseBootfile = 8;
inline constexpr std::uint16_t kLocalBoot = 0;  // boot server type 0: boot from local disk
}  // namespace pxe

struct PxeBootServer {
  std::uint16_t type = 0;
  std::vector<core::Ipv4> addresses;
  bool operator==(const PxeBootServer&) const = default;
};

struct PxeMenuItem {
  std::uint16_t type = 0;
  std::string label;  // at most 255 bytes
  bool operator==(const PxeMenuItem&) const = default;
};

struct PxeBootItem {
  std::uint16_t type = 0;
  std::uint16_t layer = 0;  // bit 15: BIS (integrity) requested, which we refuse
  bool operator==(const PxeBootItem&) const = default;
};

struct PxeOptions {
  std::optional<std::uint8_t> discovery_control;
  std::vector<PxeBootServer> boot_servers;
  std::vector<PxeMenuItem> menu;
  std::optional<std::uint8_t> prompt_timeout;  // with prompt: seconds, 255 = wait for a key
  std::string prompt;
  std::optional<PxeBootItem> boot_item;
  bool operator==(const PxeOptions&) const = default;
};

enum class PxeError { truncated, too_large };
std::string_view to_string(PxeError e);  // "truncated", "too-large"

// The option 43 value (sub-options then 255). too_large when it exceeds the
// 255 bytes one option holds: dnsmasq's "PXE menu too large".
std::expected<std::vector<std::uint8_t>, PxeError> encode_pxe(const PxeOptions& options);
// Unknown sub-options are skipped; a sub-option running past the end is an error.
std::expected<PxeOptions, PxeError> decode_pxe(std::span<const std::uint8_t> value);

}  // namespace pxed::dhcp
