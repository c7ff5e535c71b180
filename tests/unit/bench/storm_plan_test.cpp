#include "storm/plan.hpp"

#include <gtest/gtest.h>

#include <set>

#include "dhcp/facts.hpp"
#include "tftp/packet.hpp"

namespace pxed::storm {
namespace {

std::vector<std::byte> data_packet(std::uint16_t block, std::size_t size) {
  std::vector<std::byte> payload(size, std::byte{0x5c});
  return tftp::encode(tftp::Data{block, payload});
}

std::vector<std::byte> oack(tftp::Options options) { return tftp::encode(tftp::OptionAck{std::move(options)}); }

std::optional<std::uint16_t> acked(const std::vector<std::byte>& bytes) {
  auto p = tftp::decode(bytes);
  if (!p) return std::nullopt;
  const auto* a = std::get_if<tftp::Ack>(&*p);
  if (a == nullptr) return std::nullopt;
  return a->block;
}

TEST(StormMachine, MachinesHaveDistinctMacsAndUuidsAndTheAskedUefiShare) {
  std::set<core::Mac> macs;
  std::set<core::Uuid> uuids;
  int uefi = 0;
  for (std::size_t i = 0; i < 1000; ++i) {
    auto m = make_machine(i, 30);
    macs.insert(m.mac);
    uuids.insert(m.uuid);
    uefi += m.firmware == Firmware::uefi;
  }
  EXPECT_EQ(macs.size(), 1000u);
  EXPECT_EQ(uuids.size(), 1000u);
  EXPECT_EQ(uefi, 300);
  EXPECT_EQ(make_machine(7, 0).firmware, Firmware::bios);
  EXPECT_EQ(make_machine(7, 100).firmware, Firmware::uefi);
  EXPECT_EQ(make_machine(258, 0).mac.to_string(), "02:5c:00:00:01:02");
}

TEST(StormDhcp, DiscoverCarriesPxeOptionsTheServerReadsBack) {
  auto m = make_machine(5, 100);
  auto packet = discover(m, 0x1234, core::Ipv4{0x0af68001}, 0);
  auto decoded = dhcp::decode(dhcp::encode(packet).bytes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->message_type(), dhcp::MessageType::discover);
  EXPECT_EQ(decoded->giaddr, core::Ipv4{0x0af68001});
  EXPECT_EQ(decoded->hops, 1);
  EXPECT_EQ(decoded->options.text(dhcp::option::kVendorClass), "PXEClient:Arch:00007:UNDI:003016");
  auto facts = dhcp::facts_of(*decoded);
  EXPECT_EQ(facts.mac, m.mac);
  ASSERT_TRUE(facts.uuid);
  EXPECT_EQ(*facts.uuid, m.uuid);
}

TEST(StormDhcp, RequestNamesTheOfferedAddressAndServer) {
  auto m = make_machine(1, 0);
  dhcp::Packet offer;
  offer.op = dhcp::Op::reply;
  offer.xid = 9;
  offer.yiaddr = core::Ipv4{0x0af69001};
  std::copy(m.mac.bytes.begin(), m.mac.bytes.end(), offer.chaddr.begin());
  offer.options.set_u8(dhcp::option::kMessageType, static_cast<std::uint8_t>(dhcp::MessageType::offer));
  offer.options.set_ipv4(dhcp::option::kServerId, core::Ipv4{0x0af60001});
  EXPECT_TRUE(answers(offer, m, 9, dhcp::MessageType::offer));
  EXPECT_FALSE(answers(offer, m, 10, dhcp::MessageType::offer));
  EXPECT_FALSE(answers(offer, make_machine(2, 0), 9, dhcp::MessageType::offer));
  EXPECT_FALSE(answers(offer, m, 9, dhcp::MessageType::ack));

  auto req = request(m, 9, core::Ipv4{0x0af68002}, 4, offer);
  EXPECT_EQ(req.message_type(), dhcp::MessageType::request);
  EXPECT_EQ(req.options.ipv4(dhcp::option::kRequestedIp), offer.yiaddr);
  EXPECT_EQ(req.options.ipv4(dhcp::option::kServerId), core::Ipv4{0x0af60001});
  EXPECT_EQ(req.secs, 4);
}

TEST(StormPxelinux, NamesComeInPxelinuxOrder) {
  auto m = make_machine(1, 0);
  auto names = pxelinux_config_names(m, core::Ipv4{0xC0A8025B});
  ASSERT_EQ(names.size(), 11u);
  EXPECT_EQ(names[0], "pxelinux.cfg/" + m.uuid.to_string());
  EXPECT_EQ(names[1], "pxelinux.cfg/01-02-5c-00-00-00-01");
  EXPECT_EQ(names[2], "pxelinux.cfg/C0A8025B");
  EXPECT_EQ(names[3], "pxelinux.cfg/C0A8025");
  EXPECT_EQ(names[9], "pxelinux.cfg/C");
  EXPECT_EQ(names[10], "pxelinux.cfg/default");
}

TEST(StormTftp, LockStepAcksEveryBlockAndEndsOnAShortOne) {
  TftpReceiver rx("lpxelinux.0", {});
  auto rrq = tftp::decode(rx.request());
  ASSERT_TRUE(rrq);
  EXPECT_TRUE(std::get<tftp::Request>(*rrq).options.empty());
  EXPECT_EQ(acked(rx.on_packet(data_packet(1, 512))), 1);
  EXPECT_EQ(acked(rx.on_packet(data_packet(2, 512))), 2);
  EXPECT_EQ(rx.state(), TftpState::receiving);
  EXPECT_EQ(acked(rx.on_packet(data_packet(3, 100))), 3);
  EXPECT_EQ(rx.state(), TftpState::done);
  EXPECT_EQ(rx.bytes(), 1124u);
}

TEST(StormTftp, WindowAcksOnlyItsLastBlockAndResyncsAfterAGap) {
  TftpReceiver rx("syslinux.efi", {.blksize = 1468, .windowsize = 4, .tsize = true});
  auto rrq = tftp::decode(rx.request());
  ASSERT_TRUE(rrq);
  EXPECT_EQ(*tftp::find_option(std::get<tftp::Request>(*rrq).options, "windowsize"), "4");
  EXPECT_EQ(acked(rx.on_packet(oack({{"tsize", "9000"}, {"blksize", "1468"}, {"windowsize", "4"}}))), 0);
  EXPECT_EQ(rx.tsize(), 9000u);
  EXPECT_TRUE(rx.on_packet(data_packet(1, 1468)).empty());
  EXPECT_TRUE(rx.on_packet(data_packet(2, 1468)).empty());
  EXPECT_TRUE(rx.on_packet(data_packet(3, 1468)).empty());
  EXPECT_EQ(acked(rx.on_packet(data_packet(4, 1468))), 4);
  // Block 5 lost: 6 makes the receiver ACK 4, and the server resends from 5.
  EXPECT_EQ(acked(rx.on_packet(data_packet(6, 1468))), 4);
  EXPECT_TRUE(rx.on_packet(data_packet(5, 1468)).empty());
  EXPECT_EQ(acked(rx.on_packet(data_packet(6, 60))), 6);
  EXPECT_EQ(rx.state(), TftpState::done);
  EXPECT_EQ(rx.bytes(), 5u * 1468 + 60);
}

TEST(StormTftp, ServerIgnoringOptionsMeansFiveHundredTwelveLockStep) {
  TftpReceiver rx("f", {.blksize = 1468, .windowsize = 4, .tsize = true});
  (void)rx.request();
  EXPECT_EQ(acked(rx.on_packet(data_packet(1, 512))), 1);
  EXPECT_EQ(rx.blksize(), 512);
  EXPECT_EQ(acked(rx.on_packet(data_packet(2, 0))), 2);
  EXPECT_EQ(rx.state(), TftpState::done);
}

TEST(StormTftp, FileNotFoundIsAMissNotAFailure) {
  TftpReceiver rx("pxelinux.cfg/C0", {});
  (void)rx.request();
  EXPECT_TRUE(rx.on_packet(tftp::encode(tftp::Error{tftp::ErrorCode::file_not_found, "nope"})).empty());
  EXPECT_EQ(rx.state(), TftpState::not_found);
  TftpReceiver other("x", {});
  (void)other.request();
  (void)other.on_packet(tftp::encode(tftp::Error{tftp::ErrorCode::access_violation, "no"}));
  EXPECT_EQ(other.state(), TftpState::failed);
}

TEST(StormTftp, ADuplicateBlockIsAckedAgain) {
  TftpReceiver rx("f", {});
  (void)rx.request();
  EXPECT_EQ(acked(rx.on_packet(data_packet(1, 512))), 1);
  EXPECT_EQ(acked(rx.on_packet(data_packet(1, 512))), 1);
  EXPECT_EQ(rx.bytes(), 512u);
  EXPECT_EQ(acked(rx.last_sent()), 1);
}

TEST(StormPercentile, NearestRank) {
  std::vector<double> none;
  EXPECT_FALSE(percentile(none, 50));
  std::vector<double> v{5, 1, 4, 2, 3};
  EXPECT_EQ(percentile(v, 50), 3);
  EXPECT_EQ(percentile(v, 99), 5);
  EXPECT_EQ(percentile(v, 0), 1);
  std::vector<double> hundred;
  for (int i = 100; i >= 1; --i) hundred.push_back(i);
  EXPECT_EQ(percentile(hundred, 99), 99);
  EXPECT_EQ(percentile(hundred, 100), 100);
}

dhcp::Packet proxy_offer(std::string file, std::optional<std::vector<std::uint8_t>> o43) {
  dhcp::Packet p;
  p.op = dhcp::Op::reply;
  p.options.set_u8(dhcp::option::kMessageType, static_cast<std::uint8_t>(dhcp::MessageType::offer));
  p.options.set(dhcp::option::kVendorClass, std::string_view("PXEClient"));
  p.file = std::move(file);
  if (o43) p.options.set(dhcp::option::kVendorSpecific, *o43);
  return p;
}

constexpr core::Ipv4 kProxy{0x0af60501};

TEST(StormProxy, ProxyOfferHasNoAddressAndSaysPxeClient) {
  auto offer = proxy_offer("lpxelinux.0", std::nullopt);
  EXPECT_TRUE(is_proxy_offer(offer));
  offer.yiaddr = core::Ipv4{0x0af6a001};  // the DHCP server's offer carries an address
  EXPECT_FALSE(is_proxy_offer(offer));
  auto plain = proxy_offer("", std::nullopt);
  plain.options.erase(dhcp::option::kVendorClass);
  EXPECT_FALSE(is_proxy_offer(plain));
}

TEST(StormProxy, OnlyTheChosenServersAckWithAnAddressCounts) {
  const core::Ipv4 kea{0x0af60701};
  dhcp::Packet ack;
  ack.op = dhcp::Op::reply;
  ack.options.set_u8(dhcp::option::kMessageType, static_cast<std::uint8_t>(dhcp::MessageType::ack));
  ack.options.set_ipv4(dhcp::option::kServerId, kea);
  ack.yiaddr = core::Ipv4{0x0af6a001};
  EXPECT_TRUE(from_chosen_server(ack, kea));
  auto proxy_ack = ack;  // the proxy answering the relayed REQUEST too: its own id, no address
  proxy_ack.options.set_ipv4(dhcp::option::kServerId, kProxy);
  proxy_ack.yiaddr = {};
  EXPECT_FALSE(from_chosen_server(proxy_ack, kea));
  proxy_ack.options.set_ipv4(dhcp::option::kServerId, kea);
  EXPECT_FALSE(from_chosen_server(proxy_ack, kea));  // no address: no lease, whoever says it
  auto nak = ack;
  nak.options.set_u8(dhcp::option::kMessageType, static_cast<std::uint8_t>(dhcp::MessageType::nak));
  nak.yiaddr = {};
  EXPECT_TRUE(from_chosen_server(nak, kea));
}

TEST(StormProxy, BiosTakesTheFileWhenOption43IsAbsentOrSaysUseIt) {
  auto boot = proxy_boot_of(proxy_offer("lpxelinux.0", std::nullopt), Firmware::bios, kProxy);
  EXPECT_FALSE(boot.ask_boot_server);
  EXPECT_EQ(boot.file, "lpxelinux.0");
  EXPECT_EQ(boot.next_server, kProxy);  // siaddr 0: the proxy itself
  // 6 = 8 (bit 3), then 10 = prompt, then end: what dnsmasq and pixiecore send without a menu.
  auto use = proxy_boot_of(proxy_offer("lpxelinux.0", std::vector<std::uint8_t>{6, 1, 8, 10, 4, 0, 'P', 'X', 'E', 255}),
                           Firmware::bios, kProxy);
  EXPECT_FALSE(use.ask_boot_server);
}

TEST(StormProxy, BiosAsksTheBootServerForTheFirstMenuItem) {
  // 6 = 3 (no broadcast, no multicast discovery), 9 = one item of type 0x8000 "storm".
  std::vector<std::uint8_t> o43{6, 1, 3, 9, 8, 0x80, 0x00, 5, 's', 't', 'o', 'r', 'm', 255};
  auto boot = proxy_boot_of(proxy_offer("", o43), Firmware::bios, kProxy);
  EXPECT_TRUE(boot.ask_boot_server);
  EXPECT_EQ(boot.boot_item, std::optional<std::uint16_t>(0x8000));
  // A truncated option 43 is no menu and no "use the file".
  auto cut = proxy_boot_of(proxy_offer("x.0", std::vector<std::uint8_t>{6, 5, 8}), Firmware::bios, kProxy);
  EXPECT_TRUE(cut.ask_boot_server);
  EXPECT_FALSE(cut.boot_item);
}

TEST(StormProxy, UefiAlwaysAsksTheBootServer) {
  auto boot = proxy_boot_of(proxy_offer("syslinux.efi", std::nullopt), Firmware::uefi, kProxy);
  EXPECT_TRUE(boot.ask_boot_server);
  EXPECT_FALSE(boot.boot_item);
}

TEST(StormProxy, BootServerRequestCarriesCiaddrAndTheBootItem) {
  auto m = make_machine(3, 0);
  auto request = boot_server_request(m, 77, core::Ipv4{0x0af6a004}, 0x8000);
  auto decoded = dhcp::decode(dhcp::encode(request).bytes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->message_type(), dhcp::MessageType::request);
  EXPECT_EQ(decoded->ciaddr, core::Ipv4{0x0af6a004});
  EXPECT_TRUE(decoded->giaddr.is_zero());
  const auto* o43 = decoded->options.find(dhcp::option::kVendorSpecific);
  ASSERT_NE(o43, nullptr);
  EXPECT_EQ(*o43, (std::vector<std::uint8_t>{71, 4, 0x80, 0x00, 0, 0, 255}));
  EXPECT_FALSE(boot_server_request(m, 77, core::Ipv4{0x0af6a004}, std::nullopt).options.has(dhcp::option::kVendorSpecific));
  dhcp::Packet ack;
  ack.file = "syslinux.efi";
  ack.siaddr = core::Ipv4{0x0af60601};
  auto boot = boot_from_ack(ack, kProxy);
  EXPECT_EQ(boot.file, "syslinux.efi");
  EXPECT_EQ(boot.next_server, core::Ipv4{0x0af60601});
}

}  // namespace
}  // namespace pxed::storm
