// [boot] defaults: a config that describes machines (an inventory) boots them
// without naming a loader; each key [boot] leaves out gets the system's loader,
// the HTTP ones only when pxed serves HTTP. Kept apart from what [boot] says.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config/scratch.hpp"

namespace pxed::config {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kProfile = "[[profile]]\nname = \"disk\"\nlocal = true\n";

TEST(BootDefaults, WithoutAnInventoryThereAreNone) {
  Scratch s;
  auto cfg = s.parse_with_root("[http]\nenabled = true\n");
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->boot.defaults.bios, "");
  EXPECT_EQ(cfg->boot.defaults.ipxe, "");
}

TEST(BootDefaults, NamingOneLoaderMeansNoDefaults) {
  Scratch s;
  auto cfg = s.parse_with_root(std::string(kProfile) + "[http]\nenabled = true\n[boot]\nbios = \"mine.0\"\n");
  ASSERT_TRUE(cfg) << cfg.error().front().to_string();
  EXPECT_EQ(cfg->boot.choice.bios, "mine.0");
  // An iPXE ROM keeps getting mine.0, not a script default.
  EXPECT_EQ(cfg->boot.defaults.ipxe, "");
  EXPECT_EQ(cfg->boot.defaults.efi64, "");
}

TEST(BootDefaults, AProfileWithoutLoadersGetsTheSystemsLoaders) {
  Scratch s;
  auto cfg = s.parse_with_root(std::string(kProfile));
  ASSERT_TRUE(cfg) << cfg.error().front().to_string();
  EXPECT_EQ(cfg->boot.defaults.bios, "lpxelinux.0");
  EXPECT_EQ(cfg->boot.defaults.efi64, "efi64/syslinux.efi");
  EXPECT_EQ(cfg->boot.choice.efi64, "");
  // No [http]: nothing of ours to point iPXE or UEFI HTTP boot at.
  EXPECT_EQ(cfg->boot.defaults.ipxe, "");
  EXPECT_EQ(cfg->boot.defaults.http, "");
  EXPECT_EQ(cfg->boot.defaults.efi32, "");
  EXPECT_EQ(cfg->boot.defaults.arm64, "");
}

TEST(BootDefaults, WithHttpIpxeGetsItsScriptAndHttpBootSnponly) {
  Scratch s;
  auto cfg = s.parse_with_root("[http]\nenabled = true\n[boot]\ndefault = \"local\"\n");
  ASSERT_TRUE(cfg) << cfg.error().front().to_string();
  EXPECT_EQ(cfg->boot.defaults.ipxe, "${http}/boot.ipxe?mac=${mac}&uuid=${uuid}&serial=${serial:uristring}&manufacturer=${manufacturer:uristring}&product=${product:uristring}");
  EXPECT_EQ(cfg->boot.defaults.http, "${http}/efi64/snponly.efi");
}

TEST(BootDefaults, ProxyModeWithAnInventoryAndNoBootKeysPasses) {
  Scratch s;
  auto cfg = s.parse_with_root("[server]\ninterfaces = [\"veth0\"]\n[dhcp]\nmode = \"proxy\"\n[boot]\n"
                               "default = \"local\"\n");
  ASSERT_TRUE(cfg) << cfg.error().front().to_string();
}

TEST(BootDefaults, ProxyModeWithNeitherBootKeysNorInventoryStillFails) {
  Scratch s;
  auto cfg = s.parse_with_root("[server]\ninterfaces = [\"veth0\"]\n[dhcp]\nmode = \"proxy\"\n");
  ASSERT_FALSE(cfg);
  ASSERT_EQ(cfg.error().size(), 1u);
  EXPECT_EQ(cfg.error()[0].key, "boot");
  EXPECT_THAT(cfg.error()[0].message, HasSubstr("[[profile]] and [boot] default"));
}

TEST(BootLocal, NextDeviceMeansNoOfferAndTheLoaderIsTheDefault) {
  Scratch s;
  auto cfg = s.parse_with_root(std::string(kProfile) + "[boot]\ndefault = \"disk\"\n");
  ASSERT_TRUE(cfg) << cfg.error().front().to_string();
  EXPECT_FALSE(cfg->boot.local_by_firmware);
  cfg = s.parse_with_root(std::string(kProfile) + "[boot]\ndefault = \"disk\"\nlocal_boot = \"next-device\"\n");
  ASSERT_TRUE(cfg) << cfg.error().front().to_string();
  EXPECT_TRUE(cfg->boot.local_by_firmware);
  EXPECT_EQ(cfg->boot.defaults.bios, "lpxelinux.0");  // not a loader key: the defaults stay
  cfg = s.parse_with_root(std::string(kProfile) + "[boot]\ndefault = \"disk\"\nlocal_boot = \"disk\"\n");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error()[0].key, "boot.local_boot");
  EXPECT_GT(cfg.error()[0].line, 0u);
  EXPECT_THAT(cfg.error()[0].message, HasSubstr("loader, next-device"));
}

}  // namespace
}  // namespace pxed::config
