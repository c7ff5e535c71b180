#pragma once
// The one bad client issue 16 puts beside a storm's good machines ("one bad
// client ... costs the others nothing measurable"): what each kind does, how
// fast, for how long at most, and what it reports. Pure: storm.cpp's bad mode
// owns the sockets and the clock and asks these for every decision.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storm/plan.hpp"

namespace pxed::storm {

// netascii: RRQs in netascii mode for the biggest file (the server cannot send
//   it as it lies on disk: every block is encoded, and its size on the wire is
//   unknown until the end), one after another at the largest blksize and
//   window a modern client asks, acknowledged as fast as it can.
// slow_http: one keep-alive GET of the biggest file read at a trickle through
//   a small receive buffer: a connection that holds a body for minutes.
// dhcp_flood: DISCOVERs from one MAC (a looping ROM, a broken NIC) at a fixed
//   rate through one relay agent, a new xid each, its OFFERs read and dropped.
enum class BadKind { netascii, slow_http, dhcp_flood };

std::optional<BadKind> parse_bad_kind(std::string_view text);
std::string_view name_of(BadKind kind);

// A steady rate with a ceiling: how many of at most `limit` events (packets,
// bytes) are due `elapsed` after the start. Every load loop of the bad client
// is bounded by one of these and by its run time.
struct Pace {
  double per_second = 0;
  std::uint64_t limit = 0;
  std::uint64_t due(std::chrono::steady_clock::duration elapsed) const;
};

struct BadClient {
  BadKind kind = BadKind::netascii;
  Pace pace;                           // flood: DISCOVERs; slow_http: body bytes; netascii: transfers (rate 0: back to back)
  TftpAsk ask;                         // netascii's RRQ
  std::chrono::milliseconds tick{0};   // how often the loop wakes to send or read what is due
  unsigned receive_buffer = 0;         // slow_http: SO_RCVBUF, so the server's sends stall as a slow link's do
};
const BadClient& bad_client_of(BadKind kind);

// What the bad client saw, for its one report line.
struct BadTally {
  std::uint64_t sent = 0;       // DISCOVERs, RRQs or GETs
  std::uint64_t answers = 0;    // OFFERs (and NAKs), finished TFTP transfers, HTTP bodies begun
  std::uint64_t bytes = 0;      // TFTP or HTTP payload received
  std::uint64_t errors = 0;     // TFTP ERROR/timeouts, HTTP failures
  std::string first_error;
};

// "bad kind=<name> seconds=<s> sent= answers= bytes= errors= first_error="..."": one line
// bench/storm.sh reads beside the storm's report.
std::string bad_report_text(BadKind kind, const BadTally& tally, double seconds);

}  // namespace pxed::storm
