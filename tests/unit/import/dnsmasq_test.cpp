#include "import/dnsmasq.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/utf8.hpp"

#include <map>

#include "config/scratch.hpp"

namespace pxed::import {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct Imported {
  std::string toml;
  std::vector<std::string> notes;  // Note::to_string()
};

// One dnsmasq.conf (and any files it includes) in memory.
Imported import_text(const std::string& text, std::map<std::string, std::string> more = {}) {
  more["dnsmasq.conf"] = text;
  ConfSources sources{[&](const std::string& path) -> std::expected<std::string, std::string> {
                        auto it = more.find(path);
                        if (it == more.end()) return std::unexpected(std::string("No such file or directory"));
                        return it->second;
                      },
                      [](const std::string&) -> std::expected<std::vector<std::string>, std::string> {
                        return std::unexpected(std::string("No such file or directory"));
                      }};
  auto result = import_dnsmasq("dnsmasq.conf", sources);
  EXPECT_TRUE(result);
  Imported out;
  if (!result) return out;
  out.toml = result->toml;
  for (const auto& n : result->notes) out.notes.push_back(n.to_string());
  return out;
}

// The output read back by pxed's own config parser: what `pxed check` reads first.
config::Config parsed(const config::Scratch& scratch, const std::string& toml) {
  auto cfg = scratch.parse(toml);
  EXPECT_TRUE(cfg) << config::describe(config::errors_of(cfg)) << "\n" << toml;
  return cfg ? std::move(*cfg) : config::Config{};
}

TEST(DnsmasqImport, FullRangeBecomesASubnetWithItsNetmaskAndLeaseTime) {
  config::Scratch scratch;
  auto out = import_text("interface=eth1\ndhcp-range=10.77.0.100,10.77.0.199,255.255.255.0,12h\n"
                         "dhcp-option=3,10.77.0.254\ndhcp-option=6,10.77.0.254\n");
  EXPECT_THAT(out.notes, IsEmpty());
  auto cfg = parsed(scratch, out.toml);
  EXPECT_EQ(cfg.dhcp.mode, config::DhcpMode::full);
  EXPECT_EQ(cfg.server.interfaces, std::vector<std::string>{"eth1"});
  ASSERT_EQ(cfg.dhcp.subnets.size(), 1u);
  const auto& s = cfg.dhcp.subnets[0];
  EXPECT_EQ(s.network.to_string(), "10.77.0.0/24");
  EXPECT_EQ(s.range_first.to_string(), "10.77.0.100");
  EXPECT_EQ(s.range_last.to_string(), "10.77.0.199");
  EXPECT_EQ(s.lease_time, std::chrono::hours(12));
  EXPECT_EQ(s.router->to_string(), "10.77.0.254");
}

TEST(DnsmasqImport, RangeWithoutNetmaskOrLeaseTimeTakesSlash24AndDnsmasqsHour) {
  config::Scratch scratch;
  auto out = import_text("interface=eth1\ndhcp-range=192.168.5.50,192.168.5.150\n");
  EXPECT_THAT(out.notes, ElementsAre(HasSubstr("dnsmasq.conf:2: dhcp-range=192.168.5.50,192.168.5.150: "
                                               "approximately: no netmask"),
                                     HasSubstr("router and DNS server")));
  auto cfg = parsed(scratch, out.toml);
  ASSERT_EQ(cfg.dhcp.subnets.size(), 1u);
  EXPECT_EQ(cfg.dhcp.subnets[0].network.to_string(), "192.168.5.0/24");
  EXPECT_EQ(cfg.dhcp.subnets[0].lease_time, std::chrono::hours(1));
}

TEST(DnsmasqImport, WeeksAndInfiniteLeasesBecomeDays) {
  auto weeks = import_text("dhcp-range=10.0.0.10,10.0.0.20,255.255.255.0,2w\n");
  EXPECT_THAT(weeks.toml, HasSubstr("lease_time = \"14d\""));
  auto forever = import_text("dhcp-range=10.0.0.10,10.0.0.20,255.255.255.0,infinite\n");
  EXPECT_THAT(forever.toml, HasSubstr("lease_time = \"365d\""));
  EXPECT_THAT(forever.notes, testing::Contains(HasSubstr("pxed leases last 2m (as dnsmasq's) to 365d")));
  EXPECT_THAT(import_text("dhcp-range=10.0.0.10,10.0.0.20,255.255.255.0,30\n").toml, HasSubstr("lease_time = \"2m\""));
  EXPECT_THAT(import_text("dhcp-range=10.0.0.10,10.0.0.20,255.255.255.0,60w\n").toml,
              HasSubstr("lease_time = \"365d\""));
  EXPECT_THAT(import_text("dhcp-range=10.0.0.10,10.0.0.20,255.255.255.0,3600\n").toml,
              HasSubstr("lease_time = \"3600s\""));
}

TEST(DnsmasqImport, ProxyRangeIsProxyModeWithoutSubnets) {
  config::Scratch scratch;
  auto out = import_text("interface=eth1\ndhcp-range=10.77.0.0,proxy\ndhcp-boot=lpxelinux.0\n");
  EXPECT_THAT(out.notes, IsEmpty());
  auto cfg = parsed(scratch, out.toml);
  EXPECT_EQ(cfg.dhcp.mode, config::DhcpMode::proxy);
  EXPECT_TRUE(cfg.dhcp.subnets.empty());
  EXPECT_EQ(cfg.boot.choice.bios, "lpxelinux.0");
}

TEST(DnsmasqImport, ProxyBesideFullRangesIsNotedAndFullWins) {
  auto out = import_text("interface=eth1\ndhcp-range=10.1.0.0,proxy\n"
                         "dhcp-range=10.2.0.10,10.2.0.20,255.255.255.0\n");
  EXPECT_THAT(out.toml, HasSubstr("mode = \"full\""));
  EXPECT_THAT(out.notes, testing::Contains(HasSubstr("dnsmasq.conf:2: dhcp-range=10.1.0.0,proxy: not translated: "
                                                     "pxed runs in one mode")));
}

TEST(DnsmasqImport, RangeTagsAndInterfacePrefixesPickTheSubnetOfAnOption) {
  config::Scratch scratch;
  auto out = import_text(
      "dhcp-range=set:lan,interface:eth1,10.1.0.10,10.1.0.99,255.255.255.0,1h\n"
      "dhcp-range=set:lab,interface:eth2,10.2.0.10,10.2.0.99,255.255.255.0,2h\n"
      "dhcp-option=tag:lan,option:router,10.1.0.1\n"
      "dhcp-option=tag:lab,3,10.2.0.1\n"
      "dhcp-option=option:dns-server,10.9.9.9\n"
      "dhcp-option=tag:nowhere,3,10.1.0.1\n");
  EXPECT_THAT(out.notes, ElementsAre(HasSubstr("dnsmasq.conf:6: dhcp-option=tag:nowhere,3,10.1.0.1: not translated: "
                                               "pxed sets options per subnet; tag:nowhere names no dhcp-range")));
  auto cfg = parsed(scratch, out.toml);
  EXPECT_EQ(cfg.server.interfaces, (std::vector<std::string>{"eth1", "eth2"}));
  ASSERT_EQ(cfg.dhcp.subnets.size(), 2u);
  EXPECT_EQ(cfg.dhcp.subnets[0].router->to_string(), "10.1.0.1");
  EXPECT_EQ(cfg.dhcp.subnets[1].router->to_string(), "10.2.0.1");
  EXPECT_EQ(cfg.dhcp.subnets[1].dns.size(), 1u);
  EXPECT_EQ(cfg.dhcp.subnets[1].lease_time, std::chrono::hours(2));
}

TEST(DnsmasqImport, Ipv6AndStaticRanges) {
  auto out = import_text("interface=eth1\ndhcp-range=::1,::400,constructor:eth1,ra-names\n"
                         "dhcp-range=10.3.0.0,static,255.255.255.0\ndhcp-host=52:54:00:00:00:01,10.3.0.5\n");
  EXPECT_THAT(out.notes, testing::Contains(HasSubstr("dnsmasq.conf:2: dhcp-range=::1,::400,constructor:eth1,"
                                                     "ra-names: not translated: IPv6")));
  EXPECT_THAT(out.toml, HasSubstr("network = \"10.3.0.0/24\"\nlease_time"));
  EXPECT_THAT(out.toml, HasSubstr("ip = \"10.3.0.5\""));
}

TEST(DnsmasqImport, HostsBecomeReservationsInTheirSubnet) {
  config::Scratch scratch;
  auto out = import_text(
      "interface=eth1\ndhcp-range=10.77.0.100,10.77.0.199,255.255.255.0,12h\n"
      "dhcp-option=3,10.77.0.1\ndhcp-option=6,10.77.0.1\n"
      "dhcp-host=52:54:00:12:34:56,10.77.0.50,db-01\n"
      "dhcp-host=52:54:00:12:34:57,set:special,10.77.0.51,db-02,infinite\n"
      "dhcp-host=52:54:00:12:34:58,web-01\n"
      "dhcp-host=52:54:00:12:34:59,ignore\n"
      "dhcp-host=52:54:00:12:34:5a,192.168.1.9\n"
      "dhcp-host=id:01:02:03,10.77.0.52\n"
      "dhcp-host=52:54:00:*:*:*,10.77.0.53\n"
      "dhcp-host=52:54:00:12:34:56,10.77.0.54\n");
  auto cfg = parsed(scratch, out.toml);
  ASSERT_EQ(cfg.dhcp.subnets.size(), 1u);
  const auto& r = cfg.dhcp.subnets[0].reservations;
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].mac.to_string(), "52:54:00:12:34:56");
  EXPECT_EQ(r[0].ip.to_string(), "10.77.0.50");
  EXPECT_EQ(r[0].hostname, "db-01");
  EXPECT_EQ(r[1].hostname, "db-02");
  EXPECT_THAT(out.notes, ElementsAre(HasSubstr(":6: dhcp-host=52:54:00:12:34:57,set:special,10.77.0.51,db-02,"
                                               "infinite: approximately: pxed has one lease time per subnet"),
                                     HasSubstr(":7: dhcp-host=52:54:00:12:34:58,web-01: not translated: no IPv4"),
                                     HasSubstr(":8: dhcp-host=52:54:00:12:34:59,ignore: not translated"),
                                     HasSubstr(":9: dhcp-host=52:54:00:12:34:5a,192.168.1.9: not translated: "
                                               "192.168.1.9 is in no dhcp-range's network"),
                                     HasSubstr(":10: dhcp-host=id:01:02:03,10.77.0.52: not translated: "
                                               "pxed reserves by MAC address, not by client identifier"),
                                     HasSubstr(":11: dhcp-host=52:54:00:*:*:*,10.77.0.53: not translated: a MAC with "
                                               "wildcards"),
                                     HasSubstr(":12: dhcp-host=52:54:00:12:34:56,10.77.0.54: not translated: repeats "
                                               "the MAC")));
}

