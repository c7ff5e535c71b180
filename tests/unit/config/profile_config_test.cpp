// [[profile]]: one way to boot, exactly one of kernel, chain, menu and local,
// with the keys that go with it. Every problem names file, line and key.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config/scratch.hpp"

namespace pxed::config {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

TEST(ProfileConfig, AProfileIsExactlyOneOfKernelChainMenuAndLocal) {
  Scratch s;
  EXPECT_THAT(s.problems(R"([[profile]]
name = "nothing"
label = "Nothing at all"
[[profile]]
name = "both"
kernel = "vmlinuz"
chain = "ipxe.efi"
[[profile]]
name = "three"
chain = "ipxe.efi"
menu = ["local"]
local = true
[[profile]]
name = "off"
local = false
)"),
              ElementsAre("3: profile: \"nothing\" boots nothing: give it one of kernel, chain, "
                          "menu, image or local = true",
                          "6: profile: \"both\" has kernel and chain: give it only one of kernel, "
                          "chain, menu, image or local = true",
                          "10: profile: \"three\" has chain, menu and local = true: give it only "
                          "one of kernel, chain, menu, image or local = true",
                          "15: profile: \"off\" boots nothing: give it one of kernel, chain, menu, "
                          "image or local = true"));
}

TEST(ProfileConfig, KernelKeysNeedAKernelAndMenuKeysAMenu) {
  Scratch s;
  EXPECT_THAT(s.problems(R"([[profile]]
name = "chained"
chain = "ipxe.efi"
initrd = "initrd.img"
append = "quiet"
[[profile]]
name = "linux"
kernel = "vmlinuz"
default = "local"
timeout = 5
)"),
              ElementsAre("6: profile.initrd: only a profile with a kernel takes initrd",
                          "7: profile.append: only a profile with a kernel or an image takes append",
                          "11: profile.default: only a menu profile takes default",
                          "12: profile.timeout: only a menu profile takes timeout"));
}

TEST(ProfileConfig, AnImageProfileNamesOneImageAndMayAddArguments) {
  Scratch s;
  auto cfg = s.parse_with_root(R"([[profile]]
name = "ubuntu-auto"
image = "iso:ubuntu-22.04"
label = "Ubuntu, unattended"
append = "autoinstall host=${name}"
)");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  const auto& p = cfg->inventory.profiles[0];
  EXPECT_EQ(p.kind, ProfileKind::image);
  EXPECT_EQ(p.image, "ubuntu-22.04");
  EXPECT_EQ(p.append, "autoinstall host=${name}");
  EXPECT_THAT(s.problems(R"([[profile]]
name = "all"
image = "iso:*"
[[profile]]
name = "two"
image = "x"
kernel = "vmlinuz"
initrd = "initrd.img"
)"),
              ElementsAre("5: profile.image: must name one image, like \"ubuntu-22.04\"",
                          "6: profile: \"two\" has kernel and image: give it only one of kernel, chain, menu, "
                          "image or local = true"));
}

TEST(ProfileConfig, AMenuTimeoutIsADurationOrWholeSeconds) {
  Scratch s;
  auto menu = [](std::string_view timeout) {
    return "[[profile]]\nname = \"m\"\nmenu = [\"local\"]\ntimeout = " + std::string(timeout) + "\n";
  };
  const std::pair<std::string_view, std::chrono::seconds> cases[] = {
      {"30", 30s}, {"\"2m\"", 120s}, {"0", 0s}, {"\"1h\"", 3600s}};
  for (auto [written, expected] : cases) {
    auto cfg = s.parse_with_root(menu(written));
    ASSERT_TRUE(cfg) << written << "\n" << describe(errors_of(cfg));
    EXPECT_EQ(cfg->inventory.profiles[0].timeout, expected) << written;
  }
  EXPECT_THAT(s.problems(menu("\"1500ms\"")),
              ElementsAre("6: profile.timeout: must be whole seconds, got \"1500ms\""));
  EXPECT_THAT(s.problems(menu("\"2h\"")),
              ElementsAre("6: profile.timeout: must be 0s..1h, got \"2h\""));
  EXPECT_THAT(s.problems(menu("3601")),
              ElementsAre("6: profile.timeout: must be 0..3600 seconds, got 3601"));
  EXPECT_THAT(s.problems(menu("-1")),
              ElementsAre("6: profile.timeout: must be 0..3600 seconds, got -1"));
  EXPECT_THAT(s.problems(menu("\"10\"")),
              ElementsAre("6: profile.timeout: duration \"10\" has no unit; add one of ms, s, m, "
                          "h or d, e.g. \"10s\""));
  EXPECT_THAT(s.problems(menu("true")),
              ElementsAre("6: profile.timeout: must be a duration such as \"10s\" or a number of "
                          "seconds, got a boolean"));
}

TEST(ProfileConfig, ProfileNamesAreRequiredUniqueAndNotReserved) {
  Scratch s;
  EXPECT_THAT(
      s.problems(R"([[profile]]
kernel = "vmlinuz"
[[profile]]
name = "local"
local = true
[[profile]]
name = "iso:debian"
kernel = "vmlinuz"
[[profile]]
name = "two words"
kernel = "vmlinuz"
[[profile]]
name = "centos7"
kernel = "vmlinuz"
[[profile]]
name = "centos7"
chain = "ipxe.efi"
)"),
      ElementsAre("3: profile.name: required: what groups, machines and menus call it, like "
                  "name = \"centos7\"",
                  "6: profile.name: \"local\" is the built-in profile that boots the machine's "
                  "own disk; choose another name",
                  "9: profile.name: names starting with \"iso:\" are reserved for identified ISO "
                  "images; choose another name",
                  "12: profile.name: \"two words\" may hold only letters, digits and . _ - + (it "
                  "becomes an id in loader menus)",
                  "18: profile.name: \"centos7\" is already the profile at pxed.toml:14"));
}

TEST(ProfileConfig, KernelsInitrdsAndChainsArePathsUrlsOrVariables) {
  Scratch s;
  auto cfg = s.parse_with_root(R"([[profile]]
name = "a"
kernel = "vmlinuz"
initrd = ["/images/initrd.img", "https://mirror.example/extra.img", "${http}/${name}.img"]
[[profile]]
name = "b"
chain = "http://10.77.0.1/ipxe.efi"
)");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_THAT(cfg->inventory.profiles[0].initrd,
              ElementsAre("/images/initrd.img", "https://mirror.example/extra.img",
                          "${http}/${name}.img"));

