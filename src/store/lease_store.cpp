#include "store/lease_store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <system_error>
#include <utility>

namespace pxed::store {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kDatabaseName = "leases.sqlite3";
constexpr std::string_view kLockName = "leases.lock";
// A second connection (`pxed status`, sqlite3 by hand) may hold the write lock
// for a moment; wait rather than fail an ACK.
constexpr int kBusyTimeoutMs = 5000;
// What an admin can do about a damaged file; pxed never deletes leases itself.
constexpr std::string_view kDamagedHint =
    " (move the file and its -wal away to start with no leases, or restore a backup)";

// Schema migrations, applied in order: kMigrations[n] takes user_version n to
// n + 1 inside one transaction. A new version appends a step; never edit one.
constexpr std::array<std::string_view, 1> kMigrations = {
    "CREATE TABLE leases ("
    "  ip        INTEGER PRIMARY KEY,"  // host byte order, 0..2^32-1
    "  client_id BLOB NOT NULL,"
    "  mac       BLOB NOT NULL,"        // 6 bytes
    "  hostname  TEXT NOT NULL,"
    "  state     INTEGER NOT NULL,"     // LeaseState
    "  expires   INTEGER NOT NULL,"     // Unix seconds
    "  updated   INTEGER NOT NULL"      // Unix seconds
    ")",
};
constexpr int kSchemaVersion = static_cast<int>(kMigrations.size());

constexpr std::string_view kUpsert =
    "INSERT INTO leases (ip, client_id, mac, hostname, state, expires, updated)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    " ON CONFLICT (ip) DO UPDATE SET client_id = excluded.client_id, mac = excluded.mac,"
    " hostname = excluded.hostname, state = excluded.state, expires = excluded.expires,"
    " updated = excluded.updated";
constexpr std::string_view kSelectAll =
    "SELECT ip, client_id, mac, hostname, state, expires, updated FROM leases ORDER BY ip";

struct StatementDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

struct DatabaseDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Database = std::unique_ptr<sqlite3, DatabaseDeleter>;

// Closes the lock file, which releases the flock (also on kill -9: the kernel
// closes it for us, so a crashed pxed never blocks its successor).
struct LockFile {
  int fd = -1;
  LockFile() = default;
  explicit LockFile(int f) : fd(f) {}
  LockFile(LockFile&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  LockFile& operator=(LockFile&& o) noexcept {
    if (this != &o) {
      if (fd >= 0) ::close(fd);
      fd = std::exchange(o.fd, -1);
    }
    return *this;
  }
  ~LockFile() {
    if (fd >= 0) ::close(fd);
  }
};

std::string errno_text(int error) { return std::system_category().message(error); }

// Refuses a second pxed on the same state dir: two processes handing out
// leases from one table would give one address to two clients. flock on a
// side file rather than SQLite's locking_mode=EXCLUSIVE, so read-only tools
// can still read the WAL database while pxed runs.
std::expected<LockFile, std::string> lock_state_dir(const fs::path& dir) {
  const fs::path path = dir / kLockName;
  LockFile lock{::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)};
  if (lock.fd < 0) return std::unexpected(path.string() + ": cannot open: " + errno_text(errno));
  int rc = 0;
  while ((rc = ::flock(lock.fd, LOCK_EX | LOCK_NB)) < 0 && errno == EINTR) {
  }
  if (rc < 0 && errno == EWOULDBLOCK) {
    return std::unexpected("another pxed uses " + dir.string() + " (" + path.string() +
                           " is locked); stop it or give this one another server.state_dir");
  }
  if (rc < 0) return std::unexpected(path.string() + ": cannot lock: " + errno_text(errno));
  return lock;
}

}  // namespace

struct LeaseStore::Impl {
  std::string file;  // what every error message names
  LockFile lock;
  Database db;
  Statement begin, commit, rollback, upsert, select_all;

