#include "vfs/tree.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "support/test_support.hpp"

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "vfs/path.hpp"

namespace pxed::vfs {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using test::TempDir;

void write_file(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

using test::run_in_child;

// Exit codes for children: an OpenError's value, or one of these.
constexpr int kOpened = 100;
constexpr int kCannotDropPrivileges = 101;

// Groups first, then gid, then uid: once the uid is gone nothing else can change.
bool become_nobody() {
  constexpr uid_t kNobody = 65534;
  return ::setgroups(0, nullptr) == 0 && ::setresgid(kNobody, kNobody, kNobody) == 0 &&
         ::setresuid(kNobody, kNobody, kNobody) == 0;
}

int open_result_code(const Tree& tree, std::string_view raw) {
  auto file = tree.open(raw);
  return file ? kOpened : static_cast<int>(file.error());
}

// The layout a PXE root might have, plus every trap a client could aim at.
class TreeOpen : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path& r = dir_.path();
    write_file(r / "lpxelinux.0", "bios loader");
    write_file(r / "empty", "");
    fs::create_directory(r / "pxelinux.cfg");
    write_file(r / "pxelinux.cfg" / "default", "DEFAULT menu\n");
    fs::create_directory(r / "sub");
    write_file(r / "sub" / "a.txt", "alpha");
    fs::create_symlink("sub/a.txt", r / "link-inside");
    fs::create_symlink("sub", r / "dirlink");
    fs::create_symlink("../lpxelinux.0", r / "sub" / "sibling");
    fs::create_symlink(r / "sub" / "a.txt", r / "abs-inside");
    fs::create_symlink("/etc/passwd", r / "passwd");
    fs::create_symlink("../../etc/passwd", r / "climb");
    fs::create_symlink("../../etc/passwd", r / "sub" / "climb");
    fs::create_symlink("loop-b", r / "loop-a");
    fs::create_symlink("loop-a", r / "loop-b");
    fs::create_symlink("nothing-here", r / "dangling");
    ASSERT_EQ(::mkfifo((r / "fifo").c_str(), 0644), 0) << std::strerror(errno);

    auto tree = Tree::open_root(r);
    ASSERT_TRUE(tree.has_value()) << tree.error();
    tree_.emplace(std::move(*tree));
  }

  void TearDown() override {
    // Give back what the permission test took away, or remove_all cannot descend.
    ::chmod((dir_.path() / "locked").c_str(), 0700);
  }

  const Tree& tree() const { return *tree_; }
  std::optional<OpenError> error_of(std::string_view raw) const {
    auto file = tree().open(raw);
    if (file) return std::nullopt;
    return file.error();
  }
  std::string content_of(std::string_view raw) const {
    auto file = tree().open(raw);
    if (!file) return "<" + std::string(to_string(file.error())) + ">";
    std::string out(file->size(), '\0');
    auto n = file->read_at(std::as_writable_bytes(std::span(out)), 0);
    if (!n) return "<errno " + std::to_string(n.error()) + ">";
    out.resize(*n);
    return out;
  }

  TempDir dir_;
  std::optional<Tree> tree_;
};

TEST_F(TreeOpen, OpensRegularFileWithItsSize) {
  auto file = tree().open("lpxelinux.0");
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->size(), 11u);
  EXPECT_GE(file->fd(), 0);
  EXPECT_EQ(content_of("lpxelinux.0"), "bios loader");
}

TEST_F(TreeOpen, OpensEmptyFileWithSizeZero) {
  auto file = tree().open("empty");
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->size(), 0u);
}

TEST_F(TreeOpen, OpensNamesAsWindowsLoadersSpellThem) {
  EXPECT_EQ(content_of("pxelinux.cfg\\default"), "DEFAULT menu\n");
  EXPECT_EQ(content_of("/pxelinux.cfg//default"), "DEFAULT menu\n");
}

TEST_F(TreeOpen, FollowsSymlinksThatStayInside) {
  EXPECT_EQ(content_of("link-inside"), "alpha");
  EXPECT_EQ(content_of("dirlink/a.txt"), "alpha");
  // ".." inside a link target is fine while it stays beneath the root.
  EXPECT_EQ(content_of("sub/sibling"), "bios loader");
}

TEST_F(TreeOpen, RefusesAbsoluteSymlinkEvenWhenItPointsInside) {
  // RESOLVE_BENEATH judges the link, not where it lands: an absolute target
  // would mean something else once the root moves or is bind-mounted.
  EXPECT_EQ(error_of("abs-inside"), OpenError::outside_root);
}

TEST_F(TreeOpen, RefusesSymlinkToEtcPasswd) {
  EXPECT_EQ(error_of("passwd"), OpenError::outside_root);
}

TEST_F(TreeOpen, RefusesRelativeSymlinkClimbingOut) {
  EXPECT_EQ(error_of("climb"), OpenError::outside_root);
  EXPECT_EQ(error_of("sub/climb"), OpenError::outside_root);
}

TEST_F(TreeOpen, RefusesSymlinkLoopAsOutsideRoot) {
  EXPECT_EQ(error_of("loop-a"), OpenError::outside_root);
}

