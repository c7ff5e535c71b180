#pragma once
// Fair shares of a capped resource (TFTP transfers, HTTP connections): the
// total cap as before, a cap per client, and, when the server is full, the
// oldest holder that never proved itself (a transfer whose first block was
// never acknowledged, a connection that never sent a whole request) makes
// room for a newcomer. So requests with forged source addresses and
// connections that trickle their headers cannot hold every slot: a real
// client acknowledges within milliseconds. Pure: times are handed in.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>

namespace pxed::core {

struct ShareLimits {
  std::size_t total = 0;       // 0: no cap
  std::size_t per_client = 0;  // 0: no cap per client
  // An unproven holder younger than this keeps its slot: a client on a slow
  // link gets its first round trip before it can be pushed out.
  std::int64_t grace_ms = 0;
};

class Shares {
 public:
  using Id = std::uint64_t;      // the caller's handle of one holder
  using Client = std::uint64_t;  // who holds it: an address, or a MAC when known

  enum class Verdict : std::uint8_t {
    admitted,
    busy,         // every slot is held, none by an unproven holder past its grace
    client_busy,  // this client holds its share already
  };
  struct Admission {
    Verdict verdict = Verdict::busy;
    std::optional<Id> evict;  // admitted by taking this holder's slot: the caller ends it
  };

  explicit Shares(ShareLimits limits) : limits_(limits) {}

  // A new holder `id` for `client` at `now_ms`. An id already held is refused as busy.
  Admission admit(std::int64_t now_ms, Client client, Id id);
  // The holder showed it is a real client (an ACK, a whole request): never evicted.
  void proven(Id id);
  // The holder is done (or was evicted); unknown ids are ignored.
  void release(Id id);

  std::size_t held() const { return holders_.size(); }
  std::size_t held_by(Client client) const;
  const ShareLimits& limits() const { return limits_; }

 private:
  struct Holder {
    Client client;
    std::int64_t since;
    bool proven;
  };
  std::optional<Id> victim(std::int64_t now_ms) const;

  ShareLimits limits_;
  std::map<Id, Holder> holders_;
  std::map<Client, std::size_t> per_client_;
};

std::string_view to_string(Shares::Verdict v);  // "admitted", "busy", "client-busy"

}  // namespace pxed::core
