// Profiles assigned by hand (the API's PUT .../profile, `pxed machines assign`).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "store/machine_store.hpp"
#include "support/run_sql.hpp"
#include "support/test_support.hpp"

namespace pxed::store {
namespace {

using test::run_sql;
using test::TempDir;

core::Mac mac(std::uint8_t n) { return core::Mac{{0x52, 0x54, 0x00, 0x12, 0x00, n}}; }

std::map<core::Mac, Assignment> assignments_in(MachineStore& store) {
  auto all = store.assignments();
  if (!all) {
    ADD_FAILURE() << all.error();
    return {};
  }
  return *all;
}

TEST(MachineStoreAssignments, AreSetReplacedAndRemoved) {
  TempDir dir;
  auto store = MachineStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  EXPECT_TRUE(assignments_in(*store).empty());
  ASSERT_TRUE(store->assign(mac(1), {"rescue", 10, "api"}));
  ASSERT_TRUE(store->assign(mac(2), {"debian12", 11, "cli"}));
  ASSERT_TRUE(store->assign(mac(1), {"local", 12, "cli"}));
  EXPECT_EQ(assignments_in(*store), (std::map<core::Mac, Assignment>{{mac(1), {"local", 12, "cli"}},
                                                                     {mac(2), {"debian12", 11, "cli"}}}));
  auto removed = store->unassign(mac(2));
  ASSERT_TRUE(removed) << removed.error();
  EXPECT_TRUE(*removed);
  removed = store->unassign(mac(9));
  ASSERT_TRUE(removed) << removed.error();
  EXPECT_FALSE(*removed) << "nothing to remove is not an error, and says so";
  EXPECT_EQ(assignments_in(*store), (std::map<core::Mac, Assignment>{{mac(1), {"local", 12, "cli"}}}));
  EXPECT_TRUE(store->machines()->empty()) << "an assignment is not a sighting";
}

TEST(MachineStoreAssignments, SurviveReopenAndAreSeenByAReader) {
  TempDir dir;
  {
    auto store = MachineStore::open(dir.path());
    ASSERT_TRUE(store) << store.error();
    ASSERT_TRUE(store->assign(mac(3), {"rescue", 20, "api"}));
  }
  auto reader = MachineStore::open(dir.path(), Access::reader);
  ASSERT_TRUE(reader) << reader.error();
  EXPECT_EQ(assignments_in(*reader), (std::map<core::Mac, Assignment>{{mac(3), {"rescue", 20, "api"}}}));
  EXPECT_FALSE(reader->assign(mac(4), {"x", 1, "cli"})) << "a reader never writes";
}

TEST(MachineStoreAssignments, AnEditorAssignsBesideTheServingWriter) {
  TempDir dir;
  auto server = MachineStore::open(dir.path());
  ASSERT_TRUE(server) << server.error();
  auto editor = MachineStore::open(dir.path(), Access::editor);  // `pxed machines assign`
  ASSERT_TRUE(editor) << editor.error();
  ASSERT_TRUE(editor->assign(mac(5), {"rescue", 30, "cli"}));
  EXPECT_EQ(assignments_in(*server).at(mac(5)).profile, "rescue");
}

// A store written by the pxed before assignments (user_version 2): it opens,
// keeps its machines and installs, and gains the table.
TEST(MachineStoreAssignments, AVersionTwoStoreGainsTheTableAndKeepsItsRows) {
  TempDir dir;
  run_sql(dir.path() / "machines.sqlite3",
          "PRAGMA application_id = 1886940531; PRAGMA journal_mode = WAL;"
          "CREATE TABLE machines (mac TEXT PRIMARY KEY, uuid TEXT NOT NULL, arch TEXT NOT NULL,"
          " vendor_class TEXT NOT NULL, ip TEXT NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
          " loader TEXT NOT NULL, config TEXT NOT NULL, kernel TEXT NOT NULL, initrd TEXT NOT NULL,"
          " stage TEXT NOT NULL, stage_at INTEGER NOT NULL, serial TEXT NOT NULL DEFAULT '',"
          " manufacturer TEXT NOT NULL DEFAULT '', product TEXT NOT NULL DEFAULT '') WITHOUT ROWID;"
          "CREATE TABLE installs (mac TEXT PRIMARY KEY, state TEXT NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;"
          "INSERT INTO machines VALUES ('52:54:00:12:00:01', '', 'bios', '', '10.77.0.9', 5, 6, 'lpxelinux.0', '',"
          " '', '', 'loader', 6, 'SN-1', '', '');"
          "INSERT INTO installs VALUES ('52:54:00:12:00:01', 'done', 6);"
          "PRAGMA user_version = 2;");
  auto store = MachineStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  auto machines = store->machines();
  ASSERT_TRUE(machines) << machines.error();
  ASSERT_EQ(machines->size(), 1u);
  EXPECT_EQ((*machines)[0].serial, "SN-1");
  EXPECT_EQ(store->installs()->size(), 1u);
  EXPECT_TRUE(assignments_in(*store).empty());
  ASSERT_TRUE(store->assign(mac(1), {"rescue", 7, "api"}));
  EXPECT_EQ(assignments_in(*store).size(), 1u);
}

TEST(MachineStoreAssignments, AHandEditedRowIsAnErrorNamingIt) {
  TempDir dir;
  { ASSERT_TRUE(MachineStore::open(dir.path())); }
  run_sql(dir.path() / "machines.sqlite3", "INSERT INTO assignments VALUES ('not-a-mac', 'rescue', 1, 'cli')");
  auto store = MachineStore::open(dir.path());
  ASSERT_TRUE(store) << store.error();
  auto all = store->assignments();
  ASSERT_FALSE(all);
  EXPECT_NE(all.error().find("not-a-mac"), std::string::npos) << all.error();
}

}  // namespace
}  // namespace pxed::store
