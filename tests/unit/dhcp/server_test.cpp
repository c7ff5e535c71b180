#include "dhcp/server.hpp"

#include <gtest/gtest.h>

#include "logic_test_support.hpp"

namespace pxed::dhcp {
namespace {

using namespace test;

TEST(DhcpServerFull, DiscoverGetsAnOfferWithLeaseAndSubnetOptions) {
  auto server = full_server();
  auto r = send(server, kT0, client_packet(MessageType::discover, mac(1)));
  ASSERT_TRUE(r.reply);
  const auto& p = r.reply->packet;
  EXPECT_EQ(p.op, Op::reply);
  EXPECT_EQ(p.message_type(), MessageType::offer);
  EXPECT_EQ(p.xid, 0x1000u);
  EXPECT_EQ(p.yiaddr, ip("10.77.0.100"));
  EXPECT_EQ(p.options.ipv4(option::kServerId), kUs);
  EXPECT_EQ(p.options.u32(option::kLeaseTime), 3600u);
  EXPECT_EQ(p.options.u32(option::kRenewalTime), 1800u);
  EXPECT_EQ(p.options.u32(option::kRebindingTime), 3150u);
  EXPECT_EQ(p.options.ipv4(option::kSubnetMask), ip("255.255.255.0"));
  EXPECT_EQ(p.options.ipv4(option::kRouter), ip("10.77.0.254"));
  EXPECT_EQ(p.options.find(option::kDns)->size(), 8u);
  EXPECT_EQ(p.options.text(option::kDomainName), "lab.example");
  EXPECT_EQ(r.reply->to, core::kBroadcast);
  EXPECT_EQ(r.reply->port, kClientPort);
  EXPECT_EQ(r.reply->ifindex, 3);
  EXPECT_TRUE(r.commit.empty());  // an offer is not a lease
  EXPECT_EQ(field(find_event(r, "dhcp.offer"), "ip"), "10.77.0.100");
  EXPECT_EQ(field(find_event(r, "dhcp.offer"), "xid"), "00001000");
}

TEST(DhcpServerFull, FullDoraCommitsABoundLeaseBeforeTheAck) {
  auto server = full_server();
  auto offer = send(server, kT0, client_packet(MessageType::discover, mac(1)));
  ASSERT_TRUE(offer.reply);
  auto r = send(server, kT0 + 1, selecting(mac(1), offer.reply->packet.yiaddr));
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->packet.message_type(), MessageType::ack);
  EXPECT_EQ(r.reply->packet.yiaddr, offer.reply->packet.yiaddr);
  EXPECT_EQ(r.reply->packet.options.u32(option::kLeaseTime), 3600u);
  ASSERT_EQ(r.commit.size(), 1u);
  EXPECT_EQ(r.commit[0].ip, offer.reply->packet.yiaddr);
  EXPECT_EQ(r.commit[0].state, store::LeaseState::bound);
  EXPECT_EQ(r.commit[0].expires, kT0 + 1 + kLeaseSeconds);
  EXPECT_EQ(r.commit[0].mac, mac(1));
  EXPECT_EQ(field(find_event(r, "dhcp.ack"), "result"), "selecting");
  ASSERT_EQ(server.active_leases(kT0 + 1).size(), 1u);
}

TEST(DhcpServerFull, ClientChoosingAnotherServerFreesOurOfferAndIsReportedOnce) {
  auto dhcp = full_config();
  dhcp.subnets[0].range_last = dhcp.subnets[0].range_first;
  auto server = full_server({}, dhcp);
  ASSERT_TRUE(send(server, kT0, client_packet(MessageType::discover, mac(1))).reply);
  EXPECT_FALSE(send(server, kT0, client_packet(MessageType::discover, mac(2))).reply);  // held for 1
  auto r = send(server, kT0 + 1, selecting(mac(1), ip("192.168.1.50"), kOtherServer));
  EXPECT_FALSE(r.reply);
  const auto* e = find_event(r, "dhcp.foreign_server");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->level, events::Level::warn);
  EXPECT_EQ(field(e, "server"), "10.77.0.5");
  EXPECT_TRUE(send(server, kT0 + 2, client_packet(MessageType::discover, mac(2))).reply);
  auto again = send(server, kT0 + 3, selecting(mac(3), ip("192.168.1.51"), kOtherServer));
  EXPECT_EQ(find_event(again, "dhcp.foreign_server"), nullptr);
}

