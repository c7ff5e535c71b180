// Drives dhcp::Server::handle (full mode) with sequences of packets and times,
// not single datagrams: DISCOVER, REQUEST in every RFC 2131 state, DECLINE,
// RELEASE, INFORM, relayed or not, from eight clients over a small pool with a
// reservation, plus raw bytes; time jumps past offers, leases and quarantines.
// The fuzzer also restarts the server from what it committed, as a crash would.
// After every step the invariants of a lease server must hold:
//   - no address is bound to two clients at once, and a reserved address only
//     to its MAC (checked on every committed lease against the "disk");
//   - every ACK carries an address whose bound lease is in the same response's
//     commit (the service writes it before the ACK leaves), for that client;
//   - an OFFER never names an address another client holds;
//   - no lease is lost: every lease the disk says is bound and unexpired is
//     active in the server, for the same client, also after a restart;
//   - one client holds at most one address per subnet;
//   - quarantine stays within its bounds, per client and per subnet.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "fuzz_input.hpp"
#include "dhcp/lease_pool.hpp"
#include "dhcp/packet.hpp"
#include "dhcp/server.hpp"

namespace {

using namespace pxed;
using namespace pxed::dhcp;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

core::Ipv4 ip(const char* dotted) { return *core::Ipv4::parse(dotted); }

const core::Ipv4 kUs = ip("10.77.0.1");
const core::Ipv4 kRelay = ip("10.88.0.1");
const core::Ipv4 kLanRouter = ip("10.77.0.254");
constexpr std::int64_t kT0 = 1'800'000'000;
constexpr int kClients = 8;

config::Dhcp dhcp_config() {
  config::Dhcp d;
  d.mode = config::DhcpMode::full;
  config::Subnet lab;
  lab.network = *core::Ipv4Network::parse("10.77.0.0/24");
  lab.range_first = ip("10.77.0.100");
  lab.range_last = ip("10.77.0.105");
  lab.lease_time = std::chrono::seconds(600);
  lab.reservations.push_back({core::Mac{{0x52, 0x54, 0, 0, 0, 7}}, ip("10.77.0.50"), "seven"});
  config::Subnet far;
  far.network = *core::Ipv4Network::parse("10.88.0.0/24");
  far.range_first = ip("10.88.0.50");
  far.range_last = ip("10.88.0.52");
  far.lease_time = std::chrono::seconds(300);
  d.subnets = {lab, far};
  d.decline_quarantine = std::chrono::seconds(900);
  d.decline_max_per_client = 1;
  d.decline_max_percent = 34;  // two of six, one of three
  d.interface_bindings_per_second = 4;
  d.client_bindings_per_second = 2;
  return d;
}

config::Boot boot_config() {
  config::Boot b;
  b.choice.bios = "undionly.kpxe";
  b.choice.efi64 = "ipxe.efi";
  b.choice.ipxe = "http://${server}/boot.ipxe";
  return b;
}

core::Mac mac_of(int client) { return core::Mac{{0x52, 0x54, 0, 0, 0, static_cast<std::uint8_t>(client)}}; }

// Addresses a request may name: the pools, their edges, the reservation, strangers.
const core::Ipv4 kCandidates[] = {
    ip("10.77.0.100"), ip("10.77.0.101"), ip("10.77.0.102"), ip("10.77.0.103"), ip("10.77.0.104"),
    ip("10.77.0.105"), ip("10.77.0.50"),  ip("10.77.0.106"), ip("10.77.0.255"), ip("10.88.0.50"),
    ip("10.88.0.51"),  ip("10.88.0.52"),  ip("10.88.0.53"),  ip("192.168.1.5"), ip("0.0.0.0"),
    ip("10.77.0.0")};

using fuzz::Input;

class Harness {
 public:
  Harness() : dhcp_(dhcp_config()), server_(make({})) {}

  void step(Input& in) {
    const auto op = in.byte();
    const auto when = in.byte();
    const auto what = in.byte();
    const auto flags = in.byte();
    now_ += when < 200 ? when / 50 : std::int64_t{when - 200} * 97;
    const int client = (op >> 3) % kClients;
    const auto address = kCandidates[what % std::size(kCandidates)];

    if ((op & 7) == 7 && (flags & 0x80)) return restart();
    Arrival arrival;
    arrival.local = kUs;
    arrival.ifindex = 3;
    arrival.destination = core::kBroadcast;
    switch (op >> 6) {
      case 0: break;  // a local broadcast from 0.0.0.0
      case 1: arrival.source = address; arrival.destination = kUs; break;  // unicast from "its" address
      case 2: arrival.source = kRelay; arrival.source_port = kServerPort; arrival.destination = kUs; break;
      case 3: arrival.source = (flags & 4) ? kLanRouter : ip("10.88.0.77"); arrival.destination = kUs; break;
    }
    std::vector<std::byte> bytes;
    if ((op & 7) == 7) {
      const auto n = in.byte();
      for (int i = 0; i < n; ++i) bytes.push_back(static_cast<std::byte>(in.byte()));
    } else {
      bytes = encode(packet(op & 7, client, address, flags), kMaxPacket).bytes;
    }
    check(server_.handle(now_, arrival, bytes), client, (op & 7) == 7);
  }

