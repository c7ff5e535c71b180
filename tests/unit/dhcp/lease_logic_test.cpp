// Full mode over a lease's life: renewing, rebinding, init-reboot, decline,
// release, expiry and reservations (RFC 2131 §4.3.2-4.3.4), and the promise
// that no address is ever held by two clients.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "dhcp/server.hpp"
#include "logic_test_support.hpp"

namespace pxed::dhcp {
namespace {

using namespace test;

TEST(DhcpServerLeases, RenewingExtendsTheLeaseAndRepliesToCiaddr) {
  auto server = full_server();
  auto address = dora(server, kT0, mac(1));
  auto r = send(server, kT0 + 1800, with_ciaddr(MessageType::request, mac(1), address),
                unicast_arrival(address, kClientPort, kServerPort));
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->packet.message_type(), MessageType::ack);
  EXPECT_EQ(r.reply->packet.ciaddr, address);
  EXPECT_EQ(r.reply->to, address);
  EXPECT_EQ(r.reply->port, kClientPort);
  ASSERT_EQ(r.commit.size(), 1u);
  EXPECT_EQ(r.commit[0].expires, kT0 + 1800 + kLeaseSeconds);
  EXPECT_EQ(field(find_event(r, "dhcp.ack"), "result"), "renewing");
}

TEST(DhcpServerLeases, RebindingIsAckedWhenTheLeaseIsTheClients) {
  auto server = full_server();
  auto address = dora(server, kT0, mac(1));
  auto r = send(server, kT0 + 3200, with_ciaddr(MessageType::request, mac(1), address));
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->packet.message_type(), MessageType::ack);
  EXPECT_EQ(field(find_event(r, "dhcp.ack"), "result"), "rebinding");
}

TEST(DhcpServerLeases, RenewingSomeoneElsesAddressIsNakedByBroadcast) {
  auto server = full_server();
  auto address = dora(server, kT0, mac(1));
  auto r = send(server, kT0 + 5, with_ciaddr(MessageType::request, mac(2), address));
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->packet.message_type(), MessageType::nak);
  EXPECT_TRUE(r.reply->packet.yiaddr.is_zero());
  EXPECT_EQ(r.reply->to, core::kBroadcast);
  EXPECT_TRUE(r.commit.empty());
}

TEST(DhcpServerLeases, InitRebootWithItsAddressIsAcked) {
  auto server = full_server();
  auto address = dora(server, kT0, mac(1));
  auto r = send(server, kT0 + 100, init_reboot(mac(1), address));
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->packet.message_type(), MessageType::ack);
  EXPECT_EQ(field(find_event(r, "dhcp.ack"), "result"), "init-reboot");
}

TEST(DhcpServerLeases, InitRebootOnTheWrongNetworkIsNaked) {
  auto server = full_server();
  auto r = send(server, kT0, init_reboot(mac(1), ip("192.168.7.9")));
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->packet.message_type(), MessageType::nak);
  EXPECT_EQ(field(find_event(r, "dhcp.nak"), "result"), "wrong-network");
  EXPECT_EQ(r.reply->to, core::kBroadcast);
}

TEST(DhcpServerLeases, InitRebootForAnAddressLeasedToAnotherIsNaked) {
  auto server = full_server();
  auto address = dora(server, kT0, mac(1));
  auto r = send(server, kT0, init_reboot(mac(2), address));
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->packet.message_type(), MessageType::nak);
}

TEST(DhcpServerLeases, InitRebootForAnotherAddressOfAKnownClientIsNaked) {
  auto server = full_server();
  dora(server, kT0, mac(1));
  auto r = send(server, kT0, init_reboot(mac(1), ip("10.77.0.170")));
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->packet.message_type(), MessageType::nak);
}

TEST(DhcpServerLeases, InitRebootFromAnUnknownClientIsSilent) {
  auto server = full_server();
  auto r = send(server, kT0, init_reboot(mac(1), ip("10.77.0.170")));
  EXPECT_FALSE(r.reply);
  EXPECT_EQ(field(find_event(r, "dhcp.ignored"), "reason"), "unknown-client");
}

