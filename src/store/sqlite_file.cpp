#include "store/sqlite_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>
#include <utility>

#include "store/state_file.hpp"

namespace pxed::store::sqlite {
namespace {

namespace fs = std::filesystem;

// A second connection (`pxed machines`, sqlite3 by hand) may hold the write
// lock for a moment; wait rather than fail.
constexpr int kBusyTimeoutMs = 5000;

std::string errno_text(int error) { return std::system_category().message(error); }

std::string hex(std::int64_t value) {
  char out[24];
  std::snprintf(out, sizeof out, "0x%08llx", static_cast<unsigned long long>(static_cast<std::uint32_t>(value)));
  return out;
}

}  // namespace

std::string_view text_of(sqlite3_stmt* s, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, column));
  return text ? std::string_view(text, static_cast<std::size_t>(sqlite3_column_bytes(s, column))) : "";
}

// ---- DirLock

std::expected<DirLock, std::string> DirLock::take(const fs::path& dir, std::string_view name) {
  const fs::path path = dir / name;
  if (auto r = state::check_plain(dir, name); !r) return std::unexpected(r.error());
  auto as_owner = state::AsOwner::of(dir);
  if (!as_owner) return std::unexpected(as_owner.error());
  auto fd = state::open_plain(dir, name, O_RDWR | O_CREAT);
  if (!fd) return std::unexpected(fd.error());
  DirLock lock{*fd};
  int rc = 0;
  while ((rc = ::flock(lock.fd_, LOCK_EX | LOCK_NB)) < 0 && errno == EINTR) {
  }
  if (rc < 0 && errno == EWOULDBLOCK) {
    return std::unexpected("another pxed uses " + dir.string() + " (" + path.string() +
                           " is locked); stop it or give this one another server.state_dir");
  }
  if (rc < 0) return std::unexpected(path.string() + ": cannot lock: " + errno_text(errno));
  return lock;
}

DirLock::DirLock(DirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

DirLock& DirLock::operator=(DirLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

DirLock::~DirLock() {
  if (fd_ >= 0) ::close(fd_);
}

std::expected<void, std::string> sync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const bool synced = fd >= 0 && ::fsync(fd) == 0;
  const int error = errno;
  if (fd >= 0) ::close(fd);
  if (!synced) return std::unexpected(dir.string() + ": cannot sync the directory: " + errno_text(error));
  return {};
}

// ---- File

std::expected<File, std::string> File::open(fs::path path, Mode mode, const Schema& schema) {
  File file;
  file.name_ = path.string();
  file.mode_ = mode;
  file.schema_ = schema;
  // The state dir may belong to the service user while we are root: no name
  // there is followed, and the file and its companions are opened as the
  // directory's owner (state_file.hpp). SQLite creates -wal and -shm with the
  // database's mode, so 0600 here is 0600 for all three.
  // SQLITE_OPEN_NOFOLLOW refuses a link anywhere in the name, and an admin may
  // well reach the state dir through one (/var/lib/pxed -> /data/pxed): SQLite
  // is given the directory as the kernel resolves it; only the last component
  // is ours to distrust.
  std::error_code ec;
  fs::path dir = fs::canonical(path.parent_path().empty() ? fs::path(".") : path.parent_path(), ec);
  if (ec) dir = path.parent_path();
  const std::string base = path.filename().string();
  if (auto r = state::check_database(dir, base); !r) return std::unexpected(r.error());
  auto as_owner = state::AsOwner::of(dir);
  if (!as_owner) return std::unexpected(as_owner.error());
  if (mode == Mode::read_write) {
    if (auto r = state::create_private(dir, base); !r) return std::unexpected(r.error());
  }
  const int flags = (mode == Mode::read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2((dir / base).c_str(), &raw, flags, nullptr);
  file.db_.reset(raw);
  if (rc != SQLITE_OK) {
    return std::unexpected(file.name_ + ": cannot open: " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  sqlite3_extended_result_codes(raw, 1);

  // Who wrote it, before anything is changed: a stranger's file stays as it was.
  auto version = file.identify();
  if (!version) return std::unexpected(version.error());
  if (mode == Mode::read_only) {
    if (*version == 0) {
      return std::unexpected(std::string(schema.nothing_yet) + " in " + path.parent_path().string() + " (" +
                             file.name_ + " is empty)");
    }
    if (*version < schema.version()) {
      return std::unexpected(file.name_ + ": schema version " + std::to_string(*version) +
                             " is older than this pxed reads (" + std::to_string(schema.version()) +
                             "); the pxed serving this state dir upgrades it when it starts");
    }
  } else if (auto r = file.use_wal(); !r) {
    return std::unexpected(r.error());
  }
  // A file damaged past its header is refused now, at startup, rather than at
  // the first write; the tables hold one row per machine or address, so it is quick.
  if (auto r = file.quick_check(); !r) return std::unexpected(r.error());
  if (mode == Mode::read_write) {
    if (auto r = file.migrate(*version); !r) return std::unexpected(r.error());
  }
  return file;
}

std::string File::error(std::string_view what) const {
  std::string text = name_ + ": " + std::string(what) + ": " + sqlite3_errmsg(db_.get());
  const int code = sqlite3_errcode(db_.get()) & 0xff;  // primary code of an extended one
  if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) text += schema_.damaged_hint;
  return text;
}

std::expected<void, std::string> File::exec(std::string_view sql, std::string_view what) {
  char* message = nullptr;
  if (sqlite3_exec(db_.get(), std::string(sql).c_str(), nullptr, nullptr, &message) == SQLITE_OK) return {};
  std::string text = message ? name_ + ": " + std::string(what) + ": " + message : error(what);
  sqlite3_free(message);
  return std::unexpected(text);
}

std::expected<Statement, std::string> File::prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                    &raw, nullptr);
  Statement statement{raw};
  if (rc != SQLITE_OK) return std::unexpected(error("cannot prepare \"" + std::string(sql) + "\""));
  return statement;
}

std::expected<void, std::string> File::step_once(sqlite3_stmt* s, std::string_view what) {
  const int rc = sqlite3_step(s);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    auto text = error(what);  // before the reset, which may change the message
    sqlite3_reset(s);
    return std::unexpected(text);
  }
  sqlite3_reset(s);
  return {};
}

