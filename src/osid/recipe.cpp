#include "osid/recipe.hpp"

#include <algorithm>
#include <array>

#include "osid/recipe_support.hpp"

namespace pxed::osid {
namespace recipe_detail {
namespace {

using Why = std::string;

bool one_of(std::string_view value, std::initializer_list<std::string_view> set) {
  return std::ranges::find(set, value) != set.end();
}

// "6.10" -> 6; 0 when the version does not start with a number.
int major_version(std::string_view version) {
  int major = 0;
  for (char ch : version) {
    if (ch < '0' || ch > '9' || major > 1000) break;
    major = major * 10 + (ch - '0');
  }
  return major;
}

// The osinfo path when the image has it, else the first known location.
std::optional<std::string> find(const Context& c, std::string_view osinfo_path,
                                std::initializer_list<std::string_view> known) {
  if (!osinfo_path.empty())
    if (auto found = locate(c.files, osinfo_path)) return found;
  return locate_first(c.files, known);
}

bool has_dir(const Context& c, std::string_view dir) {
  const auto slash = dir.rfind('/');
  const std::string_view parent = slash == std::string_view::npos ? std::string_view{} : dir.substr(0, slash);
  const std::string_view name = slash == std::string_view::npos ? dir : dir.substr(slash + 1);
  const auto names = c.files.list(parent);
  return std::ranges::find(names, name) != names.end();
}

Recipe linux_entry(const Context& c, std::string_view rule, std::string_view kind, const std::string& kernel,
                   const std::vector<std::string>& initrds, std::string args) {
  Recipe r;
  r.method = BootMethod::linux;
  r.rule = std::string(rule);
  r.label = c.name() + " (" + std::string(kind) + ")";
  r.kernel = c.url(kernel);
  for (const auto& path : initrds) r.initrd.push_back({c.url(path), ""});
  r.args = std::move(args);
  std::string files = kernel;
  for (const auto& path : initrds) files += ", " + path;
  r.reason = files + " in the image";
  return r;
}

std::string no_kernel(std::string_view family, std::string_view where) {
  return std::string(family) + ": no kernel at " + std::string(where);
}

// anaconda (Fedora, RHEL and rebuilds): the image is the install tree.
std::optional<Recipe> anaconda(const Context& c, Why& why) {
  const std::string_view osk = c.os ? std::string_view(c.os->kernel) : "";
  const std::string_view osi = c.os ? std::string_view(c.os->initrd) : "";
  auto kernel = find(c, osk, {"images/pxeboot/vmlinuz", "isolinux/vmlinuz"});
  auto initrd = find(c, osi, {"images/pxeboot/initrd.img", "isolinux/initrd.img"});
  if (!kernel || !initrd) return why = no_kernel("anaconda", "images/pxeboot/ or isolinux/"), std::nullopt;
  // A DVD carries a repository; a boot/netinst image only the installer
  // (images/install.img), its packages come from the distribution's mirrors.
  const bool repository = locate_first(c.files, {"repodata/repomd.xml", "BaseOS/repodata/repomd.xml"}).has_value();
  if (!repository && !locate(c.files, "images/install.img"))
    return why = "anaconda: neither a repository nor images/install.img (a live image?)", std::nullopt;
  // RHEL/CentOS 6 and older read repo= (inst.* came with RHEL 7).
  const bool old = c.os && one_of(c.os->distro, {"rhel", "centos"}) &&
                   major_version(c.os->version) > 0 && major_version(c.os->version) < 7;
  std::string args;
  if (repository) args = (old ? "repo=" : "inst.repo=") + c.image.base_url;
  else args = (old ? "stage2=" + c.url("images/install.img") : "inst.stage2=" + c.image.base_url);
  Recipe r = linux_entry(c, "anaconda", "installer", *kernel, {*initrd}, args);
  r.reason += repository ? "; a repository (repodata) in the image: it is the install source"
                         : "; no repository in the image: installer from it, packages from the network";
  if (!repository) r.caveats.push_back("packages come from the distribution's mirrors: the machine needs them");
  return r;
}

// dracut's live images (Fedora live, CentOS/Alma live): dmsquash-live with
// livenet downloads the whole image and boots from it in RAM.
std::optional<Recipe> dracut_live(const Context& c, Why& why) {
  const std::string_view osk = c.os ? std::string_view(c.os->kernel) : "";
  const std::string_view osi = c.os ? std::string_view(c.os->initrd) : "";
  auto kernel = find(c, osk, {"images/pxeboot/vmlinuz", "isolinux/vmlinuz", "isolinux/vmlinuz0"});
  auto initrd = find(c, osi, {"images/pxeboot/initrd.img", "isolinux/initrd.img", "isolinux/initrd0.img"});
  if (!kernel || !initrd) return why = no_kernel("dracut live", "images/pxeboot/ or isolinux/"), std::nullopt;
  Recipe r = linux_entry(c, "dracut-live", "live", *kernel, {*initrd},
                         "root=live:" + c.image.image_url + " rd.live.image rd.neednet=1 ip=dhcp");
  r.reason += "; live image: root=live: the image's URL (dracut livenet)";
  r.caveats.push_back("the whole image is downloaded into RAM: the machine needs RAM for it and the system");
  return r;
}

// casper (Ubuntu desktop live and the subiquity server installer): casper
// downloads the image (url=) and mounts it as if it were the CD.
std::optional<Recipe> casper(const Context& c, Why& why) {
  const std::string_view osk = c.os ? std::string_view(c.os->kernel) : "";
  const std::string_view osi = c.os ? std::string_view(c.os->initrd) : "";
  auto kernel = find(c, osk, {"casper/vmlinuz", "casper/vmlinuz.efi"});
  auto initrd = find(c, osi, {"casper/initrd", "casper/initrd.lz", "casper/initrd.gz"});
  if (!kernel || !initrd) return why = no_kernel("casper", "casper/"), std::nullopt;
  // As Ubuntu's netboot how-to: the image's URL and DHCP. cloud-init also
  // reads url= as a config URL and downloads the whole image a second time
  // (canonical/cloud-init#3893); cloud-config-url=/dev/null stops it, as the
  // how-to now says (canonical/ubuntu-server-documentation#214). url= rather
  // than casper's newer iso-url=: older casper knows only url=.
  Recipe r = linux_entry(c, "casper", "live", *kernel, {*initrd},
                         "boot=casper ip=dhcp url=" + c.image.image_url + " cloud-config-url=/dev/null ---");
  r.reason += "; casper fetches the image itself (url=)";
  r.caveats.push_back("the whole image is downloaded into RAM: the machine needs about twice its size");
  return r;
}

// live-boot (Debian live): fetch= downloads the squashfs into RAM.
std::optional<Recipe> debian_live(const Context& c, Why& why) {
  auto squashfs = locate(c.files, "live/filesystem.squashfs");
  if (!squashfs) return why = "debian live: no live/filesystem.squashfs", std::nullopt;
  std::optional<std::string> kernel = locate(c.files, "live/vmlinuz");
  std::optional<std::string> initrd = locate(c.files, "live/initrd.img");
  // live-build names them after the kernel's version when it has several.
  for (const auto& name : c.files.list("live")) {
    if (!kernel && name.starts_with("vmlinuz")) kernel = "live/" + name;
    if (!initrd && name.starts_with("initrd")) initrd = "live/" + name;
  }
  if (!kernel || !initrd || !c.files.is_file(*kernel) || !c.files.is_file(*initrd))
    return why = no_kernel("debian live", "live/"), std::nullopt;
  Recipe r = linux_entry(c, "live-boot", "live", *kernel, {*initrd},
                         "boot=live components fetch=" + c.url(*squashfs));
  r.reason += "; live-boot fetches " + *squashfs;
  r.caveats.push_back("the squashfs is downloaded into RAM");
  return r;
}

// debian-installer from a Debian (or Ubuntu <= 18.04) installer image.
std::optional<Recipe> debian_installer(const Context& c, Why& why) {
  const std::string_view osk = c.os ? std::string_view(c.os->kernel) : "";
  const std::string_view osi = c.os ? std::string_view(c.os->initrd) : "";
  auto kernel = find(c, osk, {"install.amd/vmlinuz", "install.386/vmlinuz", "install.a64/vmlinuz", "install/vmlinuz"});
  auto initrd = find(c, osi, {"install.amd/initrd.gz", "install.386/initrd.gz", "install.a64/initrd.gz",
                              "install/initrd.gz"});
  if (!kernel || !initrd) return why = no_kernel("debian-installer", "install.*/"), std::nullopt;
  if (!c.options.debian_netboot) {
    // The image's initrd is d-i's "cdrom" flavour: it loads its components
    // from a CD-ROM (cdrom-detect, cdrom-retriever) and has no way to fetch
    // them over HTTP, so it stops at "No common CD-ROM drive was detected".
    Recipe r;
    r.rule = "debian-installer";
    r.label = c.name() + " (installer)";
    r.reason = "the image's installer (" + *kernel + ", " + *initrd +
               ") looks for a CD-ROM and cannot load its components over the network; "
               "a netboot installer of the same release (debian-installer-<n>-netboot-<arch>) can use the image "
               "as its mirror";
    return r;
  }
  // The image's dists/ and pool/ as d-i's mirror. Its Release file is not
  // signed (a CD is trusted as a whole), hence allow_unauthenticated.
  const std::string& base = c.image.base_url;
  const auto scheme_end = base.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "http" : base.substr(0, scheme_end);
  const std::string rest = scheme_end == std::string::npos ? base : base.substr(scheme_end + 3);
  const auto slash = rest.find('/');
  const std::string host = rest.substr(0, slash);
  std::string directory = slash == std::string::npos ? "/" : rest.substr(slash);
  if (directory.size() > 1 && directory.back() == '/') directory.pop_back();
  Recipe r;
  r.method = BootMethod::linux;
  r.rule = "debian-installer";
  r.label = c.name() + " (installer)";
  r.kernel = command_line_url(c.options.debian_netboot->kernel_url);
  r.initrd.push_back({command_line_url(c.options.debian_netboot->initrd_url), ""});
  r.args = "mirror/country=manual mirror/protocol=" + scheme + " mirror/" + scheme + "/hostname=" + host +
           " mirror/" + scheme + "/directory=" + directory + " mirror/" + scheme +
           "/proxy= debian-installer/allow_unauthenticated=true";
  r.reason = "the netboot installer given, with the image (dists/, pool/) as its mirror";
  r.caveats.push_back("the netboot installer must be the image's release: its kernel modules come from the image");
  r.caveats.push_back("only the packages the image carries can be installed without another mirror");
  return r;
}

// linuxrc (openSUSE, SLES): install= the image as the installation source.
std::optional<Recipe> suse(const Context& c, Why& why) {
  const std::string_view osk = c.os ? std::string_view(c.os->kernel) : "";
  const std::string_view osi = c.os ? std::string_view(c.os->initrd) : "";
  auto kernel = find(c, osk, {"boot/x86_64/loader/linux", "boot/aarch64/linux", "boot/i386/loader/linux",
                              "boot/ppc64le/linux"});
  auto initrd = find(c, osi, {"boot/x86_64/loader/initrd", "boot/aarch64/initrd", "boot/i386/loader/initrd",
                              "boot/ppc64le/initrd"});
  if (!kernel || !initrd) return why = no_kernel("linuxrc", "boot/<arch>/loader/"), std::nullopt;
  Recipe r = linux_entry(c, "linuxrc", "installer", *kernel, {*initrd}, "install=" + c.image.base_url);
  r.reason += "; linuxrc installs from the image (install=)";
  return r;
}

// Alpine: kernel, initramfs and modloop share a flavor suffix ("lts", "virt").
std::optional<Recipe> alpine(const Context& c, Why& why) {
  std::vector<std::string> flavors;
  for (const auto& name : c.files.list("boot")) {
    if (!name.starts_with("vmlinuz-")) continue;
    const std::string flavor = name.substr(8);
    if (c.files.is_file("boot/initramfs-" + flavor) && c.files.is_file("boot/modloop-" + flavor))
      flavors.push_back(flavor);
  }
  if (flavors.empty()) return why = "alpine: no boot/vmlinuz-<flavor> with its initramfs and modloop", std::nullopt;
  const auto lts = std::ranges::find(flavors, "lts");
  const std::string flavor = lts != flavors.end() ? *lts : flavors.front();
  Recipe r = linux_entry(c, "alpine", "live", "boot/vmlinuz-" + flavor, {"boot/initramfs-" + flavor},
                         "ip=dhcp alpine_repo=" + c.url("apks") + " modloop=" + c.url("boot/modloop-" + flavor) +
                             " modules=loop,squashfs");
  r.reason += "; flavor " + flavor + (flavors.size() > 1 ? " (of " + std::to_string(flavors.size()) + ")" : "") +
              ", the image's apks/ as the repository";
  return r;
}

// archiso: the initramfs fetches airootfs over HTTP from archiso_http_srv.
std::optional<Recipe> archiso(const Context& c, Why& why) {
  auto kernel = locate_first(c.files, {"arch/boot/x86_64/vmlinuz-linux", "arch/boot/x86_64/vmlinuz"});
  auto initrd = locate_first(c.files, {"arch/boot/x86_64/initramfs-linux.img", "arch/boot/x86_64/archiso.img"});
  if (!kernel || !initrd) return why = no_kernel("archiso", "arch/boot/x86_64/"), std::nullopt;
  std::vector<std::string> initrds;
  // Microcode goes first, as archiso's own PXE entries load it.
  for (auto ucode : {"arch/boot/intel-ucode.img", "arch/boot/amd-ucode.img"})
    if (auto found = locate(c.files, ucode)) initrds.push_back(*found);
  initrds.push_back(*initrd);
  Recipe r = linux_entry(c, "archiso", "live", *kernel, initrds,
                         "archisobasedir=arch archiso_http_srv=" + c.image.base_url + " ip=dhcp");
  r.reason += "; archiso fetches airootfs from the image (archiso_http_srv=)";
  r.caveats.push_back("airootfs is downloaded into RAM");
  return r;
}

// Windows Setup and PE: wimboot loads the boot manager, the BCD, boot.sdi
// and boot.wim (ipxe.org/wimboot). Names as the image spells them (UDF keeps
// case; locate() compares without it when the exact spelling is absent).
std::optional<Recipe> windows(const Context& c, Why& why) {
  auto bios_bcd = locate(c.files, "boot/bcd");
  auto efi_bcd = locate(c.files, "efi/microsoft/boot/bcd");
  auto sdi = locate(c.files, "boot/boot.sdi");
  auto wim = locate(c.files, "sources/boot.wim");
  if ((!bios_bcd && !efi_bcd) || !sdi || !wim) {
    return why = "windows: no boot/bcd (or efi/microsoft/boot/bcd), boot/boot.sdi and sources/boot.wim", std::nullopt;
  }
  Recipe r;
  r.rule = "wimboot";
  r.label = c.name() + " (Windows PE)";
  if (!c.options.wimboot_url) {
    r.reason = "wimboot is not in the tree";
    return r;
  }
  r.method = BootMethod::wimboot;
  r.kernel = command_line_url(*c.options.wimboot_url);
  const bool bios = c.options.firmware != Firmware::efi;
  const bool efi = c.options.firmware != Firmware::bios;
  auto add = [&](const std::string& path, std::string name, Firmware firmware) {
    if ((firmware == Firmware::bios && !bios) || (firmware == Firmware::efi && !efi)) return;
    r.initrd.push_back({c.url(path), std::move(name), c.options.firmware == Firmware::any ? firmware : Firmware::any});
  };
  // The boot manager of each firmware; without one wimboot takes it from
  // boot.wim (bootmgr.exe, bootmgfw.efi).
  if (auto bootmgr = locate(c.files, "bootmgr")) add(*bootmgr, "bootmgr", Firmware::bios);
  if (auto bootx64 = locate(c.files, "efi/boot/bootx64.efi")) add(*bootx64, "bootx64.efi", Firmware::efi);
  // Each firmware's own BCD when the image has both; wimboot rewrites .exe
  // to .efi in a BIOS BCD on UEFI, so one serves both.
  if (bios_bcd && efi_bcd) {
    add(*bios_bcd, "BCD", Firmware::bios);
    add(*efi_bcd, "BCD", Firmware::efi);
  } else {
    add(bios_bcd ? *bios_bcd : *efi_bcd, "BCD", Firmware::any);
  }
  add(*sdi, "boot.sdi", Firmware::any);
  add(*wim, "boot.wim", Firmware::any);
  r.reason = "wimboot with " + (bios_bcd ? *bios_bcd : *efi_bcd) + ", " + *sdi + " and " + *wim + " from the image";
  r.caveats.push_back("Setup then asks for its install source (sources/install.wim): share the image over SMB");
  r.caveats.push_back("wimboot is not signed for Secure Boot");
  return r;
}

// memtest86+: 6 and later build one binary (mt86plus) that boots through
// the Linux boot protocols on BIOS and EFI; 5 had memtest.bin (BIOS only).
std::optional<Recipe> memtest(const Context& c, Why& why) {
  const bool by_volume = c.image.volume_id.starts_with("MT86PLUS");
  std::optional<std::string> both = locate_first(
      c.files, {"EFI/BOOT/memtest", "boot/memtest", by_volume ? "EFI/BOOT/bootx64.efi" : ""});
  std::optional<std::string> bios = locate_first(c.files, {"boot/memtest.bin", "boot/memtest86+.bin"});
  std::optional<std::string> efi = locate_first(c.files, {"boot/memtest.efi", "EFI/BOOT/memtest.efi"});
  Recipe r;
  if (both) {
    r = linux_entry(c, "memtest86+", "memory test", *both, {}, "");
  } else if (bios && c.options.firmware != Firmware::efi) {
    r = linux_entry(c, "memtest86+", "memory test", *bios, {}, "");
    r.firmware = Firmware::bios;
  } else if (efi && c.options.firmware != Firmware::bios) {
    r = linux_entry(c, "memtest86+", "memory test", *efi, {}, "");
    r.firmware = Firmware::efi;
  } else {
    return why = "memtest86+: no binary for this firmware", std::nullopt;
  }
  r.reason += "; loaded as a Linux kernel";
  return r;
}

struct Family {
  std::string_view name;
  // Step 1: the osinfo match says it is this family.
  bool (*claims)(const OsMatch& os);
  // Step 2: the image's files say so.
  bool (*recognises)(const Context& c);
  std::optional<Recipe> (*make)(const Context& c, Why& why);
};

bool anaconda_distro(const OsMatch& os) {
  return one_of(os.distro, {"fedora", "rhel", "centos", "rocky", "almalinux", "ol", "scientificlinux", "circle",
                            "eurolinux", "navy"});
}

// Which Family in `kFamilies` claims or recognises an image; order matters:
// the more specific layout first.
constexpr std::array kFamilies{
    Family{"windows", [](const OsMatch& os) { return os.distro == "win" || os.family == "winnt"; },
           [](const Context& c) { return locate(c.files, "sources/boot.wim").has_value(); }, windows},
    Family{"casper", [](const OsMatch& os) { return os.distro == "ubuntu" || os.distro == "linuxmint"; },
           [](const Context& c) { return has_dir(c, "casper"); }, casper},
    Family{"archiso", [](const OsMatch& os) { return os.distro == "archlinux"; },
           [](const Context& c) { return has_dir(c, "arch/boot"); }, archiso},
    Family{"alpine", [](const OsMatch& os) { return os.distro == "alpinelinux"; },
           [](const Context& c) { return has_dir(c, "apks"); }, alpine},
    Family{"linuxrc", [](const OsMatch& os) { return one_of(os.distro, {"opensuse", "sles", "sled"}) && !os.live; },
           [](const Context& c) { return locate_first(c.files, {"content", "media.1/products", "media.1/media"})
                                          .has_value(); },
           suse},
    Family{"live-boot", [](const OsMatch& os) { return os.distro == "debian"; },
           [](const Context& c) { return locate(c.files, "live/filesystem.squashfs").has_value(); }, debian_live},
    Family{"anaconda",
           [](const OsMatch& os) { return anaconda_distro(os) && !os.live; },
           [](const Context& c) { return locate_first(c.files, {".treeinfo", "images/install.img"}).has_value(); },
           anaconda},
    Family{"dracut-live", [](const OsMatch& os) { return anaconda_distro(os) && os.live; },
           [](const Context& c) { return locate(c.files, "LiveOS/squashfs.img").has_value(); }, dracut_live},
    Family{"debian-installer", [](const OsMatch& os) { return os.distro == "debian" || os.distro == "ubuntu"; },
           [](const Context& c) { return has_dir(c, "dists") && has_dir(c, "pool"); }, debian_installer},
    // Last, and never by memtest.bin or memtest86+.bin alone: distributions
    // carry those beside their own system (Ubuntu's boot/, NixOS's).
    Family{"memtest86+", [](const OsMatch&) { return false; },
           [](const Context& c) {
             return c.image.volume_id.starts_with("MT86PLUS") ||
                    locate_first(c.files, {"EFI/BOOT/memtest", "boot/memtest"}).has_value();
           },
           memtest},
};

}  // namespace

std::string Context::name() const {
  if (os && !os->name.empty()) return os->name;
  return image.volume_id.empty() ? std::string("image") : image.volume_id;
}

}  // namespace recipe_detail

std::string_view to_string(BootMethod method) {
  switch (method) {
    case BootMethod::linux: return "linux";
    case BootMethod::sanboot: return "sanboot";
    case BootMethod::memdisk: return "memdisk";
    case BootMethod::wimboot: return "wimboot";
    case BootMethod::none: return "none";
  }
  return "none";
}

std::string_view to_string(Firmware firmware) {
  switch (firmware) {
    case Firmware::any: return "any";
    case Firmware::bios: return "bios";
    case Firmware::efi: return "efi";
  }
  return "any";
}

Recipe served_with(Recipe r, const Programs& served) {
  if (r.method == BootMethod::wimboot && !served.wimboot) {
    r.method = BootMethod::none;
    r.kernel.clear();
    r.initrd.clear();
    r.reason += "; but wimboot is not in the tree: put wimboot (ipxe.org/wimboot, not packaged by Debian) at " +
                (served.root.empty() ? std::string("files.root") : served.root) + "/" + std::string(kWimbootName);
    r.caveats.clear();
  }
  if (r.method == BootMethod::memdisk && !served.memdisk) {
    r.method = BootMethod::none;
    r.kernel.clear();
    r.initrd.clear();
    r.args.clear();
    r.reason += "; but memdisk is not in the tree";
  }
  if (!r.memdisk.empty() && !served.memdisk) {
    r.memdisk.clear();
    r.caveats.push_back("pxelinux could load it with memdisk, which is not in the tree: install syslinux-common "
                        "([files] system_loaders) or put memdisk at " +
                        (served.root.empty() ? std::string("files.root") : served.root) + "/" +
                        std::string(kMemdiskName));
  }
  return r;
}

Recipe recipe_for(const std::optional<OsMatch>& os, const ImageSource& image, const ImageFiles& files,
                  const RecipeOptions& options) {
  using namespace recipe_detail;
  ImageSource safe = image;
  safe.base_url = command_line_url(image.base_url);
  if (!safe.base_url.empty() && !safe.base_url.ends_with('/')) safe.base_url += '/';
  safe.image_url = command_line_url(image.image_url);
  const Context c{os, safe, files, options};
  if (safe.base_url.empty()) {
    Recipe r;
    r.label = c.name();
    r.reason = "the image has no URL to be served from";
    return r;
  }
  std::vector<std::string> tried;
  std::vector<std::string_view> done;  // families step 1 tried already
  std::string why;
  // 1. The family osinfo-db named.
  if (os) {
    for (const Family& family : kFamilies) {
      if (!family.claims(*os)) continue;
      if (auto r = family.make(c, why)) {
        r->reason = "osinfo distro " + os->distro + " -> " + std::string(family.name) + ": " + r->reason;
        return *r;
      }
      tried.push_back(why);
      done.push_back(family.name);
    }
  }
  // 2. A family known by its files.
  for (const Family& family : kFamilies) {
    if (std::ranges::find(done, family.name) != done.end() || !family.recognises(c)) continue;
    if (auto r = family.make(c, why)) {
      r->reason = "the image's files look like " + std::string(family.name) + ": " + r->reason;
      return *r;
    }
    tried.push_back(why);
  }
  std::string all = os ? "" : "osinfo: unknown image; ";
  for (const auto& t : tried) all += t + "; ";
  // 3. The image's own boot menu.
  if (auto r = from_boot_menu(c, why)) {
    r->reason = all + r->reason;
    return *r;
  }
  all += why + "; ";
  // 4. The image as a disk.
  return last_resort(c, all);
}

}  // namespace pxed::osid
