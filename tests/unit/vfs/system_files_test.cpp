// The system's loaders as a fallback layer of the tree: a user's file always
// wins, a system file comes next, a generated one last; only names the table
// matches are looked up, beneath the table's directories, and a package that
// is not installed means its names are not found. The table points at temp
// directories here; app gives it Debian's (debian_loaders.hpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "support/test_support.hpp"
#include "vfs/debian_loaders.hpp"
#include "vfs/file_reading.hpp"
#include "vfs/path.hpp"
#include "vfs/tree.hpp"

namespace pxed::vfs {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

void write(const fs::path& path, std::string_view content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

class SystemLayer : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(root());
    write(sys("pxelinux/lpxelinux.0"), "system lpxelinux");
    write(sys("pxelinux/pxelinux.0"), "system pxelinux");
    write(sys("bios/ldlinux.c32"), "bios ldlinux");
    write(sys("bios/menu.c32"), "bios menu");
    write(sys("bios/README"), "not a module");
    write(sys("efi64/ldlinux.e64"), "efi ldlinux");
    write(sys("efi64/menu.c32"), "efi menu");
    write(sys("shim/shimx64.efi.signed"), "signed shim");
    write(dir_.path() / "secret", "outside every system directory");
    // sources_ holds the strings the table's string_views point into.
    sources_ = {
        {"lpxelinux.0", sys("pxelinux")},
        {"pxelinux.0", sys("pxelinux")},
        {"*.c32", sys("bios")},
        {"efi64/*.e64", sys("efi64")},
        {"efi64/*.c32", sys("efi64")},
        {"efi64/shimx64.efi", sys("shim"), "shimx64.efi.signed"},
        {"undionly.kpxe", sys("ipxe")},  // a package that is not installed
        {"grubx64.efi", sys("shim")},    // installed directory, file absent
    };
    for (const auto& s : sources_) table_.push_back({s.tree, s.dir, s.file, "pkg"});
    auto tree = Tree::open_root(root());
    ASSERT_TRUE(tree) << tree.error();
    tree_.emplace(std::move(*tree));
    tree_->set_system_files(std::make_shared<const SystemFiles>(SystemFiles::open(table_)));
  }

  fs::path root() const { return dir_.path() / "root"; }
  std::string sys(std::string_view rel) const { return (dir_.path() / "sys" / rel).string(); }
  std::string read(std::string_view name) const {
    auto file = tree_->open(name);
    if (!file) return "error: " + std::string(to_string(file.error()));
    return testing::read_in_chunks(*file, 7);
  }
  std::vector<std::string> listed(std::string_view dir) const {
    std::vector<std::string> names;
    auto entries = tree_->list(dir);
    EXPECT_TRUE(entries) << to_string(entries.error());
    for (const auto& e : entries.value_or(std::vector<DirEntry>{})) {
      names.push_back((e.directory ? "d " : "f ") + e.name);
    }
    return names;
  }

  struct Source {
    std::string tree, dir, file = {};
  };
  test::TempDir dir_;
  std::vector<Source> sources_;
  std::vector<SystemSource> table_;
  std::optional<Tree> tree_;
};

// Answers every name in `answers`.
class FakeGenerator : public Generator {
 public:
  std::map<std::string, std::string, std::less<>> answers;
  std::optional<Generation> generate(std::string_view rel, const Requester&) const override {
    auto it = answers.find(rel);
    if (it == answers.end()) return std::nullopt;
    return Generation{it->second, "for x", {}};
  }
};

TEST_F(SystemLayer, ANameTheTreeLacksIsServedFromTheSystemAndSaysFromWhere) {
  auto file = tree_->open("/lpxelinux.0");
  ASSERT_TRUE(file);
  EXPECT_EQ(testing::read_in_chunks(*file, 5), "system lpxelinux");
  EXPECT_EQ(file->system(), sys("pxelinux") + "/lpxelinux.0");
  EXPECT_TRUE(file->generated().empty());
  EXPECT_EQ(read("ldlinux.c32"), "bios ldlinux");
  EXPECT_EQ(read("efi64/ldlinux.e64"), "efi ldlinux");
}

TEST_F(SystemLayer, TheUsersFileWinsOverTheSystems) {
  write(root() / "lpxelinux.0", "mine");
  auto file = tree_->open("lpxelinux.0");
  ASSERT_TRUE(file);
  EXPECT_EQ(testing::read_in_chunks(*file, 64), "mine");
  EXPECT_TRUE(file->system().empty());
}

