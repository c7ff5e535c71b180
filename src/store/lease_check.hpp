#pragma once
// A lease store that lost rows (truncated, its -wal deleted or garbled,
// another file put in its place) is refused by LeaseStore::open: starting
// from it would hand out addresses that machines still hold. These are the
// way to look at one and the way back (docs/leases.md).
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pxed::store {

// What `pxed leases check` finds: whether pxed would start with the store, and why not.
struct LeaseCheck {
  std::filesystem::path file;
  bool exists = false;
  std::int64_t rows = -1;             // -1: not readable
  std::int64_t bound = 0;             // bound and not expired at `now`
  std::optional<std::int64_t> seen;   // what leases.seen says pxed last wrote
  std::int64_t recovered = 0;         // Unix seconds of the last recover, 0 if none
  std::vector<std::string> problems;  // empty: pxed starts with it
};
// Reads only; safe beside a running pxed.
LeaseCheck check_leases(const std::filesystem::path& dir, std::int64_t now);

// What `pxed leases recover` did.
struct LeaseRecovery {
  std::filesystem::path copy;         // the files as they were, kept here
  std::int64_t kept = 0;              // rows read and written to the new store
  std::int64_t seen = 0;              // what leases.seen said before (0 if nothing)
  std::int64_t skipped = 0;           // rows read but not representable (a bad MAC, state)
  std::string stopped;                // why reading stopped before the end ("" if it did not)
};
// With pxed stopped (takes the state dir's lock): copies every lease file aside,
// reads every row it can, and writes them to a new store that pxed starts with.
std::expected<LeaseRecovery, std::string> recover_leases(const std::filesystem::path& dir, std::int64_t now);

// When `pxed leases recover` last rebuilt the store in dir; 0 if never (or unknown).
std::int64_t lease_store_recovered_at(const std::filesystem::path& dir);

}  // namespace pxed::store
