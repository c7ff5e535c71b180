// [server] inventory: the inventory in a file of its own. Its problems name
// that file and line, names are checked across the two files, and the
// inventory lives in one of them, never both.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "config/config.hpp"
#include "config/scratch.hpp"

namespace pxed::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// pxed.toml: Scratch's [files] on lines 1-2, then these lines 3-4.
const std::string kServer = "[server]\ninventory = \"inventory.toml\"\n";

constexpr std::string_view kInventory = R"toml([[profile]]
name   = "centos7"
kernel = "/centos7/vmlinuz"

[[profile]]
name    = "office"
menu    = ["centos7", "local"]

[[group]]
name    = "office"
match   = { subnet = "192.168.99.0/24" }
profile = "office"

[[machine]]
mac     = "88:99:aa:bb:cc:dd"
name    = "db-03"
profile = "centos7"
)toml";

class InventoryFile : public ::testing::Test {
 protected:
  std::string inventory_name() const { return (s_.dir() / "inventory.toml").string(); }
  void write_inventory(std::string_view text) const { std::ofstream(inventory_name()) << text; }
  // Every problem, as "file:line: key: message" with the scratch directory dropped.
  std::vector<std::string> problems(const std::string& pxed_toml) const {
    std::vector<std::string> out;
    for (const auto& e : errors_of(s_.parse_with_root(pxed_toml))) {
      std::string line = e.to_string();
      const std::string dir = s_.dir().string() + "/";
      out.push_back(line.starts_with(dir) ? line.substr(dir.size()) : line);
    }
    return out;
  }

  Scratch s_;
};

TEST_F(InventoryFile, TheInventoryIsReadFromTheFileServerInventoryNames) {
  write_inventory(kInventory);
  auto cfg = s_.parse_with_root(kServer + "[boot]\ndefault = \"office\"\n");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_EQ(cfg->server.inventory, s_.dir() / "inventory.toml");
  EXPECT_EQ(cfg->inventory.source, inventory_name());
  EXPECT_EQ(cfg->source, s_.name());
  ASSERT_EQ(cfg->inventory.profiles.size(), 2u);
  EXPECT_EQ(cfg->inventory.profiles[1].name, "office");
  EXPECT_EQ(cfg->inventory.profiles[1].line, 5u);  // a line of inventory.toml
  ASSERT_EQ(cfg->inventory.groups.size(), 1u);
  EXPECT_EQ(cfg->inventory.groups[0].line, 9u);
  ASSERT_EQ(cfg->inventory.machines.size(), 1u);
  EXPECT_EQ(cfg->inventory.machines[0].line, 14u);
  EXPECT_EQ(cfg->boot.default_profile, "office");
  EXPECT_EQ(cfg->boot.default_line, 6u);  // a line of pxed.toml
  // cfg.lines holds pxed.toml's keys only: the inventory's items carry their own lines.
  EXPECT_TRUE(cfg->lines.contains("server.inventory"));
  EXPECT_FALSE(cfg->lines.contains("profile.name"));
}

TEST_F(InventoryFile, SourcesListTheConfigFileThenTheInventoryFile) {
  write_inventory(kInventory);
  auto split = s_.parse_with_root(kServer);
  ASSERT_TRUE(split) << describe(errors_of(split));
  EXPECT_THAT(split->sources, ElementsAre(s_.name(), inventory_name()));

  auto inline_inventory = s_.parse_with_root(std::string(kInventory));
  ASSERT_TRUE(inline_inventory) << describe(errors_of(inline_inventory));
  EXPECT_THAT(inline_inventory->sources, ElementsAre(s_.name()));
  EXPECT_EQ(inline_inventory->inventory.source, s_.name());
}

TEST_F(InventoryFile, AProblemInTheInventoryFileNamesThatFileAndLine) {
  write_inventory(std::string(kInventory) + "\n[[machine]]\nmac = \"88:99:aa:bb:cc\"\n");
  EXPECT_THAT(problems(kServer + "[tftp]\nblksize_max = 7\n"),
              ElementsAre("pxed.toml:6: tftp.blksize_max: must be 8..65464 (RFC 2348), got 7",
                          "inventory.toml:20: machine.mac: must be a MAC address such as "
                          "\"52:54:00:12:34:56\", got \"88:99:aa:bb:cc\""));
}

TEST_F(InventoryFile, DuplicatesAndMenuCyclesNameTheInventoryFile) {
  write_inventory(std::string(kInventory) + R"toml(
[[machine]]
mac = "88:99:aa:bb:cc:dd"

[[profile]]
name = "loop"
menu = ["loop2"]

[[profile]]
name = "loop2"
menu = ["loop"]
)toml");
  EXPECT_THAT(problems(kServer),
              ElementsAre("inventory.toml:20: machine.mac: 88:99:aa:bb:cc:dd is already machine "
                          "db-03 at inventory.toml:14",
                          "inventory.toml:24: profile.menu: menu \"loop\" contains itself: loop -> "
                          "loop2 -> loop"));
}

TEST_F(InventoryFile, NamesAreCheckedAcrossTheTwoFiles) {
  write_inventory(std::string(kInventory) + "\n[[group]]\nprofile = \"centos-7\"\n");
  EXPECT_THAT(problems(kServer + "[boot]\ndefault = \"ofice\"\n"),
              ElementsAre("pxed.toml:6: boot.default: unknown profile \"ofice\"; did you mean "
                          "\"office\"?",
                          "inventory.toml:20: group.profile: unknown profile \"centos-7\"; did "
                          "you mean \"centos7\"?"));
}

