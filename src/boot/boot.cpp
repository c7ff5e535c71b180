#include "boot/boot.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <string_view>

namespace pxed::boot {
namespace {

using config::BootChoice;

// Option 93 -> firmware (FIRMWARE.md 9, 23). Codes not listed (1-5 legacy
// BIOS-era machines pixiecore also refuses, 41 rpiboot, ...) are unknown.
struct ArchRow {
  std::uint16_t arch;
  Firmware firmware;
};
constexpr std::array<ArchRow, 10> kArchs = {{
    {0, Firmware::bios},
    {6, Firmware::efi32},
    {7, Firmware::efi64},  // EFI BC: x86-64 in practice (RFC 4578 errata)
    {9, Firmware::efi64},
    {10, Firmware::arm32_efi},
    {11, Firmware::arm64_efi},
    // 32-bit x86 and ARM UEFI HTTP boot run the same loaders as arch 6 and 10;
    // option 60 "HTTPClient" (facts.http_client) says they want a URL.
    {15, Firmware::efi32},
    {16, Firmware::efi64_http},
    {18, Firmware::arm32_efi},
    {19, Firmware::arm64_http},
}};

// Per firmware: its log name, the [boot] key naming its loader (empty: pxed has
// no key for it, so nothing to boot) and whether it is UEFI HTTP boot.
struct FirmwareRow {
  Firmware firmware;
  std::string_view name;
  std::string_view key;
  bool http;
};
constexpr std::array<FirmwareRow, 8> kFirmwares = {{
    {Firmware::bios, "bios", "bios", false},
    {Firmware::efi32, "efi32", "efi32", false},
    {Firmware::efi64, "efi64", "efi64", false},
    {Firmware::arm32_efi, "arm32_efi", "", false},
    {Firmware::arm64_efi, "arm64_efi", "arm64", false},
    {Firmware::efi64_http, "efi64_http", "efi64", true},
    {Firmware::arm64_http, "arm64_http", "arm64", true},
    {Firmware::unknown, "unknown", "", false},
}};

// The BootChoice keys by their config name, so lookups and reasons agree, and
// the one firmware a key's default (config::Boot::defaults, x86 files) may go
// to: the efi64 default is a PXE loader, not for efi64 HTTP boot, which falls
// back to that key; the http default is x86-64, not for arm64 HTTP boot.
struct KeyRow {
  std::string_view name;
  std::string BootChoice::*member;
  std::optional<Firmware> default_for;  // nullopt: any (the iPXE script)
};
constexpr std::array<KeyRow, 6> kKeys = {{
    {"bios", &BootChoice::bios, Firmware::bios},
    {"efi32", &BootChoice::efi32, Firmware::efi32},
    {"efi64", &BootChoice::efi64, Firmware::efi64},
    {"arm64", &BootChoice::arm64, Firmware::arm64_efi},
    {"ipxe", &BootChoice::ipxe, std::nullopt},
    {"http", &BootChoice::http, Firmware::efi64_http},
}};

// File names that load iPXE: handing one to a client already running iPXE
// starts the chainload loop (FIRMWARE.md 11).
constexpr std::array<std::string_view, 4> kIpxeMarkers = {"ipxe", "undionly", "snponly", ".kpxe"};

constexpr std::uint16_t kFirstMenuType = 0x8000;  // PXE 2.1: 0x8000-0xFFFE vendor boot server types
constexpr std::uint16_t kLocalBootType = 0;       // PXE 2.1: type 0 in a menu boots the local disk
constexpr std::uint8_t kMaxMenuTimeout = 255;     // PXE 2.1: one byte; 255 waits for a key

const FirmwareRow& row_of(Firmware f) {
  return *std::ranges::find(kFirmwares, f, &FirmwareRow::firmware);
}

bool is_url(std::string_view s) { return s.starts_with("http://") || s.starts_with("https://"); }

bool looks_like_ipxe(std::string_view file) {
  std::string lower(file);
  std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::ranges::any_of(kIpxeMarkers, [&](std::string_view m) { return lower.find(m) != std::string::npos; });
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

std::string hex16(std::uint16_t v) {
  char out[8];
  std::snprintf(out, sizeof out, "0x%04x", v);
  return out;
}

// A [boot] value and where it came from, for the plan's reason.
struct Pick {
  std::string value;
  std::string source;  // "[boot] efi64", "[boot] efi64 (default)" or "host 52:54:00:12:34:56 efi64"
};

// Resolution state for one request: the client, the config and the context.
class Resolver {
 public:
  Resolver(const ClientFacts& facts, const config::Boot& boot, const Context& context)
      : facts_(facts), boot_(boot), context_(context), row_(row_of(firmware_of(facts.arch))) {
    auto host = std::ranges::find(boot.hosts, facts.mac, &config::BootHost::mac);
    host_ = host == boot.hosts.end() ? nullptr : &*host;
    http_ = facts.http_client || row_.http;
  }

  BootPlan resolve() const {
    // PXE 2.1 §2.2.6: a 4011 request wants one file, never a menu. Type 0 is the
    // bootstrap request of a client that saw no menu: the arch's file.
    if (facts_.boot_item && *facts_.boot_item == kLocalBootType) return arch(/*menu_allowed=*/false);
    if (facts_.boot_item) {
      // FIRMWARE.md 30: a ROM that followed another server's menu, or always asks
      // port 4011, names an item we never offered: dnsmasq gives it the arch's file.
      if (!boot_.menu) {
        BootPlan plan = arch(/*menu_allowed=*/false);
        if (!plan.none) plan.reason = "boot item " + hex16(*facts_.boot_item) + " without a [boot] menu: " + plan.reason;
        return plan;
      }
      return menu_item(*facts_.boot_item);
    }
    if (facts_.ipxe) return ipxe();
    return arch(/*menu_allowed=*/true);
  }

 private:
  // A host's non-empty key wins over [boot]'s (config::BootHost), [boot]'s
  // over its default for this firmware.
  Pick pick(std::string_view key) const {
    const auto& k = *std::ranges::find(kKeys, key, &KeyRow::name);
    if (host_ != nullptr && !(host_->choice.*k.member).empty()) {
      return {host_->choice.*k.member, "host " + host_->mac.to_string() + " " + std::string(key)};
    }
    const std::string source = "[boot] " + std::string(key);
    const auto& fallback = boot_.defaults.*k.member;
    if ((boot_.choice.*k.member).empty() && !fallback.empty() &&
        (!k.default_for || *k.default_for == row_.firmware)) {
      return {fallback, source + " (default)"};
    }
    return {boot_.choice.*k.member, source};
  }

  std::string expand(std::string s) const {
    replace_all(s, "${server}", context_.server_text());
    replace_all(s, "${http}", context_.http_base);
    return s;
  }

  BootPlan base() const {
    BootPlan plan;
    plan.next_server = context_.server;
    // FIRMWARE.md 1, 10: the reply identifies as the kind of client that asked.
    plan.vendor_class = http_ ? "HTTPClient" : "PXEClient";
    return plan;
  }

  BootPlan none(std::string reason) const {
    BootPlan plan = base();
    plan.none = true;
    plan.reason = std::move(reason);
    return plan;
  }

  BootPlan file(std::string file, std::string reason) const {
    BootPlan plan = base();
    plan.file = std::move(file);
    plan.reason = std::move(reason);
    return plan;
  }

  std::string name() const { return std::string(row_.name); }

  // FIRMWARE.md 11, 25: iPXE gets its script, never the iPXE binary again.
  BootPlan ipxe() const {
    auto script = pick("ipxe");
    if (!script.value.empty()) return file(expand(script.value), "iPXE client (" + name() + ") from " + script.source);
    const std::string why = "client runs iPXE and [boot] ipxe is not set";
    BootPlan plan = arch(/*menu_allowed=*/false);
    if (plan.none) return none(why + "; " + plan.reason);
    // A loader that is not iPXE (lpxelinux.0, grubx64.efi) cannot loop.
    if (looks_like_ipxe(plan.file)) return none(why + "; " + plan.file + " would load iPXE again");
    plan.reason = "iPXE client, " + plan.reason + " ([boot] ipxe is not set)";
    return plan;
  }

  BootPlan arch(bool menu_allowed) const {
    if (row_.firmware == Firmware::unknown) {
      return none(facts_.arch ? "unknown firmware (option 93 = " + std::to_string(*facts_.arch) + ")"
                              : "unknown firmware");
    }
    if (row_.key.empty()) return none(name() + " firmware has no [boot] key");
    if (http_) return http();
    auto loader = pick(row_.key);
    // A host's own file for this machine is more specific than the site's menu.
    const bool host_file = host_ != nullptr && !loader.value.empty() && loader.source.starts_with("host");
    if (menu_allowed && !host_file && row_.firmware == Firmware::bios && boot_.menu && !boot_.menu->items.empty()) {
      return menu(loader);
    }
    if (loader.value.empty()) return none(name() + " client and " + loader.source + " is not set");
    return file(expand(loader.value), name() + " from " + loader.source);
  }

  // FIRMWARE.md 10: UEFI HTTP boot takes a full URL.
  BootPlan http() const {
    auto url = pick("http");
    std::string source = url.source;
    if (url.value.empty()) {
      url = pick(row_.key);
      if (url.value.empty()) {
        return none(name() + " HTTP boot client and neither [boot] http nor [boot] " + std::string(row_.key) +
                    " is set");
      }
      source = "${http}/ + " + url.source;
    }
    std::string value = expand(url.value);
    if (!is_url(value)) {
      if (context_.http_base.empty()) return none(name() + " HTTP boot client and pxed serves no HTTP");
      value.erase(0, std::min(value.size(), value.find_first_not_of('/')));
      value = context_.http_base + "/" + value;
    }
    return file(std::move(value), name() + " HTTP boot from " + source);
  }

  // FIRMWARE.md 4: only BIOS PXE ROMs get menus, and only with a real choice;
  // with one item there is nothing to choose (dnsmasq's pxe_uefi_workaround).
  BootPlan menu(const Pick& loader) const {
    const auto& m = *boot_.menu;
    const auto& first = m.items.front();
    if (m.items.size() == 1) {
      if (first.file.empty()) return none("bios client and the only [boot] menu item boots the local disk");
      BootPlan plan = file(expand(first.file), "bios from [boot] menu item \"" + first.label + "\"");
      plan.next_server = first.server.value_or(context_.server);
      return plan;
    }
    BootPlan plan = base();
    for (std::size_t i = 0; i < m.items.size(); ++i) {
      const auto& item = m.items[i];
      auto type = item.file.empty() ? kLocalBootType : static_cast<std::uint16_t>(kFirstMenuType + i);
      plan.menu.push_back(MenuEntry{type, item.label, item.server});
    }
    plan.prompt = m.prompt;
    plan.menu_timeout = static_cast<std::uint8_t>(std::clamp<std::int64_t>(m.timeout.count(), 0, kMaxMenuTimeout));
    // A ROM that ignores the menu boots the first item; when that is the local
    // disk, the plain bios loader (or nothing, and the ROM falls through).
    plan.file = expand(first.file.empty() ? loader.value : first.file);
    if (!first.file.empty()) plan.next_server = first.server.value_or(context_.server);
    plan.reason = "bios menu of " + std::to_string(m.items.size()) + " items from [boot] menu";
    return plan;
  }

  BootPlan menu_item(std::uint16_t type) const {
    const std::size_t index = type >= kFirstMenuType ? std::size_t{type} - kFirstMenuType : SIZE_MAX;
    if (!boot_.menu || index >= boot_.menu->items.size() || boot_.menu->items[index].file.empty()) {
      return none("boot item " + hex16(type) + " is not in [boot] menu");
    }
    const auto& item = boot_.menu->items[index];
    BootPlan plan = file(expand(item.file), "boot item " + hex16(type) + " \"" + item.label + "\" from [boot] menu");
    plan.next_server = item.server.value_or(context_.server);
    return plan;
  }

  const ClientFacts& facts_;
  const config::Boot& boot_;
  const Context& context_;
  const FirmwareRow& row_;
  const config::BootHost* host_ = nullptr;
  bool http_ = false;
};

}  // namespace

Firmware firmware_of(std::optional<std::uint16_t> arch) {
  // Pre-RFC 4578 BIOS ROMs send no option 93 at all.
  if (!arch) return Firmware::bios;
  auto it = std::ranges::find(kArchs, *arch, &ArchRow::arch);
  return it == kArchs.end() ? Firmware::unknown : it->firmware;
}

std::string_view to_string(Firmware f) { return row_of(f).name; }

std::optional<std::uint16_t> arch_of(std::string_view firmware_name) {
  for (const auto& row : kArchs) {
    if (row_of(row.firmware).name == firmware_name) return row.arch;
  }
  return std::nullopt;
}

Context context_for(const config::Http& http, core::Ipv4 local, const Reached& reached) {
  Context context{local, http.base_url};
  if (local.is_zero() && reached.host.starts_with('[')) context.server_host = reached.host;
  if (!context.http_base.empty()) return context;
  const std::string host = reached.host.empty() ? local.to_string() : reached.host;
  std::uint16_t port = reached.port;
  if (port == 0) {
    // A TFTP or DHCP client's ${http}: the listen entry on the address it reached.
    const bool v6 = host.starts_with('[');
    const std::string address = v6 ? host.substr(1, host.size() - 2) : host;
    const auto entries = config::listen_addresses(http);
    auto it = std::ranges::find(entries, address, &config::Endpoint::address);
    if (it == entries.end()) {
      it = std::ranges::find_if(entries, [&](const config::Endpoint& e) {
        return e.is_v6() == v6 && (e.address == "0.0.0.0" || e.address == "::");
      });
    }
    port = it == entries.end() ? http.listen.port : it->port;
  }
  context.http_base = "http://" + host;
  if (port != 80) context.http_base += ":" + std::to_string(port);
  return context;
}

BootPlan resolve(const ClientFacts& facts, const config::Boot& boot, const Context& context) {
  return Resolver(facts, boot, context).resolve();
}

}  // namespace pxed::boot
