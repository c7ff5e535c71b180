// ISO images mounted into the tree: a member opens as extents inside the
// image descriptor, and read_at stitches them back into the file's bytes.
// (File's own extent arithmetic: file_test.cpp.)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "file_reading.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "iso/iso_test_support.hpp"
#include "vfs/tree.hpp"

namespace pxed::vfs {
namespace {

namespace fs = std::filesystem;
using iso::testing::make_iso;
using iso::testing::random_bytes;
using iso::testing::write_file;
using test::TempDir;

using testing::read_in_chunks;
using testing::read_range;

class TreeMount : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!iso::testing::have_xorriso()) GTEST_SKIP() << "xorriso not installed";
    vmlinuz_ = random_bytes(300'000, 1);
    initrd_ = random_bytes(500'001, 2);
    write_file(dir_.path() / "src/images/pxeboot/vmlinuz", vmlinuz_);
    write_file(dir_.path() / "src/images/pxeboot/initrd.img", initrd_);
    write_file(dir_.path() / "src/.treeinfo", "[general]\n");
    fs::create_symlink("images/pxeboot/vmlinuz", dir_.path() / "src/kernel-link");
    write_file(dir_.path() / "root/readme.txt", "plain\n");
    fs::create_directories(dir_.path() / "root/centos7");  // shadowed by the mount
    write_file(dir_.path() / "root/centos7/hidden", "x");
    ASSERT_FALSE(make_iso(dir_.path() / "src", iso_path(), "-R -J").empty());
  }
  fs::path iso_path() const { return dir_.path() / "x.iso"; }
  Tree mounted(std::string_view at) {
    auto tree = Tree::open_root(dir_.path() / "root");
    if (!tree) throw std::runtime_error(tree.error());
    auto added = tree->add_iso_mount(at, iso_path());
    if (!added) throw std::runtime_error(added.error());
    return std::move(*tree);
  }

  TempDir dir_;
  std::string vmlinuz_, initrd_;
};

TEST_F(TreeMount, MembersReadBackByteForByte) {
  Tree tree = mounted("/centos7");
  auto kernel = tree.open("/centos7/images/pxeboot/vmlinuz");
  ASSERT_TRUE(kernel) << to_string(kernel.error());
  EXPECT_EQ(kernel->size(), vmlinuz_.size());
  EXPECT_EQ(read_in_chunks(*kernel, 1468), vmlinuz_);
  auto initrd = tree.open("centos7\\images\\pxeboot\\initrd.img");  // as a Windows loader asks
  ASSERT_TRUE(initrd);
  EXPECT_EQ(read_in_chunks(*initrd, 65536), initrd_);
  EXPECT_EQ(read_range(*initrd, 1000, 10), initrd_.substr(1000, 10));
  // The extents point into the image file itself: what sendfile() uses.
  ASSERT_FALSE(initrd->extents().empty());
  EXPECT_GT(initrd->extents()[0].offset, 0u);
}

TEST_F(TreeMount, OutsideTheMountTheDirectoryTreeStillServes) {
  Tree tree = mounted("/centos7");
  auto readme = tree.open("readme.txt");
  ASSERT_TRUE(readme);
  EXPECT_EQ(read_in_chunks(*readme, 16), "plain\n");
  EXPECT_EQ(tree.open("centos7/hidden").error(), OpenError::not_found);  // the mount wins
}

TEST_F(TreeMount, DirectoriesAndMissingNamesAreRefused) {
  Tree tree = mounted("/centos7");
  EXPECT_EQ(tree.open("centos7").error(), OpenError::not_a_file);
  EXPECT_EQ(tree.open("centos7/images").error(), OpenError::not_a_file);
  EXPECT_EQ(tree.open("centos7/nope").error(), OpenError::not_found);
  EXPECT_EQ(tree.open("centos7/../readme.txt").error(), OpenError::bad_path);
  EXPECT_EQ(tree.is_directory("centos7"), true);
  EXPECT_EQ(tree.is_directory("centos7/images/pxeboot"), true);
  EXPECT_EQ(tree.is_directory("centos7/images/pxeboot/vmlinuz"), false);
}

TEST_F(TreeMount, ListingsShowTheImageAndTheMountPoint) {
  Tree tree = mounted("/centos7");
  auto root = tree.list("/");
  ASSERT_TRUE(root);
  ASSERT_EQ(root->size(), 2u);
  EXPECT_EQ((*root)[0].name, "centos7");
  EXPECT_TRUE((*root)[0].directory);
  // The mount point lists with the image's date, not 1970.
  struct stat st {};
  ASSERT_EQ(::stat(iso_path().c_str(), &st), 0);
  EXPECT_EQ((*root)[0].mtime_seconds, st.st_mtim.tv_sec);
  EXPECT_EQ((*root)[1].name, "readme.txt");

  auto top = tree.list("/centos7/");
  ASSERT_TRUE(top);
  std::vector<std::string> names;
  for (const auto& e : *top) names.push_back(e.name);
  // The link shows as the file it points to.
  EXPECT_EQ(names, (std::vector<std::string>{"images", ".treeinfo", "kernel-link"}));
  EXPECT_EQ(top->back().size, vmlinuz_.size());
  EXPECT_FALSE(top->back().directory);

  auto pxeboot = tree.list("centos7/images/pxeboot");
  ASSERT_TRUE(pxeboot);
  ASSERT_EQ(pxeboot->size(), 2u);
  EXPECT_EQ((*pxeboot)[0].name, "initrd.img");
  EXPECT_EQ((*pxeboot)[0].size, initrd_.size());
  EXPECT_FALSE((*pxeboot)[0].directory);
  EXPECT_EQ(tree.list("centos7/nope").error(), OpenError::not_found);
}

TEST_F(TreeMount, MountPointMayLieUnderDirectoriesThatDoNotExist) {
  Tree tree = mounted("/os/el/7");
  auto os = tree.list("os");
  ASSERT_TRUE(os);
  ASSERT_EQ(os->size(), 1u);
  EXPECT_EQ((*os)[0].name, "el");
  EXPECT_GT((*os)[0].mtime_seconds, 0);  // the date of the image below it
  EXPECT_EQ(tree.is_directory("os/el"), true);
  auto kernel = tree.open("os/el/7/images/pxeboot/vmlinuz");
  ASSERT_TRUE(kernel);
  EXPECT_EQ(kernel->size(), vmlinuz_.size());
}

TEST_F(TreeMount, AnOpenMemberOutlivesItsTree) {
  std::optional<File> kernel;
  {
    Tree tree = mounted("/centos7");
    auto opened = tree.open("centos7/images/pxeboot/vmlinuz");
    ASSERT_TRUE(opened);
    kernel = std::move(*opened);
  }
  EXPECT_EQ(read_in_chunks(*kernel, 4096), vmlinuz_);
}

TEST_F(TreeMount, BadMountsSayWhatIsWrong) {
  auto tree = Tree::open_root(dir_.path() / "root");
  ASSERT_TRUE(tree);
  EXPECT_FALSE(tree->add_iso_mount("/", iso_path()));
  auto missing = tree->add_iso_mount("/a", dir_.path() / "missing.iso");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("missing.iso"), std::string::npos);
  auto not_iso = tree->add_iso_mount("/b", dir_.path() / "root/readme.txt");
  EXPECT_FALSE(not_iso);
  EXPECT_TRUE(tree->add_iso_mount("/c", iso_path()));
  EXPECT_FALSE(tree->add_iso_mount("c/", iso_path()));  // already there
}

