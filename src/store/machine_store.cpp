#include "store/machine_store.hpp"

#include <array>
#include <string_view>
#include <utility>

#include "store/sqlite_file.hpp"

namespace pxed::store {
namespace {

namespace fs = std::filesystem;
using sqlite::Statement;

constexpr std::string_view kDatabaseName = "machines.sqlite3";
// Its own lock beside leases.lock: pxed holds both, and a tool that only
// needs one store does not wait on the other.
constexpr std::string_view kLockName = "machines.lock";

// Stage and InstallState as the store writes them, indexed by value: text, so
// `sqlite3 machines.sqlite3` reads like `pxed machines`.
constexpr std::array<std::string_view, 7> kStageNames = {"dhcp",   "loader",    "config", "kernel",
                                                         "initrd", "installer", "done"};
constexpr std::array<std::string_view, 3> kInstallStateNames = {"", "pending", "done"};

// Schema migrations, applied in order: kMigrations[n] takes user_version n to
// n + 1 inside one transaction. A new version appends a step; never edit one.
// No CHECK on stage or state: a row we cannot read is refused when read
// (read_machine), and a later stage would otherwise need a table rebuild.
constexpr std::array<std::string_view, 3> kMigrations = {
    "CREATE TABLE machines ("
    "  mac          TEXT PRIMARY KEY,"   // "52:54:00:12:34:56"
    "  uuid         TEXT NOT NULL,"
    "  arch         TEXT NOT NULL,"
    "  vendor_class TEXT NOT NULL,"
    "  ip           TEXT NOT NULL,"
    "  first_seen   INTEGER NOT NULL,"   // Unix seconds
    "  last_seen    INTEGER NOT NULL,"
    "  loader       TEXT NOT NULL,"      // the last file fetched at each stage
    "  config       TEXT NOT NULL,"
    "  kernel       TEXT NOT NULL,"
    "  initrd       TEXT NOT NULL,"
    "  stage        TEXT NOT NULL,"      // kStageNames
    "  stage_at     INTEGER NOT NULL"    // Unix seconds; 0 while no stage was seen
    ") WITHOUT ROWID;"
    "CREATE TABLE installs ("
    "  mac   TEXT PRIMARY KEY,"
    "  state TEXT NOT NULL,"             // kInstallStateNames
    "  at    INTEGER NOT NULL"           // Unix seconds of the change
    ") WITHOUT ROWID",
    // What iPXE read from SMBIOS and reported in its script's URL.
    "ALTER TABLE machines ADD COLUMN serial TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE machines ADD COLUMN manufacturer TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE machines ADD COLUMN product TEXT NOT NULL DEFAULT ''",
    // Profiles assigned by hand (the API, `pxed machines assign`); a machine
    // pxed never saw may have one, so no reference to machines.
    "CREATE TABLE assignments ("
    "  mac     TEXT PRIMARY KEY,"
    "  profile TEXT NOT NULL,"
    "  at      INTEGER NOT NULL,"          // Unix seconds of the assignment
    "  by      TEXT NOT NULL"              // "api" or "cli"
    ") WITHOUT ROWID",
};

const sqlite::Schema kSchema{
    .what = "machine store",
    .application_id = ('p' << 24) | ('x' << 16) | ('m' << 8) | 's',  // "pxms": pxed machine store
    .migrations = kMigrations,
    .damaged_hint = " (move the file and its -wal away: pxed starts a new one, and every machine's"
                    " `once` install starts over as pending; or restore a backup)",
    .nothing_yet = "pxed has not recorded any machine yet",
};

// One observation folded into its machine's row. ?1 mac, ?2 uuid, ?3 arch,
// ?4 vendor_class, ?5 ip, ?6 at, ?7 stage or NULL, ?8..?11 the path for the
// loader / config / kernel / initrd column or NULL, ?12 serial, ?13
// manufacturer, ?14 product: empty text and NULL keep what the row had;
// first_seen is written once; last_seen never goes back.
constexpr std::string_view kUpsert =
    "INSERT INTO machines (mac, uuid, arch, vendor_class, ip, first_seen, last_seen,"
    "                      loader, config, kernel, initrd, stage, stage_at, serial, manufacturer, product)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, coalesce(?8, ''), coalesce(?9, ''), coalesce(?10, ''),"
    "         coalesce(?11, ''), coalesce(?7, 'dhcp'), CASE WHEN ?7 IS NULL THEN 0 ELSE ?6 END, ?12, ?13, ?14)"
    " ON CONFLICT (mac) DO UPDATE SET"
    "  uuid = CASE WHEN ?2 = '' THEN uuid ELSE ?2 END,"
    "  arch = CASE WHEN ?3 = '' THEN arch ELSE ?3 END,"
    "  vendor_class = CASE WHEN ?4 = '' THEN vendor_class ELSE ?4 END,"
    "  ip = CASE WHEN ?5 = '' THEN ip ELSE ?5 END,"
    "  last_seen = max(last_seen, ?6),"
    "  loader = coalesce(?8, loader), config = coalesce(?9, config),"
    "  kernel = coalesce(?10, kernel), initrd = coalesce(?11, initrd),"
    "  stage = coalesce(?7, stage),"
    "  stage_at = CASE WHEN ?7 IS NULL THEN stage_at ELSE ?6 END,"
    "  serial = CASE WHEN ?12 = '' THEN serial ELSE ?12 END,"
    "  manufacturer = CASE WHEN ?13 = '' THEN manufacturer ELSE ?13 END,"
    "  product = CASE WHEN ?14 = '' THEN product ELSE ?14 END";
constexpr std::string_view kSelectMachines =
    "SELECT mac, uuid, arch, vendor_class, ip, first_seen, last_seen, loader, config, kernel, initrd,"
    " stage, stage_at, serial, manufacturer, product FROM machines ORDER BY last_seen DESC, mac";
constexpr std::string_view kHasMachine = "SELECT 1 FROM machines WHERE mac = ?1";
constexpr std::string_view kSetInstall =
    "INSERT INTO installs (mac, state, at) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (mac) DO UPDATE SET state = excluded.state, at = excluded.at";
constexpr std::string_view kClearInstall = "DELETE FROM installs WHERE mac = ?1";
constexpr std::string_view kSelectInstalls = "SELECT mac, state, at FROM installs";
constexpr std::string_view kAssign =
    "INSERT INTO assignments (mac, profile, at, by) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (mac) DO UPDATE SET profile = excluded.profile, at = excluded.at, by = excluded.by";
constexpr std::string_view kUnassign = "DELETE FROM assignments WHERE mac = ?1";
constexpr std::string_view kSelectAssignments = "SELECT mac, profile, at, by FROM assignments";

// The stage's own path column (?8..?11), or 0 for stages that fetch no file.
int path_parameter(Stage stage) {
  switch (stage) {
    case Stage::loader: return 8;
    case Stage::config: return 9;
    case Stage::kernel: return 10;
    case Stage::initrd: return 11;
    case Stage::dhcp:
    case Stage::installer:
    case Stage::done: return 0;
  }
  return 0;
}

std::optional<InstallState> install_state_named(std::string_view name) {
  for (std::size_t i = 1; i < kInstallStateNames.size(); ++i) {
    if (kInstallStateNames[i] == name) return static_cast<InstallState>(i);
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Stage stage) {
  const auto i = static_cast<std::size_t>(stage);
  return i < kStageNames.size() ? kStageNames[i] : "unknown";
}

std::optional<Stage> stage_named(std::string_view name) {
  for (std::size_t i = 0; i < kStageNames.size(); ++i) {
    if (kStageNames[i] == name) return static_cast<Stage>(i);
  }
  return std::nullopt;
}

std::string_view to_string(InstallState state) {
  const auto i = static_cast<std::size_t>(state);
  return i > 0 && i < kInstallStateNames.size() ? kInstallStateNames[i] : "unknown";
}

struct MachineStore::Impl {
  sqlite::DirLock lock;  // declared first: released after the file is closed
  sqlite::File db;
  Statement begin, commit, rollback, upsert, select_machines, set_install, clear_install, select_installs;
  Statement assign, unassign, select_assignments, has_machine;

  explicit Impl(sqlite::File file) : db(std::move(file)) {}

  std::expected<void, std::string> prepare_all() {
    for (auto [slot, sql] : {std::pair{&begin, std::string_view{"BEGIN IMMEDIATE"}},
                             {&commit, "COMMIT"},
                             {&rollback, "ROLLBACK"},
                             {&upsert, kUpsert},
                             {&select_machines, kSelectMachines},
                             {&set_install, kSetInstall},
                             {&clear_install, kClearInstall},
                             {&select_installs, kSelectInstalls},
                             {&assign, kAssign},
                             {&unassign, kUnassign},
                             {&select_assignments, kSelectAssignments},
                             {&has_machine, kHasMachine}}) {
      auto s = db.prepare(sql);
      if (!s) return std::unexpected(s.error());
      *slot = std::move(*s);
    }
    return {};
  }

  std::expected<void, std::string> writable() const {
    if (db.read_only()) return std::unexpected(db.name() + ": opened read-only; only the serving pxed writes it");
    return {};
  }

  // Runs body inside BEGIN IMMEDIATE ... COMMIT; nothing of it stays on failure.
  // IMMEDIATE takes the write lock up front, so a busy database waits here
  // (busy_timeout) instead of failing halfway through.
  template <typename Body>
  std::expected<void, std::string> transaction(Body&& body) {
    if (auto r = db.step_once(begin.get(), "cannot begin a transaction"); !r) return r;
    if (auto r = body(); !r) {
      (void)db.step_once(rollback.get(), "rollback");
      return r;
    }
    if (auto r = db.step_once(commit.get(), "cannot commit"); !r) {
      // A failed COMMIT may leave the transaction open (SQLITE_BUSY); close it
      // so the next one starts clean.
      if (!sqlite3_get_autocommit(db.get())) (void)db.step_once(rollback.get(), "rollback");
      return r;
    }
    return {};
  }

  // Sightings commit with synchronous=NORMAL: in WAL mode that survives a
  // crash of pxed but may lose the last commits to a power cut, which is fine
  // for a record of who asked. An install state decides what a machine boots
  // next, so its transaction commits with FULL (the WAL is fsynced, taking
  // every earlier sighting with it) and is on disk when this returns.
  // Switched per transaction rather than FULL always: observe() runs on every
  // request of every boot, an install changes once or twice per install.
  template <typename Body>
  std::expected<void, std::string> durably(Body&& body) {
    // The PRAGMA acts when prepared and not inside a transaction: exec, before BEGIN.
    if (auto r = db.exec("PRAGMA synchronous = FULL", "cannot set synchronous=FULL"); !r) return r;
    auto result = transaction(std::forward<Body>(body));
    // Only the speed of later sightings depends on this; if it failed they
    // would commit with FULL, slower and still correct.
    (void)db.exec("PRAGMA synchronous = NORMAL", "cannot set synchronous=NORMAL");
    return result;
  }

  std::expected<void, std::string> bind_observation(const Observation& o, const std::string& mac) {
    sqlite3_stmt* s = upsert.get();
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);  // every path parameter NULL unless this stage sets it
    // SQLITE_STATIC: o and mac outlive the step that reads these bytes.
    auto text = [&](int i, std::string_view v) {
      return sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    };
    int rc = text(1, mac);
    if (rc == SQLITE_OK) rc = text(2, o.uuid);
    if (rc == SQLITE_OK) rc = text(3, o.arch);
    if (rc == SQLITE_OK) rc = text(4, o.vendor_class);
    if (rc == SQLITE_OK) rc = text(5, o.ip);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 6, o.at);
    if (rc == SQLITE_OK) rc = text(12, o.serial);
    if (rc == SQLITE_OK) rc = text(13, o.manufacturer);
    if (rc == SQLITE_OK) rc = text(14, o.product);
    if (rc == SQLITE_OK && o.stage) {
      rc = text(7, to_string(*o.stage));
      const int column = path_parameter(*o.stage);
      if (rc == SQLITE_OK && column != 0 && !o.path.empty()) rc = text(column, o.path);
    }
    if (rc != SQLITE_OK) return std::unexpected(db.error("cannot bind the observation of " + mac));
    return {};
  }

