#include "store/machine_store.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "store/lease_store.hpp"
#include "support/run_sql.hpp"
#include "support/sqlite_sync_counter.hpp"
#include "support/test_support.hpp"

namespace pxed::store {
namespace {

using test::run_sql;
using test::TempDir;

core::Mac mac(std::uint16_t n) {
  return core::Mac{{0x52, 0x54, 0x00, 0x12, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)}};
}

Observation seen(std::uint16_t n, std::int64_t at) {
  Observation o;
  o.mac = mac(n);
  o.at = at;
  return o;
}

Observation fetched(std::uint16_t n, std::int64_t at, Stage stage, std::string path = {}) {
  Observation o = seen(n, at);
  o.stage = stage;
  o.path = std::move(path);
  return o;
}

// What a firmware's DHCPDISCOVER shows.
Observation discover(std::uint16_t n, std::int64_t at) {
  Observation o = fetched(n, at, Stage::dhcp);
  o.uuid = "8e6b1a3c-0d2f-4b4e-9c1a-5f0e2d3c4b5a";
  o.arch = "7";
  o.vendor_class = "PXEClient:Arch:00007:UNDI:003016";
  o.ip = "10.77.0.100";
  return o;
}

std::expected<void, std::string> observe(MachineStore& store, std::vector<Observation> batch) {
  return store.observe(batch);
}

std::vector<MachineRecord> machines_in(MachineStore& store) {
  auto all = store.machines();
  if (!all) {
    ADD_FAILURE() << all.error();
    return {};
  }
  return *all;
}

MachineRecord only_machine(MachineStore& store) {
  auto all = machines_in(store);
  if (all.size() != 1) {
    ADD_FAILURE() << all.size() << " machines";
    return {};
  }
  return all[0];
}

std::vector<core::Mac> macs_in(MachineStore& store) {
  std::vector<core::Mac> macs;
  for (const auto& m : machines_in(store)) macs.push_back(m.mac);
  return macs;
}

std::map<core::Mac, Install> installs_in(MachineStore& store) {
  auto all = store.installs();
  if (!all) {
    ADD_FAILURE() << all.error();
    return {};
  }
  return *all;
}

std::string query_text(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string result;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
      result = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return result;
}

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

// ---- names

TEST(MachineStore, StageAndInstallStateNamesRoundTrip) {
  const std::vector<std::string_view> names = {"dhcp", "loader", "config", "kernel", "initrd", "installer", "done"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto stage = static_cast<Stage>(i);
    EXPECT_EQ(to_string(stage), names[i]);
    EXPECT_EQ(stage_named(names[i]), stage);
  }
  EXPECT_EQ(stage_named("Kernel"), std::nullopt);
  EXPECT_EQ(stage_named(""), std::nullopt);
  EXPECT_EQ(to_string(InstallState::pending), "pending");
  EXPECT_EQ(to_string(InstallState::done), "done");
}

// ---- sightings

TEST(MachineStore, AFirstObservationIsRecordedAsItCame) {
  TempDir dir;
  auto store = MachineStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  ASSERT_TRUE(observe(*store, {discover(1, 1000)}));
  MachineRecord expected;
  expected.mac = mac(1);
  expected.uuid = "8e6b1a3c-0d2f-4b4e-9c1a-5f0e2d3c4b5a";
  expected.arch = "7";
  expected.vendor_class = "PXEClient:Arch:00007:UNDI:003016";
  expected.ip = "10.77.0.100";
  expected.first_seen = expected.last_seen = expected.stage_at = 1000;
  expected.stage = Stage::dhcp;
  EXPECT_EQ(only_machine(*store), expected);
}

TEST(MachineStore, AnObservationWithoutAStageRecordsNoStageTime) {
  TempDir dir;
  auto store = MachineStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  ASSERT_TRUE(observe(*store, {seen(1, 1000)}));
  auto m = only_machine(*store);
  EXPECT_EQ(m.stage, Stage::dhcp);
  EXPECT_EQ(m.stage_at, 0);
  EXPECT_EQ(m.first_seen, 1000);
}

TEST(MachineStore, KeepsFirstSeenAndNeverMovesLastSeenBack) {
  TempDir dir;
  auto store = MachineStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  for (std::int64_t at : {1000, 2000, 1500}) ASSERT_TRUE(observe(*store, {seen(1, at)}));
  auto m = only_machine(*store);
  EXPECT_EQ(m.first_seen, 1000);
  EXPECT_EQ(m.last_seen, 2000);
}

TEST(MachineStore, EmptyFieldsKeepWhatWasKnown) {
  TempDir dir;
  auto store = MachineStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  ASSERT_TRUE(observe(*store, {discover(1, 1000), fetched(1, 1001, Stage::loader, "ipxe.efi")}));
  Observation renewed = seen(1, 1100);  // a loader's own DHCP: only the address is new
  renewed.ip = "10.77.0.101";
  // A stage without a file keeps the last file fetched at that stage.
  ASSERT_TRUE(observe(*store, {renewed, fetched(1, 1102, Stage::loader)}));
  auto m = only_machine(*store);
  EXPECT_EQ(m.uuid, "8e6b1a3c-0d2f-4b4e-9c1a-5f0e2d3c4b5a");
  EXPECT_EQ(m.arch, "7");
  EXPECT_EQ(m.vendor_class, "PXEClient:Arch:00007:UNDI:003016");
  EXPECT_EQ(m.ip, "10.77.0.101");
  EXPECT_EQ(m.loader, "ipxe.efi");
  EXPECT_EQ(m.stage, Stage::loader);
  EXPECT_EQ(m.stage_at, 1102);
}

TEST(MachineStore, HardwareIsRecordedAndKeptWhenALaterObservationSaysNothing) {
  TempDir dir;
  auto store = MachineStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  Observation ipxe = seen(1, 1000);  // iPXE's script request
  ipxe.serial = "SN-0042";
  ipxe.manufacturer = "QEMU";
  ipxe.product = "Standard PC (i440FX + PIIX, 1996)";
  ASSERT_TRUE(observe(*store, {ipxe, discover(1, 1001)}));
  auto m = only_machine(*store);
  EXPECT_EQ(m.serial, "SN-0042");
  EXPECT_EQ(m.manufacturer, "QEMU");
  EXPECT_EQ(m.product, "Standard PC (i440FX + PIIX, 1996)");
  EXPECT_EQ(m.stage, Stage::dhcp);
}

// A store written by the pxed before hardware was recorded (user_version 1).
TEST(MachineStore, AVersionOneStoreGainsTheHardwareColumnsAndKeepsItsRows) {
  TempDir dir;
  auto file = dir.path() / "machines.sqlite3";
  run_sql(file,
          "PRAGMA application_id = 1886940531; PRAGMA journal_mode = WAL;"
          "CREATE TABLE machines (mac TEXT PRIMARY KEY, uuid TEXT NOT NULL, arch TEXT NOT NULL,"
          " vendor_class TEXT NOT NULL, ip TEXT NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
          " loader TEXT NOT NULL, config TEXT NOT NULL, kernel TEXT NOT NULL, initrd TEXT NOT NULL,"
          " stage TEXT NOT NULL, stage_at INTEGER NOT NULL) WITHOUT ROWID;"
          "CREATE TABLE installs (mac TEXT PRIMARY KEY, state TEXT NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;"
          "INSERT INTO machines VALUES ('52:54:00:12:00:01', '', 'bios', '', '10.77.0.9', 5, 6, 'lpxelinux.0', '',"
          " '', '', 'loader', 6);"
          "INSERT INTO installs VALUES ('52:54:00:12:00:01', 'done', 6);"
          "PRAGMA user_version = 1;");
  auto store = MachineStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  auto m = only_machine(*store);
  EXPECT_EQ(m.loader, "lpxelinux.0");
  EXPECT_EQ(m.serial, "");
  Observation ipxe = seen(1, 7);
  ipxe.serial = "SN-1";
  ASSERT_TRUE(observe(*store, {ipxe}));
  EXPECT_EQ(only_machine(*store).serial, "SN-1");
  auto installs = store->installs();
  ASSERT_TRUE(installs) << installs.error();
  EXPECT_EQ(installs->size(), 1u);
  EXPECT_EQ(query_text(file, "PRAGMA user_version"), "3");
}

TEST(MachineStore, EachStagePutsItsPathInItsOwnColumn) {
  TempDir dir;
  auto store = MachineStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  ASSERT_TRUE(observe(*store, {fetched(1, 100, Stage::dhcp, "dhcp has no file column")}));
  MachineRecord expected;
  expected.mac = mac(1);
  expected.first_seen = expected.last_seen = expected.stage_at = 100;
  expected.stage = Stage::dhcp;
  EXPECT_EQ(only_machine(*store), expected);

  struct Step {
    Stage stage;
    std::string path;
    std::string MachineRecord::*column;
  };
  const std::vector<Step> boot = {{Stage::loader, "ipxe.efi", &MachineRecord::loader},
                                  {Stage::config, "boot.ipxe", &MachineRecord::config},
                                  {Stage::kernel, "/debian/linux", &MachineRecord::kernel},
                                  {Stage::initrd, "/debian/initrd.gz", &MachineRecord::initrd},
                                  {Stage::installer, "/preseed.cfg", nullptr},
                                  {Stage::done, "", nullptr}};
  std::int64_t at = 100;
  for (const Step& step : boot) {
    SCOPED_TRACE(std::string(to_string(step.stage)));
    ASSERT_TRUE(observe(*store, {fetched(1, ++at, step.stage, step.path)}));
    if (step.column) expected.*step.column = step.path;
    expected.last_seen = at;
    expected.stage = step.stage;
    expected.stage_at = at;
    EXPECT_EQ(only_machine(*store), expected);
  }
}

TEST(MachineStore, ObservationsInABatchApplyInOrder) {
  TempDir dir;
  auto store = MachineStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  Observation first = fetched(1, 100, Stage::kernel, "/k1");
  first.ip = "10.77.0.100";
  Observation second = fetched(1, 101, Stage::kernel, "/k2");
  second.ip = "10.77.0.101";
  // Later in the batch, earlier on the clock: it still sets the stage, but last_seen stays.
  Observation third = fetched(1, 99, Stage::initrd, "/i");
  ASSERT_TRUE(observe(*store, {first, discover(2, 100), second, third}));
  auto all = machines_in(*store);
  ASSERT_EQ(all.size(), 2u);
  const MachineRecord& m = all[0];
  EXPECT_EQ(m.mac, mac(1));
  EXPECT_EQ(m.ip, "10.77.0.101");
  EXPECT_EQ(m.kernel, "/k2");
  EXPECT_EQ(m.initrd, "/i");
  EXPECT_EQ(m.stage, Stage::initrd);
  EXPECT_EQ(m.stage_at, 99);
  EXPECT_EQ(m.first_seen, 100);
  EXPECT_EQ(m.last_seen, 101);
  EXPECT_EQ(all[1].mac, mac(2));
  EXPECT_EQ(all[1].kernel, "");
}

TEST(MachineStore, AnEmptyBatchSucceeds) {
  TempDir dir;
  auto store = MachineStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  EXPECT_TRUE(store->observe({}));
  EXPECT_TRUE(machines_in(*store).empty());
}

TEST(MachineStore, ListsNewestFirstThenByMac) {
  TempDir dir;
  auto store = MachineStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  ASSERT_TRUE(observe(*store, {seen(3, 100), seen(0x0201, 300), seen(2, 300), seen(4, 200)}));
  EXPECT_EQ(macs_in(*store), (std::vector{mac(2), mac(0x0201), mac(4), mac(3)}));
  ASSERT_TRUE(observe(*store, {seen(3, 400)}));
  EXPECT_EQ(macs_in(*store), (std::vector{mac(3), mac(2), mac(0x0201), mac(4)}));
}

// ---- install state

TEST(MachineStore, InstallStatesAreSetReplacedAndCleared) {
  TempDir dir;
  auto store = MachineStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  EXPECT_TRUE(installs_in(*store).empty());
  ASSERT_TRUE(store->set_install(mac(1), {InstallState::pending, 10}));
  ASSERT_TRUE(store->set_install(mac(2), {InstallState::done, 11}));
  ASSERT_TRUE(store->set_install(mac(1), {InstallState::done, 12}));
  EXPECT_EQ(installs_in(*store), (std::map<core::Mac, Install>{{mac(1), {InstallState::done, 12}},
                                                                {mac(2), {InstallState::done, 11}}}));
  ASSERT_TRUE(store->clear_install(mac(2)));
  ASSERT_TRUE(store->clear_install(mac(9)));  // nothing to forget is not an error
  EXPECT_EQ(installs_in(*store), (std::map<core::Mac, Install>{{mac(1), {InstallState::done, 12}}}));
  EXPECT_TRUE(machines_in(*store).empty()) << "an install state is not a sighting";
}

TEST(MachineStore, StatesAreStoredAsText) {
  TempDir dir;
  {
    auto store = MachineStore::open(dir.path());
    ASSERT_TRUE(store) << store.error();
    ASSERT_TRUE(observe(*store, {fetched(0x3456, 100, Stage::initrd, "/i")}));
    ASSERT_TRUE(store->set_install(mac(0x3456), {InstallState::pending, 10}));
  }
  auto file = dir.path() / "machines.sqlite3";
  EXPECT_EQ(query_text(file, "SELECT mac || ' ' || stage FROM machines"), "52:54:00:12:34:56 initrd");
  EXPECT_EQ(query_text(file, "SELECT mac || ' ' || state FROM installs"), "52:54:00:12:34:56 pending");
}

TEST(MachineStore, AnInstallIsSyncedToDiskBeforeSetInstallReturnsAndASightingIsNot) {
  TempDir dir;
  test::SyncCounter counter;
  {
    auto store = MachineStore::open(dir.path());
    ASSERT_TRUE(store) << store.error();
    ASSERT_TRUE(observe(*store, {seen(1, 100)}));  // the first frame of a new WAL syncs its header
    int before = counter.syncs();
    ASSERT_TRUE(observe(*store, {seen(1, 101), seen(2, 101)}));
    EXPECT_EQ(counter.syncs(), before) << "a sighting waits for a disk";
    before = counter.syncs();
    ASSERT_TRUE(store->set_install(mac(1), {InstallState::pending, 102}));
    EXPECT_GT(counter.syncs(), before) << "set_install returned before its WAL frames were synced";
    before = counter.syncs();
    ASSERT_TRUE(store->clear_install(mac(1)));
    EXPECT_GT(counter.syncs(), before) << "clear_install returned before its WAL frames were synced";
    before = counter.syncs();
    ASSERT_TRUE(observe(*store, {seen(1, 103)}));
    EXPECT_EQ(counter.syncs(), before) << "synchronous=FULL outlived the install's transaction";
  }
}

// ---- the file

TEST(MachineStore, EverythingSurvivesReopen) {
  TempDir dir;
  std::vector<MachineRecord> machines;
  {
    auto store = MachineStore::open(dir.path());
    ASSERT_TRUE(store) << store.error();
    ASSERT_TRUE(observe(*store, {discover(1, 100), fetched(1, 101, Stage::kernel, "/k"), seen(2, 50)}));
    ASSERT_TRUE(store->set_install(mac(1), {InstallState::done, 102}));
    machines = machines_in(*store);
    ASSERT_EQ(machines.size(), 2u);
  }
  const std::map<core::Mac, Install> installs = {{mac(1), {InstallState::done, 102}}};
  for (bool read_only : {false, true}) {
    SCOPED_TRACE(read_only ? "read-only" : "read-write");
    auto store = MachineStore::open(dir.path(), read_only ? Access::reader : Access::server);
    ASSERT_TRUE(store) << store.error();
    EXPECT_EQ(machines_in(*store), machines);
    EXPECT_EQ(installs_in(*store), installs);
  }
}

TEST(MachineStore, AMovedStoreKeepsWorking) {
  TempDir dir;
  auto opened = MachineStore::open(dir.path());
  ASSERT_TRUE(opened) << opened.error();
  MachineStore store = std::move(*opened);
  ASSERT_TRUE(observe(store, {seen(1, 1)}));
  EXPECT_EQ(machines_in(store).size(), 1u);
}

TEST(MachineStore, UsesWalAndMarksTheFileAsPxeds) {
  TempDir dir;
  auto store = MachineStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  auto file = dir.path() / "machines.sqlite3";
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "machines.sqlite3-wal"));
  EXPECT_EQ(query_text(file, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(query_text(file, "PRAGMA application_id"), std::to_string(0x70786d73));  // "pxms"
  EXPECT_EQ(query_text(file, "PRAGMA user_version"), "3");
}

TEST(MachineStore, AReaderSeesWhatTheWriterCommittedWhileTheWriterIsOpen) {
  TempDir dir;
  auto writer = MachineStore::open(dir.path());
  ASSERT_TRUE(writer) << writer.error();
  ASSERT_TRUE(observe(*writer, {seen(1, 100)}));
  auto reader = MachineStore::open(dir.path(), Access::reader);
  ASSERT_TRUE(reader) << reader.error();
  EXPECT_EQ(macs_in(*reader), std::vector{mac(1)});
  ASSERT_TRUE(observe(*writer, {seen(2, 200)}));
  ASSERT_TRUE(writer->set_install(mac(2), {InstallState::pending, 201}));
  EXPECT_EQ(macs_in(*reader), (std::vector{mac(2), mac(1)}));
  EXPECT_EQ(installs_in(*reader).size(), 1u);
  // `pxed machines` is another process, beside pxed holding the writer's lock.
  auto status = test::run_in_child(
      [&] {
        auto cli = MachineStore::open(dir.path(), Access::reader);
        if (!cli) return 1;
        auto all = cli->machines();
        return all && all->size() == 2 ? 0 : 2;
      },
      std::chrono::seconds(10));
  EXPECT_EQ(status, 0);
}

TEST(MachineStore, AReaderOpensAStoreWhoseWriterHasClosed) {
  TempDir dir;
  {
    auto writer = MachineStore::open(dir.path());
    ASSERT_TRUE(writer) << writer.error();
    ASSERT_TRUE(observe(*writer, {seen(1, 100)}));
  }
  auto reader = MachineStore::open(dir.path(), Access::reader);
  ASSERT_TRUE(reader) << reader.error();
  EXPECT_EQ(macs_in(*reader), std::vector{mac(1)});
}

TEST(MachineStore, AReaderNeverWrites) {
  TempDir dir;
  { ASSERT_TRUE(MachineStore::open(dir.path())); }
  auto reader = MachineStore::open(dir.path(), Access::reader);
  ASSERT_TRUE(reader) << reader.error();
  auto observed = observe(*reader, {seen(1, 100)});
  ASSERT_FALSE(observed);
  EXPECT_HAS(observed.error(), "read-only");
  auto set = reader->set_install(mac(1), {InstallState::done, 1});
  ASSERT_FALSE(set);
  EXPECT_HAS(set.error(), (dir.path() / "machines.sqlite3").string());
  EXPECT_FALSE(reader->clear_install(mac(1)));
  EXPECT_TRUE(machines_in(*reader).empty());
}

TEST(MachineStore, AReaderOfAMissingFileSaysNothingWasRecordedYet) {
  TempDir dir;
  auto reader = MachineStore::open(dir.path(), Access::reader);
  ASSERT_FALSE(reader);
  EXPECT_HAS(reader.error(), "pxed has not recorded any machine yet in " + dir.path().string());
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "machines.sqlite3"));  // never created by a reader
  std::ofstream(dir.path() / "machines.sqlite3").flush();  // created by a writer that died at once
  reader = MachineStore::open(dir.path(), Access::reader);
  ASSERT_FALSE(reader);
  EXPECT_HAS(reader.error(), "pxed has not recorded any machine yet in " + dir.path().string());
}