TEST(DhcpServerLeases, SelectingAnOfferThatWentToSomeoneElseIsNaked) {
  auto dhcp = full_config();
  dhcp.subnets[0].range_last = dhcp.subnets[0].range_first;  // one address
  auto server = full_server({}, dhcp);
  auto address = dora(server, kT0, mac(1));
  auto r = send(server, kT0 + 1, selecting(mac(2), address));
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->packet.message_type(), MessageType::nak);
}

TEST(DhcpServerLeases, DeclinedAddressIsQuarantinedAndCommitted) {
  auto dhcp = full_config();
  dhcp.subnets[0].range_last = dhcp.subnets[0].range_first;
  auto server = full_server({}, dhcp);
  auto address = dora(server, kT0, mac(1));
  auto decline = client_packet(MessageType::decline, mac(1));
  decline.options.set_ipv4(option::kRequestedIp, address);
  decline.options.set_ipv4(option::kServerId, kUs);
  auto r = send(server, kT0 + 1, decline);
  EXPECT_FALSE(r.reply);
  ASSERT_EQ(r.commit.size(), 1u);
  EXPECT_EQ(r.commit[0].state, store::LeaseState::declined);
  EXPECT_EQ(r.commit[0].expires, kT0 + 1 + 600);
  EXPECT_NE(find_event(r, "dhcp.decline"), nullptr);
  EXPECT_FALSE(send(server, kT0 + 2, client_packet(MessageType::discover, mac(2))).reply);
  EXPECT_FALSE(send(server, kT0 + 2, client_packet(MessageType::discover, mac(1))).reply);
  auto later = send(server, kT0 + 601, client_packet(MessageType::discover, mac(2)));
  ASSERT_TRUE(later.reply);
  EXPECT_EQ(later.reply->packet.yiaddr, address);
}

TEST(DhcpServerLeases, ReleasedAddressIsReusedByTheNextClient) {
  auto dhcp = full_config();
  dhcp.subnets[0].range_last = dhcp.subnets[0].range_first;
  auto server = full_server({}, dhcp);
  auto address = dora(server, kT0, mac(1));
  EXPECT_FALSE(send(server, kT0 + 1, client_packet(MessageType::discover, mac(2))).reply);
  auto r = send(server, kT0 + 2, with_ciaddr(MessageType::release, mac(1), address),
                unicast_arrival(address, kClientPort, kServerPort));
  EXPECT_FALSE(r.reply);
  ASSERT_EQ(r.commit.size(), 1u);
  EXPECT_EQ(r.commit[0].state, store::LeaseState::released);
  EXPECT_EQ(r.commit[0].expires, kT0 + 2);
  EXPECT_TRUE(server.active_leases(kT0 + 2).empty());
  EXPECT_EQ(dora(server, kT0 + 3, mac(2)), address);
}

TEST(DhcpServerLeases, ExpiredLeaseLongestAgoIsReusedFirst) {
  auto dhcp = full_config();
  dhcp.subnets[0].range_last = ip("10.77.0.102");
  auto server = full_server({}, dhcp);
  auto a = dora(server, kT0 + 20, mac(1));
  auto b = dora(server, kT0, mac(2));
  auto c = dora(server, kT0 + 10, mac(3));
  auto later = kT0 + 3 * kLeaseSeconds;
  EXPECT_EQ(dora(server, later, mac(4)), b);
  EXPECT_EQ(dora(server, later, mac(5)), c);
  EXPECT_EQ(dora(server, later, mac(6)), a);
}

TEST(DhcpServerLeases, ReservedMacGetsItsAddressAndHostname) {
  auto dhcp = full_config();
  dhcp.subnets[0].reservations.push_back(config::Reservation{mac(9), ip("10.77.0.50"), "db-01"});
  auto server = full_server({}, dhcp);
  auto r = send(server, kT0, client_packet(MessageType::discover, mac(9)));
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->packet.yiaddr, ip("10.77.0.50"));
  EXPECT_EQ(r.reply->packet.options.text(option::kHostname), "db-01");
  EXPECT_EQ(dora(server, kT0, mac(9)), ip("10.77.0.50"));
}