TEST(DhcpServerFull, PxeOnlyIgnoresClientsThatAreNotBooting) {
  auto dhcp = full_config();
  dhcp.pxe_only = true;
  auto server = full_server({}, dhcp);
  auto plain = send(server, kT0, client_packet(MessageType::discover, mac(1)));
  EXPECT_FALSE(plain.reply);
  EXPECT_EQ(field(find_event(plain, "dhcp.ignored"), "reason"), "not-pxe");
  auto discover = client_packet(MessageType::discover, mac(2));
  auto pxe = send(server, kT0, as_pxe(discover, kBios));
  ASSERT_TRUE(pxe.reply);
  EXPECT_EQ(pxe.reply->packet.file, "undionly.kpxe");
}

TEST(DhcpServerFull, PxeClientGetsAddressAndBootFile) {
  auto server = full_server();
  auto discover = client_packet(MessageType::discover, mac(1));
  asking(as_pxe(discover, kEfi64), {1, 3, 43, 60, 66, 67, 97});
  auto r = send(server, kT0, discover);
  ASSERT_TRUE(r.reply);
  const auto& p = r.reply->packet;
  EXPECT_EQ(p.yiaddr, ip("10.77.0.100"));
  EXPECT_EQ(p.siaddr, kUs);
  EXPECT_EQ(p.file, "ipxe.efi");  // FIRMWARE.md 27: always in `file`
  EXPECT_EQ(p.options.text(option::kBootfile), "ipxe.efi");
  EXPECT_EQ(p.options.text(option::kVendorClass), "PXEClient");
  EXPECT_EQ(*p.options.find(option::kClientUuid), uuid_option());
  auto pxe = pxe_of(p);
  ASSERT_TRUE(pxe);
  EXPECT_EQ(pxe->discovery_control, pxe::kUseBootfile);
  const auto* e = find_event(r, "dhcp.offer");
  EXPECT_EQ(field(e, "arch"), "efi64");
  EXPECT_EQ(field(e, "file"), "ipxe.efi");
}

TEST(DhcpServerFull, BootFileGoesOnlyInTheFileFieldWhenOption67WasNotAsked) {
  auto server = full_server();
  auto discover = client_packet(MessageType::discover, mac(1));
  auto r = send(server, kT0, as_pxe(discover, kBios));
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->packet.file, "undionly.kpxe");
  EXPECT_FALSE(r.reply->packet.options.has(option::kBootfile));
}

TEST(DhcpServerFull, IpxeClientGetsTheScriptUrlWithItsAddress) {
  auto server = full_server();
  auto discover = client_packet(MessageType::discover, mac(1));
  as_pxe(discover, kBios);
  discover.options.set(option::kIpxe, std::vector<std::uint8_t>{0x13, 1, 1});  // iPXE's option 175
  auto r = send(server, kT0, discover);
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->packet.yiaddr, ip("10.77.0.100"));
  EXPECT_EQ(r.reply->packet.file, "http://10.77.0.1/boot.ipxe");
}

TEST(DhcpServerFull, LeaseKeepsTheHostnameAndTheReplyEchoesTheClientId) {
  auto server = full_server();
  std::vector<std::uint8_t> id{0xff, 0, 0, 0, 1};
  auto discover = client_packet(MessageType::discover, mac(1));
  discover.options.set(option::kClientId, id);
  auto offer = send(server, kT0, discover);
  ASSERT_TRUE(offer.reply);
  EXPECT_EQ(*offer.reply->packet.options.find(option::kClientId), id);  // RFC 6842
  auto request = selecting(mac(1), offer.reply->packet.yiaddr);
  request.options.set(option::kClientId, id);
  request.options.set(option::kHostname, std::string_view{"node-7"});
  auto ack = send(server, kT0, request);
  ASSERT_EQ(ack.commit.size(), 1u);
  EXPECT_EQ(ack.commit[0].client_id, id);
  EXPECT_EQ(ack.commit[0].hostname, "node-7");
}

