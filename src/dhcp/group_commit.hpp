#pragma once
// When the DHCP service writes leases, decided without I/O: the leases of the
// replies decided while the store's one writer is busy share its next
// transaction, and those replies leave together once it is durable (an ACK is
// never sent before its lease is on disk). leases.seen, the row count that lets
// a start notice lost leases, trails the database: it is refreshed when the
// writer has no lease waiting, or at the latest `recount_every` after a write
// grew the store, so under a boot storm every write is one transaction and its
// fsync and a reply waits for at most the write in flight and its own.
// dhcp_service.cpp owns the writer thread, the timer and the replies, which it
// keeps in the order it handed them in (sends and drops come in that order).
#include <chrono>
#include <cstddef>
#include <expected>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/time.hpp"
#include "store/lease_store.hpp"

namespace pxed::dhcp {

class GroupCommit {
 public:
  struct Limits {
    // With the writer idle, the first lease waits this long for others to share
    // its transaction ([dhcp] commit_interval; 0: at once).
    std::chrono::milliseconds gather{2};
    // leases.seen is at most this far behind a write that grew the store.
    std::chrono::milliseconds recount_every{1000};
  };

  // Run store.commit(leases) on the writer; call written() when it returns.
  struct Write {
    std::vector<store::Lease> leases;
  };
  // Refresh leases.seen on the writer; call recounted() when it returns.
  struct Recount {};
  // Call on_timer() at `at` (the gathering window ends).
  struct ArmTimer {
    core::TimePoint at;
  };
  // The oldest `replies` waiting replies: send them (their leases are durable).
  struct Send {
    std::size_t replies = 0;
  };
  // The oldest `replies` waiting replies: drop them (their write failed; the
  // clients retry and nothing was promised).
  struct Drop {
    std::size_t replies = 0;
    std::size_t leases = 0;
    std::string error;
  };
  using Action = std::variant<Write, Recount, ArmTimer, Send, Drop>;

  explicit GroupCommit(Limits limits) : limits_(limits) {}

  // A reply that may leave only once `leases` are durable.
  std::vector<Action> decided(core::TimePoint now, std::span<const store::Lease> leases);
  std::vector<Action> on_timer(core::TimePoint now);
  // The Write came back: durable, or why not.
  std::vector<Action> written(core::TimePoint now, const std::expected<void, std::string>& result);
  // The Recount came back (its error is the service's to report; the next write retries it).
  std::vector<Action> recounted(core::TimePoint now);

  std::size_t waiting() const { return batch_replies_; }  // replies not yet in a write
  bool busy() const { return writer_ != Writer::idle; }

 private:
  enum class Writer { idle, writing, recounting };
  void next(core::TimePoint now, std::vector<Action>& out);
  void start_write(std::vector<Action>& out);

  Limits limits_;
  Writer writer_ = Writer::idle;
  std::vector<store::Lease> batch_;
  std::size_t batch_replies_ = 0;     // replies behind batch_
  std::size_t writing_replies_ = 0;   // replies behind the write in flight
  std::size_t writing_leases_ = 0;
  bool timer_armed_ = false;
  core::TimePoint gathered_until_{};  // the gathering window's end, while armed
  bool recount_due_ = false;          // a write landed since the last recount
  core::TimePoint unrecounted_since_{};
};

}  // namespace pxed::dhcp
