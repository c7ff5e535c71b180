#include "dhcp/reply.hpp"

#include <algorithm>
#include <cstdio>

#include "dhcp/pxe_options.hpp"

namespace pxed::dhcp {
namespace {

bool asked_for(const Packet& request, std::uint8_t code) {
  const auto* list = request.options.find(option::kParameterList);
  return list != nullptr && std::ranges::find(*list, code) != list->end();
}

// FIRMWARE.md 3, 22: "use `file`, no discovery" plus the prompt dnsmasq always
// sends; legacy BIOS ROMs want option 43 present, picky UEFI stacks want both.
PxeOptions minimal_pxe_options() {
  PxeOptions o;
  o.discovery_control = pxe::kUseBootfile;
  o.prompt_timeout = 0;
  o.prompt = "PXE";
  return o;
}

PxeOptions menu_pxe_options(const boot::BootPlan& plan, core::Ipv4 server) {
  PxeOptions o;
  o.discovery_control = kMenuDiscoveryControl;
  for (const auto& entry : plan.menu) {
    o.menu.push_back(PxeMenuItem{entry.type, entry.label});
    if (entry.type == pxe::kLocalBoot) continue;  // nobody to ask: the client boots its disk
    o.boot_servers.push_back(PxeBootServer{entry.type, {entry.server.value_or(server)}});
  }
  o.prompt_timeout = plan.menu_timeout;
  o.prompt = plan.prompt;
  return o;
}

}  // namespace

Packet reply_to(const Packet& request, MessageType type) {
  Packet reply;
  reply.op = Op::reply;
  reply.htype = request.htype;
  reply.hlen = request.hlen;
  reply.xid = request.xid;
  reply.flags = request.flags;
  reply.giaddr = request.giaddr;
  reply.chaddr = request.chaddr;
  reply.options.set_u8(option::kMessageType, static_cast<std::uint8_t>(type));
  return reply;
}

std::size_t max_reply_size(const Packet& request) {
  std::size_t datagram = kMinMaxMessage;
  if (auto v = request.options.u16(option::kMaxMessageSize)) {
    datagram = std::clamp<std::size_t>(*v, kMinMaxMessage, kMaxReplyDatagram);
  }
  return datagram - kIpUdpHeaders;
}

Reply address_reply(Packet reply, const Packet& request, const Arrival& arrival) {
  if (const auto* client_id = request.options.find(option::kClientId)) {
    reply.options.set(option::kClientId, *client_id);  // RFC 6842
  }
  if (const auto* relay = request.options.find(option::kRelayAgent)) {
    reply.options.erase(option::kRelayAgent);
    reply.options.set(option::kRelayAgent, *relay);  // RFC 3046 §2.2: echoed, last
  }
  Reply out;
  out.ifindex = arrival.ifindex;
  out.max_size = max_reply_size(request);
  bool nak = reply.message_type() == MessageType::nak;
  if (!request.giaddr.is_zero()) {
    // RFC 2131 §4.1: through the relay; a NAK must be broadcast by it.
    out.to = request.giaddr;
    out.port = kServerPort;
    if (nak) reply.flags |= Packet::kBroadcastFlag;
  } else if (!request.ciaddr.is_zero() && !nak) {
    out.to = request.ciaddr;
    out.port = kClientPort;
  } else {
    // The client has no address yet and we cannot inject an ARP entry, so
    // broadcast whatever the flag says (FIRMWARE.md 21).
    out.to = core::kBroadcast;
    out.port = kClientPort;
  }
  out.packet = std::move(reply);
  return out;
}

boot::Context boot_context(const config::Http& http, const Arrival& arrival) {
  return boot::context_for(http, arrival.local);
}

void echo_vendor_class(Packet& reply, const boot::ClientFacts& facts, const boot::BootPlan& plan) {
  // FIRMWARE.md 1, 10: the server names itself with the client's class.
  std::string vendor = plan.vendor_class;
  if (vendor.empty()) vendor = facts.http_client ? "HTTPClient" : facts.pxe_client ? "PXEClient" : "";
  if (!vendor.empty()) reply.options.set(option::kVendorClass, std::string_view{vendor});
}

void echo_uuid(Packet& reply, const Packet& request) {
  // FIRMWARE.md 2, PXE spec 2.1 §2.2.5: echoed verbatim or some ROMs ignore the reply.
  if (const auto* uuid = request.options.find(option::kClientUuid)) reply.options.set(option::kClientUuid, *uuid);
}

void set_file(Packet& reply, const Packet& request, const std::string& file) {
  if (file.empty()) return;
  // FIRMWARE.md 27: shim and older ROMs read only `file`; set it whenever it fits.
  bool in_field = file.size() < kFileFieldSize;  // room for a NUL: some clients strlen() it
  if (in_field) reply.file = file;
  if ((asked_for(request, option::kBootfile) || !in_field) && file.size() <= kMaxOptionLength) {
    reply.options.set(option::kBootfile, std::string_view{file});
  }
}

void add_boot(Packet& reply, const Packet& request, const boot::ClientFacts& facts, const boot::BootPlan& plan,
              core::Ipv4 server, std::vector<events::Event>& events) {
  reply.siaddr = plan.next_server.is_zero() ? server : plan.next_server;
  echo_vendor_class(reply, facts, plan);
  echo_uuid(reply, request);
  set_file(reply, request, plan.file);
  if (!facts.pxe_client) return;  // option 43 is PXE's; UEFI HTTP boot reads only the URL
  if (!plan.menu.empty()) {
    if (auto menu = encode_pxe(menu_pxe_options(plan, server))) {
      reply.options.set(option::kVendorSpecific, std::move(*menu));
      return;
    }
    // dnsmasq: "PXE menu too large"; the plain file still boots the machine.
    events.push_back(events::Event{events::Kind::dhcp_menu_too_large}.about(request.mac()).add("items", plan.menu.size()));
  }
  if (auto blob = encode_pxe(minimal_pxe_options())) reply.options.set(option::kVendorSpecific, std::move(*blob));
}

bool is_boot_client(const boot::ClientFacts& facts) { return facts.pxe_client || facts.http_client; }

std::string xid_hex(std::uint32_t xid) {
  char text[9];
  std::snprintf(text, sizeof text, "%08x", xid);
  return text;
}

std::string endpoint(core::Ipv4 address, std::uint16_t port) {
  return address.to_string() + ":" + std::to_string(port);
}

events::Event reply_event(events::Kind kind, const Packet& reply, const boot::ClientFacts& facts) {
  events::Event e{kind};
  e.about(reply.mac());
  auto ip = reply.yiaddr.is_zero() ? reply.ciaddr : reply.yiaddr;
  if (!ip.is_zero()) e.add("ip", ip.to_string());
  e.add("arch", std::string(boot::to_string(boot::firmware_of(facts.arch))));
  if (!reply.file.empty()) {
    e.add("file", reply.file);
  } else if (auto file = reply.options.text(option::kBootfile)) {
    e.add("file", *file);
  }
  if (!reply.giaddr.is_zero()) e.add("via", reply.giaddr.to_string());
  e.add("xid", xid_hex(reply.xid));
  return e;
}

events::Event ignored_event(const Packet& request, std::string reason) {
  events::Event e{events::Kind::dhcp_ignored};
  e.add("reason", std::move(reason)).add("xid", xid_hex(request.xid)).about(request.mac());
  return e;
}

}  // namespace pxed::dhcp
