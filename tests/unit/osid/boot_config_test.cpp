#include "osid/boot_config.hpp"

#include <gtest/gtest.h>

#include <map>

namespace pxed::osid {
namespace {

using Files = std::map<std::string, std::string, std::less<>>;

IncludeReader reader_of(const Files& files) {
  return [&files](std::string_view path) -> std::optional<std::string> {
    const auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  };
}

// Shaped like a Debian installer image: isolinux.cfg -> menu.cfg -> txt.cfg, gtk.cfg.
TEST(ParseSyslinux, FollowsIncludesAndTakesMenuDefault) {
  const Files files{
      {"isolinux/menu.cfg",
       "menu hshift 4\nmenu width 70\nmenu title Installer boot menu\ninclude gtk.cfg\ninclude txt.cfg\n"},
      {"isolinux/txt.cfg",
       "label install\n\tmenu label ^Install\n\tkernel /install.amd/vmlinuz\n"
       "\tappend vga=788 initrd=/install.amd/initrd.gz --- quiet \n"},
      {"isolinux/gtk.cfg",
       "default installgui\nlabel installgui\n\tmenu label ^Graphical install\n\tmenu default\n"
       "\tkernel /install.amd/vmlinuz\n\tappend vga=788 initrd=/install.amd/gtk/initrd.gz --- quiet \n"},
  };
  const auto config = parse_syslinux(
      "# D-I config version 2.0\npath \ninclude menu.cfg\ndefault vesamenu.c32\nprompt 0\ntimeout 0\n",
      "isolinux/isolinux.cfg", reader_of(files));
  ASSERT_EQ(config.entries.size(), 2u);
  EXPECT_EQ(config.directory, "isolinux");
  EXPECT_EQ(config.entries[0].title, "Graphical install");
  EXPECT_EQ(config.entries[0].kernel, "/install.amd/vmlinuz");
  EXPECT_EQ(config.entries[0].initrd, std::vector<std::string>{"/install.amd/gtk/initrd.gz"});
  EXPECT_EQ(config.entries[0].args, "vga=788 --- quiet");
  EXPECT_EQ(config.default_entry, 0u);
  EXPECT_EQ(config.default_because, "MENU DEFAULT on label installgui");
  EXPECT_EQ(config.entries[1].title, "Install");
}

// Shaped like a Fedora live image's isolinux.cfg.
TEST(ParseSyslinux, SkipsModulesAndLocalBootAndHelpText) {
  const auto config = parse_syslinux(
      "default vesamenu.c32\ntimeout 600\nmenu title Fedora-Workstation-Live 38\n"
      "label linux\n  menu label ^Start Fedora-Workstation-Live 38\n  kernel vmlinuz\n"
      "  append initrd=initrd.img root=live:CDLABEL=Fedora-WS-Live-38-1-6 rd.live.image quiet rhgb\n"
      "label check\n  menu label Test this ^media & start Fedora-Workstation-Live 38\n  menu default\n"
      "  kernel vmlinuz\n  append initrd=initrd.img root=live:CDLABEL=Fedora-WS-Live-38-1-6 rd.live.image "
      "rd.live.check quiet\n  text help\n  kernel not-a-kernel\n  endtext\n"
      "label memtest\n  menu label Run a ^memory test.\n  kernel memtest.bin\n"
      "label local\n  menu label Boot from ^local drive\n  localboot 0xffff\n"
      "label hdt\n  com32 hdt.c32\n",
      "isolinux/isolinux.cfg", nullptr);
  ASSERT_EQ(config.entries.size(), 2u);
  EXPECT_EQ(config.default_entry, 1u);
  EXPECT_EQ(config.entries[1].kernel, "vmlinuz");
  EXPECT_EQ(config.entries[1].initrd, std::vector<std::string>{"initrd.img"});
  EXPECT_EQ(config.entries[1].args, "root=live:CDLABEL=Fedora-WS-Live-38-1-6 rd.live.image rd.live.check quiet");
  ASSERT_EQ(config.problems.size(), 3u);
  EXPECT_NE(config.problems[0].find("isolinux/isolinux.cfg:16: label memtest"), std::string::npos)
      << config.problems[0];
  EXPECT_NE(config.problems[1].find("localboot is not a Linux kernel"), std::string::npos);
  EXPECT_NE(config.problems[2].find("label hdt"), std::string::npos);
}

TEST(ParseSyslinux, DefaultAndOntimeoutNameLabels) {
  const auto by_default = parse_syslinux(
      "DEFAULT rescue\nLABEL live\nKERNEL /boot/vmlinuz\nINITRD /boot/initrd.gz,/boot/extra.gz\n"
      "LABEL rescue\nLINUX /boot/vmlinuz\nAPPEND rescue BOOT_IMAGE=x\n",
      "syslinux.cfg", nullptr);
  ASSERT_EQ(by_default.entries.size(), 2u);
  EXPECT_EQ(by_default.default_entry, 1u);
  EXPECT_EQ(by_default.default_because, "DEFAULT rescue");
  EXPECT_EQ(by_default.entries[0].initrd, (std::vector<std::string>{"/boot/initrd.gz", "/boot/extra.gz"}));
  EXPECT_EQ(by_default.entries[1].args, "rescue");
  EXPECT_EQ(by_default.directory, "");

  const auto by_timeout =
      parse_syslinux("ui menu.c32\nontimeout b\nlabel a\nkernel k1\nlabel b\nkernel k2\n", "syslinux.cfg", nullptr);
  EXPECT_EQ(by_timeout.default_entry, 1u);
  EXPECT_EQ(by_timeout.default_because, "ONTIMEOUT b");
}

TEST(ParseSyslinux, GlobalAppendAndTheOldDefaultKernelLine) {
  const auto global = parse_syslinux("append quiet\nlabel a\nkernel vmlinuz\nlabel b\nkernel vmlinuz\nappend x\n",
                                     "isolinux/isolinux.cfg", nullptr);
  ASSERT_EQ(global.entries.size(), 2u);
  EXPECT_EQ(global.entries[0].args, "quiet");
  EXPECT_EQ(global.entries[1].args, "x");
  EXPECT_EQ(global.default_because, "first Linux entry");

  const auto old = parse_syslinux("default vmlinuz initrd=core.gz loglevel=3\n", "boot/isolinux/isolinux.cfg", nullptr);
  ASSERT_EQ(old.entries.size(), 1u);
  EXPECT_EQ(old.entries[0].kernel, "vmlinuz");
  EXPECT_EQ(old.entries[0].initrd, std::vector<std::string>{"core.gz"});
  EXPECT_EQ(old.entries[0].args, "loglevel=3");
}

TEST(ParseSyslinux, IncludeProblemsAreReportedNotFatal) {
  const Files files{{"a.cfg", "include b.cfg\nlabel from-a\nkernel ka\n"},
                    {"b.cfg", "include c.cfg\ninclude a.cfg\n"},
                    {"c.cfg", "include d.cfg\n"},
                    {"d.cfg", "label too-deep\nkernel kd\n"}};
  const auto config = parse_syslinux("include a.cfg\ninclude missing.cfg\n", "isolinux.cfg", reader_of(files));
  ASSERT_EQ(config.entries.size(), 1u);
  EXPECT_EQ(config.entries[0].title, "from-a");
  ASSERT_EQ(config.problems.size(), 3u);
  EXPECT_NE(config.problems[0].find("c.cfg:1: INCLUDE d.cfg nests deeper than 3"), std::string::npos)
      << config.problems[0];
  EXPECT_NE(config.problems[1].find("INCLUDE a.cfg was read already"), std::string::npos);
  EXPECT_NE(config.problems[2].find("isolinux.cfg:2: INCLUDE missing.cfg: not in the image"), std::string::npos);
}

// Shaped like Ubuntu's live server grub.cfg.
TEST(ParseGrub, UbuntuGrubCfg) {
  const auto config = parse_grub(
      "set timeout=30\n\nloadfont unicode\n\nset menu_color_normal=white/black\n"
      "menuentry \"Try or Install Ubuntu Server\" {\n\tset gfxpayload=keep\n\tlinux\t/casper/vmlinuz  ---\n"
      "\tinitrd\t/casper/initrd\n}\nmenuentry \"Ubuntu Server with the HWE kernel\" {\n"
      "\tlinux\t/casper/hwe-vmlinuz  ---\n\tinitrd\t/casper/hwe-initrd\n}\ngrub_platform\n"
      "if [ \"$grub_platform\" = \"efi\" ]; then\nmenuentry 'Boot from next volume' {\n\texit 1\n}\n"
      "menuentry 'UEFI Firmware Settings' {\n\tfwsetup\n}\nelse\nmenuentry 'Test memory' {\n"
      "\tlinux16 /boot/memtest86+.bin\n}\nfi\n",
      "boot/grub/grub.cfg");
  ASSERT_EQ(config.entries.size(), 3u);
  EXPECT_EQ(config.entries[0].title, "Try or Install Ubuntu Server");
  EXPECT_EQ(config.entries[0].kernel, "/casper/vmlinuz");
  EXPECT_EQ(config.entries[0].args, "---");
  EXPECT_EQ(config.entries[0].initrd, std::vector<std::string>{"/casper/initrd"});
  EXPECT_EQ(config.entries[2].kernel, "/boot/memtest86+.bin");
  EXPECT_EQ(config.default_entry, 0u);
  ASSERT_EQ(config.problems.size(), 2u);
  EXPECT_EQ(config.problems[0], "boot/grub/grub.cfg:17: menuentry \"Boot from next volume\": no linux line");
}

// Shaped like a casper loopback.cfg: ${iso_path} stays for the rewrite to see.
TEST(ParseGrub, LoopbackCfgKeepsUnknownVariables) {
  const auto config = parse_grub(
      "menuentry \"Try Ubuntu without installing\" {\n\tset gfxpayload=keep\n"
      "\tlinux\t/casper/vmlinuz  file=/cdrom/preseed/ubuntu.seed boot=casper iso-scan/filename=${iso_path} "
      "quiet splash ---\n\tinitrd\t/casper/initrd.lz\n}\n",
      "boot/grub/loopback.cfg");
  ASSERT_EQ(config.entries.size(), 1u);
  EXPECT_EQ(config.entries[0].args,
            "file=/cdrom/preseed/ubuntu.seed boot=casper iso-scan/filename=${iso_path} quiet splash ---");
}

// Shaped like a Fedora live grub.cfg: options, a submenu, set default by number.
TEST(ParseGrub, DefaultCountsTopLevelItems) {
  const auto config = parse_grub(
      "set default=\"1\"\nfunction load_video {\n  insmod all_video\n}\n"
      "search --no-floppy --set=root -l 'Fedora-WS-Live-38-1-6'\n"
      "menuentry 'Start Fedora-Workstation-Live 38' --class fedora --class gnu-linux --class gnu --class os {\n"
      "\tlinuxefi /images/pxeboot/vmlinuz root=live:CDLABEL=Fedora-WS-Live-38-1-6  rd.live.image quiet rhgb\n"
      "\tinitrdefi /images/pxeboot/initrd.img\n}\n"
      "menuentry 'Test this media & start Fedora-Workstation-Live 38' --class fedora --id check {\n"
      "\tlinuxefi ($root)/images/pxeboot/vmlinuz root=live:CDLABEL=Fedora-WS-Live-38-1-6 rd.live.image "
      "rd.live.check quiet\n\tinitrdefi (${root})/images/pxeboot/initrd.img\n}\n"
      "submenu 'Troubleshooting -->' {\n\tmenuentry 'Start in basic graphics mode' {\n"
      "\t\tlinuxefi /images/pxeboot/vmlinuz nomodeset\n\t\tinitrdefi /images/pxeboot/initrd.img\n\t}\n}\n",
      "EFI/BOOT/grub.cfg");
  ASSERT_EQ(config.entries.size(), 3u);
  EXPECT_EQ(config.default_entry, 1u);
  EXPECT_EQ(config.default_because, "set default=1");
  EXPECT_EQ(config.entries[1].title, "Test this media & start Fedora-Workstation-Live 38");
  EXPECT_EQ(config.entries[1].kernel, "/images/pxeboot/vmlinuz");
  EXPECT_EQ(config.entries[1].initrd, std::vector<std::string>{"/images/pxeboot/initrd.img"});
  EXPECT_EQ(config.entries[2].args, "nomodeset");
  EXPECT_TRUE(config.problems.empty());

  const auto into_submenu = parse_grub(
      "set default=2\nmenuentry a {\n chainloader +1\n}\nmenuentry b {\n linux /k\n}\n"
      "submenu s {\n menuentry c {\n  linux /kc\n }\n}\n",
      "boot/grub/grub.cfg");
  ASSERT_EQ(into_submenu.entries.size(), 2u);
  EXPECT_EQ(into_submenu.default_entry, 1u);
}

TEST(ParseGrub, SetVariablesQuotesAndDefaultByTitle) {
  const auto config = parse_grub(
      "set flavor=lts\nset default='Alpine (serial)'\n"
      "menuentry \"Alpine\" {\n  linux /boot/vmlinuz-$flavor modules=loop,squashfs,sd-mod,usb-storage quiet\n"
      "  initrd /boot/initramfs-${flavor}\n}\n"
      "menuentry 'Alpine (serial)' { \n  linux /boot/vmlinuz-$flavor console=ttyS0,9600 \"a b\"\\ c\n"
      "  initrd /boot/initramfs-$flavor\n}\n",
      "boot/grub/grub.cfg");
  ASSERT_EQ(config.entries.size(), 2u);
  EXPECT_EQ(config.default_entry, 1u);
  EXPECT_EQ(config.entries[0].kernel, "/boot/vmlinuz-lts");
  EXPECT_EQ(config.entries[0].initrd, std::vector<std::string>{"/boot/initramfs-lts"});
  EXPECT_EQ(config.entries[1].args, "console=ttyS0,9600 a b c");

  const auto saved = parse_grub("set default=\"${saved_entry}\"\nmenuentry x {\n linux /k\n}\n", "grub.cfg");
  EXPECT_EQ(saved.default_entry, 0u);
  EXPECT_EQ(saved.default_because, "set default=${saved_entry} is not an entry's title; first entry");
}

TEST(ParseGrub, BrokenTextGivesProblemsNeverThrows) {
  const auto config = parse_grub("}\nmenuentry 'no brace'\nmenuentry 'open' {\n linux\n linux /k a\n", "grub.cfg");
  EXPECT_TRUE(config.entries.empty());
  ASSERT_EQ(config.problems.size(), 4u);
  EXPECT_EQ(config.problems[0], "grub.cfg:1: '}' closes no block");
  EXPECT_EQ(config.problems[1], "grub.cfg:2: menuentry \"no brace\" has no '{' on its line");
  EXPECT_EQ(config.problems[2], "grub.cfg:4: linux names no file");
  EXPECT_EQ(config.problems[3], "grub.cfg: a block is not closed at the end");

  std::string noise;
  for (int i = 0; i < 4096; ++i) noise += static_cast<char>((i * 131 + 7) % 256);
  noise += "\"unterminated ${ '";
  EXPECT_NO_THROW(parse_grub(noise, "grub.cfg"));
  EXPECT_NO_THROW(parse_syslinux(noise, "isolinux.cfg", nullptr));
}

}  // namespace
}  // namespace pxed::osid
