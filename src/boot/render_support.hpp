#pragma once
// What the pxelinux, GRUB and iPXE renderers share: text that stays on one
// line, entry ids every loader accepts, URLs and tree paths, the menu timeout.
// Internal to src/boot/render*.cpp; callers use render.hpp.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "boot/render.hpp"

namespace pxed::boot::render_detail {

// Every loader reads one directive per line, so CR, LF and the other control
// characters (NUL, tab, ...) in plan text become spaces: a newline in an append
// or a label can never start a directive of its own.
std::string one_line(std::string_view text);

// one_line(text) without leading and trailing spaces.
std::string trimmed(std::string_view text);

// The space-separated words of one_line(text).
std::vector<std::string> words(std::string_view text);

// One id per entry, from its name: letters, digits, '_', '.' and '-' only (a
// pxelinux label ends at the first space, GRUB's `set default` reads '>' as a
// submenu path, iPXE labels and item names end at a space and a leading '-' is
// an option), never starting with '-' or '.', never empty ("entry-<n>"), unique
// ignoring case (a later duplicate gets "-2", "-3", ...). Deterministic: the
// same entries give the same ids in every renderer.
std::vector<std::string> entry_ids(const std::vector<BootEntry>& entries);

// plan.default_entry, or 0 when it is out of range.
std::size_t default_index(const RenderPlan& plan);

// Why pxelinux, syslinux.efi and GRUB list a sanboot entry they cannot boot.
inline constexpr std::string_view kSanbootOnly =
    "only iPXE boots this image (sanboot): chain to iPXE ([boot] bios = \"undionly.kpxe\", efi64 = \"ipxe.efi\")";
// A small image pxelinux boots with memdisk on BIOS, on UEFI.
inline constexpr std::string_view kMemdiskBiosOnly =
    "memdisk boots BIOS machines only, and only iPXE boots this image on UEFI (sanboot): chain to iPXE "
    "([boot] efi64 = \"ipxe.efi\")";
// Why pxelinux, syslinux.efi and GRUB list a wimboot entry they cannot boot.
inline constexpr std::string_view kWimbootOnly =
    "only iPXE boots this image (wimboot): chain to iPXE ([boot] bios = \"undionly.kpxe\", efi64 = \"ipxe.efi\")";

// The longest menu wait we write. Beyond it the loaders' own arithmetic
// overflows: syslinux's menu computes `atoi(t) * CLK_TCK` in 32 bits with
// CLK_TCK = 1000 (com32/menu/readconfig.c), iPXE reads milliseconds into an
// unsigned int (core/parseopt.c parse_timeout). A day is far below both.
inline constexpr std::chrono::seconds kMaxMenuTimeout{24 * 60 * 60};

// plan.timeout within [0, kMaxMenuTimeout]; 0 means "wait for a choice".
std::chrono::seconds menu_timeout(const RenderPlan& plan);

// "scheme://authority/path?query#fragment" (RFC 3986 §3), split.
struct Url {
  std::string scheme;     // lower case: "http", "https", "tftp", ...
  std::string authority;  // "host", "host:port", "[v6]:port", maybe "user@host"
  std::string path;       // "" or starting with '/'
  std::string query;      // "" or starting with '?'
  // The fragment is dropped: it is never sent to a server (RFC 3986 §3.5).
};

// A URL when ref starts with "scheme://", else nothing (a path in the tree).
std::optional<Url> parse_url(std::string_view ref);

// A path in the tree, absolute: "/" followed by ref without its leading '/'s.
std::string tree_path(std::string_view ref);

// ASCII letters in lower case, other bytes as they are.
std::string lower_ascii(std::string_view text);

// The last '/'-separated segment of a path ("/a/initrd.img" -> "initrd.img").
std::string_view last_segment(std::string_view path);

// Percent-encodes (RFC 3986 §2.1, upper-case hex) every byte for which
// keep(byte) is false.
std::string percent_encode(std::string_view text, bool (*keep)(unsigned char));

// Byte classes the renderers build their keep() predicates from.
bool is_unreserved(unsigned char c);  // RFC 3986 §2.3: ALPHA DIGIT - . _ ~
bool is_visible_ascii(unsigned char c);  // '!'..'~': no space, control or 8-bit byte

}  // namespace pxed::boot::render_detail
