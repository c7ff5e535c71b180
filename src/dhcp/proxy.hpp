#pragma once
// Boot information without addresses: ProxyDHCP on port 67 beside a DHCP server
// we do not control (PXE spec 2.1 §2.2.5, FIRMWARE.md 1-6), and the PXE boot
// server on port 4011 that UEFI stacks and menu choices ask (FIRMWARE.md 4).
// Internal to the dhcp module: server.cpp dispatches here.
#include "boot/boot.hpp"
#include "config/config.hpp"
#include "dhcp/packet.hpp"
#include "dhcp/server.hpp"

namespace pxed::dhcp {

// Port 67 in proxy mode: DISCOVER -> OFFER, REQUEST -> ACK, never a yiaddr.
Response proxy_reply(const Arrival& arrival, const Packet& request, const boot::ClientFacts& facts,
                     const Deciding& deciding, const config::Http& http);

// Port 4011 (proxy and full mode): REQUEST or INFORM -> ACK unicast to the asker.
Response boot_server_reply(const Arrival& arrival, const Packet& request, const boot::ClientFacts& facts,
                           const Deciding& deciding, const config::Http& http);

}  // namespace pxed::dhcp
