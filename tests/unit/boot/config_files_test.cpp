// The names loaders ask for and what pxed generates at each, for whom.
#include "boot/config_files.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "boot/inventory_support.hpp"

namespace pxed::boot {
namespace {

using namespace testing;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const core::Ipv4 kServer = *core::Ipv4::parse("10.77.0.1");
const core::Ipv4 kDbAddress = *core::Ipv4::parse("10.77.0.23");

TEST(ConfigName, ReadsPxelinuxNamesUnderAnyDirectory) {
  auto n = parse_config_name("debian-installer/amd64/pxelinux.cfg/01-88-99-aa-bb-cc-dd");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->loader, Loader::pxelinux);
  EXPECT_EQ(n->dir, "debian-installer/amd64/");
  EXPECT_EQ(n->key, ConfigName::Key::mac);
  EXPECT_EQ(n->mac, kDb03);
  n = parse_config_name("pxelinux.cfg/4c4c4544-0000-0000-0000-000000000003");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->key, ConfigName::Key::uuid);
  EXPECT_EQ(n->dir, "");
  n = parse_config_name("pxelinux.cfg/0A4D");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->key, ConfigName::Key::ip);
  EXPECT_EQ(n->hex, "0A4D");
  EXPECT_EQ(parse_config_name("pxelinux.cfg/default")->key, ConfigName::Key::fixed);
}

TEST(ConfigName, ReadsGrubAndIpxeNames) {
  auto n = parse_config_name("grub/grub.cfg");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->loader, Loader::grub);
  EXPECT_EQ(n->dir, "grub/");
  EXPECT_EQ(parse_config_name("grub.cfg-01-88-99-aa-bb-cc-dd")->key, ConfigName::Key::mac);
  EXPECT_EQ(parse_config_name("grub.cfg-0A4D0017")->key, ConfigName::Key::ip);
  EXPECT_EQ(parse_config_name("boot.ipxe")->loader, Loader::ipxe);
  EXPECT_EQ(parse_config_name("efi64/autoexec.ipxe")->dir, "efi64/");
}

TEST(ConfigName, OtherNamesAreNotGenerated) {
  for (auto rel : {"pxelinux.cfg/0a4d", "pxelinux.cfg/123456789", "pxelinux.cfg/menu.c32", "xpxelinux.cfg/default",
                   "grub.cfg-", "grub.cfg-zz", "grub.cfg.bak", "lpxelinux.0", "boot.ipxe.bak", "pxelinux.cfg"}) {
    EXPECT_FALSE(parse_config_name(rel)) << rel;
  }
}

TEST(AskedNames, PxelinuxOrderIsUuidMacHexShortenedThenDefault) {
  auto uuid = core::Uuid::parse("4c4c4544-0000-0000-0000-000000000003");
  auto names = asked_names(Loader::pxelinux, "", kDb03, uuid, *core::Ipv4::parse("192.168.2.91"));
  EXPECT_THAT(names, ElementsAre("pxelinux.cfg/4c4c4544-0000-0000-0000-000000000003",
                                 "pxelinux.cfg/01-88-99-aa-bb-cc-dd", "pxelinux.cfg/C0A8025B",
                                 "pxelinux.cfg/C0A8025", "pxelinux.cfg/C0A802", "pxelinux.cfg/C0A80",
                                 "pxelinux.cfg/C0A8", "pxelinux.cfg/C0A", "pxelinux.cfg/C0", "pxelinux.cfg/C",
                                 "pxelinux.cfg/default"));
}

TEST(AskedNames, GrubOrderIsMacHexShortenedThenGrubCfg) {
  auto names = asked_names(Loader::grub, "grub/", kDb03, std::nullopt, *core::Ipv4::parse("10.0.0.1"));
  ASSERT_EQ(names.size(), 10u);
  EXPECT_EQ(names.front(), "grub/grub.cfg-01-88-99-aa-bb-cc-dd");
  EXPECT_EQ(names[1], "grub/grub.cfg-0A000001");
  EXPECT_EQ(names.back(), "grub/grub.cfg");
}

class ConfigFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    cfg_ = rooms();
    Sighting db;
    db.facts = facts_of(kDb03);
    db.facts.address = kDbAddress;
    db.facts.uuid = core::Uuid::parse("4c4c4544-0000-0000-0000-000000000003");
    db.how = "lease";
    sightings_.record(db);
  }
  std::optional<ConfigFile> ask(std::string_view rel, core::Ipv4 from, std::string query = "") const {
    return config_file(rel, Asker{from, kServer, std::move(query), std::nullopt}, cfg_, sightings_, &remembered_);
  }

  config::Config cfg_;
  Sightings sightings_;
  Remembered remembered_;
};

TEST_F(ConfigFiles, TheFirstNameAKnownMachineAsksGetsItsPlan) {
  auto f = ask("pxelinux.cfg/4c4c4544-0000-0000-0000-000000000003", kDbAddress);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->why, "for db-03 (by UUID): machine db-03 (pxed.toml:22) -> profile centos7-ks");
  EXPECT_THAT(f->content, HasSubstr("inst.repo=http://10.77.0.1/centos7"));
  // The user's own files for this machine, later in pxelinux's order, win; not their default.
  ASSERT_FALSE(f->yield_to.empty());
  EXPECT_EQ(f->yield_to.front(), "pxelinux.cfg/01-88-99-aa-bb-cc-dd");
  EXPECT_EQ(f->yield_to.back(), "pxelinux.cfg/0");
}

TEST_F(ConfigFiles, GrubsFixedNameIsTiedToTheMachineByItsAddress) {
  auto f = ask("grub/grub.cfg", kDbAddress);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->loader, Loader::grub);
  EXPECT_THAT(f->why, HasSubstr("(by address, lease)"));
  EXPECT_TRUE(f->yield_to.empty());  // the last name GRUB asks
}

TEST_F(ConfigFiles, AMacInTheNameNeedsNoSighting) {
  auto f = ask("pxelinux.cfg/01-52-54-00-00-00-42", *core::Ipv4::parse("192.168.99.40"));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->match.profile, "office");  // its address (the request's source) is in the office subnet
  EXPECT_THAT(f->why, HasSubstr("by name"));
}

TEST_F(ConfigFiles, IpxeTellsWhoItIsInTheQuery) {
  auto f = ask("boot.ipxe", *core::Ipv4::parse("10.77.0.99"), "mac=88%3a99%3aaa%3abb%3acc%3add&uuid=");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->loader, Loader::ipxe);
  EXPECT_EQ(f->match.profile, "centos7-ks");
  EXPECT_THAT(f->why, HasSubstr("by iPXE's mac"));
}

TEST_F(ConfigFiles, AnUnknownMachineGetsTheDefaultPlanOnlyAtTheLastName) {
  const auto stranger = *core::Ipv4::parse("10.77.0.200");
  EXPECT_FALSE(ask("pxelinux.cfg/00000000-0000-0000-0000-000000000009", stranger));
  EXPECT_FALSE(ask("pxelinux.cfg/0A4D00C8", stranger));
  auto f = ask("pxelinux.cfg/default", stranger);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->match.profile, "local");
  EXPECT_THAT(f->why, HasSubstr("not known by address 10.77.0.200"));
}

TEST_F(ConfigFiles, AMachineOnlyTheDefaultNamesYieldsToTheUsersDefault) {
  auto f = ask("pxelinux.cfg/01-00-11-22-33-44-55", *core::Ipv4::parse("10.77.0.200"));
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->match.by_default);
  EXPECT_EQ(f->yield_to.back(), "pxelinux.cfg/default");
}

TEST_F(ConfigFiles, NothingIsGeneratedWhenNoRuleAndNoDefaultName) {
  cfg_.boot.default_profile.clear();
  EXPECT_FALSE(ask("pxelinux.cfg/default", *core::Ipv4::parse("10.77.0.200")));
  EXPECT_FALSE(ask("pxelinux.cfg/01-00-11-22-33-44-55", *core::Ipv4::parse("10.77.0.200")));
  EXPECT_TRUE(ask("pxelinux.cfg/default", kDbAddress));
}