// The patterns of PXE how-tos: tags set from option 93, user class and vendor class.
TEST(DnsmasqImport, FirmwareTagsPickTheBootKeys) {
  config::Scratch scratch;
  auto out = import_text(
      "dhcp-match=set:bios,option:client-arch,0\n"
      "dhcp-match=set:efi32,option:client-arch,6\n"
      "dhcp-match=set:efi64,option:client-arch,7\n"
      "dhcp-match=set:efi64,93,9\n"
      "dhcp-vendorclass=set:arm,PXEClient:Arch:00011\n"
      "dhcp-vendorclass=set:httpboot,HTTPClient\n"
      "dhcp-match=set:ipxe,175\n"
      "dhcp-boot=tag:bios,undionly.kpxe\n"
      "dhcp-boot=tag:efi32,ipxe-i386.efi\n"
      "dhcp-boot=tag:efi64,tag:!ipxe,ipxe.efi\n"
      "dhcp-boot=tag:arm,ipxe-arm64.efi\n"
      "dhcp-boot=tag:httpboot,http://10.0.0.1/ipxe.efi\n"
      "dhcp-boot=tag:ipxe,http://10.0.0.1/boot.ipxe\n"
      "enable-tftp\ntftp-root=" + scratch.root().string() + "\n");
  EXPECT_THAT(out.notes, IsEmpty());
  auto cfg = parsed(scratch, out.toml);
  const auto& b = cfg.boot.choice;
  EXPECT_EQ(b.bios, "undionly.kpxe");
  EXPECT_EQ(b.efi32, "ipxe-i386.efi");
  EXPECT_EQ(b.efi64, "ipxe.efi");
  EXPECT_EQ(b.arm64, "ipxe-arm64.efi");
  EXPECT_EQ(b.http, "http://10.0.0.1/ipxe.efi");
  EXPECT_EQ(b.ipxe, "http://10.0.0.1/boot.ipxe");
  EXPECT_TRUE(cfg.tftp.enabled);
}

