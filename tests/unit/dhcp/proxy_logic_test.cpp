// ProxyDHCP on port 67, the PXE boot server on 4011, and the boot information
// (menus, iPXE, UEFI HTTP boot) every mode puts in its replies.
#include <gtest/gtest.h>

#include "dhcp/reply.hpp"
#include "dhcp/server.hpp"
#include "logic_test_support.hpp"

namespace pxed::dhcp {
namespace {

using namespace test;

Server proxy_server(config::Boot boot = boot_config()) {
  return Server(proxy_config(), boot, http_config(), {});
}

config::Boot menu_boot(std::size_t items = 3, std::size_t label_length = 12) {
  auto boot = boot_config();
  config::BootMenu menu;
  menu.prompt = "Press F8";
  menu.timeout = std::chrono::seconds(10);
  for (std::size_t i = 0; i + 1 < items; ++i) {
    menu.items.push_back(config::BootMenuItem{std::string(label_length, static_cast<char>('A' + i)),
                                              "item" + std::to_string(i) + ".0", std::nullopt});
  }
  menu.items.push_back(config::BootMenuItem{"Local disk", "", std::nullopt});
  boot.menu = menu;
  return boot;
}

Packet pxe_discover(std::uint16_t arch, core::Mac m = mac(1)) {
  auto p = client_packet(MessageType::discover, m);
  as_pxe(p, arch);
  return p;
}

// What a PXE client sends to 4011 (PXE 2.1 §2.2.7): REQUEST, ciaddr set, maybe 43/71.
Packet boot_server_request(std::uint16_t arch, std::optional<PxeBootItem> item = std::nullopt) {
  auto p = client_packet(MessageType::request, mac(1));
  as_pxe(p, arch);
  p.ciaddr = ip("10.77.0.60");
  if (item) {
    PxeOptions o;
    o.boot_item = item;
    p.options.set(option::kVendorSpecific, *encode_pxe(o));
  }
  return p;
}

Arrival at_4011() { return unicast_arrival(ip("10.77.0.60"), kPxePort, kPxePort); }

TEST(DhcpProxy, OfferCarriesBootInformationButNoAddress) {
  auto server = proxy_server();
  auto r = send(server, kT0, pxe_discover(kBios));
  ASSERT_TRUE(r.reply);
  const auto& p = r.reply->packet;
  EXPECT_EQ(p.message_type(), MessageType::offer);
  EXPECT_TRUE(p.yiaddr.is_zero());
  EXPECT_EQ(p.siaddr, kUs);
  EXPECT_EQ(p.file, "undionly.kpxe");
  EXPECT_EQ(p.options.ipv4(option::kServerId), kUs);
  EXPECT_EQ(p.options.text(option::kVendorClass), "PXEClient");
  EXPECT_EQ(*p.options.find(option::kClientUuid), uuid_option());
  EXPECT_FALSE(p.options.has(option::kLeaseTime));
  EXPECT_FALSE(p.options.has(option::kSubnetMask));
  EXPECT_TRUE(p.broadcast());
  EXPECT_EQ(r.reply->to, core::kBroadcast);
  EXPECT_EQ(r.reply->port, kClientPort);
  EXPECT_TRUE(r.commit.empty());
  EXPECT_EQ(field(find_event(r, "dhcp.proxy_offer"), "file"), "undionly.kpxe");
}

TEST(DhcpProxy, AnInterfaceWithoutAddressGetsAWarningNotAnOfferFromServerZero) {
  // Offers went out naming server 0.0.0.0 (option 54), which firmware ignores, and nothing was logged.
  auto server = proxy_server();
  auto arrival = broadcast_arrival();
  arrival.local = {};
  auto r = send(server, kT0, pxe_discover(kBios), arrival);
  EXPECT_FALSE(r.reply);
  const auto* e = find_event(r, "dhcp.ignored");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(field(e, "reason"), "no-address");
  EXPECT_EQ(e->level, events::Level::warn);
}

TEST(DhcpProxy, OfferCarriesTheMinimalDiscoveryControlBlob) {
  auto server = proxy_server();
  auto r = send(server, kT0, pxe_discover(kBios));
  ASSERT_TRUE(r.reply);
  auto pxe = pxe_of(r.reply->packet);
  ASSERT_TRUE(pxe);
  EXPECT_EQ(pxe->discovery_control, pxe::kUseBootfile);
  EXPECT_EQ(pxe->prompt_timeout, 0);
  EXPECT_EQ(pxe->prompt, "PXE");
  EXPECT_TRUE(pxe->menu.empty());
}

TEST(DhcpProxy, ClientWithoutUuidStillGetsAnOffer) {
  auto server = proxy_server();
  auto discover = pxe_discover(kBios);
  discover.options.erase(option::kClientUuid);
  auto r = send(server, kT0, discover);
  ASSERT_TRUE(r.reply);
  EXPECT_FALSE(r.reply->packet.options.has(option::kClientUuid));
}

TEST(DhcpProxy, RequestGetsAnAckWithoutAnAddress) {
  auto server = proxy_server();
  auto request = pxe_discover(kEfi64);
  request.options.set_u8(option::kMessageType, static_cast<std::uint8_t>(MessageType::request));
  request.options.set_ipv4(option::kServerId, kOtherServer);  // it took the real server's lease
  auto r = send(server, kT0, request);
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->packet.message_type(), MessageType::ack);
  EXPECT_TRUE(r.reply->packet.yiaddr.is_zero());
  EXPECT_EQ(r.reply->packet.file, "ipxe.efi");
  EXPECT_NE(find_event(r, "dhcp.proxy_ack"), nullptr);
}

TEST(DhcpProxy, ClientThatIsNotBootingIsIgnored) {
  auto server = proxy_server();
  auto r = send(server, kT0, client_packet(MessageType::discover, mac(1)));
  EXPECT_FALSE(r.reply);
  EXPECT_EQ(field(find_event(r, "dhcp.ignored"), "reason"), "not-pxe");
}

TEST(DhcpProxy, NothingToBootIsSilence) {
  auto server = proxy_server();
  auto r = send(server, kT0, pxe_discover(11));  // ARM64: no [boot] arm64 configured
  EXPECT_FALSE(r.reply);
  EXPECT_EQ(field(find_event(r, "dhcp.ignored"), "reason"), "no-boot-file");
}

TEST(DhcpProxy, RelayedOfferGoesBackToTheRelay) {
  auto server = proxy_server();
  auto discover = pxe_discover(kBios);
  discover.giaddr = kRelay;
  discover.options.set(option::kRelayAgent, std::vector<std::uint8_t>{1, 2, 'x', 'y'});
  auto r = send(server, kT0, discover, relayed_arrival());
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->to, kRelay);
  EXPECT_EQ(r.reply->port, kServerPort);
  EXPECT_EQ(r.reply->packet.options.all().back().first, option::kRelayAgent);
}

