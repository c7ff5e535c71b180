// [[profile]]: one way to boot, exactly one of kernel, chain, menu and local,
// with the keys that go with it. Every problem names file, line and key.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

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

void write(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

TEST(ProfileConfig, AnswerFilesAreReadRelativeToTheConfigAndTellTheInstaller) {
  Scratch s;
  write(s.dir() / "templates/preseed.cfg", "d-i netcfg/get_hostname string {{name}}\n");
  write(s.dir() / "templates/user-data", "#cloud-config\n");
  write(s.dir() / "templates/meta-data", "instance-id: {{mac}}\n");
  write(s.dir() / "templates/site.cfg", "x\n");
  auto cfg = s.parse_with_root(R"([[profile]]
name = "debian"
kernel = "vmlinuz"
answer = "templates/preseed.cfg"
[[profile]]
name = "ubuntu"
kernel = "vmlinuz"
answer = ["templates/user-data", "templates/meta-data"]
[[profile]]
name = "rocky"
kernel = "vmlinuz"
answer = "templates/site.cfg"
installer = "anaconda"
)");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  const auto& p = cfg->inventory.profiles;
  ASSERT_EQ(p[0].answers.size(), 1u);
  EXPECT_EQ(p[0].answers[0].name, "preseed.cfg");
  EXPECT_EQ(p[0].answers[0].path, s.dir() / "templates/preseed.cfg");
  EXPECT_EQ(p[0].answers[0].text, "d-i netcfg/get_hostname string {{name}}\n");
  EXPECT_EQ(p[0].answers[0].line, 6u);
  EXPECT_EQ(p[0].installer, Installer::debian_installer);
  ASSERT_EQ(p[1].answers.size(), 2u);
  EXPECT_EQ(p[1].answers[1].name, "meta-data");
  EXPECT_EQ(p[1].installer, Installer::subiquity);
  EXPECT_EQ(p[2].installer, Installer::anaconda);
}

TEST(ProfileConfig, AnswerFileProblemsNameLineAndKey) {
  Scratch s;
  write(s.dir() / "a/site.cfg", "x\n");
  write(s.dir() / "b/site.cfg", "y\n");
  EXPECT_THAT(s.problems(R"([[profile]]
name = "missing"
kernel = "vmlinuz"
answer = "templates/nope.cfg"
[[profile]]
name = "unknown"
kernel = "vmlinuz"
answer = "a/site.cfg"
[[profile]]
name = "twice"
kernel = "vmlinuz"
answer = ["a/site.cfg", "b/site.cfg"]
installer = "kickstart"
[[profile]]
name = "chain"
chain = "ipxe.efi"
answer = "a/site.cfg"
installer = "anaconda"
[[profile]]
name = "alone"
kernel = "vmlinuz"
installer = "anaconda"
)"),
              ElementsAre("6: profile.answer: cannot read " + (s.dir() / "templates/nope.cfg").string() +
                              ": No such file or directory",
                          "10: profile.answer: which installer reads \"site.cfg\"? name it with installer = one of "
                          "\"debian-installer\", \"anaconda\", \"subiquity\", \"autoyast\", \"windows\"",
                          "14: profile.answer: \"b/site.cfg\": this profile already has an answer file named "
                          "\"site.cfg\" (" + (s.dir() / "a/site.cfg").string() + "); each is served by its name",
                          "15: profile.installer: must be one of \"debian-installer\", \"anaconda\", \"subiquity\", "
                          "\"autoyast\", \"windows\"; got \"kickstart\"",
                          "19: profile.answer: only a profile with a kernel or an image takes answer: the installer "
                          "it boots fetches the file",
                          "24: profile.installer: only a profile with an answer file takes installer"));
}

TEST(ProfileConfig, InstallerIsToldByTheAnswerFilesUsualName) {
  EXPECT_EQ(installer_of_file("preseed-db.cfg"), Installer::debian_installer);
  EXPECT_EQ(installer_of_file("ks.cfg"), Installer::anaconda);
  EXPECT_EQ(installer_of_file("rocky9-kickstart.cfg"), Installer::anaconda);
  EXPECT_EQ(installer_of_file("user-data"), Installer::subiquity);
  EXPECT_EQ(installer_of_file("autoinst.xml"), Installer::autoyast);
  EXPECT_EQ(installer_of_file("Autounattend.xml"), Installer::windows);
  EXPECT_EQ(installer_of_file("site.cfg"), Installer::none);
}

}  // namespace
}  // namespace pxed::config
