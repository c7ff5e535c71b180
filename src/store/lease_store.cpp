#include "store/lease_store.hpp"

#include <sqlite3.h>

#include <array>
#include <charconv>
#include <cstring>
#include <string_view>
#include <system_error>
#include <utility>

#include "store/lease_check.hpp"
#include "store/lease_file.hpp"
#include "store/state_file.hpp"

namespace pxed::store {
namespace leases {
namespace {

namespace fs = std::filesystem;

// Schema migrations, applied in order: kMigrations[n] takes user_version n to
// n + 1 inside one transaction. A new version appends a step; never edit one.
constexpr std::array<std::string_view, 2> kMigrations = {
    "CREATE TABLE leases ("
    "  ip        INTEGER PRIMARY KEY,"  // host byte order, 0..2^32-1
    "  client_id BLOB NOT NULL,"
    "  mac       BLOB NOT NULL,"        // 6 bytes
    "  hostname  TEXT NOT NULL,"
    "  state     INTEGER NOT NULL,"     // LeaseState
    "  expires   INTEGER NOT NULL,"     // Unix seconds
    "  updated   INTEGER NOT NULL"      // Unix seconds
    ")",
    // The store's own id: leases.seen names it, so another file put in this
    // one's place (an old backup, a fresh file after a deletion) is noticed.
    "CREATE TABLE store (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "INSERT INTO store VALUES ('id', lower(hex(randomblob(8)))), ('created', strftime('%s', 'now'))",
};

constexpr std::string_view kUpsert =
    "INSERT INTO leases (ip, client_id, mac, hostname, state, expires, updated)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    " ON CONFLICT (ip) DO UPDATE SET client_id = excluded.client_id, mac = excluded.mac,"
    " hostname = excluded.hostname, state = excluded.state, expires = excluded.expires,"
    " updated = excluded.updated";
constexpr std::string_view kCount = "SELECT count(*) FROM leases";

constexpr std::string_view kSeenHeader =
    "# Written by pxed whenever leases.sqlite3 holds more addresses than before. A start that finds\n"
    "# fewer rows (or another store id) refuses: see `pxed leases check`. Do not edit.\n";

std::optional<std::int64_t> number(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

const sqlite::Schema kSchema{
    .what = "lease store",
    .application_id = ('p' << 24) | ('x' << 16) | ('l' << 8) | 's',  // "pxls": pxed lease store
    .migrations = kMigrations,
    .damaged_hint = kRecoverHint,
    .nothing_yet = "pxed has not written any lease yet",
    .unmarked_up_to = 1,  // pxed before 2026-12 wrote version 1 without an application_id
};

std::expected<std::optional<Seen>, std::string> read_seen(const fs::path& dir) {
  auto text = state::read_small(dir, kSeenName);
  if (!text) return std::unexpected(text.error());
  if (!*text) return std::optional<Seen>{};
  Seen seen;
  bool has_store = false, has_leases = false;
  std::string_view rest = **text;
  while (!rest.empty()) {
    const auto eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
    if (line.empty() || line.front() == '#') continue;
    const auto space = line.find(' ');
    const std::string_view key = line.substr(0, space);
    const std::string_view value = space == std::string_view::npos ? "" : line.substr(space + 1);
    if (key == "store") {
      seen.store = value;
      has_store = true;
    } else if (key == "leases" && number(value)) {
      seen.leases = *number(value);
      has_leases = true;
    } else if (key == "recovered" && number(value)) {
      seen.recovered = *number(value);
    }
  }
  if (!has_store || !has_leases) {
    return std::unexpected((dir / kSeenName).string() +
                           ": not as pxed writes it (no store or leases line); it tells a damaged lease store from a "
                           "new one, so pxed will not guess" + std::string(kRecoverHint));
  }
  return std::optional<Seen>{std::move(seen)};
}

std::expected<void, std::string> write_seen(const fs::path& dir, const Seen& seen) {
  std::string text(kSeenHeader);
  text += "store " + seen.store + "\nleases " + std::to_string(seen.leases) + "\n";
  if (seen.recovered != 0) text += "recovered " + std::to_string(seen.recovered) + "\n";
  return state::replace(dir, kSeenName, text);
}

std::expected<std::string, std::string> store_id(sqlite::File& db) {
  auto s = db.prepare("SELECT value FROM store WHERE key = 'id'");
  if (!s) return std::unexpected(s.error());
  if (sqlite3_step(s->get()) != SQLITE_ROW) return std::unexpected(db.error("cannot read the store id"));
  return std::string(sqlite::text_of(s->get(), 0));
}

std::expected<std::int64_t, std::string> row_count(sqlite::File& db) {
  return db.query_int(kCount, "cannot count leases");
}

std::optional<std::string> disagreement(std::string_view id, std::int64_t rows, const Seen& seen) {
  if (id != seen.store) {
    return "is not the lease database pxed last wrote here (" + std::string(kSeenName) + " names store " + seen.store +
           " with " + std::to_string(seen.leases) + " leases, this file is store " + std::string(id) + " with " +
           std::to_string(rows) + "): it was deleted and made anew, or replaced by another copy";
  }
  if (rows < seen.leases) {
    return "holds " + std::to_string(rows) + " leases but pxed last wrote " + std::to_string(seen.leases) + " (" +
           std::string(kSeenName) + "): the database or its -wal was truncated, deleted or damaged";
  }
  return std::nullopt;
}

std::expected<Lease, std::string> read_row(std::string_view file, sqlite3_stmt* s) {
  Lease l;
  const std::int64_t ip = sqlite3_column_int64(s, 0);
  auto bad = [&](std::string_view why) {
    return std::unexpected(std::string(file) + ": lease row ip=" + std::to_string(ip) + ": " + std::string(why));
  };
  if (ip < 0 || ip > 0xffffffffLL) return bad("ip is not an IPv4 address");
  l.ip.value = static_cast<std::uint32_t>(ip);
  const auto* id = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, 1));
  l.client_id.assign(id, id + sqlite3_column_bytes(s, 1));
  const auto* mac = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, 2));
  if (sqlite3_column_bytes(s, 2) != static_cast<int>(l.mac.bytes.size())) return bad("mac is not 6 bytes");
  std::memcpy(l.mac.bytes.data(), mac, l.mac.bytes.size());
  l.hostname = sqlite::text_of(s, 3);
  const int state = sqlite3_column_int(s, 4);
  if (state < static_cast<int>(LeaseState::bound) || state > static_cast<int>(LeaseState::declined)) {
    return bad("unknown state " + std::to_string(state));
  }
  l.state = static_cast<LeaseState>(state);
  l.expires = sqlite3_column_int64(s, 5);
  l.updated = sqlite3_column_int64(s, 6);
  return l;
}

}  // namespace leases

