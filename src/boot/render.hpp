#pragma once
// The config file each loader asks for, written from one plan: pxelinux and
// syslinux.efi (pxelinux.cfg/...), GRUB (grub.cfg) and iPXE (a script). Pure:
// the plan comes in with every ${...} already expanded for one machine.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace pxed::boot {

// Who reads the generated file.
enum class Loader { pxelinux, syslinux_efi, grub, ipxe };
std::string_view to_string(Loader loader);  // "pxelinux", "syslinux-efi", "grub", "ipxe"

// One bootable choice, as the loader should fetch it.
struct BootEntry {
  // sanboot: iPXE boots the image at `chain` (a URL) as a disk; pxelinux on
  // BIOS loads it with `memdisk` when there is one; the other loaders list it
  // with the reason they cannot.
  // wimboot: iPXE loads `kernel` (wimboot) with each initrd under its name in
  // initrd_names (ipxe.org/wimboot); the other loaders list it with the reason.
  enum class Kind { linux, chain, local, sanboot, wimboot };
  Kind kind = Kind::linux;
  std::string name;   // the profile's name: a menu entry's id
  std::string label;  // what a menu shows
  // linux: an http(s):// URL, or a path in the tree ("/centos7/images/pxeboot/vmlinuz")
  // that the loader fetches over its own protocol (TFTP for pxelinux, GRUB's root).
  std::string kernel;
  std::vector<std::string> initrd;
  std::string append;
  std::string chain;  // chain: a loader file (path in the tree) or a URL; sanboot: the image's URL
  // wimboot: the name wimboot knows each initrd by ("BCD", "boot.wim"), in initrd's order.
  std::vector<std::string> initrd_names;
  // sanboot: memdisk's URL (or tree path), for pxelinux on BIOS; empty: none.
  std::string memdisk;
};

struct RenderPlan {
  std::vector<BootEntry> entries;  // one entry: boot it; several: a menu
  std::size_t default_entry = 0;   // index into entries
  std::chrono::seconds timeout{0}; // menu: then the default boots; 0: wait for a choice
  std::string title;               // menu title, e.g. "pxed: db-03"
  // Comment lines at the top of the file: who it was generated for and why,
  // e.g. "machine db-03 (pxed.toml:19) -> profile centos7-ks".
  std::vector<std::string> comments;
  // BIOS firmware: local boot for pxelinux is LOCALBOOT 0, for iPXE `sanboot --drive 0x80`
  // where `exit` would hang; UEFI returns to the firmware's next boot option.
  bool bios = true;
  std::string server;  // our address as the client sees it: GRUB's (http,SERVER) device
  // Our HTTP base as the client sees it ("http://10.77.0.1"): GRUB fetches a
  // URL under it from the same tree over TFTP (Debian's signed GRUB has no http).
  std::string http_base;
};

std::string render(Loader loader, const RenderPlan& plan);
std::string render_pxelinux(const RenderPlan& plan);  // pxelinux and syslinux.efi alike
std::string render_grub(const RenderPlan& plan);
std::string render_ipxe(const RenderPlan& plan);

}  // namespace pxed::boot
