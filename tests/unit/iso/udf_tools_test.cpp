// UDF images written by real tools, built at run time: genisoimage -udf
// (UDF 1.02 bridge with ISO 9660), pycdlib (UDF 2.60 bridge whose files are
// mostly UDF-only, as on Windows media) and mkudffs (empty UDF 1.02-2.01).
// Every file's extents must hold exactly the source bytes.
#include <gtest/gtest.h>

#include <sstream>

#include "iso/image.hpp"
#include "iso/iso_ls.hpp"
#include "iso_test_support.hpp"
#include "udf_test_support.hpp"

namespace pxed::iso {
namespace {

using namespace pxed::iso::testing;

bool have(const std::string& check) { return std::system((check + " >/dev/null 2>&1").c_str()) == 0; }

// mkudffs lives in /usr/sbin, which a non-root PATH may lack.
std::string mkudffs() { return have("command -v mkudffs") ? "mkudffs" : "/usr/sbin/mkudffs"; }

// Blanks the NSR descriptor: the image no longer says it carries UDF, as
// when a bridge image's UDF part is unusable.
void hide_udf(std::vector<std::byte>& bytes) {
  for (std::size_t sector = 16; sector < 64 && (sector + 1) * 2048 <= bytes.size(); ++sector)
    if (std::memcmp(bytes.data() + sector * 2048 + 1, "NSR0", 4) == 0)
      std::fill_n(bytes.begin() + static_cast<std::ptrdiff_t>(sector * 2048), 2048, std::byte{0});
}

#define REQUIRE_TOOL(check, name) \
  if (!have(check)) GTEST_SKIP() << name << " not installed (scripts/setup installs it)"

// A tree like an install medium: nested folders, a file of a few MiB, an
// empty file, a non-ASCII name.
void write_tree(const fs::path& tree) {
  write_file(tree / "README.TXT", "This disc holds UDF.\n");
  write_file(tree / "boot/bootmgr", random_bytes(40'000, 11));
  write_file(tree / "sources/install.wim", random_bytes(3 * 1024 * 1024 + 123, 12));
  write_file(tree / "sources/empty.cfg", "");
  write_file(tree / "sources/deep/er/still.txt", "deep\n");
  write_file(tree / "Gr\xc3\xbc\xc3\x9f" "e.txt", "hallo\n");
}

// Every regular file under `tree` has the same bytes in `image`.
void expect_same_files(const fs::path& tree, const std::vector<std::byte>& bytes, const Image& image,
                       const fs::path& scratch) {
  std::size_t files = 0;
  for (const auto& item : fs::recursive_directory_iterator(tree)) {
    if (!item.is_regular_file()) continue;
    const std::string path = fs::relative(item.path(), tree).string();
    auto entry = image.stat(path);
    ASSERT_TRUE(entry) << path << ": " << entry.error();
    EXPECT_FALSE(entry->directory) << path;
    EXPECT_EQ(entry->size, fs::file_size(item.path())) << path;
    EXPECT_EQ(sha256_of(extent_bytes(bytes, *entry), scratch), sha256_of_file(item.path())) << path;
    ++files;
  }
  EXPECT_EQ(files, 6u);
}

TEST(UdfTools, GenisoimageUdfBridgeOpensAsUdf) {
  REQUIRE_TOOL("genisoimage -version", "genisoimage");
  TempDir dir;
  write_tree(dir.path() / "tree");
  const fs::path iso = dir.path() / "g.iso";
  const std::string cmd = "genisoimage -quiet -input-charset utf-8 -udf -R -J -V GENUDF -o '" + iso.string() +
                          "' '" + (dir.path() / "tree").string() + "' >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto bytes = read_all(iso);
  auto image = Image::open(memory_reader(bytes), bytes.size());
  ASSERT_TRUE(image) << image.error();
  EXPECT_EQ(image->naming(), Naming::udf);  // preferred over the Rock Ridge tree beside it
  // The ISO 9660 side's descriptor is still read: osinfo-db's rules for Windows media need it.
  ASSERT_TRUE(image->volume_info());
  EXPECT_EQ(image->volume_info()->volume_id, "GENUDF");
  expect_same_files(dir.path() / "tree", bytes, *image, dir.path() / "scratch");
  auto sources = image->list("sources");
  ASSERT_TRUE(sources) << sources.error();
  EXPECT_EQ(sources->size(), 3u);

  // Without its UDF part the same image falls back to its Rock Ridge tree.
  hide_udf(bytes);
  auto fallback = Image::open(memory_reader(bytes), bytes.size());
  ASSERT_TRUE(fallback) << fallback.error();
  EXPECT_EQ(fallback->naming(), Naming::rock_ridge);
  EXPECT_TRUE(fallback->stat("sources/install.wim"));
}

// pycdlib 1.12 writes UDF 2.60. Like Windows media, only README.TXT is in
// the ISO 9660 and Joliet trees; everything else exists only in UDF.
TEST(UdfTools, PycdlibUdfOnlyFilesAreServed) {
  REQUIRE_TOOL("/usr/bin/python3 -c 'import pycdlib'", "python3-pycdlib");
  TempDir dir;
  const fs::path tree = dir.path() / "tree";
  write_tree(tree);
  const fs::path iso = dir.path() / "p.iso";
  write_file(dir.path() / "make.py", R"(import os, sys, pycdlib
tree, out = sys.argv[1], sys.argv[2]
iso = pycdlib.PyCdlib()
iso.new(interchange_level=3, joliet=3, udf='2.60', vol_ident='PYUDF')
for top, dirs, files in os.walk(tree):
    rel = os.path.relpath(top, tree)
    for d in sorted(dirs):
        iso.add_directory(udf_path='/' + os.path.normpath(os.path.join(rel, d)))
    for f in sorted(files):
        path = '/' + os.path.normpath(os.path.join(rel, f))
        size = os.path.getsize(os.path.join(top, f))
        if path == '/README.TXT':
            iso.add_file(os.path.join(top, f), '/README.TXT;1', joliet_path=path, udf_path=path)
        else:
            iso.add_file(os.path.join(top, f), udf_path=path)
iso.add_symlink(udf_symlink_path='/wim', udf_target='sources/install.wim')
iso.write(out)
)");
  const std::string cmd = "/usr/bin/python3 '" + (dir.path() / "make.py").string() + "' '" + tree.string() +
                          "' '" + iso.string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto bytes = read_all(iso);
  auto image = Image::open(memory_reader(bytes), bytes.size());
  ASSERT_TRUE(image) << image.error();
  EXPECT_EQ(image->naming(), Naming::udf);
  expect_same_files(tree, bytes, *image, dir.path() / "scratch");
  auto link = image->stat("wim");
  ASSERT_TRUE(link) << link.error();
  ASSERT_TRUE(link->symlink_target);
  EXPECT_EQ(*link->symlink_target, "sources/install.wim");
  auto through = image->resolve("wim", FollowLast::yes);
  ASSERT_TRUE(through) << through.error().message;
  EXPECT_EQ(through->size, fs::file_size(tree / "sources/install.wim"));

  // The ISO 9660 side is the stub: only README.TXT.
  hide_udf(bytes);
  auto stub = Image::open(memory_reader(bytes), bytes.size());
  ASSERT_TRUE(stub) << stub.error();
  EXPECT_EQ(stub->naming(), Naming::joliet);
  auto root = stub->list("/");
  ASSERT_TRUE(root) << root.error();
  ASSERT_EQ(root->size(), 1u);
  EXPECT_EQ((*root)[0].name, "README.TXT");
}

// mkudffs writes pure UDF (no CD001 at all) for each revision it supports on
// a 2048-byte-block image; its root is empty.
TEST(UdfTools, MkudffsEmptyVolumesOpen) {
  REQUIRE_TOOL("command -v mkudffs || test -x /usr/sbin/mkudffs", "mkudffs (udftools)");
  for (std::string revision : {"1.02", "1.50", "2.00", "2.01"}) {
    SCOPED_TRACE(revision);
    TempDir dir;
    const fs::path img = dir.path() / "m.img";
    const std::string cmd = "truncate -s 4M '" + img.string() + "' && " + mkudffs() + " --media-type=hd --udfrev=" +
                            revision + " --blocksize=2048 --label=Rev" + revision + " '" + img.string() +
                            "' >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    auto bytes = read_all(img);
    auto image = Image::open(memory_reader(bytes), bytes.size());
    ASSERT_TRUE(image) << image.error();
    EXPECT_EQ(image->naming(), Naming::udf);
    EXPECT_EQ(image->volume_id(), "Rev" + revision);
    EXPECT_FALSE(image->volume_info());  // UDF alone: no ISO 9660 descriptor to read
    auto root = image->list("/");
    ASSERT_TRUE(root) << root.error();
    EXPECT_TRUE(root->empty());
  }
}

TEST(UdfTools, MkudffsWithSmallBlocksSaysWhatIsUnsupported) {
  REQUIRE_TOOL("command -v mkudffs || test -x /usr/sbin/mkudffs", "mkudffs (udftools)");
  TempDir dir;
  const fs::path img = dir.path() / "m.img";
  const std::string cmd = "truncate -s 4M '" + img.string() +
                          "' && " + mkudffs() + " --media-type=hd --blocksize=512 '" + img.string() + "' >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto bytes = read_all(img);
  auto image = Image::open(memory_reader(bytes), bytes.size());
  ASSERT_FALSE(image);
  EXPECT_NE(image.error().find("UDF with 512-byte blocks is not supported"), std::string::npos) << image.error();
}

TEST(UdfTools, IsoLsShowsUdfNaming) {
  UdfBuilder b;
  const std::uint32_t root = b.add_directory({UdfBuilder::fid("hello.txt", b.add_file("hi\n"))});
  auto bytes = b.finish(root);
  TempDir dir;
  const fs::path img = dir.path() / "b.img";
  write_file(img, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(iso_ls(img.string(), "", out, err), 0) << err.str();
  EXPECT_NE(out.str().find("naming: udf  volume: TestUDF"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("hello.txt"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace pxed::iso
