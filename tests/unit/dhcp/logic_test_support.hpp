#pragma once
// What the DHCP logic tests share: a lab network (10.77.0.0/24, us at .1, a
// relayed 10.88.0.0/24), clients built as Packets and sent as bytes, and
// lookups into a Response.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "dhcp/packet.hpp"
#include "dhcp/pxe_options.hpp"
#include "dhcp/server.hpp"

namespace pxed::dhcp::test {

using namespace std::chrono_literals;

inline core::Ipv4 ip(std::string_view dotted) { return *core::Ipv4::parse(dotted); }

inline core::Mac mac(int n) {
  return core::Mac{{0x52, 0x54, 0x00, static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
                    static_cast<std::uint8_t>(n)}};
}

inline const core::Ipv4 kUs = ip("10.77.0.1");
inline const core::Ipv4 kRelay = ip("10.88.0.1");
inline const core::Ipv4 kOtherServer = ip("10.77.0.5");
inline constexpr std::int64_t kT0 = 1'800'000'000;  // Unix seconds, 2027
inline constexpr std::int64_t kLeaseSeconds = 3600;

inline config::Subnet lab_subnet() {
  config::Subnet s;
  s.network = *core::Ipv4Network::parse("10.77.0.0/24");
  s.range_first = ip("10.77.0.100");
  s.range_last = ip("10.77.0.199");
  s.router = ip("10.77.0.254");
  s.dns = {ip("10.77.0.1"), ip("10.77.0.2")};
  s.domain = "lab.example";
  s.lease_time = std::chrono::seconds(kLeaseSeconds);
  return s;
}

inline config::Subnet relayed_subnet() {
  config::Subnet s;
  s.network = *core::Ipv4Network::parse("10.88.0.0/24");
  s.range_first = ip("10.88.0.50");
  s.range_last = ip("10.88.0.59");
  s.router = kRelay;
  s.lease_time = std::chrono::seconds(kLeaseSeconds);
  return s;
}

inline config::Dhcp full_config() {
  config::Dhcp d;
  d.mode = config::DhcpMode::full;
  d.subnets = {lab_subnet(), relayed_subnet()};
  d.decline_quarantine = std::chrono::seconds(600);
  return d;
}

inline config::Dhcp proxy_config() {
  config::Dhcp d;
  d.mode = config::DhcpMode::proxy;
  return d;
}

inline config::Boot boot_config() {
  config::Boot b;
  b.choice.bios = "undionly.kpxe";
  b.choice.efi64 = "ipxe.efi";
  b.choice.ipxe = "http://${server}/boot.ipxe";
  b.choice.http = "${http}/ipxe.efi";
  return b;
}

inline config::Http http_config() {
  config::Http h;
  h.listen.port = 8080;
  return h;
}

// RFC 4578 arch codes the tests use.
inline constexpr std::uint16_t kBios = 0, kEfi64 = 7, kEfi64Http = 16;

inline Packet client_packet(MessageType type, core::Mac m, std::uint32_t xid = 0x1000) {
  Packet p;
  p.xid = xid;
  std::copy(m.bytes.begin(), m.bytes.end(), p.chaddr.begin());
  p.options.set_u8(option::kMessageType, static_cast<std::uint8_t>(type));
  return p;
}

inline std::vector<std::uint8_t> uuid_option() {
  std::vector<std::uint8_t> v{0};
  for (std::uint8_t i = 1; i <= 16; ++i) v.push_back(i);
  return v;
}

// What a PXE ROM adds (PXE 2.1 §2.2.1, RFC 4578): 60, 93, 94, 97.
inline Packet& as_pxe(Packet& p, std::uint16_t arch) {
  char vendor[64];
  std::snprintf(vendor, sizeof vendor, "PXEClient:Arch:%05u:UNDI:002001", static_cast<unsigned>(arch));
  p.options.set(option::kVendorClass, std::string_view{vendor});
  p.options.set_u16(option::kClientArch, arch);
  p.options.set(option::kClientNdi, std::vector<std::uint8_t>{1, 2, 1});
  p.options.set(option::kClientUuid, uuid_option());
  return p;
}

inline Packet& asking(Packet& p, std::vector<std::uint8_t> codes) {
  p.options.set(option::kParameterList, std::move(codes));
  return p;
}

inline Arrival broadcast_arrival(std::uint16_t local_port = kServerPort) {
  Arrival a;
  a.source = core::Ipv4{};
  a.source_port = kClientPort;
  a.destination = core::kBroadcast;
  a.local = kUs;
  a.ifindex = 3;
  a.local_port = local_port;
  return a;
}

inline Arrival unicast_arrival(core::Ipv4 from, std::uint16_t from_port, std::uint16_t local_port) {
  Arrival a = broadcast_arrival(local_port);
  a.source = from;
  a.source_port = from_port;
  a.destination = kUs;
  return a;
}

inline Arrival relayed_arrival() { return unicast_arrival(kRelay, kServerPort, kServerPort); }

inline std::vector<std::byte> bytes_of(const Packet& p) { return encode(p, kMaxPacket).bytes; }

inline Response send(Server& server, std::int64_t now, const Packet& p, const Arrival& a = broadcast_arrival()) {
  auto bytes = bytes_of(p);
  return server.handle(now, a, bytes);
}

inline const events::Event* find_event(const Response& r, std::string_view name) {
  auto it = std::ranges::find_if(r.events, [&](const events::Event& e) { return e.name() == name; });
  return it == r.events.end() ? nullptr : &*it;
}

inline std::string field(const events::Event* e, std::string_view key) {
  if (e == nullptr) return "<no event>";
  if (key == "mac") return e->mac ? e->mac->to_string() : "<no mac>";
  const auto* value = e->find(key);
  return value != nullptr ? events::value_text(*value) : "<no field>";
}

inline std::optional<PxeOptions> pxe_of(const Packet& reply) {
  const auto* v = reply.options.find(option::kVendorSpecific);
  if (v == nullptr) return std::nullopt;
  auto decoded = decode_pxe(*v);
  if (!decoded) return std::nullopt;
  return *decoded;
}

inline Server full_server(std::vector<store::Lease> leases = {}, config::Dhcp dhcp = full_config()) {
  return Server(dhcp, boot_config(), http_config(), std::move(leases));
}

inline Packet selecting(core::Mac m, core::Ipv4 offered, core::Ipv4 server = kUs, std::uint32_t xid = 0x2000) {
  auto p = client_packet(MessageType::request, m, xid);
  p.options.set_ipv4(option::kServerId, server);
  p.options.set_ipv4(option::kRequestedIp, offered);
  return p;
}

inline Packet init_reboot(core::Mac m, core::Ipv4 address) {
  auto p = client_packet(MessageType::request, m);
  p.options.set_ipv4(option::kRequestedIp, address);
  return p;
}

inline Packet with_ciaddr(MessageType type, core::Mac m, core::Ipv4 ciaddr) {
  auto p = client_packet(type, m);
  p.ciaddr = ciaddr;
  return p;
}

// A full DISCOVER/OFFER/REQUEST/ACK; the bound address.
inline core::Ipv4 dora(Server& server, std::int64_t now, core::Mac m, std::uint32_t xid = 0x2000) {
  auto offer = send(server, now, client_packet(MessageType::discover, m, xid));
  EXPECT_TRUE(offer.reply) << "no OFFER for " << m.to_string();
  if (!offer.reply) return {};
  auto yiaddr = offer.reply->packet.yiaddr;
  auto request = client_packet(MessageType::request, m, xid);
  request.options.set_ipv4(option::kServerId, kUs);
  request.options.set_ipv4(option::kRequestedIp, yiaddr);
  auto ack = send(server, now, request);
  EXPECT_TRUE(ack.reply && ack.reply->packet.message_type() == MessageType::ack) << "no ACK for " << m.to_string();
  return yiaddr;
}

}  // namespace pxed::dhcp::test
