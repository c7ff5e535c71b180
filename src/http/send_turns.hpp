#pragma once
// How the one event loop shares its time between bulk HTTP bodies and
// everything else (DHCP answers, TFTP blocks, new requests). Between two looks
// at the sockets the loop sends at most `bytes_per_turn` of file bodies; a
// body that would go past it waits for the next turn, in the order bodies
// asked. Without it, a storm's hundreds of ready downloads each sent a 1 MiB
// chunk per round, and every DHCP answer and TFTP block waited a whole round
// (hundreds of milliseconds; bench/RESULTS.md, boot storm). Pure: the service
// says when a turn begins (after the loop has polled its sockets).
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

namespace pxed::http {

class SendTurns {
 public:
  using Sender = std::uint64_t;  // the caller's handle of one connection

  // bytes_per_turn: 0 means no limit (every ask goes at once).
  explicit SendTurns(std::uint64_t bytes_per_turn) : budget_(bytes_per_turn) {}

  // `sender` wants to send `bytes` now. true: go, counted in this turn.
  // false: it waits (queued) until next_turn() names it. A turn lets at least
  // one sender go, however big its ask; one that waits is never overtaken by a
  // later ask.
  bool ask(Sender sender, std::uint64_t bytes);
  // The loop has looked at its sockets: a fresh budget. The waiting senders
  // that may go now, in the order they asked, their bytes counted in the turn.
  std::vector<Sender> next_turn();
  // A waiting sender went away (its connection closed): it is not named.
  void forget(Sender sender);

  bool waiting() const { return !queue_.empty(); }
  std::size_t waiters() const { return queue_.size(); }
  std::uint64_t spent() const { return spent_; }

 private:
  bool fits(std::uint64_t bytes) const { return budget_ == 0 || spent_ == 0 || spent_ + bytes <= budget_; }

  std::uint64_t budget_;
  std::uint64_t spent_ = 0;
  std::deque<std::pair<Sender, std::uint64_t>> queue_;
};

}  // namespace pxed::http
