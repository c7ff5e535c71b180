#pragma once
// What a client's request says about it, in the words boot::resolve uses.
#include "boot/boot.hpp"
#include "dhcp/packet.hpp"

namespace pxed::dhcp {

// Reads options 60, 77 (RFC 3004 and iPXE's bare "iPXE"), 93, 97, 175 and
// option 43 sub-option 71. Malformed options are ignored, never fatal: a
// firmware with a broken 97 still boots (FIRMWARE.md 2).
boot::ClientFacts facts_of(const Packet& request);

// A machine as `pxed lookup` is told of it, asking the way its firmware does.
struct Firmware {
  core::Mac mac;
  std::uint16_t arch = 0;
  std::optional<core::Uuid> uuid;
  bool http_client = false;  // UEFI HTTP boot: vendor class HTTPClient
  bool ipxe = false;         // already running iPXE: user class "iPXE"
  std::optional<std::uint16_t> boot_item;  // a 4011 REQUEST naming a menu item
  core::Ipv4 address;        // ciaddr: the address it holds
};

// The DHCP request such a machine sends (PXE 2.1 §2.2.1, RFC 4578, UEFI HTTP
// boot, iPXE), so lookup reads its facts through facts_of as serving does.
Packet request_of(const Firmware& firmware);

}  // namespace pxed::dhcp
