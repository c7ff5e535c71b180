#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config/scratch.hpp"

namespace pxed::config {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// [server] interfaces + [dhcp] mode lines come first, so the caller's text starts on line 6
// after the two [files] lines.
std::string dhcp_head(std::string_view mode) {
  return "[server]\ninterfaces = [\"veth0\"]\n[dhcp]\nmode = \"" + std::string(mode) + "\"\n";
}

TEST(DhcpConfig, FullModeSubnetWithEveryKeyIsRead) {
  Scratch s;
  auto cfg = s.parse_with_root(dhcp_head("full") + R"(pxe_only = true
decline_quarantine = "10m"
commit_interval = "0ms"
[[dhcp.subnet]]
network = "10.77.0.0/24"
range = ["10.77.0.100", "10.77.0.199"]
router = "10.77.0.254"
dns = ["10.77.0.254", "9.9.9.9"]
domain = "lab.example"
lease_time = "1h"
[[dhcp.subnet.reservation]]
mac = "52:54:00:12:34:56"
ip = "10.77.0.50"
hostname = "db-01"
[[dhcp.subnet]]
network = "10.78.0.0/16"
range = ["10.78.1.1", "10.78.1.1"]
)");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_EQ(cfg->dhcp.mode, DhcpMode::full);
  EXPECT_TRUE(cfg->dhcp.pxe_only);
  EXPECT_EQ(cfg->dhcp.decline_quarantine, 600s);
  EXPECT_EQ(cfg->dhcp.commit_interval, 0ms);
  ASSERT_EQ(cfg->dhcp.subnets.size(), 2u);
  const auto& a = cfg->dhcp.subnets[0];
  EXPECT_EQ(a.network.to_string(), "10.77.0.0/24");
  EXPECT_EQ(a.range_first.to_string(), "10.77.0.100");
  EXPECT_EQ(a.range_last.to_string(), "10.77.0.199");
  EXPECT_EQ(a.router->to_string(), "10.77.0.254");
  ASSERT_EQ(a.dns.size(), 2u);
  EXPECT_EQ(a.dns[1].to_string(), "9.9.9.9");
  EXPECT_EQ(a.domain, "lab.example");
  EXPECT_EQ(a.lease_time, 3600s);
  ASSERT_EQ(a.reservations.size(), 1u);
  EXPECT_EQ(a.reservations[0].mac.to_string(), "52:54:00:12:34:56");
  EXPECT_EQ(a.reservations[0].ip.to_string(), "10.77.0.50");
  EXPECT_EQ(a.reservations[0].hostname, "db-01");
  EXPECT_EQ(cfg->dhcp.subnets[1].lease_time, 12h);  // the default
}

TEST(DhcpConfig, DhcpNeedsInterfacesBecauseItAnswersBroadcasts) {
  Scratch s;
  auto e = only_error(s.parse_with_root("[dhcp]\nmode = \"proxy\"\n[boot]\nbios = \"x.0\"\n"));
  EXPECT_EQ(e.line, 4u);
  EXPECT_EQ(e.key, "server.interfaces");
  EXPECT_THAT(e.message, HasSubstr("broadcasts"));
}

TEST(DhcpConfig, FullModeWithoutSubnetSaysWhatToAdd) {
  Scratch s;
  auto e = only_error(s.parse_with_root(dhcp_head("full")));
  EXPECT_EQ(e.line, 6u);
  EXPECT_EQ(e.key, "dhcp.subnet");
  EXPECT_THAT(e.message, HasSubstr("[[dhcp.subnet]]"));
}

TEST(DhcpConfig, ProxyModeWithoutAnyBootFileIsAnError) {
  Scratch s;
  auto e = only_error(s.parse_with_root(dhcp_head("proxy")));
  EXPECT_EQ(e.key, "boot");
  EXPECT_THAT(e.message, HasSubstr("proxy mode"));
}

TEST(DhcpConfig, UnknownModeListsTheChoices) {
  Scratch s;
  auto e = only_error(s.parse_with_root(dhcp_head("server")));
  EXPECT_EQ(e.line, 6u);
  EXPECT_EQ(e.key, "dhcp.mode");
  EXPECT_THAT(e.message, HasSubstr("off, proxy, full"));
}

TEST(DhcpConfig, SubnetProblemsNameLineAndKey) {
  Scratch s;
  auto result = s.parse_with_root(dhcp_head("full") + R"([[dhcp.subnet]]
network = "10.77.0.1/24"
range = ["10.77.0.9"]
router = "10.77.0.256"
colour = "blue"
lease_time = "5s"
)");
  auto errors = errors_of(result);
  ASSERT_EQ(errors.size(), 5u) << describe(errors);
  EXPECT_EQ(errors[0].line, 8u);
  EXPECT_EQ(errors[0].key, "dhcp.subnet.network");
  EXPECT_THAT(errors[0].message, HasSubstr("no host bits"));
  EXPECT_EQ(errors[1].key, "dhcp.subnet.range");
  EXPECT_THAT(errors[1].message, HasSubstr("two addresses"));
  EXPECT_EQ(errors[2].key, "dhcp.subnet.router");
  EXPECT_EQ(errors[3].key, "dhcp.subnet.colour");
  EXPECT_THAT(errors[3].message, HasSubstr("known keys in [[dhcp.subnet]]: network, range"));
  EXPECT_EQ(errors[4].line, 12u);
  EXPECT_EQ(errors[4].key, "dhcp.subnet.lease_time");
}

TEST(DhcpConfig, RangeMustHoldHostAddressesOfItsNetworkInOrder) {
  Scratch s;
  auto outside = only_error(s.parse_with_root(dhcp_head("full") + R"([[dhcp.subnet]]
network = "10.77.0.0/24"
range = ["10.77.0.100", "10.77.1.5"]
)"));
  EXPECT_EQ(outside.line, 9u);
  EXPECT_EQ(outside.key, "dhcp.subnet.range");
  EXPECT_THAT(outside.message, HasSubstr("10.77.1.5 is not a host address of 10.77.0.0/24"));

  auto broadcast = only_error(s.parse_with_root(dhcp_head("full") + R"([[dhcp.subnet]]
network = "10.77.0.0/24"
range = ["10.77.0.100", "10.77.0.255"]
)"));
  EXPECT_THAT(broadcast.message, HasSubstr("10.77.0.255 is not a host address"));

  auto reversed = only_error(s.parse_with_root(dhcp_head("full") + R"([[dhcp.subnet]]
network = "10.77.0.0/24"
range = ["10.77.0.200", "10.77.0.100"]
)"));
  EXPECT_THAT(reversed.message, HasSubstr("comes after the last"));
}

TEST(DhcpConfig, OverlappingSubnetsAreRefused) {
  Scratch s;
  auto e = only_error(s.parse_with_root(dhcp_head("full") + R"([[dhcp.subnet]]
network = "10.77.0.0/16"
range = ["10.77.0.100", "10.77.0.200"]
[[dhcp.subnet]]
network = "10.77.5.0/24"
range = ["10.77.5.100", "10.77.5.200"]
)"));
  EXPECT_EQ(e.line, 11u);
  EXPECT_EQ(e.key, "dhcp.subnet.network");
  EXPECT_THAT(e.message, HasSubstr("overlaps 10.77.0.0/16"));
}

TEST(DhcpConfig, ReservationsAreCheckedForPlaceAndRepeats) {
  Scratch s;
  auto result = s.parse_with_root(dhcp_head("full") + R"([[dhcp.subnet]]
network = "10.77.0.0/24"
range = ["10.77.0.100", "10.77.0.200"]
[[dhcp.subnet.reservation]]
mac = "52:54:00:00:00:01"
ip = "10.77.0.10"
[[dhcp.subnet.reservation]]
mac = "52:54:00:00:00:01"
ip = "10.77.0.11"
)");
  auto e = only_error(result);
  EXPECT_THAT(e.message, HasSubstr("repeats the MAC of reservation 52:54:00:00:00:01 -> 10.77.0.10"));

  auto outside = only_error(s.parse_with_root(dhcp_head("full") + R"([[dhcp.subnet]]
network = "10.77.0.0/24"
range = ["10.77.0.100", "10.77.0.200"]
[[dhcp.subnet.reservation]]
mac = "52:54:00:00:00:02"
ip = "10.99.0.11"
)"));
  EXPECT_THAT(outside.message, HasSubstr("10.99.0.11 (for 52:54:00:00:00:02) is not a host address"));
}

TEST(DhcpConfig, ReservationWithoutMacSaysItIsRequired) {
  Scratch s;
  auto e = only_error(s.parse_with_root(dhcp_head("full") + R"([[dhcp.subnet]]
network = "10.77.0.0/24"
range = ["10.77.0.100", "10.77.0.200"]
[[dhcp.subnet.reservation]]
ip = "10.77.0.12"
)"));
  EXPECT_EQ(e.line, 10u);
  EXPECT_EQ(e.key, "dhcp.subnet.reservation.mac");
  EXPECT_THAT(e.message, HasSubstr("required"));
}

TEST(DhcpConfig, MacAndAddressSyntaxIsExplained) {
  Scratch s;
  auto result = s.parse_with_root(dhcp_head("full") + R"([[dhcp.subnet]]
network = "10.77.0.0/24"
range = ["10.77.0.100", "10.77.0.200"]
dns = ["10.77.0.1", 7]
[[dhcp.subnet.reservation]]
mac = "52:54:00:00:00"
ip = "010.77.0.10"
)");
  auto errors = errors_of(result);
  ASSERT_EQ(errors.size(), 3u) << describe(errors);
  EXPECT_EQ(errors[0].key, "dhcp.subnet.dns");
  EXPECT_THAT(errors[0].message, HasSubstr("an IPv4 address"));
  EXPECT_EQ(errors[1].key, "dhcp.subnet.reservation.mac");
  EXPECT_THAT(errors[1].message, HasSubstr("52:54:00:12:34:56"));
  EXPECT_EQ(errors[2].key, "dhcp.subnet.reservation.ip");
}

// One subnet, for tests about other [dhcp] keys.
const std::string kOneSubnet =
    "[[dhcp.subnet]]\nnetwork = \"10.77.0.0/24\"\nrange = [\"10.77.0.100\", \"10.77.0.199\"]\n";

TEST(DhcpConfig, AbuseLimitsAndRelayPolicyAreRead) {
  Scratch s;
  auto defaults = s.parse_with_root(dhcp_head("full") + kOneSubnet);
  ASSERT_TRUE(defaults) << describe(errors_of(defaults));
  EXPECT_EQ(defaults->dhcp.decline_max_per_client, 2u);
  EXPECT_EQ(defaults->dhcp.decline_max_percent, 10u);
  EXPECT_EQ(defaults->dhcp.interface_bindings_per_second, 200u);
  EXPECT_EQ(defaults->dhcp.client_bindings_per_second, 2u);
  EXPECT_EQ(defaults->dhcp.client_answers_per_second, 10u);
  EXPECT_EQ(defaults->dhcp.relay_policy, RelayPolicy::routed);

  auto cfg = s.parse_with_root(dhcp_head("full") + R"(decline_max_per_client = 1
decline_max_percent = 25
interface_bindings_per_second = 0
client_bindings_per_second = 5
client_answers_per_second = 0
relay_agents = ["10.77.0.254", "10.99.0.0/24"]
)" + kOneSubnet);
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_EQ(cfg->dhcp.decline_max_per_client, 1u);
  EXPECT_EQ(cfg->dhcp.decline_max_percent, 25u);
  EXPECT_EQ(cfg->dhcp.interface_bindings_per_second, 0u);
  EXPECT_EQ(cfg->dhcp.client_bindings_per_second, 5u);
  EXPECT_EQ(cfg->dhcp.client_answers_per_second, 0u);
  EXPECT_EQ(cfg->dhcp.relay_policy, RelayPolicy::listed);  // implied by relay_agents
  ASSERT_EQ(cfg->dhcp.relay_agents.size(), 2u);
  EXPECT_EQ(cfg->dhcp.relay_agents[0].to_string(), "10.77.0.254/32");
  EXPECT_EQ(cfg->dhcp.relay_agents[1].to_string(), "10.99.0.0/24");

  for (std::string policy : {"any", "routed"}) {
    auto explicit_policy = s.parse_with_root(dhcp_head("full") + "relay_policy = \"" + policy + "\"\n" + kOneSubnet);
    ASSERT_TRUE(explicit_policy) << describe(errors_of(explicit_policy));
    EXPECT_EQ(explicit_policy->dhcp.relay_policy, policy == "any" ? RelayPolicy::any : RelayPolicy::routed);
  }
}

TEST(DhcpConfig, AbuseLimitProblemsNameLineAndKey) {
  Scratch s;
  auto errors = errors_of(s.parse_with_root(dhcp_head("full") + R"(decline_max_percent = 0
interface_bindings_per_second = -1
relay_policy = "trusting"
relay_agents = ["10.77.0.1/33", "relay-1"]
[[dhcp.subnet]]
network = "10.77.0.0/24"
range = ["10.77.0.100", "10.77.0.199"]
)"));
  ASSERT_EQ(errors.size(), 5u) << describe(errors);
  EXPECT_EQ(errors[0].line, 7u);
  EXPECT_EQ(errors[0].key, "dhcp.decline_max_percent");
  EXPECT_THAT(errors[0].message, HasSubstr("1..100"));
  EXPECT_EQ(errors[1].line, 8u);
  EXPECT_EQ(errors[1].key, "dhcp.interface_bindings_per_second");
  EXPECT_THAT(errors[1].message, HasSubstr("0 = no limit"));
  EXPECT_EQ(errors[2].line, 9u);
  EXPECT_EQ(errors[2].key, "dhcp.relay_policy");
  EXPECT_THAT(errors[2].message, HasSubstr("routed, listed, any"));
  EXPECT_EQ(errors[3].key, "dhcp.relay_agents");
  EXPECT_THAT(errors[3].message, HasSubstr("10.77.0.1/33"));
  EXPECT_THAT(errors[4].message, HasSubstr("relay-1"));
}

TEST(DhcpConfig, RelayPolicyAndRelayAgentsMustAgree) {
  Scratch s;
  auto listed = only_error(s.parse_with_root(dhcp_head("full") + "relay_policy = \"listed\"\n" + kOneSubnet));
  EXPECT_EQ(listed.line, 7u);
  EXPECT_EQ(listed.key, "dhcp.relay_policy");
  EXPECT_THAT(listed.message, HasSubstr("add relay_agents"));
  auto unused = only_error(s.parse_with_root(dhcp_head("full") +
                                             "relay_agents = [\"10.77.0.254\"]\nrelay_policy = \"routed\"\n" + kOneSubnet));
  EXPECT_EQ(unused.line, 7u);
  EXPECT_EQ(unused.key, "dhcp.relay_agents");
  EXPECT_THAT(unused.message, HasSubstr("only with relay_policy = \"listed\""));
}

TEST(DhcpConfig, BaseUrlDropsTrailingSlashesAndRefusesOtherSchemes) {
  Scratch s;
  auto cfg = s.parse_with_root("[http]\nbase_url = \"http://10.77.0.1:8080/pxe/\"\n");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_EQ(cfg->http.base_url, "http://10.77.0.1:8080/pxe");
  auto e = only_error(s.parse_with_root("[http]\nbase_url = \"ftp://10.77.0.1\"\n"));
  EXPECT_EQ(e.key, "http.base_url");
  EXPECT_EQ(e.line, 4u);
}

// ---- [boot] ----

TEST(BootConfig, ChoiceHostsAndMenuAreRead) {
  Scratch s;
  auto cfg = s.parse_with_root(dhcp_head("proxy") + R"([boot]
bios = "lpxelinux.0"
efi64 = "syslinux.efi"
efi32 = "ipxe-i386.efi"
arm64 = "ipxe-arm64.efi"
ipxe = "${http}/boot.ipxe"
http = "http://10.77.0.1/ipxe.efi"
[[boot.host]]
mac = "52:54:00:12:34:56"
efi64 = "grubx64.efi"
[boot.menu]
prompt = "Choose"
timeout = 10
[[boot.menu.item]]
label = "Install"
file = "lpxelinux.0"
[[boot.menu.item]]
label = "Elsewhere"
file = "pxelinux.0"
server = "10.77.0.9"
[[boot.menu.item]]
label = "Local disk"
)");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  const auto& b = cfg->boot;
  EXPECT_EQ(b.choice.bios, "lpxelinux.0");
  EXPECT_EQ(b.choice.efi64, "syslinux.efi");
  EXPECT_EQ(b.choice.efi32, "ipxe-i386.efi");
  EXPECT_EQ(b.choice.arm64, "ipxe-arm64.efi");
  EXPECT_EQ(b.choice.ipxe, "${http}/boot.ipxe");
  EXPECT_EQ(b.choice.http, "http://10.77.0.1/ipxe.efi");
  ASSERT_EQ(b.hosts.size(), 1u);
  EXPECT_EQ(b.hosts[0].mac.to_string(), "52:54:00:12:34:56");
  EXPECT_EQ(b.hosts[0].choice.efi64, "grubx64.efi");
  EXPECT_TRUE(b.hosts[0].choice.bios.empty());
  ASSERT_TRUE(b.menu);
  EXPECT_EQ(b.menu->prompt, "Choose");
  EXPECT_EQ(b.menu->timeout, 10s);
  ASSERT_EQ(b.menu->items.size(), 3u);
  EXPECT_EQ(b.menu->items[1].server->to_string(), "10.77.0.9");
  EXPECT_TRUE(b.menu->items[2].file.empty());
}

TEST(BootConfig, ProblemsNameLineAndKey) {
  Scratch s;
  auto result = s.parse_with_root(R"([boot]
bios = ""
efi128 = "x.efi"
[[boot.host]]
efi64 = "a.efi"
[boot.menu]
timeout = 300
[[boot.menu.item]]
file = "x.0"
)");
  auto errors = errors_of(result);
  ASSERT_EQ(errors.size(), 5u) << describe(errors);
  EXPECT_EQ(errors[0].line, 4u);
  EXPECT_EQ(errors[0].key, "boot.bios");
  EXPECT_EQ(errors[1].key, "boot.efi128");
  EXPECT_THAT(errors[1].message, HasSubstr("bios, efi32, efi64, arm64, ipxe, http, menu, host"));
  EXPECT_EQ(errors[2].key, "boot.host.mac");
  EXPECT_EQ(errors[3].key, "boot.menu.timeout");
  EXPECT_THAT(errors[3].message, HasSubstr("0..255"));
  EXPECT_EQ(errors[4].key, "boot.menu.item.label");
}

TEST(BootConfig, TwoOverridesForOneMacAreRefused) {
  Scratch s;
  auto e = only_error(s.parse_with_root(R"([[boot.host]]
mac = "52:54:00:12:34:56"
bios = "a.0"
[[boot.host]]
mac = "52-54-00-12-34-56"
bios = "b.0"
)"));
  EXPECT_EQ(e.line, 6u);
  EXPECT_THAT(e.message, HasSubstr("already has a [[boot.host]]"));
}

}  // namespace
}  // namespace pxed::config
