#pragma once
// What a dnsmasq configuration says in pxed's terms, between reading the
// dnsmasq lines (dnsmasq.cpp) and writing pxed.toml (dnsmasq_toml.cpp).
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "core/net.hpp"
#include "import/dnsmasq_conf.hpp"
#include "import/nginx.hpp"

namespace pxed::import {

// The [boot] keys, one per firmware pxed tells apart.
enum class Slot { bios, efi32, efi64, arm64, ipxe, http };
inline constexpr std::array<const char*, 6> kSlotNames{"bios", "efi32", "efi64", "arm64", "ipxe", "http"};
inline const char* name_of(Slot s) { return kSlotNames[static_cast<std::size_t>(s)]; }

struct ImportedReservation {
  core::Mac mac;
  core::Ipv4 ip;
  std::string hostname;
};

struct ImportedSubnet {
  core::Ipv4Network network;
  std::optional<core::Ipv4> first, last;  // none: dnsmasq's "static" (reservations only)
  std::optional<core::Ipv4> router;
  std::vector<core::Ipv4> dns;
  std::string domain;
  std::string lease_time;
  std::vector<ImportedReservation> reservations;
  std::vector<std::string> tags;  // dhcp-range's set:
};

struct ImportedMenuItem {
  std::string label;
  std::string file;  // empty: boot from the local disk
  std::optional<core::Ipv4> server;
};

struct ImportedBootHost {
  core::Mac mac;
  std::array<std::string, kSlotNames.size()> boot;
};

struct ImportedConfig {
  std::string source;  // the dnsmasq file, for the header
  std::string nginx_source;  // the nginx file (--nginx), for the header; empty: none
  std::vector<std::string> interfaces;
  std::string root;
  std::vector<ImportedMount> mounts;
  bool http = false;
  std::vector<std::string> http_listen;  // empty: pxed's default
  bool tftp = false;
  std::optional<int> max_transfers;
  enum class Mode { off, proxy, full } mode = Mode::off;
  std::vector<ImportedSubnet> subnets;
  std::array<std::string, kSlotNames.size()> boot;
  std::vector<ImportedBootHost> boot_hosts;
  std::string prompt;
  std::optional<int> timeout;
  std::vector<ImportedMenuItem> items;
};

std::string render_toml(const ImportedConfig& cfg, const std::vector<Note>& notes);

}  // namespace pxed::import
