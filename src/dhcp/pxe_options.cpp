#include "dhcp/pxe_options.hpp"

namespace pxed::dhcp {
namespace {

constexpr std::size_t kMaxValue = 255;  // RFC 2132 §2: one length octet, for 43 and each sub-option
constexpr std::uint8_t kPad = 0;        // PXE 2.1 §2.2.6 uses DHCP's pad and end inside option 43

void put_u16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xff));
}

std::uint16_t get_u16(std::span<const std::uint8_t> in, std::size_t at) {
  return static_cast<std::uint16_t>(in[at] << 8 | in[at + 1]);
}

bool put_sub(std::vector<std::uint8_t>& out, std::uint8_t code, const std::vector<std::uint8_t>& value) {
  if (value.size() > kMaxValue) return false;
  out.push_back(code);
  out.push_back(static_cast<std::uint8_t>(value.size()));
  out.insert(out.end(), value.begin(), value.end());
  return true;
}

// Sub-option 8: {type u16, count u8, count * IPv4} repeated.
bool read_boot_servers(std::span<const std::uint8_t> v, std::vector<PxeBootServer>& out) {
  std::size_t i = 0;
  while (i < v.size()) {
    if (v.size() - i < 3) return false;
    PxeBootServer server{.type = get_u16(v, i), .addresses = {}};
    const std::size_t count = v[i + 2];
    i += 3;
    if (count * 4 > v.size() - i) return false;
    for (std::size_t n = 0; n < count; ++n, i += 4) {
      server.addresses.push_back(core::Ipv4{static_cast<std::uint32_t>(
          v[i] << 24 | v[i + 1] << 16 | v[i + 2] << 8 | v[i + 3])});
    }
    out.push_back(std::move(server));
  }
  return true;
}

// Sub-option 9: {type u16, length u8, label} repeated.
bool read_menu(std::span<const std::uint8_t> v, std::vector<PxeMenuItem>& out) {
  std::size_t i = 0;
  while (i < v.size()) {
    if (v.size() - i < 3) return false;
    const std::uint16_t type = get_u16(v, i);
    const std::size_t length = v[i + 2];
    i += 3;
    if (length > v.size() - i) return false;
    out.push_back(PxeMenuItem{.type = type, .label = std::string(v.begin() + i, v.begin() + i + length)});
    i += length;
  }
  return true;
}

}  // namespace

std::string_view to_string(PxeError e) {
  switch (e) {
    case PxeError::truncated: return "truncated";
    case PxeError::too_large: return "too-large";
  }
  return "unknown";
}

std::expected<std::vector<std::uint8_t>, PxeError> encode_pxe(const PxeOptions& options) {
  std::vector<std::uint8_t> out;
  bool fits = true;
  if (options.discovery_control) fits &= put_sub(out, pxe::kDiscoveryControl, {*options.discovery_control});
  if (!options.boot_servers.empty()) {
    std::vector<std::uint8_t> v;
    for (const auto& server : options.boot_servers) {
      if (server.addresses.size() > kMaxValue) return std::unexpected(PxeError::too_large);
      put_u16(v, server.type);
      v.push_back(static_cast<std::uint8_t>(server.addresses.size()));
      for (auto a : server.addresses) {
        put_u16(v, static_cast<std::uint16_t>(a.value >> 16));
        put_u16(v, static_cast<std::uint16_t>(a.value & 0xffff));
      }
    }
    fits &= put_sub(out, pxe::kBootServers, v);
  }
  if (!options.menu.empty()) {
    std::vector<std::uint8_t> v;
    for (const auto& item : options.menu) {
      if (item.label.size() > kMaxValue) return std::unexpected(PxeError::too_large);
      put_u16(v, item.type);
      v.push_back(static_cast<std::uint8_t>(item.label.size()));
      v.insert(v.end(), item.label.begin(), item.label.end());
    }
    fits &= put_sub(out, pxe::kBootMenu, v);
  }
  // The prompt means nothing without its timeout, so the timeout decides.
  if (options.prompt_timeout) {
    std::vector<std::uint8_t> v{*options.prompt_timeout};
    v.insert(v.end(), options.prompt.begin(), options.prompt.end());
    fits &= put_sub(out, pxe::kMenuPrompt, v);
  }
  if (options.boot_item) {
    std::vector<std::uint8_t> v;
    put_u16(v, options.boot_item->type);
    put_u16(v, options.boot_item->layer);
    fits &= put_sub(out, pxe::kBootItem, v);
  }
  out.push_back(pxe::kEnd);
  // dnsmasq's "PXE menu too large": the whole of option 43 is one option.
  if (!fits || out.size() > kMaxValue) return std::unexpected(PxeError::too_large);
  return out;
}

std::expected<PxeOptions, PxeError> decode_pxe(std::span<const std::uint8_t> value) {
  PxeOptions out;
  std::size_t i = 0;
  while (i < value.size()) {
    const std::uint8_t code = value[i];
    if (code == kPad) {
      ++i;
      continue;
    }
    if (code == pxe::kEnd) break;
    if (value.size() - i < 2) return std::unexpected(PxeError::truncated);
    const std::size_t length = value[i + 1];
    if (length > value.size() - i - 2) return std::unexpected(PxeError::truncated);
    auto v = value.subspan(i + 2, length);
    i += 2 + length;
    bool ok = true;
    switch (code) {
      case pxe::kDiscoveryControl:
        ok = v.size() == 1;
        if (ok) out.discovery_control = v[0];
        break;
      case pxe::kBootServers: ok = read_boot_servers(v, out.boot_servers); break;
      case pxe::kBootMenu: ok = read_menu(v, out.menu); break;
      case pxe::kMenuPrompt:
        ok = !v.empty();
        if (ok) {
          out.prompt_timeout = v[0];
          out.prompt.assign(v.begin() + 1, v.end());
        }
        break;
      case pxe::kBootItem:
        ok = v.size() == 4;
        if (ok) out.boot_item = PxeBootItem{.type = get_u16(v, 0), .layer = get_u16(v, 2)};
        break;
      default: break;  // PXE 2.1 §2.2.6 has more (multicast, 1..5); we use none of them
    }
    // A sub-option whose inside does not add up was cut short somewhere.
    if (!ok) return std::unexpected(PxeError::truncated);
  }
  return out;
}

}  // namespace pxed::dhcp