TEST_F(InventoryFile, ASectionOfPxedTomlInTheInventoryFileIsRefused) {
  write_inventory("inventory = \"more.toml\"\n[boot]\ndefault = \"local\"\n[tftp]\n"
                  "blksize_max = 1468\n[extra]\nx = 1\n" + std::string(kInventory));
  EXPECT_THAT(problems(kServer),
              ElementsAre("inventory.toml:1: inventory: unknown key; an inventory file holds only "
                          "[[profile]], [[group]] and [[machine]]",
                          "inventory.toml:2: boot: [boot] belongs in pxed.toml: an inventory file "
                          "holds only [[profile]], [[group]] and [[machine]]",
                          "inventory.toml:4: tftp: [tftp] belongs in pxed.toml: an inventory file "
                          "holds only [[profile]], [[group]] and [[machine]]",
                          "inventory.toml:6: extra: unknown section; an inventory file holds only "
                          "[[profile]], [[group]] and [[machine]]"));
}

TEST_F(InventoryFile, AMissingInventoryFileNamesTheKeyAndThePath) {
  // No "unknown profile" for [boot] default: the profiles are in the file not read.
  auto e = only_error(s_.parse_with_root(kServer + "[boot]\ndefault = \"office\"\n"));
  EXPECT_EQ(e.file, s_.name());
  EXPECT_EQ(e.line, 4u);
  EXPECT_EQ(e.key, "server.inventory");
  EXPECT_EQ(e.message, "cannot read inventory file " + inventory_name() +
                           ": No such file or directory");

  std::filesystem::create_directory(inventory_name());
  EXPECT_THAT(only_error(s_.parse_with_root(kServer)).message,
              HasSubstr(inventory_name() + ": is a directory"));
}

TEST_F(InventoryFile, AnInventoryKeyThatIsNoPathIsItsOnlyProblem) {
  auto e = only_error(s_.parse_with_root("[server]\ninventory = 7\n[boot]\ndefault = \"office\"\n"));
  EXPECT_EQ(e.key, "server.inventory");
  EXPECT_EQ(e.message, "must be a string, got an integer");
}

TEST_F(InventoryFile, ASyntaxErrorInTheInventoryFileNamesThatFile) {
  write_inventory("[[machine]]\nmac = \"88:99:aa:bb:cc:dd\"\nname = db-03\n");
  auto e = only_error(s_.parse_with_root(kServer + "[boot]\ndefault = \"office\"\n"));
  EXPECT_EQ(e.file, inventory_name());
  EXPECT_EQ(e.line, 3u);
  EXPECT_THAT(e.message, HasSubstr("syntax error"));
}

TEST_F(InventoryFile, TheInventoryInBothFilesSaysWhichToRemove) {
  write_inventory(kInventory);
  EXPECT_THAT(problems(kServer + "[[machine]]\nmac = \"52:54:00:12:34:56\"\n"),
              ElementsAre("pxed.toml:5: machine: [[machine]] here, but [server] inventory (line "
                          "4) puts the inventory in " + inventory_name() +
                          ": move every [[profile]], [[group]] and [[machine]] there, or remove "
                          "the inventory key to keep the whole inventory in pxed.toml"));
}

TEST_F(InventoryFile, TheConfigFileItselfIsNoInventoryFile) {
  std::ofstream(s_.name()) << "x";  // so the two paths are one file
  auto e = only_error(s_.parse_with_root("[server]\ninventory = \"pxed.toml\"\n"));
  EXPECT_EQ(e.key, "server.inventory");
  EXPECT_EQ(e.message, "names this file itself; remove the key to keep the inventory here");
}

TEST_F(InventoryFile, ErrorsNameTheInventoryFileTheWayTheConfigFileIsNamed) {
  write_inventory("[[machine]]\nmac = \"nope\"\n");
  const auto relative = std::filesystem::relative(s_.name());
  auto e = only_error(parse(s_.files_section() + kServer, relative.string()));
  EXPECT_EQ(e.file, (relative.parent_path() / "inventory.toml").string());

  // Outside the config file's directory: the absolute path.
  std::filesystem::create_directory(s_.dir() / "conf");
  e = only_error(parse(s_.files_section() + "[server]\ninventory = \"../inventory.toml\"\n",
                       (s_.dir() / "conf" / "pxed.toml").string()));
  EXPECT_EQ(e.file, inventory_name());
  EXPECT_EQ(e.line, 2u);
}

TEST_F(InventoryFile, LoadReadsBothFiles) {
  write_inventory(std::string(kInventory) + "\n[[machine]]\nuuid = \"x\"\n");
  std::ofstream(s_.name()) << s_.files_section() << kServer;
  auto e = only_error(load(s_.name()));
  EXPECT_EQ(e.file, inventory_name());
  EXPECT_EQ(e.line, 20u);
  EXPECT_EQ(e.key, "machine.uuid");

  write_inventory(kInventory);
  auto cfg = load(s_.name());
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_THAT(cfg->sources, ElementsAre(s_.name(), inventory_name()));
  EXPECT_EQ(cfg->inventory.machines.size(), 1u);
}

}  // namespace
}  // namespace pxed::config