TEST_F(SystemLayer, AMountedDirectoryWinsOverTheSystem) {
  write(dir_.path() / "mounted" / "menu.c32", "mounted menu");
  ASSERT_TRUE(tree_->add_dir_mount("/efi64", dir_.path() / "mounted"));
  EXPECT_EQ(read("efi64/menu.c32"), "mounted menu");
  EXPECT_EQ(read("efi64/ldlinux.e64"), "efi ldlinux");  // the mount lacks it
}

TEST_F(SystemLayer, ANameTheTreeRefusesIsNotLookedUpInTheSystem) {
  fs::create_directories(root() / "pxelinux.0");  // a directory: the user's, refused
  EXPECT_EQ(tree_->open("pxelinux.0").error(), OpenError::not_a_file);
}

TEST_F(SystemLayer, TheSystemWinsOverAGeneratedFile) {
  auto generator = std::make_shared<FakeGenerator>();
  generator->answers["menu.c32"] = "generated";
  generator->answers["boot.ipxe"] = "#!ipxe";
  tree_->set_generator(generator);
  EXPECT_EQ(read("menu.c32"), "bios menu");
  EXPECT_EQ(read("boot.ipxe"), "#!ipxe");
}

TEST_F(SystemLayer, EfiModulesAreNotTheBiosOnesOfTheSameName) {
  EXPECT_EQ(read("menu.c32"), "bios menu");
  EXPECT_EQ(read("efi64/menu.c32"), "efi menu");
}

TEST_F(SystemLayer, ARowMayRenameTheSystemsFile) {
  EXPECT_EQ(read("efi64/shimx64.efi"), "signed shim");
  EXPECT_EQ(read("efi64/shimx64.efi.signed"), "error: not-found");
}

TEST_F(SystemLayer, NamesOutsideTheTableAreNotFound) {
  EXPECT_EQ(read("README"), "error: not-found");           // in a system directory, not in the table
  EXPECT_EQ(read("ldlinux.e64"), "error: not-found");      // an efi64 pattern, asked at the root
  EXPECT_EQ(read("sub/ldlinux.c32"), "error: not-found");  // a root pattern, asked in a directory
  EXPECT_EQ(read(".c32"), "error: not-found");             // '*' stands for at least one byte
  EXPECT_EQ(read("secret"), "error: not-found");
}

TEST_F(SystemLayer, AMissingPackageOrFileIsNotFound) {
  EXPECT_EQ(read("undionly.kpxe"), "error: not-found");  // its directory does not exist
  EXPECT_EQ(read("grubx64.efi"), "error: not-found");    // its directory lacks the file
}

TEST_F(SystemLayer, DotDotNeverEscapes) {
  EXPECT_EQ(tree_->open("../sys/pxelinux/lpxelinux.0").error(), OpenError::bad_path);
  EXPECT_EQ(tree_->open("efi64/../../secret").error(), OpenError::bad_path);
  EXPECT_EQ(tree_->open("..\\secret").error(), OpenError::bad_path);
  // A pattern's '*' is one segment: a slash or ".." inside it is never a name in the directory.
  EXPECT_EQ(read("efi64/x/../../../secret.c32"), "error: bad-path");
}

TEST_F(SystemLayer, ASymlinkThatLeavesTheSystemDirectoryIsRefused) {
  fs::create_symlink(dir_.path() / "secret", sys("bios") + "/escape.c32");
  fs::create_symlink("../../secret", sys("bios") + "/climb.c32");
  write(sys("bios") + "/real.bin", "inside");
  fs::create_symlink("real.bin", sys("bios") + "/inside.c32");
  EXPECT_EQ(tree_->open("escape.c32").error(), OpenError::outside_root);
  EXPECT_EQ(tree_->open("climb.c32").error(), OpenError::outside_root);
  EXPECT_EQ(read("inside.c32"), "inside");
}

