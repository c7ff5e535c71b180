#include "dhcp/pxe_options.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace pxed::dhcp {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes encoded(const PxeOptions& o) {
  auto e = encode_pxe(o);
  if (!e) {
    ADD_FAILURE() << "encode_pxe failed: " << to_string(e.error());
    return {};
  }
  return *e;
}

PxeOptions decoded(const Bytes& v) {
  auto d = decode_pxe(v);
  if (!d) {
    ADD_FAILURE() << "decode_pxe failed: " << to_string(d.error());
    return {};
  }
  return *d;
}

PxeOptions full_menu() {
  PxeOptions o;
  o.discovery_control = pxe::kNoMulticast | pxe::kNoBroadcast;
  o.boot_servers = {{.type = 0x8000, .addresses = {core::Ipv4{0x0a4d0001}}},
                    {.type = 0x8001, .addresses = {core::Ipv4{0x0a4d0001}, core::Ipv4{0x0a4d0002}}}};
  o.menu = {{.type = pxe::kLocalBoot, .label = "Local disk"}, {.type = 0x8000, .label = "Install CentOS 7"}};
  o.prompt_timeout = 5;
  o.prompt = "Press F8 for menu";
  return o;
}

TEST(PxeOptions, MinimalDiscoveryBypassMatchesDnsmasqBytes) {
  // FIRMWARE.md 22: 6 = 8 (use `file`) and 10 = 00 "PXE", the blob picky
  // UEFI stacks accept.
  PxeOptions o;
  o.discovery_control = pxe::kUseBootfile;
  o.prompt_timeout = 0;
  o.prompt = "PXE";
  EXPECT_EQ(encoded(o), (Bytes{6, 1, 8, 10, 4, 0, 'P', 'X', 'E', 255}));
}

TEST(PxeOptions, EncodesBootServersAndMenuPerSpec) {
  PxeOptions o;
  o.boot_servers = {{.type = 0x8000, .addresses = {core::Ipv4{0x0a4d0001}}}};
  o.menu = {{.type = 0x8000, .label = "ab"}};
  EXPECT_EQ(encoded(o), (Bytes{8, 7, 0x80, 0x00, 1, 10, 77, 0, 1, 9, 5, 0x80, 0x00, 2, 'a', 'b', 255}));
}

TEST(PxeOptions, EncodesBootItemAsTypeThenLayer) {
  PxeOptions o;
  o.boot_item = PxeBootItem{.type = 0x8000, .layer = 0};
  EXPECT_EQ(encoded(o), (Bytes{71, 4, 0x80, 0x00, 0, 0, 255}));
}

TEST(PxeOptions, EmptyOptionsEncodeToEndOnly) { EXPECT_EQ(encoded(PxeOptions{}), Bytes{255}); }

TEST(PxeOptions, RoundTripsEverySubOption) {
  auto o = full_menu();
  o.boot_item = PxeBootItem{.type = 0x8001, .layer = 0x8000};
  EXPECT_EQ(decoded(encoded(o)), o);
}

TEST(PxeOptions, MenuLargerThanOneOptionIsTooLarge) {
  PxeOptions o;
  for (std::uint16_t i = 0; i < 20; ++i) o.menu.push_back({.type = i, .label = std::string(20, 'x')});
  auto e = encode_pxe(o);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error(), PxeError::too_large);
}

TEST(PxeOptions, WholeValueJustOver255IsTooLarge) {
  // Each sub-option fits, the sum (plus the end byte) does not.
  PxeOptions o;
  o.menu = {{.type = 1, .label = std::string(240, 'm')}};  // 2 + 243 bytes
  o.prompt_timeout = 1;
  o.prompt = std::string(6, 'p');  // 2 + 7 bytes: 254, + end = 255
  EXPECT_EQ(encoded(o).size(), 255u);
  o.prompt.push_back('p');
  ASSERT_FALSE(encode_pxe(o));
  EXPECT_EQ(encode_pxe(o).error(), PxeError::too_large);
}

TEST(PxeOptions, LabelOrServerListBeyondOneByteCountIsTooLarge) {
  PxeOptions label;
  label.menu = {{.type = 1, .label = std::string(256, 'l')}};
  EXPECT_EQ(encode_pxe(label).error(), PxeError::too_large);
  PxeOptions servers;
  servers.boot_servers = {{.type = 1, .addresses = std::vector<core::Ipv4>(256)}};
  EXPECT_EQ(encode_pxe(servers).error(), PxeError::too_large);
}

TEST(PxeOptions, UnknownSubOptionsAndPadsAreSkipped) {
  auto o = decoded({0, 1, 2, 0xaa, 0xbb, 0, 71, 4, 0x80, 0x05, 0, 0, 255});
  ASSERT_TRUE(o.boot_item);
  EXPECT_EQ(o.boot_item->type, 0x8005);
  EXPECT_EQ(o.boot_item->layer, 0);
}

TEST(PxeOptions, MissingEndIsAcceptedAndEndStopsReading) {
  EXPECT_EQ(decoded({6, 1, 8}).discovery_control, 8);
  EXPECT_FALSE(decoded({255, 6, 1, 8}).discovery_control);
  EXPECT_EQ(decoded({}), PxeOptions{});
}

TEST(PxeOptions, SubOptionRunningPastTheEndIsTruncated) {
  for (const Bytes& bad : {Bytes{6}, Bytes{6, 2, 8}, Bytes{71, 4, 0x80, 0}, Bytes{9, 200, 0, 1}}) {
    auto d = decode_pxe(bad);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error(), PxeError::truncated);
  }
}

TEST(PxeOptions, SubOptionWhoseInsideDoesNotAddUpIsTruncated) {
  // 8: count says two addresses, one present. 9: label length past the value.
  // 71: three bytes instead of four. 6: two bytes instead of one.
  for (const Bytes& bad : {Bytes{8, 7, 0x80, 0, 2, 10, 0, 0, 1}, Bytes{9, 4, 0x80, 0, 5, 'a'},
                           Bytes{71, 3, 0x80, 0, 0}, Bytes{6, 2, 8, 8}, Bytes{8, 2, 0x80, 0},
                           Bytes{10, 0}}) {
    auto d = decode_pxe(bad);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error(), PxeError::truncated);
  }
}

TEST(PxeOptions, PromptIsTimeoutThenText) {
  auto o = decoded({10, 4, 255, 'P', 'X', 'E', 255});
  EXPECT_EQ(o.prompt_timeout, 255);
  EXPECT_EQ(o.prompt, "PXE");
}

TEST(PxeOptions, ErrorsHaveNames) {
  EXPECT_EQ(to_string(PxeError::truncated), "truncated");
  EXPECT_EQ(to_string(PxeError::too_large), "too-large");
}

}  // namespace
}  // namespace pxed::dhcp