// Offset of the ISO 9660 directory record whose identifier starts with
// `identifier` (see iso/multi_extent_test.cpp: xorriso splits only files over
// 4 GiB, so two adjacent records are patched into one multi-extent file).
std::size_t find_record(const std::vector<std::byte>& image, std::string_view identifier) {
  for (std::size_t at = 33; at + identifier.size() <= image.size(); ++at) {
    if (std::memcmp(image.data() + at, identifier.data(), identifier.size()) != 0) continue;
    const auto name_length = std::to_integer<std::size_t>(image[at - 1]);
    const auto record_length = std::to_integer<std::size_t>(image[at - 33]);
    if (name_length >= identifier.size() && record_length >= 33 + name_length) return at - 33;
  }
  throw std::runtime_error("no record for " + std::string(identifier));
}

TEST(TreeMountMultiExtent, ReadAtCrossesTheExtentsOfOneMember) {
  if (!iso::testing::have_xorriso()) GTEST_SKIP() << "xorriso not installed";
  TempDir dir;
  const std::string part_a = random_bytes(4096, 10);  // a non-final extent is whole blocks
  const std::string part_b = random_bytes(3000, 11);
  write_file(dir.path() / "src/splita", part_a);
  write_file(dir.path() / "src/splitb", part_b);
  auto bytes = make_iso(dir.path() / "src", dir.path() / "plain.iso", "--norock");
  ASSERT_FALSE(bytes.empty());
  const std::size_t first = find_record(bytes, "SPLITA");
  const std::size_t second = find_record(bytes, "SPLITB");
  ASSERT_EQ(second, first + std::to_integer<std::size_t>(bytes[first]));
  bytes[first + 25] |= std::byte{0x80};  // ECMA-119 9.1.6: not the final record
  bytes[second + 33 + 5] = std::byte{'A'};
  write_file(dir.path() / "multi.iso",
             std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  fs::create_directories(dir.path() / "root");

  auto tree = Tree::open_root(dir.path() / "root");
  ASSERT_TRUE(tree);
  auto added = tree->add_iso_mount("/m", dir.path() / "multi.iso");
  ASSERT_TRUE(added) << added.error();
  auto file = tree->open("m/SPLITA");
  ASSERT_TRUE(file) << to_string(file.error());
  ASSERT_EQ(file->extents().size(), 2u);
  const std::string whole = part_a + part_b;
  EXPECT_EQ(file->size(), whole.size());
  EXPECT_EQ(read_in_chunks(*file, 1000), whole);  // 4096 is not a multiple of 1000
  EXPECT_EQ(read_range(*file, 4090, 12), whole.substr(4090, 12));
}

}  // namespace
}  // namespace pxed::vfs

