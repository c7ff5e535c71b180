#pragma once
// What every SQLite file in the state dir needs (private to src/store): a
// connection whose errors name the file, a schema versioned with user_version
// behind an application_id that tells our files from anyone else's, and the
// flock that keeps a second pxed from writing the same state dir.
// Every name in the state dir is opened as state_file.hpp says (no links).
#include <sqlite3.h>

#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace pxed::store::sqlite {

struct StatementDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

// sqlite3_column_text is NULL for a NULL value; a string_view of it must not be.
std::string_view text_of(sqlite3_stmt* s, int column);

// An flock on <dir>/<name>, held until destroyed. The kernel drops it when the
// process dies (kill -9 too), so a crashed pxed never blocks its successor. A
// side file rather than locking_mode=EXCLUSIVE, so readers still open the
// WAL database while pxed runs.
class DirLock {
 public:
  static std::expected<DirLock, std::string> take(const std::filesystem::path& dir, std::string_view name);
  DirLock() = default;
  DirLock(DirLock&& other) noexcept;
  DirLock& operator=(DirLock&& other) noexcept;
  ~DirLock();

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// SQLite fsyncs the WAL on commit but not the directory that names it: once
// after creating the files, so the WAL file itself survives a power cut.
std::expected<void, std::string> sync_directory(const std::filesystem::path& dir);

// What one kind of store file is: how to recognise it and how to build it.
struct Schema {
  std::string_view what;             // "machine store": messages say what the file should have been
  std::int32_t application_id = 0;   // PRAGMA application_id, set by the first migration
  std::span<const std::string_view> migrations;  // [n] takes user_version n to n + 1; append, never edit
  std::string_view damaged_hint;     // what an admin can do about a damaged file
  std::string_view nothing_yet;      // a reader's message for a file no writer has filled yet
  int unmarked_up_to = 0;            // versions written before application_id was set (id 0 there is ours)
  int version() const { return static_cast<int>(migrations.size()); }
};

class File {
 public:
  enum class Mode : std::uint8_t { read_write, read_only };

  // read_write opens or creates the file, switches it to WAL and migrates it
  // to schema.version(); read_only never writes and wants that version as is.
  // Neither follows a symbolic link, and a created file is 0600 (state_file.hpp).
  // Both refuse a file that is not a database, another program's database, a
  // newer pxed's or a damaged one (quick_check), with what to do about it.
  static std::expected<File, std::string> open(std::filesystem::path path, Mode mode, const Schema& schema);

  sqlite3* get() const { return db_.get(); }
  const std::string& name() const { return name_; }
  bool read_only() const { return mode_ == Mode::read_only; }

  // "<file>: <what>: <sqlite's message>", plus the damaged hint when it applies.
  std::string error(std::string_view what) const;
  // One or more statements, prepared anew each time: PRAGMAs that act when
  // prepared (synchronous, journal_mode) need exactly that.
  std::expected<void, std::string> exec(std::string_view sql, std::string_view what);
  std::expected<Statement, std::string> prepare(std::string_view sql);
  // Runs a statement that returns at most one row, then resets it.
  std::expected<void, std::string> step_once(sqlite3_stmt* s, std::string_view what);
  std::expected<std::int64_t, std::string> query_int(std::string_view sql, std::string_view what);

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  File() = default;
  std::expected<int, std::string> identify();
  std::expected<void, std::string> use_wal();
  std::expected<void, std::string> quick_check();
  std::expected<void, std::string> migrate(int from);

  std::string name_;  // what every error message names
  Mode mode_ = Mode::read_write;
  Schema schema_;
  std::unique_ptr<sqlite3, Closer> db_;
};

}  // namespace pxed::store::sqlite
