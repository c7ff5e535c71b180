#include "store/event_store.hpp"

#include <array>
#include <string_view>
#include <utility>

#include "store/sqlite_file.hpp"

namespace pxed::store {
namespace {

namespace fs = std::filesystem;
using sqlite::Statement;

constexpr std::string_view kDatabaseName = "events.sqlite3";
constexpr std::string_view kLockName = "events.lock";

// Append a step for a new version; never edit one (sqlite_file.hpp).
constexpr std::array<std::string_view, 1> kMigrations = {
    "CREATE TABLE events ("
    "  id   INTEGER PRIMARY KEY,"  // the bus's sequence number: the API's ids and cursors
    "  json TEXT NOT NULL"         // the event as /api/v1/events writes it
    ")",
};

const sqlite::Schema kSchema{
    .what = "event history",
    .application_id = ('p' << 24) | ('x' << 16) | ('e' << 8) | 'v',  // "pxev": pxed event history
    .migrations = kMigrations,
    .damaged_hint = " (move the file and its -wal away: pxed starts a new one; only past events are lost)",
    .nothing_yet = "pxed has not recorded any event yet",
};

constexpr std::string_view kInsert = "INSERT OR REPLACE INTO events (id, json) VALUES (?1, ?2)";
// Everything older than the newest ?1 rows (the subquery is the newest row to drop).
constexpr std::string_view kTrim =
    "DELETE FROM events WHERE id <= (SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?1)";
constexpr std::string_view kNewest =
    "SELECT id, json FROM (SELECT id, json FROM events ORDER BY id DESC LIMIT ?1) ORDER BY id";

}  // namespace

struct EventStore::Impl {
  sqlite::DirLock lock;  // declared first: released after the file is closed
  sqlite::File db;
  Statement insert, trim, newest;

  explicit Impl(sqlite::File file) : db(std::move(file)) {}

  std::expected<void, std::string> prepare_all() {
    for (auto [slot, sql] : {std::pair{&insert, kInsert}, {&trim, kTrim}, {&newest, kNewest}}) {
      auto s = db.prepare(sql);
      if (!s) return std::unexpected(s.error());
      *slot = std::move(*s);
    }
    return {};
  }

  std::expected<void, std::string> write(std::span<const StoredEvent> events, std::uint64_t keep) {
    for (const auto& e : events) {
      sqlite3_stmt* s = insert.get();
      sqlite3_reset(s);
      int rc = sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(e.id));
      // SQLITE_STATIC: e outlives the step that reads these bytes.
      if (rc == SQLITE_OK) rc = sqlite3_bind_text(s, 2, e.json.data(), static_cast<int>(e.json.size()), SQLITE_STATIC);
      if (rc != SQLITE_OK) return std::unexpected(db.error("cannot bind event " + std::to_string(e.id)));
      auto r = db.step_once(s, "cannot write event " + std::to_string(e.id));
      sqlite3_clear_bindings(s);
      if (!r) return r;
    }
    if (keep == 0) return {};
    sqlite3_reset(trim.get());
    if (sqlite3_bind_int64(trim.get(), 1, static_cast<sqlite3_int64>(keep)) != SQLITE_OK) {
      return std::unexpected(db.error("cannot bind the trim"));
    }
    return db.step_once(trim.get(), "cannot drop old events");
  }
};

std::expected<EventStore, std::string> EventStore::open(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return std::unexpected(dir.string() + ": state directory does not exist (create it, owned by pxed's user, " +
                           "or set server.state_dir)");
  }
  auto lock = sqlite::DirLock::take(dir, kLockName);
  if (!lock) return std::unexpected(lock.error());
  auto opened = sqlite::File::open(dir / kDatabaseName, sqlite::File::Mode::read_write, kSchema);
  if (!opened) return std::unexpected(opened.error());
  auto impl = std::make_unique<Impl>(std::move(*opened));
  impl->lock = std::move(*lock);
  if (auto r = impl->prepare_all(); !r) return std::unexpected(r.error());
  // A crash of pxed loses nothing in WAL mode; a power cut may lose the last
  // batch, which is fine for a record of the past.
  if (auto r = impl->db.exec("PRAGMA synchronous = NORMAL", "cannot set synchronous=NORMAL"); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = sqlite::sync_directory(dir); !r) return std::unexpected(r.error());
  return EventStore{std::move(impl)};
}

EventStore::EventStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EventStore::~EventStore() = default;
EventStore::EventStore(EventStore&&) noexcept = default;
EventStore& EventStore::operator=(EventStore&&) noexcept = default;

std::expected<void, std::string> EventStore::append(std::span<const StoredEvent> events, std::uint64_t keep) {
  if (events.empty()) return {};
  auto& db = impl_->db;
  if (auto r = db.exec("BEGIN IMMEDIATE", "cannot begin a transaction"); !r) return r;
  auto written = impl_->write(events, keep);
  if (written) written = db.exec("COMMIT", "cannot commit");
  // A failed statement or COMMIT may leave the transaction open: close it so
  // the next batch starts clean.
  if (!written && !sqlite3_get_autocommit(db.get())) (void)db.exec("ROLLBACK", "rollback");
  return written;
}

std::expected<std::vector<StoredEvent>, std::string> EventStore::newest(std::uint64_t count) {
  sqlite3_stmt* s = impl_->newest.get();
  sqlite3_reset(s);
  if (sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(count)) != SQLITE_OK) {
    return std::unexpected(impl_->db.error("cannot bind the count"));
  }
  std::vector<StoredEvent> out;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    out.push_back({static_cast<std::uint64_t>(sqlite3_column_int64(s, 0)), std::string(sqlite::text_of(s, 1))});
  }
  auto error = rc == SQLITE_DONE ? std::string() : impl_->db.error("cannot read events");
  sqlite3_reset(s);
  if (!error.empty()) return std::unexpected(error);
  return out;
}

}  // namespace pxed::store