  std::expected<void, std::string> observe(std::span<const Observation> observations) {
    if (auto r = writable(); !r) return r;
    if (observations.empty()) return {};
    auto result = transaction([&]() -> std::expected<void, std::string> {
      for (const Observation& o : observations) {
        const std::string mac = o.mac.to_string();
        auto r = bind_observation(o, mac);
        if (r) r = db.step_once(upsert.get(), "cannot record machine " + mac);
        if (!r) return r;
      }
      return {};
    });
    sqlite3_clear_bindings(upsert.get());  // no pointer into the caller's strings outlives the call
    return result;
  }

  std::expected<void, std::string> write_install(sqlite3_stmt* s, const core::Mac& mac,
                                                 std::optional<Install> install) {
    if (auto r = writable(); !r) return r;
    const std::string text = mac.to_string();
    auto result = durably([&]() -> std::expected<void, std::string> {
      sqlite3_reset(s);
      int rc = sqlite3_bind_text(s, 1, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
      if (install) {
        const std::string_view state = to_string(install->state);
        if (rc == SQLITE_OK) rc = sqlite3_bind_text(s, 2, state.data(), static_cast<int>(state.size()), SQLITE_STATIC);
        if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 3, install->at);
      }
      if (rc != SQLITE_OK) return std::unexpected(db.error("cannot bind the install state of " + text));
      return db.step_once(s, "cannot write the install state of " + text);
    });
    sqlite3_clear_bindings(s);
    return result;
  }