  std::string error(std::string_view what) const {
    std::string text = file + ": " + std::string(what) + ": " + sqlite3_errmsg(db.get());
    const int code = sqlite3_errcode(db.get()) & 0xff;  // primary code of an extended one
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) text += std::string(kDamagedHint);
    return text;
  }

  std::expected<void, std::string> exec(std::string_view sql, std::string_view what) {
    char* message = nullptr;
    if (sqlite3_exec(db.get(), std::string(sql).c_str(), nullptr, nullptr, &message) == SQLITE_OK) {
      return {};
    }
    std::string text = message ? file + ": " + std::string(what) + ": " + message : error(what);
    sqlite3_free(message);
    return std::unexpected(text);
  }

  std::expected<Statement, std::string> prepare(std::string_view sql) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v3(db.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                &raw, nullptr);
    Statement statement{raw};
    if (rc != SQLITE_OK) return std::unexpected(error("cannot prepare \"" + std::string(sql) + "\""));
    return statement;
  }

  // Runs a statement that returns at most one row and resets it.
  std::expected<void, std::string> step_once(sqlite3_stmt* s, std::string_view what) {
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return std::unexpected(error(what));
    return {};
  }

  // sqlite3_column_text is NULL for a NULL value; a string_view of it must not be.
  static std::string_view text_of(sqlite3_stmt* s, int column) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, column));
    return text ? std::string_view(text, static_cast<std::size_t>(sqlite3_column_bytes(s, column))) : "";
  }

  std::expected<int, std::string> query_int(std::string_view sql, std::string_view what) {
    auto s = prepare(sql);
    if (!s) return std::unexpected(s.error());
    if (sqlite3_step(s->get()) != SQLITE_ROW) return std::unexpected(error(what));
    return sqlite3_column_int(s->get(), 0);
  }

  std::expected<void, std::string> configure() {
    sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
    sqlite3_extended_result_codes(db.get(), 1);
    // The first statement to read the header: a file that is not a database fails here.
    auto s = prepare("PRAGMA journal_mode = WAL");
    if (!s) return std::unexpected(error("cannot read it as a database"));
    if (sqlite3_step(s->get()) != SQLITE_ROW) return std::unexpected(error("cannot switch to WAL"));
    std::string_view mode = text_of(s->get(), 0);
    if (mode != "wal") {
      return std::unexpected(file + ": cannot switch to WAL (journal mode stays " + std::string(mode) + ")");
    }
    // FULL: in WAL mode every COMMIT fsyncs the WAL, so write() returning means
    // the batch survives a crash or power cut before its ACK leaves (NORMAL
    // would only survive a process crash).
    if (auto r = exec("PRAGMA synchronous = FULL", "cannot set synchronous=FULL"); !r) return r;
    // Catches a database damaged past its header now, at startup, rather than
    // at the first ACK; the table holds one row per address, so it is quick.
    auto check = prepare("PRAGMA quick_check");
    if (!check) return std::unexpected(check.error());
    if (sqlite3_step(check->get()) != SQLITE_ROW) return std::unexpected(error("integrity check failed"));
    std::string_view verdict = text_of(check->get(), 0);
    if (verdict != "ok") {
      return std::unexpected(file + ": database is damaged: " + std::string(verdict) + std::string(kDamagedHint));
    }
    return {};
  }

  std::expected<void, std::string> migrate() {
    auto version = query_int("PRAGMA user_version", "cannot read the schema version");
    if (!version) return std::unexpected(version.error());
    if (*version > kSchemaVersion) {
      return std::unexpected(file + ": schema version " + std::to_string(*version) +
                             " was written by a newer pxed (this one knows " + std::to_string(kSchemaVersion) +
                             "); upgrade pxed or restore an older state dir");
    }
    for (int v = *version; v < kSchemaVersion; ++v) {
      std::string step = "BEGIN IMMEDIATE; " + std::string(kMigrations[static_cast<std::size_t>(v)]) +
                         "; PRAGMA user_version = " + std::to_string(v + 1) + "; COMMIT";
      if (auto r = exec(step, "cannot migrate the schema to version " + std::to_string(v + 1)); !r) {
        (void)exec("ROLLBACK", "rollback");
        return r;
      }
    }
    return {};
  }

  std::expected<void, std::string> prepare_all() {
    for (auto [slot, sql] : {std::pair{&begin, std::string_view{"BEGIN IMMEDIATE"}}, {&commit, "COMMIT"},
                             {&rollback, "ROLLBACK"}, {&upsert, kUpsert}, {&select_all, kSelectAll}}) {
      auto s = prepare(sql);
      if (!s) return std::unexpected(s.error());
      *slot = std::move(*s);
    }
    return {};
  }

  std::expected<void, std::string> bind(const Lease& l) {
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
    if (rc != SQLITE_OK) return std::unexpected(error("cannot bind lease " + l.ip.to_string()));
    return {};
  }

  std::expected<void, std::string> write(std::span<const Lease> leases) {
    if (leases.empty()) return {};
    // IMMEDIATE takes the write lock up front, so a busy database waits here
    // (busy_timeout) instead of failing halfway through the batch.
    if (auto r = step_once(begin.get(), "cannot begin a transaction"); !r) return r;
    for (const Lease& lease : leases) {
      auto r = bind(lease);
      if (r) r = step_once(upsert.get(), "cannot write lease " + lease.ip.to_string());
      if (!r) {
        sqlite3_clear_bindings(upsert.get());
        (void)step_once(rollback.get(), "rollback");
        return r;
      }
    }
    sqlite3_clear_bindings(upsert.get());
    if (auto r = step_once(commit.get(), "cannot commit"); !r) {
      // A failed COMMIT may leave the transaction open (SQLITE_BUSY); close it
      // so the next batch starts clean. Nothing of this batch is durable.
      if (!sqlite3_get_autocommit(db.get())) (void)step_once(rollback.get(), "rollback");
      return r;
    }
    return {};
  }

  std::expected<std::vector<Lease>, std::string> load_all() {
    sqlite3_stmt* s = select_all.get();
    sqlite3_reset(s);
    std::vector<Lease> leases;
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      auto row = read_row(s);
      if (!row) {
        sqlite3_reset(s);
        return std::unexpected(row.error());
      }
      leases.push_back(std::move(*row));
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return std::unexpected(error("cannot read leases"));
    return leases;
  }

  // Someone may have edited the file by hand: a row we cannot represent is an
  // error naming it, never a silently wrong lease.
  std::expected<Lease, std::string> read_row(sqlite3_stmt* s) const {
    Lease l;
    std::int64_t ip = sqlite3_column_int64(s, 0);
    auto bad = [&](std::string_view why) {
      return std::unexpected(file + ": lease row ip=" + std::to_string(ip) + ": " + std::string(why));
    };
    if (ip < 0 || ip > 0xffffffffLL) return bad("ip is not an IPv4 address");
    l.ip.value = static_cast<std::uint32_t>(ip);
    const auto* id = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, 1));
    l.client_id.assign(id, id + sqlite3_column_bytes(s, 1));
    const auto* mac = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, 2));
    if (sqlite3_column_bytes(s, 2) != static_cast<int>(l.mac.bytes.size())) return bad("mac is not 6 bytes");
    std::memcpy(l.mac.bytes.data(), mac, l.mac.bytes.size());
    l.hostname = text_of(s, 3);
    int state = sqlite3_column_int(s, 4);
    if (state < static_cast<int>(LeaseState::bound) || state > static_cast<int>(LeaseState::declined)) {
      return bad("unknown state " + std::to_string(state));
    }
    l.state = static_cast<LeaseState>(state);
    l.expires = sqlite3_column_int64(s, 5);
    l.updated = sqlite3_column_int64(s, 6);
    return l;
  }
};