TEST_F(TreeOpen, DanglingSymlinkIsNotFound) {
  EXPECT_EQ(error_of("dangling"), OpenError::not_found);
}

TEST_F(TreeOpen, MissingNamesAreNotFound) {
  EXPECT_EQ(error_of("pxelinux.cfg/01-52-54-00-12-34-56"), OpenError::not_found);
  EXPECT_EQ(error_of("no/such/dir/file"), OpenError::not_found);
  // A file used as a directory (ENOTDIR).
  EXPECT_EQ(error_of("lpxelinux.0/x"), OpenError::not_found);
  // A component past NAME_MAX (ENAMETOOLONG) cannot exist either.
  EXPECT_EQ(error_of(std::string(300, 'n')), OpenError::not_found);
}

TEST_F(TreeOpen, RefusesBadPathsBeforeTouchingDisk) {
  EXPECT_EQ(error_of("../etc/passwd"), OpenError::bad_path);
  EXPECT_EQ(error_of("sub/../lpxelinux.0"), OpenError::bad_path);
  EXPECT_EQ(error_of(std::string("lpxelinux.0\0.png", 16)), OpenError::bad_path);
  EXPECT_EQ(error_of(""), OpenError::bad_path);
  EXPECT_EQ(error_of(std::string(kMaxPath + 1, 'a')), OpenError::bad_path);
}

TEST_F(TreeOpen, DirectoriesAreNotFiles) {
  EXPECT_EQ(error_of("sub"), OpenError::not_a_file);
  EXPECT_EQ(error_of("dirlink"), OpenError::not_a_file);
  EXPECT_EQ(error_of("/"), OpenError::not_a_file);
  EXPECT_EQ(error_of("."), OpenError::not_a_file);
}

TEST_F(TreeOpen, FifoIsNotAFileAndOpeningItDoesNotBlock) {
  // No writer ever opens the FIFO: a blocking open would wait forever.
  auto code = run_in_child([&] { return open_result_code(tree(), "fifo"); }, 5s);
  ASSERT_TRUE(code.has_value()) << "open() of a FIFO blocked or crashed";
  EXPECT_EQ(*code, static_cast<int>(OpenError::not_a_file));
}

TEST_F(TreeOpen, SocketIsNotAFile) {
  fs::path where = dir_.path() / "socket";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(where.string().size(), sizeof addr.sun_path);
  std::memcpy(addr.sun_path, where.c_str(), where.string().size());
  int sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(sock, 0);
  int bound = ::bind(sock, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  ::close(sock);
  ASSERT_EQ(bound, 0) << std::strerror(errno);
  EXPECT_EQ(error_of("socket"), OpenError::not_a_file);
}

TEST_F(TreeOpen, UnreadableFileOrDirectoryIsPermission) {
  const fs::path& r = dir_.path();
  write_file(r / "secret", "s");
  fs::create_directory(r / "locked");
  write_file(r / "locked" / "inner", "i");
  ASSERT_EQ(::chmod((r / "secret").c_str(), 0), 0);
  ASSERT_EQ(::chmod((r / "locked").c_str(), 0), 0);
  ASSERT_EQ(::chmod(r.c_str(), 0755), 0);  // so an unprivileged child can reach them

  // Root bypasses mode bits, so as root the check runs in a child that has
  // become nobody, which is also what pxed is after its privilege drop.
  auto check = [&](std::string_view raw) {
    return run_in_child(
        [&] {
          if (::geteuid() == 0 && !become_nobody()) return kCannotDropPrivileges;
          return open_result_code(tree(), raw);
        },
        5s);
  };
  auto secret = check("secret");
  ASSERT_TRUE(secret.has_value());
  if (*secret == kCannotDropPrivileges) GTEST_SKIP() << "running as root and cannot become nobody";
  EXPECT_EQ(*secret, static_cast<int>(OpenError::permission));
  EXPECT_EQ(check("locked/inner"), static_cast<int>(OpenError::permission));
  EXPECT_EQ(check("lpxelinux.0"), kOpened);  // the child could open what is readable
}

TEST(TreeOpenRoot, MissingRootSaysWhatAndWhere) {
  auto tree = Tree::open_root("/nonexistent/pxe-root");
  ASSERT_FALSE(tree.has_value());
  EXPECT_EQ(tree.error(), "files.root /nonexistent/pxe-root: No such file or directory");
}

TEST(TreeOpenRoot, RootThatIsAFileSaysNotADirectory) {
  TempDir dir;
  write_file(dir.path() / "file", "x");
  auto tree = Tree::open_root(dir.path() / "file");
  ASSERT_FALSE(tree.has_value());
  EXPECT_EQ(tree.error(), "files.root " + (dir.path() / "file").string() + ": Not a directory");
}

TEST(TreeOpenRoot, EmptyRootSaysToSetIt) {
  auto tree = Tree::open_root("");
  ASSERT_FALSE(tree.has_value());
  EXPECT_NE(tree.error().find("files.root"), std::string::npos);
}

TEST(TreeOpenRoot, MovedTreeKeepsServing) {
  TempDir dir;
  write_file(dir.path() / "f", "x");
  auto opened = Tree::open_root(dir.path());
  ASSERT_TRUE(opened.has_value());
  Tree tree = std::move(*opened);
  EXPECT_EQ(tree.root(), dir.path());
  EXPECT_TRUE(tree.open("f").has_value());
}

TEST(TreeOpenError, HasShortLogWords) {
  EXPECT_EQ(to_string(OpenError::bad_path), "bad-path");
  EXPECT_EQ(to_string(OpenError::not_found), "not-found");
  EXPECT_EQ(to_string(OpenError::outside_root), "outside-root");
  EXPECT_EQ(to_string(OpenError::not_a_file), "not-a-file");
  EXPECT_EQ(to_string(OpenError::permission), "permission");
  EXPECT_EQ(to_string(OpenError::io), "io");
}

// read_at on a file whose every byte is known.
class TreeFile : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_.path() / "digits", "0123456789");
    std::string big(kBigSize, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 % 251);
    write_file(dir_.path() / "big", big);
    big_ = std::move(big);
    auto tree = Tree::open_root(dir_.path());
    ASSERT_TRUE(tree.has_value()) << tree.error();
    tree_.emplace(std::move(*tree));
  }

  File open(std::string_view name) {
    auto file = tree_->open(name);
    if (!file) throw std::runtime_error("open failed");
    return std::move(*file);
  }

  // Reads `want` bytes at offset; the string holds what came back.
  static std::string read(const File& file, std::size_t want, std::uint64_t offset) {
    std::string out(want, '\0');
    auto n = file.read_at(std::as_writable_bytes(std::span(out)), offset);
    if (!n) return "<errno " + std::to_string(n.error()) + ">";
    out.resize(*n);
    return out;
  }

  static constexpr std::size_t kBigSize = (1u << 20) + 7;  // not a multiple of any block size
  TempDir dir_;
  std::optional<Tree> tree_;
  std::string big_;
};