  // removed: set to whether a row went (unassign); null when assigning.
  std::expected<void, std::string> write_assignment(const core::Mac& mac, const Assignment* a, bool* removed) {
    if (auto r = writable(); !r) return r;
    const std::string text = mac.to_string();
    sqlite3_stmt* s = a != nullptr ? assign.get() : unassign.get();
    auto result = durably([&]() -> std::expected<void, std::string> {
      sqlite3_reset(s);
      int rc = sqlite3_bind_text(s, 1, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
      if (a != nullptr) {
        if (rc == SQLITE_OK) rc = sqlite3_bind_text(s, 2, a->profile.data(), static_cast<int>(a->profile.size()), SQLITE_STATIC);
        if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 3, a->at);
        if (rc == SQLITE_OK) rc = sqlite3_bind_text(s, 4, a->by.data(), static_cast<int>(a->by.size()), SQLITE_STATIC);
      }
      if (rc != SQLITE_OK) return std::unexpected(db.error("cannot bind the assignment of " + text));
      auto stepped = db.step_once(s, "cannot write the assignment of " + text);
      if (stepped && removed != nullptr) *removed = sqlite3_changes(db.get()) > 0;
      return stepped;
    });
    sqlite3_clear_bindings(s);
    return result;
  }

  // Someone may have edited the file by hand: a row we cannot represent is an
  // error naming it, never a silently wrong record.
  std::expected<MachineRecord, std::string> read_machine(sqlite3_stmt* s) const {
    const std::string_view mac_text = sqlite::text_of(s, 0);
    auto bad = [&](std::string_view why) {
      return std::unexpected(db.name() + ": machine row mac=\"" + std::string(mac_text) + "\": " + std::string(why));
    };
    MachineRecord m;
    auto mac = core::Mac::parse(mac_text);
    if (!mac) return bad("not a MAC address");
    m.mac = *mac;
    m.uuid = sqlite::text_of(s, 1);
    m.arch = sqlite::text_of(s, 2);
    m.vendor_class = sqlite::text_of(s, 3);
    m.ip = sqlite::text_of(s, 4);
    m.first_seen = sqlite3_column_int64(s, 5);
    m.last_seen = sqlite3_column_int64(s, 6);
    m.loader = sqlite::text_of(s, 7);
    m.config = sqlite::text_of(s, 8);
    m.kernel = sqlite::text_of(s, 9);
    m.initrd = sqlite::text_of(s, 10);
    const std::string_view stage_text = sqlite::text_of(s, 11);
    auto stage = stage_named(stage_text);
    if (!stage) return bad("unknown stage \"" + std::string(stage_text) + "\"");
    m.stage = *stage;
    m.stage_at = sqlite3_column_int64(s, 12);
    m.serial = sqlite::text_of(s, 13);
    m.manufacturer = sqlite::text_of(s, 14);
    m.product = sqlite::text_of(s, 15);
    return m;
  }

