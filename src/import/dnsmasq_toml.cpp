// pxed.toml from an ImportedConfig: only what the dnsmasq file said, so every
// other key keeps pxed's default (pxed.example.toml lists them).
#include <cstdio>
#include <sstream>

#include "import/dnsmasq_model.hpp"
#include "core/utf8.hpp"

namespace pxed::import {
namespace {

// A TOML basic string: the characters TOML 1.0 requires escaped, escaped.
std::string toml_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// TOML comments hold UTF-8 without control characters but tab: anything else
// from a dnsmasq line (or a file name) shows as '?' rather than break the file.
std::string comment_text(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      std::size_t length = 1;
      while (length < 4 && i + length < s.size() && (static_cast<unsigned char>(s[i + length]) & 0xc0) == 0x80) {
        ++length;
      }
      const auto sequence = s.substr(i, length);
      out += core::valid_utf8(sequence) ? std::string(sequence) : "?";
      i += length - 1;
    } else {
      out += (c < 0x20 && c != '\t') || c == 0x7f ? '?' : static_cast<char>(c);
    }
  }
  return out;
}

template <class T, class F>
std::string array_of(const std::vector<T>& items, F text) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + toml_string(text(items[i]));
  return out + "]";
}

const char* mode_name(ImportedConfig::Mode m) {
  switch (m) {
    case ImportedConfig::Mode::full: return "full";
    case ImportedConfig::Mode::proxy: return "proxy";
    case ImportedConfig::Mode::off: break;
  }
  return "off";
}

void write_subnet(std::ostream& out, const ImportedSubnet& s) {
  out << "\n[[dhcp.subnet]]\n";
  out << "network = " << toml_string(s.network.to_string()) << "\n";
  if (s.first && s.last) out << "range = [" << toml_string(s.first->to_string()) << ", " << toml_string(s.last->to_string()) << "]\n";
  if (s.router) out << "router = " << toml_string(s.router->to_string()) << "\n";
  if (!s.dns.empty()) out << "dns = " << array_of(s.dns, [](auto a) { return a.to_string(); }) << "\n";
  if (!s.domain.empty()) out << "domain = " << toml_string(s.domain) << "\n";
  if (!s.lease_time.empty()) out << "lease_time = " << toml_string(s.lease_time) << "\n";
  for (const auto& r : s.reservations) {
    out << "[[dhcp.subnet.reservation]]\n";
    out << "mac = " << toml_string(r.mac.to_string()) << "\n";
    out << "ip = " << toml_string(r.ip.to_string()) << "\n";
    if (!r.hostname.empty()) out << "hostname = " << toml_string(r.hostname) << "\n";
  }
}

}  // namespace

std::string render_toml(const ImportedConfig& cfg, const std::vector<Note>& notes) {
  std::ostringstream out;
  out << "# pxed.toml written by `pxed import dnsmasq " << comment_text(cfg.source)
      << (cfg.nginx_source.empty() ? "" : " --nginx " + comment_text(cfg.nginx_source)) << "`.\n"
      << "# Only what that file said is here; every other key keeps its default (see\n"
      << "# pxed.example.toml). Lines it had that pxed cannot say, or says only\n"
      << "# approximately, are listed at the end. Check with `pxed check -c FILE`.\n";

  out << "\n[server]\n";
  out << "# dnsmasq kept leases in its own lease file; pxed keeps them here (not imported).\n";
  out << "state_dir = \"/var/lib/pxed\"\n";
  out << "interfaces = " << array_of(cfg.interfaces, [](const auto& s) { return s; }) << "\n";

  if (!cfg.root.empty() || !cfg.mounts.empty()) out << "\n[files]\n";
  if (!cfg.root.empty()) out << "root = " << toml_string(cfg.root) << "\n";
  for (const auto& m : cfg.mounts) {
    out << "[[files.mount]]\n# " << comment_text(m.from) << "\nat = " << toml_string(m.at) << "\n";
    out << (m.iso.empty() ? "dir = " + toml_string(m.dir) : "iso = " + toml_string(m.iso)) << "\n";
  }

  out << "\n[tftp]\nenabled = " << (cfg.tftp ? "true" : "false") << "\n";
  if (cfg.max_transfers) out << "max_transfers = " << *cfg.max_transfers << "\n";

  if (cfg.http) {
    out << "\n[http]\nenabled = true\n";
    if (cfg.http_listen.size() == 1) out << "listen = " << toml_string(cfg.http_listen.front()) << "\n";
    if (cfg.http_listen.size() > 1) out << "listen = " << array_of(cfg.http_listen, [](const auto& s) { return s; }) << "\n";
  }

  out << "\n[dhcp]\nmode = " << toml_string(mode_name(cfg.mode)) << "\n";
  if (cfg.mode == ImportedConfig::Mode::full) {
    for (const auto& s : cfg.subnets) write_subnet(out, s);
  }

  bool boot_header = false;
  auto boot = [&] {
    if (!boot_header) out << "\n[boot]\n";
    boot_header = true;
  };
  for (std::size_t i = 0; i < cfg.boot.size(); ++i) {
    if (cfg.boot[i].empty()) continue;
    boot();
    out << kSlotNames[i] << " = " << toml_string(cfg.boot[i]) << "\n";
  }
  for (const auto& host : cfg.boot_hosts) {
    boot();
    out << "[[boot.host]]\nmac = " << toml_string(host.mac.to_string()) << "\n";
    for (std::size_t i = 0; i < host.boot.size(); ++i) {
      if (!host.boot[i].empty()) out << kSlotNames[i] << " = " << toml_string(host.boot[i]) << "\n";
    }
  }
  if (!cfg.items.empty()) {
    boot();
    out << "\n[boot.menu]\n";
    if (!cfg.prompt.empty()) out << "prompt = " << toml_string(cfg.prompt) << "\n";
    if (cfg.timeout) out << "timeout = " << *cfg.timeout << "\n";
    for (const auto& item : cfg.items) {
      out << "[[boot.menu.item]]\nlabel = " << toml_string(item.label) << "\n";
      if (!item.file.empty()) out << "file = " << toml_string(item.file) << "\n";
      if (item.server) out << "server = " << toml_string(item.server->to_string()) << "\n";
    }
  }

  if (!notes.empty()) {
    out << "\n# What the " << (cfg.nginx_source.empty() ? "dnsmasq configuration" : "dnsmasq and nginx configurations")
        << " said that this file does not, or only approximately:\n";
    for (const auto& n : notes) out << "# " << comment_text(n.to_string()) << "\n";
  }
  return out.str();
}

}  // namespace pxed::import
