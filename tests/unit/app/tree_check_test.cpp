// `pxed check` finds the files the config names through the tree serve uses:
// the system's loaders count as present, and a loader that is missing says
// which Debian package installs it. The loader table points at temp
// directories here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/tree_check.hpp"
#include "support/test_support.hpp"

namespace pxed::app {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class TreeCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(root());
    fs::create_directories(sys("pxelinux"));
    std::ofstream(sys("pxelinux") + "/lpxelinux.0") << "loader";
    fs::create_directories(sys("efi64"));
    std::ofstream(sys("efi64") + "/menu.c32") << "module";
    dirs_ = {sys("pxelinux"), sys("efi64"), sys("not-installed")};
    table_ = {{"lpxelinux.0", dirs_[0], "", "pxelinux"},
              {"efi64/syslinux.efi", dirs_[2], "", "syslinux-efi"},
              {"efi64/*.c32", dirs_[1], "", "syslinux-common"}};
  }
  fs::path root() const { return dir_.path() / "root"; }
  std::string sys(std::string_view rel) const { return (dir_.path() / "sys" / rel).string(); }

  std::vector<config::ConfigError> check(const std::string& toml, bool system_loaders = true) {
    auto cfg = config::parse("[files]\nroot = \"" + root().string() + "\"\nsystem_loaders = " +
                                 (system_loaders ? "true" : "false") + "\n" + toml,
                             (dir_.path() / "pxed.toml").string());
    EXPECT_TRUE(cfg) << (cfg ? "" : cfg.error().front().to_string());
    if (!cfg) return {};
    auto tree = vfs::Tree::open_root(root());
    EXPECT_TRUE(tree);
    if (system_loaders) tree->set_system_files(std::make_shared<const vfs::SystemFiles>(vfs::SystemFiles::open(table_)));
    return check_tree(*cfg, *tree, table_);
  }

  test::TempDir dir_;
  std::vector<std::string> dirs_;
  std::vector<vfs::SystemSource> table_;
};

TEST_F(TreeCheck, ASystemLoaderCountsAsPresentInAnEmptyRoot) {
  EXPECT_THAT(check("[boot]\nbios = \"lpxelinux.0\"\n"), IsEmpty());
}

TEST_F(TreeCheck, AMissingLoaderNamesThePackageThatInstallsIt) {
  auto errors = check("[boot]\nefi64 = \"efi64/syslinux.efi\"\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 5u);
  EXPECT_EQ(errors[0].key, "boot.efi64");
  EXPECT_THAT(errors[0].message, HasSubstr("efi64/syslinux.efi: not in the tree"));
  EXPECT_THAT(errors[0].message, HasSubstr("; apt-get install syslinux-efi provides it"));
}

TEST_F(TreeCheck, WithSystemLoadersOffItSaysTheSystemHasIt) {
  auto errors = check("[boot]\nbios = \"lpxelinux.0\"\n", false);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0].message, HasSubstr("the system has it (pxelinux): set [files] system_loaders = true"));
}

TEST_F(TreeCheck, AMisspeltModuleOfAnInstalledPackageGetsADidYouMean) {
  auto errors = check("[[profile]]\nname = \"m\"\nchain = \"efi64/menuu.c32\"\n[boot]\nbios = \"lpxelinux.0\"\n"
                      "efi64 = \"efi64/menu.c32\"\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].key, "profile m: chain");
  EXPECT_THAT(errors[0].message, HasSubstr("did you mean /efi64/menu.c32?"));
  EXPECT_THAT(errors[0].message, Not(HasSubstr("apt-get")));
}

TEST_F(TreeCheck, TheDefaultsOfAnInventoryAreCheckedAndSaySo) {
  auto errors = check("[boot]\ndefault = \"local\"\n");
  ASSERT_EQ(errors.size(), 1u);  // lpxelinux.0 is there; efi64/syslinux.efi is not
  EXPECT_EQ(errors[0].line, 0u);
  EXPECT_EQ(errors[0].key, "boot.efi64");
  EXPECT_THAT(errors[0].message,
              HasSubstr("efi64/syslinux.efi (pxed's default: [boot] efi64 is not set): not in the tree"));
  EXPECT_THAT(errors[0].message, HasSubstr("apt-get install syslinux-efi"));
}

TEST_F(TreeCheck, AKeyTheConfigSetsIsNotCheckedAgainstItsDefault) {
  std::ofstream(root() / "shimx64.efi") << "mine";
  EXPECT_THAT(check("[boot]\ndefault = \"local\"\nefi64 = \"shimx64.efi\"\n"), IsEmpty());
}

}  // namespace
}  // namespace pxed::app
