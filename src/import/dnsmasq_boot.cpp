// dnsmasq's boot choices in pxed's terms: the tags dhcp-match, dhcp-userclass
// and dhcp-vendorclass set for a firmware, and the dhcp-boot, pxe-service and
// pxe-prompt lines that use them, become [boot], [[boot.host]] and [boot.menu].
#include <algorithm>
#include <cctype>

#include "import/dnsmasq_translator.hpp"

namespace pxed::import {
namespace {

// RFC 4578 option 93 (and PXEClient:Arch:NNNNN) to the [boot] key.
std::optional<Slot> slot_of_arch(int arch) {
  switch (arch) {
    case 0: return Slot::bios;
    case 6: return Slot::efi32;
    case 7:
    case 9: return Slot::efi64;
    case 11: return Slot::arm64;
    case 16: return Slot::http;
    default: return std::nullopt;
  }
}

// pxe-service's client system types (dnsmasq's names, PXE's numbers).
// dnsmasq compares them ignoring case (netboot.xyz's docs write X86-64_EFI).
std::optional<Slot> slot_of_csa(std::string_view csa) {
  const auto is = [&](std::string_view name) {
    return std::ranges::equal(csa, name, [](char a, char b) { return std::tolower(a) == std::tolower(b); });
  };
  if (is("x86PC")) return Slot::bios;
  if (is("IA32_EFI")) return Slot::efi32;
  if (is("x86-64_EFI") || is("BC_EFI")) return Slot::efi64;
  if (is("ARM64_EFI")) return Slot::arm64;
  if (auto n = to_int(csa)) return slot_of_arch(*n);
  return std::nullopt;
}

}  // namespace

// "set:efi64" (or the old "net:efi64") -> "efi64".
std::optional<std::string> Translator::set_tag(const ConfLine& l, const std::vector<std::string>& args) {
  if (args.empty() || !(args[0].starts_with("set:") || args[0].starts_with("net:")) || args[0].size() < 5) {
    untranslated(l, "expected set:<tag> first");
    return std::nullopt;
  }
  return args[0].substr(4);
}

void Translator::dhcp_match(const ConfLine& l) {
  auto args = split_args(l.value);
  auto tag = set_tag(l, args);
  if (!tag) return;
  if (args.size() < 2) return untranslated(l, "names no option to match");
  const int option = option_number(args[1]);
  const std::string value = args.size() > 2 ? args[2] : "";
  if (option == 93) {
    if (value.empty()) {
      any_pxe_tags_.insert(*tag);
      return;
    }
    auto arch = to_int(value);
    auto slot = arch ? slot_of_arch(*arch) : std::nullopt;
    if (!slot) return untranslated(l, "pxed has no [boot] key for client architecture " + value);
    return firmware_tag(*tag, *slot);
  }
  // iPXE sends option 175 (its own settings) and user class "iPXE".
  if (option == 175) return firmware_tag(*tag, Slot::ipxe);
  if (option == 77 && value == "iPXE") return firmware_tag(*tag, Slot::ipxe);
  if (option == 60) return vendor_value(l, *tag, value);
  untranslated(l, "pxed tells clients apart by firmware (option 93, vendor class) and iPXE only; tag " + *tag +
                      " is not used");
}

void Translator::userclass(const ConfLine& l) {
  auto args = split_args(l.value);
  auto tag = set_tag(l, args);
  if (!tag) return;
  if (args.size() > 1 && args[1] == "iPXE") return firmware_tag(*tag, Slot::ipxe);
  untranslated(l, "pxed knows one user class, \"iPXE\"; tag " + *tag + " is not used");
}

void Translator::vendorclass(const ConfLine& l) {
  auto args = split_args(l.value);
  auto tag = set_tag(l, args);
  if (!tag) return;
  if (args.size() > 1 && args[1].starts_with("enterprise:")) args.erase(args.begin() + 1);
  vendor_value(l, *tag, args.size() > 1 ? args[1] : "");
}

// Option 60: "PXEClient:Arch:00007:UNDI:003016", "HTTPClient:Arch:00016", "PXEClient".
void Translator::vendor_value(const ConfLine& l, const std::string& tag, std::string_view value) {
  if (value.starts_with("HTTPClient")) return firmware_tag(tag, Slot::http);
  if (value.starts_with("PXEClient:Arch:") && value.size() >= 20) {
    auto arch = to_int(value.substr(15, 5));
    if (auto slot = arch ? slot_of_arch(*arch) : std::nullopt) return firmware_tag(tag, *slot);
  } else if (value == "PXEClient") {
    any_pxe_tags_.insert(tag);
    return;
  }
  untranslated(l, "pxed tells firmware apart by option 93 and PXEClient:Arch; tag " + tag + " is not used");
}

Translator::Target Translator::target_of(const ConfLine& l, const std::vector<std::string>& tags,
                                         std::string_view file) {
  std::optional<std::set<Slot>> wanted;
  std::set<Slot> excluded;
  bool ipxe = false;
  const std::vector<core::Mac>* hosts = nullptr;
  for (const auto& t : tags) {
    std::string_view name = std::string_view(t).substr(4);
    const bool negated = name.starts_with('!');
    if (negated) name.remove_prefix(1);
    auto firmware = firmware_tags_.find(name);
    if (firmware != firmware_tags_.end()) {
      if (negated) {
        excluded.insert(firmware->second.begin(), firmware->second.end());
      } else if (firmware->second.contains(Slot::ipxe)) {
        ipxe = true;
      } else if (!wanted) {
        wanted = firmware->second;
      } else {
        std::erase_if(*wanted, [&](Slot s) { return !firmware->second.contains(s); });
      }
    } else if (any_pxe_tags_.contains(name)) {
      // Set for every PXE client: pxed answers only those with a boot file anyway.
    } else if (negated) {
      approximate(l, "pxed has no condition like " + t + ": it applies to every client");
    } else if (range_tags_.contains(name)) {
      return {{}, "tag " + std::string(name) +
                      " picks a network; pxed's [boot] is per firmware: a [[group]] with match subnet picks a "
                      "network's profile"};
    } else if (auto host = host_tags_.find(name); host != host_tags_.end()) {
      if (hosts) return {{}, "two tags of dhcp-host lines: pxed's [[boot.host]] names one set of machines"};
      hosts = &host->second;
    } else {
      return {{}, "tag " + std::string(name) + " is set by nothing pxed understands"};
    }
  }
  std::set<Slot> slots;
  if (ipxe) {
    slots = {Slot::ipxe};
  } else if (wanted) {
    slots = *wanted;
  } else {
    // No firmware named: dnsmasq sends the file to every client; pxed gives
    // each firmware its own key, so the file's kind picks one.
    slots = {file.ends_with(".efi") ? Slot::efi64 : Slot::bios};
  }
  for (auto s : excluded) slots.erase(s);
  if (slots.empty()) return {{}, "its tags leave no firmware pxed tells apart"};
  return {{slots.begin(), slots.end()}, {}, hosts};
}

// [[boot.host]]: what dnsmasq gave the machines a dhcp-host tag picks.
void Translator::set_host_boot(const ConfLine& l, const Target& target, const std::string& file) {
  for (const auto& mac : *target.hosts) {
    auto it = std::ranges::find(cfg_.boot_hosts, mac, &ImportedBootHost::mac);
    if (it == cfg_.boot_hosts.end()) {
      cfg_.boot_hosts.push_back({mac, {}});
      it = cfg_.boot_hosts.end() - 1;
    }
    for (auto s : target.slots) {
      auto& value = it->boot[static_cast<std::size_t>(s)];
      if (!value.empty() && value != file) {
        untranslated(l, "[[boot.host]] " + mac.to_string() + " already has " + name_of(s) + " = \"" + value + "\"");
      } else {
        value = file;
      }
    }
  }
}

void Translator::set_boot(const ConfLine& l, const std::vector<Slot>& slots, const std::string& file,
                          bool tagged) {
  for (auto s : slots) {
    const auto i = static_cast<std::size_t>(s);
    if (boot_from_[i] && (boot_tagged_[i] || !tagged)) {
      if (cfg_.boot[i] != file) {
        untranslated(l, std::string("[boot] ") + name_of(s) + " is already \"" + cfg_.boot[i] + "\" (" +
                            boot_from_[i]->file + ":" + std::to_string(boot_from_[i]->line) + ")");
      }
      continue;
    }
    // A line naming the firmware wins over one for every client, as in dnsmasq.
    cfg_.boot[i] = file;
    boot_from_[i] = &l;
    boot_tagged_[i] = tagged;
  }
}

void Translator::boot_file(const ConfLine& l, const std::vector<std::string>& tags, const std::string& file) {
  if (file.empty()) return untranslated(l, "names no boot file");
  auto target = target_of(l, tags, file);
  if (!target.problem.empty()) return untranslated(l, target.problem);
  if (target.hosts) return set_host_boot(l, target, file);
  if (tags.empty() && target.slots == std::vector{Slot::efi64}) {
    approximate(l, "dnsmasq sends it to every client; pxed to x86-64 UEFI ones ([boot] efi64)");
  }
  set_boot(l, target.slots, file, !tags.empty());
}

void Translator::dhcp_boot(const ConfLine& l) {
  auto args = split_args(l.value);
  std::vector<std::string> tags;
  while (!args.empty() && is_tag_prefix(args.front())) {
    tags.push_back("tag:" + args.front().substr(4));
    args.erase(args.begin());
  }
  if (args.empty()) return untranslated(l, "names no boot file");
  if (args.size() > 2 && !args[2].empty()) {
    approximate(l, "pxed names itself as the TFTP server (next-server), not " + args[2] +
                       ": put the file in files.root");
  }
  boot_file(l, tags, args[0]);
}

void Translator::pxe_service(const ConfLine& l) {
  auto args = split_args(l.value);
  std::vector<std::string> tags;
  while (!args.empty() && is_tag_prefix(args.front())) {
    tags.push_back("tag:" + args.front().substr(4));
    args.erase(args.begin());
  }
  if (args.size() < 2) return untranslated(l, "needs a client system type and a menu text");
  auto slot = slot_of_csa(args[0]);
  if (!slot) return untranslated(l, "pxed has no [boot] key for client system type " + args[0]);
  std::string file = args.size() > 2 ? args[2] : "";
  if (auto type = to_int(file)) {
    if (*type != 0) return untranslated(l, "boot service type " + file + ": pxed's menu items name a file");
    file.clear();  // type 0: boot from the local disk
  }
  // PXE adds the layer suffix to a bare basename: "pxelinux" is fetched as pxelinux.0.
  if (!file.empty() && file.substr(file.rfind('/') + 1).find('.') == std::string::npos) file += ".0";
  std::optional<core::Ipv4> server;
  if (args.size() > 3 && !args[3].empty()) {
    server = core::Ipv4::parse(args[3]);
    if (!server) return untranslated(l, "the server " + args[3] + " is a name; pxed's menu wants an address");
  }
  if (!tags.empty()) {
    auto target = target_of(l, tags, file);
    if (!target.problem.empty()) return untranslated(l, target.problem);
    if (target.hosts) return untranslated(l, "pxed's boot menu is the same for every BIOS machine");
    if (target.slots == std::vector{Slot::ipxe}) {
      if (file.empty()) return untranslated(l, "iPXE gets a file, not a local boot");
      return set_boot(l, target.slots, file, true);
    }
  }
  if (*slot != Slot::bios) {
    // PXE menus reach BIOS ROMs only: UEFI firmware gets the file directly.
    if (file.empty()) return untranslated(l, "pxed offers UEFI firmware no menu, so no local-boot item");
    if (server) approximate(l, "pxed names itself as the server, not " + server->to_string());
    return set_boot(l, {*slot}, file, true);
  }
  cfg_.items.push_back({args[1], file, server});
}

void Translator::pxe_prompt(const ConfLine& l) {
  auto args = split_args(l.value);
  while (!args.empty() && is_tag_prefix(args.front())) {
    approximate(l, "pxed shows the prompt to every BIOS client: " + args.front() + " ignored");
    args.erase(args.begin());
  }
  if (args.empty()) return untranslated(l, "names no prompt");
  cfg_.prompt = args[0];
  // Without a timeout dnsmasq's menu waits for a key, which PXE 2.1 says with 255.
  cfg_.timeout = 255;
  if (args.size() > 1) {
    auto t = to_int(args[1]);
    if (!t || *t < 0) return untranslated(l, args[1] + " is not a number of seconds");
    cfg_.timeout = std::min(*t, 255);
    if (*t > 255) approximate(l, "PXE menus count at most 255 seconds (and 255 waits for a key)");
  }
  prompt_line_ = &l;
}

}  // namespace pxed::import
