#include "tftp/session.hpp"

#include <algorithm>
#include <limits>

namespace pxed::tftp {
namespace {

// Before the first round trip is measured. Boot ROMs on a LAN answer within
// milliseconds; a slow one costs one duplicate block, which clients ignore.
constexpr Duration kInitialRto = std::chrono::milliseconds(250);

Duration rto_ceiling(const SessionLimits& limits, const Negotiated& n) {
  // A client that asked for a timeout (RFC 2349) waits that long itself; we
  // never wait longer than it does, but may resend sooner.
  if (n.timeout) return std::min<Duration>(limits.rto_max, *n.timeout);
  return limits.rto_max;
}

}  // namespace

std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::ok: return "ok";
    case Outcome::tsize_probe: return "tsize-probe";
    case Outcome::options_refused: return "options-refused";
    case Outcome::client_error: return "client-error";
    case Outcome::timeout: return "timeout";
    case Outcome::protocol_error: return "protocol-error";
  }
  return "unknown";
}

Session::Session(const Negotiated& negotiated, std::optional<std::uint64_t> size, const SessionLimits& limits,
                 TimePoint now)
    : negotiated_(negotiated),
      size_(size),
      limits_(limits),
      rtt_(limits.rto_min, rto_ceiling(limits, negotiated), kInitialRto),
      // The last block is the first one shorter than blksize, even if empty;
      // of an unknown size, the service finds it (end_at).
      last_block_(size ? *size / negotiated.blksize + 1 : std::numeric_limits<std::uint64_t>::max()),
      last_progress_(now),
      deadline_(now) {}

std::uint32_t Session::block_length(std::uint64_t block) const {
  if (!size_) return negotiated_.blksize;  // at most; the read tells
  auto offset = (block - 1) * negotiated_.blksize;
  if (offset >= *size_) return 0;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(negotiated_.blksize, *size_ - offset));
}

void Session::end_at(std::uint64_t block, std::uint32_t length) {
  if (size_ || block <= acked_ || length >= negotiated_.blksize) return;
  size_ = (block - 1) * negotiated_.blksize + length;
  last_block_ = block;
  sent_high_ = std::min(sent_high_, last_block_);
}

std::vector<Action> Session::start() {
  if (negotiated_.accepted.empty()) return send_window(last_progress_, false);
  oack_pending_ = true;
  sent_at_ = last_progress_;
  deadline_ = sent_at_ + rtt_.rto();
  return {SendOack{OptionAck{negotiated_.accepted}}};
}

std::vector<Action> Session::send_window(TimePoint now, bool retransmission) {
  auto first = acked_ + 1;
  auto count = static_cast<std::uint32_t>(std::min<std::uint64_t>(negotiated_.windowsize, last_block_ - acked_));
  sent_high_ = std::max(sent_high_, acked_ + count);
  if (retransmission) {
    stats_.retransmitted += count;
  } else {
    sent_at_ = now;
  }
  sent_again_ = retransmission;
  deadline_ = now + rtt_.rto();
  return {SendBlocks{first, count}};
}

std::vector<Action> Session::finish(Outcome outcome) {
  finished_ = true;
  return {Finished{outcome}};
}

std::vector<Action> Session::on_packet(TimePoint now, const Packet& packet) {
  if (finished_) return {};
  if (const auto* ack = std::get_if<Ack>(&packet)) return on_ack(now, ack->block);
  if (const auto* error = std::get_if<Error>(&packet)) {
    stats_.client_error = error->code;
    stats_.client_message = error->message;
    if (oack_pending_ && error->code == ErrorCode::option_refused) {
      return finish(negotiated_.tsize ? Outcome::tsize_probe : Outcome::options_refused);
    }
    return finish(Outcome::client_error);
  }
  // DATA, OACK or a request on a transfer port: not something a reader sends.
  auto actions = finish(Outcome::protocol_error);
  actions.insert(actions.begin(), SendError{ErrorCode::illegal_operation, "unexpected packet during a read transfer"});
  return actions;
}

std::vector<Action> Session::on_ack(TimePoint now, std::uint16_t wire_block) {
  if (oack_pending_) {
    if (wire_block != 0) return {};  // RFC 2347: the OACK is acknowledged with block 0
    oack_pending_ = false;
    if (!sent_again_) rtt_.sample(now - sent_at_);
    last_progress_ = now;
    return send_window(now, false);
  }
  // Map the 16-bit number onto the outstanding range (acked_, sent_high_];
  // anything else is a duplicate or an ACK for a block never sent.
  auto distance = static_cast<std::uint16_t>(wire_block - static_cast<std::uint16_t>(acked_));
  if (distance == 0 || distance > sent_high_ - acked_) {
    ++stats_.duplicate_acks;  // never answered: that is how the sorcerer's apprentice starts
    return {};
  }
  acked_ += distance;
  stats_.bytes_acked = acked_ * negotiated_.blksize;
  if (size_) stats_.bytes_acked = std::min(stats_.bytes_acked, *size_);
  if (!sent_again_) rtt_.sample(now - sent_at_);
  last_progress_ = now;
  if (acked_ == last_block_) return finish(Outcome::ok);
  return send_window(now, false);
}

std::vector<Action> Session::on_timeout(TimePoint now) {
  if (finished_ || now < deadline_) return {};
  if (now - last_progress_ >= limits_.idle_timeout) return finish(Outcome::timeout);
  rtt_.back_off();
  if (oack_pending_) {
    ++stats_.retransmitted;
    sent_again_ = true;
    deadline_ = now + rtt_.rto();
    return {SendOack{OptionAck{negotiated_.accepted}}};
  }
  return send_window(now, true);
}

}  // namespace pxed::tftp