TEST(DhcpServerLeases, ReservedAddressIsNeverGivenToAnotherMac) {
  auto dhcp = full_config();
  dhcp.subnets[0].reservations.push_back(config::Reservation{mac(9), ip("10.77.0.100"), ""});
  auto server = full_server({}, dhcp);
  auto other = client_packet(MessageType::discover, mac(1));
  other.options.set_ipv4(option::kRequestedIp, ip("10.77.0.100"));
  auto r = send(server, kT0, other);
  ASSERT_TRUE(r.reply);
  EXPECT_NE(r.reply->packet.yiaddr, ip("10.77.0.100"));
  auto reboot = send(server, kT0, init_reboot(mac(1), ip("10.77.0.100")));
  ASSERT_TRUE(reboot.reply);
  EXPECT_EQ(reboot.reply->packet.message_type(), MessageType::nak);
}

TEST(DhcpServerLeases, RestartedServerKeepsGivingTheSameAddress) {
  std::vector<store::Lease> disk;
  core::Ipv4 address;
  {
    auto first = full_server();
    auto offer = send(first, kT0, client_packet(MessageType::discover, mac(1)));
    ASSERT_TRUE(offer.reply);
    address = offer.reply->packet.yiaddr;
    auto ack = send(first, kT0, selecting(mac(1), address));
    disk = ack.commit;
  }
  auto second = full_server(disk);
  auto stranger = client_packet(MessageType::discover, mac(2));
  stranger.options.set_ipv4(option::kRequestedIp, address);
  auto r2 = send(second, kT0 + 60, stranger);
  ASSERT_TRUE(r2.reply);
  EXPECT_NE(r2.reply->packet.yiaddr, address);
  auto r1 = send(second, kT0 + 60, client_packet(MessageType::discover, mac(1)));
  ASSERT_TRUE(r1.reply);
  EXPECT_EQ(r1.reply->packet.yiaddr, address);
  EXPECT_EQ(second.active_leases(kT0 + 60).size(), 1u);
}

TEST(DhcpServerLeases, ClientsNeverShareAnAddressUnderRandomTraffic) {
  auto dhcp = full_config();
  dhcp.subnets[0].range_last = ip("10.77.0.129");  // 30 addresses for 40 clients
  dhcp.subnets[0].lease_time = std::chrono::seconds(300);
  auto server = full_server({}, dhcp);
  std::mt19937 random(2026);
  struct Held {
    core::Ipv4 address;
    std::int64_t expires;
  };
  std::map<int, Held> held;  // what each client believes it has
  std::int64_t now = kT0;
  for (int step = 0; step < 4000; ++step) {
    now += static_cast<std::int64_t>(random() % 20);
    int n = static_cast<int>(random() % 40);
    auto action = random() % 10;
    if (action < 5) {
      auto offer = send(server, now, client_packet(MessageType::discover, mac(n), static_cast<std::uint32_t>(step)));
      if (!offer.reply || random() % 4 == 0) continue;  // some clients never come back
      auto ack = send(server, now + 1, selecting(mac(n), offer.reply->packet.yiaddr));
      if (ack.reply && ack.reply->packet.message_type() == MessageType::ack) {
        held[n] = Held{ack.reply->packet.yiaddr, now + 1 + 300};
      }
    } else if (action < 8 && held.contains(n)) {
      auto renew = send(server, now, with_ciaddr(MessageType::request, mac(n), held[n].address),
                        unicast_arrival(held[n].address, kClientPort, kServerPort));
      ASSERT_TRUE(renew.reply);
      if (renew.reply->packet.message_type() == MessageType::ack) {
        held[n].expires = now + 300;
      } else {
        held.erase(n);
      }
    } else if (action == 8 && held.contains(n)) {
      send(server, now, with_ciaddr(MessageType::release, mac(n), held[n].address));
      held.erase(n);
    }
    std::set<std::uint32_t> in_use;
    for (const auto& [client, h] : held) {
      if (h.expires <= now) continue;
      ASSERT_TRUE(in_use.insert(h.address.value).second) << "step " << step << ": " << h.address.to_string()
                                                         << " held by two clients";
      ASSERT_GE(h.address, ip("10.77.0.100"));
      ASSERT_LE(h.address, ip("10.77.0.129"));
    }
  }
}

}  // namespace
}  // namespace pxed::dhcp
