#include "iso/image.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "iso_test_support.hpp"

namespace pxed::iso {
namespace {

using namespace pxed::iso::testing;

constexpr std::int64_t kFixedMtime = 1700000000;  // 2023-11-14T22:13:20Z
const std::string kLongName(200, 'n');             // past Joliet's 64 and ISO's 31

// The tree every image is built from: a CentOS-like pxeboot dir, long names,
// symlinks, deep directories, an empty file and a name without extension.
void populate(const fs::path& root, bool with_symlinks) {
  write_file(root / "images/pxeboot/vmlinuz", random_bytes(10'000, 1));
  write_file(root / "images/pxeboot/initrd.img", random_bytes(70'001, 2));
  write_file(root / "README", "read me\n");
  write_file(root / "empty.txt", "");
  write_file(root / "MixedCase.cfg", "case\n");
  write_file(root / (kLongName + ".txt"), random_bytes(3000, 3));
  fs::path deep = root;
  for (int i = 1; i <= 12; ++i) deep /= "d" + std::to_string(i);
  write_file(deep / "leaf.txt", "deep\n");
  ::chmod((root / "README").c_str(), 0751);
  struct timespec times[2] = {{kFixedMtime, 0}, {kFixedMtime, 0}};
  ::utimensat(AT_FDCWD, (root / "README").c_str(), times, 0);
  if (with_symlinks) {
    fs::create_symlink("images/pxeboot/vmlinuz", root / "link_relative");
    fs::create_symlink("/etc/hostname", root / "link_absolute");
    fs::create_symlink("../up/./here", root / "images/link_parent");
  }
}

struct Built {
  TempDir dir;
  std::vector<std::byte> bytes;
  std::unique_ptr<Image> image;
};

std::unique_ptr<Built> build(const std::string& flags, bool with_symlinks) {
  auto built = std::make_unique<Built>();
  populate(built->dir.path() / "tree", with_symlinks);
  built->bytes = make_iso(built->dir.path() / "tree", built->dir.path() / "out.iso", flags);
  if (built->bytes.empty()) return nullptr;
  auto image = Image::open(memory_reader(built->bytes), built->bytes.size());
  if (!image) {
    ADD_FAILURE() << image.error();
    return nullptr;
  }
  built->image = std::make_unique<Image>(std::move(*image));
  return built;
}

std::vector<std::string> names(const std::vector<Entry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.name);
  std::sort(out.begin(), out.end());
  return out;
}

// Every regular file in `tree` reads back, via `to_iso_path`, with the same sha256.
template <typename Map>
void expect_every_file_matches(const Built& built, Map to_iso_path) {
  const fs::path tree = built.dir.path() / "tree";
  int files = 0;
  for (const auto& item : fs::recursive_directory_iterator(tree)) {
    if (!item.is_regular_file() || item.is_symlink()) continue;
    std::string iso_path = to_iso_path(fs::relative(item.path(), tree).string());
    auto entry = built.image->stat(iso_path);
    ASSERT_TRUE(entry) << entry.error();
    EXPECT_FALSE(entry->directory) << iso_path;
    EXPECT_EQ(entry->size, fs::file_size(item.path())) << iso_path;
    EXPECT_EQ(sha256_of(extent_bytes(built.bytes, *entry), built.dir.path() / "scratch"),
              sha256_of_file(item.path()))
        << iso_path;
    ++files;
  }
  EXPECT_GE(files, 6);
}

class RockRidgeImage : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (have_xorriso()) built_ = build("-R -J", true).release();
  }
  static void TearDownTestSuite() { delete built_; }
  void SetUp() override {
    PXED_REQUIRE_XORRISO();
    ASSERT_NE(built_, nullptr);
  }
  static Built* built_;
};
Built* RockRidgeImage::built_ = nullptr;

TEST_F(RockRidgeImage, PrefersRockRidgeOverJoliet) {
  EXPECT_EQ(built_->image->naming(), Naming::rock_ridge);
}

TEST_F(RockRidgeImage, ListsRootWithOriginalNamesAndNoDotEntries) {
  auto root = built_->image->list("/");
  ASSERT_TRUE(root) << root.error();
  EXPECT_EQ(names(*root), (std::vector<std::string>{"MixedCase.cfg", "README", "d1", "empty.txt",
                                                    "images", "link_absolute", "link_relative",
                                                    kLongName + ".txt"}));
  auto same = built_->image->list("");
  ASSERT_TRUE(same);
  EXPECT_EQ(names(*same), names(*root));
}

TEST_F(RockRidgeImage, EveryFileReadsBackWithTheSameSha256) {
  expect_every_file_matches(*built_, [](std::string p) { return p; });
}

TEST_F(RockRidgeImage, FindsCentosPxebootKernelAndInitrd) {
  auto kernel = built_->image->stat("images/pxeboot/vmlinuz");
  ASSERT_TRUE(kernel) << kernel.error();
  EXPECT_EQ(kernel->size, 10'000u);
  ASSERT_EQ(kernel->extents.size(), 1u);
  EXPECT_EQ(kernel->extents[0].offset % 2048, 0u);
  auto listing = built_->image->list("/images/pxeboot/");
  ASSERT_TRUE(listing) << listing.error();
  EXPECT_EQ(names(*listing), (std::vector<std::string>{"initrd.img", "vmlinuz"}));
}

TEST_F(RockRidgeImage, ReadsSymlinkTargetsWithoutFollowingThem) {
  auto relative = built_->image->stat("link_relative");
  ASSERT_TRUE(relative) << relative.error();
  EXPECT_EQ(relative->symlink_target, "images/pxeboot/vmlinuz");
  EXPECT_TRUE(S_ISLNK(relative->mode));
  EXPECT_TRUE(relative->extents.empty());
  EXPECT_EQ(built_->image->stat("link_absolute")->symlink_target, "/etc/hostname");
  EXPECT_EQ(built_->image->stat("images/link_parent")->symlink_target, "../up/./here");
  auto through = built_->image->stat("link_relative/x");
  ASSERT_FALSE(through);
  EXPECT_NE(through.error().find("not a directory"), std::string::npos);
}

TEST_F(RockRidgeImage, WalksDirectoriesDeeperThanEightLevels) {
  auto leaf = built_->image->stat("d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12/leaf.txt");
  ASSERT_TRUE(leaf) << leaf.error();
  EXPECT_EQ(extent_bytes(built_->bytes, *leaf), "deep\n");
}

TEST_F(RockRidgeImage, ReportsModeAndMtimeFromRockRidge) {
  auto readme = built_->image->stat("README");
  ASSERT_TRUE(readme) << readme.error();
  EXPECT_EQ(readme->mode & 07777, 0751u);
  EXPECT_TRUE(S_ISREG(readme->mode));
  EXPECT_EQ(readme->mtime, kFixedMtime);
  auto images = built_->image->stat("images");
  ASSERT_TRUE(images);
  EXPECT_TRUE(images->directory);
  EXPECT_TRUE(S_ISDIR(images->mode));
}

TEST_F(RockRidgeImage, EmptyFileHasNoExtents) {
  auto empty = built_->image->stat("empty.txt");
  ASSERT_TRUE(empty) << empty.error();
  EXPECT_EQ(empty->size, 0u);
  EXPECT_TRUE(empty->extents.empty());
}

TEST_F(RockRidgeImage, MatchesNamesCaseSensitively) {
  EXPECT_TRUE(built_->image->stat("MixedCase.cfg"));
  auto wrong = built_->image->stat("mixedcase.cfg");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().find("no such file"), std::string::npos);
}

TEST_F(RockRidgeImage, RejectsListingAFile) {
  auto listing = built_->image->list("README");
  ASSERT_FALSE(listing);
  EXPECT_NE(listing.error().find("not a directory"), std::string::npos);
}

TEST_F(RockRidgeImage, StatOfRootIsADirectory) {
  auto root = built_->image->stat("/");
  ASSERT_TRUE(root) << root.error();
  EXPECT_TRUE(root->directory);
}

TEST(JolietImage, UsesJolietNamesWhenThereIsNoRockRidge) {
  PXED_REQUIRE_XORRISO();
  auto built = build("--norock -J -joliet-long -V Joliet_Vol", false);
  ASSERT_NE(built, nullptr);
  EXPECT_EQ(built->image->naming(), Naming::joliet);
  EXPECT_EQ(built->image->volume_id(), "Joliet_Vol");
  auto root = built->image->list("/");
  ASSERT_TRUE(root) << root.error();
  // -joliet-long allows ~103 UCS-2 characters; xorriso cuts the stem and keeps ".txt".
  auto long_name = std::find_if(root->begin(), root->end(),
                                [](const Entry& e) { return e.name.starts_with("nnnn"); });
  ASSERT_NE(long_name, root->end());
  EXPECT_GT(long_name->name.size(), 64u);
  EXPECT_LT(long_name->name.size(), kLongName.size());
  EXPECT_EQ(long_name->name, std::string(long_name->name.size() - 4, 'n') + ".txt");
  EXPECT_TRUE(built->image->stat("MixedCase.cfg"));
  // Joliet is Windows' naming: without an exact name, case is ignored (Rock Ridge keeps it).
  auto folded = built->image->stat("MIXEDCASE.CFG");
  ASSERT_TRUE(folded) << folded.error();
  EXPECT_EQ(folded->name, "MixedCase.cfg");
  EXPECT_EQ(built->image->stat("README")->mode, 0100444u);  // no PX: read-only default
  expect_every_file_matches(*built, [&](std::string p) {
    if (p.starts_with("nnnn")) return long_name->name;
    return p;
  });
}

TEST(PlainImage, StripsVersionAndTrailingDotButKeepsCase) {
  PXED_REQUIRE_XORRISO();
  auto built = build("--norock -V PLAIN", false);
  ASSERT_NE(built, nullptr);
  EXPECT_EQ(built->image->naming(), Naming::plain);
  EXPECT_EQ(built->image->volume_id(), "PLAIN");
  auto root = built->image->list("/");
  ASSERT_TRUE(root) << root.error();
  for (const auto& entry : *root) {
    EXPECT_EQ(entry.name.find(';'), std::string::npos) << entry.name;
    EXPECT_NE(entry.name.back(), '.') << entry.name;
  }
  auto readme = built->image->stat("README");  // recorded as "README.;1"
  ASSERT_TRUE(readme) << readme.error();
  EXPECT_EQ(extent_bytes(built->bytes, *readme), "read me\n");
  auto kernel = built->image->stat("IMAGES/PXEBOOT/VMLINUZ");
  ASSERT_TRUE(kernel) << kernel.error();
  EXPECT_FALSE(built->image->stat("images/pxeboot/vmlinuz"));  // no lower-casing
  auto initrd = built->image->stat("IMAGES/PXEBOOT/INITRD.IMG");
  ASSERT_TRUE(initrd) << initrd.error();
  EXPECT_EQ(initrd->size, 70'001u);
}

}  // namespace
}  // namespace pxed::iso
