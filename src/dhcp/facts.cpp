#include "dhcp/facts.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "dhcp/pxe_options.hpp"

namespace pxed::dhcp {
namespace {

// RFC 4578 §2.3: type 0 followed by a 16-byte GUID.
constexpr std::size_t kUuidOptionSize = 17;
constexpr std::uint8_t kUuidTypeGuid = 0;
constexpr std::string_view kIpxeUserClass = "iPXE";  // ipxe.org/cfg/user-class
constexpr std::string_view kPxeClientPrefix = "PXEClient";    // PXE 2.1 §2.2.1
constexpr std::string_view kHttpClientPrefix = "HTTPClient";  // UEFI 2.x §24.7.2, FIRMWARE.md 10

std::string strip_trailing_nuls(std::string s) {
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

// Option 77. RFC 3004 §4 says a list of {length, data} with length >= 1, but
// iPXE sends the bare string "iPXE" (ipxe src/include/ipxe/dhcp.h
// DHCP_USER_CLASS_ID): when the value does not parse exactly as the RFC's list,
// it is one string.
std::vector<std::string> user_classes(const std::vector<std::uint8_t>& v) {
  std::vector<std::string> rfc;
  std::size_t i = 0;
  while (i < v.size()) {
    const std::size_t length = v[i];
    if (length == 0 || length > v.size() - i - 1) {
      return {strip_trailing_nuls(std::string(v.begin(), v.end()))};
    }
    rfc.emplace_back(v.begin() + static_cast<std::ptrdiff_t>(i + 1),
                     v.begin() + static_cast<std::ptrdiff_t>(i + 1 + length));
    i += 1 + length;
  }
  return rfc;
}

}  // namespace

boot::ClientFacts facts_of(const Packet& request) {
  const auto& options = request.options;
  boot::ClientFacts facts;
  facts.mac = request.mac();
  facts.address = request.ciaddr;
  facts.relay = request.giaddr;

  // RFC 4578 §2.1: a list of u16; the first is the one firmware boots with.
  if (const auto* arch = options.find(option::kClientArch); arch && arch->size() >= 2) {
    facts.arch = static_cast<std::uint16_t>((*arch)[0] << 8 | (*arch)[1]);
  }
  // A broken 97 is ignored, not fatal (FIRMWARE.md 2).
  if (const auto* uuid = options.find(option::kClientUuid);
      uuid && uuid->size() == kUuidOptionSize && (*uuid)[0] == kUuidTypeGuid) {
    core::Uuid bytes;
    std::copy(uuid->begin() + 1, uuid->end(), bytes.bytes.begin());
    facts.uuid = bytes;
  }
  facts.vendor_class = options.text(option::kVendorClass).value_or("");
  if (const auto* classes = options.find(option::kUserClass); classes && !classes->empty()) {
    facts.user_classes = user_classes(*classes);
  }

  // FIRMWARE.md 11, 25: either signal means iPXE is already running.
  facts.ipxe = options.has(option::kIpxe) ||
               std::ranges::find(facts.user_classes, kIpxeUserClass) != facts.user_classes.end();
  facts.pxe_client = facts.vendor_class.starts_with(kPxeClientPrefix);
  facts.http_client = facts.vendor_class.starts_with(kHttpClientPrefix);

  // PXE 2.1 §2.2.6: a boot server request names the chosen menu item in 43/71.
  if (facts.pxe_client) {
    if (const auto* vendor = options.find(option::kVendorSpecific)) {
      if (auto pxe = decode_pxe(*vendor); pxe && pxe->boot_item) facts.boot_item = pxe->boot_item->type;
    }
  }
  return facts;
}

Packet request_of(const Firmware& firmware) {
  Packet p;
  std::ranges::copy(firmware.mac.bytes, p.chaddr.begin());
  p.ciaddr = firmware.address;
  p.options.set_u8(option::kMessageType,
                   static_cast<std::uint8_t>(firmware.boot_item ? MessageType::request : MessageType::discover));
  const auto prefix = firmware.http_client ? kHttpClientPrefix : kPxeClientPrefix;
  p.options.set(option::kVendorClass, fmt::format("{}:Arch:{:05}:UNDI:003016", prefix, firmware.arch));
  p.options.set_u16(option::kClientArch, firmware.arch);
  if (firmware.uuid) {
    std::vector<std::uint8_t> value{kUuidTypeGuid};
    value.insert(value.end(), firmware.uuid->bytes.begin(), firmware.uuid->bytes.end());
    p.options.set(option::kClientUuid, std::move(value));
  }
  if (firmware.ipxe) p.options.set(option::kUserClass, kIpxeUserClass);
  if (firmware.boot_item) {
    PxeOptions pxe;
    pxe.boot_item = PxeBootItem{*firmware.boot_item, 0};
    if (auto blob = encode_pxe(pxe)) p.options.set(option::kVendorSpecific, std::move(*blob));
  }
  return p;
}

}  // namespace pxed::dhcp