std::expected<std::int64_t, std::string> File::query_int(std::string_view sql, std::string_view what) {
  auto s = prepare(sql);
  if (!s) return std::unexpected(s.error());
  if (sqlite3_step(s->get()) != SQLITE_ROW) return std::unexpected(error(what));
  return sqlite3_column_int64(s->get(), 0);
}

// The first statements to read the header: a file that is not a database fails here.
std::expected<int, std::string> File::identify() {
  auto application_id = query_int("PRAGMA application_id", "cannot read it as a database");
  if (!application_id) return std::unexpected(application_id.error());
  auto version = query_int("PRAGMA user_version", "cannot read the schema version");
  if (!version) return std::unexpected(version.error());
  auto objects = query_int("SELECT count(*) FROM sqlite_schema", "cannot list its tables");
  if (!objects) return std::unexpected(objects.error());
  const bool empty = *application_id == 0 && *version == 0 && *objects == 0;
  const bool unmarked = *application_id == 0 && *version >= 1 && *version <= schema_.unmarked_up_to;
  if (!empty && !unmarked && *application_id != schema_.application_id) {
    return std::unexpected(name_ + ": an SQLite database, but not pxed's " + std::string(schema_.what) +
                           " (application_id " + hex(*application_id) + ", expected " +
                           hex(schema_.application_id) +
                           "); move it away (pxed then starts a new one) or set server.state_dir to another directory");
  }
  if (*version > schema_.version()) {
    return std::unexpected(name_ + ": schema version " + std::to_string(*version) +
                           " was written by a newer pxed (this one knows " + std::to_string(schema_.version()) +
                           "); upgrade pxed or restore an older state dir");
  }
  if (*version < 0) return std::unexpected(name_ + ": schema version " + std::to_string(*version) + " is not ours");
  return static_cast<int>(*version);
}

std::expected<void, std::string> File::use_wal() {
  auto s = prepare("PRAGMA journal_mode = WAL");
  if (!s) return std::unexpected(s.error());
  if (sqlite3_step(s->get()) != SQLITE_ROW) return std::unexpected(error("cannot switch to WAL"));
  const std::string_view journal_mode = text_of(s->get(), 0);
  if (journal_mode != "wal") {
    return std::unexpected(name_ + ": cannot switch to WAL (journal mode stays " + std::string(journal_mode) + ")");
  }
  return {};
}

std::expected<void, std::string> File::quick_check() {
  auto check = prepare("PRAGMA quick_check");
  if (!check) return std::unexpected(check.error());
  if (sqlite3_step(check->get()) != SQLITE_ROW) return std::unexpected(error("integrity check failed"));
  const std::string_view verdict = text_of(check->get(), 0);
  if (verdict != "ok") {
    return std::unexpected(name_ + ": database is damaged: " + std::string(verdict) + std::string(schema_.damaged_hint));
  }
  return {};
}

std::expected<void, std::string> File::migrate(int from) {
  for (int v = from; v < schema_.version(); ++v) {
    // Each step and its version number commit together: a crash leaves the
    // file at version v or v + 1, never between.
    std::string step = "BEGIN IMMEDIATE; " + std::string(schema_.migrations[static_cast<std::size_t>(v)]) + ";";
    // Every step (re)marks the file: one written before the id existed gets it too.
    step += " PRAGMA application_id = " + std::to_string(schema_.application_id) + ";";
    step += " PRAGMA user_version = " + std::to_string(v + 1) + "; COMMIT";
    if (auto r = exec(step, "cannot migrate the schema to version " + std::to_string(v + 1)); !r) {
      if (!sqlite3_get_autocommit(db_.get())) (void)exec("ROLLBACK", "rollback");
      return r;
    }
  }
  return {};
}

}  // namespace pxed::store::sqlite
