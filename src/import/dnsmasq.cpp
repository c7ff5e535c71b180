// dnsmasq options in pxed's terms. dnsmasq decides per request by tags
// (dhcp-match sets "efi64", dhcp-boot=tag:efi64 uses it); pxed decides by
// firmware ([boot] efi64) and by machine. So tags are read first, for what
// they say about the client's firmware, and the lines that use them after.
#include "import/dnsmasq.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <map>
#include <set>

#include "import/dnsmasq_model.hpp"

namespace pxed::import {
namespace {

using Kind = Note::Kind;
using Mode = ImportedConfig::Mode;

constexpr std::string_view kNoDns = "DNS: pxed serves no DNS, keep a DNS server for it";

// Options with nothing to write: pxed behaves so already, or the option only
// concerns how dnsmasq runs.
constexpr std::string_view kSilent[] = {
    "bind-interfaces", "bind-dynamic", "log-dhcp", "dhcp-no-override", "dhcp-authoritative",
    "keep-in-foreground", "no-daemon", "dhcp-ignore-clid"};

struct Known {
  std::string_view name;
  std::string_view why;
};
constexpr Known kUntranslatable[] = {
    {"server", kNoDns}, {"local", kNoDns}, {"address", kNoDns}, {"no-resolv", kNoDns},
    {"domain-needed", kNoDns}, {"bogus-priv", kNoDns}, {"expand-hosts", kNoDns}, {"cache-size", kNoDns},
    {"no-hosts", kNoDns}, {"addn-hosts", kNoDns}, {"resolv-file", kNoDns}, {"strict-order", kNoDns},
    {"no-poll", kNoDns}, {"log-queries", kNoDns}, {"cname", kNoDns}, {"host-record", kNoDns},
    {"srv-host", kNoDns}, {"mx-host", kNoDns}, {"txt-record", kNoDns}, {"ptr-record", kNoDns},
    {"local-service", kNoDns}, {"stop-dns-rebind", kNoDns}, {"all-servers", kNoDns},
    {"listen-address", "pxed answers DHCP on server.interfaces and listens on [tftp]/[http] listen"},
    {"except-interface", "pxed answers DHCP only on the interfaces server.interfaces names; list yours there"},
    {"no-dhcp-interface", "pxed answers DHCP only on the interfaces server.interfaces names; leave this one out"},
    {"dhcp-leasefile", "pxed keeps leases in server.state_dir (SQLite); dnsmasq's leases are not imported"},
    {"dhcp-lease-max", "pxed has no lease count limit; it limits new bindings per second instead"},
    {"dhcp-script", "pxed runs no scripts; its events are in `pxed events` and GET /api/v1/events"},
    {"tftp-unique-root", "pxed serves one tree to every client; per-machine files go in pxelinux.cfg/ or the inventory"},
    {"tftp-port-range", "pxed takes an ephemeral port per transfer"},
    {"tftp-secure", "pxed serves every file in files.root that server.user can read"},
    {"user", "pxed's server.user is an account of its own; pick it (empty keeps root)"},
    {"group", "pxed runs as server.user and its group"},
    {"pid-file", "pxed writes no PID file unless asked on the command line"},
    {"log-facility", "pxed logs to standard error (the journal under systemd)"},
    {"dhcp-ignore", "pxed has no per-tag ignore; [dhcp] pxe_only answers only PXE clients"},
    {"tag-if", "pxed decides by firmware and machine, not by combined tags"},
};

std::optional<int> to_int(std::string_view s) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

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

// dhcp-option's names for the options pxed reads.
int option_number(std::string_view token) {
  static const std::map<std::string_view, int> kNames{
      {"netmask", 1}, {"router", 3}, {"dns-server", 6}, {"domain-name", 15}, {"broadcast", 28},
      {"ntp-server", 42}, {"vendor-class", 60}, {"tftp-server", 66}, {"bootfile-name", 67},
      {"user-class", 77}, {"client-arch", 93}};
  if (token.starts_with("option:")) {
    auto it = kNames.find(token.substr(7));
    return it == kNames.end() ? -1 : it->second;
  }
  return to_int(token).value_or(-1);
}

// dnsmasq lease times: seconds, or a number with s/m/h/d/w, or "infinite".
std::optional<std::string> lease_time(std::string_view s) {
  if (s == "infinite") return std::string("365d");
  if (s.empty()) return std::nullopt;
  char unit = 's';
  if (std::string_view("smhdw").find(s.back()) != std::string_view::npos) {
    unit = s.back();
    s.remove_suffix(1);
  }
  auto n = to_int(s);
  if (!n || *n <= 0) return std::nullopt;
  if (unit == 'w') return std::to_string(*n * 7) + "d";
  return std::to_string(*n) + unit;
}

bool is_tag_prefix(std::string_view a) { return a.starts_with("tag:") || a.starts_with("net:"); }

class Translator {
 public:
  explicit Translator(std::vector<Note>& notes) : notes_(notes) {}