TEST(DnsmasqImport, IpxeIsKnownByUserClassOrOption77) {
  for (const auto* set : {"dhcp-userclass=set:ipxe,iPXE\n", "dhcp-match=set:ipxe,77,iPXE\n",
                          "dhcp-match=set:ipxe,option:user-class,iPXE\n"}) {
    auto out = import_text(std::string(set) + "dhcp-boot=tag:!ipxe,undionly.kpxe\n"
                                               "dhcp-boot=tag:ipxe,http://${next-server}/boot.ipxe\n");
    EXPECT_THAT(out.notes, IsEmpty()) << set;
    EXPECT_THAT(out.toml, HasSubstr("bios = \"undionly.kpxe\"\nipxe = \"http://${next-server}/boot.ipxe\"\n")) << set;
  }
}

TEST(DnsmasqImport, AnUntaggedBootFileGoesToBiosOrByItsNameToEfi64AndTaggedOnesWin) {
  auto plain = import_text("dhcp-boot=pxelinux.0\n");
  EXPECT_THAT(plain.toml, HasSubstr("[boot]\nbios = \"pxelinux.0\"\n"));
  EXPECT_THAT(plain.notes, IsEmpty());
  auto efi = import_text("dhcp-boot=grubx64.efi\n");
  EXPECT_THAT(efi.toml, HasSubstr("[boot]\nefi64 = \"grubx64.efi\"\n"));
  EXPECT_THAT(efi.notes, ElementsAre(HasSubstr("approximately: dnsmasq sends it to every client")));
  auto both = import_text("dhcp-boot=pxelinux.0\ndhcp-match=set:bios,option:client-arch,0\n"
                          "dhcp-boot=tag:bios,lpxelinux.0\ndhcp-boot=tag:bios,other.0\n");
  EXPECT_THAT(both.toml, HasSubstr("bios = \"lpxelinux.0\""));
  EXPECT_THAT(both.notes, ElementsAre("dnsmasq.conf:4: dhcp-boot=tag:bios,other.0: not translated: [boot] bios is "
                                      "already \"lpxelinux.0\" (dnsmasq.conf:3)"));
}

