// vfs::File: one descriptor, its extents, and read_at across them.
#include "vfs/file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "file_reading.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "iso/iso_test_support.hpp"
#include "vfs/generated.hpp"
#include "vfs/tree.hpp"

namespace pxed::vfs {
namespace {

namespace fs = std::filesystem;
using iso::testing::write_file;
using test::TempDir;

int open_read(const fs::path& path) { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }

using testing::read_in_chunks;
using testing::read_range;

TEST(VfsFile, PlainFileIsOneExtentWithItsMtime) {
  TempDir dir;
  write_file(dir.path() / "f", "hello");
  auto tree = Tree::open_root(dir.path());
  ASSERT_TRUE(tree) << tree.error();
  auto file = tree->open("f");
  ASSERT_TRUE(file);
  ASSERT_EQ(file->extents().size(), 1u);
  EXPECT_EQ(file->extents()[0], (Extent{0, 5}));
  const auto expected = fs::last_write_time(dir.path() / "f");
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::file_clock::to_sys(expected).time_since_epoch());
  EXPECT_EQ(file->mtime_ns() / 1'000'000'000, seconds.count());
}

TEST(VfsFile, ReadAtMapsLogicalOffsetsAcrossExtents) {
  TempDir dir;
  // "image": 0123456789abcdefghij; the member is "cdef" + "0123" + "xyz" (out of order, gaps).
  write_file(dir.path() / "image", "0123456789abcdefghijxyz");
  int fd = open_read(dir.path() / "image");
  ASSERT_GE(fd, 0);
  File file{std::make_shared<const Descriptor>(fd), {{12, 4}, {0, 4}, {20, 3}}, 42'000'000'000};
  EXPECT_EQ(file.size(), 11u);
  EXPECT_EQ(file.mtime_ns(), 42'000'000'000);
  EXPECT_EQ(read_in_chunks(file, 1), "cdef0123xyz");
  EXPECT_EQ(read_in_chunks(file, 3), "cdef0123xyz");
  EXPECT_EQ(read_in_chunks(file, 64), "cdef0123xyz");
  EXPECT_EQ(read_range(file, 3, 3), "f01");      // straddles the first boundary
  EXPECT_EQ(read_range(file, 2, 8), "ef0123xy");  // spans all three extents
  EXPECT_EQ(read_range(file, 8, 100), "xyz");     // short only at the end
  EXPECT_EQ(read_range(file, 11, 4), "");
  EXPECT_EQ(read_range(file, ~0ull - 2, 4), "");
}

TEST(VfsFile, ReadWithoutWaitingServesThePageCacheAndSaysEagainForTheDisk) {
  TempDir dir;
  const std::string content(256 * 1024, 'p');
  write_file(dir.path() / "f", content);
  int fd = open_read(dir.path() / "f");
  ASSERT_GE(fd, 0);
  File file{fd, content.size()};
  std::vector<std::byte> out(4096);
  // Just written: in the page cache, so the loop may read it itself.
  auto hot = file.read_at(out, 8192, Wait::no);
  ASSERT_TRUE(hot);
  EXPECT_EQ(*hot, out.size());
  // Dropped from the cache (clean pages, after fdatasync), the same read must
  // not wait for the disk: EAGAIN, and the service hands it to a worker.
  ::fdatasync(fd);
  ASSERT_EQ(::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
  auto cold = file.read_at(out, 128 * 1024, Wait::no);
  if (cold) GTEST_SKIP() << "this file system reads without RWF_NOWAIT support (tmpfs keeps pages)";
  EXPECT_EQ(cold.error(), EAGAIN);
  auto waited = file.read_at(out, 128 * 1024, Wait::yes);
  ASSERT_TRUE(waited);
  EXPECT_EQ(*waited, out.size());
}

TEST(VfsFile, AFileSystemThatCannotSayWhatIsCachedReadsAsNotCached) {
  // Generated files are memfds; shmem may refuse RWF_NOWAIT (EOPNOTSUPP),
  // which must send the read to a worker, not fail the transfer.
  auto file = file_of("DEFAULT local\n");
  ASSERT_TRUE(file);
  std::vector<std::byte> out(64);
  auto quick = file->read_at(out, 0, Wait::no);
  if (quick) {
    EXPECT_EQ(*quick, 14u);  // this kernel's shmem answers from memory
  } else {
    EXPECT_EQ(quick.error(), EAGAIN);
  }
  EXPECT_EQ(file->read_at(out, 0, Wait::yes), 14u);
}

TEST(VfsFile, ZeroLengthMemberReadsNothingFromTheImage) {
  TempDir dir;
  write_file(dir.path() / "image", "not part of the file");
  int fd = open_read(dir.path() / "image");
  ASSERT_GE(fd, 0);
  File file{std::make_shared<const Descriptor>(fd), {{0, 0}}, 0};
  EXPECT_EQ(file.size(), 0u);
  EXPECT_EQ(read_range(file, 0, 8), "");
}

TEST(VfsFile, MovedFromFileHasNothingLeft) {
  TempDir dir;
  write_file(dir.path() / "image", "abc");
  int fd = open_read(dir.path() / "image");
  File a{std::make_shared<const Descriptor>(fd), {{1, 2}}, 0};
  File b = std::move(a);
  EXPECT_EQ(b.fd(), fd);
  EXPECT_EQ(a.fd(), -1);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(a.size(), 0u);
  EXPECT_TRUE(a.extents().empty());
  EXPECT_EQ(read_range(b, 0, 2), "bc");
}

}  // namespace
}  // namespace pxed::vfs