  ImportedConfig run(const std::string& source, const std::vector<ConfLine>& lines) {
    cfg_.source = source;
    // Tags and networks first: the lines that use them may come before them.
    for (const auto& l : lines) {
      if (l.name == "dhcp-match") dhcp_match(l);
      else if (l.name == "dhcp-userclass") userclass(l);
      else if (l.name == "dhcp-vendorclass") vendorclass(l);
      else if (l.name == "dhcp-range") dhcp_range(l);
    }
    for (const auto& l : lines) {
      if (l.name == "dhcp-host") dhcp_host(l);
    }
    for (const auto& l : lines) second_pass(l);
    finish(lines);
    return std::move(cfg_);
  }

 private:
  std::vector<Note>& notes_;
  ImportedConfig cfg_;
  std::map<std::string, std::set<Slot>, std::less<>> firmware_tags_;  // tag -> the firmware it picks
  std::set<std::string, std::less<>> any_pxe_tags_;                  // set for every PXE client
  std::map<std::string, std::size_t, std::less<>> range_tags_;       // tag -> subnet
  std::map<std::string, std::vector<core::Mac>, std::less<>> host_tags_;  // dhcp-host's set:
  std::array<const ConfLine*, kSlotNames.size()> boot_from_{};
  std::array<bool, kSlotNames.size()> boot_tagged_{};
  const ConfLine* first_range_ = nullptr;
  const ConfLine* first_proxy_ = nullptr;
  const ConfLine* prompt_line_ = nullptr;

  void note(const ConfLine& l, Kind kind, std::string why) {
    notes_.push_back({l.file, l.line, l.text(), kind, std::move(why)});
  }
  void untranslated(const ConfLine& l, std::string why) { note(l, Kind::untranslated, std::move(why)); }
  void approximate(const ConfLine& l, std::string why) { note(l, Kind::approximate, std::move(why)); }

  // ---- tags ----

  // "set:efi64" (or the old "net:efi64") -> "efi64".
  std::optional<std::string> set_tag(const ConfLine& l, const std::vector<std::string>& args) {
    if (args.empty() || !(args[0].starts_with("set:") || args[0].starts_with("net:")) || args[0].size() < 5) {
      untranslated(l, "expected set:<tag> first");
      return std::nullopt;
    }
    return args[0].substr(4);
  }

  void firmware_tag(const std::string& tag, Slot slot) { firmware_tags_[tag].insert(slot); }

