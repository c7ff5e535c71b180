// Feeds arbitrary bytes to tftp::decode. Whatever decodes must re-encode to
// bytes that decode to the same value, and the options of a decoded request
// must negotiate to a blksize and window the server can afford.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <variant>

#include "tftp/negotiation.hpp"
#include "tftp/packet.hpp"

namespace {

using namespace pxed::tftp;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

bool same(const Request& a, const Request& b) {
  return a.write == b.write && a.filename == b.filename && a.mode == b.mode && a.options == b.options;
}
bool same(const Data& a, const Data& b) { return a.block == b.block && std::ranges::equal(a.payload, b.payload); }
bool same(const Ack& a, const Ack& b) { return a.block == b.block; }
bool same(const Error& a, const Error& b) { return a.code == b.code && a.message == b.message; }
bool same(const OptionAck& a, const OptionAck& b) { return a.options == b.options; }

// Encodes `value`, decodes the result and checks it comes back unchanged.
template <typename T>
void check_round_trip(const T& value) {
  auto bytes = encode(value);
  auto again = decode(bytes);
  require(again.has_value());
  require(std::holds_alternative<T>(*again));
  require(same(value, std::get<T>(*again)));
}

void check_options(const Options& options) {
  for (const auto& [name, value] : options) {
    require(!name.empty() && name.size() <= kMaxOptionText && value.size() <= kMaxOptionText);
    require(std::ranges::none_of(name, [](char c) { return c >= 'A' && c <= 'Z'; }));
    require(find_option(options, name) == &value);  // each name once, the first kept
  }
}

void check_negotiation(const Options& requested) {
  constexpr NegotiationLimits kLimits{.blksize_max = 65464, .windowsize_max = 64};
  auto n = negotiate(requested, 1'000'000, kLimits);
  require(n.blksize >= kMinBlksize && n.blksize <= kMaxBlksize);
  require(n.windowsize >= 1 && n.windowsize <= kLimits.windowsize_max);
  require(std::uint64_t{n.windowsize} * n.blksize <= std::max<std::uint64_t>(kMaxWindowBytes, n.blksize));
  // Only what was asked for is answered, in the client's order.
  require(n.accepted.size() <= requested.size());
  for (const auto& [name, value] : n.accepted) require(find_option(requested, name) != nullptr);
  if (n.timeout) require(n.timeout->count() >= 1 && n.timeout->count() <= kMaxTimeoutSeconds);

  // The same limits again with a small path MTU cap: never above the cap.
  constexpr NegotiationLimits kSmall{.blksize_max = 1468, .windowsize_max = 16};
  auto s = negotiate(requested, 0, kSmall);
  require(s.blksize >= kMinBlksize && s.blksize <= 1468);
  require(s.windowsize >= 1 && s.windowsize <= 16);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto in = std::as_bytes(std::span(data, size));
  auto packet = decode(in);
  if (!packet) {
    require(to_string(packet.error()) != "unknown");
    return 0;
  }
  std::visit(
      [](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        check_round_trip(p);
        if constexpr (std::is_same_v<T, Request>) {
          require(p.filename.size() <= kMaxFilename);
          check_options(p.options);
          check_negotiation(p.options);
        } else if constexpr (std::is_same_v<T, OptionAck>) {
          check_options(p.options);
        } else if constexpr (std::is_same_v<T, Error>) {
          require(p.message.size() <= kMaxErrorMessage);
        }
      },
      *packet);
  return 0;
}
