#include "osid/recipe.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <set>

namespace pxed::osid {
namespace {

constexpr std::string_view kBase = "http://10.0.0.1/iso/x/";
constexpr std::string_view kImage = "http://10.0.0.1/iso/x.iso";

ImageSource source(std::uint64_t size = 3ull << 30, std::string volume_id = "") {
  return ImageSource{std::string(kBase), std::string(kImage), size, std::move(volume_id)};
}

OsMatch os(std::string distro, std::string name, bool live = false, std::string kernel = "", std::string initrd = "") {
  OsMatch m;
  m.distro = std::move(distro);
  m.family = m.distro == "win" ? "winnt" : "linux";
  m.name = std::move(name);
  m.live = live;
  m.kernel = std::move(kernel);
  m.initrd = std::move(initrd);
  return m;
}

std::string url(std::string_view path) { return std::string(kBase) + std::string(path); }

std::vector<Initrd> initrds(std::initializer_list<std::string_view> paths) {
  std::vector<Initrd> out;
  for (auto p : paths) out.push_back({url(p), ""});
  return out;
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// ---- families identified by osinfo ----

TEST(Recipe, AnacondaDvdIsTheInstallRepository) {
  const FileSet files{"images/pxeboot/vmlinuz", "images/pxeboot/initrd.img", "images/install.img",
                      "BaseOS/repodata/repomd.xml", ".treeinfo", "isolinux/vmlinuz", "isolinux/initrd.img"};
  const auto r = recipe_for(os("rocky", "Rocky Linux 9"), source(), files);
  EXPECT_EQ(r.method, BootMethod::linux);
  EXPECT_EQ(r.rule, "anaconda");
  EXPECT_EQ(r.kernel, url("images/pxeboot/vmlinuz"));
  EXPECT_EQ(r.initrd, initrds({"images/pxeboot/initrd.img"}));
  EXPECT_EQ(r.args, "inst.repo=" + std::string(kBase));
  EXPECT_EQ(r.label, "Rocky Linux 9 (installer)");
  EXPECT_TRUE(r.reason.starts_with("osinfo distro rocky -> anaconda: images/pxeboot/vmlinuz")) << r.reason;
  EXPECT_TRUE(r.caveats.empty());
}

TEST(Recipe, AnacondaPrefersOsinfoPathsAndBootImagesTakeStage2) {
  const FileSet files{"images/pxeboot/vmlinuz", "images/pxeboot/initrd.img", "images/install.img",
                      "isolinux/vmlinuz", "isolinux/initrd.img"};
  const auto r = recipe_for(os("fedora", "Fedora 38", false, "isolinux/vmlinuz", "isolinux/initrd.img"), source(),
                            files);
  EXPECT_EQ(r.kernel, url("isolinux/vmlinuz"));
  EXPECT_EQ(r.args, "inst.stage2=" + std::string(kBase));
  EXPECT_EQ(r.caveats.size(), 1u);

  // An osinfo path the image does not have falls back to the known ones.
  const auto missing = recipe_for(os("fedora", "Fedora 38", false, "EFI/vmlinuz", "EFI/initrd"), source(), files);
  EXPECT_EQ(missing.kernel, url("images/pxeboot/vmlinuz"));
}

TEST(Recipe, OldRhelTakesRepo) {
  auto centos6 = os("centos", "CentOS 6.10");
  centos6.version = "6.10";
  const FileSet files{"images/pxeboot/vmlinuz", "images/pxeboot/initrd.img", "repodata/repomd.xml"};
  EXPECT_EQ(recipe_for(centos6, source(), files).args, "repo=" + std::string(kBase));
  centos6.version = "7.0";
  EXPECT_EQ(recipe_for(centos6, source(), files).args, "inst.repo=" + std::string(kBase));
}

TEST(Recipe, DracutLiveBootsTheImageFromItsUrl) {
  const FileSet files{"images/pxeboot/vmlinuz", "images/pxeboot/initrd.img", "LiveOS/squashfs.img"};
  const auto r = recipe_for(os("fedora", "Fedora 38", true), source(), files);
  EXPECT_EQ(r.rule, "dracut-live");
  EXPECT_EQ(r.args, "root=live:" + std::string(kImage) + " rd.live.image rd.neednet=1 ip=dhcp");
  EXPECT_FALSE(r.caveats.empty());
}

TEST(Recipe, CasperFetchesTheImage) {
  const FileSet server{"casper/vmlinuz", "casper/initrd", "casper/ubuntu-server-minimal.squashfs"};
  const auto r = recipe_for(os("ubuntu", "Ubuntu 22.04 LTS", true, "casper/vmlinuz", "casper/initrd"), source(),
                            server);
  EXPECT_EQ(r.rule, "casper");
  EXPECT_EQ(r.kernel, url("casper/vmlinuz"));
  EXPECT_EQ(r.initrd, initrds({"casper/initrd"}));
  EXPECT_EQ(r.args, "boot=casper ip=dhcp url=" + std::string(kImage) + " cloud-config-url=/dev/null ---");

  const FileSet old_desktop{"casper/vmlinuz", "casper/initrd.lz", "casper/filesystem.squashfs"};
  EXPECT_EQ(recipe_for(os("ubuntu", "Ubuntu 16.04", true), source(), old_desktop).initrd,
            initrds({"casper/initrd.lz"}));
}

TEST(Recipe, DebianLiveFetchesTheSquashfs) {
  const FileSet files{"live/vmlinuz-6.1.0-13-amd64", "live/initrd.img-6.1.0-13-amd64", "live/filesystem.squashfs"};
  const auto r = recipe_for(os("debian", "Debian 12", true), source(), files);
  EXPECT_EQ(r.rule, "live-boot");
  EXPECT_EQ(r.kernel, url("live/vmlinuz-6.1.0-13-amd64"));
  EXPECT_EQ(r.initrd, initrds({"live/initrd.img-6.1.0-13-amd64"}));
  EXPECT_EQ(r.args, "boot=live components fetch=" + url("live/filesystem.squashfs"));
}

TEST(Recipe, DebianInstallerNeedsANetbootInstaller) {
  const FileSet files{"install.amd/vmlinuz", "install.amd/initrd.gz", "dists/bookworm/Release", "pool/main/x.deb",
                      "isolinux/isolinux.cfg"};
  const auto debian = os("debian", "Debian 12", false, "install.amd/vmlinuz", "install.amd/initrd.gz");
  const auto none = recipe_for(debian, source(), files);
  EXPECT_EQ(none.method, BootMethod::none);
  EXPECT_EQ(none.rule, "debian-installer");
  EXPECT_TRUE(contains(none.reason, "looks for a CD-ROM")) << none.reason;

  RecipeOptions options;
  options.debian_netboot = RecipeOptions::Netboot{"http://10.0.0.1/d-i/amd64/linux", "http://10.0.0.1/d-i/amd64/initrd.gz"};
  const auto r = recipe_for(debian, source(), files, options);
  EXPECT_EQ(r.method, BootMethod::linux);
  EXPECT_EQ(r.kernel, "http://10.0.0.1/d-i/amd64/linux");
  EXPECT_EQ(r.initrd, (std::vector<Initrd>{{"http://10.0.0.1/d-i/amd64/initrd.gz", ""}}));
  EXPECT_EQ(r.args,
            "mirror/country=manual mirror/protocol=http mirror/http/hostname=10.0.0.1 "
            "mirror/http/directory=/iso/x mirror/http/proxy= debian-installer/allow_unauthenticated=true");
}

TEST(Recipe, DebianMirrorFollowsTheBaseUrlsScheme) {
  const FileSet files{"install.amd/vmlinuz", "install.amd/initrd.gz", "dists/bookworm/Release", "pool/main/x.deb"};
  RecipeOptions options;
  options.debian_netboot = RecipeOptions::Netboot{"https://pxe.example:8443/linux", "https://pxe.example:8443/initrd.gz"};
  const auto r = recipe_for(std::nullopt, ImageSource{"https://pxe.example:8443/iso/debian 12/", "", 0, ""}, files,
                            options);
  EXPECT_EQ(r.rule, "debian-installer");
  EXPECT_TRUE(contains(r.args, "mirror/protocol=https mirror/https/hostname=pxe.example:8443 "
                               "mirror/https/directory=/iso/debian%2012 "))
      << r.args;
}

TEST(Recipe, SuseInstallsFromTheImage) {
  const FileSet files{"boot/x86_64/loader/linux", "boot/x86_64/loader/initrd", "media.1/products"};
  const auto r = recipe_for(os("opensuse", "openSUSE Leap 15.5"), source(), files);
  EXPECT_EQ(r.rule, "linuxrc");
  EXPECT_EQ(r.kernel, url("boot/x86_64/loader/linux"));
  EXPECT_EQ(r.args, "install=" + std::string(kBase));
}

TEST(Recipe, AlpinePicksTheFlavorFromItsFiles) {
  FileSet files{"boot/vmlinuz-virt", "boot/initramfs-virt", "boot/modloop-virt", "apks/x86_64/APKINDEX.tar.gz"};
  auto r = recipe_for(os("alpinelinux", "Alpine Linux 3.18"), source(), files);
  EXPECT_EQ(r.rule, "alpine");
  EXPECT_EQ(r.kernel, url("boot/vmlinuz-virt"));
  EXPECT_EQ(r.initrd, initrds({"boot/initramfs-virt"}));
  EXPECT_EQ(r.args, "ip=dhcp alpine_repo=" + url("apks") + " modloop=" + url("boot/modloop-virt") +
                        " modules=loop,squashfs");
  files.add("boot/vmlinuz-lts").add("boot/initramfs-lts").add("boot/modloop-lts");
  r = recipe_for(os("alpinelinux", "Alpine Linux 3.18"), source(), files);
  EXPECT_EQ(r.kernel, url("boot/vmlinuz-lts"));
  EXPECT_TRUE(contains(r.reason, "flavor lts (of 2)")) << r.reason;
}

TEST(Recipe, ArchLoadsMicrocodeFirst) {
  const FileSet files{"arch/boot/x86_64/vmlinuz-linux", "arch/boot/x86_64/initramfs-linux.img",
                      "arch/boot/intel-ucode.img", "arch/boot/amd-ucode.img", "arch/x86_64/airootfs.sfs"};
  const auto r = recipe_for(os("archlinux", "Arch Linux"), source(), files);
  EXPECT_EQ(r.rule, "archiso");
  EXPECT_EQ(r.initrd, initrds({"arch/boot/intel-ucode.img", "arch/boot/amd-ucode.img",
                               "arch/boot/x86_64/initramfs-linux.img"}));
  EXPECT_EQ(r.args, "archisobasedir=arch archiso_http_srv=" + std::string(kBase) + " ip=dhcp");
}

TEST(Recipe, WindowsNeedsWimboot) {
  // UDF names as Windows media spell them; the recipe ignores case.
  const FileSet files{"bootmgr", "BOOT/BCD", "boot/boot.sdi", "sources/boot.wim", "sources/install.wim"};
  const auto win = os("win", "Microsoft Windows 10");
  const auto none = recipe_for(win, source(), files);
  EXPECT_EQ(none.method, BootMethod::none);
  EXPECT_EQ(none.reason, "osinfo distro win -> windows: wimboot is not in the tree");

  RecipeOptions options;
  options.wimboot_url = "http://10.0.0.1/wimboot";
  const auto r = recipe_for(win, source(), files, options);
  EXPECT_EQ(r.method, BootMethod::wimboot);
  EXPECT_EQ(r.kernel, "http://10.0.0.1/wimboot");
  EXPECT_EQ(r.initrd, (std::vector<Initrd>{{url("bootmgr"), "bootmgr", Firmware::bios},
                                           {url("BOOT/BCD"), "BCD", Firmware::any},
                                           {url("boot/boot.sdi"), "boot.sdi", Firmware::any},
                                           {url("sources/boot.wim"), "boot.wim", Firmware::any}}));
  EXPECT_TRUE(r.reason.starts_with("osinfo distro win -> windows")) << r.reason;

  // Without wimboot in the tree: nothing, and where to put it.
  const auto without = served_with(r, Programs{.wimboot = false, .memdisk = true, .root = "/srv/pxe"});
  EXPECT_EQ(without.method, BootMethod::none);
  EXPECT_TRUE(without.initrd.empty());
  EXPECT_TRUE(without.reason.ends_with("but wimboot is not in the tree: put wimboot (ipxe.org/wimboot, not packaged "
                                       "by Debian) at /srv/pxe/wimboot"))
      << without.reason;
  EXPECT_EQ(served_with(r, Programs{.wimboot = true, .memdisk = false, .root = {}}), r);

  // Unknown to osinfo, known by its files.
  EXPECT_EQ(recipe_for(std::nullopt, source(), files).reason,
            "the image's files look like windows: wimboot is not in the tree");
}

// Windows 10 and later media boot both firmwares: bootmgr and boot/bcd for
// BIOS, efi/boot/bootx64.efi and efi/microsoft/boot/bcd for UEFI, each
// spelled as the image spells it.
TEST(Recipe, WindowsFilesPerFirmware) {
  const FileSet files{"bootmgr", "Boot/BCD", "Boot/boot.sdi", "efi/boot/bootx64.efi", "efi/microsoft/boot/BCD",
                      "Sources/Boot.wim"};
  RecipeOptions options;
  options.wimboot_url = "http://10.0.0.1/wimboot";
  const auto r = recipe_for(std::nullopt, source(), files, options);
  ASSERT_EQ(r.method, BootMethod::wimboot) << r.reason;
  EXPECT_EQ(r.initrd, (std::vector<Initrd>{{url("bootmgr"), "bootmgr", Firmware::bios},
                                           {url("efi/boot/bootx64.efi"), "bootx64.efi", Firmware::efi},
                                           {url("Boot/BCD"), "BCD", Firmware::bios},
                                           {url("efi/microsoft/boot/BCD"), "BCD", Firmware::efi},
                                           {url("Boot/boot.sdi"), "boot.sdi", Firmware::any},
                                           {url("Sources/Boot.wim"), "boot.wim", Firmware::any}}));
  // Asked for one firmware: its files only.
  options.firmware = Firmware::efi;
  EXPECT_EQ(recipe_for(std::nullopt, source(), files, options).initrd,
            (std::vector<Initrd>{{url("efi/boot/bootx64.efi"), "bootx64.efi"},
                                 {url("efi/microsoft/boot/BCD"), "BCD"},
                                 {url("Boot/boot.sdi"), "boot.sdi"},
                                 {url("Sources/Boot.wim"), "boot.wim"}}));
  // A UEFI-only image: its BCD serves both.
  const FileSet efi_only{"efi/microsoft/boot/bcd", "boot/boot.sdi", "sources/boot.wim"};
  options.firmware = Firmware::any;
  EXPECT_EQ(recipe_for(std::nullopt, source(), efi_only, options).initrd,
            (std::vector<Initrd>{{url("efi/microsoft/boot/bcd"), "BCD"},
                                 {url("boot/boot.sdi"), "boot.sdi"},
                                 {url("sources/boot.wim"), "boot.wim"}}));
}

// An image that answers a name in any case, as UDF and Joliet images do
// (iso::Image::resolve): the recipe still spells each file as the image does.
class AnyCase final : public ImageFiles {
 public:
  AnyCase(std::initializer_list<std::string_view> paths) : set_(paths) {
    for (auto p : paths) lower_.insert(lower(p));
  }
  bool is_file(std::string_view path) const override { return lower_.contains(lower(path)); }
  std::vector<std::string> list(std::string_view dir) const override { return set_.list(dir); }
  std::optional<std::string> read(std::string_view path, std::size_t max) const override { return set_.read(path, max); }

 private:
  static std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  }
  FileSet set_;
  std::set<std::string> lower_;
};

TEST(Recipe, WindowsFilesAreSpelledAsTheImageSpellsThem) {
  const AnyCase files{"bootmgr", "Boot/BCD", "Boot/boot.sdi", "efi/Microsoft/Boot/BCD", "sources/boot.wim"};
  EXPECT_EQ(locate(files, "boot/bcd"), "Boot/BCD");
  EXPECT_EQ(locate(files, "efi/microsoft/boot/bcd"), "efi/Microsoft/Boot/BCD");
  RecipeOptions options;
  options.wimboot_url = "http://10.0.0.1/wimboot";
  const auto r = recipe_for(std::nullopt, source(), files, options);
  ASSERT_EQ(r.method, BootMethod::wimboot) << r.reason;
  EXPECT_EQ(r.initrd[1], (Initrd{url("Boot/BCD"), "BCD", Firmware::bios}));
  EXPECT_EQ(r.initrd[2], (Initrd{url("efi/Microsoft/Boot/BCD"), "BCD", Firmware::efi}));
}

TEST(Recipe, Memtest) {
  const FileSet v7{"boot/floppy.img", "EFI/BOOT/bootx64.efi"};
  const auto r = recipe_for(std::nullopt, source(16 << 20, "MT86PLUS_64"), v7);
  EXPECT_EQ(r.method, BootMethod::linux);
  EXPECT_EQ(r.rule, "memtest86+");
  EXPECT_EQ(r.kernel, url("EFI/BOOT/bootx64.efi"));
  EXPECT_TRUE(r.initrd.empty());
  EXPECT_EQ(r.firmware, Firmware::any);

  const FileSet v5{"boot/memtest.bin", "isolinux/isolinux.bin"};
  const auto bios = recipe_for(std::nullopt, source(2 << 20, "MT86PLUS_32"), v5);
  EXPECT_EQ(bios.kernel, url("boot/memtest.bin"));
  EXPECT_EQ(bios.firmware, Firmware::bios);
  RecipeOptions efi;
  efi.firmware = Firmware::efi;
  const auto on_efi = recipe_for(std::nullopt, source(2 << 20, "MT86PLUS_32"), v5, efi);
  EXPECT_EQ(on_efi.method, BootMethod::sanboot);
  EXPECT_TRUE(contains(on_efi.reason, "memtest86+: no binary for this firmware")) << on_efi.reason;
}

// ---- unknown images ----

TEST(Recipe, AMemtestBesideASystemIsNotTheImage) {
  const FileSet ubuntu{"casper/vmlinuz", "casper/initrd", "boot/memtest86+.bin", "boot/memtest.bin"};
  EXPECT_EQ(recipe_for(std::nullopt, source(3ull << 30, "Ubuntu 24.04 LTS amd64"), ubuntu).rule, "casper");
  FileSet rescue{"boot/memtest.bin", "boot/vmlinuz", "boot/initrd"};
  rescue.add("isolinux/isolinux.cfg", "label rescue\nkernel /boot/vmlinuz\nappend initrd=/boot/initrd\n");
  EXPECT_EQ(recipe_for(std::nullopt, source(300 << 20, "RESCUE"), rescue).rule, "syslinux-menu");
}

TEST(Recipe, UnknownImagesAreKnownByTheirFiles) {
  const FileSet mint{"casper/vmlinuz", "casper/initrd.lz", "casper/filesystem.squashfs"};
  const auto r = recipe_for(std::nullopt, source(3ull << 30, "Linux Mint 21 Cinnamon 64-bit"), mint);
  EXPECT_EQ(r.rule, "casper");
  EXPECT_EQ(r.label, "Linux Mint 21 Cinnamon 64-bit (live)");
  EXPECT_TRUE(r.reason.starts_with("the image's files look like casper: ")) << r.reason;
}

TEST(Recipe, FallbackRewritesACdLabelToTheImageUrl) {
  FileSet files{"isolinux/vmlinuz", "isolinux/initrd.img"};
  files.add("isolinux/isolinux.cfg",
            "default vesamenu.c32\nlabel linux\n  menu label ^Start Spin 38\n  kernel vmlinuz\n"
            "  append initrd=initrd.img root=live:CDLABEL=Spin-38 rd.live.image quiet\n");
  const auto r = recipe_for(std::nullopt, source(2ull << 30, "Spin-38"), files);
  EXPECT_EQ(r.method, BootMethod::linux);
  EXPECT_EQ(r.rule, "syslinux-menu");
  EXPECT_EQ(r.kernel, url("isolinux/vmlinuz"));
  EXPECT_EQ(r.initrd, initrds({"isolinux/initrd.img"}));
  EXPECT_EQ(r.args, "root=live:" + std::string(kImage) + " rd.live.image quiet ip=dhcp");
  EXPECT_TRUE(contains(r.reason, "isolinux/isolinux.cfg: entry \"Start Spin 38\" (first Linux entry)")) << r.reason;
  EXPECT_TRUE(contains(r.reason, "root=live:CDLABEL=Spin-38 -> root=live:<image URL>")) << r.reason;
  EXPECT_TRUE(r.caveats.empty());
}

TEST(Recipe, FallbackDropsLoopbackArgumentsAndAddsTheNetworkSource) {
  // live/ without a kernel of its own: live-boot's rule does not apply, the menu does.
  FileSet files{"boot/vmlinuz", "boot/initrd.img", "live/filesystem.squashfs"};
  files.add("boot/grub/loopback.cfg",
            "menuentry \"Live system\" {\n linux /boot/vmlinuz boot=live components findiso=${iso_path} quiet\n"
            " initrd /boot/initrd.img\n}\n");
  const auto r = recipe_for(std::nullopt, source(), files);
  EXPECT_EQ(r.rule, "grub-menu");
  EXPECT_EQ(r.args, "boot=live components quiet fetch=" + url("live/filesystem.squashfs") + " ip=dhcp");
  EXPECT_TRUE(contains(r.reason, "debian live: no kernel at live/")) << r.reason;
  EXPECT_TRUE(contains(r.reason, "dropped findiso=${iso_path} (finds the image on a local device)")) << r.reason;
}

TEST(Recipe, FallbackInsertsBeforeTheInstallerSeparator) {
  FileSet files{"boot/k", "boot/i"};
  files.add("boot/grub/grub.cfg",
            "menuentry x {\n linux /boot/k inst.stage2=hd:LABEL=Foo-1 cdrom-detect/try-usb=true -- quiet\n"
            " initrd /boot/i\n}\n");
  const auto r = recipe_for(std::nullopt, source(), files);
  EXPECT_EQ(r.args, "inst.stage2=" + std::string(kBase) + " ip=dhcp -- quiet");
}

TEST(Recipe, FallbackSkipsAnEntryWhoseFilesAreMissing) {
  FileSet files{"boot/vmlinuz", "boot/initrd"};
  files.add("syslinux/syslinux.cfg",
            "default gone\nlabel gone\nkernel /boot/vmlinuz-old\nlabel rescue\nkernel /boot/vmlinuz\n"
            "append initrd=/boot/initrd rescue\n");
  const auto r = recipe_for(std::nullopt, source(), files);
  EXPECT_EQ(r.kernel, url("boot/vmlinuz"));
  EXPECT_EQ(r.args, "rescue");
  EXPECT_TRUE(contains(r.reason, "(the default's files are missing)")) << r.reason;
  ASSERT_EQ(r.caveats.size(), 1u);
  EXPECT_TRUE(contains(r.caveats[0], "no network source"));
}

// Found by fuzz/boot_menu_fuzz.cpp: "linux /" names the image's root, a path
// locate() cannot find and that was then read as found.
TEST(Recipe, FallbackNamesAKernelAtTheRootAsMissing) {
  FileSet files{"boot/k"};
  files.add("boot/grub/grub.cfg", "menuentry x {\n linux / quiet\n}\n");
  const auto r = recipe_for(std::nullopt, source(), files);
  EXPECT_EQ(r.method, BootMethod::sanboot);
  EXPECT_TRUE(contains(r.reason, "boot/grub/grub.cfg: entry \"x\" names \"\", not in the image")) << r.reason;
}

TEST(Recipe, LastResortIsSanbootOrMemdisk) {
  FileSet files{"README.TXT"};
  files.add("isolinux/isolinux.cfg", "label hdt\ncom32 hdt.c32\n");
  const auto r = recipe_for(std::nullopt, source(700 << 20, "RESCUE"), files);
  EXPECT_EQ(r.method, BootMethod::sanboot);
  EXPECT_EQ(r.kernel, kImage);
  EXPECT_TRUE(contains(r.reason, "osinfo: unknown image; boot menus: isolinux/isolinux.cfg: no Linux entry"))
      << r.reason;

  RecipeOptions memdisk;
  memdisk.memdisk_url = "http://10.0.0.1/memdisk";
  // For any firmware: sanboot, with memdisk for the BIOS loaders that cannot.
  const auto either = recipe_for(std::nullopt, source(20 << 20), files, memdisk);
  EXPECT_EQ(either.method, BootMethod::sanboot);
  EXPECT_EQ(either.kernel, kImage);
  EXPECT_EQ(either.memdisk, "http://10.0.0.1/memdisk");
  EXPECT_TRUE(contains(either.reason, "pxelinux on BIOS loads it whole with memdisk")) << either.reason;
  const auto no_memdisk = served_with(either, Programs{.wimboot = true, .memdisk = false, .root = "/srv/pxe"});
  EXPECT_EQ(no_memdisk.method, BootMethod::sanboot);
  EXPECT_TRUE(no_memdisk.memdisk.empty());
  EXPECT_TRUE(contains(no_memdisk.caveats.back(), "/srv/pxe/memdisk")) << no_memdisk.caveats.back();
  EXPECT_EQ(served_with(either, Programs{.wimboot = false, .memdisk = true, .root = {}}), either);
  // Exactly the limit still fits; a byte more does not.
  EXPECT_EQ(recipe_for(std::nullopt, source(kMaxMemdiskImage), files, memdisk).memdisk, "http://10.0.0.1/memdisk");
  EXPECT_EQ(recipe_for(std::nullopt, source(kMaxMemdiskImage + 1), files, memdisk).memdisk, "");

  memdisk.firmware = Firmware::bios;
  const auto small = recipe_for(std::nullopt, source(20 << 20), files, memdisk);
  EXPECT_EQ(small.method, BootMethod::memdisk);
  EXPECT_EQ(small.kernel, "http://10.0.0.1/memdisk");
  EXPECT_EQ(small.initrd, (std::vector<Initrd>{{std::string(kImage), ""}}));
  EXPECT_EQ(small.args, "iso raw");
  EXPECT_EQ(small.firmware, Firmware::bios);
  memdisk.firmware = Firmware::efi;
  EXPECT_EQ(recipe_for(std::nullopt, source(20 << 20), files, memdisk).method, BootMethod::sanboot);
  memdisk.firmware = Firmware::any;
  EXPECT_EQ(recipe_for(std::nullopt, source(200 << 20), files, memdisk).method, BootMethod::sanboot);

  const auto nothing = recipe_for(std::nullopt, ImageSource{"", "", 0, ""}, files);
  EXPECT_EQ(nothing.method, BootMethod::none);
  EXPECT_EQ(nothing.reason, "the image has no URL to be served from");
}

TEST(Recipe, AFamilyWithoutItsFilesFallsThroughWithTheReason) {
  const auto r = recipe_for(os("ubuntu", "Ubuntu 22.04 LTS", true), source(), FileSet{"README"});
  EXPECT_EQ(r.method, BootMethod::sanboot);
  EXPECT_TRUE(contains(r.reason, "casper: no kernel at casper/; debian-installer: no kernel at install.*/")) << r.reason;
}

// ---- URLs ----

TEST(RecipeUrl, PathsArePercentEncodedPerSegment) {
  EXPECT_EQ(url_of("http://h/iso/a/", "boot/memtest86+ v5.bin"), "http://h/iso/a/boot/memtest86%2B%20v5.bin");
  EXPECT_EQ(url_of("http://h/iso/a", "/x/%y"), "http://h/iso/a/x/%25y");
  EXPECT_EQ(url_of("http://h/", "caf\xc3\xa9"), "http://h/caf%C3%A9");
}

TEST(RecipeUrl, CommandLineUrlsStayOneWord) {
  EXPECT_EQ(command_line_url("http://h/iso/my image$1\".iso"), "http://h/iso/my%20image%241%22.iso");
  EXPECT_EQ(command_line_url("http://h/a%20b/?x=1&y=2"), "http://h/a%20b/?x=1&y=2");

  // The base URL as given, made safe, a missing '/' added.
  const FileSet files{"casper/vmlinuz", "casper/initrd"};
  const auto r = recipe_for(os("ubuntu", "Ubuntu"), ImageSource{"http://h/iso/my iso", "http://h/iso/my iso.iso", 1, ""},
                            files);
  EXPECT_EQ(r.kernel, "http://h/iso/my%20iso/casper/vmlinuz");
  EXPECT_TRUE(contains(r.args, "url=http://h/iso/my%20iso.iso ")) << r.args;
}

TEST(RecipeNames, MethodsAndFirmware) {
  EXPECT_EQ(to_string(BootMethod::linux), "linux");
  EXPECT_EQ(to_string(BootMethod::wimboot), "wimboot");
  EXPECT_EQ(to_string(BootMethod::none), "none");
  EXPECT_EQ(to_string(Firmware::bios), "bios");
}

TEST(ImageFiles, LocateIgnoresCaseOnlyWhenItMustAndListsDirectories) {
  const FileSet files{"ISOLINUX/ISOLINUX.CFG", "isolinux/vmlinuz", "a/b/c"};
  EXPECT_EQ(locate(files, "isolinux/isolinux.cfg"), "ISOLINUX/ISOLINUX.CFG");
  EXPECT_EQ(locate(files, "/isolinux/vmlinuz"), "isolinux/vmlinuz");
  EXPECT_EQ(locate(files, "a/b"), std::nullopt);  // a directory, not a file
  EXPECT_EQ(locate(files, "nope"), std::nullopt);
  EXPECT_EQ(files.list(""), (std::vector<std::string>{"ISOLINUX", "a", "isolinux"}));
  EXPECT_EQ(files.list("a"), std::vector<std::string>{"b"});
  EXPECT_EQ(locate_first(files, {"x", "", "a/b/c"}), "a/b/c");
  EXPECT_EQ(locate(files, "isolinux/../a/./b//c"), "a/b/c");
  EXPECT_EQ(locate(files, "../a/b/c"), std::nullopt);
  EXPECT_EQ(locate(files, "a/../../a/b/c"), std::nullopt);
}

TEST(ImageFiles, LocatePrefersTheExactSpellingAndTriesTheOthersWhenItLeadsNowhere) {
  const FileSet files{"Boot/bcd", "boot/boot.sdi", "BOOT/BOOT.SDI"};
  EXPECT_EQ(locate(files, "boot/boot.sdi"), "boot/boot.sdi");
  EXPECT_EQ(locate(files, "BOOT/BOOT.SDI"), "BOOT/BOOT.SDI");
  EXPECT_EQ(locate(files, "boot/bcd"), "Boot/bcd");  // only Boot/ holds it
  EXPECT_EQ(locate(files, "boot/BCD"), "Boot/bcd");
}

// Counts the directory listings a walk reads.
class CountedFiles final : public ImageFiles {
 public:
  explicit CountedFiles(const FileSet& files) : files_(files) {}
  bool is_file(std::string_view path) const override { return files_.is_file(path); }
  std::vector<std::string> list(std::string_view dir) const override {
    ++listings;
    return files_.list(dir);
  }
  std::optional<std::string> read(std::string_view path, std::size_t max_bytes) const override {
    return files_.read(path, max_bytes);
  }
  mutable int listings = 0;

 private:
  const FileSet& files_;
};

TEST(ImageFiles, LocateGivesUpOnAnImageWithTooManySpellings) {
  // Four spellings per level, none holding the file asked for: the walk stops
  // at its budget of listings rather than trying all 4^6 paths.
  FileSet files;
  std::vector<std::string> prefixes{""};
  for (int depth = 0; depth < 6; ++depth) {
    std::vector<std::string> next;
    for (const auto& p : prefixes) {
      for (const auto* name : {"aa", "aA", "Aa", "AA"}) next.push_back(p.empty() ? name : p + "/" + name);
    }
    prefixes = std::move(next);
  }
  for (const auto& p : prefixes) files.add(p + "/x");
  CountedFiles counted(files);
  EXPECT_EQ(locate(counted, "aa/aa/aa/aa/aa/aa/y"), std::nullopt);
  EXPECT_LE(counted.listings, 64);
  EXPECT_GT(counted.listings, 6);
  EXPECT_EQ(locate(counted, "AA/AA/AA/AA/AA/AA/X"), "AA/AA/AA/AA/AA/AA/x");
}

}  // namespace
}  // namespace pxed::osid