TEST(DhcpProxy, ForeignServerIsReportedAtInfo) {
  auto server = proxy_server();
  auto offer = client_packet(MessageType::offer, mac(1));
  offer.op = Op::reply;
  offer.options.set_ipv4(option::kServerId, kOtherServer);
  auto r = send(server, kT0, offer, unicast_arrival(kOtherServer, kServerPort, kClientPort));
  const auto* e = find_event(r, "dhcp.foreign_server");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->level, events::Level::info);
}

TEST(DhcpProxy, IpxeClientGetsTheScriptUrl) {
  auto server = proxy_server();
  auto discover = pxe_discover(kEfi64);
  discover.options.set(option::kUserClass, std::string_view{"iPXE"});
  auto r = send(server, kT0, discover);
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->packet.file, "http://10.77.0.1/boot.ipxe");
}

TEST(DhcpProxy, HttpBootClientGetsAUrlAndHttpClientEchoed) {
  auto server = proxy_server();
  auto discover = client_packet(MessageType::discover, mac(1));
  discover.options.set(option::kVendorClass, std::string_view{"HTTPClient:Arch:00016:UNDI:003001"});
  discover.options.set_u16(option::kClientArch, kEfi64Http);
  auto r = send(server, kT0, discover);
  ASSERT_TRUE(r.reply);
  const auto& p = r.reply->packet;
  EXPECT_EQ(p.file, "http://10.77.0.1:8080/ipxe.efi");
  EXPECT_EQ(p.options.text(option::kVendorClass), "HTTPClient");
  EXPECT_FALSE(p.options.has(option::kVendorSpecific));  // option 43 is PXE's
}

TEST(DhcpProxy, BaseUrlFromConfigFillsHttp) {
  auto http = http_config();
  http.base_url = "http://boot.example";
  Server server(proxy_config(), boot_config(), http, {});
  auto discover = client_packet(MessageType::discover, mac(1));
  discover.options.set(option::kVendorClass, std::string_view{"HTTPClient:Arch:00016:UNDI:003001"});
  discover.options.set_u16(option::kClientArch, kEfi64Http);
  auto r = send(server, kT0, discover);
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->packet.file, "http://boot.example/ipxe.efi");
}