TEST(MachineStore, AMissingStateDirIsAnErrorNamingIt) {
  TempDir dir;
  auto missing = dir.path() / "no-such-dir";
  auto store = MachineStore::open(missing);
  ASSERT_FALSE(store);
  EXPECT_HAS(store.error(), missing.string() + ": state directory does not exist");
  EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST(MachineStore, ASecondWriterOnTheSameDirIsRefusedWhileTheFirstIsOpen) {
  TempDir dir;
  auto first = MachineStore::open(dir.path());
  ASSERT_TRUE(first) << first.error();
  auto second = MachineStore::open(dir.path());
  ASSERT_FALSE(second);
  EXPECT_HAS(second.error(), "another pxed uses " + dir.path().string());
  auto status = test::run_in_child(
      [&] {
        auto other = MachineStore::open(dir.path());
        if (other) return 1;
        return other.error().find("another pxed uses") != std::string::npos ? 0 : 2;
      },
      std::chrono::seconds(10));
  EXPECT_EQ(status, 0) << "a second process";
  first = std::unexpected("closed");  // releases the lock
  EXPECT_TRUE(MachineStore::open(dir.path()));
}

TEST(MachineStore, AnEditorChangesAnInstallBesideTheServingWriter) {
  TempDir dir;
  auto server = MachineStore::open(dir.path());
  ASSERT_TRUE(server) << server.error();
  ASSERT_TRUE(server->set_install(mac(1), Install{InstallState::done, 100}));
  auto editor = MachineStore::open(dir.path(), Access::editor);  // `pxed machines reinstall`
  ASSERT_TRUE(editor) << editor.error();
  ASSERT_TRUE(editor->clear_install(mac(1)));
  auto installs = server->installs();
  ASSERT_TRUE(installs) << installs.error();
  EXPECT_FALSE(installs->contains(mac(1)));
}

TEST(MachineStore, SharesItsStateDirWithTheLeaseStore) {
  TempDir dir;
  auto leases = LeaseStore::open(dir.path());
  ASSERT_TRUE(leases) << leases.error();
  auto machines = MachineStore::open(dir.path());
  ASSERT_TRUE(machines) << machines.error();
  ASSERT_TRUE(observe(*machines, {seen(1, 1)}));
  auto loaded = leases->load_all();
  ASSERT_TRUE(loaded) << loaded.error();
}

TEST(MachineStore, AFileThatIsNotADatabaseIsAClearError) {
  TempDir dir;
  auto file = dir.path() / "machines.sqlite3";
  std::ofstream(file) << std::string(4096, 'x');
  for (bool read_only : {false, true}) {
    auto store = MachineStore::open(dir.path(), read_only ? Access::reader : Access::server);
    ASSERT_FALSE(store);
    EXPECT_HAS(store.error(), file.string());
    EXPECT_HAS(store.error(), "not a database");
    EXPECT_HAS(store.error(), "move the file");
  }
}

TEST(MachineStore, AnotherProgramsDatabaseIsRefusedAndLeftAsItWas) {
  TempDir dir;
  auto file = dir.path() / "machines.sqlite3";
  run_sql(file, "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine')");
  for (bool read_only : {false, true}) {
    auto store = MachineStore::open(dir.path(), read_only ? Access::reader : Access::server);
    ASSERT_FALSE(store);
    EXPECT_HAS(store.error(), file.string() + ": an SQLite database, but not pxed's machine store");
    EXPECT_HAS(store.error(), "move it away");
  }
  EXPECT_EQ(query_text(file, "PRAGMA journal_mode"), "delete");
  EXPECT_EQ(query_text(file, "SELECT text FROM notes"), "mine");
  EXPECT_EQ(query_text(file, "SELECT count(*) FROM sqlite_schema"), "1");
}

TEST(MachineStore, ADatabaseDamagedPastItsHeaderIsRefusedAtOpen) {
  TempDir dir;
  {
    auto store = MachineStore::open(dir.path());
    ASSERT_TRUE(store) << store.error();
    std::vector<Observation> batch;
    for (std::uint16_t i = 0; i < 2000; ++i) batch.push_back(fetched(i, i, Stage::kernel, std::string(60, 'k')));
    ASSERT_TRUE(store->observe(batch));
  }
  auto file = dir.path() / "machines.sqlite3";
  ASSERT_GT(std::filesystem::file_size(file), 16384u);
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8192);  // inside a b-tree, well past the 100-byte header
    f << std::string(4096, '\x5a');
  }
  for (bool read_only : {false, true}) {
    auto store = MachineStore::open(dir.path(), read_only ? Access::reader : Access::server);
    ASSERT_FALSE(store);
    EXPECT_HAS(store.error(), file.string());
    EXPECT_HAS(store.error(), "move the file");
  }
}