TEST(DhcpServerFull, DiscoverWithCiaddrIsAnsweredAsIfItHadNone) {
  auto server = full_server();
  auto discover = with_ciaddr(MessageType::discover, mac(1), ip("10.77.0.33"));
  auto r = send(server, kT0, discover);
  ASSERT_TRUE(r.reply);
  EXPECT_TRUE(r.reply->packet.ciaddr.is_zero());
  EXPECT_EQ(r.reply->to, core::kBroadcast);
}

TEST(DhcpServerFull, InformGetsOptionsWithoutAnAddressOrLease) {
  auto server = full_server();
  auto address = ip("10.77.0.20");
  auto r = send(server, kT0, with_ciaddr(MessageType::inform, mac(1), address),
                unicast_arrival(address, kClientPort, kServerPort));
  ASSERT_TRUE(r.reply);
  const auto& p = r.reply->packet;
  EXPECT_EQ(p.message_type(), MessageType::ack);
  EXPECT_TRUE(p.yiaddr.is_zero());
  EXPECT_FALSE(p.options.has(option::kLeaseTime));
  EXPECT_EQ(p.options.ipv4(option::kSubnetMask), ip("255.255.255.0"));
  EXPECT_EQ(r.reply->to, address);
  EXPECT_TRUE(r.commit.empty());
}

TEST(DhcpServerFull, RelayedDiscoverIsServedFromTheRelaySubnetAndEchoesOption82) {
  auto server = full_server();
  auto discover = client_packet(MessageType::discover, mac(1));
  discover.giaddr = kRelay;
  discover.hops = 1;
  std::vector<std::uint8_t> agent{1, 4, 'p', 'o', 'r', 't'};
  discover.options.set(option::kRelayAgent, agent);
  auto r = send(server, kT0, discover, relayed_arrival());
  ASSERT_TRUE(r.reply);
  const auto& p = r.reply->packet;
  EXPECT_EQ(p.yiaddr, ip("10.88.0.50"));
  EXPECT_EQ(p.giaddr, kRelay);
  EXPECT_EQ(p.options.ipv4(option::kRouter), kRelay);
  EXPECT_EQ(p.options.ipv4(option::kServerId), kUs);
  EXPECT_EQ(r.reply->to, kRelay);
  EXPECT_EQ(r.reply->port, kServerPort);
  ASSERT_FALSE(p.options.all().empty());
  EXPECT_EQ(p.options.all().back().first, option::kRelayAgent);  // RFC 3046: last
  EXPECT_EQ(p.options.all().back().second, agent);
  EXPECT_EQ(field(find_event(r, "dhcp.offer"), "via"), "10.88.0.1");
}

TEST(DhcpServerFull, RelayedNakAsksTheRelayToBroadcast) {
  auto server = full_server();
  auto request = init_reboot(mac(1), ip("10.77.0.150"));  // wrong network for the relay's subnet
  request.giaddr = kRelay;
  auto r = send(server, kT0, request, relayed_arrival());
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->packet.message_type(), MessageType::nak);
  EXPECT_TRUE(r.reply->packet.broadcast());
  EXPECT_EQ(r.reply->to, kRelay);
}

TEST(DhcpServerFull, RequestFromAnUnknownSubnetIsDropped) {
  auto server = full_server();
  auto discover = client_packet(MessageType::discover, mac(1));
  discover.giaddr = ip("172.16.0.1");
  auto r = send(server, kT0, discover, unicast_arrival(ip("172.16.0.1"), kServerPort, kServerPort));
  EXPECT_FALSE(r.reply);
  EXPECT_EQ(field(find_event(r, "dhcp.dropped"), "reason"), "no-subnet");
}

TEST(DhcpServerFull, ReplySizeFollowsOption57) {
  auto server = full_server();
  auto discover = client_packet(MessageType::discover, mac(1));
  EXPECT_EQ(send(server, kT0, discover).reply->max_size, 548u);
  discover.options.set_u16(option::kMaxMessageSize, 1200);
  EXPECT_EQ(send(server, kT0, discover).reply->max_size, 1172u);
  discover.options.set_u16(option::kMaxMessageSize, 300);  // below the RFC's 576: ignored
  EXPECT_EQ(send(server, kT0, discover).reply->max_size, 548u);
  discover.options.set_u16(option::kMaxMessageSize, 65000);  // never more than one frame
  auto r = send(server, kT0, discover);
  EXPECT_EQ(r.reply->max_size, 1472u);
  EXPECT_LE(encode(r.reply->packet, r.reply->max_size).bytes.size(), 1472u);
}