TEST(DhcpProxy, UrlTooLongForTheFileFieldGoesInOption67) {
  auto boot = boot_config();
  boot.choice.ipxe = "http://${server}/" + std::string(150, 'x') + ".ipxe";
  auto server = proxy_server(boot);
  auto discover = pxe_discover(kEfi64);
  discover.options.set(option::kUserClass, std::string_view{"iPXE"});
  auto r = send(server, kT0, discover);
  ASSERT_TRUE(r.reply);
  EXPECT_TRUE(r.reply->packet.file.empty());
  EXPECT_EQ(r.reply->packet.options.text(option::kBootfile)->size(), 17u + 150u + 5u);
}

TEST(DhcpProxy, BiosClientGetsTheMenu) {
  auto server = proxy_server(menu_boot(3));
  auto r = send(server, kT0, pxe_discover(kBios));
  ASSERT_TRUE(r.reply);
  auto pxe = pxe_of(r.reply->packet);
  ASSERT_TRUE(pxe);
  EXPECT_EQ(pxe->discovery_control, kMenuDiscoveryControl);
  ASSERT_EQ(pxe->menu.size(), 3u);
  EXPECT_EQ(pxe->menu[2].type, pxe::kLocalBoot);
  EXPECT_EQ(pxe->menu[2].label, "Local disk");
  ASSERT_EQ(pxe->boot_servers.size(), 2u);  // not for local boot
  EXPECT_EQ(pxe->boot_servers[0].type, pxe->menu[0].type);
  EXPECT_EQ(pxe->boot_servers[0].addresses, std::vector<core::Ipv4>{kUs});
  EXPECT_EQ(pxe->prompt, "Press F8");
  EXPECT_EQ(pxe->prompt_timeout, 10);
}

TEST(DhcpProxy, UefiClientGetsNoMenu) {
  auto server = proxy_server(menu_boot(3));
  auto r = send(server, kT0, pxe_discover(kEfi64));
  ASSERT_TRUE(r.reply);
  auto pxe = pxe_of(r.reply->packet);
  ASSERT_TRUE(pxe);
  EXPECT_TRUE(pxe->menu.empty());
  EXPECT_EQ(r.reply->packet.file, "ipxe.efi");
}

TEST(DhcpProxy, MenuTooLargeFallsBackToThePlainFile) {
  auto server = proxy_server(menu_boot(6, 60));
  auto r = send(server, kT0, pxe_discover(kBios));
  ASSERT_TRUE(r.reply);
  const auto* e = find_event(r, "dhcp.menu_too_large");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->level, events::Level::warn);
  EXPECT_EQ(r.reply->packet.file, "item0.0");
  auto pxe = pxe_of(r.reply->packet);
  ASSERT_TRUE(pxe);
  EXPECT_EQ(pxe->discovery_control, pxe::kUseBootfile);
  EXPECT_TRUE(pxe->menu.empty());
}

TEST(DhcpBootServer, RequestOn4011GetsAUnicastAck) {
  auto server = proxy_server();
  auto r = send(server, kT0, boot_server_request(kEfi64), at_4011());
  ASSERT_TRUE(r.reply);
  const auto& p = r.reply->packet;
  EXPECT_EQ(p.message_type(), MessageType::ack);
  EXPECT_EQ(p.yiaddr, ip("10.77.0.60"));
  EXPECT_TRUE(p.ciaddr.is_zero());
  EXPECT_EQ(p.siaddr, kUs);
  EXPECT_EQ(p.file, "ipxe.efi");
  EXPECT_EQ(p.options.text(option::kVendorClass), "PXEClient");
  EXPECT_EQ(p.options.ipv4(option::kServerId), kUs);
  EXPECT_EQ(*p.options.find(option::kClientUuid), uuid_option());
  EXPECT_EQ(r.reply->to, ip("10.77.0.60"));
  EXPECT_EQ(r.reply->port, kPxePort);
  EXPECT_NE(find_event(r, "dhcp.pxe_ack"), nullptr);
}

TEST(DhcpBootServer, AnswersInFullModeToo) {
  Server server(full_config(), boot_config(), http_config(), {});
  auto r = send(server, kT0, boot_server_request(kBios), at_4011());
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->packet.file, "undionly.kpxe");
  EXPECT_TRUE(r.commit.empty());
}