TEST(Neighbours, ReadsCompleteEntriesOfTheArpTable) {
  constexpr std::string_view kTable =
      "IP address       HW type     Flags       HW address            Mask     Device\n"
      "10.77.0.23       0x1         0x2         88:99:aa:bb:cc:dd     *        eth1\n"
      "10.77.0.24       0x1         0x0         00:00:00:00:00:00     *        eth1\n"
      "10.77.0.25       0x1         0x0         52:54:00:00:00:25     *        eth1\n";
  EXPECT_EQ(neighbour_in(kTable, *core::Ipv4::parse("10.77.0.23")), kDb03);
  EXPECT_FALSE(neighbour_in(kTable, *core::Ipv4::parse("10.77.0.24")));  // incomplete
  EXPECT_FALSE(neighbour_in(kTable, *core::Ipv4::parse("10.77.0.25")));
  EXPECT_FALSE(neighbour_in(kTable, *core::Ipv4::parse("10.77.0.2")));   // no prefix match
  EXPECT_FALSE(neighbour_in("", *core::Ipv4::parse("10.77.0.23")));
}

TEST_F(ConfigFiles, TheNeighbourTableIsTheLastResort) {
  const auto address = *core::Ipv4::parse("10.77.0.88");
  auto f = config_file("grub/grub.cfg", Asker{address, kServer, "", kDb03}, cfg_, sightings_);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->match.profile, "centos7-ks");
  EXPECT_THAT(f->why, HasSubstr("by the neighbour table"));
}

// Every loader gets the image's entry, its URLs at the address the machine
// reached us at; until the image is served, the disk, saying why.
TEST_F(ConfigFiles, AnImageProfileBootsTheImageInEveryLoaderOnceItIsServed) {
  cfg_.inventory.machines[0].profile = "iso:ubuntu-22.04";
  auto waiting = ask("pxelinux.cfg/01-88-99-aa-bb-cc-dd", kDbAddress);
  ASSERT_TRUE(waiting);
  EXPECT_THAT(waiting->content, HasSubstr("no image ubuntu-22.04 is served; booting the local disk"));
  EXPECT_THAT(waiting->content, HasSubstr("LOCALBOOT 0"));
  remembered_.images["iso:ubuntu-22.04"] =
      ImageProfile{.name = "ubuntu-22.04", .label = "Ubuntu 22.04", .kernel = "${http}/iso/u/casper/vmlinuz",
                   .initrd = {"${http}/iso/u/casper/initrd"}, .append = "ip=dhcp url=${http}/iso/u.iso",
                   .unbootable = {}, .firmware = ImageProfile::Firmware::any, .rule = "casper",
                   .files = {}, .memdisk = {}};
  auto pxelinux = ask("pxelinux.cfg/01-88-99-aa-bb-cc-dd", kDbAddress);
  ASSERT_TRUE(pxelinux);
  EXPECT_THAT(pxelinux->content, HasSubstr("LINUX http://10.77.0.1/iso/u/casper/vmlinuz"));
  EXPECT_THAT(pxelinux->content, HasSubstr("url=http://10.77.0.1/iso/u.iso"));
  auto grub = ask("grub/grub.cfg", kDbAddress);
  ASSERT_TRUE(grub);
  EXPECT_THAT(grub->content, HasSubstr("/iso/u/casper/vmlinuz ip=dhcp url=http://10.77.0.1/iso/u.iso"));
  auto ipxe = ask("boot.ipxe", kDbAddress);
  ASSERT_TRUE(ipxe);
  EXPECT_THAT(ipxe->content, HasSubstr("kernel http://10.77.0.1/iso/u/casper/vmlinuz"));
}

TEST_F(ConfigFiles, AnEfiMachineGetsSyslinuxEfisFlavour) {
  Sighting efi;
  efi.facts = facts_of(kOffice, 7);
  efi.facts.address = *core::Ipv4::parse("192.168.99.40");
  efi.how = "proxy request";
  sightings_.record(efi);
  auto f = ask("pxelinux.cfg/default", efi.facts.address);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->loader, Loader::syslinux_efi);
  EXPECT_EQ(f->match.profile, "office");
}

}  // namespace
}  // namespace pxed::boot