TEST(DhcpServerFull, MalformedDatagramIsDroppedWithItsSource) {
  auto server = full_server();
  std::vector<std::byte> junk(10, std::byte{1});
  auto r = server.handle(kT0, unicast_arrival(ip("10.77.0.66"), 68, kServerPort), junk);
  EXPECT_FALSE(r.reply);
  const auto* e = find_event(r, "dhcp.dropped");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->level, events::Level::debug);
  EXPECT_EQ(field(e, "reason"), to_string(DecodeError::truncated));
  EXPECT_EQ(field(e, "source"), "10.77.0.66:68");
}

TEST(DhcpServerFull, BootReplyOnTheServerPortIsDropped) {
  auto server = full_server();
  auto p = client_packet(MessageType::offer, mac(1));
  p.op = Op::reply;
  auto r = send(server, kT0, p);
  EXPECT_FALSE(r.reply);
  EXPECT_EQ(field(find_event(r, "dhcp.dropped"), "reason"), "bootreply");
}

Packet foreign_offer(core::Ipv4 server_id) {
  auto p = client_packet(MessageType::offer, mac(1));
  p.op = Op::reply;
  p.yiaddr = ip("10.77.0.77");
  p.options.set_ipv4(option::kServerId, server_id);
  return p;
}

TEST(DhcpServerFull, ForeignServerIsReportedOncePerHour) {
  auto server = full_server();
  auto seen = unicast_arrival(kOtherServer, kServerPort, kClientPort);
  auto first = send(server, kT0, foreign_offer(kOtherServer), seen);
  EXPECT_FALSE(first.reply);
  const auto* e = find_event(first, "dhcp.foreign_server");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->level, events::Level::warn);
  EXPECT_EQ(field(e, "server"), "10.77.0.5");
  EXPECT_EQ(field(e, "offered"), "10.77.0.77");
  EXPECT_EQ(find_event(send(server, kT0 + 60, foreign_offer(kOtherServer), seen), "dhcp.foreign_server"), nullptr);
  EXPECT_NE(find_event(send(server, kT0 + 3600, foreign_offer(kOtherServer), seen), "dhcp.foreign_server"),
            nullptr);
}

// Spoofed server ids must not grow the report table without end: past 256
// addresses the oldest is forgotten (and so reported again), recent ones stay quiet.
TEST(DhcpServerFull, ForeignServerTableIsBounded) {
  auto server = full_server();
  auto seen = unicast_arrival(kOtherServer, kServerPort, kClientPort);
  ASSERT_NE(find_event(send(server, kT0, foreign_offer(kOtherServer), seen), "dhcp.foreign_server"), nullptr);
  core::Ipv4 last{};
  for (std::uint32_t i = 1; i <= 300; ++i) {
    last = core::Ipv4{0x0a500000u + i};  // 10.80.0.i
    auto r = send(server, kT0 + i, foreign_offer(last), unicast_arrival(last, kServerPort, kClientPort));
    ASSERT_NE(find_event(r, "dhcp.foreign_server"), nullptr) << i;
  }
  EXPECT_EQ(find_event(send(server, kT0 + 400, foreign_offer(last), unicast_arrival(last, kServerPort, kClientPort)),
                       "dhcp.foreign_server"),
            nullptr);
  EXPECT_NE(find_event(send(server, kT0 + 400, foreign_offer(kOtherServer), seen), "dhcp.foreign_server"), nullptr);
}

TEST(DhcpServerFull, OurOwnBroadcastIsNotAForeignServer) {
  auto server = full_server();
  auto r = send(server, kT0, foreign_offer(kUs), unicast_arrival(kUs, kServerPort, kClientPort));
  EXPECT_FALSE(r.reply);
  EXPECT_EQ(find_event(r, "dhcp.foreign_server"), nullptr);
}

}  // namespace
}  // namespace pxed::dhcp