TEST(DnsmasqImport, TagsPxedCannotDecideOnAreNotedWithTheirLine) {
  auto out = import_text(
      "dhcp-range=set:lab,10.0.0.10,10.0.0.20,255.255.255.0\n"
      "dhcp-host=52:54:00:00:00:01,set:special,10.0.0.11\n"
      "dhcp-boot=tag:lab,lab.0\n"
      "dhcp-boot=tag:special,special.0\n"
      "dhcp-boot=tag:whatever,what.0\n"
      "dhcp-boot=pxelinux.0,boothost,10.0.0.99\n"
      "dhcp-match=set:odd,option:client-arch,10\n");
  EXPECT_THAT(out.notes,
              testing::IsSupersetOf({HasSubstr(":3: dhcp-boot=tag:lab,lab.0: not translated: tag lab picks a network"),
                                     HasSubstr(":5: dhcp-boot=tag:whatever,what.0: not translated: tag whatever is "
                                               "set by nothing pxed understands"),
                                     HasSubstr(":6: dhcp-boot=pxelinux.0,boothost,10.0.0.99: approximately: pxed "
                                               "names itself as the TFTP server"),
                                     HasSubstr(":7: dhcp-match=set:odd,option:client-arch,10: not translated: pxed "
                                               "has no [boot] key for client architecture 10")}));
  EXPECT_THAT(out.toml, HasSubstr("bios = \"pxelinux.0\""));
}