TEST_F(TreeFile, ReadsExactBytesAtOffsets) {
  File f = open("digits");
  EXPECT_EQ(read(f, 10, 0), "0123456789");
  EXPECT_EQ(read(f, 3, 0), "012");
  EXPECT_EQ(read(f, 4, 5), "5678");
  EXPECT_EQ(read(f, 1, 9), "9");
}

TEST_F(TreeFile, ReadSpanningEndIsShort) {
  File f = open("digits");
  EXPECT_EQ(read(f, 8, 6), "6789");
}

TEST_F(TreeFile, ReadAtOrPastEndIsZeroBytes) {
  File f = open("digits");
  EXPECT_EQ(read(f, 4, 10), "");
  EXPECT_EQ(read(f, 4, 11), "");
  EXPECT_EQ(read(f, 4, std::uint64_t{1} << 40), "");
  EXPECT_EQ(read(f, 4, std::numeric_limits<std::uint64_t>::max()), "");
  EXPECT_EQ(read(f, 0, 3), "");
}

TEST_F(TreeFile, ReadsLargeFileWholeAndInBlocks) {
  File f = open("big");
  ASSERT_EQ(f.size(), kBigSize);
  EXPECT_EQ(read(f, kBigSize + 100, 0), big_);
  constexpr std::size_t kBlock = 1468;  // a TFTP blksize
  std::uint64_t last = (kBigSize / kBlock) * kBlock;
  EXPECT_EQ(read(f, kBlock, kBlock * 3), big_.substr(kBlock * 3, kBlock));
  EXPECT_EQ(read(f, kBlock, last), big_.substr(last));
}

TEST_F(TreeFile, DescriptorIsBlockingAndCloseOnExec) {
  File f = open("digits");
  int flags = ::fcntl(f.fd(), F_GETFL);
  ASSERT_GE(flags, 0);
  EXPECT_EQ(flags & O_NONBLOCK, 0);  // only the open itself needed it
  EXPECT_EQ(flags & O_ACCMODE, O_RDONLY);
  EXPECT_NE(::fcntl(f.fd(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST_F(TreeFile, MoveHandsOverTheDescriptor) {
  File a = open("digits");
  int fd = a.fd();
  File b = std::move(a);
  EXPECT_EQ(b.fd(), fd);
  EXPECT_EQ(b.size(), 10u);
  EXPECT_EQ(a.fd(), -1);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(read(b, 2, 0), "01");
  File c;
  c = std::move(b);
  EXPECT_EQ(c.fd(), fd);
  EXPECT_EQ(read(c, 2, 8), "89");
}

TEST_F(TreeFile, ClosesDescriptorWhenDestroyed) {
  int fd = -1;
  {
    File f = open("digits");
    fd = f.fd();
    ASSERT_GE(::fcntl(fd, F_GETFD), 0);
  }
  errno = 0;
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST_F(TreeFile, ReadOnEmptyHandleIsAnErrnoNotACrash) {
  File none;
  std::array<std::byte, 4> out{};
  auto n = none.read_at(out, 0);
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error(), EBADF);
}

}  // namespace
}  // namespace pxed::vfs
