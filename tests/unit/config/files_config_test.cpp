// [files]: [[files.mount]] of an image or a directory, and files.iso_dir.
// Every problem names file, line and key.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "config/config.hpp"
#include "support/test_support.hpp"

namespace pxed::config {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class FilesConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(root());
    fs::create_directories(dir_.path() / "other");
    fs::create_directories(dir_.path() / "isos");
    std::ofstream(image()) << "an image, as far as the config can tell";
  }
  fs::path root() const { return dir_.path() / "root"; }
  fs::path image() const { return dir_.path() / "x.iso"; }
  std::string q(const fs::path& p) const { return "\"" + p.string() + "\""; }
  // Lines 1-2 are "[files]" and root: the caller's text starts on line 3.
  auto parse(const std::string& text) const {
    return config::parse("[files]\nroot = " + q(root()) + "\n" + text,
                         (dir_.path() / "pxed.toml").string());
  }
  static std::vector<ConfigError> errors_of(const std::expected<Config, std::vector<ConfigError>>& r) {
    return r ? std::vector<ConfigError>{} : r.error();
  }
  static std::string describe(const std::vector<ConfigError>& errors) {
    std::string out;
    for (const auto& e : errors) out += e.to_string() + "\n";
    return out;
  }

  test::TempDir dir_;
};

TEST_F(FilesConfig, ADirectoryMountIsReadWithItsNormalizedMountPoint) {
  auto cfg = parse("[[files.mount]]\nat = \"/other//\"\ndir = " + q(dir_.path() / "other") +
                   "\n[[files.mount]]\nat = \"/centos7\"\niso = " + q(image()) + "\n");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  ASSERT_EQ(cfg->files.mounts.size(), 2u);
  EXPECT_EQ(cfg->files.mounts[0].at, "/other");
  EXPECT_EQ(cfg->files.mounts[0].dir, dir_.path() / "other");
  EXPECT_TRUE(cfg->files.mounts[0].iso.empty());
  EXPECT_EQ(cfg->files.mounts[1].iso, image());
  EXPECT_TRUE(cfg->files.mounts[1].dir.empty());
}

TEST_F(FilesConfig, AMountInsideAnImageIsRefusedForWhatItWouldHide) {
  // Lines 3-5 and 6-8: the image first, then a directory over part of it.
  auto errors = errors_of(parse("[[files.mount]]\nat = \"/centos7\"\niso = " + q(image()) +
                                "\n[[files.mount]]\nat = \"/centos7/images\"\ndir = " + q(dir_.path() / "other") + "\n"));
  ASSERT_EQ(errors.size(), 1u) << describe(errors);
  EXPECT_EQ(errors[0].line, 7u);
  EXPECT_EQ(errors[0].key, "files.mount.at");
  EXPECT_EQ(errors[0].message,
            "/centos7/images is inside the image mounted at /centos7 (line 3) and would hide that part of it; "
            "mount it beside, e.g. at = \"/centos7-images\"");
}

TEST_F(FilesConfig, AnImageMountedOverAnEarlierMountsParentIsRefusedToo) {
  auto errors = errors_of(parse("[[files.mount]]\nat = \"/a/b\"\ndir = " + q(dir_.path() / "other") +
                                "\n[[files.mount]]\nat = \"/a\"\niso = " + q(image()) + "\n"));
  ASSERT_EQ(errors.size(), 1u) << describe(errors);
  EXPECT_EQ(errors[0].line, 7u);
  EXPECT_THAT(errors[0].message, HasSubstr("/a/b is inside the image mounted at /a (line 6)"));
}

TEST_F(FilesConfig, DirectoriesMayNestAndImagesMaySitSideBySide) {
  auto cfg = parse("[[files.mount]]\nat = \"/a\"\ndir = " + q(dir_.path() / "other") +
                   "\n[[files.mount]]\nat = \"/a/b\"\niso = " + q(image()) +
                   "\n[[files.mount]]\nat = \"/ab\"\niso = " + q(image()) + "\n");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_EQ(cfg->files.mounts[1].line, 6u);
}

