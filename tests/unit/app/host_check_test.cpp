#include "app/host_check.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pxed::app {
namespace {

using ::testing::HasSubstr;

const std::vector<HostInterface> kHost{
    {"lo", {"127.0.0.1"}}, {"eth0", {"10.0.0.5"}}, {"eth1", {"192.168.99.1"}}, {"eth2", {}}};

config::Config proxy_on(std::vector<std::string> interfaces) {
  config::Config cfg;
  cfg.source = "pxed.toml";
  cfg.dhcp.mode = config::DhcpMode::proxy;
  cfg.server.interfaces = std::move(interfaces);
  cfg.lines["server.interfaces"] = 3;
  cfg.lines["server.user"] = 2;
  return cfg;
}

TEST(HostCheck, AnAddressWrittenAsAnInterfaceNamesTheInterfaceHoldingIt) {
  auto errors = check_interfaces(proxy_on({"192.168.99.1"}), kHost);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(),
            "pxed.toml:3: server.interfaces: \"192.168.99.1\" is an address, not an interface name; did you mean "
            "\"eth1\", which holds 192.168.99.1?");
}

TEST(HostCheck, AnAddressNoInterfaceHoldsListsTheInterfaces) {
  auto errors = check_interfaces(proxy_on({"10.9.9.9"}), kHost);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0].message, HasSubstr("no interface here holds it; interfaces: lo, eth0, eth1, eth2"));
}

TEST(HostCheck, AMisspeltInterfaceGetsTheNearestName) {
  auto errors = check_interfaces(proxy_on({"etH1", "eht0", "wlan7"}), kHost);
  ASSERT_EQ(errors.size(), 3u);  // Linux's names are case-sensitive
  EXPECT_EQ(errors[0].message, "no interface \"etH1\" here; did you mean \"eth1\"?");
  EXPECT_EQ(errors[1].message, "no interface \"eht0\" here; did you mean \"eth0\"?");
  EXPECT_EQ(errors[2].message, "no interface \"wlan7\" here; interfaces: lo, eth0, eth1, eth2");
}

TEST(HostCheck, AnInterfaceWithoutIpv4IsRefusedWithDhcpOn) {
  // ProxyDHCP offers from it went out with server id 0.0.0.0, and nothing was logged.
  auto errors = check_interfaces(proxy_on({"eth1", "eth2"}), kHost);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0].message, HasSubstr("eth2 has no IPv4 address"));
  EXPECT_THAT(errors[0].message, HasSubstr("server 0.0.0.0 (option 54)"));
  auto full = proxy_on({"eth2"});
  full.dhcp.mode = config::DhcpMode::full;
  EXPECT_EQ(check_interfaces(full, kHost).size(), 1u);
}

TEST(HostCheck, InterfacesAreNotLookedAtWithDhcpOff) {
  auto cfg = proxy_on({"nothing-here"});
  cfg.dhcp.mode = config::DhcpMode::off;
  EXPECT_TRUE(check_interfaces(cfg, kHost).empty());
}

TEST(HostCheck, AnUnknownUserGetsTheNearestName) {
  auto cfg = proxy_on({});
  const std::vector<std::string> users{"root", "nobody", "pxed"};
  cfg.server.user = "pxe";
  auto errors = check_user(cfg, users);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(), "pxed.toml:2: server.user: no user \"pxe\" here; did you mean \"pxed\"?");
  cfg.server.user = "tftpboot-service";
  errors = check_user(cfg, users);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0].message, HasSubstr("adduser --system"));
  cfg.server.user = "nobody";
  EXPECT_TRUE(check_user(cfg, users).empty());
}

TEST(HostCheck, ThisHostHasLoopback) {
  auto host = host_interfaces();
  EXPECT_NE(std::ranges::find(host, std::string("lo"), &HostInterface::name), host.end());
}

}  // namespace
}  // namespace pxed::app