  // Steps a SELECT to its end, handing each row to read; stops at the first bad row.
  template <typename Read>
  std::expected<void, std::string> each_row(sqlite3_stmt* s, std::string_view what, Read&& read) {
    sqlite3_reset(s);
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      if (auto r = read(s); !r) {
        sqlite3_reset(s);
        return r;
      }
    }
    if (rc != SQLITE_DONE) {
      auto text = db.error(what);
      sqlite3_reset(s);
      return std::unexpected(text);
    }
    sqlite3_reset(s);
    return {};
  }

  std::expected<std::vector<MachineRecord>, std::string> machines() {
    std::vector<MachineRecord> records;
    auto r = each_row(select_machines.get(), "cannot read machines", [&](sqlite3_stmt* s) {
      auto record = read_machine(s);
      if (!record) return std::expected<void, std::string>(std::unexpected(record.error()));
      records.push_back(std::move(*record));
      return std::expected<void, std::string>();
    });
    if (!r) return std::unexpected(r.error());
    return records;
  }

  std::expected<std::map<core::Mac, Install>, std::string> installs() {
    std::map<core::Mac, Install> all;
    auto r = each_row(select_installs.get(), "cannot read install states",
                      [&](sqlite3_stmt* s) -> std::expected<void, std::string> {
                        const std::string_view mac_text = sqlite::text_of(s, 0);
                        const std::string_view state_text = sqlite::text_of(s, 1);
                        auto bad = [&](std::string_view why) {
                          return std::unexpected(db.name() + ": install row mac=\"" + std::string(mac_text) +
                                                 "\": " + std::string(why));
                        };
                        auto mac = core::Mac::parse(mac_text);
                        if (!mac) return bad("not a MAC address");
                        auto state = install_state_named(state_text);
                        if (!state) return bad("unknown state \"" + std::string(state_text) + "\"");
                        all[*mac] = Install{*state, sqlite3_column_int64(s, 2)};
                        return {};
                      });
    if (!r) return std::unexpected(r.error());
    return all;
  }

