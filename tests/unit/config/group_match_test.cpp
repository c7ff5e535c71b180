// [[group]] match: one value or an array of them per key, and MAC patterns
// of whole leading octets ("52:54:00:*").
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config/scratch.hpp"

namespace pxed::config {
namespace {

using ::testing::ElementsAre;

// One group matching `match`, written on line 5.
std::string group(std::string_view match) {
  return "[[group]]\nprofile = \"local\"\nmatch = " + std::string(match) + "\n";
}

std::vector<MacPattern> patterns(const Scratch& s, std::string_view macs) {
  auto cfg = s.parse_with_root(group("{ mac = " + std::string(macs) + " }"));
  EXPECT_TRUE(cfg) << describe(errors_of(cfg));
  return cfg ? cfg->inventory.groups.at(0).match.mac : std::vector<MacPattern>{};
}

core::Mac mac(std::string_view text) { return core::Mac::parse(text).value(); }

TEST(GroupMatch, AMacPrefixMatchesItsLeadingOctetsOnly) {
  Scratch s;
  auto p = patterns(s, "\"52:54:00:*\"");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].octets, 3);
  EXPECT_EQ(p[0].text, "52:54:00:*");
  EXPECT_TRUE(p[0].matches(mac("52:54:00:12:34:56")));
  EXPECT_TRUE(p[0].matches(mac("52:54:00:00:00:00")));
  EXPECT_FALSE(p[0].matches(mac("52:54:01:12:34:56")));
  EXPECT_FALSE(p[0].matches(mac("00:52:54:00:12:34")));
}

TEST(GroupMatch, MacPatternsTakeEitherCaseAndEitherSeparator) {
  Scratch s;
  auto p = patterns(s, R"(["AA-BB-CC-DD-*", "52:54:00:AB:CD:EF", "ab:*", "*"])");
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0].octets, 4);
  EXPECT_TRUE(p[0].matches(mac("aa:bb:cc:dd:00:01")));
  EXPECT_FALSE(p[0].matches(mac("aa:bb:cc:de:00:01")));
  EXPECT_EQ(p[1].octets, 6);
  EXPECT_TRUE(p[1].matches(mac("52:54:00:ab:cd:ef")));
  EXPECT_FALSE(p[1].matches(mac("52:54:00:ab:cd:ee")));
  EXPECT_TRUE(p[2].matches(mac("AB:00:00:00:00:00")));
  EXPECT_EQ(p[3].octets, 0);
  EXPECT_TRUE(p[3].matches(mac("01:02:03:04:05:06"))) << "a bare * matches every MAC";
}

TEST(GroupMatch, AMacPatternIsWholeOctetsThenAStar) {
  Scratch s;
  const std::string expected =
      "must be a MAC address, or whole leading octets and *, like \"52:54:00:*\", got ";
  EXPECT_THAT(s.problems(group(R"({ mac = ["52:54:0*", "52:54:00*", "52:54-00:*",
                                          "52:54:00:12:34:56:*", "52:54:00:12:34:*:"] })")),
              ElementsAre("5: group.match.mac: element 1 " + expected + "\"52:54:0*\"",
                          "5: group.match.mac: element 2 " + expected + "\"52:54:00*\"",
                          "5: group.match.mac: element 3 " + expected + "\"52:54-00:*\"",
                          "6: group.match.mac: element 4 " + expected + "\"52:54:00:12:34:56:*\"",
                          "6: group.match.mac: element 5 " + expected + "\"52:54:00:12:34:*:\""));
  EXPECT_THAT(s.problems(group("{ mac = \"5g:54:00:*\" }")),
              ElementsAre("5: group.match.mac: " + expected + "\"5g:54:00:*\""));
}

TEST(GroupMatch, EveryKeyTakesOneValueOrAList) {
  Scratch s;
  auto cfg = s.parse_with_root(R"([[group]]
profile = "local"
[group.match]
subnet = ["10.77.0.0/24", "192.168.99.0/24"]
relay = "10.0.0.0/8"
arch = "efi64_http"
vendor_class = ["PXEClient:Arch:00007", "HTTPClient"]
uuid = "4c4c4544-0042-3510-8052-b4c04f4d4e31"
)");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  const GroupMatch& m = cfg->inventory.groups.at(0).match;
  EXPECT_THAT(m.subnet, ElementsAre(*core::Ipv4Network::parse("10.77.0.0/24"),
                                    *core::Ipv4Network::parse("192.168.99.0/24")));
  EXPECT_THAT(m.relay, ElementsAre(*core::Ipv4Network::parse("10.0.0.0/8")));
  EXPECT_THAT(m.arch, ElementsAre("efi64_http"));
  EXPECT_THAT(m.vendor_class, ElementsAre("PXEClient:Arch:00007", "HTTPClient"));
  EXPECT_THAT(m.uuid, ElementsAre(*core::Uuid::parse("4c4c4544-0042-3510-8052-b4c04f4d4e31")));
}

TEST(GroupMatch, AMatchMayBeItsOwnTable) {
  Scratch s;
  auto cfg = s.parse_with_root(R"([[group]]
name = "lab"
profile = "local"
[group.match]
arch = ["bios", "efi32", "efi64", "arm32_efi", "arm64_efi", "efi64_http", "arm64_http"]
[[group]]
profile = "local"
)");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  ASSERT_EQ(cfg->inventory.groups.size(), 2u);
  EXPECT_EQ(cfg->inventory.groups[0].match.arch.size(), 7u);
  EXPECT_TRUE(cfg->inventory.groups[1].match.arch.empty()) << "no match: every machine";
  EXPECT_EQ(cfg->inventory.groups[1].line, 8u);
}

TEST(GroupMatch, EachBadValueIsNamedWithWhatItMustBe) {
  Scratch s;
  EXPECT_THAT(
      s.problems(R"([[group]]
profile = "local"
[group.match]
subnet = "10.77.0.1/24"
relay = ["10.0.0.0/8", "10.0.0.0"]
arch = "x86_64"
vendor_class = ""
uuid = 42
mac = []
serial = "123"
)"),
      ElementsAre("6: group.match.subnet: must be a network such as \"10.77.0.0/24\" (no host bits "
                  "set), got \"10.77.0.1/24\"",
                  "7: group.match.relay: element 2 must be a network such as \"10.77.0.0/24\" (no "
                  "host bits set), got \"10.0.0.0\"",
                  "8: group.match.arch: must be one of bios, efi32, efi64, arm32_efi, arm64_efi, "
                  "efi64_http, arm64_http, got \"x86_64\"",
                  "9: group.match.vendor_class: must be the start of option 60, 1..255 bytes, like "
                  "\"PXEClient:Arch:00007\", got \"\"",
                  "10: group.match.uuid: must be a string or an array of strings, got an integer",
                  "11: group.match.mac: must not be empty: leave the key out to match any",
                  "12: group.match.serial: unknown key; known keys in [[group]] match: mac, "
                  "subnet, relay, arch, vendor_class, uuid"));
  EXPECT_THAT(s.problems(group("\"10.77.0.0/24\"")),
              ElementsAre("5: group.match: must be a table ([[group]] match), got a string"));
}

}  // namespace
}  // namespace pxed::config
