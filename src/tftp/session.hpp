#pragma once
// One read transfer as a pure state machine: (now, event) in, actions out.
// tftp_service.cpp owns the socket, the file and the timer; this decides.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/time.hpp"
#include "tftp/negotiation.hpp"
#include "tftp/packet.hpp"
#include "tftp/rtt.hpp"

namespace pxed::tftp {

using core::Duration;
using core::TimePoint;

struct SessionLimits {
  Duration rto_min = std::chrono::milliseconds(2);
  Duration rto_max = std::chrono::seconds(1);
  Duration idle_timeout = std::chrono::seconds(20);
};

// Blocks are numbered from 1 without wrapping here; the wire number is the low
// 16 bits, so files past 65535 blocks roll over to 0 as most clients expect.
struct SendOack {
  OptionAck oack;
};
struct SendBlocks {
  std::uint64_t first = 0;
  std::uint32_t count = 0;
};
struct SendError {
  ErrorCode code;
  std::string message;
};

enum class Outcome {
  ok,                // every block acknowledged
  tsize_probe,       // EDK2 reads the size from the OACK then aborts on purpose (FIRMWARE.md 18)
  options_refused,   // the client refused the OACK with ERROR 8 (RFC 2347)
  client_error,      // the client sent an ERROR mid-transfer
  timeout,           // no progress within idle_timeout
  protocol_error,    // the client sent something no reader sends
};
std::string_view to_string(Outcome o);

struct Finished {
  Outcome outcome;
};

using Action = std::variant<SendOack, SendBlocks, SendError, Finished>;

struct SessionStats {
  std::uint64_t bytes_acked = 0;
  std::uint64_t retransmitted = 0;   // packets sent again on timeout
  std::uint64_t duplicate_acks = 0;  // ignored: answering them is the sorcerer's apprentice bug
  std::optional<ErrorCode> client_error;
  std::string client_message;
};

class Session {
 public:
  // size: bytes on the wire, or nothing when unknown until the file's end is
  // read (netascii: its encoding is longer than the file, and measuring it
  // would mean reading the whole file before the first block).
  Session(const Negotiated& negotiated, std::optional<std::uint64_t> size, const SessionLimits& limits,
          TimePoint now);

  std::vector<Action> start();
  std::vector<Action> on_packet(TimePoint now, const Packet& packet);
  std::vector<Action> on_timeout(TimePoint now);

  TimePoint deadline() const { return deadline_; }  // when the service must call on_timeout
  bool finished() const { return finished_; }

  std::uint32_t blksize() const { return negotiated_.blksize; }
  std::uint16_t windowsize() const { return negotiated_.windowsize; }
  std::uint64_t last_block() const { return last_block_; }
  std::uint64_t acked() const { return acked_; }
  // Payload length of a block: blksize except the last, which is shorter (maybe 0).
  std::uint32_t block_length(std::uint64_t block) const;
  const SessionStats& stats() const { return stats_; }
  Duration rto() const { return rtt_.rto(); }

  bool size_known() const { return size_.has_value(); }
  std::optional<std::uint64_t> size() const { return size_; }
  // For a transfer of unknown size: the service read `block` and it holds
  // only `length` (< blksize) bytes, so it is the last. Blocks after it that
  // a window already asked for are not sent.
  void end_at(std::uint64_t block, std::uint32_t length);

 private:
  std::vector<Action> send_window(TimePoint now, bool retransmission);
  std::vector<Action> finish(Outcome outcome);
  std::vector<Action> on_ack(TimePoint now, std::uint16_t wire_block);

  Negotiated negotiated_;
  std::optional<std::uint64_t> size_;
  SessionLimits limits_;
  RttEstimator rtt_;

  bool oack_pending_ = false;
  bool finished_ = false;
  std::uint64_t last_block_;
  std::uint64_t acked_ = 0;      // highest block the client has acknowledged
  std::uint64_t sent_high_ = 0;  // highest block sent so far
  TimePoint sent_at_{};          // when the outstanding window (or OACK) went out
  bool sent_again_ = false;      // Karn: no RTT sample from a retransmitted window
  TimePoint last_progress_;
  TimePoint deadline_;
  SessionStats stats_;
};

}  // namespace pxed::tftp
