// dnsmasq's networks in pxed's terms: dhcp-range, dhcp-host, dhcp-option and
// domain become [server] interfaces and [[dhcp.subnet]] with its reservations.
#include <algorithm>
#include <bit>

#include "import/dnsmasq_translator.hpp"

namespace pxed::import {

void Translator::dhcp_range(const ConfLine& l) {
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
    bool clamped = false;
    auto t = lease_time(args[i], &clamped);
    if (!t) return untranslated(l, args[i] + " is not a lease time (like 12h, 45m, 3600 or infinite)");
    if (clamped) approximate(l, "pxed leases last 2m (as dnsmasq's) to 365d: lease_time = \"" + *t + "\"");
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

ImportedSubnet* Translator::subnet_of(core::Ipv4 a) {
  auto it = std::ranges::find_if(cfg_.subnets, [&](const auto& s) { return s.network.contains(a); });
  return it == cfg_.subnets.end() ? nullptr : &*it;
}

void Translator::dhcp_host(const ConfLine& l) {
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

void Translator::add_interface(const ConfLine& l, std::string name) {
  if (name.find('*') != std::string::npos) {
    return untranslated(l, "pxed names interfaces exactly; list the ones " + name + " matched");
  }
  if (std::ranges::find(cfg_.interfaces, name) == cfg_.interfaces.end()) cfg_.interfaces.push_back(std::move(name));
}

void Translator::dhcp_option(const ConfLine& l) {
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

void Translator::domain(const ConfLine& l) {
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

}  // namespace pxed::import
