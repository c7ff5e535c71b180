#include "dhcp/server.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "dhcp/admission.hpp"
#include "dhcp/facts.hpp"
#include "dhcp/lease_pool.hpp"
#include "dhcp/proxy.hpp"
#include "dhcp/reply.hpp"

namespace pxed::dhcp {
namespace {

// A foreign DHCP server is reported once per address per hour: it answers
// every client, and one log line per reply would drown everything else.
constexpr std::int64_t kForeignReportSeconds = 3600;
// Server addresses remembered for that: a spoofer inventing server ids must
// not grow the table without end. Past it the oldest report is forgotten.
constexpr std::size_t kMaxForeignServers = 256;
// Refusals in a flood are summed up in one line per interface this often.
constexpr std::int64_t kFloodReportSeconds = 10;

events::Event dropped_event(std::string reason, const Arrival& arrival) {
  events::Event e{events::Kind::dhcp_dropped};
  e.add("reason", std::move(reason)).add("source", endpoint(arrival.source, arrival.source_port));
  return e;
}

Response with_event(events::Event e) {
  Response r;
  r.events.push_back(std::move(e));
  return r;
}

// RFC 2131 §4.3.1 + RFC 2132: what a client configured by us needs.
void add_subnet_options(Packet& reply, const config::Subnet& subnet, const config::Reservation* reservation) {
  reply.options.set_ipv4(option::kSubnetMask, core::Ipv4{subnet.network.mask()});
  if (subnet.router) reply.options.set_ipv4(option::kRouter, *subnet.router);
  if (!subnet.dns.empty()) reply.options.set_ipv4s(option::kDns, subnet.dns);
  if (!subnet.domain.empty()) reply.options.set(option::kDomainName, std::string_view{subnet.domain});
  if (reservation != nullptr && !reservation->hostname.empty()) {
    reply.options.set(option::kHostname, std::string_view{reservation->hostname});
  }
}

void add_lease_time(Packet& reply, std::chrono::seconds lease_time) {
  auto t = static_cast<std::uint32_t>(lease_time.count());
  reply.options.set_u32(option::kLeaseTime, t);
  // RFC 2131 §4.4.5: T1 = 0.5 * lease, T2 = 0.875 * lease.
  reply.options.set_u32(option::kRenewalTime, t / 2);
  reply.options.set_u32(option::kRebindingTime, static_cast<std::uint32_t>(std::uint64_t{t} * 7 / 8));
}

// A config of [boot] alone: a server made without an inventory.
std::shared_ptr<const config::Config> boot_only(const config::Boot& boot) {
  auto cfg = std::make_shared<config::Config>();
  cfg->boot = boot;
  return cfg;
}

}  // namespace

struct Server::Impl {
  config::Dhcp dhcp;
  Deciding deciding;
  config::Http http;
  LeasePool pool;
  std::map<std::uint32_t, std::int64_t> foreign_reported;  // server address -> when
  BindingLimits limits;
  AnswerBudget answers;
  FloodReport floods{kFloodReportSeconds};

  Impl(const config::Dhcp& d, const config::Boot& b, const config::Http& h, std::vector<store::Lease> leases)
      : dhcp(d),
        deciding{boot_only(b), nullptr},
        http(h),
        pool(d.subnets, d.decline_quarantine, leases, {d.decline_max_per_client, d.decline_max_percent}),
        limits(d.interface_bindings_per_second, d.client_bindings_per_second),
        answers(d.client_answers_per_second) {}

