#pragma once
// Which requested options a read transfer accepts, and with what values.
// Only options the client asked for are answered (RFC 2347).
#include <chrono>
#include <cstdint>
#include <optional>

#include "tftp/packet.hpp"

namespace pxed::tftp {

inline constexpr std::uint32_t kDefaultBlksize = 512;  // RFC 1350
inline constexpr std::uint32_t kMinBlksize = 8;        // RFC 2348
inline constexpr std::uint32_t kMaxBlksize = 65464;    // RFC 2348
inline constexpr std::uint32_t kMaxTimeoutSeconds = 255;  // RFC 2349: 1..255
// A transfer holds one window of blocks in memory; this bounds it so a storm
// of clients asking for 64 KiB blocks x 64 cannot blow up the server's memory.
inline constexpr std::uint32_t kMaxWindowBytes = 256 * 1024;

struct NegotiationLimits {
  std::uint32_t blksize_max = 1468;   // config cap, already lowered to the path MTU
  std::uint16_t windowsize_max = 16;
};

struct Negotiated {
  std::uint32_t blksize = kDefaultBlksize;
  std::uint16_t windowsize = 1;  // RFC 7440; 1 is lock-step RFC 1350
  std::optional<std::chrono::seconds> timeout;  // RFC 2349, echoed verbatim
  bool tsize = false;            // the OACK carries the size (EDK2 probes with it)
  Options accepted;              // what goes into the OACK; empty: no OACK at all
};

// transfer_size: nothing when it is not known before the transfer (netascii,
// see BlockReader::known_size): tsize is then left out of the OACK.
// mode: a netascii transfer is not granted a window (it stays lock-step).
Negotiated negotiate(const Options& requested, std::optional<std::uint64_t> transfer_size,
                     const NegotiationLimits& limits, Mode mode = Mode::octet);

}  // namespace pxed::tftp
