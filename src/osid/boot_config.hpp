#pragma once
// An image's own boot menus read as entries: isolinux.cfg / syslinux.cfg and
// GRUB's grub.cfg / loopback.cfg. What the recipes fall back to for an image
// no family rule knows. Pure: text in, entries and problems out; nothing here
// throws on bad input, a line it cannot use is a problem in the result.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pxed::osid {

// One bootable Linux entry as the menu wrote it: paths as written (relative
// to `directory` when they do not start with '/'; GRUB devices such as
// "(loop)" or "($root)" already removed), the arguments as one line.
struct ConfigEntry {
  std::string title;               // MENU LABEL / the menuentry's title / the LABEL
  std::string kernel;              // "/casper/vmlinuz", "vmlinuz"
  std::vector<std::string> initrd;
  std::string args;                // without initrd= (that went to `initrd`)
};

struct BootConfig {
  std::string source;              // the file read first: "isolinux/isolinux.cfg"
  std::string directory;           // what relative paths are relative to: "isolinux"
  std::vector<ConfigEntry> entries;  // Linux entries only, menu order
  std::size_t default_entry = 0;   // index into entries (0 when entries is empty)
  std::string default_because;     // "MENU DEFAULT on label live", "first entry", ...
  // Lines skipped and why ("line 12: KERNEL vesamenu.c32 is a syslinux module"):
  // what a reason shows when no entry came out.
  std::vector<std::string> problems;
};

// Reads a file INCLUDE names, as a path in the image; nothing when absent.
using IncludeReader = std::function<std::optional<std::string>(std::string_view path)>;

// INCLUDE and MENU INCLUDE nest at most this deep (Debian's isolinux.cfg ->
// menu.cfg -> txt.cfg is 2); deeper, or a file seen before, is a problem.
inline constexpr std::size_t kMaxIncludeDepth = 3;

// syslinux's config language (doc/syslinux.txt, menu.txt): LABEL, MENU LABEL,
// KERNEL/LINUX, APPEND, INITRD, MENU DEFAULT, DEFAULT, ONTIMEOUT, INCLUDE;
// keywords in any case. Entries whose kernel is a module (.c32, .com, .0,
// .bin), COM32, LOCALBOOT or memdisk are not Linux entries and are skipped.
// `path` is the file's path in the image: INCLUDE names are relative to its
// directory, as isolinux resolves them.
BootConfig parse_syslinux(std::string_view text, std::string_view path, const IncludeReader& include);

// GRUB's config as ISO images write it: menuentry (and submenu) blocks with
// linux/linuxefi/linux16 and initrd/initrdefi/initrd16, `set default=`, and
// `set name=value` expanded in later $name / ${name}. `if` blocks are read as
// if every branch ran; an entry's last linux and initrd lines win.
BootConfig parse_grub(std::string_view text, std::string_view path);

}  // namespace pxed::osid