  std::expected<std::map<core::Mac, Assignment>, std::string> assignments() {
    std::map<core::Mac, Assignment> all;
    auto r = each_row(select_assignments.get(), "cannot read assignments",
                      [&](sqlite3_stmt* s) -> std::expected<void, std::string> {
                        const std::string_view mac_text = sqlite::text_of(s, 0);
                        auto mac = core::Mac::parse(mac_text);
                        if (!mac) {
                          return std::unexpected(db.name() + ": assignment row mac=\"" + std::string(mac_text) +
                                                 "\": not a MAC address");
                        }
                        all[*mac] = Assignment{std::string(sqlite::text_of(s, 1)), sqlite3_column_int64(s, 2),
                                               std::string(sqlite::text_of(s, 3))};
                        return {};
                      });
    if (!r) return std::unexpected(r.error());
    return all;
  }
};

std::expected<MachineStore, std::string> MachineStore::open(const fs::path& dir, Access access) {
  const bool read_only = access == Access::reader;
  const fs::path file = dir / kDatabaseName;
  std::error_code ec;
  if (read_only) {
    // SQLITE_OPEN_READONLY would fail too, but with "unable to open database file".
    if (!fs::exists(file, ec)) {
      return std::unexpected(std::string(kSchema.nothing_yet) + " in " + dir.string() + " (no " +
                             std::string(kDatabaseName) + " there; is that server.state_dir?)");
    }
  } else if (!fs::is_directory(dir, ec)) {
    return std::unexpected(dir.string() + ": state directory does not exist (create it, owned by pxed's user, " +
                           "or set server.state_dir)");
  }
  // Readers take no lock: WAL lets them read while pxed writes.
  sqlite::DirLock lock;
  if (access == Access::server) {
    auto taken = sqlite::DirLock::take(dir, kLockName);
    if (!taken) return std::unexpected(taken.error());
    lock = std::move(*taken);
  }
  auto opened =
      sqlite::File::open(file, read_only ? sqlite::File::Mode::read_only : sqlite::File::Mode::read_write, kSchema);
  if (!opened) return std::unexpected(opened.error());
  auto impl = std::make_unique<Impl>(std::move(*opened));
  impl->lock = std::move(lock);
  if (auto r = impl->prepare_all(); !r) return std::unexpected(r.error());
  if (!read_only) {
    if (auto r = impl->db.exec("PRAGMA synchronous = NORMAL", "cannot set synchronous=NORMAL"); !r) {
      return std::unexpected(r.error());
    }
    if (auto r = sqlite::sync_directory(dir); !r) return std::unexpected(r.error());
  }
  return MachineStore{std::move(impl)};
}

