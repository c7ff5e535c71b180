#include "vfs/beneath.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>  // glibc 2.36 has no openat2() wrapper
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <optional>
#include <utility>

namespace pxed::vfs {
namespace {

// Not retried on EINTR: on Linux the descriptor is released either way, and a
// retry could close one another thread has just been given.
void close_fd(int fd) {
  if (fd >= 0) ::close(fd);
}

// Owns a descriptor until it is handed to a File, so every early return closes it.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  ~FdGuard() { close_fd(fd_); }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer
// (and a device could wait for carrier) before we ever see what it is.
// O_NOCTTY: a terminal in the tree must never become our controlling tty.
constexpr std::uint64_t kOpenFlags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
// BENEATH: "..", absolute symlinks and symlinks that climb out all fail with
// EXDEV. NO_MAGICLINKS: /proc/<pid>/fd/N links jump anywhere without a path.
constexpr std::uint64_t kResolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
// openat2(2): with RESOLVE_BENEATH the kernel answers EAGAIN when a concurrent
// rename keeps it from proving a ".." step stays inside, and says to retry.
// Bounded, so a hostile renamer costs us a few syscalls, not a spin.
constexpr int kRenameRaceRetries = 8;

// Reading a directory's entries; O_DIRECTORY makes a file fail with ENOTDIR
// before anything (a FIFO, a device) is really opened.
constexpr std::uint64_t kListFlags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
// Only to learn what a name is: O_PATH opens nothing (no FIFO wait, no device
// side effects). openat2 refuses any other flag next to O_PATH.
constexpr std::uint64_t kProbeFlags = O_PATH | O_CLOEXEC;

// Cleared by the first EINVAL to a cached walk: asking again would cost a
// syscall per request for an answer that cannot change while we run.
std::atomic<bool> cached_walks_work{true};

// Returns the descriptor or the errno of the last attempt; with Wait::no,
// EAGAIN means a worker must walk (after_cached_walk).
std::expected<int, int> open_beneath(int dirfd, const std::string& rel, std::uint64_t flags = kOpenFlags,
                                     Wait wait = Wait::yes) {
  open_how how{};
  how.flags = flags;
  how.resolve = kResolve;
  if (wait == Wait::no) {
    if (!cached_walks_work.load(std::memory_order_relaxed)) return std::unexpected(EAGAIN);
    how.resolve |= RESOLVE_CACHED;
  }
  int races = 0;
  for (;;) {
    long fd = ::syscall(SYS_openat2, dirfd, rel.c_str(), &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    const int err = errno;
    if (err == EINTR) continue;
    if (wait == Wait::no) {
      // EAGAIN here is the cache's answer, not the rename race: a worker's
      // uncached walk retries that one.
      switch (after_cached_walk(err)) {
        case CachedWalk::answer: return std::unexpected(err);
        case CachedWalk::unsupported: cached_walks_work.store(false, std::memory_order_relaxed); break;
        case CachedWalk::ask_worker: break;
      }
      return std::unexpected(EAGAIN);
    }
    if (err == EAGAIN && ++races < kRenameRaceRetries) continue;
    return std::unexpected(err);
  }
}

OpenError open_error_from_errno(int err) {
  switch (err) {
    // Missing; a component is a file ("a.txt/x"); or a component longer than
    // NAME_MAX: in every case no file by that name exists.
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
      return OpenError::not_found;
    // RESOLVE_BENEATH caught an absolute symlink or a ".." in a symlink target
    // that would leave the root: an escape attempt, whoever placed the link.
    case EXDEV:
      return OpenError::outside_root;
    // A symlink loop, too deep a chain, or a magic link refused by
    // RESOLVE_NO_MAGICLINKS. We cannot show the name resolves inside the root,
    // so it is refused like an escape rather than reported as missing.
    case ELOOP:
      return OpenError::outside_root;
    // Mode bits, or an LSM / fanotify veto: the operator's files, not the name.
    case EACCES:
    case EPERM:
      return OpenError::permission;
    // A socket (open(2) says ENXIO), a device node without a driver, or a
    // directory refused for the flags: it exists but is nothing we serve.
    case ENXIO:
    case ENODEV:
    case EISDIR:
      return OpenError::not_a_file;
    // EMFILE/ENFILE/ENOMEM (load), EIO/ESTALE (storage), ENOSYS (kernel older
    // than 5.6), EAGAIN (the rename race above persisted): our trouble, and
    // saying "not found" would hide it.
    default:
      return OpenError::io;
  }
}

OpenError error_of(int err, Wait wait) {
  return wait == Wait::no && err == EAGAIN ? OpenError::would_block : open_error_from_errno(err);
}

// Checks what openat2 gave us and hands the descriptor to a File.
std::expected<File, OpenError> adopt_regular_file(int fd) {
  FdGuard guard{fd};
  struct stat st{};
  if (::fstat(guard.get(), &st) != 0) return std::unexpected(OpenError::io);
  // Directories, FIFOs, devices and sockets have no fixed size to offer as
  // tsize or Content-Length, and some never reach an end.
  if (!S_ISREG(st.st_mode)) return std::unexpected(OpenError::not_a_file);
  // O_NONBLOCK only guarded the open. Left set, it makes io_uring (and FUSE)
  // reads of this regular file fail with EAGAIN instead of waiting. F_SETFL
  // changes only O_APPEND, O_ASYNC, O_DIRECT, O_NOATIME and O_NONBLOCK, and
  // kOpenFlags sets none but the last: 0 clears it without asking F_GETFL
  // first, one syscall less on every file a request opens.
  static_assert((kOpenFlags & (O_APPEND | O_ASYNC | O_DIRECT | O_NOATIME)) == 0);
  if (::fcntl(guard.get(), F_SETFL, 0) != 0) return std::unexpected(OpenError::io);
  const std::int64_t mtime_ns =
      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return File{guard.release(), static_cast<std::uint64_t>(st.st_size), mtime_ns};
}

// What a listed name is once any symlink is followed from the root: only
// regular files and directories are listed.
std::optional<DirEntry> entry_of(std::string name, const struct stat& st) {
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) return std::nullopt;
  DirEntry e;
  e.name = std::move(name);
  e.directory = S_ISDIR(st.st_mode);
  e.size = e.directory ? 0 : static_cast<std::uint64_t>(st.st_size);
  e.mtime_seconds = static_cast<std::int64_t>(st.st_mtim.tv_sec);
  return e;
}

// Owns a DIR* (and so the descriptor fdopendir adopted).
struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

}  // namespace

std::expected<int, int> open_directory(const std::filesystem::path& dir) {
  int fd = -1;
  do {
    fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return std::unexpected(errno);
  return fd;
}

CachedWalk after_cached_walk(int err) {
  switch (err) {
    case EAGAIN: return CachedWalk::ask_worker;
    // openat2(2): an unknown RESOLVE_ flag is EINVAL, and our other flags are
    // fixed and valid, so only a kernel before 5.12 says it.
    case EINVAL: return CachedWalk::unsupported;
    default: return CachedWalk::answer;
  }
}

std::expected<File, OpenError> open_file_beneath(int dirfd, const std::string& rel, Wait wait) {
  auto fd = open_beneath(dirfd, rel, kOpenFlags, wait);
  if (!fd) return std::unexpected(error_of(fd.error(), wait));
  return adopt_regular_file(*fd);
}

std::expected<std::vector<DirEntry>, OpenError> list_beneath(int dirfd, const std::string& rel) {
  // dirfd is O_PATH (it cannot be read): the directory is opened afresh as ".".
  const std::string dir = rel.empty() ? std::string(".") : rel;
  auto fd = open_beneath(dirfd, dir, kListFlags);
  if (!fd) return std::unexpected(open_error_from_errno(fd.error()));
  FdGuard guard{*fd};
  std::unique_ptr<DIR, DirCloser> stream{::fdopendir(guard.get())};
  if (!stream) return std::unexpected(OpenError::io);
  guard.release();  // closedir closes it now
  const int listed_fd = ::dirfd(stream.get());

  std::vector<DirEntry> entries;
  for (;;) {
    errno = 0;
    const dirent* d = ::readdir(stream.get());
    if (d == nullptr) {
      if (errno != 0) return std::unexpected(OpenError::io);
      break;
    }
    std::string name = d->d_name;
    if (name == "." || name == "..") continue;
    struct stat st{};
    // Raced away (deleted since readdir) or unreadable: not worth failing the listing.
    if (::fstatat(listed_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      // Resolved from the root, not from this directory: "../x" may well stay
      // inside, and a link that leaves the root must not even show its name
      // (open() refuses it, and the listing would advertise the escape).
      std::string child = rel.empty() ? name : rel + "/" + name;
      auto target = open_beneath(dirfd, child, kProbeFlags);
      if (!target) continue;
      FdGuard target_guard{*target};
      if (::fstat(target_guard.get(), &st) != 0) continue;
    }
    if (auto e = entry_of(std::move(name), st)) {
      entries.push_back(std::move(*e));
      if (entries.size() >= kMaxListing) break;
    }
  }
  return entries;
}

std::expected<bool, OpenError> is_directory_beneath(int dirfd, const std::string& rel, Wait wait) {
  auto fd = open_beneath(dirfd, rel, kProbeFlags, wait);
  if (!fd) return std::unexpected(error_of(fd.error(), wait));
  FdGuard guard{*fd};
  struct stat st{};
  if (::fstat(guard.get(), &st) != 0) return std::unexpected(OpenError::io);
  return S_ISDIR(st.st_mode);
}

}  // namespace pxed::vfs