TEST(DnsmasqImport, BootFilesForTaggedHostsBecomeBootHosts) {
  config::Scratch scratch;
  auto out = import_text(
      "dhcp-match=set:efi64,option:client-arch,7\n"
      "dhcp-host=52:54:00:00:00:01,set:grub\n"
      "dhcp-host=52:54:00:00:00:02,52:54:00:00:00:03,set:grub\n"
      "dhcp-boot=tag:grub,tag:efi64,grubx64.efi\n"
      "dhcp-boot=tag:grub,pxelinux.0\n"
      "dhcp-boot=tag:efi64,ipxe.efi\n"
      "pxe-service=tag:grub,x86PC,\"Grub\",pxelinux\n");
  EXPECT_THAT(out.notes, ElementsAre(HasSubstr(":7: pxe-service=tag:grub,x86PC,\"Grub\",pxelinux: not translated: "
                                               "pxed's boot menu is the same for every BIOS machine")));
  auto cfg = parsed(scratch, out.toml);
  EXPECT_EQ(cfg.boot.choice.efi64, "ipxe.efi");
  ASSERT_EQ(cfg.boot.hosts.size(), 3u);
  EXPECT_EQ(cfg.boot.hosts[2].mac.to_string(), "52:54:00:00:00:03");
  EXPECT_EQ(cfg.boot.hosts[2].choice.efi64, "grubx64.efi");
  EXPECT_EQ(cfg.boot.hosts[2].choice.bios, "pxelinux.0");
}

TEST(DnsmasqImport, PxeServicesBecomeTheBootMenuAndUefiKeys) {
  config::Scratch scratch;
  auto out = import_text(
      "interface=eth1\ndhcp-range=10.77.0.0,proxy\n"
      "pxe-prompt=\"Press F8 for the boot menu\",5\n"
      "pxe-service=x86PC,\"Install Debian\",lpxelinux\n"
      "pxe-service=x86PC,\"Boot from local disk\",0\n"
      "pxe-service=x86PC,\"Another server\",pxelinux.0,10.77.0.9\n"
      "pxe-service=x86-64_EFI,\"UEFI\",ipxe.efi\n"
      "pxe-service=BC_EFI,\"UEFI again\",ipxe.efi\n"
      "pxe-service=x86PC,\"Search\",3\n");
  EXPECT_THAT(out.notes, ElementsAre(HasSubstr(":9: pxe-service=x86PC,\"Search\",3: not translated: boot service type 3")));
  auto cfg = parsed(scratch, out.toml);
  ASSERT_TRUE(cfg.boot.menu);
  EXPECT_EQ(cfg.boot.menu->prompt, "Press F8 for the boot menu");
  EXPECT_EQ(cfg.boot.menu->timeout, std::chrono::seconds(5));
  ASSERT_EQ(cfg.boot.menu->items.size(), 3u);
  EXPECT_EQ(cfg.boot.menu->items[0].file, "lpxelinux.0");
  EXPECT_EQ(cfg.boot.menu->items[1].file, "");
  EXPECT_EQ(cfg.boot.menu->items[2].server->to_string(), "10.77.0.9");
  EXPECT_EQ(cfg.boot.choice.efi64, "ipxe.efi");
}

TEST(DnsmasqImport, APromptWithoutTimeoutWaitsForAKey) {
  auto out = import_text("pxe-prompt=\"Choose\"\npxe-service=x86PC,\"a\",a.0\npxe-service=x86PC,\"b\",0\n");
  EXPECT_THAT(out.toml, HasSubstr("[boot.menu]\nprompt = \"Choose\"\ntimeout = 255\n"));
}

TEST(DnsmasqImport, OneServiceWithoutPromptBootsAtOnceAndAPromptAloneIsNoted) {
  auto one = import_text("pxe-service=x86PC,\"Network boot\",undionly.kpxe\n");
  EXPECT_THAT(one.toml, HasSubstr("[boot]\nbios = \"undionly.kpxe\"\n"));
  EXPECT_THAT(one.toml, testing::Not(HasSubstr("[boot.menu]")));
  auto prompt = import_text("pxe-prompt=\"Booting\",3\n");
  EXPECT_THAT(prompt.notes, ElementsAre("dnsmasq.conf:1: pxe-prompt=\"Booting\",3: not translated: a prompt needs a "
                                        "menu: no x86PC pxe-service gives it items"));
}

