#pragma once
// Which read requests start a transfer. Pure: times are handed in, the
// service owns the sockets. Three rules on top of the slots (core::Shares):
//  - A request from an address and port whose transfer is still going is the
//    client's retransmission: the transfer answering it already retransmits.
//  - The same request (byte for byte) from the same address and port shortly
//    after its transfer ended is a retransmission too (firmware resends its
//    RRQ when our first answer is late; a copy queued behind the first must
//    not start a second transfer from a new port).
//  - A full server stays silent: firmware retries an unanswered RRQ on its
//    own timer (PXE 2.1, EDK2's Mtftp), while a TFTP ERROR ends its boot.
//    The client over its own share still gets an ERROR: that is a client
//    asking for more than one machine needs, not a room booting at once.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/shares.hpp"

namespace pxed::tftp {

struct AdmissionLimits {
  core::ShareLimits shares;
  // How long a finished transfer's request is remembered as a possible
  // retransmission (0: not at all).
  std::int64_t resent_memory_ms = 0;
  // At most this many finished requests remembered; the oldest go first.
  std::size_t resent_memory_entries = 65536;
};

class Admission {
 public:
  using Key = core::Shares::Id;          // the client's address and port
  using Client = core::Shares::Client;   // whose share: its address

  enum class Verdict : std::uint8_t {
    start,        // a new transfer
    resent,       // a retransmission of a request already answered: ignore it
    busy,         // every slot is held: drop it unanswered, the client retries
    client_busy,  // this client holds its share already: refuse with an ERROR
  };
  struct Decision {
    Verdict verdict = Verdict::busy;
    std::optional<Key> evict;  // start: by taking this transfer's slot, the caller ends it
  };

  explicit Admission(AdmissionLimits limits) : limits_(limits), shares_(limits.shares) {}

  // A read request from `key` (of `client`) at `now_ms`; request: its bytes.
  Decision on_request(std::int64_t now_ms, Key key, Client client, std::string_view request);
  // The client answered its transfer: a real client, never evicted.
  void proven(Key key);
  // The transfer of `key` ended after the client heard from it: its request
  // is remembered as answered (answered = false: nothing is remembered, e.g.
  // the open was refused or the transfer never started).
  void finished(std::int64_t now_ms, Key key, bool answered);

  std::size_t in_flight() const { return in_flight_.size(); }
  std::size_t remembered() const { return recent_.size(); }
  const core::Shares& shares() const { return shares_; }

 private:
  struct Recent {
    std::string request;
    std::int64_t until = 0;
  };
  void forget_expired(std::int64_t now_ms);

  AdmissionLimits limits_;
  core::Shares shares_;
  std::map<Key, std::string> in_flight_;        // transfers started or being looked up, with their request
  std::map<Key, Recent> recent_;                // finished, remembered until `until`
  std::deque<std::pair<std::int64_t, Key>> expiry_;  // recent_'s entries in the order they expire
};

std::string_view to_string(Admission::Verdict v);  // "start", "resent", "busy", "client-busy"

}  // namespace pxed::tftp