TEST_F(FilesConfig, AMountNeedsExactlyOneOfIsoAndDir) {
  auto errors = errors_of(parse("[[files.mount]]\nat = \"/both\"\niso = " + q(image()) +
                                "\ndir = " + q(dir_.path() / "other") +
                                "\n[[files.mount]]\nat = \"/neither\"\n"));
  ASSERT_EQ(errors.size(), 2u) << describe(errors);
  EXPECT_EQ(errors[0].line, 6u);
  EXPECT_EQ(errors[0].key, "files.mount.dir");
  EXPECT_THAT(errors[0].message, HasSubstr("not both"));
  EXPECT_EQ(errors[1].line, 7u);
  EXPECT_EQ(errors[1].key, "files.mount.iso");
  EXPECT_THAT(errors[1].message, HasSubstr("dir = "));
}

TEST_F(FilesConfig, AMountedDirectoryMustExistAndBeADirectory) {
  auto errors = errors_of(parse("[[files.mount]]\nat = \"/a\"\ndir = " + q(dir_.path() / "missing") +
                                "\n[[files.mount]]\nat = \"/b\"\ndir = " + q(image()) + "\n"));
  ASSERT_EQ(errors.size(), 2u) << describe(errors);
  EXPECT_EQ(errors[0].to_string(), (dir_.path() / "pxed.toml").string() +
                                       ":5: files.mount.dir: directory " +
                                       (dir_.path() / "missing").string() + " does not exist");
  EXPECT_EQ(errors[1].line, 8u);
  EXPECT_EQ(errors[1].key, "files.mount.dir");
  EXPECT_THAT(errors[1].message, HasSubstr("is not a directory"));
}

TEST_F(FilesConfig, UnknownMountKeysListTheKnownOnes) {
  auto errors = errors_of(parse("[[files.mount]]\nat = \"/a\"\ndir = " + q(dir_.path() / "other") +
                                "\nfolder = \"x\"\n"));
  ASSERT_EQ(errors.size(), 1u) << describe(errors);
  EXPECT_EQ(errors[0].line, 6u);
  EXPECT_EQ(errors[0].message, "unknown key; known keys in [[files.mount]]: at, iso, dir");
}

TEST_F(FilesConfig, IsoDirIsReadWhenItIsADirectory) {
  auto cfg = parse("iso_dir = " + q(dir_.path() / "isos") + "\n");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_EQ(cfg->files.iso_dir, dir_.path() / "isos");
  auto none = parse("");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->files.iso_dir.empty());
}

TEST_F(FilesConfig, IsoDirRelativeToTheConfigFile) {
  auto cfg = parse("iso_dir = \"isos\"\n");
  ASSERT_TRUE(cfg) << describe(errors_of(cfg));
  EXPECT_EQ(fs::weakly_canonical(cfg->files.iso_dir), fs::weakly_canonical(dir_.path() / "isos"));
}

TEST_F(FilesConfig, IsoDirMustExistAndBeADirectory) {
  auto missing = errors_of(parse("iso_dir = " + q(dir_.path() / "nope") + "\n"));
  ASSERT_EQ(missing.size(), 1u) << describe(missing);
  EXPECT_EQ(missing[0].line, 3u);
  EXPECT_EQ(missing[0].key, "files.iso_dir");
  EXPECT_THAT(missing[0].message, HasSubstr("does not exist"));
  auto file = errors_of(parse("iso_dir = " + q(image()) + "\n"));
  ASSERT_EQ(file.size(), 1u) << describe(file);
  EXPECT_THAT(file[0].message, HasSubstr("is not a directory"));
  auto wrong_type = errors_of(parse("iso_dir = 5\n"));
  ASSERT_EQ(wrong_type.size(), 1u);
  EXPECT_EQ(wrong_type[0].key, "files.iso_dir");
}

TEST_F(FilesConfig, IsoDirAndAMountAtIsoCannotBothHaveIt) {
  auto errors = errors_of(parse("iso_dir = " + q(dir_.path() / "isos") +
                                "\n[[files.mount]]\nat = \"/iso\"\ndir = " + q(dir_.path() / "other") + "\n"));
  ASSERT_EQ(errors.size(), 1u) << describe(errors);
  EXPECT_EQ(errors[0].line, 3u);
  EXPECT_EQ(errors[0].key, "files.iso_dir");
  EXPECT_THAT(errors[0].message, HasSubstr("/iso"));
  // Below /iso is fine: that name simply is not taken from iso_dir.
  auto below = parse("iso_dir = " + q(dir_.path() / "isos") +
                     "\n[[files.mount]]\nat = \"/iso/special\"\niso = " + q(image()) + "\n");
  EXPECT_TRUE(below) << describe(errors_of(below));
}

