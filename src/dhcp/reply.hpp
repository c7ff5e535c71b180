#pragma once
// Pieces every DHCP reply shares, whichever mode builds it: the header copied
// from the request, where the reply goes (RFC 2131 §4.1), the boot information
// a PXE or HTTP boot client needs, and the one event that describes the reply.
// Internal to the dhcp module (server.cpp, proxy.cpp).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "boot/boot.hpp"
#include "config/config.hpp"
#include "dhcp/packet.hpp"
#include "dhcp/server.hpp"
#include "events/event.hpp"

namespace pxed::dhcp {

// RFC 2131 §2: the BOOTP `file` field; longer names go in option 67 only (FIRMWARE.md 24).
inline constexpr std::size_t kFileFieldSize = 128;
// Option 57 counts the whole IP datagram (RFC 2132 §9.10: "minimum legal value is
// 576"); the DHCP message is that minus IP (20) and UDP (8) headers. We never go
// past an Ethernet frame, whatever the client allows: no fragments.
inline constexpr std::size_t kMinMaxMessage = 576;
inline constexpr std::size_t kMaxReplyDatagram = 1500;
inline constexpr std::size_t kIpUdpHeaders = 28;
// PXE spec 2.1 §2.2.6, sub-option 71 layer: bit 15 asks for BIS credentials, which we do not have.
inline constexpr std::uint16_t kBisLayerBit = 0x8000;
// dnsmasq's discovery control for a menu served by us: no broadcast or
// multicast discovery, the client asks the servers listed in sub-option 8.
inline constexpr std::uint8_t kMenuDiscoveryControl = 3;

// A reply of `type` to `request`: op, htype, hlen, xid, flags, giaddr and chaddr
// copied (RFC 2131 table 3), option 53 set, options 61 (RFC 6842) copied.
Packet reply_to(const Packet& request, MessageType type);
// Finishes a reply: option 82 echoed last (RFC 3046 §2.2), destination per
// RFC 2131 §4.1 and FIRMWARE.md 21, size limit per option 57.
Reply address_reply(Packet reply, const Packet& request, const Arrival& arrival);
std::size_t max_reply_size(const Packet& request);

boot::Context boot_context(const config::Http& http, const Arrival& arrival);

// siaddr, `file` (always: FIRMWARE.md 27), option 67 when asked or when `file`
// cannot hold it, 60 (FIRMWARE.md 1, 10), 97 (FIRMWARE.md 2) and 43 for PXE
// clients (FIRMWARE.md 3, 22): the menu when the plan has one and it fits,
// else the minimal discovery-control blob. A menu too large for option 43
// adds a "dhcp.menu_too_large" event and falls back to the plain file.
void add_boot(Packet& reply, const Packet& request, const boot::ClientFacts& facts, const boot::BootPlan& plan,
              core::Ipv4 server, std::vector<events::Event>& events);
void echo_vendor_class(Packet& reply, const boot::ClientFacts& facts, const boot::BootPlan& plan);
void echo_uuid(Packet& reply, const Packet& request);
void set_file(Packet& reply, const Packet& request, const std::string& file);

bool is_boot_client(const boot::ClientFacts& facts);  // PXEClient or HTTPClient
std::string xid_hex(std::uint32_t xid);
std::string endpoint(core::Ipv4 address, std::uint16_t port);  // "10.0.0.1:68"

// "dhcp.offer" and friends: mac, ip, arch, file, via, xid (+ result).
events::Event reply_event(events::Kind kind, const Packet& reply, const boot::ClientFacts& facts);
// "dhcp.ignored" at debug: a decision to stay silent, with its reason.
events::Event ignored_event(const Packet& request, std::string reason);

}  // namespace pxed::dhcp
