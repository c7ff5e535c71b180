#pragma once
// How an image boots over the network from its own files: "this image,
// identified so, served at this URL" in, one boot entry out (kernel, initrds
// and the installer's network-install arguments, or sanboot/memdisk/wimboot),
// with the rule that produced it as a reason, as identify() gives one.
// Pure: the image is asked through ImageFiles, nothing is fetched.
//
// The rules, in order (docs/images.md, "How each image boots"):
//  1. the family osinfo-db identified (distro): anaconda, dracut live, casper,
//     Debian live / installer, SUSE linuxrc, Alpine, archiso, Windows;
//  2. for an unknown image (or a family whose files are not there): the same
//     families recognised by their files (casper/, live/, arch/boot/, ...),
//     memtest86+ and Windows media;
//  3. the image's own boot menu (isolinux/syslinux, GRUB grub.cfg and
//     loopback.cfg), its first or default entry, with arguments that look for
//     a CD replaced by the image's URL;
//  4. iPXE's sanboot of the whole image (memdisk for a small image on BIOS
//     when memdisk is in the tree).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "osid/identify.hpp"
#include "osid/image_files.hpp"

namespace pxed::osid {

enum class BootMethod { linux, sanboot, memdisk, wimboot, none };
std::string_view to_string(BootMethod method);  // "linux", "sanboot", ...

// Which firmware an entry boots on.
enum class Firmware { any, bios, efi };
std::string_view to_string(Firmware firmware);

struct Initrd {
  std::string url;
  // The name wimboot knows the file by ("bootmgr", "BCD", "boot.sdi",
  // "boot.wim"); "" for a Linux initrd.
  std::string name;
  // wimboot's files differ by firmware: bootmgr and boot/bcd for BIOS,
  // bootx64.efi and efi/microsoft/boot/bcd for UEFI.
  Firmware firmware = Firmware::any;
  bool operator==(const Initrd&) const = default;
};

struct Recipe {
  BootMethod method = BootMethod::none;
  std::string label;  // "Ubuntu 22.04 LTS (live, casper)"
  // linux: the kernel's URL; wimboot and memdisk: that program's URL (from
  // RecipeOptions); sanboot: the image's URL.
  std::string kernel;
  std::vector<Initrd> initrd;  // in load order (microcode first)
  std::string args;            // the kernel command line, URLs percent-encoded
  Firmware firmware = Firmware::any;
  // sanboot of a small image (kMaxMemdiskImage): memdisk's URL, how a BIOS
  // loader that cannot sanboot (pxelinux) boots the image instead; empty:
  // too big, or no memdisk.
  std::string memdisk;
  std::string rule;    // the rule's short name: "anaconda", "casper", "syslinux-config", ...
  // Which rule produced the entry and from what ("osinfo distro ubuntu;
  // casper/vmlinuz and casper/initrd in the image; url= the image"); for none,
  // why nothing boots.
  std::string reason;
  // What is known not to work, or to cost (RAM for a downloaded image).
  std::vector<std::string> caveats;
  bool operator==(const Recipe&) const = default;
};

// Where the image is served, as its clients reach it.
struct ImageSource {
  // The image as a folder, percent-encoded as the client must send it:
  // "http://10.0.0.1/iso/ubuntu-22.04/". A missing final '/' is added.
  std::string base_url;
  // The image file itself: "http://10.0.0.1/iso/ubuntu-22.04.iso".
  std::string image_url;
  std::uint64_t image_size = 0;
  // The primary volume descriptor's volume id: memtest86+ ("MT86PLUS_64")
  // is not in osinfo-db.
  std::string volume_id;
};

struct RecipeOptions {
  // wimboot's URL when the tree has it (ipxe.org/wimboot); Windows media
  // boot only through it.
  std::optional<std::string> wimboot_url;
  // syslinux's memdisk when the tree has it: small images on BIOS.
  std::optional<std::string> memdisk_url;
  // Debian's netboot installer of the same release (kernel and initrd URLs,
  // e.g. from debian-installer-12-netboot-amd64): a Debian installer image's
  // own initrd looks for a CD-ROM, the netboot one can take the image's
  // dists/ and pool/ as its mirror.
  struct Netboot {
    std::string kernel_url;
    std::string initrd_url;
  };
  std::optional<Netboot> debian_netboot;
  // The firmware asking: an image with a file per firmware (memtest86+ 5)
  // and memdisk (BIOS only) decide by it; `any` prefers what boots on both.
  Firmware firmware = Firmware::any;
};

// Images at most this big may go to memdisk (it holds the whole image in
// RAM below 4 GiB on BIOS machines).
inline constexpr std::uint64_t kMaxMemdiskImage = 128ull << 20;

// Where in pxed's tree the programs some entries load are looked for: the
// user's wimboot (Debian does not package it) in files.root, memdisk there
// or from syslinux-common (vfs/debian_loaders.hpp).
inline constexpr std::string_view kWimbootName = "wimboot";
inline constexpr std::string_view kMemdiskName = "memdisk";

// Which of those programs the tree serves now.
struct Programs {
  bool wimboot = false;
  bool memdisk = false;
  // files.root as the host spells it, for the hint where wimboot goes.
  std::string root;
  bool operator==(const Programs&) const = default;
};

// A recipe worked out as if both programs were served (the image catalogue's,
// made once per image), as it stands with only `served`: a wimboot entry
// without wimboot boots nothing and says where to put it; memdisk's
// alternative goes without memdisk.
Recipe served_with(Recipe recipe, const Programs& served);

Recipe recipe_for(const std::optional<OsMatch>& os, const ImageSource& image, const ImageFiles& files,
                  const RecipeOptions& options = {});

// A path in the image as a URL under base_url: each segment percent-encoded
// (RFC 3986 unreserved characters kept), '/' between them kept.
std::string url_of(std::string_view base_url, std::string_view path);

// A URL made safe for a kernel command line and a loader's config: bytes
// outside visible ASCII (space, control, 8-bit) and '"' percent-encoded, so
// the URL stays one argument; everything else as given.
std::string command_line_url(std::string_view url);

}  // namespace pxed::osid
