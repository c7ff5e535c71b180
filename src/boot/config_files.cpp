#include "boot/config_files.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "core/percent.hpp"

namespace pxed::boot {
namespace {

constexpr std::string_view kPxelinuxDir = "pxelinux.cfg/";
constexpr std::string_view kPxelinuxDefault = "default";
constexpr std::string_view kGrubConfig = "grub.cfg";
constexpr std::string_view kIpxeScripts[] = {"boot.ipxe", "autoexec.ipxe"};
constexpr std::size_t kHexIpDigits = 8;

bool is_upper_hex(std::string_view s) {
  return !s.empty() && s.size() <= kHexIpDigits &&
         std::ranges::all_of(s, [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); });
}

// "01-52-54-00-12-34-56": ARP hardware type 1 (Ethernet), then the MAC.
std::optional<core::Mac> mac_of_name(std::string_view s) {
  if (!s.starts_with("01-")) return std::nullopt;
  return core::Mac::parse(s.substr(3));
}

// The per-machine part of a name (what follows pxelinux.cfg/ or grub.cfg-).
bool read_key(std::string_view s, ConfigName& name) {
  if (auto mac = mac_of_name(s)) {
    name.key = ConfigName::Key::mac;
    name.mac = *mac;
  } else if (auto uuid = core::Uuid::parse(s); uuid && name.loader == Loader::pxelinux) {
    name.key = ConfigName::Key::uuid;
    name.uuid = *uuid;
  } else if (is_upper_hex(s)) {
    name.key = ConfigName::Key::ip;
    name.hex = std::string(s);
  } else {
    return false;
  }
  return true;
}

std::optional<core::Ipv4> full_address(std::string_view hex) {
  if (hex.size() != kHexIpDigits) return std::nullopt;
  return core::Ipv4{static_cast<std::uint32_t>(std::stoul(std::string(hex), nullptr, 16))};
}

ClientFacts facts_with(const core::Mac& mac, std::optional<core::Uuid> uuid = std::nullopt) {
  ClientFacts facts;
  facts.mac = mac;
  facts.uuid = uuid;
  return facts;
}

std::optional<Identified> from_sighting(const Sighting* seen, std::string how) {
  if (seen == nullptr) return std::nullopt;
  return Identified{seen->facts, std::move(how)};
}

std::string who_of(const Match& m, const ClientFacts& facts) {
  if (m.machine != nullptr && !m.machine->name.empty()) return m.machine->name;
  return facts.mac == core::Mac{} ? "a machine pxed cannot tell" : facts.mac.to_string();
}

}  // namespace

std::string query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (!pair.starts_with(key) || pair.size() <= key.size() || pair[key.size()] != '=') continue;
    return core::percent_decoded(pair.substr(key.size() + 1));
  }
  return {};
}

std::optional<core::Mac> neighbour_in(std::string_view arp_table, core::Ipv4 address) {
  // "IP address  HW type  Flags  HW address  Mask  Device"; flags 0x2: the entry is complete.
  constexpr unsigned kComplete = 0x2;
  const std::string ip = address.to_string();
  while (!arp_table.empty()) {
    auto end = arp_table.find('\n');
    std::string_view line = arp_table.substr(0, end);
    arp_table = end == std::string_view::npos ? std::string_view{} : arp_table.substr(end + 1);
    std::vector<std::string_view> fields;
    for (std::size_t at = 0; at < line.size();) {
      auto start = line.find_first_not_of(' ', at);
      if (start == std::string_view::npos) break;
      auto stop = line.find(' ', start);
      fields.push_back(line.substr(start, stop - start));
      at = stop == std::string_view::npos ? line.size() : stop;
    }
    if (fields.size() < 4 || fields[0] != ip) continue;
    unsigned flags = 0;
    if (std::sscanf(std::string(fields[2]).c_str(), "%x", &flags) != 1 || (flags & kComplete) == 0) continue;
    if (auto mac = core::Mac::parse(fields[3]); mac && *mac != core::Mac{}) return mac;
  }
  return std::nullopt;
}

std::optional<ConfigName> parse_config_name(std::string_view rel) {
  ConfigName name;
  auto slash = rel.rfind('/');
  std::string_view dir = slash == std::string_view::npos ? std::string_view{} : rel.substr(0, slash + 1);
  std::string_view base = slash == std::string_view::npos ? rel : rel.substr(slash + 1);
  if (dir.ends_with(kPxelinuxDir) && (dir.size() == kPxelinuxDir.size() || dir[dir.size() - kPxelinuxDir.size() - 1] == '/')) {
    name.loader = Loader::pxelinux;
    name.dir = std::string(dir.substr(0, dir.size() - kPxelinuxDir.size()));
    if (base == kPxelinuxDefault) return name;
    if (read_key(base, name)) return name;
    return std::nullopt;
  }
  name.dir = std::string(dir);
  if (base == kGrubConfig) {
    name.loader = Loader::grub;
    return name;
  }
  if (base.starts_with(kGrubConfig) && base.size() > kGrubConfig.size() + 1 && base[kGrubConfig.size()] == '-') {
    name.loader = Loader::grub;
    if (read_key(base.substr(kGrubConfig.size() + 1), name)) return name;
    return std::nullopt;
  }
  if (std::ranges::find(kIpxeScripts, base) != std::end(kIpxeScripts)) {
    name.loader = Loader::ipxe;
    return name;
  }
  return std::nullopt;
}

