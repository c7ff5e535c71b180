#include "dhcp/facts.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "dhcp/pxe_options.hpp"

namespace pxed::dhcp {
namespace {

using Bytes = std::vector<std::uint8_t>;

Packet request_with(std::initializer_list<std::pair<std::uint8_t, Bytes>> options) {
  Packet p;
  p.chaddr = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
  p.options.set_u8(option::kMessageType, static_cast<std::uint8_t>(MessageType::discover));
  for (const auto& [code, value] : options) p.options.set(code, value);
  return p;
}

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes uuid_option(std::uint8_t type, std::size_t guid_bytes) {
  Bytes v{type};
  for (std::size_t i = 0; i < guid_bytes; ++i) v.push_back(static_cast<std::uint8_t>(0xa0 + i));
  return v;
}

TEST(DhcpFacts, IpxeBareUserClassMeansIpxe) {
  // iPXE sends "iPXE" without RFC 3004's length prefix.
  auto f = facts_of(request_with({{option::kUserClass, text("iPXE")}}));
  EXPECT_EQ(f.user_classes, std::vector<std::string>{"iPXE"});
  EXPECT_TRUE(f.ipxe);
}

TEST(DhcpFacts, Rfc3004UserClassListIsSplit) {
  auto f = facts_of(request_with({{option::kUserClass, Bytes{4, 'i', 'P', 'X', 'E', 3, 'l', 'a', 'b'}}}));
  EXPECT_EQ(f.user_classes, (std::vector<std::string>{"iPXE", "lab"}));
  EXPECT_TRUE(f.ipxe);
}

TEST(DhcpFacts, UserClassThatDoesNotParseExactlyIsOneString) {
  // A length byte that overshoots, or a zero length, means it was no list.
  EXPECT_EQ(facts_of(request_with({{option::kUserClass, Bytes{3, 'a', 'b', 'c', 9}}})).user_classes,
            std::vector<std::string>{std::string("\x03" "abc\x09")});
  EXPECT_EQ(facts_of(request_with({{option::kUserClass, Bytes{0, 'x'}}})).user_classes,
            std::vector<std::string>{std::string("\0x", 2)});
}

TEST(DhcpFacts, OtherUserClassIsNotIpxe) {
  auto f = facts_of(request_with({{option::kUserClass, Bytes{7, 'g', 'a', 'r', 'b', 'a', 'g', 'e'}}}));
  EXPECT_EQ(f.user_classes, std::vector<std::string>{"garbage"});
  EXPECT_FALSE(f.ipxe);
}

TEST(DhcpFacts, Option175AloneMeansIpxe) {
  // FIRMWARE.md 25: vendor iPXE forks omit the user class but send 175.
  auto f = facts_of(request_with({{option::kIpxe, Bytes{0xb1, 5, 1, 0x1a, 0xf4, 0x10, 0}}}));
  EXPECT_TRUE(f.user_classes.empty());
  EXPECT_TRUE(f.ipxe);
}

TEST(DhcpFacts, PlainPxeRomIsNotIpxe) {
  auto f = facts_of(request_with({{option::kVendorClass, text("PXEClient:Arch:00000:UNDI:002001")},
                                  {option::kClientArch, Bytes{0, 0}}}));
  EXPECT_FALSE(f.ipxe);
  EXPECT_TRUE(f.pxe_client);
  EXPECT_FALSE(f.http_client);
  EXPECT_EQ(f.arch, 0);
}

TEST(DhcpFacts, HttpClientVendorClassMeansUefiHttpBoot) {
  auto f = facts_of(request_with({{option::kVendorClass, text("HTTPClient:Arch:00016:UNDI:003001")},
                                  {option::kClientArch, Bytes{0, 16}}}));
  EXPECT_TRUE(f.http_client);
  EXPECT_FALSE(f.pxe_client);
  EXPECT_EQ(f.arch, 16);
  EXPECT_EQ(f.vendor_class, "HTTPClient:Arch:00016:UNDI:003001");
}

TEST(DhcpFacts, VendorClassLosesTrailingNuls) {
  auto f = facts_of(request_with({{option::kVendorClass, Bytes{'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't', 0}}}));
  EXPECT_EQ(f.vendor_class, "PXEClient");
  EXPECT_TRUE(f.pxe_client);
}

TEST(DhcpFacts, ArchIsTheFirstOfTheList) {
  EXPECT_EQ(facts_of(request_with({{option::kClientArch, Bytes{0, 9, 0, 7}}})).arch, 9);
  EXPECT_FALSE(facts_of(request_with({{option::kClientArch, Bytes{7}}})).arch);
  EXPECT_FALSE(facts_of(request_with({})).arch);
}

TEST(DhcpFacts, UuidNeedsSeventeenBytesWithTypeZero) {
  auto good = facts_of(request_with({{option::kClientUuid, uuid_option(0, 16)}}));
  ASSERT_TRUE(good.uuid);
  EXPECT_EQ(good.uuid->bytes[0], 0xa0);
  EXPECT_EQ(good.uuid->bytes[15], 0xaf);
}

TEST(DhcpFacts, BrokenUuidIsIgnoredNotFatal) {
  // FIRMWARE.md 2: such ROMs must still boot.
  EXPECT_FALSE(facts_of(request_with({{option::kClientUuid, uuid_option(0, 15)}})).uuid);
  EXPECT_FALSE(facts_of(request_with({{option::kClientUuid, uuid_option(0, 17)}})).uuid);
  EXPECT_FALSE(facts_of(request_with({{option::kClientUuid, uuid_option(1, 16)}})).uuid);
  EXPECT_FALSE(facts_of(request_with({{option::kClientUuid, Bytes{}}})).uuid);
}

TEST(DhcpFacts, MacAndAddressComeFromTheHeader) {
  auto p = request_with({});
  p.ciaddr = core::Ipv4{0x0a4d0064};
  auto f = facts_of(p);
  EXPECT_EQ(f.mac.to_string(), "52:54:00:12:34:56");
  EXPECT_EQ(f.address.to_string(), "10.77.0.100");
}

TEST(DhcpFacts, BootItemComesFromPxeOption43) {
  PxeOptions pxe;
  pxe.boot_item = PxeBootItem{.type = 0x8002, .layer = 0};
  auto value = encode_pxe(pxe);
  ASSERT_TRUE(value);
  auto f = facts_of(request_with({{option::kVendorClass, text("PXEClient")}, {option::kVendorSpecific, *value}}));
  EXPECT_EQ(f.boot_item, 0x8002);
}

TEST(DhcpFacts, BootItemIgnoredForNonPxeClientsAndBrokenOption43) {
  Bytes item{71, 4, 0x80, 0x02, 0, 0, 255};
  EXPECT_FALSE(facts_of(request_with({{option::kVendorSpecific, item}})).boot_item);
  EXPECT_FALSE(facts_of(request_with({{option::kVendorClass, text("PXEClient")},
                                      {option::kVendorSpecific, Bytes{71, 4, 0x80}}}))
                   .boot_item);
}

// ---- golden captures (tests/unit/data/dhcp/capture.py) ----

std::vector<std::byte> fixture(const std::string& name) {
  // PXED_TEST_DATA is tests/data; the captures live beside the unit tests.
  auto path = std::filesystem::path(PXED_TEST_DATA).parent_path() / "unit" / "data" / "dhcp" / name;
  std::ifstream in(path, std::ios::binary);
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(raw.empty()) << "missing fixture " << name;
  std::vector<std::byte> out;
  for (char c : raw) out.push_back(std::byte(static_cast<unsigned char>(c)));
  return out;
}

Packet capture(const std::string& name) {
  auto p = decode(fixture(name));
  if (!p) {
    ADD_FAILURE() << name << ": " << to_string(p.error());
    return {};
  }
  // What we decode, we can write back and read again unchanged.
  auto again = decode(encode(*p, kMaxPacket).bytes);
  EXPECT_TRUE(again) << name;
  if (again) {
    EXPECT_EQ(*again, *p) << name;
  }
  return *p;
}

TEST(DhcpCapture, QemuIpxeBiosDiscover) {
  auto p = capture("ipxe_bios_discover.bin");
  EXPECT_EQ(p.message_type(), MessageType::discover);
  auto f = facts_of(p);
  EXPECT_EQ(f.mac.to_string(), "52:54:00:12:34:56");
  EXPECT_EQ(f.arch, 0);
  EXPECT_EQ(f.vendor_class, "PXEClient:Arch:00000:UNDI:002001");
  EXPECT_TRUE(f.pxe_client);
  EXPECT_EQ(f.user_classes, std::vector<std::string>{"iPXE"});
  EXPECT_TRUE(f.ipxe);
  EXPECT_TRUE(f.uuid);  // QEMU without -uuid: type 0 and sixteen zeros
  EXPECT_TRUE(p.options.has(option::kIpxe));
  EXPECT_EQ(p.options.u16(option::kMaxMessageSize), 1472);
}

TEST(DhcpCapture, QemuIpxeEfiDiscover) {
  auto f = facts_of(capture("ipxe_efi_discover.bin"));
  EXPECT_EQ(f.arch, 7);
  EXPECT_EQ(f.vendor_class, "PXEClient:Arch:00007:UNDI:003010");
  EXPECT_TRUE(f.pxe_client);
  EXPECT_TRUE(f.ipxe);
  EXPECT_EQ(f.user_classes, std::vector<std::string>{"iPXE"});
  EXPECT_TRUE(f.uuid);
}

TEST(DhcpCapture, OvmfOwnPxeDiscover) {
  auto p = capture("ovmf_pxe_discover.bin");
  auto f = facts_of(p);
  EXPECT_EQ(f.arch, 7);
  EXPECT_EQ(f.vendor_class, "PXEClient:Arch:00007:UNDI:003000");
  EXPECT_TRUE(f.pxe_client);
  EXPECT_FALSE(f.ipxe);
  EXPECT_TRUE(f.user_classes.empty());
  EXPECT_TRUE(f.uuid);
  // FIRMWARE.md 27: OVMF asks for option 67 (and 43, 66).
  const auto* asked = p.options.find(option::kParameterList);
  ASSERT_NE(asked, nullptr);
  EXPECT_NE(std::ranges::find(*asked, option::kBootfile), asked->end());
}

}  // namespace
// lookup asks as firmware does: what facts_of reads back is what it was told.
TEST(DhcpFacts, RequestOfAFirmwareReadsBackAsThatFirmware) {
  Firmware fw{.mac = *core::Mac::parse("52:54:00:aa:bb:cc"),
              .arch = 7,
              .uuid = core::Uuid::parse("4c4c4544-0042-3510-8056-b4c04f4e4d32"),
              .boot_item = 0x8001,
              .address = *core::Ipv4::parse("10.77.0.23")};
  auto f = facts_of(request_of(fw));
  EXPECT_EQ(f.mac, fw.mac);
  EXPECT_EQ(f.arch, 7);
  EXPECT_EQ(f.uuid, fw.uuid);
  EXPECT_EQ(f.address, fw.address);
  EXPECT_TRUE(f.pxe_client);
  EXPECT_FALSE(f.http_client || f.ipxe);
  EXPECT_EQ(f.boot_item, 0x8001);

  fw.arch = 16;
  fw.uuid.reset();
  fw.http_client = true;
  fw.ipxe = true;
  fw.boot_item.reset();
  f = facts_of(request_of(fw));
  EXPECT_TRUE(f.http_client);
  EXPECT_FALSE(f.pxe_client);
  EXPECT_TRUE(f.ipxe);
  EXPECT_FALSE(f.uuid || f.boot_item);
  EXPECT_EQ(f.vendor_class, "HTTPClient:Arch:00016:UNDI:003016");
}

}  // namespace pxed::dhcp