std::expected<void, std::string> leases::Writer::prepare_all() {
  for (auto [slot, sql] : {std::pair{&begin, std::string_view{"BEGIN IMMEDIATE"}}, {&commit, "COMMIT"},
                           {&rollback, "ROLLBACK"}, {&upsert, leases::kUpsert}, {&select_all, leases::kSelectAll},
                           {&count, leases::kCount}}) {
    auto s = db.prepare(sql);
    if (!s) return std::unexpected(s.error());
    *slot = std::move(*s);
  }
  return {};
}

std::expected<void, std::string> leases::Writer::bind(const Lease& l) {
  sqlite3_stmt* s = upsert.get();
  sqlite3_reset(s);
  int rc = sqlite3_bind_int64(s, 1, l.ip.value);
  // SQLITE_STATIC: the lease outlives the step that reads these bytes.
  if (rc == SQLITE_OK) {
    // A non-null pointer even when empty: a zero-length blob, never NULL (NOT NULL column).
    rc = sqlite3_bind_blob(s, 2, l.client_id.empty() ? "" : static_cast<const void*>(l.client_id.data()),
                           static_cast<int>(l.client_id.size()), SQLITE_STATIC);
  }
  if (rc == SQLITE_OK) {
    rc = sqlite3_bind_blob(s, 3, l.mac.bytes.data(), static_cast<int>(l.mac.bytes.size()), SQLITE_STATIC);
  }
  if (rc == SQLITE_OK) {
    rc = sqlite3_bind_text(s, 4, l.hostname.data(), static_cast<int>(l.hostname.size()), SQLITE_STATIC);
  }
  if (rc == SQLITE_OK) rc = sqlite3_bind_int(s, 5, static_cast<int>(l.state));
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 6, l.expires);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 7, l.updated);
  if (rc != SQLITE_OK) return std::unexpected(db.error("cannot bind lease " + l.ip.to_string()));
  return {};
}

std::expected<void, std::string> leases::Writer::write(std::span<const Lease> batch) {
  if (batch.empty()) return {};
  if (auto r = commit_batch(batch); !r) return r;
  return remember_count();
}

std::expected<void, std::string> leases::Writer::commit_batch(std::span<const Lease> batch) {
  if (batch.empty()) return {};
  // IMMEDIATE takes the write lock up front, so a busy database waits here
  // (busy_timeout) instead of failing halfway through the batch.
  if (auto r = db.step_once(begin.get(), "cannot begin a transaction"); !r) return r;
  for (const Lease& lease : batch) {
    auto r = bind(lease);
    if (r) r = db.step_once(upsert.get(), "cannot write lease " + lease.ip.to_string());
    if (!r) {
      sqlite3_clear_bindings(upsert.get());
      (void)db.step_once(rollback.get(), "rollback");
      return r;
    }
  }
  sqlite3_clear_bindings(upsert.get());
  if (auto r = db.step_once(commit.get(), "cannot commit"); !r) {
    // A failed COMMIT may leave the transaction open (SQLITE_BUSY); close it
    // so the next batch starts clean. Nothing of this batch is durable.
    if (!sqlite3_get_autocommit(db.get())) (void)db.step_once(rollback.get(), "rollback");
    return r;
  }
  return {};
}