TEST(DnsmasqImport, OptionsByNumberAndName) {
  auto out = import_text(
      "dhcp-range=10.0.0.10,10.0.0.20,255.255.255.0\n"
      "dhcp-option=option:router,10.0.0.1,10.0.0.2\n"
      "dhcp-option=option:domain-name,lab.example\n"
      "dhcp-option=option:ntp-server,10.0.0.1\n"
      "dhcp-option=66,10.0.0.1\n"
      "dhcp-option=6,0.0.0.0\n"
      "dhcp-option=option:bootfile-name,pxelinux.0\n"
      "dhcp-option=1,255.255.255.0\n"
      "dhcp-option=252,\"\\n\"\n"
      "dhcp-option=vendor:PXEClient,6,2b\n");
  EXPECT_THAT(out.toml, HasSubstr("router = \"10.0.0.1\"\ndomain = \"lab.example\""));
  EXPECT_THAT(out.toml, HasSubstr("bios = \"pxelinux.0\""));
  EXPECT_THAT(out.notes,
              ElementsAre(HasSubstr(":1: dhcp-range=10.0.0.10,10.0.0.20,255.255.255.0: approximately: dnsmasq sends its "
                                    "own address as router and DNS server"),
                          HasSubstr(":1: dhcp-range=10.0.0.10,10.0.0.20,255.255.255.0: approximately: dnsmasq "
                                    "answered DHCP on every interface"),
                          HasSubstr(":2: dhcp-option=option:router,10.0.0.1,10.0.0.2: approximately: pxed sends one "
                                    "router: 10.0.0.1"),
                          HasSubstr(":4: dhcp-option=option:ntp-server,10.0.0.1: not translated: pxed sends no NTP"),
                          HasSubstr(":5: dhcp-option=66,10.0.0.1: approximately: pxed serves TFTP itself"),
                          HasSubstr(":6: dhcp-option=6,0.0.0.0: not translated: 0.0.0.0 is dnsmasq's own address"),
                          HasSubstr(":9: dhcp-option=252,\"\\n\": not translated: pxed sends no option 252"),
                          HasSubstr(":10: dhcp-option=vendor:PXEClient,6,2b: not translated: pxed sends no "
                                    "vendor-encapsulated options")));
}

TEST(DnsmasqImport, DomainFillsSubnetsThatOption15LeftOut) {
  auto out = import_text("dhcp-range=10.0.0.10,10.0.0.20,255.255.255.0\ndhcp-range=10.1.0.10,10.1.0.20,255.255.255.0\n"
                         "domain=one.example,10.0.0.0/24\ndomain=all.example\n");
  EXPECT_THAT(out.toml, HasSubstr("network = \"10.0.0.0/24\"\nrange = [\"10.0.0.10\", \"10.0.0.20\"]\n"
                                  "domain = \"one.example\""));
  EXPECT_THAT(out.toml, HasSubstr("network = \"10.1.0.0/24\"\nrange = [\"10.1.0.10\", \"10.1.0.20\"]\n"
                                  "domain = \"all.example\""));
}

TEST(DnsmasqImport, TftpRootAndEnableTftp) {
  auto out = import_text("enable-tftp\ntftp-root=/srv/tftp\ntftp-max=200\n");
  EXPECT_THAT(out.toml, HasSubstr("[files]\nroot = \"/srv/tftp\"\n\n[tftp]\nenabled = true\nmax_transfers = 200\n"));
  EXPECT_THAT(out.notes, IsEmpty());
  auto no_root = import_text("enable-tftp=eth1\n");
  EXPECT_THAT(no_root.toml, HasSubstr("root = \"/srv/tftp\""));
  EXPECT_THAT(no_root.notes, ElementsAre(HasSubstr("approximately: pxed's TFTP listens on [tftp] listen"),
                                         HasSubstr("approximately: no tftp-root")));
  auto off = import_text("tftp-root=/srv/tftp\n");
  EXPECT_THAT(off.toml, HasSubstr("[tftp]\nenabled = false\n"));
}

TEST(DnsmasqImport, OptionsWithNothingToSayAreQuietAndTheRestAreNoted) {
  auto quiet = import_text("port=0\nlog-dhcp\ndhcp-no-override\ndhcp-authoritative\nbind-interfaces\n"
                           "interface=eth1\n");
  EXPECT_THAT(quiet.notes, IsEmpty());
  auto loud = import_text("port=53\nserver=1.1.1.1\nexcept-interface=eth0\ntftp-unique-root\nfrobnicate=3\n");
  EXPECT_THAT(loud.notes, ElementsAre("dnsmasq.conf:1: port=53: not translated: DNS: pxed serves no DNS, keep a DNS "
                                      "server for it",
                                      HasSubstr("dnsmasq.conf:2: server=1.1.1.1: not translated: DNS"),
                                      HasSubstr("dnsmasq.conf:3: except-interface=eth0: not translated"),
                                      HasSubstr("dnsmasq.conf:4: tftp-unique-root: not translated: pxed serves one tree"),
                                      "dnsmasq.conf:5: frobnicate=3: not translated: pxed has no equivalent of "
                                      "frobnicate"));
}