  EXPECT_THAT(
      s.problems(R"([[profile]]
name = "a"
kernel = ""
initrd = ["/ok.img", "tftp://10.77.0.1/initrd.img", 7]
[[profile]]
name = "b"
kernel = "/boot/../../etc/shadow"
initrd = "initrd img"
[[profile]]
name = "c"
chain = "http://"
[[profile]]
name = "d"
kernel = "vmlinuz"
append = "quiet\nMENU HIDDEN"
label = 5
)"),
      ElementsAre("5: profile.kernel: must not be empty",
                  "6: profile.initrd: element 2 \"tftp://10.77.0.1/initrd.img\": only http:// "
                  "and https:// URLs are fetched; a file of the tree is a path like "
                  "\"/centos7/images/pxeboot/vmlinuz\"",
                  "6: profile.initrd: element 3 must be a string, got an integer",
                  "9: profile.kernel: \"/boot/../../etc/shadow\" climbs out of the tree with \"..\"",
                  "10: profile.initrd: \"initrd img\" has a space or control character: loaders "
                  "split their lines there",
                  "13: profile.chain: \"http://\" names no host",
                  "17: profile.append: must not contain control characters: a line break would "
                  "end the loader's line",
                  "18: profile.label: must be a string, got an integer"));
}

TEST(ProfileConfig, MenuItemsAreProfileNamesEachListedOnce) {
  Scratch s;
  EXPECT_THAT(s.problems(R"([[profile]]
name = "empty"
menu = []
[[profile]]
name = "twice"
menu = ["local", "local", 3, "", "iso:"]
[[profile]]
name = "notin"
menu = ["local"]
default = "empty"
)"),
              ElementsAre("5: profile.menu: must name at least one profile",
                          "8: profile.menu: element 2 \"local\" is already in this menu",
                          "8: profile.menu: element 3 must be a profile name such as \"centos7\" "
                          "or \"local\", got an integer",
                          "8: profile.menu: element 4 must name a profile, like \"centos7\" or "
                          "\"local\"",
                          "8: profile.menu: element 5 \"iso:\" names no image; write "
                          "\"iso:<image name>\"",
                          "12: profile.default: \"empty\" is not in this profile's menu: local"));
}

TEST(ProfileConfig, AnswerFilesAreNamedAsComingLater) {
  Scratch s;
  EXPECT_THAT(s.problems("[[profile]]\nname = \"ks\"\nkernel = \"vmlinuz\"\nanswer = \"ks.cfg\"\n"),
              ElementsAre("6: profile.answer: not supported yet in this version"));
}

}  // namespace
}  // namespace pxed::config