TEST(DhcpBootServer, MenuChoiceGetsItsFileAndTheItemEchoed) {
  auto boot = menu_boot(3);
  auto server = proxy_server(boot);
  auto offer = send(server, kT0, pxe_discover(kBios));
  ASSERT_TRUE(offer.reply);
  auto menu = pxe_of(offer.reply->packet);
  ASSERT_TRUE(menu && menu->menu.size() == 3);
  auto second = menu->menu[1].type;
  auto r = send(server, kT0, boot_server_request(kBios, PxeBootItem{second, 0}), at_4011());
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->packet.file, "item1.0");
  auto echo = pxe_of(r.reply->packet);
  ASSERT_TRUE(echo && echo->boot_item);
  EXPECT_EQ(echo->boot_item->type, second);
  EXPECT_EQ(echo->boot_item->layer, 0);
  EXPECT_EQ(field(find_event(r, "dhcp.pxe_ack"), "file"), "item1.0");
}

TEST(DhcpBootServer, ItemRequestWithoutAMenuGetsTheArchFile) {
  auto server = proxy_server();
  auto r = send(server, kT0, boot_server_request(kBios, PxeBootItem{0x8000, 0}), at_4011());
  ASSERT_TRUE(r.reply);
  EXPECT_FALSE(r.reply->packet.file.empty());
  auto echo = pxe_of(r.reply->packet);
  ASSERT_TRUE(echo && echo->boot_item);
  EXPECT_EQ(echo->boot_item->type, 0x8000);
}

TEST(DhcpBootServer, BisRequestIsRefused) {
  auto server = proxy_server(menu_boot(3));
  auto r = send(server, kT0, boot_server_request(kBios, PxeBootItem{0x8000, kBisLayerBit}), at_4011());
  EXPECT_FALSE(r.reply);
  EXPECT_EQ(field(find_event(r, "dhcp.ignored"), "reason"), "bis-not-supported");
}

TEST(DhcpBootServer, ClientThatIsNotPxeIsIgnored) {
  auto server = proxy_server();
  auto request = client_packet(MessageType::request, mac(1));
  request.ciaddr = ip("10.77.0.60");
  auto r = send(server, kT0, request, at_4011());
  EXPECT_FALSE(r.reply);
}

TEST(DhcpBootServer, DiscoverOn4011IsIgnored) {
  auto server = proxy_server();
  auto r = send(server, kT0, pxe_discover(kBios), at_4011());
  EXPECT_FALSE(r.reply);
  EXPECT_NE(find_event(r, "dhcp.ignored"), nullptr);
}

// [boot] local_boot = "next-device": a machine the inventory boots locally gets no
// boot offer, so its firmware moves to its next device; a reload (decide_with)
// changes what DHCP answers without a restart.
TEST(DhcpDeciding, ALocalMachineGetsNoBootOfferOnceTheInventorySaysSo) {
  auto local = std::make_shared<config::Config>();
  local->boot = boot_config();
  local->boot.default_profile = "local";
  local->boot.local_by_firmware = true;

  auto proxy = proxy_server();
  ASSERT_TRUE(send(proxy, kT0, pxe_discover(kBios)).reply);
  proxy.decide_with(Deciding{local, nullptr});
  auto r = send(proxy, kT0, pxe_discover(kBios));
  EXPECT_FALSE(r.reply);
  EXPECT_EQ(field(find_event(r, "dhcp.ignored"), "reason"), "no-boot-file");
  EXPECT_NE(field(find_event(r, "dhcp.ignored"), "why").find("next-device"), std::string::npos);

  auto full = full_server();
  full.decide_with(Deciding{local, nullptr});
  auto offer = send(full, kT0, pxe_discover(kEfi64));
  ASSERT_TRUE(offer.reply);  // an address, nothing to boot
  EXPECT_FALSE(offer.reply->packet.yiaddr.is_zero());
  EXPECT_EQ(offer.reply->packet.file, "");
  EXPECT_FALSE(offer.reply->packet.options.has(option::kBootfile));

  // A reloaded [boot] key is what the next answer carries.
  auto edited = std::make_shared<config::Config>();
  edited->boot = boot_config();
  edited->boot.choice.efi64 = "snponly.efi";
  full.decide_with(Deciding{edited, nullptr});
  auto again = send(full, kT0 + 1, pxe_discover(kEfi64, mac(2)));
  ASSERT_TRUE(again.reply);
  EXPECT_EQ(again.reply->packet.file, "snponly.efi");
}

}  // namespace
}  // namespace pxed::dhcp