TEST(DnsmasqImport, NotesOfIncludedFilesNameThoseFilesInReadingOrder) {
  auto out = import_text("conf-file=pxe.conf\nbogus-priv\nconf-file=missing.conf\n",
                         {{"pxe.conf", "enable-tftp\n\nfrobnicate\n"}});
  EXPECT_THAT(out.notes, ElementsAre(HasSubstr("dnsmasq.conf:3: conf-file=missing.conf: not translated: cannot read"),
                                     HasSubstr("pxe.conf:1: enable-tftp: approximately: no tftp-root"),
                                     HasSubstr("pxe.conf:3: frobnicate: not translated"),
                                     HasSubstr("dnsmasq.conf:2: bogus-priv: not translated")));
}

TEST(DnsmasqImport, DhcpWithoutInterfacesIsNoted) {
  auto out = import_text("dhcp-range=10.0.0.0,proxy\ndhcp-boot=pxelinux.0\n");
  EXPECT_THAT(out.notes, ElementsAre(HasSubstr("dnsmasq.conf:1: dhcp-range=10.0.0.0,proxy: approximately: dnsmasq "
                                               "answered DHCP on every interface")));
  EXPECT_THAT(out.toml, HasSubstr("interfaces = []"));
}

TEST(DnsmasqImport, TheOutputSaysWhereItCameFromAndRepeatsTheNotes) {
  auto out = import_text("frobnicate\n");
  EXPECT_THAT(out.toml, testing::StartsWith("# pxed.toml written by `pxed import dnsmasq dnsmasq.conf`."));
  EXPECT_THAT(out.toml, HasSubstr("\n# dnsmasq.conf:1: frobnicate: not translated: pxed has no equivalent"));
}

TEST(DnsmasqImport, ValuesAreEscapedForToml) {
  config::Scratch scratch;
  auto out = import_text("pxe-prompt=\"say \\\"hi\\\" \\\\ now\",3\npxe-service=x86PC,\"a\",a.0\n"
                         "pxe-service=x86PC,\"b\",b.0\n");
  auto cfg = parsed(scratch, out.toml);
  ASSERT_TRUE(cfg.boot.menu);
  EXPECT_EQ(cfg.boot.menu->prompt, "say \"hi\" \\ now");
}

TEST(DnsmasqImport, LinesThatAreNotUtf8AreNotedAndTheFileStaysToml) {
  config::Scratch scratch;
  auto out = import_text("pxe-prompt=\"Caf\xe9\",5\npxe-service=x86PC,\"a\",a.0\npxe-service=x86PC,\"b\x02\",0\n"
                         "foo\x03\xff\n",
                         {});
  EXPECT_THAT(out.notes, ElementsAre(HasSubstr(":1: pxe-prompt=\"Caf\xe9\",5: not translated: not UTF-8"),
                                     HasSubstr(":4: foo\x03\xff: not translated: not UTF-8")));
  EXPECT_THAT(out.toml, HasSubstr("# dnsmasq.conf:4: foo??: not translated"));
  auto cfg = parsed(scratch, out.toml);
  ASSERT_TRUE(cfg.boot.menu);
  EXPECT_EQ(cfg.boot.menu->items[1].label, "b\x02");
}

TEST(DnsmasqConfText, Utf8IsCheckedAsRfc3629Says) {
  EXPECT_TRUE(core::valid_utf8("plain, caf\xc3\xa9, \xe2\x82\xac, \xf0\x9f\x98\x80"));
  EXPECT_FALSE(core::valid_utf8("\xe9"));          // Latin-1
  EXPECT_FALSE(core::valid_utf8("\xc0\xaf"));      // overlong '/'
  EXPECT_FALSE(core::valid_utf8("\xed\xa0\x80"));  // a surrogate
  EXPECT_FALSE(core::valid_utf8("\xe2\x82"));      // cut short
}

}  // namespace
}  // namespace pxed::import
