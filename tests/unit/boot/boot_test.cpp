#include "boot/boot.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pxed::boot {
namespace {

using namespace std::chrono_literals;

const core::Mac kMac{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
const core::Mac kOtherMac{{0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc}};
const core::Ipv4 kServer{0x0a4d0001};  // 10.77.0.1
const Context kContext{kServer, "http://10.77.0.1"};

// The pxed.example.toml [boot] section.
config::Boot site() {
  config::Boot b;
  b.choice.bios = "lpxelinux.0";
  b.choice.efi32 = "efi32/syslinux.efi";
  b.choice.efi64 = "ipxe.efi";
  b.choice.arm64 = "arm64/snp.efi";
  b.choice.ipxe = "http://${server}/boot.ipxe";
  return b;
}

ClientFacts client(std::optional<std::uint16_t> arch) {
  ClientFacts f;
  f.mac = kMac;
  f.arch = arch;
  f.pxe_client = true;
  f.vendor_class = "PXEClient:Arch:00000:UNDI:002001";
  return f;
}

ClientFacts ipxe_client(std::uint16_t arch) {
  auto f = client(arch);
  f.ipxe = true;
  f.user_classes = {"iPXE"};
  return f;
}

ClientFacts http_client(std::uint16_t arch) {
  auto f = client(arch);
  f.pxe_client = false;
  f.http_client = true;
  f.vendor_class = "HTTPClient:Arch:00016:UNDI:003001";
  return f;
}

config::Boot with_menu(std::vector<config::BootMenuItem> items) {
  auto b = site();
  b.menu = config::BootMenu{"Press F8 for boot menu", 10s, std::move(items)};
  return b;
}

const std::vector<config::BootMenuItem> kThreeItems = {
    {"Install Debian", "debian/pxelinux.0", std::nullopt},
    {"Boot from disk", "", std::nullopt},
    {"Rescue on the old server", "rescue.0", core::Ipv4{0x0a4d0002}},
};

config::BootHost host(core::Mac mac, std::string config::BootChoice::*key, std::string value) {
  config::BootHost h;
  h.mac = mac;
  h.choice.*key = std::move(value);
  return h;
}

bool mentions(const BootPlan& plan, std::string_view text) { return plan.reason.find(text) != std::string::npos; }

// ---- firmware_of

TEST(FirmwareOf, MapsTheRfc4578ArchCodes) {
  EXPECT_EQ(firmware_of(0), Firmware::bios);
  EXPECT_EQ(firmware_of(6), Firmware::efi32);
  EXPECT_EQ(firmware_of(10), Firmware::arm32_efi);
  EXPECT_EQ(firmware_of(11), Firmware::arm64_efi);
  EXPECT_EQ(firmware_of(16), Firmware::efi64_http);
  EXPECT_EQ(firmware_of(19), Firmware::arm64_http);
}

TEST(FirmwareOf, TreatsArch7And9AsX8664Efi) {
  // FIRMWARE.md 23: RFC 4578 errata swapped them; both are x86-64 in practice.
  EXPECT_EQ(firmware_of(7), Firmware::efi64);
  EXPECT_EQ(firmware_of(9), Firmware::efi64);
}

TEST(FirmwareOf, Maps32BitHttpBootToTheLoadersOfItsPxeSibling) {
  EXPECT_EQ(firmware_of(15), Firmware::efi32);
  EXPECT_EQ(firmware_of(18), Firmware::arm32_efi);
}

TEST(FirmwareOf, MissingOption93IsBiosBecausePreRfc4578RomsOmitIt) {
  EXPECT_EQ(firmware_of(std::nullopt), Firmware::bios);
}

TEST(FirmwareOf, OtherCodesAreUnknown) {
  for (std::uint16_t arch : {1, 2, 5, 8, 12, 17, 20, 41, 0xffff}) {
    EXPECT_EQ(firmware_of(arch), Firmware::unknown) << arch;
  }
}

TEST(FirmwareToString, NamesEveryFirmwareForLogs) {
  EXPECT_EQ(to_string(Firmware::bios), "bios");
  EXPECT_EQ(to_string(Firmware::efi64), "efi64");
  EXPECT_EQ(to_string(Firmware::efi64_http), "efi64_http");
  EXPECT_EQ(to_string(Firmware::arm64_efi), "arm64_efi");
  EXPECT_EQ(to_string(Firmware::unknown), "unknown");
}

// ---- the arch file

TEST(Resolve, EachFirmwareGetsItsOwnBootKey) {
  struct Case {
    std::optional<std::uint16_t> arch;
    std::string file;
  };
  for (const auto& [arch, file] : {Case{0, "lpxelinux.0"}, Case{std::nullopt, "lpxelinux.0"},
                                   Case{6, "efi32/syslinux.efi"}, Case{7, "ipxe.efi"}, Case{9, "ipxe.efi"},
                                   Case{11, "arm64/snp.efi"}}) {
    auto plan = resolve(client(arch), site(), kContext);
    EXPECT_FALSE(plan.none) << plan.reason;
    EXPECT_EQ(plan.file, file) << plan.reason;
    EXPECT_EQ(plan.next_server, kServer);
    EXPECT_EQ(plan.vendor_class, "PXEClient");
    EXPECT_TRUE(plan.menu.empty());
  }
}

TEST(Resolve, ReasonNamesTheBootKey) {
  auto plan = resolve(client(7), site(), kContext);
  EXPECT_TRUE(mentions(plan, "[boot] efi64")) << plan.reason;
}

TEST(Resolve, UnsetArchKeyMeansNothingToBootWithAReason) {
  auto boot = site();
  boot.choice.efi32.clear();
  auto plan = resolve(client(6), boot, kContext);
  EXPECT_TRUE(plan.none);
  EXPECT_TRUE(mentions(plan, "[boot] efi32 is not set")) << plan.reason;
}

TEST(Resolve, UnknownFirmwareGetsNothingAndTheReasonNamesItsCode) {
  auto plan = resolve(client(41), site(), kContext);
  EXPECT_TRUE(plan.none);
  EXPECT_TRUE(mentions(plan, "option 93 = 41")) << plan.reason;
}

TEST(Resolve, Arm32EfiGetsNothingBecauseNoKeyNamesItsLoader) {
  auto plan = resolve(client(10), site(), kContext);
  EXPECT_TRUE(plan.none);
  EXPECT_TRUE(mentions(plan, "arm32_efi")) << plan.reason;
}

TEST(Resolve, ServerAndHttpPlaceholdersAreExpanded) {
  auto boot = site();
  boot.choice.bios = "${http}/x/${server}/y${server}";
  auto plan = resolve(client(0), boot, kContext);
  EXPECT_EQ(plan.file, "http://10.77.0.1/x/10.77.0.1/y10.77.0.1");
}

// ---- per-MAC overrides

TEST(Resolve, HostOverrideSuppliesItsKeyAndSaysSo) {
  auto boot = site();
  boot.hosts.push_back(host(kMac, &config::BootChoice::efi64, "special/grubx64.efi"));
  auto plan = resolve(client(7), boot, kContext);
  EXPECT_EQ(plan.file, "special/grubx64.efi");
  EXPECT_TRUE(mentions(plan, "host 52:54:00:12:34:56 efi64")) << plan.reason;
}

TEST(Resolve, HostOverrideWithAnEmptyKeyFallsBackToBoot) {
  auto boot = site();
  boot.hosts.push_back(host(kMac, &config::BootChoice::efi64, "special/grubx64.efi"));
  auto plan = resolve(client(0), boot, kContext);
  EXPECT_EQ(plan.file, "lpxelinux.0");
  EXPECT_TRUE(mentions(plan, "[boot] bios")) << plan.reason;
}

TEST(Resolve, HostOverrideAppliesOnlyToItsMac) {
  auto boot = site();
  boot.hosts.push_back(host(kOtherMac, &config::BootChoice::efi64, "special/grubx64.efi"));
  auto plan = resolve(client(7), boot, kContext);
  EXPECT_EQ(plan.file, "ipxe.efi");
}

TEST(Resolve, HostOverrideOfTheIpxeScriptIsUsedForThatHost) {
  auto boot = site();
  boot.hosts.push_back(host(kMac, &config::BootChoice::ipxe, "${http}/hosts/db-01.ipxe"));
  auto plan = resolve(ipxe_client(7), boot, kContext);
  EXPECT_EQ(plan.file, "http://10.77.0.1/hosts/db-01.ipxe");
  EXPECT_TRUE(mentions(plan, "host 52:54:00:12:34:56 ipxe")) << plan.reason;
}

// ---- iPXE (FIRMWARE.md 11, 25)

TEST(Resolve, IpxeClientGetsScriptUrlNotTheIpxeBinary) {
  for (std::uint16_t arch : {0, 7, 9, 11}) {
    auto plan = resolve(ipxe_client(arch), site(), kContext);
    EXPECT_FALSE(plan.none);
    EXPECT_EQ(plan.file, "http://10.77.0.1/boot.ipxe") << arch;
    EXPECT_EQ(plan.vendor_class, "PXEClient");
    EXPECT_TRUE(mentions(plan, "[boot] ipxe")) << plan.reason;
  }
}

TEST(Resolve, IpxeClientOfUnknownArchStillGetsTheScript) {
  auto plan = resolve(ipxe_client(41), site(), kContext);
  EXPECT_EQ(plan.file, "http://10.77.0.1/boot.ipxe");
}

TEST(Resolve, IpxeClientWithoutScriptGetsNothingRatherThanIpxeAgain) {
  auto boot = site();
  boot.choice.ipxe.clear();
  boot.choice.bios = "undionly.kpxe";
  for (std::uint16_t arch : {0, 7}) {
    auto plan = resolve(ipxe_client(arch), boot, kContext);
    EXPECT_TRUE(plan.none) << plan.file;
    EXPECT_TRUE(mentions(plan, "client runs iPXE and [boot] ipxe is not set")) << plan.reason;
  }
}

TEST(Resolve, EveryIpxeLoaderNameIsRecognisedAsALoop) {
  auto boot = site();
  boot.choice.ipxe.clear();
  for (std::string name : {"iPXE.EFI", "x86/undionly.kpxe", "snponly.efi", "ipxe.pxe", "custom.kpxe"}) {
    boot.choice.efi64 = name;
    EXPECT_TRUE(resolve(ipxe_client(7), boot, kContext).none) << name;
  }
}

TEST(Resolve, IpxeClientWithoutScriptGetsTheArchFileWhenItIsNotIpxe) {
  auto boot = site();
  boot.choice.ipxe.clear();
  auto plan = resolve(ipxe_client(0), boot, kContext);
  EXPECT_FALSE(plan.none) << plan.reason;
  EXPECT_EQ(plan.file, "lpxelinux.0");
  EXPECT_TRUE(mentions(plan, "[boot] ipxe is not set")) << plan.reason;
}

TEST(Resolve, IpxeClientGetsNoMenu) {
  auto plan = resolve(ipxe_client(0), with_menu(kThreeItems), kContext);
  EXPECT_TRUE(plan.menu.empty());
  EXPECT_EQ(plan.file, "http://10.77.0.1/boot.ipxe");
}

// ---- UEFI HTTP boot (FIRMWARE.md 10)

TEST(Resolve, HttpClientGetsTheHttpUrlAndEchoesHttpClient) {
  auto boot = site();
  boot.choice.http = "${http}/uefi/ipxe.efi";
  for (std::uint16_t arch : {16, 19}) {
    auto plan = resolve(http_client(arch), boot, kContext);
    EXPECT_EQ(plan.file, "http://10.77.0.1/uefi/ipxe.efi");
    EXPECT_EQ(plan.vendor_class, "HTTPClient");
    EXPECT_TRUE(mentions(plan, "[boot] http")) << plan.reason;
  }
}

TEST(Resolve, HttpClientWithoutHttpKeyGetsAUrlOfItsArchFile) {
  EXPECT_EQ(resolve(http_client(16), site(), kContext).file, "http://10.77.0.1/ipxe.efi");
  EXPECT_EQ(resolve(http_client(19), site(), kContext).file, "http://10.77.0.1/arm64/snp.efi");
  EXPECT_EQ(resolve(http_client(15), site(), kContext).file, "http://10.77.0.1/efi32/syslinux.efi");
}

TEST(Resolve, HttpClientArchFileThatIsAlreadyAUrlIsUsedAsIs) {
  auto boot = site();
  boot.choice.efi64 = "https://cdn.example.com/ipxe.efi";
  EXPECT_EQ(resolve(http_client(16), boot, kContext).file, "https://cdn.example.com/ipxe.efi");
  boot.choice.efi64 = "/leading/slash.efi";
  EXPECT_EQ(resolve(http_client(16), boot, kContext).file, "http://10.77.0.1/leading/slash.efi");
}

TEST(Resolve, HttpArchWithoutHttpClientVendorClassStillGetsAUrl) {
  auto f = client(16);
  EXPECT_EQ(resolve(f, site(), kContext).file, "http://10.77.0.1/ipxe.efi");
  EXPECT_EQ(resolve(f, site(), kContext).vendor_class, "HTTPClient");
}

TEST(Resolve, HttpClientGetsNothingWhenNoHttpIsServedAndTheFileIsNoUrl) {
  auto plan = resolve(http_client(16), site(), Context{kServer, ""});
  EXPECT_TRUE(plan.none);
  EXPECT_TRUE(mentions(plan, "no HTTP")) << plan.reason;
}

TEST(Resolve, HttpClientGetsNothingWhenNeitherHttpNorArchKeyIsSet) {
  auto boot = site();
  boot.choice.efi64.clear();
  auto plan = resolve(http_client(16), boot, kContext);
  EXPECT_TRUE(plan.none);
  EXPECT_TRUE(mentions(plan, "neither [boot] http nor [boot] efi64")) << plan.reason;
}

// ---- PXE menus (FIRMWARE.md 3, 4, 22)

TEST(Resolve, BiosPxeClientGetsTheMenuWithTypesPromptAndTimeout) {
  auto plan = resolve(client(0), with_menu(kThreeItems), kContext);
  ASSERT_EQ(plan.menu.size(), 3u);
  EXPECT_EQ(plan.menu[0].type, 0x8000);
  EXPECT_EQ(plan.menu[0].label, "Install Debian");
  EXPECT_EQ(plan.menu[1].type, 0);  // empty file: local boot
  EXPECT_EQ(plan.menu[2].type, 0x8002);
  EXPECT_EQ(plan.menu[2].server, core::Ipv4{0x0a4d0002});
  EXPECT_FALSE(plan.menu[0].server);
  EXPECT_EQ(plan.prompt, "Press F8 for boot menu");
  EXPECT_EQ(plan.menu_timeout, 10);
  EXPECT_EQ(plan.vendor_class, "PXEClient");
}

TEST(Resolve, MenuPlanStillCarriesTheFirstItemsFileForRomsThatIgnoreMenus) {
  auto plan = resolve(client(0), with_menu(kThreeItems), kContext);
  EXPECT_FALSE(plan.none);
  EXPECT_EQ(plan.file, "debian/pxelinux.0");
  EXPECT_EQ(plan.next_server, kServer);
}

TEST(Resolve, MenuStartingWithLocalBootCarriesTheBiosFile) {
  auto plan = resolve(client(0), with_menu({{"Disk", "", {}}, {"Install", "inst.0", {}}}), kContext);
  EXPECT_EQ(plan.menu.size(), 2u);
  EXPECT_EQ(plan.file, "lpxelinux.0");
}

TEST(Resolve, MenuTimeoutIsClampedToOneByte) {
  auto boot = with_menu(kThreeItems);
  boot.menu->timeout = 1000s;
  EXPECT_EQ(resolve(client(0), boot, kContext).menu_timeout, 255);
}

TEST(Resolve, UefiClientsGetNoMenuButTheirArchFile) {
  // FIRMWARE.md 4: UEFI PXE stacks botch menus (dnsmasq's pxe_uefi_workaround).
  for (std::uint16_t arch : {6, 7, 9, 11}) {
    auto plan = resolve(client(arch), with_menu(kThreeItems), kContext);
    EXPECT_TRUE(plan.menu.empty()) << arch;
    EXPECT_EQ(plan.file, resolve(client(arch), site(), kContext).file);
  }
}

TEST(Resolve, SingleItemMenuGivesTheItemsFileStraightAway) {
  auto plan = resolve(client(0), with_menu({{"Rescue", "rescue.0", core::Ipv4{0x0a4d0002}}}), kContext);
  EXPECT_TRUE(plan.menu.empty());
  EXPECT_EQ(plan.file, "rescue.0");
  EXPECT_EQ(plan.next_server, core::Ipv4{0x0a4d0002});
  EXPECT_TRUE(mentions(plan, "Rescue")) << plan.reason;
}

TEST(Resolve, SingleLocalBootItemMeansNothingToBoot) {
  auto plan = resolve(client(0), with_menu({{"Disk", "", {}}}), kContext);
  EXPECT_TRUE(plan.none);
}

TEST(Resolve, HostOverrideOfTheArchFileWinsOverTheMenu) {
  auto boot = with_menu(kThreeItems);
  boot.hosts.push_back(host(kMac, &config::BootChoice::bios, "db-01.0"));
  auto plan = resolve(client(0), boot, kContext);
  EXPECT_TRUE(plan.menu.empty());
  EXPECT_EQ(plan.file, "db-01.0");
}

// ---- 4011 boot server requests (PXE 2.1 §2.2.6)

TEST(Resolve, BootItemRequestGetsThatItemsFileAndServer) {
  auto f = client(0);
  f.boot_item = 0x8002;
  auto plan = resolve(f, with_menu(kThreeItems), kContext);
  EXPECT_FALSE(plan.none);
  EXPECT_TRUE(plan.menu.empty());
  EXPECT_EQ(plan.file, "rescue.0");
  EXPECT_EQ(plan.next_server, core::Ipv4{0x0a4d0002});
  f.boot_item = 0x8000;
  plan = resolve(f, with_menu(kThreeItems), kContext);
  EXPECT_EQ(plan.file, "debian/pxelinux.0");
  EXPECT_EQ(plan.next_server, kServer);
}

TEST(Resolve, UnknownBootItemGetsNothing) {
  for (std::uint16_t type : {0x8001, 0x8003, 0x7fff, 0xffff}) {  // 0x8001: local boot, not ours to serve
    auto f = client(0);
    f.boot_item = type;
    EXPECT_TRUE(resolve(f, with_menu(kThreeItems), kContext).none) << type;
  }
}

TEST(Resolve, BootItemWithoutAMenuGetsTheArchFileAsDnsmasqAnswers) {
  auto f = client(0);
  f.boot_item = 0x8000;
  auto plan = resolve(f, site(), kContext);  // no menu at all: FIRMWARE.md 30
  EXPECT_FALSE(plan.none);
  EXPECT_EQ(plan.file, "lpxelinux.0");
  EXPECT_NE(plan.reason.find("without a [boot] menu"), std::string::npos) << plan.reason;
  f.arch = 9;
  EXPECT_EQ(resolve(f, site(), kContext).file, "ipxe.efi");
}

TEST(Resolve, BootItemZeroIsTheBootstrapRequestAndGetsTheArchFile) {
  auto f = client(7);
  f.boot_item = 0;
  EXPECT_EQ(resolve(f, site(), kContext).file, "ipxe.efi");
  // A 4011 answer carries one file: with a BIOS menu configured too, the plain loader.
  auto bios = client(0);
  bios.boot_item = 0;
  auto plan = resolve(bios, with_menu(kThreeItems), kContext);
  EXPECT_TRUE(plan.menu.empty());
  EXPECT_EQ(plan.file, "lpxelinux.0");
}

// ---- defaults (config::Boot::defaults: a config with an inventory and [http])

config::Boot with_defaults() {
  config::Boot b;
  b.defaults.bios = "lpxelinux.0";
  b.defaults.efi64 = "efi64/syslinux.efi";
  b.defaults.ipxe = "${http}/boot.ipxe?mac=${mac}";
  b.defaults.http = "${http}/efi64/snponly.efi";
  return b;
}

TEST(ResolveDefaults, AKeyLeftOutGetsItsDefaultAndTheReasonSaysSo) {
  auto plan = resolve(client(0), with_defaults(), kContext);
  EXPECT_EQ(plan.file, "lpxelinux.0");
  EXPECT_EQ(plan.reason, "bios from [boot] bios (default)");
  plan = resolve(client(7), with_defaults(), kContext);
  EXPECT_EQ(plan.file, "efi64/syslinux.efi");
  EXPECT_TRUE(mentions(plan, "[boot] efi64 (default)")) << plan.reason;
}

TEST(ResolveDefaults, IpxeKeepsItsOwnMacForIpxeToExpand) {
  auto plan = resolve(ipxe_client(0), with_defaults(), kContext);
  EXPECT_EQ(plan.file, "http://10.77.0.1/boot.ipxe?mac=${mac}");
  EXPECT_TRUE(mentions(plan, "[boot] ipxe (default)")) << plan.reason;
}

TEST(ResolveDefaults, WhatBootSaysWinsAndThenAHostsKey) {
  auto b = with_defaults();
  b.choice.bios = "undionly.kpxe";
  b.hosts.push_back(host(kMac, &config::BootChoice::efi64, "grubx64.efi"));
  auto plan = resolve(client(0), b, kContext);
  EXPECT_EQ(plan.file, "undionly.kpxe");
  EXPECT_EQ(plan.reason, "bios from [boot] bios");
  EXPECT_EQ(resolve(client(9), b, kContext).file, "grubx64.efi");
  auto other = client(9);
  other.mac = kOtherMac;
  EXPECT_EQ(resolve(other, b, kContext).file, "efi64/syslinux.efi");
}

TEST(ResolveDefaults, Efi64HttpBootGetsSnponlyNotThePxeLoader) {
  auto plan = resolve(http_client(16), with_defaults(), kContext);
  EXPECT_EQ(plan.file, "http://10.77.0.1/efi64/snponly.efi");
  EXPECT_TRUE(mentions(plan, "[boot] http (default)")) << plan.reason;
  // Without [http] there is no http default, and syslinux.efi cannot start from HTTP boot.
  auto no_http = with_defaults();
  no_http.defaults.http.clear();
  EXPECT_TRUE(resolve(http_client(16), no_http, kContext).none);
}

TEST(ResolveDefaults, OtherFirmwareGetsNoX86Default) {
  EXPECT_TRUE(resolve(client(6), with_defaults(), kContext).none);        // efi32
  EXPECT_TRUE(resolve(client(11), with_defaults(), kContext).none);       // arm64
  EXPECT_TRUE(resolve(http_client(19), with_defaults(), kContext).none);  // arm64 HTTP boot
}

TEST(FirmwareNames, NameTheFirstArchOfTheirFirmware) {
  for (std::uint16_t arch : {0, 6, 7, 10, 11, 16, 19}) {
    EXPECT_EQ(arch_of(to_string(firmware_of(arch))), arch) << arch;
  }
  EXPECT_EQ(arch_of("efi64"), 7);  // 7 and 9 are both efi64: the first stands for both
  EXPECT_FALSE(arch_of("unknown"));
  EXPECT_FALSE(arch_of("efi64-http"));
}

TEST(ContextFor, BaseUrlWinsOverWhereTheClientCameFrom) {
  config::Http http;
  http.base_url = "http://boot.lab";
  EXPECT_EQ(context_for(http, kServer, {"[fd00::1]", 8080}).http_base, "http://boot.lab");
}

TEST(ContextFor, AnIpv4ClientGetsTheAddressItReachedAndThePortOfItsListenEntry) {
  config::Http http;
  http.listen = {"10.77.0.1", 80};
  http.listen_also = {{"10.78.0.1", 8080}, {"fd00::1", 8081}};
  EXPECT_EQ(context_for(http, kServer).http_base, "http://10.77.0.1");
  // Over HTTP: the listener's own port, not the first entry's.
  EXPECT_EQ(context_for(http, *core::Ipv4::parse("10.78.0.1"), {"10.78.0.1", 8080}).http_base, "http://10.78.0.1:8080");
  // Over TFTP or DHCP (no HTTP port): the entry that listens on that address.
  EXPECT_EQ(context_for(http, *core::Ipv4::parse("10.78.0.1")).http_base, "http://10.78.0.1:8080");
}

TEST(ContextFor, AnIpv6ClientGetsABracketedLiteralNotZeros) {
  config::Http http;
  http.listen = {"0.0.0.0", 80};
  http.listen_also = {{"::", 8080}};
  EXPECT_EQ(context_for(http, core::Ipv4{}, {"[fd00::1]", 8080}).http_base, "http://[fd00::1]:8080");
  EXPECT_EQ(context_for(http, core::Ipv4{}, {"[fd00::1]", 80}).http_base, "http://[fd00::1]");
  // ${server} too: the bracketed literal, not 0.0.0.0.
  EXPECT_EQ(context_for(http, core::Ipv4{}, {"[fd00::1]", 8080}).server_text(), "[fd00::1]");
  EXPECT_EQ(context_for(http, kServer, {"10.77.0.1", 80}).server_text(), "10.77.0.1");
  // A TFTP client over IPv6: the IPv6 wildcard entry's port.
  EXPECT_EQ(context_for(http, core::Ipv4{}, {"[fd00::1]", 0}).http_base, "http://[fd00::1]:8080");
  // An IPv4 client of the same server: the IPv4 wildcard's port.
  EXPECT_EQ(context_for(http, kServer).http_base, "http://10.77.0.1");
}

}  // namespace
}  // namespace pxed::boot
