// The inventory as written: all three rooms of INVENTORY.md, then [[group]],
// [[machine]] and [boot] default table by table. Every problem names file,
// line and key, and one run shows them all.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config/scratch.hpp"

namespace pxed::config {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The three rooms of INVENTORY.md in one file; Scratch's [files] is lines 1-2.
constexpr std::string_view kThreeRooms = R"toml([boot]
bios    = "lpxelinux.0"
efi64   = "shimx64.efi"
default = "local"

# The machine room: each server by MAC, each with its own install.
[[profile]]
name   = "centos7-ks"
label  = "Install CentOS 7 (kickstart)"
kernel = "/centos7/images/pxeboot/vmlinuz"
initrd = ["/centos7/images/pxeboot/initrd.img"]
append = "inst.repo=${http}/centos7 inst.ks=${http}/ks/${name}.cfg ip=dhcp"
vars   = { disk = "sda" }

[[profile]]
name   = "debian12"
kernel = "${http}/debian/linux"
initrd = "${http}/debian/initrd.gz"
append = "auto=true url=${http}/preseed/${role}.cfg"

[[profile]]
name  = "memtest"
chain = "memtest86+x64.efi"

[[profile]]
name  = "disk"
label = "Boot from disk"
local = true

# The office cluster: a menu, local after 10 s.
[[profile]]
name    = "office"
menu    = ["iso:ubuntu-22.04", "memtest", "disk", "local"]
default = "local"
timeout = "10s"

[[group]]
name    = "office"
match   = { subnet = "192.168.99.0/24", arch = ["bios", "efi64"] }
profile = "office"

[[group]]
match   = { mac = ["52:54:00:*", "AA-BB-CC-*"], relay = "10.0.0.0/8" }
profile = "debian12"
vars    = { role = "web" }

[[machine]]
mac     = "52:54:00:12:34:56"
name    = "db-01"
profile = "centos7-ks"

[[machine]]
uuid    = "4C4C4544-0042-3510-8052-B4C04F4D4E31"
name    = "db-02"
profile = "centos7-ks"
vars    = { disk = "nvme0n1" }

# Reinstall day: db-03 installs once, then boots its own disk.
[[machine]]
mac     = "88:99:aa:bb:cc:dd"
name    = "db-03"
profile = "centos7-ks"
once    = true
vars    = { disk = "sda", role = "db" }

[[machine]]
mac = "52:54:00:00:00:01"
)toml";

