#pragma once
// Leases on disk: SQLite in WAL mode in server.state_dir. write() returns only
// once the batch is durable, so an ACK sent after it can never be forgotten by
// a crash. The DHCP logic keeps the working set in memory; this is its journal.
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/net.hpp"

namespace pxed::store {

enum class LeaseState : std::uint8_t { bound = 1, released = 2, declined = 3 };

struct Lease {
  core::Ipv4 ip;                          // primary key: one row per address
  std::vector<std::uint8_t> client_id;    // option 61, or htype + chaddr without it
  core::Mac mac;
  std::string hostname;                   // option 12 as the client sent it
  LeaseState state = LeaseState::bound;
  std::int64_t expires = 0;               // Unix seconds (wall clock: survives restarts)
  std::int64_t updated = 0;               // Unix seconds of the last change
  bool operator==(const Lease&) const = default;
};

class LeaseStore {
 public:
  // Opens or creates <dir>/leases.sqlite3 (WAL, synchronous=FULL); errors name the file.
  // Refuses a store that lost rows pxed wrote (store/lease_check.hpp, docs/leases.md).
  static std::expected<LeaseStore, std::string> open(const std::filesystem::path& dir);
  ~LeaseStore();
  LeaseStore(LeaseStore&&) noexcept;
  LeaseStore& operator=(LeaseStore&&) noexcept;

  std::expected<std::vector<Lease>, std::string> load_all();
  // Upserts every lease (by ip) in one transaction; durable when it returns.
  // Then, when the store holds more addresses than before, says so in
  // leases.seen (write = commit + recount).
  std::expected<void, std::string> write(std::span<const Lease> leases);
  // The transaction alone: durable when it returns. leases.seen lags until
  // recount(); a crash in between leaves it lower than the database, which a
  // start accepts (and corrects). The DHCP service sends ACKs after commit and
  // recounts when no lease waits (dhcp/group_commit.hpp).
  std::expected<void, std::string> commit(std::span<const Lease> leases);
  // Writes the row count to leases.seen (an fsync and a rename) if it grew.
  std::expected<void, std::string> recount();

 private:
  struct Impl;
  explicit LeaseStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pxed::store
