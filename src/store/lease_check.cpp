// `pxed leases check` and `pxed leases recover`: what a damaged lease store
// still holds, and a new store built from it. Recovering never deletes
// anything it has not copied first.
#include <sqlite3.h>
#include <sys/stat.h>

#include <ctime>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "store/lease_check.hpp"
#include "store/lease_file.hpp"
#include "store/state_file.hpp"

namespace pxed::store {
namespace {

namespace fs = std::filesystem;

struct Closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Connection = std::unique_ptr<sqlite3, Closer>;

std::string errno_text(int error) { return std::system_category().message(error); }

// SQLite's own connection, without sqlite::File's refusals: a damaged file is
// what we want to read here. Never follows a link (checked before, and NOFOLLOW).
std::expected<Connection, std::string> open_raw(const fs::path& file, int flags) {
  // As sqlite::File::open: NOFOLLOW refuses a link anywhere in the name, and
  // only the last component is ours to distrust.
  std::error_code ec;
  const fs::path dir = fs::canonical(file.parent_path(), ec);
  const fs::path name = ec ? file : dir / file.filename();
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(name.c_str(), &raw, flags | SQLITE_OPEN_NOFOLLOW, nullptr);
  Connection db{raw};
  if (rc != SQLITE_OK) {
    return std::unexpected(file.string() + ": cannot open: " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(raw, 5000);
  return db;
}

// One value of the first row, or the error SQLite gave.
std::expected<std::string, std::string> first_value(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr) != SQLITE_OK) {
    return std::unexpected(std::string(sqlite3_errmsg(db)));
  }
  sqlite::Statement s{raw};
  const int rc = sqlite3_step(raw);
  if (rc == SQLITE_DONE) return std::string();
  if (rc != SQLITE_ROW) return std::unexpected(std::string(sqlite3_errmsg(db)));
  return std::string(sqlite::text_of(raw, 0));
}

std::string utc_stamp(std::int64_t now) {
  const std::time_t t = static_cast<std::time_t>(now);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y%m%dT%H%M%SZ", &tm);
  return out;
}

std::expected<void, std::string> copy_file(const fs::path& from_dir, std::string_view name, const fs::path& to_dir) {
  auto from = state::open_plain(from_dir, name, O_RDONLY);
  if (!from) return std::unexpected(from.error());
  auto to = state::open_plain(to_dir, name, O_WRONLY | O_CREAT | O_EXCL);
  if (!to) {
    ::close(*from);
    return std::unexpected(to.error());
  }
  char buffer[65536];
  std::string error;
  for (;;) {
    const ssize_t n = ::read(*from, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error = (from_dir / name).string() + ": cannot read: " + errno_text(errno);
    if (n <= 0) break;
    for (ssize_t done = 0; done < n && error.empty();) {
      const ssize_t w = ::write(*to, buffer + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) error = (to_dir / name).string() + ": cannot write: " + errno_text(errno);
      if (w > 0) done += w;
    }
    if (!error.empty()) break;
  }
  if (error.empty() && ::fsync(*to) != 0) error = (to_dir / name).string() + ": cannot sync: " + errno_text(errno);
  ::close(*from);
  ::close(*to);
  if (!error.empty()) return std::unexpected(error);
  return {};
}

// Every lease file that is there: the database, SQLite's companions, leases.seen.
std::vector<std::string> present_files(const fs::path& dir) {
  std::vector<std::string> names{std::string(leases::kDatabaseName)};
  for (auto suffix : state::kSqliteCompanions) names.push_back(std::string(leases::kDatabaseName) + std::string(suffix));
  names.emplace_back(leases::kSeenName);
  std::vector<std::string> present;
  std::error_code ec;
  for (auto& name : names) {
    if (fs::exists(fs::symlink_status(dir / name, ec))) present.push_back(std::move(name));
  }
  return present;
}

}  // namespace

std::int64_t lease_store_recovered_at(const fs::path& dir) {
  auto seen = leases::read_seen(dir);
  return seen && *seen ? (*seen)->recovered : 0;
}

LeaseCheck check_leases(const fs::path& dir, std::int64_t now) {
  LeaseCheck out;
  out.file = dir / leases::kDatabaseName;
  std::error_code ec;
  auto seen = leases::read_seen(dir);
  if (!seen) out.problems.push_back(seen.error());
  if (seen && *seen) {
    out.seen = (*seen)->leases;
    out.recovered = (*seen)->recovered;
  }
  out.exists = fs::exists(fs::symlink_status(out.file, ec));
  if (!out.exists) {
    out.rows = 0;
    if (out.seen) {
      out.problems.push_back(out.file.string() + ": is gone but pxed last wrote " + std::to_string(*out.seen) +
                             " leases to it (" + std::string(leases::kSeenName) + ")");
    }
    return out;
  }
  if (auto r = state::check_database(dir, leases::kDatabaseName); !r) {
    out.problems.push_back(r.error());
    return out;
  }
  auto as_owner = state::AsOwner::of(dir);
  if (!as_owner) {
    out.problems.push_back(as_owner.error());
    return out;
  }
  // Read-only: safe beside a running pxed, and leaves a damaged file as it is.
  auto db = open_raw(out.file, SQLITE_OPEN_READONLY);
  if (!db) {
    out.problems.push_back(db.error());
    return out;
  }
  const std::string name = out.file.string();
  auto verdict = first_value(db->get(), "PRAGMA quick_check");
  if (!verdict || *verdict != "ok") {
    out.problems.push_back(name + ": database is damaged: " + (verdict ? *verdict : verdict.error()));
  }
  auto rows = first_value(db->get(), "SELECT count(*) FROM leases");
  if (!rows) {
    out.problems.push_back(name + ": cannot count leases: " + rows.error() +
                           (out.seen ? " (pxed last wrote " + std::to_string(*out.seen) +
                                           " leases to it: the file was truncated or made anew, or its -wal lost)"
                                     : std::string()));
    return out;
  }
  out.rows = std::stoll(*rows);
  auto bound = first_value(db->get(), "SELECT count(*) FROM leases WHERE state = 1 AND expires > " + std::to_string(now));
  if (bound) out.bound = std::stoll(*bound);
  if (!out.seen) return out;
  // A store from before the id (schema version 1) has no `store` table yet.
  auto id = first_value(db->get(), "SELECT value FROM store WHERE key = 'id'");
  if (auto why = leases::disagreement(id ? *id : "(none)", out.rows, **seen)) out.problems.push_back(name + ": " + *why);
  return out;
}

std::expected<LeaseRecovery, std::string> recover_leases(const fs::path& dir, std::int64_t now) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::unexpected(dir.string() + ": state directory does not exist");
  // pxed holds this while it serves: recovering under it would pull its files away.
  auto lock = sqlite::DirLock::take(dir, leases::kLockName);
  if (!lock) return std::unexpected(lock.error());
  // Before acting as the owner: a file an older pxed made as root is handed over now.
  if (auto r = state::check_database(dir, leases::kDatabaseName); !r) return std::unexpected(r.error());
  if (auto r = state::check_plain(dir, leases::kSeenName); !r) return std::unexpected(r.error());
  auto as_owner = state::AsOwner::of(dir);
  if (!as_owner) return std::unexpected(as_owner.error());
  LeaseRecovery out;
  if (auto seen = leases::read_seen(dir); seen && *seen) out.seen = (*seen)->leases;

