#include "core/net.hpp"

#include <gtest/gtest.h>

namespace pxed::core {
namespace {

// ---- Ipv4 ----

TEST(Ipv4, ParsesDottedQuadInHostOrder) {
  EXPECT_EQ(Ipv4::parse("10.0.0.1"), Ipv4{0x0a000001});
  EXPECT_EQ(Ipv4::parse("0.0.0.0"), Ipv4{0});
  EXPECT_EQ(Ipv4::parse("255.255.255.255"), kBroadcast);
}

TEST(Ipv4, RefusesLeadingZerosWhichSomeParsersReadAsOctal) {
  EXPECT_FALSE(Ipv4::parse("010.0.0.1"));
  EXPECT_FALSE(Ipv4::parse("10.0.0.01"));
  EXPECT_FALSE(Ipv4::parse("10.00.0.1"));
}

TEST(Ipv4, RefusesOctetsAbove255) {
  EXPECT_FALSE(Ipv4::parse("256.0.0.1"));
  EXPECT_FALSE(Ipv4::parse("1.2.3.256"));
  EXPECT_FALSE(Ipv4::parse("1.2.3.4294967296"));
  EXPECT_FALSE(Ipv4::parse("1.2.3.99999999999"));
}

TEST(Ipv4, RefusesWrongShape) {
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.4.", ".1.2.3", " 1.2.3.4",
                          "1.2.3.4 ", "+1.2.3.4", "-1.2.3.4", "1.2.3.x", "0x0a.0.0.1", "1.2.3.4/24"}) {
    EXPECT_FALSE(Ipv4::parse(bad)) << bad;
  }
}

TEST(Ipv4, PrintsDottedAndPxelinuxHex) {
  Ipv4 a{0xc0a8025b};
  EXPECT_EQ(a.to_string(), "192.168.2.91");
  EXPECT_EQ(a.to_hex(), "C0A8025B");
  EXPECT_EQ(Ipv4{0x0a000001}.to_hex(), "0A000001");
  EXPECT_EQ(kBroadcast.to_string(), "255.255.255.255");
  EXPECT_TRUE(Ipv4{}.is_zero());
}

TEST(Ipv4, OrdersByNumericValue) {
  EXPECT_LT(*Ipv4::parse("10.0.0.9"), *Ipv4::parse("10.0.0.10"));
}

// ---- Ipv4Network ----

TEST(Ipv4Network, ParsesCidr) {
  auto n = Ipv4Network::parse("10.77.0.0/24");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->network, Ipv4{0x0a4d0000});
  EXPECT_EQ(n->prefix, 24);
  EXPECT_EQ(n->mask(), 0xffffff00u);
  EXPECT_EQ(n->broadcast().to_string(), "10.77.0.255");
  EXPECT_EQ(n->to_string(), "10.77.0.0/24");
}

TEST(Ipv4Network, RefusesHostBitsSet) {
  EXPECT_FALSE(Ipv4Network::parse("10.77.0.1/24"));
  EXPECT_FALSE(Ipv4Network::parse("10.77.0.128/24"));
  EXPECT_TRUE(Ipv4Network::parse("10.77.0.128/25"));
}

TEST(Ipv4Network, RefusesBadPrefix) {
  for (const char* bad : {"10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/024", "10.0.0.0/-1",
                          "10.0.0.0/ 8", "/8", "10.0.0/8"}) {
    EXPECT_FALSE(Ipv4Network::parse(bad)) << bad;
  }
}

TEST(Ipv4Network, ZeroPrefixContainsEverything) {
  auto all = Ipv4Network::parse("0.0.0.0/0");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->mask(), 0u);
  EXPECT_TRUE(all->contains(kBroadcast));
  EXPECT_TRUE(all->contains(Ipv4{}));
  EXPECT_FALSE(Ipv4Network::parse("10.0.0.0/0"));
}

TEST(Ipv4Network, HostRouteContainsOnlyItself) {
  auto host = Ipv4Network::parse("10.0.0.7/32");
  ASSERT_TRUE(host);
  EXPECT_TRUE(host->contains(Ipv4{0x0a000007}));
  EXPECT_FALSE(host->contains(Ipv4{0x0a000008}));
  EXPECT_EQ(host->broadcast(), Ipv4{0x0a000007});
}

TEST(Ipv4Network, ContainsChecksTheNetworkBitsOnly) {
  auto n = *Ipv4Network::parse("10.77.0.0/24");
  EXPECT_TRUE(n.contains(*Ipv4::parse("10.77.0.0")));
  EXPECT_TRUE(n.contains(*Ipv4::parse("10.77.0.255")));
  EXPECT_FALSE(n.contains(*Ipv4::parse("10.77.1.0")));
  EXPECT_FALSE(n.contains(*Ipv4::parse("10.76.255.255")));
}

// ---- Mac ----

TEST(Mac, ParsesColonsAndDashesInEitherCase) {
  auto expected = Mac{{0x52, 0x54, 0x00, 0xab, 0xcd, 0xef}};
  EXPECT_EQ(Mac::parse("52:54:00:ab:cd:ef"), expected);
  EXPECT_EQ(Mac::parse("52-54-00-AB-CD-EF"), expected);
  EXPECT_EQ(Mac::parse("52:54:00:Ab:cD:ef"), expected);
}

TEST(Mac, RefusesMixedSeparatorsAndWrongShape) {
  for (const char* bad : {"52:54-00:ab:cd:ef", "52:54:00:ab:cd", "52:54:00:ab:cd:ef:01", "525400abcdef",
                          "52.54.00.ab.cd.ef", "52:54:00:ab:cd:eg", "5:254:00:ab:cd:ef", "",
                          "52:54:00:ab:cd:e ", "52::54:00:ab:cd:e"}) {
    EXPECT_FALSE(Mac::parse(bad)) << bad;
  }
}

TEST(Mac, PrintsLowerCaseColonsAndPxelinuxName) {
  auto mac = *Mac::parse("52-54-00-AB-CD-EF");
  EXPECT_EQ(mac.to_string(), "52:54:00:ab:cd:ef");
  EXPECT_EQ(mac.to_pxelinux(), "01-52-54-00-ab-cd-ef");
}

}  // namespace
}  // namespace pxed::core
