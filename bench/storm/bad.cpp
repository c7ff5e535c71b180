#include "storm/bad.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>

namespace pxed::storm {
namespace {

// The largest blksize below an Ethernet MTU of 1500 (RFC 2348; IP 20 + UDP 8
// + TFTP 4) and a window of 8 (RFC 7440's measured sweet spot): the most
// encoded bytes a server owes per ACK a modern client sends.
const BadClient kNetascii{
    .kind = BadKind::netascii,
    .pace = {.per_second = 0, .limit = 1000},
    .ask = {.blksize = 1468, .windowsize = 8, .tsize = true, .netascii = true},
    .tick = std::chrono::milliseconds{0},
    .receive_buffer = 0,
};
// 64 KiB/s through a 4 KiB receive buffer: a body of 50 MiB takes 13 minutes,
// longer than any storm, so the connection is held from start to end.
const BadClient kSlowHttp{
    .kind = BadKind::slow_http,
    .pace = {.per_second = 64.0 * 1024, .limit = 64ull * 1024 * 3600},
    .ask = {},
    .tick = std::chrono::milliseconds{100},
    .receive_buffer = 4096,
};
// 1,000 DISCOVERs a second from one MAC, at most 200,000 (200 s of it).
const BadClient kDhcpFlood{
    .kind = BadKind::dhcp_flood,
    .pace = {.per_second = 1000, .limit = 200000},
    .ask = {},
    .tick = std::chrono::milliseconds{10},
    .receive_buffer = 0,
};

}  // namespace

std::optional<BadKind> parse_bad_kind(std::string_view text) {
  for (auto kind : {BadKind::netascii, BadKind::slow_http, BadKind::dhcp_flood}) {
    if (text == name_of(kind)) return kind;
  }
  return std::nullopt;
}

std::string_view name_of(BadKind kind) {
  switch (kind) {
    case BadKind::netascii: return "netascii";
    case BadKind::slow_http: return "slow-http";
    case BadKind::dhcp_flood: return "dhcp-flood";
  }
  return "?";
}

std::uint64_t Pace::due(std::chrono::steady_clock::duration elapsed) const {
  if (per_second <= 0) return limit;  // no rate: back to back, up to the ceiling
  const double seconds = std::chrono::duration<double>(std::max(elapsed, elapsed.zero())).count();
  const double n = std::floor(per_second * seconds);
  return n >= static_cast<double>(limit) ? limit : static_cast<std::uint64_t>(n);
}

const BadClient& bad_client_of(BadKind kind) {
  switch (kind) {
    case BadKind::slow_http: return kSlowHttp;
    case BadKind::dhcp_flood: return kDhcpFlood;
    case BadKind::netascii: break;
  }
  return kNetascii;
}

std::string bad_report_text(BadKind kind, const BadTally& tally, double seconds) {
  std::string why = tally.first_error;
  std::ranges::replace(why, '"', '\'');
  std::ranges::replace(why, '\n', ' ');
  return fmt::format("bad kind={} seconds={:.1f} sent={} answers={} bytes={} errors={} first_error=\"{}\"\n",
                     name_of(kind), seconds, tally.sent, tally.answers, tally.bytes, tally.errors, why);
}

}  // namespace pxed::storm
