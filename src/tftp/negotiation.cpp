#include "tftp/negotiation.hpp"

#include <algorithm>
#include <charconv>
#include <string>

namespace pxed::tftp {
namespace {

// Option values are decimal ASCII (RFC 2347); anything else ignores the option.
std::optional<std::uint64_t> parse_number(const std::string& text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace

Negotiated negotiate(const Options& requested, std::optional<std::uint64_t> transfer_size,
                     const NegotiationLimits& limits, Mode mode) {
  Negotiated n;
  // Walk in the client's order so the OACK lists options the way they were asked.
  for (const auto& [name, text] : requested) {
    auto value = parse_number(text);
    if (!value) continue;
    if (name == "blksize") {
      // RFC 2348: below 8 is invalid, so the option is ignored; above the cap we
      // answer the cap, never more than asked (FIRMWARE.md 19).
      if (*value < kMinBlksize) continue;
      auto cap = std::clamp<std::uint64_t>(limits.blksize_max, kMinBlksize, kMaxBlksize);
      n.blksize = static_cast<std::uint32_t>(std::min<std::uint64_t>(*value, cap));
      n.accepted.emplace_back(name, std::to_string(n.blksize));
    } else if (name == "timeout") {
      // RFC 2349: the server must echo the same value or leave the option out.
      if (*value < 1 || *value > kMaxTimeoutSeconds) continue;
      n.timeout = std::chrono::seconds(*value);
      n.accepted.emplace_back(name, text);
    } else if (name == "tsize") {
      // curl 7.88 rejects "tsize 0" in an OACK and aborts (exit 71), so an
      // empty file's size goes unsaid, as does one not known beforehand;
      // RFC 2349 lets a server omit it.
      if (!transfer_size || *transfer_size == 0) continue;
      n.tsize = true;
      n.accepted.emplace_back(name, std::to_string(*transfer_size));
    } else if (name == "windowsize") {
      if (*value < 1 || limits.windowsize_max < 1) continue;  // RFC 7440: 1..65535
      // Windows are for octet transfers only, as dnsmasq grants them (FIRMWARE.md 13). No
      // firmware reads netascii; its every block is encoded on the event loop, and a window
      // let one netascii client of a huge file take a fifth of the loop from 300 machines
      // booting (bench/RESULTS.md, "one bad client"). Lock-step paces it by its round trip.
      if (mode == Mode::netascii) continue;
      n.windowsize = static_cast<std::uint16_t>(std::min<std::uint64_t>(*value, limits.windowsize_max));
      n.accepted.emplace_back(name, "");  // value fixed below, once blksize is known
    }
  }
  // windowsize depends on blksize, which may come later in the request.
  auto max_window = std::max<std::uint32_t>(1, kMaxWindowBytes / n.blksize);
  n.windowsize = static_cast<std::uint16_t>(std::min<std::uint32_t>(n.windowsize, max_window));
  for (auto& [name, value] : n.accepted) {
    if (name == "windowsize") value = std::to_string(n.windowsize);
  }
  return n;
}

}  // namespace pxed::tftp