TEST(MachineStore, ASchemaFromANewerPxedIsRefused) {
  TempDir dir;
  { ASSERT_TRUE(MachineStore::open(dir.path())); }
  run_sql(dir.path() / "machines.sqlite3", "PRAGMA user_version = 99");
  for (bool read_only : {false, true}) {
    auto store = MachineStore::open(dir.path(), read_only ? Access::reader : Access::server);
    ASSERT_FALSE(store);
    EXPECT_HAS(store.error(), "newer pxed");
  }
}

TEST(MachineStore, AHandEditedRowIsAnErrorNamingIt) {
  TempDir dir;
  { ASSERT_TRUE(MachineStore::open(dir.path())); }
  run_sql(dir.path() / "machines.sqlite3",
          "INSERT INTO machines VALUES ('52:54:00:12:34:56', '', '', '', '', 1, 1, '', '', '', '', 'booting', 1,"
          " '', '', '');"
          "INSERT INTO installs VALUES ('not-a-mac', 'done', 1)");
  auto store = MachineStore::open(dir.path(), Access::reader);
  ASSERT_TRUE(store) << store.error();
  auto machines = store->machines();
  ASSERT_FALSE(machines);
  EXPECT_HAS(machines.error(), "machine row mac=\"52:54:00:12:34:56\": unknown stage \"booting\"");
  auto installs = store->installs();
  ASSERT_FALSE(installs);
  EXPECT_HAS(installs.error(), "install row mac=\"not-a-mac\": not a MAC address");
}