TEST_F(FilesConfig, SystemLoadersAreOnUnlessTurnedOff) {
  auto on = parse("");
  ASSERT_TRUE(on) << describe(errors_of(on));
  EXPECT_TRUE(on->files.system_loaders);
  auto off = parse("system_loaders = false\n");
  ASSERT_TRUE(off) << describe(errors_of(off));
  EXPECT_FALSE(off->files.system_loaders);
}

TEST_F(FilesConfig, SystemLoadersMustBeABoolean) {
  auto errors = errors_of(parse("system_loaders = \"yes\"\n"));
  ASSERT_EQ(errors.size(), 1u) << describe(errors);
  EXPECT_EQ(errors[0].line, 3u);
  EXPECT_EQ(errors[0].key, "files.system_loaders");
  EXPECT_THAT(errors[0].message, HasSubstr("boolean"));
}

}  // namespace
}  // namespace pxed::config

namespace pxed::config {
namespace {

class ServedDirs : public ::testing::Test {
 protected:
  auto parse(const std::string& root, const std::string& rest = "") const {
    return config::parse("[server]\nstate_dir = \"" + (dir_.path() / "state").string() + "\"\n[files]\nroot = \"" +
                             root + "\"\n" + rest,
                         (dir_.path() / "pxed.toml").string());
  }
  static std::string all(const std::expected<Config, std::vector<ConfigError>>& r) {
    std::string out;
    for (const auto& e : r ? std::vector<ConfigError>{} : r.error()) out += e.to_string() + "\n";
    return out;
  }
  test::TempDir dir_;
};

TEST_F(ServedDirs, ARootHoldingTheStateDirIsRefusedNamingBoth) {
  fs::create_directories(dir_.path() / "state");
  auto cfg = parse(dir_.path().string());
  ASSERT_FALSE(cfg);
  EXPECT_THAT(all(cfg), HasSubstr(":4: files.root: " + dir_.path().string() + " holds server.state_dir " +
                                  (dir_.path() / "state").string()));
}

TEST_F(ServedDirs, AMountedDirHoldingTheStateDirIsRefused) {
  fs::create_directories(dir_.path() / "root");
  auto cfg = parse((dir_.path() / "root").string(),
                   "[[files.mount]]\nat = \"/x\"\ndir = \"" + dir_.path().string() + "\"\n");
  ASSERT_FALSE(cfg);
  EXPECT_THAT(all(cfg), HasSubstr("files.mount: dir " + dir_.path().string() + " holds server.state_dir"));
}

TEST_F(ServedDirs, TheWholeSystemIsRefusedUnlessAllowed) {
  auto slash = parse("/");
  ASSERT_FALSE(slash);
  EXPECT_THAT(all(slash), HasSubstr("files.root: / holds /etc: anyone on the network could read it"));
  EXPECT_THAT(all(slash), HasSubstr("allow_system_root = true"));
  auto usr = parse("/usr");
  EXPECT_THAT(all(usr), HasSubstr("files.root: /usr holds /usr"));
  auto allowed = parse("/usr", "allow_system_root = true\n");
  EXPECT_TRUE(allowed) << all(allowed);
  // The state dir stays refused whatever the key says.
  EXPECT_THAT(all(parse("/", "allow_system_root = true\n")), HasSubstr("holds server.state_dir"));
}

TEST_F(ServedDirs, ASymlinkedConfigResolvesRelativePathsFromItsTarget) {
  fs::create_directories(dir_.path() / "site/tree");
  fs::create_directories(dir_.path() / "etc");
  std::ofstream(dir_.path() / "site/pxed.toml") << "[files]\nroot = \"tree\"\n";
  fs::create_symlink(dir_.path() / "site/pxed.toml", dir_.path() / "etc/pxed.toml");
  auto cfg = config::load(dir_.path() / "etc/pxed.toml");
  ASSERT_TRUE(cfg) << all(cfg);
  EXPECT_EQ(cfg->files.root, fs::weakly_canonical(dir_.path() / "site/tree"));
}

}  // namespace
}  // namespace pxed::config
