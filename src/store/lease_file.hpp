#pragma once
// Private to src/store: the lease database's schema, the side file that
// remembers how many addresses it held (leases.seen), and LeaseStore's insides,
// shared by lease_store.cpp (serving) and lease_check.cpp (check, recover).
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "store/lease_store.hpp"
#include "store/sqlite_file.hpp"
#include <span>
#include <vector>

namespace pxed::store::leases {

inline constexpr std::string_view kDatabaseName = "leases.sqlite3";
inline constexpr std::string_view kLockName = "leases.lock";
// Beside the database, outside SQLite's files: losing the database or its -wal
// does not lose this, so a start can tell a store that lost rows from a new one.
inline constexpr std::string_view kSeenName = "leases.seen";

extern const sqlite::Schema kSchema;

// What pxed last knew of the database: rows are never deleted (an address
// keeps its row, released or expired), so the count only grows.
struct Seen {
  std::string store;            // the database's own random id (its `store` table)
  std::int64_t leases = 0;      // rows in `leases` after the last write that added one
  std::int64_t recovered = 0;   // Unix seconds of the last `pxed leases recover`, 0 if none
  bool operator==(const Seen&) const = default;
};
std::expected<std::optional<Seen>, std::string> read_seen(const std::filesystem::path& dir);
std::expected<void, std::string> write_seen(const std::filesystem::path& dir, const Seen& seen);

// The store id and the number of lease rows of an open database.
std::expected<std::string, std::string> store_id(sqlite::File& db);
std::expected<std::int64_t, std::string> row_count(sqlite::File& db);
// Why a database that holds `rows` rows under `id` is not the one pxed last
// wrote, or nullopt when it is (or holds more).
std::optional<std::string> disagreement(std::string_view id, std::int64_t rows, const Seen& seen);

// What to do about a damaged lease store: said by every message that finds one.
inline constexpr std::string_view kRecoverHint =
    "; pxed will not hand out addresses other machines may still hold. Stop pxed, run `pxed leases check -c CONFIG`"
    " to see what is readable, then `pxed leases recover -c CONFIG` (keeps a copy of every file, rebuilds the store"
    " from what is readable; see docs/leases.md), or restore a backup of the whole state dir";

// One row as the store keeps it; a row we cannot represent is an error naming it.
std::expected<Lease, std::string> read_row(std::string_view file, sqlite3_stmt* s);
inline constexpr std::string_view kSelectAll =
    "SELECT ip, client_id, mac, hostname, state, expires, updated FROM leases ORDER BY ip";

}  // namespace pxed::store::leases

namespace pxed::store::leases {

// What writes the lease database: LeaseStore's insides (LeaseStore::Impl is
// one), and what recover_leases fills a new store with.
struct Writer {
  std::filesystem::path dir;
  sqlite::DirLock lock;  // declared first: released after the file is closed
  sqlite::File db;
  sqlite::Statement begin, commit, rollback, upsert, select_all, count;
  Seen seen;

  Writer(std::filesystem::path d, sqlite::File file) : dir(std::move(d)), db(std::move(file)) {}
  std::expected<void, std::string> prepare_all();
  std::expected<void, std::string> bind(const Lease& lease);
  std::expected<void, std::string> write(std::span<const Lease> batch);  // commit_batch, then remember_count
  std::expected<void, std::string> commit_batch(std::span<const Lease> batch);
  std::expected<std::vector<Lease>, std::string> load_all();
  // After a write: a grown count goes to leases.seen.
  std::expected<void, std::string> remember_count();
};

}  // namespace pxed::store::leases