TEST_F(SystemLayer, ListingsShowWhatTheSystemServes) {
  write(root() / "ldlinux.c32", "mine");
  fs::create_directories(root() / "pxelinux.cfg");
  EXPECT_THAT(listed("/"), ElementsAre("d efi64", "d pxelinux.cfg", "f ldlinux.c32", "f lpxelinux.0",
                                       "f menu.c32", "f pxelinux.0"));
  auto root_entries = tree_->list("/");
  auto mine = std::ranges::find(*root_entries, "ldlinux.c32", &DirEntry::name);
  EXPECT_EQ(mine->size, 4u);  // the user's, not the system's
  EXPECT_THAT(listed("efi64"), ElementsAre("f ldlinux.e64", "f menu.c32", "f shimx64.efi"));
  EXPECT_EQ(tree_->is_directory("efi64"), true);
  EXPECT_EQ(tree_->is_directory("efi64/"), true);
  EXPECT_EQ(tree_->open("efi64").error(), OpenError::not_a_file);  // HTTP redirects to efi64/
  EXPECT_EQ(tree_->is_directory("lpxelinux.0"), false);
  EXPECT_EQ(tree_->list("lpxelinux.0").error(), OpenError::not_found);
  EXPECT_EQ(tree_->list("sub").error(), OpenError::not_found);
}

TEST_F(SystemLayer, WithoutTheLayerTheTreeIsOnlyTheUsers) {
  tree_->set_system_files(nullptr);
  EXPECT_EQ(read("lpxelinux.0"), "error: not-found");
  EXPECT_THAT(listed("/"), IsEmpty());
  EXPECT_EQ(tree_->is_directory("efi64").error(), OpenError::not_found);
}

TEST_F(SystemLayer, MovingTheTreeKeepsItsLayers) {
  Tree moved = std::move(*tree_);
  EXPECT_TRUE(moved.open("lpxelinux.0"));
}

TEST_F(SystemLayer, PackagesAreThoseWhoseDirectoriesExist) {
  const std::string pxelinux = sys("pxelinux"), missing = sys("missing"), bios = sys("bios");
  std::vector<SystemSource> table = {{"a.0", pxelinux, "", "pxelinux"},
                                     {"b.0", missing, "", "ipxe"},
                                     {"*.c32", bios, "", "syslinux-common"},
                                     {"c.0", pxelinux, "", "pxelinux"}};
  EXPECT_THAT(SystemFiles::open(table).packages(), ElementsAre("pxelinux", "syslinux-common"));
}

TEST(SystemSourceOf, FindsTheRowAndItsPathWhetherOrNotInstalled) {
  const auto* row = source_of(kDebianLoaders, "efi64/vesamenu.c32");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->package, "syslinux-common");
  EXPECT_EQ(system_path(*row, "efi64/vesamenu.c32"), "/usr/lib/syslinux/modules/efi64/vesamenu.c32");
  row = source_of(kDebianLoaders, "grubx64.efi");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(system_path(*row, "grubx64.efi"), "/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed");
  row = source_of(kDebianLoaders, "memdisk");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(system_path(*row, "memdisk"), "/usr/lib/syslinux/memdisk");
  EXPECT_EQ(source_of(kDebianLoaders, "mbr/mbr.bin"), nullptr);
  EXPECT_EQ(source_of(kDebianLoaders, "vmlinuz"), nullptr);
  EXPECT_EQ(source_of(kDebianLoaders, "efi64/vmlinuz"), nullptr);
}

TEST(DebianLoaders, RowsAreNormalizedNamesAndAbsoluteDirectories) {
  for (const auto& row : kDebianLoaders) {
    SCOPED_TRACE(row.tree);
    EXPECT_EQ(normalize(row.tree).value_or(""), row.tree);
    EXPECT_TRUE(row.dir.starts_with('/') && !row.dir.ends_with('/'));
    auto star = row.tree.find('*');
    if (star != std::string_view::npos) {
      EXPECT_EQ(row.tree.find('/', star), std::string_view::npos);  // in the last segment
      EXPECT_TRUE(row.file.empty());
    }
    EXPECT_FALSE(row.package.empty());
  }
}

// [boot]'s defaults name files the table serves: a config with only an
// inventory boots from the system's packages.
TEST(DebianLoaders, ServeTheBootDefaults) {
  test::TempDir dir;
  auto cfg = config::parse("[files]\nroot = \"" + dir.path().string() +
                               "\"\n[http]\nenabled = true\n[boot]\ndefault = \"local\"\n",
                           (dir.path() / "pxed.toml").string());
  ASSERT_TRUE(cfg);
  const auto& d = cfg->boot.defaults;
  for (std::string file : {d.bios, d.efi64, d.http}) {
    ASSERT_FALSE(file.empty());
    if (file.starts_with("${http}/")) file.erase(0, 8);
    EXPECT_NE(source_of(kDebianLoaders, file), nullptr) << file;
  }
}

}  // namespace
}  // namespace pxed::vfs