TEST(InventoryConfig, AllThreeRoomsOfTheInventoryAreRead) {
  Scratch s;
  auto cfg = s.parse_with_root(std::string(kThreeRooms));
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_EQ(cfg->boot.default_profile, "local");
  EXPECT_EQ(cfg->boot.default_line, 6u);

  const auto& inventory = cfg->inventory;
  ASSERT_EQ(inventory.profiles.size(), 5u);
  const Profile& ks = inventory.profiles[0];
  EXPECT_EQ(ks.name, "centos7-ks");
  EXPECT_EQ(ks.line, 9u);
  EXPECT_EQ(ks.kind, ProfileKind::linux);
  EXPECT_EQ(ks.label, "Install CentOS 7 (kickstart)");
  EXPECT_EQ(ks.kernel, "/centos7/images/pxeboot/vmlinuz");
  EXPECT_THAT(ks.initrd, ElementsAre("/centos7/images/pxeboot/initrd.img"));
  EXPECT_EQ(ks.append, "inst.repo=${http}/centos7 inst.ks=${http}/ks/${name}.cfg ip=dhcp");
  EXPECT_EQ(ks.vars, (Vars{{"disk", "sda"}}));

  const Profile& debian = inventory.profiles[1];
  EXPECT_EQ(debian.line, 17u);
  EXPECT_EQ(debian.kernel, "${http}/debian/linux");
  EXPECT_THAT(debian.initrd, ElementsAre("${http}/debian/initrd.gz"));

  EXPECT_EQ(inventory.profiles[2].kind, ProfileKind::chain);
  EXPECT_EQ(inventory.profiles[2].chain, "memtest86+x64.efi");
  EXPECT_EQ(inventory.profiles[3].kind, ProfileKind::local);
  EXPECT_EQ(inventory.profiles[3].label, "Boot from disk");

  const Profile& office = inventory.profiles[4];
  EXPECT_EQ(office.line, 33u);
  EXPECT_EQ(office.kind, ProfileKind::menu);
  EXPECT_THAT(office.menu, ElementsAre("iso:ubuntu-22.04", "memtest", "disk", "local"));
  EXPECT_EQ(office.menu_default, "local");
  EXPECT_EQ(office.timeout, 10s);

  ASSERT_EQ(inventory.groups.size(), 2u);
  const Group& room = inventory.groups[0];
  EXPECT_EQ(room.name, "office");
  EXPECT_EQ(room.line, 39u);
  EXPECT_EQ(room.profile, "office");
  EXPECT_THAT(room.match.subnet, ElementsAre(*core::Ipv4Network::parse("192.168.99.0/24")));
  EXPECT_THAT(room.match.arch, ElementsAre("bios", "efi64"));
  EXPECT_THAT(room.match.mac, IsEmpty());
  const Group& lab = inventory.groups[1];
  EXPECT_EQ(lab.name, "");
  EXPECT_EQ(lab.line, 44u);
  ASSERT_EQ(lab.match.mac.size(), 2u);
  EXPECT_EQ(lab.match.mac[0].octets, 3);
  EXPECT_EQ(lab.match.mac[0].text, "52:54:00:*");
  EXPECT_THAT(lab.match.relay, ElementsAre(*core::Ipv4Network::parse("10.0.0.0/8")));
  EXPECT_EQ(lab.vars, (Vars{{"role", "web"}}));

  ASSERT_EQ(inventory.machines.size(), 4u);
  const Machine& db01 = inventory.machines[0];
  EXPECT_EQ(db01.mac, core::Mac::parse("52:54:00:12:34:56"));
  EXPECT_FALSE(db01.uuid);
  EXPECT_EQ(db01.name, "db-01");
  EXPECT_EQ(db01.line, 49u);
  EXPECT_FALSE(db01.once);
  const Machine& db02 = inventory.machines[1];
  EXPECT_FALSE(db02.mac);
  ASSERT_TRUE(db02.uuid);
  EXPECT_EQ(db02.uuid->to_string(), "4c4c4544-0042-3510-8052-b4c04f4d4e31");
  const Machine& db03 = inventory.machines[2];
  EXPECT_EQ(db03.line, 61u);
  EXPECT_TRUE(db03.once);
  EXPECT_EQ(db03.vars, (Vars{{"disk", "sda"}, {"role", "db"}}));
  const Machine& bare = inventory.machines[3];
  EXPECT_EQ(bare.name, "");
  EXPECT_EQ(bare.profile, "") << "empty: its group's, or the default";
}

TEST(InventoryConfig, AFileWithoutAnInventoryHasAnEmptyOne) {
  Scratch s;
  auto cfg = s.parse_with_root("");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_THAT(cfg->inventory.profiles, IsEmpty());
  EXPECT_THAT(cfg->inventory.groups, IsEmpty());
  EXPECT_THAT(cfg->inventory.machines, IsEmpty());
  EXPECT_EQ(cfg->boot.default_profile, "");
  EXPECT_EQ(cfg->boot.default_line, 0u);
}

TEST(InventoryConfig, AMachineIsKnownByMacOrUuidAndOnlyOnce) {
  Scratch s;
  EXPECT_THAT(s.problems(R"([[machine]]
mac = "52:54:00:12:34:56"
name = "db-01"
[[machine]]
uuid = "4c4c4544-0042-3510-8052-b4c04f4d4e31"
[[machine]]
name = "nobody"
once = true
[[machine]]
mac = "52-54-00-12-34-56"
name = "db-02"
[[machine]]
mac = "52:54:00:00:00:02"
uuid = "4C4C4544-0042-3510-8052-B4C04F4D4E31"
[[machine]]
mac = "52:54:00:00:00:03"
name = "db-01"
)"),
              ElementsAre("8: machine: needs mac or uuid (or both) to know the machine by, like "
                          "mac = \"52:54:00:12:34:56\"",
                          "12: machine.mac: 52:54:00:12:34:56 is already machine db-01 at "
                          "pxed.toml:3",
                          "16: machine.uuid: 4c4c4544-0042-3510-8052-b4c04f4d4e31 is already the "
                          "machine at pxed.toml:6",
                          "19: machine.name: \"db-01\" is already the machine at pxed.toml:3"));
}