  void dhcp_match(const ConfLine& l) {
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

  void userclass(const ConfLine& l) {
    auto args = split_args(l.value);
    auto tag = set_tag(l, args);
    if (!tag) return;
    if (args.size() > 1 && args[1] == "iPXE") return firmware_tag(*tag, Slot::ipxe);
    untranslated(l, "pxed knows one user class, \"iPXE\"; tag " + *tag + " is not used");
  }

  void vendorclass(const ConfLine& l) {
    auto args = split_args(l.value);
    auto tag = set_tag(l, args);
    if (!tag) return;
    if (args.size() > 1 && args[1].starts_with("enterprise:")) args.erase(args.begin() + 1);
    vendor_value(l, *tag, args.size() > 1 ? args[1] : "");
  }

  // Option 60: "PXEClient:Arch:00007:UNDI:003016", "HTTPClient:Arch:00016", "PXEClient".
  void vendor_value(const ConfLine& l, const std::string& tag, std::string_view value) {
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

  // ---- networks ----

  void dhcp_range(const ConfLine& l) {
    auto args = split_args(l.value);
    std::vector<std::string> tags;
    std::size_t i = 0;
    for (; i < args.size(); ++i) {
      if (args[i].starts_with("set:") || args[i].starts_with("net:")) {
        tags.push_back(args[i].substr(4));
      } else if (args[i].starts_with("tag:")) {
        approximate(l, "pxed serves the range to every client, not only those with " + args[i]);
      } else if (args[i].starts_with("interface:")) {
        add_interface(l, args[i].substr(10));
      } else {
        break;
      }
    }
    if (i >= args.size()) return untranslated(l, "names no addresses");
    if (args[i].find(':') != std::string::npos) return untranslated(l, "IPv6: pxed serves DHCPv4 only so far");
    auto start = core::Ipv4::parse(args[i]);
    if (!start) return untranslated(l, args[i] + " is not an IPv4 address");
    ++i;
    std::optional<core::Ipv4> end;
    bool proxy = false;
    bool fixed = false;
    if (i < args.size()) {
      if (args[i] == "proxy") proxy = true;
      else if (args[i] == "static") fixed = true;
      else if ((end = core::Ipv4::parse(args[i])) == std::nullopt)
        return untranslated(l, "expected the last address, proxy or static after " + start->to_string() +
                                   ", got " + args[i]);
      ++i;
    }
    std::optional<std::uint8_t> prefix;
    if (i < args.size()) {
      if (auto mask = core::Ipv4::parse(args[i])) {
        const auto bits = static_cast<std::uint8_t>(std::popcount(mask->value));
        if (bits == 0 || (bits < 32 && (mask->value << bits) != 0)) {
          return untranslated(l, args[i] + " is not a netmask");
        }
        prefix = bits;
        ++i;
        if (i < args.size() && core::Ipv4::parse(args[i])) ++i;  // the broadcast address follows from the mask
      }
    }
    std::string lease;
    if (i < args.size()) {
      auto t = lease_time(args[i]);
      if (!t) return untranslated(l, args[i] + " is not a lease time (like 12h, 45m, 3600 or infinite)");
      if (args[i] == "infinite") approximate(l, "pxed leases last at most 365d: lease_time = \"365d\"");
      lease = *t;
    }
    if (proxy) {
      if (!first_proxy_) first_proxy_ = &l;
      return;
    }
    if (!end && !fixed) return untranslated(l, "a full range needs its last address (or proxy, or static)");
    if (!prefix) {
      // dnsmasq reads the netmask off the interface, which an import cannot see.
      prefix = 24;
      approximate(l, "no netmask: dnsmasq took it from the interface; assumed /24 (255.255.255.0), check network");
    }
    const auto mask = core::Ipv4Network{{}, *prefix}.mask();
    const core::Ipv4Network network{core::Ipv4{start->value & mask}, *prefix};
    if (end && (!network.contains(*end) || *end < *start)) {
      return untranslated(l, end->to_string() + " is not after " + start->to_string() + " in " + network.to_string());
    }
    if (!first_range_) first_range_ = &l;
    auto it = std::ranges::find(cfg_.subnets, network, &ImportedSubnet::network);
    if (it == cfg_.subnets.end()) {
      cfg_.subnets.push_back({network, {}, {}, {}, {}, {}, lease.empty() ? "1h" : lease, {}, {}});
      it = cfg_.subnets.end() - 1;
    } else if (!lease.empty() && lease != it->lease_time) {
      approximate(l, "pxed has one lease time per subnet: kept " + it->lease_time);
    }
    if (end) {
      if (!it->first) {
        it->first = *start;
        it->last = *end;
      } else {
        it->first = std::min(*it->first, *start);
        it->last = std::max(*it->last, *end);
        approximate(l, "pxed has one range per subnet: " + it->first->to_string() + " to " + it->last->to_string() +
                           " spans both");
      }
    }
    for (auto& t : tags) {
      range_tags_.emplace(t, static_cast<std::size_t>(it - cfg_.subnets.begin()));
      it->tags.push_back(std::move(t));
    }
  }

  ImportedSubnet* subnet_of(core::Ipv4 a) {
    auto it = std::ranges::find_if(cfg_.subnets, [&](const auto& s) { return s.network.contains(a); });
    return it == cfg_.subnets.end() ? nullptr : &*it;
  }

  void dhcp_host(const ConfLine& l) {
    std::vector<core::Mac> macs;
    std::optional<core::Ipv4> ip;
    std::string hostname;
    std::vector<std::string> tags;
    for (const auto& a : split_args(l.value)) {
      if (a.starts_with("set:") || a.starts_with("net:")) {
        tags.push_back(a.substr(4));
      } else if (a.starts_with("tag:")) {
        approximate(l, "pxed reserves the address whatever the tags: " + a + " ignored");
      } else if (a.starts_with("id:")) {
        if (a != "id:*") return untranslated(l, "pxed reserves by MAC address, not by client identifier");
      } else if (a.starts_with('[')) {
        approximate(l, "IPv6 address " + a + " left out: pxed serves DHCPv4 only so far");
      } else if (a == "ignore") {
        return untranslated(l, "pxed has no per-host ignore; [dhcp] pxe_only answers only PXE clients");
      } else if (auto mac = core::Mac::parse(a)) {
        macs.push_back(*mac);
      } else if (a.find('*') != std::string::npos && a.find(':') != std::string::npos) {
        return untranslated(l, "a MAC with wildcards: pxed reserves one MAC; a [[group]] match mac = \"52:54:00:*\" "
                               "picks machines by prefix");
      } else if (auto addr = core::Ipv4::parse(a)) {
        ip = *addr;
      } else if (lease_time(a)) {
        approximate(l, "pxed has one lease time per subnet: " + a + " not kept for this host");
      } else if (!a.empty()) {
        hostname = a;
      }
    }
    if (macs.empty()) return untranslated(l, "pxed reserves addresses by MAC, and this line names none");
    for (const auto& t : tags) {
      auto& tagged = host_tags_[t];
      tagged.insert(tagged.end(), macs.begin(), macs.end());
    }
    if (!ip) {
      // A tag alone still means something: a dhcp-boot for it becomes [[boot.host]].
      if (!tags.empty() && hostname.empty()) return;
      return untranslated(l, "no IPv4 address: pxed gives a hostname only with a reserved address");
    }
    auto* subnet = subnet_of(*ip);
    if (!subnet) {
      return untranslated(l, ip->to_string() + " is in no dhcp-range's network" +
                                 (first_proxy_ ? " (proxy mode hands out no addresses)" : ""));
    }
    if (macs.size() > 1) approximate(l, "pxed reserves an address for one MAC: kept " + macs[0].to_string());
    for (const auto& s : cfg_.subnets) {
      for (const auto& r : s.reservations) {
        if (r.mac == macs[0] || r.ip == *ip) {
          return untranslated(l, "repeats the " + std::string(r.mac == macs[0] ? "MAC" : "address") +
                                     " of the reservation " + r.mac.to_string() + " -> " + r.ip.to_string());
        }
      }
    }
    subnet->reservations.push_back({macs[0], *ip, hostname});
  }

  void add_interface(const ConfLine& l, std::string name) {
    if (name.find('*') != std::string::npos) {
      return untranslated(l, "pxed names interfaces exactly; list the ones " + name + " matched");
    }
    if (std::ranges::find(cfg_.interfaces, name) == cfg_.interfaces.end()) cfg_.interfaces.push_back(std::move(name));
  }

  // ---- the lines that use tags ----

  void second_pass(const ConfLine& l) {
    const auto& n = l.name;
    if (n == "dhcp-match" || n == "dhcp-userclass" || n == "dhcp-vendorclass" || n == "dhcp-range" ||
        n == "dhcp-host") {
      return;
    }
    if (n == "interface") {
      for (auto& a : split_args(l.value)) add_interface(l, std::move(a));
    } else if (n == "dhcp-boot") {
      dhcp_boot(l);
    } else if (n == "dhcp-option" || n == "dhcp-option-force") {
      dhcp_option(l);
    } else if (n == "pxe-service") {
      pxe_service(l);
    } else if (n == "pxe-prompt") {
      pxe_prompt(l);
    } else if (n == "tftp-root") {
      auto args = split_args(l.value);
      if (args.empty() || args[0].empty()) return untranslated(l, "names no directory");
      cfg_.root = args[0];
      if (args.size() > 1) approximate(l, "pxed serves one tree on every interface, not only on " + args[1]);
    } else if (n == "enable-tftp") {
      cfg_.tftp = true;
      if (l.has_value && !l.value.empty()) {
        approximate(l, "pxed's TFTP listens on [tftp] listen (every interface by default), not only on " + l.value);
      }
    } else if (n == "tftp-max") {
      auto v = to_int(l.value);
      if (!v || *v < 1) return untranslated(l, "not a number of transfers");
      cfg_.max_transfers = std::min(*v, 100000);
    } else if (n == "domain") {
      domain(l);
    } else if (n == "port") {
      if (l.value != "0") untranslated(l, std::string(kNoDns));
    } else if (std::ranges::find(kSilent, n) != std::end(kSilent)) {
      return;
    } else if (auto it = std::ranges::find(kUntranslatable, n, &Known::name); it != std::end(kUntranslatable)) {
      untranslated(l, std::string(it->why));
    } else {
      untranslated(l, "pxed has no equivalent of " + n);
    }
  }

  // Which [boot] keys a line with these tags sets, or why none.
  struct Target {
    std::vector<Slot> slots;
    std::string problem;
    const std::vector<core::Mac>* hosts = nullptr;  // only these machines: [[boot.host]]
  };

  Target target_of(const ConfLine& l, const std::vector<std::string>& tags, std::string_view file) {
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
  void set_host_boot(const ConfLine& l, const Target& target, const std::string& file) {
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

  void set_boot(const ConfLine& l, const std::vector<Slot>& slots, const std::string& file, bool tagged) {
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

  void boot_file(const ConfLine& l, const std::vector<std::string>& tags, const std::string& file) {
    if (file.empty()) return untranslated(l, "names no boot file");
    auto target = target_of(l, tags, file);
    if (!target.problem.empty()) return untranslated(l, target.problem);
    if (target.hosts) return set_host_boot(l, target, file);
    if (tags.empty() && target.slots == std::vector{Slot::efi64}) {
      approximate(l, "dnsmasq sends it to every client; pxed to x86-64 UEFI ones ([boot] efi64)");
    }
    set_boot(l, target.slots, file, !tags.empty());
  }

  void dhcp_boot(const ConfLine& l) {
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

  void dhcp_option(const ConfLine& l) {
    auto args = split_args(l.value);
    std::vector<std::string> tags;
    while (!args.empty()) {
      const auto& a = args.front();
      if (is_tag_prefix(a)) {
        tags.push_back("tag:" + a.substr(4));
      } else if (a.starts_with("encap:") || a.starts_with("vi-encap:") || a.starts_with("vendor:")) {
        return untranslated(l, "pxed sends no vendor-encapsulated options of its own choosing");
      } else if (a.starts_with("option6:")) {
        return untranslated(l, "IPv6: pxed serves DHCPv4 only so far");
      } else {
        break;
      }
      args.erase(args.begin());
    }
    if (args.empty()) return untranslated(l, "names no option");
    const int option = option_number(args[0]);
    std::vector<std::string> values(args.begin() + 1, args.end());
    if (option == 67) return boot_file(l, tags, values.empty() ? "" : values[0]);
    if (option == 66) {
      return approximate(l, "pxed serves TFTP itself and names its own address as the server");
    }
    if (option == 1 || option == 28) return;  // both follow from the subnet's network
    if (option == 42) return untranslated(l, "pxed sends no NTP servers (option 42)");
    if (option != 3 && option != 6 && option != 15) {
      return untranslated(l, "pxed sends no option " + (option < 0 ? args[0] : std::to_string(option)) +
                                 " of its own choosing");
    }
    if (cfg_.subnets.empty()) {
      return untranslated(l, first_proxy_ ? "proxy mode: the other DHCP server sends this option"
                                          : "no dhcp-range gives it a network");
    }
    std::vector<ImportedSubnet*> subnets;
    for (const auto& t : tags) {
      auto it = range_tags_.find(std::string_view(t).substr(4));
      if (it == range_tags_.end()) {
        return untranslated(l, "pxed sets options per subnet; " + t + " names no dhcp-range");
      }
      subnets.push_back(&cfg_.subnets[it->second]);
    }
    if (tags.empty()) {
      for (auto& s : cfg_.subnets) subnets.push_back(&s);
    }
    std::vector<core::Ipv4> addresses;
    if (option != 15) {
      for (const auto& v : values) {
        auto a = core::Ipv4::parse(v);
        if (!a) return untranslated(l, v + " is not an IPv4 address");
        // dnsmasq's 0.0.0.0 means its own address, which pxed cannot know here.
        if (a->is_zero()) return untranslated(l, "0.0.0.0 is dnsmasq's own address: write that address instead");
        addresses.push_back(*a);
      }
    }
    for (auto* s : subnets) {
      if (option == 3) {
        if (addresses.empty()) continue;  // dnsmasq's way to send no router: pxed sends none unless told
        if (!s->network.contains(addresses[0])) {
          untranslated(l, addresses[0].to_string() + " is outside " + s->network.to_string());
          continue;
        }
        s->router = addresses[0];
      } else if (option == 6) {
        s->dns = addresses;
      } else if (!values.empty()) {
        s->domain = values[0];
      }
    }
    if (option == 3 && addresses.size() > 1) approximate(l, "pxed sends one router: " + addresses[0].to_string());
  }

  void domain(const ConfLine& l) {
    auto args = split_args(l.value);
    if (args.empty() || args[0].empty()) return untranslated(l, "names no domain");
    for (auto& s : cfg_.subnets) {
      if (args.size() > 1) {
        auto a = core::Ipv4::parse(args[1].substr(0, args[1].find('/')));
        if (!a || !s.network.contains(*a)) continue;
      }
      if (s.domain.empty()) s.domain = args[0];
    }
    if (cfg_.subnets.empty()) untranslated(l, "no dhcp-range gives it a network");
  }

  void pxe_service(const ConfLine& l) {
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

  void pxe_prompt(const ConfLine& l) {
    auto args = split_args(l.value);
    while (!args.empty() && is_tag_prefix(args.front())) {
      approximate(l, "pxed shows the prompt to every BIOS client: " + args.front() + " ignored");
      args.erase(args.begin());
    }
    if (args.empty()) return untranslated(l, "names no prompt");
    cfg_.prompt = args[0];
    if (args.size() > 1) {
      auto t = to_int(args[1]);
      if (!t || *t < 0) return untranslated(l, args[1] + " is not a number of seconds");
      cfg_.timeout = std::min(*t, 255);
      if (*t > 255) approximate(l, "PXE menus count at most 255 seconds (and 255 waits for a key)");
    }
    prompt_line_ = &l;
  }

  void finish(const std::vector<ConfLine>& lines) {
    const bool full = !cfg_.subnets.empty();
    cfg_.mode = full ? Mode::full : first_proxy_ ? Mode::proxy : Mode::off;
    if (full && first_proxy_) {
      untranslated(*first_proxy_, "pxed runs in one mode: full (this file hands out addresses elsewhere)");
    }
    if (full && std::ranges::any_of(cfg_.subnets, [](const auto& s) { return !s.router || s.dns.empty(); })) {
      approximate(*first_range_, "dnsmasq sends its own address as router and DNS server unless dhcp-option 3 and "
                                 "6 say otherwise; pxed sends them only when router and dns are set");
    }
    if (cfg_.mode != Mode::off && cfg_.interfaces.empty()) {
      approximate(full ? *first_range_ : *first_proxy_,
                  "dnsmasq answered DHCP on every interface; pxed only on server.interfaces: name yours there");
    }
    // One item and no prompt: dnsmasq boots it at once, as [boot] bios does.
    auto& bios = cfg_.boot[static_cast<std::size_t>(Slot::bios)];
    if (cfg_.items.size() == 1 && cfg_.prompt.empty() && !cfg_.items[0].file.empty() && !cfg_.items[0].server &&
        (bios.empty() || bios == cfg_.items[0].file)) {
      bios = cfg_.items[0].file;
      cfg_.items.clear();
    }
    if (prompt_line_ && cfg_.items.empty() && !cfg_.prompt.empty()) {
      untranslated(*prompt_line_, "a prompt needs a menu: no x86PC pxe-service gives it items");
      cfg_.prompt.clear();
    }
    if (cfg_.tftp && cfg_.root.empty()) {
      cfg_.root = "/srv/tftp";
      auto it = std::ranges::find(lines, "enable-tftp", &ConfLine::name);
      approximate(*it, "no tftp-root: dnsmasq served from its working directory; files.root = \"/srv/tftp\", "
                       "put the loaders there");
    }
  }
};

}  // namespace

std::expected<DnsmasqImport, std::string> import_dnsmasq(const std::string& path, const ConfSources& sources) {
  std::vector<Note> include_notes;
  auto lines = read_conf(path, sources, include_notes);
  if (!lines) return std::unexpected(lines.error());
  std::vector<Note> notes;
  auto cfg = Translator(notes).run(path, *lines);
  // In the order of the lines they are about: where each line stands among all lines read.
  std::map<std::pair<std::string, std::uint32_t>, std::size_t> order;
  for (std::size_t i = 0; i < lines->size(); ++i) order.emplace(std::pair{(*lines)[i].file, (*lines)[i].line}, i);
  std::ranges::stable_sort(notes, {}, [&](const Note& n) { return order[{n.file, n.line}]; });
  include_notes.insert(include_notes.end(), notes.begin(), notes.end());
  DnsmasqImport result;
  result.toml = render_toml(cfg, include_notes);
  result.notes = std::move(include_notes);
  return result;
}

}  // namespace pxed::import
