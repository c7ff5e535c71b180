#include "boot/sightings.hpp"

#include <gtest/gtest.h>

namespace pxed::boot {
namespace {

core::Mac mac(std::uint8_t last) { return core::Mac{{0x52, 0x54, 0x00, 0x00, 0x00, last}}; }
core::Ipv4 ip(std::uint8_t last) { return core::Ipv4{0x0a000000u | last}; }

Sighting seen(std::uint8_t m, std::uint8_t a, std::string how = "lease") {
  Sighting s;
  s.facts.mac = mac(m);
  s.facts.address = a == 0 ? core::Ipv4{} : ip(a);
  s.how = a == 0 ? "" : std::move(how);
  return s;
}

TEST(Sightings, FindsAMachineByAddressMacAndUuid) {
  Sightings table;
  auto s = seen(1, 7);
  s.facts.uuid = core::Uuid::parse("8e3f0000-0000-4000-8000-000000000001");
  table.record(s);
  ASSERT_NE(table.by_address(ip(7)), nullptr);
  EXPECT_EQ(table.by_address(ip(7))->facts.mac, mac(1));
  EXPECT_EQ(table.by_mac(mac(1))->how, "lease");
  EXPECT_EQ(table.by_uuid(*s.facts.uuid)->facts.address, ip(7));
  EXPECT_EQ(table.by_address(ip(8)), nullptr);
}

TEST(Sightings, ARequestWithoutAnAddressKeepsTheOneKnown) {
  Sightings table;
  table.record(seen(1, 7));
  auto discover = seen(1, 0);
  discover.facts.arch = 7;
  table.record(discover);
  const auto* s = table.by_mac(mac(1));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->facts.address, ip(7));
  EXPECT_EQ(s->how, "lease");
  EXPECT_EQ(s->facts.arch, 7);
  EXPECT_EQ(table.by_address(ip(7)), s);
}

TEST(Sightings, ALoadersOwnRequestKeepsWhatTheFirmwareSaid) {
  Sightings table;
  auto firmware = seen(1, 7);
  firmware.facts.arch = 7;
  firmware.facts.uuid = core::Uuid::parse("8e3f0000-0000-4000-8000-000000000001");
  table.record(firmware);
  table.record(seen(1, 7));  // syslinux.efi's DHCP: no option 93, no 97
  const auto* s = table.by_mac(mac(1));
  EXPECT_EQ(s->facts.arch, 7);
  EXPECT_EQ(s->facts.uuid, firmware.facts.uuid);
  EXPECT_EQ(table.by_uuid(*firmware.facts.uuid), s);
}

TEST(Sightings, AnAddressBelongsToItsNewestHolder) {
  Sightings table;
  table.record(seen(1, 7));
  table.record(seen(2, 7));
  EXPECT_EQ(table.by_address(ip(7))->facts.mac, mac(2));
  table.record(seen(1, 9));  // the first machine moved on: the address stays with the second
  EXPECT_EQ(table.by_address(ip(7))->facts.mac, mac(2));
  EXPECT_EQ(table.by_address(ip(9))->facts.mac, mac(1));
}

TEST(Sightings, ForgettingAnAddressOnlyTouchesItsHolder) {
  Sightings table;
  table.record(seen(1, 7));
  table.forget_address(ip(7), mac(2));
  EXPECT_NE(table.by_address(ip(7)), nullptr);
  table.forget_address(ip(7), mac(1));
  EXPECT_EQ(table.by_address(ip(7)), nullptr);
  EXPECT_NE(table.by_mac(mac(1)), nullptr);
}

TEST(Sightings, TheOldestGoFirstPastTheCapacity) {
  Sightings table(2);
  table.record(seen(1, 1));
  table.record(seen(2, 2));
  table.record(seen(1, 1));  // seen again: now the newest
  table.record(seen(3, 3));
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.by_mac(mac(2)), nullptr);
  EXPECT_EQ(table.by_address(ip(2)), nullptr);
  EXPECT_NE(table.by_mac(mac(1)), nullptr);
  EXPECT_NE(table.by_address(ip(3)), nullptr);
}

}  // namespace
}  // namespace pxed::boot