// ---- crash durability: "kill -9 right after set_install returns: the state is there"

// Waits for one byte or number from a child; false on EOF or after the deadline.
template <typename T>
bool read_report(int fd, T& value, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return false;
  return ::read(fd, &value, sizeof value) == sizeof value;
}

TEST(MachineStore, AnInstallStateSurvivesKillNineRightAfterSetInstallReturns) {
  TempDir dir;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    ::alarm(20);  // never outlive a parent that failed to kill us
    auto store = MachineStore::open(dir.path());
    if (!store) ::_exit(3);
    if (!observe(*store, {discover(1, 100)})) ::_exit(4);
    if (!store->set_install(mac(1), {InstallState::done, 200})) ::_exit(5);
    if (!store->set_install(mac(2), {InstallState::pending, 201})) ::_exit(5);
    if (!store->clear_install(mac(2))) ::_exit(6);
    if (!store->set_install(mac(3), {InstallState::pending, 202})) ::_exit(5);
    const char returned = 1;
    if (::write(fds[1], &returned, 1) != 1) ::_exit(7);
    for (;;) ::pause();  // pxed carries on: the store stays open until the signal
  }
  ::close(fds[1]);
  char returned = 0;
  const bool reported = read_report(fds[0], returned, 10000);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(fds[0]);
  ASSERT_TRUE(reported) << "the child never reported (exit status " << WEXITSTATUS(status) << ")";
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  auto store = MachineStore::open(dir.path());  // also proves the dead child's lock is gone
  ASSERT_TRUE(store) << store.error();
  EXPECT_EQ(installs_in(*store), (std::map<core::Mac, Install>{{mac(1), {InstallState::done, 200}},
                                                               {mac(3), {InstallState::pending, 202}}}));
  EXPECT_EQ(macs_in(*store), std::vector{mac(1)});
}