std::expected<LeaseStore, std::string> LeaseStore::open(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return std::unexpected(dir.string() + ": state directory does not exist (create it, owned by pxed's user, " +
                           "or set server.state_dir)");
  }
  auto lock = lock_state_dir(dir);
  if (!lock) return std::unexpected(lock.error());

  auto impl = std::make_unique<Impl>();
  impl->file = (dir / kDatabaseName).string();
  impl->lock = std::move(*lock);
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(impl->file.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  impl->db.reset(raw);
  if (rc != SQLITE_OK) {
    return std::unexpected(impl->file + ": cannot open: " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  for (auto step : {&Impl::configure, &Impl::migrate, &Impl::prepare_all}) {
    if (auto r = ((*impl).*step)(); !r) return std::unexpected(r.error());
  }
  // SQLite fsyncs the WAL on commit but not the directory that names it; do
  // that once, so the WAL file itself survives a power cut.
  LockFile directory{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (directory.fd < 0 || ::fsync(directory.fd) < 0) {
    return std::unexpected(dir.string() + ": cannot sync the directory: " + errno_text(errno));
  }
  return LeaseStore{std::move(impl)};
}

LeaseStore::LeaseStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LeaseStore::~LeaseStore() = default;
LeaseStore::LeaseStore(LeaseStore&&) noexcept = default;
LeaseStore& LeaseStore::operator=(LeaseStore&&) noexcept = default;

std::expected<std::vector<Lease>, std::string> LeaseStore::load_all() { return impl_->load_all(); }

std::expected<void, std::string> LeaseStore::write(std::span<const Lease> leases) { return impl_->write(leases); }

}  // namespace pxed::store
