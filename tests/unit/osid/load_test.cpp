#include "osid/load.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "support/test_support.hpp"

namespace pxed::osid {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, std::string_view text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

std::string os_xml(std::string_view id, std::string_view version, std::string_view volume_id) {
  std::string media = volume_id.empty() ? "" : "<media><iso><volume-id>" + std::string(volume_id) + "</volume-id></iso></media>";
  return "<libosinfo><os id=\"" + std::string(id) + "\"><version>" + std::string(version) + "</version>" + media +
         "</os></libosinfo>";
}

TEST(OsidLoad, ALaterDirectorysFileTakesThePlaceOfTheSamePath) {
  test::TempDir dir;
  write(dir.path() / "system/os/example.org/acme-1.xml", os_xml("http://example.org/acme/1", "1", "^ACME 1"));
  write(dir.path() / "system/os/example.org/acme-2.xml", os_xml("http://example.org/acme/2", "2", "^ACME 2"));
  write(dir.path() / "local/os/example.org/acme-2.xml", os_xml("http://example.org/acme/2", "2.1", "^ACME 2\\.1"));
  auto db = load_database({dir.path() / "system", dir.path() / "local", dir.path() / "absent"});
  EXPECT_TRUE(db.problems().empty());
  ASSERT_EQ(db.oses().size(), 2u);
  EXPECT_EQ(db.oses()[1].version, "2.1");
  ASSERT_EQ(db.oses()[1].media.size(), 1u);  // replaced, not added to
  EXPECT_EQ(db.oses()[1].media[0].volume_id->text, "^ACME 2\\.1");
  EXPECT_EQ(db.oses()[1].source, (dir.path() / "local/os/example.org/acme-2.xml").string());
  EXPECT_EQ(db.origin(), (dir.path() / "system").string() + ", " + (dir.path() / "local").string());
}

TEST(OsidLoad, ADotDDirectoryAddsToItsFileAfterIt) {
  test::TempDir dir;
  // acme-1.d/ sorts before acme-1.xml by name, yet is read after it: the
  // value it repeats is the later word, and the media of the file stay.
  write(dir.path() / "db/os/example.org/acme-1.d/drivers.xml", os_xml("http://example.org/acme/1", "1-drivers", ""));
  write(dir.path() / "db/os/example.org/acme-1.xml", os_xml("http://example.org/acme/1", "1", "^ACME 1"));
  auto db = load_database({dir.path() / "db"});
  ASSERT_EQ(db.oses().size(), 1u);
  EXPECT_EQ(db.oses()[0].version, "1-drivers");
  EXPECT_EQ(db.oses()[0].media.size(), 1u);
}

TEST(OsidLoad, AMalformedFileIsAProblemAndTheRestLoads) {
  test::TempDir dir;
  write(dir.path() / "db/os/a/broken.xml", "<libosinfo><os");
  write(dir.path() / "db/os/a/good.xml", os_xml("http://a/good", "1", "GOOD"));
  write(dir.path() / "db/os/a/notes.txt", "not xml, not read");
  auto db = load_database({dir.path() / "db"});
  ASSERT_EQ(db.problems().size(), 1u);
  EXPECT_EQ(db.problems()[0].source, (dir.path() / "db/os/a/broken.xml").string());
  EXPECT_EQ(db.oses().size(), 1u);
}

}  // namespace
}  // namespace pxed::osid