MachineStore::MachineStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MachineStore::~MachineStore() = default;
MachineStore::MachineStore(MachineStore&&) noexcept = default;
MachineStore& MachineStore::operator=(MachineStore&&) noexcept = default;

std::expected<void, std::string> MachineStore::observe(std::span<const Observation> observations) {
  return impl_->observe(observations);
}

std::expected<std::vector<MachineRecord>, std::string> MachineStore::machines() { return impl_->machines(); }

std::expected<bool, std::string> MachineStore::has_machine(const core::Mac& mac) {
  const std::string text = mac.to_string();
  sqlite3_stmt* s = impl_->has_machine.get();
  sqlite3_reset(s);
  if (sqlite3_bind_text(s, 1, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT) != SQLITE_OK) {
    return std::unexpected(impl_->db.error("cannot bind " + text));
  }
  const int rc = sqlite3_step(s);
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return std::unexpected(impl_->db.error("cannot read machine " + text));
  return rc == SQLITE_ROW;
}

std::expected<void, std::string> MachineStore::set_install(const core::Mac& mac, Install install) {
  return impl_->write_install(impl_->set_install.get(), mac, install);
}

std::expected<void, std::string> MachineStore::clear_install(const core::Mac& mac) {
  return impl_->write_install(impl_->clear_install.get(), mac, std::nullopt);
}

std::expected<std::map<core::Mac, Install>, std::string> MachineStore::installs() { return impl_->installs(); }

std::expected<void, std::string> MachineStore::assign(const core::Mac& mac, const Assignment& assignment) {
  return impl_->write_assignment(mac, &assignment, nullptr);
}

std::expected<bool, std::string> MachineStore::unassign(const core::Mac& mac) {
  bool removed = false;
  auto written = impl_->write_assignment(mac, nullptr, &removed);
  if (!written) return std::unexpected(written.error());
  return removed;
}

std::expected<std::map<core::Mac, Assignment>, std::string> MachineStore::assignments() {
  return impl_->assignments();
}

}  // namespace pxed::store