std::expected<void, std::string> leases::Writer::remember_count() {
  // After the commit is durable: a crash between the two leaves leases.seen
  // lower than the database, which a start accepts (and corrects).
  if (sqlite3_step(count.get()) != SQLITE_ROW) {
    auto text = db.error("cannot count leases");
    sqlite3_reset(count.get());
    return std::unexpected(text);
  }
  const std::int64_t rows = sqlite3_column_int64(count.get(), 0);
  sqlite3_reset(count.get());
  if (rows <= seen.leases) return {};  // renewals: the same addresses, nothing to write
  Seen grown = seen;
  grown.leases = rows;
  if (auto r = leases::write_seen(dir, grown); !r) return r;
  seen = grown;
  return {};
}

std::expected<std::vector<Lease>, std::string> leases::Writer::load_all() {
  sqlite3_stmt* s = select_all.get();
  sqlite3_reset(s);
  std::vector<Lease> all;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    auto row = leases::read_row(db.name(), s);
    if (!row) {
      sqlite3_reset(s);
      return std::unexpected(row.error());
    }
    all.push_back(std::move(*row));
  }
  sqlite3_reset(s);
  if (rc != SQLITE_DONE) return std::unexpected(db.error("cannot read leases"));
  return all;
}

struct LeaseStore::Impl : leases::Writer {
  using Writer::Writer;
};

std::expected<LeaseStore, std::string> LeaseStore::open(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return std::unexpected(dir.string() + ": state directory does not exist (create it, owned by pxed's user, " +
                           "or set server.state_dir)");
  }
  auto lock = sqlite::DirLock::take(dir, leases::kLockName);
  if (!lock) return std::unexpected(lock.error());
  auto seen = leases::read_seen(dir);
  if (!seen) return std::unexpected(seen.error());
  const fs::path file = dir / leases::kDatabaseName;
  // A database gone or emptied while leases.seen remembers it: refused before
  // SQLite would make a new, empty one in its place.
  if (*seen && (!fs::exists(fs::symlink_status(file, ec)) || fs::file_size(file, ec) == 0)) {
    return std::unexpected(file.string() + ": " + (fs::exists(fs::symlink_status(file, ec)) ? "is empty" : "is gone") +
                           " but pxed last wrote " + std::to_string((*seen)->leases) + " leases to it (" +
                           std::string(leases::kSeenName) + ")" + std::string(leases::kRecoverHint));
  }
  // Read-only first, as `pxed leases check` does: a store that lost rows is
  // refused before opening it for writing could change it (a file whose rows
  // were all in a lost -wal would otherwise get a new, empty schema).
  if (*seen) {
    if (auto found = check_leases(dir, 0); !found.problems.empty()) {
      return std::unexpected(found.problems.front() + std::string(leases::kRecoverHint));
    }
  }
  auto opened = sqlite::File::open(file, sqlite::File::Mode::read_write, leases::kSchema);
  if (!opened) return std::unexpected(opened.error());
  auto impl = std::make_unique<Impl>(dir, std::move(*opened));
  impl->lock = std::move(*lock);
  // FULL: in WAL mode every COMMIT fsyncs the WAL, so write() returning means
  // the batch survives a crash or power cut before its ACK leaves (NORMAL
  // would only survive a process crash).
  if (auto r = impl->db.exec("PRAGMA synchronous = FULL", "cannot set synchronous=FULL"); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = impl->prepare_all(); !r) return std::unexpected(r.error());
  auto id = leases::store_id(impl->db);
  if (!id) return std::unexpected(id.error());
  auto rows = leases::row_count(impl->db);
  if (!rows) return std::unexpected(rows.error());
  if (*seen) {
    if (auto why = leases::disagreement(*id, *rows, **seen)) {
      return std::unexpected(file.string() + ": " + *why + std::string(leases::kRecoverHint));
    }
    impl->seen = **seen;
  } else {
    // A new store, or one from before leases.seen: what it holds now is the floor.
    impl->seen = leases::Seen{.store = *id, .leases = -1, .recovered = 0};
  }
  if (auto r = impl->remember_count(); !r) return std::unexpected(r.error());
  // SQLite fsyncs the WAL on commit but not the directory that names it; do
  // that once, so the WAL file itself survives a power cut.
  if (auto r = sqlite::sync_directory(dir); !r) return std::unexpected(r.error());
  return LeaseStore{std::move(impl)};
}

LeaseStore::LeaseStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LeaseStore::~LeaseStore() = default;
LeaseStore::LeaseStore(LeaseStore&&) noexcept = default;
LeaseStore& LeaseStore::operator=(LeaseStore&&) noexcept = default;

std::expected<std::vector<Lease>, std::string> LeaseStore::load_all() { return impl_->load_all(); }

std::expected<void, std::string> LeaseStore::write(std::span<const Lease> leases) { return impl_->write(leases); }

std::expected<void, std::string> LeaseStore::commit(std::span<const Lease> leases) {
  return impl_->commit_batch(leases);
}

std::expected<void, std::string> LeaseStore::recount() { return impl_->remember_count(); }

}  // namespace pxed::store