std::vector<std::string> asked_names(Loader loader, std::string_view dir, const core::Mac& mac,
                                     const std::optional<core::Uuid>& uuid, core::Ipv4 address) {
  std::vector<std::string> names;
  const std::string d(dir);
  std::string hex = address.is_zero() ? std::string() : address.to_hex();
  switch (loader) {
    case Loader::pxelinux:
    case Loader::syslinux_efi:
      if (uuid) names.push_back(d + std::string(kPxelinuxDir) + uuid->to_string());
      names.push_back(d + std::string(kPxelinuxDir) + mac.to_pxelinux());
      for (auto n = hex.size(); n > 0; --n) names.push_back(d + std::string(kPxelinuxDir) + hex.substr(0, n));
      names.push_back(d + std::string(kPxelinuxDir) + std::string(kPxelinuxDefault));
      break;
    case Loader::grub:
      names.push_back(d + std::string(kGrubConfig) + "-" + mac.to_pxelinux());
      for (auto n = hex.size(); n > 0; --n) names.push_back(d + std::string(kGrubConfig) + "-" + hex.substr(0, n));
      names.push_back(d + std::string(kGrubConfig));
      break;
    case Loader::ipxe: names.push_back(d + std::string(kIpxeScripts[0])); break;
  }
  return names;
}

std::optional<Identified> identify(const ConfigName& name, const Asker& asker, const config::Config& cfg,
                                   const Sightings& sightings) {
  std::optional<Identified> found;
  switch (name.key) {
    case ConfigName::Key::mac: {
      found = from_sighting(sightings.by_mac(name.mac), "by name");
      if (!found) found = Identified{facts_with(name.mac), "by name"};
      break;
    }
    case ConfigName::Key::uuid: {
      found = from_sighting(sightings.by_uuid(name.uuid), "by UUID");
      if (found) break;
      for (const auto& m : cfg.inventory.machines) {
        if (m.uuid && *m.uuid == name.uuid) {
          found = Identified{facts_with(m.mac.value_or(core::Mac{}), name.uuid), "by UUID (inventory)"};
          break;
        }
      }
      break;
    }
    case ConfigName::Key::ip:
      if (auto a = full_address(name.hex)) found = from_sighting(sightings.by_address(*a), "by name's address");
      break;
    case ConfigName::Key::fixed:
      if (auto mac = core::Mac::parse(query_value(asker.query, "mac"))) {
        found = from_sighting(sightings.by_mac(*mac), "by iPXE's mac");
        if (!found) found = Identified{facts_with(*mac), "by iPXE's mac"};
        if (auto uuid = core::Uuid::parse(query_value(asker.query, "uuid"))) found->facts.uuid = uuid;
      }
      break;
  }
  if (!found && !asker.address.is_zero()) {
    if (const auto* seen = sightings.by_address(asker.address)) found = Identified{seen->facts, "by address, " + seen->how};
  }
  if (!found && asker.neighbour) {
    found = from_sighting(sightings.by_mac(*asker.neighbour), "by the neighbour table");
    if (!found) found = Identified{facts_with(*asker.neighbour), "by the neighbour table"};
  }
  // The request comes from the machine itself: its source is the machine's address now.
  if (found && found->facts.address.is_zero()) found->facts.address = asker.address;
  return found;
}

std::optional<ConfigFile> config_file(std::string_view rel, const Asker& asker, const config::Config& cfg,
                                      const Sightings& sightings, const Remembered* remembered) {
  auto name = parse_config_name(rel);
  if (!name) return std::nullopt;
  auto id = identify(*name, asker, cfg, sightings);
  if (!id) {
    // A machine pxed cannot tell gets the plan for whoever is unknown, at the
    // loader's last name only: its subnet may still pick a group.
    if (name->key != ConfigName::Key::fixed) return std::nullopt;
    id = Identified{ClientFacts{}, asker.address.is_zero() ? std::string("its address unknown")
                                                            : "not known by address " + asker.address.to_string()};
    id->facts.address = asker.address;
  }
  ConfigFile out;
  out.facts = id->facts;
  out.match = match(out.facts, cfg, remembered);
  if (out.match.profile.empty()) return std::nullopt;
  out.loader = name->loader;
  if (out.loader == Loader::pxelinux && firmware_of(out.facts.arch) != Firmware::bios && out.facts.arch) {
    out.loader = Loader::syslinux_efi;
  }
  const bool known = out.facts.mac != core::Mac{};
  if (known) {
    auto names = asked_names(out.loader, name->dir, out.facts.mac, out.facts.uuid, out.facts.address);
    auto at = std::ranges::find(names, rel);
    auto from = at == names.end() ? names.begin() : std::next(at);
    // The user's per-machine files later in the order win; their default only
    // over a plan that is itself only the default.
    auto to = out.match.by_default || names.empty() ? names.end() : std::prev(names.end());
    if (from < to) out.yield_to.assign(from, to);
  }
  auto context = context_for(cfg.http, asker.local, asker.reached);
  out.content = render(out.loader, plan_of(out.match, out.facts, context, cfg, remembered));
  out.why = "for " + who_of(out.match, out.facts) + " (" + id->how + "): " + out.match.rule + " -> profile " +
            out.match.profile;
  return out;
}

}  // namespace pxed::boot