  void check_all() {
    auto active = server_.active_leases(now_);
    // No lease lost: the disk's live bindings are all active, for the same client.
    for (const auto& [address, lease] : disk_) {
      if (lease.state != store::LeaseState::bound || lease.expires <= now_) continue;
      auto it = std::ranges::find(active, lease.ip, &store::Lease::ip);
      require(it != active.end());
      require(it->client_id == lease.client_id && it->expires == lease.expires);
    }
    // ...and nothing active that the disk does not hold.
    for (const auto& lease : active) {
      auto d = disk_.find(lease.ip.value);
      require(d != disk_.end() && d->second.state == store::LeaseState::bound && d->second.client_id == lease.client_id);
    }
    // One address per client per subnet.
    for (std::size_t i = 0; i < active.size(); ++i) {
      for (std::size_t j = i + 1; j < active.size(); ++j) {
        const bool same_subnet = (active[i].ip.value >> 8) == (active[j].ip.value >> 8);
        require(!(same_subnet && active[i].client_id == active[j].client_id));
      }
    }
    // Quarantine within bounds: 2 in the lab's six, 1 in the far three; 1 per MAC.
    std::map<std::uint32_t, int> per_subnet;
    std::map<core::Mac, int> per_mac;
    for (const auto& [address, lease] : disk_) {
      if (lease.state != store::LeaseState::declined || lease.expires <= now_) continue;
      ++per_subnet[address >> 8];
      ++per_mac[lease.mac];
    }
    for (const auto& [subnet, n] : per_subnet) require(n <= (subnet == (kUs.value >> 8) ? 2 : 1));
    for (const auto& [m, n] : per_mac) require(n <= 1);
  }

 private:
  Server make(std::vector<store::Lease> leases) {
    config::Http http;
    http.listen.port = 8080;
    return Server(dhcp_, boot_config(), http, std::move(leases));
  }

  // kill -9 and start again: only what was committed survives.
  void restart() {
    std::vector<store::Lease> leases;
    for (const auto& [address, lease] : disk_) leases.push_back(lease);
    server_ = make(std::move(leases));
  }

  Packet packet(int type, int client, core::Ipv4 address, std::uint8_t flags) const {
    Packet p;
    p.xid = static_cast<std::uint32_t>(0x1000 + client);
    auto m = mac_of(client);
    std::copy(m.bytes.begin(), m.bytes.end(), p.chaddr.begin());
    MessageType t = MessageType::discover;
    switch (type) {
      case 0: t = MessageType::discover; break;
      case 1: case 2: case 3: t = MessageType::request; break;
      case 4: t = MessageType::decline; break;
      case 5: t = MessageType::release; break;
      case 6: t = MessageType::inform; break;
    }
    p.options.set_u8(option::kMessageType, static_cast<std::uint8_t>(t));
    // 1: SELECTING (server id + requested), 2: INIT-REBOOT (requested), 3: RENEWING (ciaddr).
    if (type == 1 || type == 4 || (flags & 1)) p.options.set_ipv4(option::kServerId, (flags & 2) ? ip("10.77.0.5") : kUs);
    if (type == 0 || type == 1 || type == 2 || type == 4) p.options.set_ipv4(option::kRequestedIp, address);
    if (type == 3 || type == 5 || type == 6) p.ciaddr = address;
    if (flags & 8) p.giaddr = kRelay;
    if (flags & 16) p.options.set(option::kClientId, std::vector<std::uint8_t>{0xff, static_cast<std::uint8_t>(client)});
    if (flags & 32) {
      p.options.set(option::kVendorClass, std::string_view{"PXEClient:Arch:00007:UNDI:003016"});
      p.options.set_u16(option::kClientArch, 7);
    }
    return p;
  }

  void check(const Response& r, int client, bool raw) {
    // Every committed lease against the disk as it was: never a second live owner.
    for (const auto& lease : r.commit) {
      if (lease.state == store::LeaseState::bound) {
        require(lease.expires > now_);
        auto d = disk_.find(lease.ip.value);
        if (d != disk_.end() && d->second.state == store::LeaseState::bound && d->second.expires > now_) {
          require(d->second.client_id == lease.client_id);
        }
        if (d != disk_.end() && d->second.state == store::LeaseState::declined) require(d->second.expires <= now_);
        if (lease.ip == ip("10.77.0.50")) require(lease.mac == mac_of(7));
      }
      disk_[lease.ip.value] = lease;
    }
    if (!r.reply) return;
    const auto& reply = r.reply->packet;
    auto type = reply.message_type();
    require(type.has_value());
    if (reply.yiaddr.is_zero()) return;
    const auto id = client_id_of_reply(reply);
    if (*type == MessageType::ack) {
      auto it = std::ranges::find(r.commit, reply.yiaddr, &store::Lease::ip);
      require(it != r.commit.end() && it->state == store::LeaseState::bound);
      require(raw || it->mac == mac_of(client));
      require(it->client_id == id);
    } else if (*type == MessageType::offer) {
      auto d = disk_.find(reply.yiaddr.value);
      if (d != disk_.end() && d->second.state == store::LeaseState::bound && d->second.expires > now_) {
        require(d->second.client_id == id);
      }
      if (d != disk_.end() && d->second.state == store::LeaseState::declined) require(d->second.expires <= now_);
    }
  }

  // The reply copies chaddr and option 61 (RFC 6842), so the client id is the request's.
  static ClientId client_id_of_reply(const Packet& reply) { return client_id_of(reply); }

  config::Dhcp dhcp_;
  Server server_;
  std::int64_t now_ = kT0;
  std::map<std::uint32_t, store::Lease> disk_;  // what the service would have written
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Harness h;
  Input in{std::span(data, size)};
  for (int steps = 0; !in.rest.empty() && steps < 256; ++steps) {
    h.step(in);
    h.check_all();
  }
  return 0;
}
