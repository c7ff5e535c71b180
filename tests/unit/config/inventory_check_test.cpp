// The inventory's rules across tables: every profile named exists (or is
// "local", or an "iso:" image), menus do not contain themselves.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config/scratch.hpp"

namespace pxed::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Three profiles on lines 3-11; the caller's text starts on line 12.
constexpr std::string_view kProfiles = R"([[profile]]
name = "centos7"
kernel = "vmlinuz"
[[profile]]
name = "office"
menu = ["centos7", "local"]
[[profile]]
name = "Memtest"
chain = "memtest.efi"
)";

std::string with_profiles(std::string_view rest) { return std::string(kProfiles) + std::string(rest); }

TEST(InventoryCheck, AnUnknownProfileNameSuggestsTheNearestOne) {
  Scratch s;
  EXPECT_THAT(s.problems(with_profiles(R"([boot]
default = "locl"
[[group]]
profile = "centos-7"
[[machine]]
mac = "52:54:00:12:34:56"
profile = "OFFICE"
[[machine]]
mac = "52:54:00:12:34:57"
profile = "memtest"
)")),
              ElementsAre("13: boot.default: unknown profile \"locl\"; did you mean \"local\"?",
                          "15: group.profile: unknown profile \"centos-7\"; did you mean "
                          "\"centos7\"?",
                          "18: machine.profile: unknown profile \"OFFICE\"; did you mean "
                          "\"office\"?",
                          "21: machine.profile: unknown profile \"memtest\"; did you mean "
                          "\"Memtest\"?"));
}

TEST(InventoryCheck, ANameFarFromEveryProfileListsTheKnownOnes) {
  Scratch s;
  EXPECT_THAT(s.problems(with_profiles("[[group]]\nprofile = \"windows-server\"\n")),
              ElementsAre("13: group.profile: unknown profile \"windows-server\"; known profiles: "
                          "centos7, office, Memtest, local"));
  EXPECT_THAT(s.problems("[boot]\ndefault = \"centos7\"\n"),
              ElementsAre("4: boot.default: unknown profile \"centos7\"; known profiles: local"));
}

TEST(InventoryCheck, ACaseSlipWinsOverACloserSpelling) {
  Scratch s;
  // "abcd" is one edit from "abce" but the same letters as "ABCD".
  EXPECT_THAT(s.problems(R"([[profile]]
name = "abce"
kernel = "vmlinuz"
[[profile]]
name = "ABCD"
kernel = "vmlinuz"
[[group]]
profile = "abcd"
)"),
              ElementsAre("10: group.profile: unknown profile \"abcd\"; did you mean \"ABCD\"?"));
}

TEST(InventoryCheck, UnknownMenuItemsAreFoundOnTheirMenuLine) {
  Scratch s;
  EXPECT_THAT(s.problems(with_profiles(R"([[profile]]
name = "rescue"
menu = [
  "centos7",
  "memtset",
]
)")),
              ElementsAre("14: profile.menu: unknown profile \"memtset\"; did you mean "
                          "\"Memtest\"?"));
}

TEST(InventoryCheck, LocalAndIsoImagesNeedNoDeclaration) {
  Scratch s;
  auto cfg = s.parse_with_root(with_profiles(R"([boot]
default = "iso:debian-12"
[[group]]
profile = "local"
[[profile]]
name = "images"
menu = ["iso:ubuntu-22.04", "iso:memtest86+", "local"]
)"));
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_EQ(cfg->boot.default_profile, "iso:debian-12");
}

TEST(InventoryCheck, EveryImageIsForMenusAndItsDefaultMayBeAnyImage) {
  Scratch s;
  auto cfg = s.parse_with_root(with_profiles(R"([[profile]]
name = "images"
menu = ["iso:*", "local"]
default = "iso:debian-12"
)"));
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_EQ(cfg->inventory.profiles.back().menu_default, "iso:debian-12");
  EXPECT_THAT(s.problems(R"([[machine]]
mac = "52:54:00:00:00:01"
profile = "iso:*"
)"),
              ElementsAre("5: machine.profile: \"iso:*\" (every image) is for a menu's items; name one image, "
                          "like \"iso:debian-12\""));
}

TEST(InventoryCheck, AProblemInAProfileDoesNotHideIt) {
  Scratch s;
  // The group names a profile whose kernel is wrong: one problem, not two.
  EXPECT_THAT(s.problems(R"([[profile]]
name = "broken"
kernel = 42
[[group]]
profile = "broken"
)"),
              ElementsAre("5: profile.kernel: must be a path in the tree or an http:// URL, got "
                          "an integer"));
}

TEST(InventoryCheck, AMenuMustNotContainItself) {
  Scratch s;
  EXPECT_THAT(s.problems(R"([[profile]]
name = "self"
menu = ["local", "self"]
[[profile]]
name = "a"
menu = ["b"]
[[profile]]
name = "b"
menu = ["local", "c"]
[[profile]]
name = "c"
menu = ["a"]
[[profile]]
name = "outside"
menu = ["a", "b"]
)"),
              ElementsAre("5: profile.menu: menu \"self\" contains itself: self -> self",
                          "8: profile.menu: menu \"a\" contains itself: a -> b -> c -> a"));
}

TEST(InventoryCheck, MenusMayShareAndNestWithoutACycle) {
  Scratch s;
  auto cfg = s.parse_with_root(with_profiles(R"([[profile]]
name = "top"
menu = ["office", "centos7"]
[[profile]]
name = "other"
menu = ["office", "top"]
)"));
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_EQ(cfg->inventory.profiles.size(), 5u);
}

TEST(InventoryCheck, FindProfileKnowsOnlyDeclaredProfiles) {
  Scratch s;
  auto cfg = s.parse_with_root(with_profiles("[[profile]]\nname = \"disk\"\nlocal = true\n"));
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  const Inventory& inventory = cfg->inventory;
  ASSERT_NE(inventory.find_profile("office"), nullptr);
  EXPECT_EQ(inventory.find_profile("office")->line, 6u);
  EXPECT_EQ(inventory.find_profile("disk")->kind, ProfileKind::local);
  EXPECT_EQ(inventory.find_profile("local"), nullptr) << "built in, never declared";
  EXPECT_EQ(inventory.find_profile("memtest"), nullptr) << "names are case-sensitive";
  EXPECT_EQ(inventory.find_profile("iso:debian-12"), nullptr);
  EXPECT_EQ(Inventory{}.find_profile("office"), nullptr);
}

TEST(InventoryCheck, EveryProblemOfTheInventoryIsReportedAtOnce) {
  Scratch s;
  auto problems = s.problems(R"([boot]
default = "nope"
[[profile]]
name = "m"
menu = ["m"]
timeout = "forever"
[[group]]
match = { mac = "52:54:00:*", colour = "blue" }
[[machine]]
mac = "52:54:00:12:34:56"
profile = "m"
[[machine]]
mac = "52:54:00:12:34:56"
)");
  EXPECT_THAT(problems,
              ElementsAre("4: boot.default: unknown profile \"nope\"; known profiles: m, local",
                          "7: profile.menu: menu \"m\" contains itself: m -> m",
                          "8: profile.timeout: duration \"forever\" must start with a whole "
                          "number, e.g. \"2s\"",
                          "9: group.profile: required: what the machines it matches boot, like "
                          "profile = \"office\"",
                          "10: group.match.colour: unknown key; known keys in [[group]] match: "
                          "mac, subnet, relay, arch, vendor_class, uuid",
                          "15: machine.mac: 52:54:00:12:34:56 is already the machine at "
                          "pxed.toml:11"));
}

TEST(InventoryCheck, AValidInventoryHasNoProblems) {
  Scratch s;
  EXPECT_THAT(s.problems(with_profiles("[boot]\ndefault = \"office\"\n")), IsEmpty());
}

}  // namespace
}  // namespace pxed::config
