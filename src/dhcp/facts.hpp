#pragma once
// What a client's request says about it, in the words boot::resolve uses.
#include "boot/boot.hpp"
#include "dhcp/packet.hpp"

namespace pxed::dhcp {

// Reads options 60, 77 (RFC 3004 and iPXE's bare "iPXE"), 93, 97, 175 and
// option 43 sub-option 71. Malformed options are ignored, never fatal: a
// firmware with a broken 97 still boots (FIRMWARE.md 2).
boot::ClientFacts facts_of(const Packet& request);

}  // namespace pxed::dhcp
