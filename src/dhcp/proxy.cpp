#include "dhcp/proxy.hpp"

#include <string>

#include "dhcp/pxe_options.hpp"
#include "dhcp/reply.hpp"

namespace pxed::dhcp {
namespace {

Response silent(const Packet& request, std::string reason, events::Level level = events::Level::debug) {
  Response r;
  r.events.push_back(ignored_event(request, std::move(reason)));
  r.events.back().level = level;
  return r;
}

// The boot item the client chose from our menu (sub-option 71), with its layer.
std::optional<PxeBootItem> requested_item(const Packet& request) {
  const auto* value = request.options.find(option::kVendorSpecific);
  if (value == nullptr) return std::nullopt;
  auto decoded = decode_pxe(*value);
  if (!decoded) return std::nullopt;
  return decoded->boot_item;
}

}  // namespace

Response proxy_reply(const Arrival& arrival, const Packet& request, const boot::ClientFacts& facts,
                     const Deciding& deciding, const config::Http& http) {
  auto type = request.message_type();
  if (type != MessageType::discover && type != MessageType::request) {
    return silent(request, "proxy-" + std::string(to_string(*type)));
  }
  // PXE spec 2.1 §2.2.5: a ProxyDHCP server answers boot clients only.
  if (!is_boot_client(facts)) return silent(request, "not-pxe");
  auto plan = deciding.plan(facts, boot_context(http, arrival));
  if (plan.none) {
    auto r = silent(request, "no-boot-file", events::Level::info);
    r.events.back().add("why", plan.reason);
    return r;
  }

  Response r;
  // FIRMWARE.md 6: no yiaddr, broadcast, boot fields only; the lease is the other server's.
  auto reply = reply_to(request, type == MessageType::discover ? MessageType::offer : MessageType::ack);
  reply.flags |= Packet::kBroadcastFlag;
  // FIRMWARE.md 1, 5: option 54 names us, or the client looks for us on 4011 by broadcast.
  reply.options.set_ipv4(option::kServerId, arrival.local);
  add_boot(reply, request, facts, plan, arrival.local, r.events);
  auto event = reply_event(type == MessageType::discover ? events::Kind::dhcp_proxy_offer : events::Kind::dhcp_proxy_ack, reply, facts);
  r.reply = address_reply(std::move(reply), request, arrival);
  r.events.push_back(std::move(event));
  return r;
}

Response boot_server_reply(const Arrival& arrival, const Packet& request, const boot::ClientFacts& facts,
                           const Deciding& deciding, const config::Http& http) {
  auto type = request.message_type();
  if (type != MessageType::request && type != MessageType::inform) {
    return silent(request, "pxe-" + std::string(to_string(*type)));
  }
  if (!facts.pxe_client) return silent(request, "not-pxe");
  auto item = requested_item(request);
  if (item && (item->layer & kBisLayerBit) != 0) {
    // FIRMWARE.md 4: we hold no BIS credentials; dnsmasq "PXE BIS not supported".
    return silent(request, "bis-not-supported", events::Level::info);
  }

  // The menu choice (facts.boot_item) is resolve's to make, like everything else.
  auto plan = deciding.plan(facts, boot_context(http, arrival));
  if (plan.none || plan.file.empty()) {
    auto r = silent(request, item ? "unknown-boot-item" : "no-boot-file", events::Level::info);
    r.events.back().add("why", plan.reason);
    return r;
  }

  Response r;
  // FIRMWARE.md 4: yiaddr = the client's ciaddr, ciaddr 0, siaddr = boot server.
  auto reply = reply_to(request, MessageType::ack);
  reply.yiaddr = request.ciaddr;
  reply.siaddr = plan.next_server.is_zero() ? arrival.local : plan.next_server;
  reply.options.set_ipv4(option::kServerId, arrival.local);
  echo_vendor_class(reply, facts, plan);
  echo_uuid(reply, request);
  set_file(reply, request, plan.file);
  if (item) {
    PxeOptions echo;
    echo.boot_item = *item;  // PXE spec 2.1 §2.2.6: the item we answer for
    if (auto blob = encode_pxe(echo)) reply.options.set(option::kVendorSpecific, std::move(*blob));
  }
  auto event = reply_event(events::Kind::dhcp_pxe_ack, reply, facts);
  if (item) event.add("item", item->type);
  r.events.push_back(std::move(event));
  // Unicast back to whoever asked, from port 4011 (PXE spec 2.1 §2.2.7).
  Reply out;
  out.to = arrival.source;
  out.port = arrival.source_port;
  out.ifindex = arrival.ifindex;
  out.max_size = max_reply_size(request);
  out.packet = std::move(reply);
  r.reply = std::move(out);
  return r;
}

}  // namespace pxed::dhcp
