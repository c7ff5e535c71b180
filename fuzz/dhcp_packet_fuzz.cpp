// Feeds arbitrary bytes to dhcp::decode. Whatever decodes must re-encode, at
// any reply size, to bytes that decode again; when nothing was cut, to the same
// packet. The facts and option 43 of a decoded packet must read without harm,
// and a PXE option 43 that decodes must survive encode_pxe unchanged.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "dhcp/facts.hpp"
#include "dhcp/packet.hpp"
#include "dhcp/pxe_options.hpp"

namespace {

using namespace pxed::dhcp;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

// Same header and the same value for every code; only option 53 may move
// (encode writes it first).
bool same(const Packet& a, const Packet& b) {
  Packet header = b;
  header.options = a.options;
  if (!(header == a) || a.options.all().size() != b.options.all().size()) return false;
  return std::ranges::all_of(a.options.all(), [&](const auto& o) {
    const auto* v = b.options.find(o.first);
    return v != nullptr && *v == o.second;
  });
}

void check_encode(const Packet& p, std::size_t max_size) {
  auto e = encode(p, max_size);
  require(e.bytes.size() >= kMinPacket);
  require(e.bytes.size() <= std::max(max_size, kMinPacket));
  auto again = decode(e.bytes);
  require(again.has_value());
  if (!e.truncated) require(same(p, *again));
  // Cutting keeps whole options: everything that came back is what was sent.
  for (const auto& [code, value] : again->options.all()) {
    const auto* sent = p.options.find(code);
    require(sent != nullptr && *sent == value);
  }
}

void check_pxe(std::span<const std::uint8_t> value) {
  auto pxe = decode_pxe(value);
  if (!pxe) {
    require(to_string(pxe.error()) != "unknown");
    return;
  }
  auto bytes = encode_pxe(*pxe);
  if (!bytes) return;  // a concatenated (RFC 3396) 43 can exceed one option
  require(bytes->size() <= 255);
  auto again = decode_pxe(*bytes);
  require(again.has_value() && *again == *pxe);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The raw input as an option 43 value too: cheaper than finding one inside a packet.
  check_pxe(std::span(data, std::min<std::size_t>(size, 512)));

  auto packet = decode(std::as_bytes(std::span(data, size)));
  if (!packet) {
    require(to_string(packet.error()) != "unknown");
    return 0;
  }
  require(!packet->options.has(option::kOverload));  // undone by decode
  require(packet->sname.size() <= 64 && packet->file.size() <= 128);
  for (std::size_t max_size : {kMaxPacket, std::size_t{1500}, kDefaultMaxReply, kMinPacket}) {
    check_encode(*packet, max_size);
  }
  auto facts = facts_of(*packet);
  require(facts.mac == packet->mac());
  if (const auto* vendor = packet->options.find(option::kVendorSpecific)) check_pxe(*vendor);
  return 0;
}
