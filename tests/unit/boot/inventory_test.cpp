// Which profile a machine gets and why: machine, then the first matching
// group, then [boot] default; values expanded per machine.
#include "boot/inventory.hpp"

#include <gtest/gtest.h>

#include "boot/inventory_support.hpp"

namespace pxed::boot {
namespace {

using namespace testing;

const Context kContext{*core::Ipv4::parse("10.77.0.1"), "http://10.77.0.1"};

TEST(InventoryMatch, AMachineRuleWinsOverItsGroup) {
  auto cfg = rooms();
  auto f = facts_of(kDb03);
  f.address = *core::Ipv4::parse("192.168.99.23");  // in the office subnet too
  auto m = match(f, cfg);
  EXPECT_EQ(m.profile, "centos7-ks");
  EXPECT_EQ(m.rule, "machine db-03 (pxed.toml:22)");
  EXPECT_NE(m.group, nullptr);  // still known: its vars sit between profile and machine
  EXPECT_FALSE(m.by_default);
}

TEST(InventoryMatch, AGroupMatchesBySubnetOfTheAddressThenTheRelayThenOurSegment) {
  auto cfg = rooms();
  auto f = facts_of(kOffice);
  f.address = *core::Ipv4::parse("192.168.99.40");
  EXPECT_EQ(match(f, cfg).rule, "group office (pxed.toml:18)");
  f.address = {};
  f.relay = *core::Ipv4::parse("192.168.99.1");
  EXPECT_EQ(match(f, cfg).profile, "office");
  f.relay = {};
  f.segment = *core::Ipv4::parse("192.168.99.1");
  EXPECT_EQ(match(f, cfg).profile, "office");
  f.segment = *core::Ipv4::parse("10.77.0.1");
  EXPECT_EQ(match(f, cfg).profile, "local");
}

TEST(InventoryMatch, FirstMatchingGroupInFileOrder) {
  auto cfg = rooms();
  config::Group efi;
  efi.line = 30;
  efi.match.arch = {"efi64"};
  efi.profile = "centos7-ks";
  cfg.inventory.groups.push_back(efi);
  auto f = facts_of(kStranger, 7);
  EXPECT_EQ(match(f, cfg).rule, "group (pxed.toml:30)");
  f.address = *core::Ipv4::parse("192.168.99.40");
  EXPECT_EQ(match(f, cfg).rule, "group office (pxed.toml:18)");
}

TEST(InventoryMatch, EveryKeyOfAGroupMustHoldAndAnyValueOfAList) {
  config::GroupMatch m;
  m.arch = {"bios", "efi64"};
  m.vendor_class = {"PXEClient:Arch:00007"};
  auto f = facts_of(kStranger, 7);
  EXPECT_FALSE(group_matches(m, f));
  f.vendor_class = "PXEClient:Arch:00007:UNDI:003016";
  EXPECT_TRUE(group_matches(m, f));
  m.uuid = {*core::Uuid::parse("00000000-0000-0000-0000-000000000001")};
  EXPECT_FALSE(group_matches(m, f));
  f.uuid = m.uuid[0];
  EXPECT_TRUE(group_matches(m, f));
  m.relay = {*core::Ipv4Network::parse("10.9.0.0/16")};
  EXPECT_FALSE(group_matches(m, f));  // not relayed
  f.relay = *core::Ipv4::parse("10.9.3.1");
  EXPECT_TRUE(group_matches(m, f));
  EXPECT_TRUE(group_matches(config::GroupMatch{}, f));  // no keys: everyone
}

TEST(InventoryMatch, AMachineWithoutAProfileTakesItsGroupsOrTheDefault) {
  auto cfg = rooms();
  cfg.inventory.machines[0].profile.clear();
  auto f = facts_of(kDb03);
  auto m = match(f, cfg);
  EXPECT_EQ(m.profile, "local");
  EXPECT_EQ(m.rule, "machine db-03 (pxed.toml:22), profile of [boot] default (pxed.toml:4)");
  EXPECT_FALSE(m.by_default);  // named in the inventory: a user's default file does not win
  f.address = *core::Ipv4::parse("192.168.99.23");
  EXPECT_EQ(match(f, cfg).rule, "machine db-03 (pxed.toml:22), profile of group office (pxed.toml:18)");
}

TEST(InventoryMatch, RulesNameTheFileEachWasWrittenIn) {
  auto cfg = rooms();
  cfg.inventory.source = "/etc/pxed/inventory.toml";  // [server] inventory
  cfg.inventory.machines[0].profile.clear();
  auto f = facts_of(kDb03);
  EXPECT_EQ(match(f, cfg).rule,
            "machine db-03 (inventory.toml:22), profile of [boot] default (pxed.toml:4)");
  f.address = *core::Ipv4::parse("192.168.99.23");
  EXPECT_EQ(match(f, cfg).rule,
            "machine db-03 (inventory.toml:22), profile of group office (inventory.toml:18)");
}

TEST(InventoryMatch, AMachineIsKnownByUuidWhenItsMacDiffers) {
  auto cfg = rooms();
  cfg.inventory.machines[0].uuid = core::Uuid::parse("4c4c4544-0000-0000-0000-000000000003");
  auto f = facts_of(kStranger);
  f.uuid = cfg.inventory.machines[0].uuid;
  EXPECT_EQ(match(f, cfg).profile, "centos7-ks");
}

TEST(InventoryMatch, NothingMatchesWithoutADefault) {
  auto cfg = rooms();
  cfg.boot.default_profile.clear();
  auto m = match(facts_of(kStranger), cfg);
  EXPECT_TRUE(m.profile.empty());
  cfg.boot.default_profile = "local";
  m = match(facts_of(kStranger), cfg);
  EXPECT_EQ(m.profile, "local");
  EXPECT_TRUE(m.by_default);
  EXPECT_EQ(m.declared, nullptr);  // built in
}

TEST(InventoryPlan, ImageEntriesAreLeftOutWhileNoSuchImageIsServed) {
  auto cfg = rooms();
  cfg.inventory.profiles[1].menu = {"iso:ubuntu-22.04", "centos7-ks", "local"};
  auto f = facts_of(kOffice);
  f.address = *core::Ipv4::parse("192.168.99.40");
  auto plan = plan_of(match(f, cfg), f, kContext, cfg);
  ASSERT_EQ(plan.entries.size(), 2u);
  EXPECT_EQ(plan.entries[0].name, "centos7-ks");
  EXPECT_EQ(plan.entries[plan.default_entry].name, "local");
  EXPECT_EQ(plan.comments.back(), "iso:ubuntu-22.04 left out: no image ubuntu-22.04 is served");
}

// What app::boot_images makes of three served images: a casper live image,
// memdisk for BIOS only, and a Windows image while wimboot is not in the tree.
Remembered served_images() {
  Remembered r;
  ImageProfile ubuntu{.name = "ubuntu-22.04", .label = "Ubuntu 22.04 (live)",
                      .kernel = "${http}/iso/ubuntu-22.04/casper/vmlinuz",
                      .initrd = {"${http}/iso/ubuntu-22.04/casper/initrd"},
                      .append = "ip=dhcp url=${http}/iso/ubuntu-22.04.iso", .unbootable = {},
                      .firmware = ImageProfile::Firmware::any, .rule = "casper", .files = {}, .memdisk = {}};
  ImageProfile dos{.name = "freedos", .label = "FreeDOS", .kernel = "${http}/memdisk",
                   .initrd = {"${http}/iso/freedos.iso"}, .append = "iso raw", .unbootable = {},
                   .firmware = ImageProfile::Firmware::bios, .rule = "memdisk", .files = {}, .memdisk = {}};
  ImageProfile windows{.name = "win11", .label = "win11", .kernel = {}, .initrd = {}, .append = {},
                       .unbootable = "wimboot is not in the tree: put wimboot at /srv/pxe/wimboot",
                       .firmware = ImageProfile::Firmware::any, .rule = "windows", .files = {}, .memdisk = {}};
  for (auto* image : {&ubuntu, &dos, &windows}) r.images["iso:" + image->name] = *image;
  return r;
}

TEST(InventoryPlan, AnImageProfileBootsItsRecipeWithOurAddressAndOtherwiseTheDisk) {
  auto cfg = rooms();
  cfg.inventory.machines[0].profile = "iso:ubuntu-22.04";
  const auto images = served_images();
  auto f = facts_of(kDb03, 7);
  auto m = match(f, cfg, &images);
  ASSERT_NE(m.image, nullptr);
  EXPECT_EQ(m.declared, nullptr);
  auto plan = plan_of(m, f, kContext, cfg, &images);
  ASSERT_EQ(plan.entries.size(), 1u);
  EXPECT_EQ(plan.entries[0].kind, BootEntry::Kind::linux);
  EXPECT_EQ(plan.entries[0].name, "iso:ubuntu-22.04");
  EXPECT_EQ(plan.entries[0].label, "Ubuntu 22.04 (live)");
  EXPECT_EQ(plan.entries[0].kernel, "http://10.77.0.1/iso/ubuntu-22.04/casper/vmlinuz");
  EXPECT_EQ(plan.entries[0].initrd, std::vector<std::string>{"http://10.77.0.1/iso/ubuntu-22.04/casper/initrd"});
  EXPECT_EQ(plan.entries[0].append, "ip=dhcp url=http://10.77.0.1/iso/ubuntu-22.04.iso");
  // Its kernel is the machine's kernel step.
  EXPECT_EQ(fetched("iso/ubuntu-22.04/casper/vmlinuz", f, cfg, kContext, &images), Fetched::kernel);
  EXPECT_EQ(fetched("iso/ubuntu-22.04/casper/initrd", f, cfg, kContext, &images), Fetched::initrd);

  // BIOS only, on UEFI; an image only wimboot boots; one not served: the disk, saying why.
  cfg.inventory.machines[0].profile = "iso:freedos";
  plan = plan_of(match(f, cfg, &images), f, kContext, cfg, &images);
  ASSERT_EQ(plan.entries.size(), 1u);
  EXPECT_EQ(plan.entries[0].kind, BootEntry::Kind::local);
  EXPECT_EQ(plan.comments.back(), "iso:freedos cannot boot here: it boots BIOS machines only; booting the local disk");
  auto bios = facts_of(kDb03, 0);
  EXPECT_EQ(plan_of(match(bios, cfg, &images), bios, kContext, cfg, &images).entries[0].kernel,
            "http://10.77.0.1/memdisk");
  cfg.inventory.machines[0].profile = "iso:win11";
  plan = plan_of(match(f, cfg, &images), f, kContext, cfg, &images);
  EXPECT_EQ(plan.entries[0].kind, BootEntry::Kind::local);
  EXPECT_NE(plan.comments.back().find("wimboot"), std::string::npos);
  cfg.inventory.machines[0].profile = "iso:gone";
  plan = plan_of(match(f, cfg, &images), f, kContext, cfg, &images);
  EXPECT_EQ(plan.entries[0].kind, BootEntry::Kind::local);
  EXPECT_EQ(plan.comments.back(), "iso:gone cannot boot here: no image gone is served; booting the local disk");
}

// A Windows image through wimboot: each firmware gets its own boot manager
// and BCD, both get boot.sdi and boot.wim, each under wimboot's name for it.
// A small image iPXE sanboots carries memdisk for pxelinux.
TEST(InventoryPlan, AWindowsImageBootsThroughWimbootWithItsFirmwaresFiles) {
  using F = ImageProfile::Firmware;
  auto cfg = rooms();
  auto images = served_images();
  ImageProfile win;
  win.name = "win10";
  win.label = "Windows 10 (Windows PE)";
  win.method = ImageProfile::Method::wimboot;
  win.rule = "wimboot";
  win.kernel = "${http}/wimboot";
  win.files = {{"${http}/iso/win10/bootmgr", "bootmgr", F::bios},
               {"${http}/iso/win10/efi/boot/bootx64.efi", "bootx64.efi", F::efi},
               {"${http}/iso/win10/boot/bcd", "BCD", F::bios},
               {"${http}/iso/win10/efi/microsoft/boot/bcd", "BCD", F::efi},
               {"${http}/iso/win10/boot/boot.sdi", "boot.sdi", F::any},
               {"${http}/iso/win10/sources/boot.wim", "boot.wim", F::any}};
  images.images["iso:win10"] = win;
  cfg.inventory.machines[0].profile = "iso:win10";

  auto bios = facts_of(kDb03, 0);
  auto plan = plan_of(match(bios, cfg, &images), bios, kContext, cfg, &images);
  ASSERT_EQ(plan.entries.size(), 1u);
  EXPECT_EQ(plan.entries[0].kind, BootEntry::Kind::wimboot);
  EXPECT_EQ(plan.entries[0].label, "Windows 10 (Windows PE)");
  EXPECT_EQ(plan.entries[0].kernel, "http://10.77.0.1/wimboot");
  EXPECT_EQ(plan.entries[0].initrd_names, (std::vector<std::string>{"bootmgr", "BCD", "boot.sdi", "boot.wim"}));
  EXPECT_EQ(plan.entries[0].initrd[1], "http://10.77.0.1/iso/win10/boot/bcd");
  EXPECT_EQ(fetched("wimboot", bios, cfg, kContext, &images), Fetched::kernel);
  EXPECT_EQ(fetched("iso/win10/sources/boot.wim", bios, cfg, kContext, &images), Fetched::initrd);

  auto uefi = facts_of(kDb03, 7);
  plan = plan_of(match(uefi, cfg, &images), uefi, kContext, cfg, &images);
  ASSERT_EQ(plan.entries.size(), 1u);
  EXPECT_EQ(plan.entries[0].initrd_names, (std::vector<std::string>{"bootx64.efi", "BCD", "boot.sdi", "boot.wim"}));
  EXPECT_EQ(plan.entries[0].initrd[1], "http://10.77.0.1/iso/win10/efi/microsoft/boot/bcd");

  ImageProfile small;
  small.name = "ipxe";
  small.label = "ipxe";
  small.method = ImageProfile::Method::sanboot;
  small.rule = "sanboot";
  small.kernel = "${http}/iso/ipxe.iso";
  small.memdisk = "${http}/memdisk";
  images.images["iso:ipxe"] = small;
  cfg.inventory.machines[0].profile = "iso:ipxe";
  plan = plan_of(match(bios, cfg, &images), bios, kContext, cfg, &images);
  ASSERT_EQ(plan.entries.size(), 1u);
  EXPECT_EQ(plan.entries[0].kind, BootEntry::Kind::sanboot);
  EXPECT_EQ(plan.entries[0].chain, "http://10.77.0.1/iso/ipxe.iso");
  EXPECT_EQ(plan.entries[0].memdisk, "http://10.77.0.1/memdisk");
  EXPECT_EQ(fetched("memdisk", bios, cfg, kContext, &images), Fetched::kernel);
  EXPECT_EQ(fetched("iso/ipxe.iso", bios, cfg, kContext, &images), Fetched::initrd);
}

TEST(InventoryPlan, AMenuOfEveryImageListsThoseThatBootThisMachineByName) {
  auto cfg = rooms();
  cfg.inventory.profiles[1].menu = {"iso:*", "local"};
  cfg.inventory.profiles[1].menu_default = "iso:ubuntu-22.04";
  const auto images = served_images();
  auto f = facts_of(kOffice, 0);
  f.address = *core::Ipv4::parse("192.168.99.40");
  auto names = [](const RenderPlan& plan) {
    std::vector<std::string> out;
    for (const auto& e : plan.entries) out.push_back(e.name);
    return out;
  };
  auto plan = plan_of(match(f, cfg, &images), f, kContext, cfg, &images);
  EXPECT_EQ(names(plan), (std::vector<std::string>{"iso:freedos", "iso:ubuntu-22.04", "local"}));
  EXPECT_EQ(plan.default_entry, 1u);
  EXPECT_NE(plan.comments.back().find("iso:win11 left out: wimboot is not in the tree: put wimboot at /srv/pxe/wimboot"), std::string::npos);
  f.arch = 7;
  plan = plan_of(match(f, cfg, &images), f, kContext, cfg, &images);
  EXPECT_EQ(names(plan), (std::vector<std::string>{"iso:ubuntu-22.04", "local"}));
  EXPECT_EQ(plan.default_entry, 0u);
  // Images only, none served: the disk rather than an empty menu.
  cfg.inventory.profiles[1].menu = {"iso:*"};
  plan = plan_of(match(f, cfg), f, kContext, cfg);
  EXPECT_EQ(names(plan), std::vector<std::string>{"local"});
}

// A [[profile]] with image = "..." starts from the image's entry and adds
// its own label and arguments, before casper's "---".
TEST(InventoryPlan, AnImageProfileAddsItsArgumentsToTheRecipes) {
  auto cfg = rooms();
  config::Profile kiosk;
  kiosk.name = "kiosk";
  kiosk.line = 30;
  kiosk.kind = config::ProfileKind::image;
  kiosk.image = "ubuntu-22.04";
  kiosk.label = "Kiosk for ${name}";
  kiosk.append = "console=ttyS0 host=${name}";
  cfg.inventory.profiles.push_back(kiosk);
  cfg.inventory.machines[0].profile = "kiosk";
  auto images = served_images();
  images.images["iso:ubuntu-22.04"].append += " ---";
  auto f = facts_of(kDb03, 0);
  auto m = match(f, cfg, &images);
  ASSERT_NE(m.image, nullptr);
  auto plan = plan_of(m, f, kContext, cfg, &images);
  ASSERT_EQ(plan.entries.size(), 1u);
  EXPECT_EQ(plan.entries[0].name, "kiosk");
  EXPECT_EQ(plan.entries[0].label, "Kiosk for db-03");
  EXPECT_EQ(plan.entries[0].append, "ip=dhcp url=http://10.77.0.1/iso/ubuntu-22.04.iso console=ttyS0 host=db-03 ---");
  EXPECT_EQ(fetched("iso/ubuntu-22.04/casper/vmlinuz", f, cfg, kContext, &images), Fetched::kernel);
  // In a menu too; gone with its image.
  cfg.inventory.profiles[1].menu = {"kiosk", "local"};
  auto office = facts_of(kOffice, 0);
  office.address = *core::Ipv4::parse("192.168.99.40");
  plan = plan_of(match(office, cfg, &images), office, kContext, cfg, &images);
  ASSERT_EQ(plan.entries.size(), 2u);
  EXPECT_EQ(plan.entries[0].append, "ip=dhcp url=http://10.77.0.1/iso/ubuntu-22.04.iso console=ttyS0 host= ---");
  images.images.erase("iso:ubuntu-22.04");
  plan = plan_of(match(office, cfg, &images), office, kContext, cfg, &images);
  ASSERT_EQ(plan.entries.size(), 1u);
  EXPECT_EQ(plan.comments.back(), "kiosk left out: no image ubuntu-22.04 is served");
}

// An image's profile may name an answer file: the installer's argument for
// it comes with the profile's own, before casper's "---".
TEST(InventoryPlan, AnImageProfileWithAnAnswerFileTellsItsInstallerWhere) {
  auto cfg = rooms();
  config::Profile auto_install;
  auto_install.name = "ubuntu-auto";
  auto_install.line = 30;
  auto_install.kind = config::ProfileKind::image;
  auto_install.image = "ubuntu-22.04";
  auto_install.answers = {config::AnswerTemplate{.name = "user-data", .path = "/t/user-data", .text = "", .line = 31}};
  auto_install.installer = config::Installer::subiquity;
  cfg.inventory.profiles.push_back(auto_install);
  cfg.inventory.machines[0].profile = "ubuntu-auto";
  auto images = served_images();
  images.images["iso:ubuntu-22.04"].append += " ---";
  auto f = facts_of(kDb03, 0);
  auto plan = plan_of(match(f, cfg, &images), f, kContext, cfg, &images);
  ASSERT_EQ(plan.entries.size(), 1u);
  EXPECT_EQ(plan.entries[0].append,
            "ip=dhcp url=http://10.77.0.1/iso/ubuntu-22.04.iso autoinstall "
            "ds=nocloud-net;s=http://10.77.0.1/pxed/v1/answers/88-99-aa-bb-cc-dd/ ---");
}

TEST(InventoryAssign, AnImageMayBeAssignedByNameButNotEveryImage) {
  auto cfg = rooms();
  EXPECT_TRUE(assignable("iso:ubuntu-22.04", cfg));
  EXPECT_FALSE(assignable("iso:*", cfg));
  EXPECT_FALSE(assignable("iso:", cfg));
  EXPECT_FALSE(assignable("nope", cfg));
}

TEST(InventoryOnce, BootsItsProfileUntilTheInstallIsDoneThenLocal) {
  auto cfg = rooms();
  cfg.inventory.machines[0].once = true;
  auto f = facts_of(kDb03);
  auto pending = match(f, cfg, nullptr);
  EXPECT_EQ(pending.profile, "centos7-ks");
  EXPECT_TRUE(pending.once);
  EXPECT_EQ(pending.rule, "machine db-03 (pxed.toml:22), once: install pending");
  Remembered installed{.installed = {{kDb03, 1'796'590'925}}, .assigned = {}, .hardware = {}, .images = {}};  // 2026-12-06 21:02:05 UTC
  auto done = match(f, cfg, &installed);
  EXPECT_EQ(done.profile, "local");
  EXPECT_EQ(done.declared, nullptr);
  EXPECT_EQ(done.once_profile, "centos7-ks");
  EXPECT_EQ(done.installed_at, 1'796'590'925);
  EXPECT_NE(done.rule.find("once: installed 2026-12-06 21:02:05 UTC -> local"), std::string::npos) << done.rule;
  // Not a once machine: an install state changes nothing.
  cfg.inventory.machines[0].once = false;
  EXPECT_EQ(match(f, cfg, &installed).profile, "centos7-ks");
}

// [boot] local_boot = "next-device": no boot offer for a machine the inventory boots locally.
TEST(InventoryDecide, ALocalMachineGetsNoOfferOnlyWhenLocalBootIsTheFirmwares) {
  auto cfg = rooms();
  cfg.boot.choice.bios = "lpxelinux.0";
  auto stranger = facts_of(kStranger);  // [boot] default = "local"
  EXPECT_EQ(decide(stranger, cfg, kContext).file, "lpxelinux.0");  // its loader boots the disk
  cfg.boot.local_by_firmware = true;
  auto plan = decide(stranger, cfg, kContext);
  EXPECT_TRUE(plan.none);
  EXPECT_NE(plan.reason.find("no boot offer"), std::string::npos) << plan.reason;
  EXPECT_NE(plan.reason.find("[boot] default (pxed.toml:4)"), std::string::npos) << plan.reason;
  // A machine with something to install, and a menu that offers the disk among others, still boot.
  EXPECT_EQ(decide(facts_of(kDb03), cfg, kContext).file, "lpxelinux.0");
  auto office = facts_of(kOffice);
  office.address = *core::Ipv4::parse("192.168.99.40");
  EXPECT_FALSE(decide(office, cfg, kContext).none);
  // A once machine whose install is done boots its disk: no offer either.
  cfg.inventory.machines[0].once = true;
  Remembered installed{.installed = {{kDb03, 1'796'590'925}}, .assigned = {}, .hardware = {}, .images = {}};
  EXPECT_TRUE(decide(facts_of(kDb03), cfg, kContext, &installed).none);
  // A declared profile with local = true is local too.
  config::Profile disk;
  disk.name = "disk";
  disk.kind = config::ProfileKind::local;
  cfg.inventory.profiles.push_back(disk);
  cfg.inventory.machines[0].once = false;
  cfg.inventory.machines[0].profile = "disk";
  EXPECT_TRUE(decide(facts_of(kDb03), cfg, kContext).none);
  // A menu choice on port 4011 is the machine's own: resolve answers it.
  stranger.boot_item = 0;
  EXPECT_EQ(decide(stranger, cfg, kContext).file, "lpxelinux.0");
}

TEST(InventoryFetched, TellsTheLoaderConfigKernelAndInitrdOfTheMachinesPlan) {
  auto cfg = rooms();
  cfg.boot.choice.bios = "bios/lpxelinux.0";
  cfg.inventory.profiles[0].kernel = "${http}/centos7/images/pxeboot/vmlinuz";
  auto f = facts_of(kDb03);
  EXPECT_EQ(fetched("bios/lpxelinux.0", f, cfg, kContext), Fetched::loader);
  EXPECT_EQ(fetched("bios/pxelinux.cfg/01-88-99-aa-bb-cc-dd", f, cfg, kContext), Fetched::config);
  EXPECT_EQ(fetched("grub/grub.cfg", f, cfg, kContext), Fetched::config);
  EXPECT_EQ(fetched("centos7/images/pxeboot/vmlinuz", f, cfg, kContext), Fetched::kernel);
  EXPECT_EQ(fetched("centos7/images/pxeboot/initrd.img", f, cfg, kContext), Fetched::initrd);
  EXPECT_EQ(fetched("centos7/Packages/bash.rpm", f, cfg, kContext), Fetched::other);
  // A menu's entries count too.
  auto office = facts_of(kOffice);
  office.address = *core::Ipv4::parse("192.168.99.40");
  EXPECT_EQ(fetched("centos7/images/pxeboot/initrd.img", office, cfg, kContext), Fetched::initrd);
}

TEST(InventoryValues, MachineVarsWinOverGroupOverProfileAndBuiltInsOverAll) {
  auto cfg = rooms();
  auto f = facts_of(kDb03);
  f.address = *core::Ipv4::parse("192.168.99.23");
  auto values = values_of(match(f, cfg), f, kContext);
  EXPECT_EQ(values.at("disk"), "sda");
  EXPECT_EQ(values.at("name"), "db-03");
  EXPECT_EQ(values.at("mac"), "88:99:aa:bb:cc:dd");
  EXPECT_EQ(values.at("ip"), "192.168.99.23");
  EXPECT_EQ(values.at("arch"), "bios");
  EXPECT_EQ(values.at("done_url"), "http://10.77.0.1/pxed/v1/done");
  cfg.inventory.machines[0].vars.clear();
  EXPECT_EQ(values_of(match(f, cfg), f, kContext).at("disk"), "sdb");
}

TEST(InventoryExpand, ReplacesKnownNamesAndKeepsOthersAsWritten) {
  config::Vars v{{"http", "http://10.77.0.1"}, {"mac", "52:54:00:00:00:42"}};
  EXPECT_EQ(expand("${http}/ks?m=${mac}", v), "http://10.77.0.1/ks?m=52:54:00:00:00:42");
  EXPECT_EQ(expand("chain ${net0/mac} ${unknown}", v), "chain ${net0/mac} ${unknown}");
  EXPECT_EQ(expand("a ${mac", v), "a ${mac");
  EXPECT_EQ(expand("$${mac}}", v), "$52:54:00:00:00:42}");
  EXPECT_EQ(expand("", v), "");
}

TEST(InventoryPlan, ALinuxProfileIsOneEntryWithItsValuesExpanded) {
  auto cfg = rooms();
  auto f = facts_of(kDb03);
  auto plan = plan_of(match(f, cfg), f, kContext, cfg);
  ASSERT_EQ(plan.entries.size(), 1u);
  const auto& e = plan.entries[0];
  EXPECT_EQ(e.kind, BootEntry::Kind::linux);
  EXPECT_EQ(e.kernel, "/centos7/images/pxeboot/vmlinuz");
  EXPECT_EQ(e.append, "inst.repo=http://10.77.0.1/centos7 ip=dhcp hostname=db-03 disk=sda");
  EXPECT_TRUE(plan.bios);
  ASSERT_EQ(plan.comments.size(), 1u);
  EXPECT_EQ(plan.comments[0], "for db-03 (bios): machine db-03 (pxed.toml:22) -> profile centos7-ks");
}

TEST(InventoryPlan, AMenuProfileListsItsItemsWithDefaultAndTimeout) {
  auto cfg = rooms();
  auto f = facts_of(kOffice, 7);
  f.address = *core::Ipv4::parse("192.168.99.40");
  auto plan = plan_of(match(f, cfg), f, kContext, cfg);
  ASSERT_EQ(plan.entries.size(), 2u);
  EXPECT_EQ(plan.entries[0].name, "centos7-ks");
  EXPECT_EQ(plan.entries[0].append, "inst.repo=http://10.77.0.1/centos7 ip=dhcp hostname= disk=sdb");
  EXPECT_EQ(plan.entries[1].kind, BootEntry::Kind::local);
  EXPECT_EQ(plan.default_entry, 1u);
  EXPECT_EQ(plan.timeout, std::chrono::seconds(10));
  EXPECT_FALSE(plan.bios);
}

}  // namespace
}  // namespace pxed::boot