  // 1. Every file as it is now, aside, before anything is read or changed.
  out.copy = dir / ("leases.damaged-" + utc_stamp(now));
  if (::mkdir(out.copy.c_str(), 0700) != 0) return std::unexpected(out.copy.string() + ": cannot create: " + errno_text(errno));
  const auto files = present_files(dir);
  for (const auto& name : files) {
    if (auto r = copy_file(dir, name, out.copy); !r) return std::unexpected(r.error());
  }

  // 2. What is readable, in address order, up to the first damaged page.
  std::vector<Lease> rows;
  const fs::path file = dir / leases::kDatabaseName;
  if (fs::exists(fs::symlink_status(file, ec))) {
    auto db = open_raw(file, SQLITE_OPEN_READWRITE);  // READWRITE: a valid -wal is read too
    if (!db) {
      out.stopped = db.error();
    } else {
      sqlite3_stmt* raw = nullptr;
      const auto& sql = leases::kSelectAll;
      if (sqlite3_prepare_v2(db->get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr) != SQLITE_OK) {
        out.stopped = sqlite3_errmsg(db->get());
      }
      sqlite::Statement s{raw};
      int rc = SQLITE_DONE;
      while (raw && (rc = sqlite3_step(raw)) == SQLITE_ROW) {
        auto lease = leases::read_row(file.string(), raw);
        if (lease) rows.push_back(std::move(*lease));
        else ++out.skipped;
      }
      if (raw && rc != SQLITE_DONE) out.stopped = sqlite3_errmsg(db->get());
    }
  }

  // 3. A new store in the old one's place, holding what was read.
  for (const auto& name : files) {
    if (name != leases::kSeenName && ::unlink((dir / name).c_str()) != 0 && errno != ENOENT) {
      return std::unexpected((dir / name).string() + ": cannot remove (a copy is in " + out.copy.string() +
                             "): " + errno_text(errno));
    }
  }
  auto opened = sqlite::File::open(file, sqlite::File::Mode::read_write, leases::kSchema);
  if (!opened) return std::unexpected(opened.error());
  leases::Writer impl(dir, std::move(*opened));
  if (auto r = impl.db.exec("PRAGMA synchronous = FULL", "cannot set synchronous=FULL"); !r) return std::unexpected(r.error());
  if (auto r = impl.prepare_all(); !r) return std::unexpected(r.error());
  auto id = leases::store_id(impl.db);
  if (!id) return std::unexpected(id.error());
  impl.seen = leases::Seen{.store = *id, .leases = -1, .recovered = now};
  if (auto r = impl.write(rows); !r) return std::unexpected(r.error());
  if (auto r = impl.remember_count(); !r) return std::unexpected(r.error());
  if (auto r = sqlite::sync_directory(dir); !r) return std::unexpected(r.error());
  out.kept = static_cast<std::int64_t>(rows.size());
  return out;
}

}  // namespace pxed::store
