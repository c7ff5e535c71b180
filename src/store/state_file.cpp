#include "store/state_file.hpp"

#include <fcntl.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace pxed::store::state {
namespace {

namespace fs = std::filesystem;

// Bigger than anything pxed writes beside its databases (a count, a pid).
constexpr std::size_t kSmallFileMax = 64 * 1024;

std::string errno_text(int error) { return std::system_category().message(error); }

std::string describe(const struct stat& st) {
  if (S_ISLNK(st.st_mode)) return "a symbolic link";
  if (S_ISDIR(st.st_mode)) return "a directory";
  if (S_ISFIFO(st.st_mode)) return "a FIFO";
  if (S_ISSOCK(st.st_mode)) return "a socket";
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) return "a device";
  return "not a regular file";
}

std::string refused(const fs::path& file, std::string_view what) {
  return file.string() + ": " + std::string(what) +
         "; pxed opens files in server.state_dir only as regular files of their own (someone with write access "
         "to the directory may have planted it): look at it, then remove it";
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

// ---- AsOwner

std::expected<AsOwner, std::string> AsOwner::of(const fs::path& dir) {
  AsOwner guard;
  if (::geteuid() != 0) return guard;
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0) return std::unexpected(dir.string() + ": " + errno_text(errno));
  if (st.st_uid == 0) return guard;
  // What to go back to: 0, or the owner already when an outer guard switched.
  // Group first: with fsuid no longer 0 we could not change it any more.
  guard.previous_gid_ = static_cast<gid_t>(::setfsgid(st.st_gid));
  guard.previous_uid_ = static_cast<uid_t>(::setfsuid(st.st_uid));
  guard.switched_ = true;
  // setfsuid reports the previous value, never an error: ask again to be sure.
  if (static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))) != st.st_uid) {
    return std::unexpected(dir.string() + ": cannot act as its owner (uid " + std::to_string(st.st_uid) + ")");
  }
  return guard;
}

AsOwner::AsOwner(AsOwner&& other) noexcept
    : switched_(std::exchange(other.switched_, false)),
      previous_uid_(other.previous_uid_),
      previous_gid_(other.previous_gid_) {}

AsOwner::~AsOwner() {
  if (!switched_) return;
  ::setfsuid(previous_uid_);
  ::setfsgid(previous_gid_);
}

// ---- names in the state dir

std::expected<void, std::string> check_plain(const fs::path& dir, std::string_view name) {
  const fs::path file = dir / name;
  struct stat st{};
  if (::lstat(file.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return std::unexpected(file.string() + ": " + errno_text(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    std::string what = "is " + describe(st);
    if (S_ISLNK(st.st_mode)) {
      std::error_code ec;
      const auto target = fs::read_symlink(file, ec);
      if (!ec) what += " to " + target.string();
    }
    return std::unexpected(refused(file, what));
  }
  // A hard link to a file elsewhere (/etc/shadow) would be written through.
  if (st.st_nlink != 1) return std::unexpected(refused(file, "has " + std::to_string(st.st_nlink) + " hard links"));
  // Made by root (an older pxed opened it before dropping privileges) in a directory
  // that is the service user's: hand it over, so the open below, as that user, works.
  struct stat dir_st{};
  if (::geteuid() == 0 && st.st_uid == 0 && ::stat(dir.c_str(), &dir_st) == 0 && dir_st.st_uid != 0) {
    Fd f{::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)};
    struct stat again{};
    if (f.fd < 0 || ::fstat(f.fd, &again) != 0) return std::unexpected(file.string() + ": " + errno_text(errno));
    if (again.st_ino != st.st_ino || again.st_dev != st.st_dev || !S_ISREG(again.st_mode) || again.st_nlink != 1) {
      return std::unexpected(refused(file, "changed while pxed looked at it"));
    }
    if (::fchown(f.fd, dir_st.st_uid, dir_st.st_gid) != 0 || ::fchmod(f.fd, 0600) != 0) {
      return std::unexpected(file.string() + ": cannot hand it to the state directory's owner: " + errno_text(errno));
    }
  }
  return {};
}

std::expected<void, std::string> check_database(const fs::path& dir, std::string_view name) {
  if (auto r = check_plain(dir, name); !r) return r;
  for (std::string_view suffix : kSqliteCompanions) {
    if (auto r = check_plain(dir, std::string(name) + std::string(suffix)); !r) return r;
  }
  return {};
}

std::expected<int, std::string> open_plain(const fs::path& dir, std::string_view name, int flags) {
  const fs::path file = dir / name;
  int fd = -1;
  do {
    fd = ::open(file.c_str(), flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0 && errno == ELOOP) return std::unexpected(refused(file, "is a symbolic link"));
  if (fd < 0) return std::unexpected(file.string() + ": cannot open: " + errno_text(errno));
  struct stat st{};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink > 1) {
    const std::string what = S_ISREG(st.st_mode) ? "has hard links" : "is " + describe(st);
    ::close(fd);
    return std::unexpected(refused(file, what));
  }
  // Only the open was not to wait (a FIFO); reads and writes of a file may.
  if ((flags & O_NONBLOCK) == 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

std::expected<void, std::string> create_private(const fs::path& dir, std::string_view name) {
  auto fd = open_plain(dir, name, O_RDWR | O_CREAT);
  if (!fd) return std::unexpected(fd.error());
  ::close(*fd);
  return {};
}

std::expected<void, std::string> replace(const fs::path& dir, std::string_view name, std::string_view text) {
  auto as_owner = AsOwner::of(dir);
  if (!as_owner) return std::unexpected(as_owner.error());
  const std::string fresh = std::string(name) + ".new";
  auto opened = open_plain(dir, fresh, O_WRONLY | O_CREAT | O_TRUNC);
  if (!opened) return std::unexpected(opened.error());
  Fd f{*opened};
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(f.fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::unexpected((dir / fresh).string() + ": cannot write: " + errno_text(errno));
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(f.fd) != 0) return std::unexpected((dir / fresh).string() + ": cannot sync: " + errno_text(errno));
  // rename(2) replaces a link planted at <name> itself, never what it points to.
  if (::rename((dir / fresh).c_str(), (dir / name).c_str()) != 0) {
    return std::unexpected((dir / name).string() + ": cannot replace: " + errno_text(errno));
  }
  return {};
}

std::expected<std::optional<std::string>, std::string> read_small(const fs::path& dir, std::string_view name) {
  if (auto r = check_plain(dir, name); !r) return std::unexpected(r.error());
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(dir / name, ec))) return std::optional<std::string>{};
  auto opened = open_plain(dir, name, O_RDONLY);
  if (!opened) return std::unexpected(opened.error());
  Fd f{*opened};
  std::string text(kSmallFileMax, '\0');
  std::size_t done = 0;
  for (;;) {
    const ssize_t n = ::read(f.fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected((dir / name).string() + ": cannot read: " + errno_text(errno));
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
    if (done == text.size()) return std::unexpected((dir / name).string() + ": larger than pxed ever writes it");
  }
  text.resize(done);
  return std::optional<std::string>{std::move(text)};
}

}  // namespace pxed::store::state
