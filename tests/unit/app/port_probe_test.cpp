#include "app/port_probe.hpp"

#include <gtest/gtest.h>

namespace pxed::app {
namespace {

TEST(PortProbe, ListsWhatServeBindsInItsOrder) {
  config::Config cfg;
  cfg.tftp.listen = {"10.0.0.1", 69};
  cfg.http.enabled = true;
  cfg.http.listen = {"0.0.0.0", 80};
  cfg.api.listen = config::Endpoint{"127.0.0.1", 8080};
  cfg.dhcp.mode = config::DhcpMode::proxy;
  cfg.server.interfaces = {"eth1"};
  auto ports = ports_of(cfg);
  ASSERT_EQ(ports.size(), 5u);
  EXPECT_EQ(ports[0].key, "tftp.listen");
  EXPECT_EQ(ports[0].address, "10.0.0.1");
  EXPECT_EQ(ports[1].transport, Transport::tcp);
  EXPECT_EQ(ports[2].port, 8080);
  EXPECT_EQ(ports[3].port, 67);
  EXPECT_EQ(ports[3].interface, "eth1");
  EXPECT_EQ(ports[4].port, 4011);
}

TEST(PortProbe, WhatIsOffBindsNothing) {
  config::Config cfg;
  cfg.tftp.enabled = false;
  cfg.server.interfaces = {"eth1"};  // DHCP off: no socket on it
  EXPECT_TRUE(ports_of(cfg).empty());
}

}  // namespace
}  // namespace pxed::app