TEST(MachineStore, EveryInstallThatReturnedSurvivesKillNineAtAnyMoment) {
  std::random_device seed_source;
  const unsigned seed = seed_source();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 random(seed);
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    TempDir dir;
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      ::alarm(20);
      auto store = MachineStore::open(dir.path());
      if (!store) ::_exit(3);
      // Sightings and installs interleaved, as pxed writes them; reports n once set_install(n) returned.
      for (std::uint16_t n = 1;; ++n) {
        if (!observe(*store, {fetched(n, n, Stage::initrd, "/i")})) ::_exit(4);
        if (!store->set_install(mac(n), {InstallState::done, n})) ::_exit(5);
        if (::write(fds[1], &n, sizeof n) != sizeof n) ::_exit(6);
      }
    }
    ::close(fds[1]);
    // Kill after a random number of reports: the signal lands mid-sighting,
    // mid-commit or between, wherever the child happens to be.
    std::uint16_t acked = 0;
    const auto wanted = std::uniform_int_distribution<std::uint16_t>(1, 30)(random);
    for (std::uint16_t n = 0; acked < wanted && read_report(fds[0], n, 5000);) acked = n;
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    for (std::uint16_t n = 0; read_report(fds[0], n, 0);) acked = n;  // sent before it died
    ::close(fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
    ASSERT_GT(acked, 0) << "the child never reported";

    auto store = MachineStore::open(dir.path());
    ASSERT_TRUE(store) << store.error();
    auto installs = installs_in(*store);
    for (std::uint16_t n = 1; n <= acked; ++n) {
      auto it = installs.find(mac(n));
      ASSERT_NE(it, installs.end()) << "install " << n << " of " << acked << " returned and is lost";
      EXPECT_EQ(it->second, (Install{InstallState::done, n}));
    }
    EXPECT_LE(installs.size(), acked + 1u);  // at most the one in flight besides
  }
}

}  // namespace
}  // namespace pxed::store