  Response handle(std::int64_t now, const Arrival& arrival, std::span<const std::byte> datagram);
  Response observe(std::int64_t now, const Arrival& arrival, const Packet& packet);
  Response answer(std::int64_t now, const Arrival& arrival, const Packet& packet, boot::ClientFacts facts);
  boot::Sighting sighting_of(std::int64_t now, const Arrival& arrival, const Packet& request,
                             const std::optional<Reply>& reply, boot::ClientFacts facts) const;
  std::optional<events::Event> foreign(std::int64_t now, core::Ipv4 server, core::Ipv4 offered,
                                       const Packet& packet, events::Level level);
  Response full(std::int64_t now, const Arrival& arrival, const Packet& request, boot::ClientFacts facts);
  Response refuse(std::int64_t now, const Arrival& arrival, const Packet& request, std::string_view reason);
  // Whether `client` may take one more new address now; the reason to refuse when not.
  std::optional<std::string_view> over_limit(std::int64_t now, const Arrival& arrival, const Client& client);
  Response decline(std::int64_t now, const Arrival& arrival, const Packet& request, const Client& client);
  Response offer(std::int64_t now, const Arrival& arrival, const Packet& request, boot::ClientFacts& facts,
                 std::size_t subnet, const Client& client);
  Response request(std::int64_t now, const Arrival& arrival, const Packet& request, boot::ClientFacts& facts,
                   std::size_t subnet, const Client& client);
  Response ack(std::int64_t now, const Arrival& arrival, const Packet& request, boot::ClientFacts& facts,
               std::size_t subnet, const Client& client, core::Ipv4 address, std::string result);
  Response nak(const Arrival& arrival, const Packet& request, const boot::ClientFacts& facts,
               core::Ipv4 address, std::string result);
  Response inform(const Arrival& arrival, const Packet& request, boot::ClientFacts& facts, std::size_t subnet);
  void add_boot_info(Packet& reply, const Arrival& arrival, const Packet& request, boot::ClientFacts& facts,
                     std::vector<events::Event>& events) const;
};

Response Server::Impl::handle(std::int64_t now, const Arrival& arrival, std::span<const std::byte> datagram) {
  auto decoded = decode(datagram);
  if (!decoded) return with_event(dropped_event(std::string(to_string(decoded.error())), arrival));
  auto& packet = *decoded;
  if (arrival.local_port == kClientPort) return observe(now, arrival, packet);
  if (packet.op == Op::reply) return with_event(dropped_event("bootreply", arrival));
  auto type = packet.message_type();
  if (!type) return with_event(dropped_event("bootp", arrival));  // BOOTP without DHCP: not served
  if (dhcp.mode == config::DhcpMode::off) return with_event(ignored_event(packet, "dhcp-off"));
  // Option 54 and siaddr name us by the arrival interface's address (FIRMWARE.md
  // 1, 5). An interface that has none (removed while we run: start refuses one
  // without) would have us send server 0.0.0.0, which PXE firmware ignores, in
  // silence: say it at warn instead of answering.
  if (arrival.local.is_zero()) {
    auto e = ignored_event(packet, "no-address");
    e.level = events::Level::warn;
    e.add("fix", "give the interface an IPv4 address");
    return with_event(std::move(e));
  }
  const bool answered =
      *type == MessageType::discover || *type == MessageType::request || *type == MessageType::inform;
  if (answered) {
    auto id = client_id_of(packet);
    if (!answers.take(now, std::string(id.begin(), id.end()))) {
      return refuse(now, arrival, packet, "client-answer-rate");
    }
  }
  // FIRMWARE.md 7: some clients set ciaddr in DISCOVER; dnsmasq zeroes it.
  if (*type == MessageType::discover) packet.ciaddr = {};
  auto facts = facts_of(packet);
  facts.segment = arrival.local;
  auto r = answer(now, arrival, packet, facts);
  if (answered) {
    r.seen = sighting_of(now, arrival, packet, r.reply, std::move(facts));
  }
  return r;
}

boot::Sighting Server::Impl::sighting_of(std::int64_t now, const Arrival& arrival, const Packet& request,
                                         const std::optional<Reply>& reply, boot::ClientFacts facts) const {
  boot::Sighting seen{std::move(facts), "", now};
  auto& address = seen.facts.address;
  const bool acked = reply && reply->packet.message_type() == MessageType::ack && !reply->packet.yiaddr.is_zero();
  if (arrival.local_port == kPxePort) {
    // PXE 2.1 §2.2.7: the client already holds its address when it asks port 4011.
    address = request.ciaddr.is_zero() ? arrival.source : request.ciaddr;
    seen.how = "boot server request";
  } else if (dhcp.mode == config::DhcpMode::full) {
    address = acked ? reply->packet.yiaddr : core::Ipv4{};
    seen.how = "lease";
  } else {
    // Beside another server: the address the client asks that server for (option 50), or renews.
    address = request.options.ipv4(option::kRequestedIp).value_or(request.ciaddr);
    seen.how = "proxy request";
  }
  if (address.is_zero()) seen.how.clear();
  return seen;
}

Response Server::Impl::answer(std::int64_t now, const Arrival& arrival, const Packet& packet,
                              boot::ClientFacts facts) {
  auto type = packet.message_type();
  if (arrival.local_port == kPxePort) return boot_server_reply(arrival, packet, facts, deciding, http);
  if (dhcp.mode == config::DhcpMode::proxy) {
    auto r = proxy_reply(arrival, packet, facts, deciding, http);
    // Beside the site's DHCP server, its name in a client's REQUEST (option 54) is
    // how we learn of it: it may send its OFFERs to the client's MAC, unseen on port 68.
    auto chosen = packet.options.ipv4(option::kServerId);
    if (*type == MessageType::request && chosen && *chosen != arrival.local) {
      auto requested = packet.options.ipv4(option::kRequestedIp).value_or(core::Ipv4{});
      if (auto e = foreign(now, *chosen, requested, packet, events::Level::info)) r.events.push_back(std::move(*e));
    }
    return r;
  }
  return full(now, arrival, packet, std::move(facts));
}

std::optional<events::Event> Server::Impl::foreign(std::int64_t now, core::Ipv4 server, core::Ipv4 offered,
                                                   const Packet& packet, events::Level level) {
  if (foreign_reported.size() >= kMaxForeignServers && !foreign_reported.contains(server.value)) {
    std::erase_if(foreign_reported, [now](const auto& kv) { return now - kv.second >= kForeignReportSeconds; });
    if (foreign_reported.size() >= kMaxForeignServers) {
      foreign_reported.erase(std::ranges::min_element(
          foreign_reported, [](const auto& a, const auto& b) { return a.second < b.second; }));
    }
  }
  auto [seen, first] = foreign_reported.try_emplace(server.value, now);
  if (!first) {
    if (now - seen->second < kForeignReportSeconds) return std::nullopt;
    seen->second = now;
  }
  events::Event e{events::Kind::dhcp_foreign_server, level};
  e.add("server", server.to_string());
  if (!offered.is_zero()) e.add("offered", offered.to_string());
  e.about(packet.mac());
  return e;
}

Response Server::Impl::observe(std::int64_t now, const Arrival& arrival, const Packet& packet) {
  // Port 68: we only listen; a reply here is some server's answer to a client.
  if (packet.op != Op::reply) return with_event(dropped_event("bootrequest-on-68", arrival));
  auto server = packet.options.ipv4(option::kServerId).value_or(arrival.source);
  if (server == arrival.local) return {};  // our own broadcast
  // Beside another DHCP server, proxy mode is the plan; in full mode it is a conflict.
  auto level = dhcp.mode == config::DhcpMode::full ? events::Level::warn : events::Level::info;
  Response r;
  if (auto e = foreign(now, server, packet.yiaddr, packet, level)) r.events.push_back(std::move(*e));
  return r;
}

Response Server::Impl::full(std::int64_t now, const Arrival& arrival, const Packet& request,
                            boot::ClientFacts facts) {
  auto type = *request.message_type();
  bool answers = type == MessageType::discover || type == MessageType::request || type == MessageType::inform;
  if (dhcp.pxe_only && answers && !is_boot_client(facts)) return with_event(ignored_event(request, "not-pxe"));
  // RFC 2131 §4.3.1: the relay's address picks the subnet, else the interface's.
  auto where = request.giaddr.is_zero() ? arrival.local : request.giaddr;
  auto subnet = pool.subnet_for(where);
  if (!subnet) return with_event(dropped_event("no-subnet", arrival).add("via", where.to_string()));
  if (!request.giaddr.is_zero()) {
    auto local = pool.subnet_for(arrival.local);
    const auto* local_network = local ? &pool.subnets()[*local].network : nullptr;
    if (!relay_trusted(dhcp, arrival, request.giaddr, local_network, pool.subnets()[*subnet].network)) {
      auto r = refuse(now, arrival, request, "untrusted-relay");
      r.events.front().add("giaddr", request.giaddr.to_string()).add("source", arrival.source.to_string());
      return r;
    }
  }
  Client client{client_id_of(request), request.mac(), request.options.text(option::kHostname).value_or("")};

  switch (type) {
    case MessageType::discover: return offer(now, arrival, request, facts, *subnet, client);
    case MessageType::request: return this->request(now, arrival, request, facts, *subnet, client);
    case MessageType::inform: return inform(arrival, request, facts, *subnet);
    case MessageType::decline: return decline(now, arrival, request, client);
    case MessageType::release: {
      // RFC 2131 §4.3.4: ciaddr names the address given back.
      auto lease = pool.release(now, client, request.ciaddr);
      if (!lease) return with_event(ignored_event(request, "release-not-its-address"));
      Response r;
      r.commit.push_back(*lease);
      r.events.push_back(events::Event{events::Kind::dhcp_release}
                             .about(client.mac)
                             .add("ip", request.ciaddr.to_string())
                             .add("xid", xid_hex(request.xid)));
      return r;
    }
    default: return with_event(ignored_event(request, "unexpected-" + std::string(to_string(type))));
  }
}

Response Server::Impl::decline(std::int64_t now, const Arrival& arrival, const Packet& request,
                                const Client& client) {
  // RFC 2131 §4.3.3: the client found the address it was ACKed in use (ARP).
  auto server = request.options.ipv4(option::kServerId);
  auto address = request.options.ipv4(option::kRequestedIp);
  if ((server && *server != arrival.local) || !address) return with_event(ignored_event(request, "decline-not-ours"));
  auto lease = pool.decline(now, client, *address);
  if (!lease) {
    switch (lease.error()) {
      case DeclineRefusal::not_acked: return with_event(ignored_event(request, "decline-not-its-address"));
      case DeclineRefusal::client_limit: return refuse(now, arrival, request, "decline-client-limit");
      case DeclineRefusal::subnet_limit: return refuse(now, arrival, request, "decline-subnet-limit");
    }
  }
  Response r;
  r.commit.push_back(*lease);
  r.events.push_back(events::Event{events::Kind::dhcp_decline}
                         .about(client.mac)
                         .add("ip", address->to_string())
                         .add("quarantine", dhcp.decline_quarantine.count())
                         .add("xid", xid_hex(request.xid)));
  return r;
}

// One debug event per refused request (counted as dhcp.refused.<reason>), and
// for the log one line per interval however many there were (FloodReport).
Response Server::Impl::refuse(std::int64_t now, const Arrival& arrival, const Packet& request,
                              std::string_view reason) {
  Response r;
  r.events.push_back(events::Event{events::Kind::dhcp_refused}
                         .add("result", reason)
                         .about(request.mac())
                         .add("xid", xid_hex(request.xid)));
  for (auto& e : floods.refused(now, arrival.ifindex, reason)) r.events.push_back(std::move(e));
  return r;
}

std::optional<std::string_view> Server::Impl::over_limit(std::int64_t now, const Arrival& arrival,
                                                         const Client& client) {
  switch (limits.take(now, arrival.ifindex, std::string(client.id.begin(), client.id.end()))) {
    case BindingLimits::Verdict::allowed: return std::nullopt;
    case BindingLimits::Verdict::client_limited: return "client-rate";
    case BindingLimits::Verdict::interface_limited: return "interface-rate";
  }
  return std::nullopt;
}

void Server::Impl::add_boot_info(Packet& reply, const Arrival& arrival, const Packet& request,
                                 boot::ClientFacts& facts, std::vector<events::Event>& events) const {
  if (!is_boot_client(facts)) return;
  facts.address = reply.yiaddr.is_zero() ? request.ciaddr : reply.yiaddr;
  auto plan = deciding.plan(facts, boot_context(http, arrival));
  // Full mode still gives an address when there is nothing to boot.
  if (plan.none) return;
  add_boot(reply, request, facts, plan, arrival.local, events);
}

Response Server::Impl::offer(std::int64_t now, const Arrival& arrival, const Packet& request,
                             boot::ClientFacts& facts, std::size_t subnet, const Client& client) {
  if (!pool.claimed(now, subnet, client)) {
    if (auto why = over_limit(now, arrival, client)) return refuse(now, arrival, request, *why);
  }
  auto address = pool.offer(now, subnet, client, request.options.ipv4(option::kRequestedIp));
  if (!address) {
    auto r = refuse(now, arrival, request, "pool-exhausted");
    r.events.front().add("subnet", pool.subnets()[subnet].network.to_string());
    return r;
  }
  Response r;
  const auto& s = pool.subnets()[subnet];
  auto reply = reply_to(request, MessageType::offer);
  reply.yiaddr = *address;
  reply.options.set_ipv4(option::kServerId, arrival.local);
  add_lease_time(reply, s.lease_time);
  add_subnet_options(reply, s, pool.reservation(subnet, client.mac));
  add_boot_info(reply, arrival, request, facts, r.events);
  auto event = reply_event(events::Kind::dhcp_offer, reply, facts);
  r.reply = address_reply(std::move(reply), request, arrival);
  r.events.push_back(std::move(event));
  return r;
}

Response Server::Impl::request(std::int64_t now, const Arrival& arrival, const Packet& request,
                               boot::ClientFacts& facts, std::size_t subnet, const Client& client) {
  auto server = request.options.ipv4(option::kServerId);
  auto requested = request.options.ipv4(option::kRequestedIp);
  if (server) {
    // RFC 2131 §4.3.2 SELECTING: the client answers one server's offer.
    if (*server != arrival.local) {
      pool.forget_offer(client.id);
      Response r;
      r.events.push_back(ignored_event(request, "chose-other-server"));
      if (auto e = foreign(now, *server, requested.value_or(core::Ipv4{}), request, events::Level::warn)) {
        r.events.push_back(std::move(*e));
      }
      return r;
    }
    auto address = requested.value_or(request.ciaddr);
    if (address.is_zero()) return with_event(ignored_event(request, "request-without-address"));
    auto st = pool.standing(now, subnet, client, address);
    if (st == Standing::free) {
      // No offer of ours behind it (a restart lost it, or nobody asked): a new binding.
      if (auto why = over_limit(now, arrival, client)) return refuse(now, arrival, request, *why);
    }
    if (st == Standing::yours || st == Standing::free) {
      return ack(now, arrival, request, facts, subnet, client, address, "selecting");
    }
    return nak(arrival, request, facts, address, "offer-gone");
  }
  if (request.ciaddr.is_zero()) {
    // RFC 2131 §4.3.2 INIT-REBOOT: the client asks to keep what it had.
    if (!requested) return with_event(ignored_event(request, "request-without-address"));
    switch (pool.standing(now, subnet, client, *requested)) {
      case Standing::yours: return ack(now, arrival, request, facts, subnet, client, *requested, "init-reboot");
      case Standing::wrong_network: return nak(arrival, request, facts, *requested, "wrong-network");
      case Standing::taken: return nak(arrival, request, facts, *requested, "not-yours");
      case Standing::free:
      case Standing::out_of_range:
        // "If the DHCP server has no record of this client, then it MUST remain silent."
        if (!pool.knows(now, subnet, client)) return with_event(ignored_event(request, "unknown-client"));
        return nak(arrival, request, facts, *requested, "not-yours");
    }
  }
  // RFC 2131 §4.3.2 RENEWING (unicast to us) or REBINDING (broadcast): ciaddr is the lease.
  auto phase = arrival.destination == core::kBroadcast ? "rebinding" : "renewing";
  switch (pool.standing(now, subnet, client, request.ciaddr)) {
    case Standing::free:
      if (auto why = over_limit(now, arrival, client)) return refuse(now, arrival, request, *why);
      [[fallthrough]];
    case Standing::yours: return ack(now, arrival, request, facts, subnet, client, request.ciaddr, phase);
    case Standing::wrong_network: return nak(arrival, request, facts, request.ciaddr, "wrong-network");
    case Standing::taken:
    case Standing::out_of_range: return nak(arrival, request, facts, request.ciaddr, "not-yours");
  }
  return {};
}

Response Server::Impl::ack(std::int64_t now, const Arrival& arrival, const Packet& request,
                           boot::ClientFacts& facts, std::size_t subnet, const Client& client,
                           core::Ipv4 address, std::string result) {
  Response r;
  const auto& s = pool.subnets()[subnet];
  r.commit = pool.bind(now, subnet, client, address, s.lease_time);
  auto reply = reply_to(request, MessageType::ack);
  reply.ciaddr = request.ciaddr;  // RFC 2131 table 3
  reply.yiaddr = address;
  reply.options.set_ipv4(option::kServerId, arrival.local);
  add_lease_time(reply, s.lease_time);
  add_subnet_options(reply, s, pool.reservation(subnet, client.mac));
  add_boot_info(reply, arrival, request, facts, r.events);
  auto event = reply_event(events::Kind::dhcp_ack, reply, facts).add("result", std::move(result));
  r.reply = address_reply(std::move(reply), request, arrival);
  r.events.push_back(std::move(event));
  return r;
}

Response Server::Impl::nak(const Arrival& arrival, const Packet& request, const boot::ClientFacts& facts,
                           core::Ipv4 address, std::string result) {
  Response r;
  auto reply = reply_to(request, MessageType::nak);
  reply.options.set_ipv4(option::kServerId, arrival.local);
  reply.options.set(option::kMessage, std::string_view{result});
  auto event = reply_event(events::Kind::dhcp_nak, reply, facts).add("result", std::move(result));
  event.add("ip", address.to_string());
  r.reply = address_reply(std::move(reply), request, arrival);
  r.events.push_back(std::move(event));
  return r;
}

Response Server::Impl::inform(const Arrival& arrival, const Packet& request, boot::ClientFacts& facts,
                              std::size_t subnet) {
  // RFC 2131 §4.3.5: configuration only; no yiaddr, no lease time.
  Response r;
  auto reply = reply_to(request, MessageType::ack);
  reply.ciaddr = request.ciaddr;
  reply.options.set_ipv4(option::kServerId, arrival.local);
  add_subnet_options(reply, pool.subnets()[subnet], nullptr);
  add_boot_info(reply, arrival, request, facts, r.events);
  auto event = reply_event(events::Kind::dhcp_ack, reply, facts).add("result", "inform");
  r.reply = address_reply(std::move(reply), request, arrival);
  r.events.push_back(std::move(event));
  return r;
}

Server::Server(const config::Dhcp& dhcp, const config::Boot& boot, const config::Http& http,
               std::vector<store::Lease> leases)
    : impl_(std::make_unique<Impl>(dhcp, boot, http, std::move(leases))) {}
Server::~Server() = default;
Server::Server(Server&&) noexcept = default;
Server& Server::operator=(Server&&) noexcept = default;

Response Server::handle(std::int64_t now, const Arrival& arrival, std::span<const std::byte> datagram) {
  return impl_->handle(now, arrival, datagram);
}

void Server::decide_with(Deciding deciding) { impl_->deciding = std::move(deciding); }

boot::BootPlan Deciding::plan(const boot::ClientFacts& facts, const boot::Context& context) const {
  return boot::decide(facts, *config, context, remembered);
}

std::vector<store::Lease> Server::active_leases(std::int64_t now) const { return impl_->pool.active(now); }
std::vector<RangeUse> Server::range_use(std::int64_t now) const { return impl_->pool.range_use(now); }

std::vector<std::pair<int, events::Event>> Server::tick(std::int64_t now) { return impl_->floods.tick(now); }

std::int64_t Server::next_tick() const { return impl_->floods.next_tick(); }

}  // namespace pxed::dhcp