TEST(InventoryConfig, MachineKeysAreChecked) {
  Scratch s;
  EXPECT_THAT(s.problems(R"([[machine]]
mac = "52:54:00:12:34"
uuid = "not-a-uuid"
name = "db 01"
profile = ""
once = "yes"
role = "db"
)"),
              ElementsAre("4: machine.mac: must be a MAC address such as \"52:54:00:12:34:56\", "
                          "got \"52:54:00:12:34\"",
                          "5: machine.uuid: must be a UUID such as "
                          "\"4c4c4544-0042-3510-8052-b4c04f4d4e31\", got \"not-a-uuid\"",
                          "6: machine.name: \"db 01\" may hold only letters, digits and . _ - + "
                          "(it becomes an id in loader menus)",
                          "7: machine.profile: must name a profile, like \"centos7\" or \"local\"",
                          "8: machine.once: must be a boolean (true or false), got a string",
                          "9: machine.role: unknown key; known keys in [[machine]]: mac, uuid, "
                          "name, profile, once, vars"));
}

TEST(InventoryConfig, VarsAreStringsWithPlainNamesThatDoNotShadowBuiltIns) {
  Scratch s;
  EXPECT_THAT(s.problems(R"([[machine]]
mac = "52:54:00:12:34:56"
vars = { disk = "sda", "my-var" = "x", 2nd = "y", mac = "z", size = 8, note = "a\nb" }
[[group]]
profile = "local"
vars = "disk=sda"
)"),
              ElementsAre("5: machine.vars.2nd: \"2nd\" is not a variable name: letters, digits "
                          "and _, not starting with a digit",
                          "5: machine.vars.mac: ${mac} is built in (server, http, mac, ip, name, "
                          "uuid, arch, done_url; answer files also see answers_url, profile, group, "
                          "installer, serial, manufacturer, product); choose another name",
                          "5: machine.vars.my-var: \"my-var\" is not a variable name: letters, "
                          "digits and _, not starting with a digit",
                          "5: machine.vars.note: must not contain control characters: a line "
                          "break would end the loader's line",
                          "5: machine.vars.size: must be a string (vars are text: write \"8\", not "
                          "8), got an integer",
                          "8: group.vars: must be a table of strings, like vars = { disk = "
                          "\"sda\" }, got a string"));
}

TEST(InventoryConfig, AGroupNeedsAProfile) {
  Scratch s;
  EXPECT_THAT(s.problems("[[group]]\nname = \"lab\"\nmatch = { subnet = \"10.0.0.0/8\" }\n"),
              ElementsAre("3: group.profile: required: what the machines it matches boot, like "
                          "profile = \"office\""));
}

TEST(InventoryConfig, TheInventoryIsWrittenAsArraysOfTables) {
  Scratch s;
  EXPECT_THAT(s.problems("[profile]\nname = \"x\"\n[machine]\nmac = \"52:54:00:12:34:56\"\n"),
              ElementsAre("3: profile: must be an array of tables ([[profile]]), got a table",
                          "5: machine: must be an array of tables ([[machine]]), got a table"));
}

TEST(InventoryConfig, TheBootDefaultIsAProfileName) {
  Scratch s;
  EXPECT_THAT(s.problems("[boot]\ndefault = \"\"\n"),
              ElementsAre("4: boot.default: must name a profile, like \"centos7\" or \"local\""));
  EXPECT_THAT(s.problems("[boot]\ndefault = true\n"),
              ElementsAre("4: boot.default: must be a profile name such as \"centos7\" or "
                          "\"local\", got a boolean"));
}

}  // namespace
}  // namespace pxed::config