namespace pxed::vfs {
namespace {

// `serve`'s mode: the loop reads no image directory; prefetch (on a worker)
// reads what a name needs, and then the loop's open, list and is_directory
// find it in the cache.
TEST_F(TreeMount, OnTheLoopImagesOpenOnlyWhatWasPrefetched) {
  Tree tree = mounted("/centos7");
  tree.set_on_loop(true);
  EXPECT_EQ(tree.open("/centos7/images/pxeboot/vmlinuz").error(), OpenError::over_budget);
  EXPECT_EQ(tree.list("/centos7/images/").error(), OpenError::over_budget);

  auto prefetch = tree.prefetch("/centos7/images/pxeboot/vmlinuz", Tree::Need::file);
  ASSERT_TRUE(prefetch);
  prefetch(std::stop_token{});
  auto file = tree.open("/centos7/images/pxeboot/vmlinuz");
  ASSERT_TRUE(file);
  EXPECT_EQ(read_in_chunks(*file, 65536), vmlinuz_);

  tree.prefetch("/centos7/images/", Tree::Need::listing)(std::stop_token{});  // a directory: its listing too
  auto listing = tree.list("/centos7/images/");
  ASSERT_TRUE(listing);
  EXPECT_EQ(listing->size(), 1u);
  EXPECT_EQ(tree.is_directory("/centos7/images/pxeboot"), true);
}

TEST_F(TreeMount, PrefetchIsNothingForBadPathsAndMountPoints) {
  Tree tree = mounted("/centos7");
  EXPECT_FALSE(tree.prefetch("/../etc/passwd", Tree::Need::file));
  EXPECT_FALSE(tree.prefetch("/", Tree::Need::file));
  EXPECT_TRUE(tree.prefetch("/centos7/anything", Tree::Need::file));
  EXPECT_TRUE(tree.prefetch("/readme.txt", Tree::Need::file));  // a real directory's walk
  EXPECT_TRUE(tree.prefetch("/", Tree::Need::listing));
}

TEST_F(TreeMount, AStoppedPrefetchReadsNothing) {
  Tree tree = mounted("/centos7");
  tree.set_on_loop(true);
  std::stop_source stop;
  stop.request_stop();  // pxed is stopping: the worker gives up before its first read
  tree.prefetch("/centos7/images/pxeboot/vmlinuz", Tree::Need::file)(stop.get_token());
  EXPECT_EQ(tree.open("/centos7/images/pxeboot/vmlinuz").error(), OpenError::over_budget);
}

}  // namespace
}  // namespace pxed::vfs
