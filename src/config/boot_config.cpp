// [boot]: what each firmware gets first, per-MAC overrides ([[boot.host]]), an
// optional PXE boot menu ([boot.menu] with [[boot.menu.item]]), the default profile,
// and the loaders pxed uses for keys left out when the config has an inventory.
#include <array>
#include <vector>

#include "config/sections.hpp"

namespace pxed::config {
namespace {

constexpr IntRange kMenuTimeout{0, 255, "PXE 2.1: one byte of seconds, 255 waits for a key"};
constexpr std::size_t kMaxLabel = 255;  // PXE 2.1: a menu item's length is one byte
// A boot file travels in BOOTP's 128-byte `file` field or option 67; past 255
// bytes neither holds it.
constexpr std::size_t kMaxBootFile = 255;

void read_boot_file(Checker& c, const Field& f, std::string& out) {
  auto text = string_of(c, f, "a file name in the tree or an http:// URL");
  if (!text) return;
  if (text->empty()) return c.fail(f, "must not be empty (leave the key out instead)");
  if (text->size() > kMaxBootFile) {
    return c.fail(f, "is " + std::to_string(text->size()) +
                         " bytes; DHCP carries at most 255 (option 67)");
  }
  out = *text;
}

BootChoice& choice_of(Config& cfg) { return cfg.boot.choice; }
BootChoice& choice_of_host(BootHost& host) { return host.choice; }

// The BootChoice keys, shared by [boot] and [[boot.host]].
template <class T, BootChoice& (*Choice)(T&)>
constexpr std::array<Key<T>, 6> choice_keys() {
  return {{
      {"bios", [](auto& c, auto& f, auto& t) { read_boot_file(c, f, Choice(t).bios); }},
      {"efi32", [](auto& c, auto& f, auto& t) { read_boot_file(c, f, Choice(t).efi32); }},
      {"efi64", [](auto& c, auto& f, auto& t) { read_boot_file(c, f, Choice(t).efi64); }},
      {"arm64", [](auto& c, auto& f, auto& t) { read_boot_file(c, f, Choice(t).arm64); }},
      {"ipxe", [](auto& c, auto& f, auto& t) { read_boot_file(c, f, Choice(t).ipxe); }},
      {"http", [](auto& c, auto& f, auto& t) { read_boot_file(c, f, Choice(t).http); }},
  }};
}

template <class T, std::size_t N>
std::vector<Key<T>> join(const std::array<Key<T>, 6>& choice, const Key<T> (&more)[N]) {
  std::vector<Key<T>> all(choice.begin(), choice.end());
  all.insert(all.end(), std::begin(more), std::end(more));
  return all;
}

constexpr Key<BootMenuItem> kItemKeys[] = {
    {"label", [](auto& c, auto& f, auto& item) {
       read_string(c, f, item.label);
       if (item.label.size() > kMaxLabel) c.fail(f, "longer than 255 bytes (PXE 2.1)");
     }},
    {"file", [](auto& c, auto& f, auto& item) { read_boot_file(c, f, item.file); }},
    {"server", [](auto& c, auto& f, auto& item) {
       core::Ipv4 a;
       const auto before = c.errors.size();
       read_ipv4(c, f, a);
       if (c.errors.size() == before) item.server = a;
     }},
};

constexpr Key<BootMenu> kMenuKeys[] = {
    {"prompt", [](auto& c, auto& f, auto& m) {
       read_string(c, f, m.prompt);
       if (m.prompt.size() > kMaxLabel) c.fail(f, "longer than 255 bytes (PXE 2.1)");
     }},
    {"timeout", [](auto& c, auto& f, auto& m) {
       if (auto v = int_in(c, f, kMenuTimeout)) m.timeout = std::chrono::seconds(*v);
     }},
    {"item", [](auto& c, auto& f, auto& m) {
       read_tables<BootMenuItem>(c, f, kItemKeys, "[[boot.menu.item]]",
                                 [&](BootMenuItem&& item, const Field& table) {
         if (!table.value.as_table().contains("label")) {
           return c.fail(table.line(), table.key + ".label",
                         "required: what the menu shows, like label = \"Install Debian\"");
         }
         m.items.push_back(std::move(item));
       });
     }},
};

constexpr Key<BootHost> kHostOwnKeys[] = {
    {"mac", [](auto& c, auto& f, auto& h) { read_mac(c, f, h.mac); }},
};

void read_hosts(Checker& c, const Field& f, Config& cfg) {
  static const auto keys = join(choice_keys<BootHost, choice_of_host>(), kHostOwnKeys);
  read_tables<BootHost>(c, f, keys, "[[boot.host]]", [&](BootHost&& host, const Field& table) {
    if (!table.value.as_table().contains("mac")) {
      return c.fail(table.line(), table.key + ".mac",
                    "required: the machine this overrides, like mac = \"52:54:00:12:34:56\"");
    }
    for (const auto& other : cfg.boot.hosts) {
      if (other.mac == host.mac) {
        return c.fail(table.line(), table.key + ".mac",
                      host.mac.to_string() + " already has a [[boot.host]]");
      }
    }
    cfg.boot.hosts.push_back(std::move(host));
  });
}

void read_menu(Checker& c, const Field& f, Config& cfg) {
  BootMenu menu;
  if (!read_table<BootMenu>(c, f, kMenuKeys, menu, "[boot.menu]")) return;
  if (menu.items.empty()) {
    return c.fail(f, "a menu needs at least one [[boot.menu.item]] with a label");
  }
  cfg.boot.menu = std::move(menu);
}

// The profile of machines no [[machine]] or [[group]] names; check_inventory
// looks the name up once every profile is read.
void read_default(Checker& c, const Field& f, Config& cfg) {
  std::string name;
  read_profile_name(c, f, name);
  if (name.empty()) return;
  cfg.boot.default_profile = std::move(name);
  cfg.boot.default_line = f.line();
}

constexpr std::string_view kLocalBoots[] = {"loader", "next-device"};

void read_local_boot(Checker& c, const Field& f, Config& cfg) {
  std::string how;
  read_choice(c, f, how, kLocalBoots);
  if (!how.empty()) cfg.boot.local_by_firmware = how == "next-device";
}

constexpr Key<Config> kBootOwnKeys[] = {
    {"menu", read_menu},
    {"host", read_hosts},
    {"default", read_default},
    {"local_boot", read_local_boot},
};

// What pxed boots when the config has an inventory and [boot] leaves the key
// out: loaders the system's packages install (pxed serves them when the tree
// has none: vfs/debian_loaders.hpp), each of which asks for the config pxed
// generates for the machine. Keys without a row (efi32, arm64) stay unset.
struct DefaultRow {
  std::string BootChoice::*key;
  std::string_view value;
  bool needs_http;  // a URL of ours: only when [http] is enabled
};
constexpr DefaultRow kDefaults[] = {
    // pxelinux that also fetches over HTTP, so kernels may be ${http} URLs.
    {&BootChoice::bios, "lpxelinux.0", false},
    // syslinux.efi honours a ProxyDHCP offer, Debian's signed GRUB does not
    // (FIRMWARE.md 29); in efi64/ with its own ldlinux.e64 and EFI modules.
    {&BootChoice::efi64, "efi64/syslinux.efi", false},
    // iPXE expands its own settings in the file name: the MAC tells pxed whose
    // boot.ipxe to write; SMBIOS's UUID, serial, manufacturer and product are
    // recorded for `pxed machines` (URI-escaped by iPXE's uristring type).
    {&BootChoice::ipxe,
     "${http}/boot.ipxe?mac=${mac}&uuid=${uuid}&serial=${serial:uristring}"
     "&manufacturer=${manufacturer:uristring}&product=${product:uristring}",
     true},
    // x86-64 UEFI HTTP boot (boot::resolve gives it to no other firmware):
    // iPXE on the firmware's own network driver, which then asks for [boot] ipxe.
    {&BootChoice::http, "${http}/efi64/snponly.efi", true},
};

bool any(const BootChoice& b) {
  return !(b.bios.empty() && b.efi32.empty() && b.efi64.empty() && b.arm64.empty() &&
           b.ipxe.empty() && b.http.empty());
}

}  // namespace

std::span<const Key<Config>> boot_keys() {
  static const auto keys = join(choice_keys<Config, choice_of>(), kBootOwnKeys);
  return keys;
}

void set_boot_defaults(Config& cfg) {
  cfg.boot.defaults = {};
  // Whoever names one loader has chosen them: an iPXE script default would
  // otherwise take every iPXE ROM away from the [boot] bios it was given.
  if (!has_inventory(cfg) || any(cfg.boot.choice)) return;
  for (const auto& row : kDefaults) {
    if (!row.needs_http || cfg.http.enabled) cfg.boot.defaults.*row.key = std::string(row.value);
  }
}

void check_boot(Checker& c, const Config& cfg) {
  if (cfg.dhcp.mode != DhcpMode::proxy || c.failed("dhcp.mode")) return;
  // With an inventory the defaults name boot files, [boot] or not.
  bool something = any(cfg.boot.choice) || any(cfg.boot.defaults) || cfg.boot.menu.has_value();
  for (const auto& host : cfg.boot.hosts) something = something || any(host.choice);
  if (!something) {
    c.fail(c.line_of("dhcp.mode").value_or(0), "boot",
           "proxy mode only adds boot information, and [boot] names no boot file: set at least "
           "one of bios, efi64, efi32, arm64, ipxe, http under [boot] (or describe machines with "
           "[[profile]] and [boot] default, and pxed boots them with the system's loaders)");
  }
}

}  // namespace pxed::config
