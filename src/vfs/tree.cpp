#include "vfs/tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>  // glibc 2.36 has no openat2() wrapper
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "iso/image.hpp"
#include "vfs/path.hpp"

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

// Returns the descriptor or the errno of the last attempt.
std::expected<int, int> open_beneath(int dirfd, const std::string& rel,
                                     std::uint64_t flags = kOpenFlags) {
  open_how how{};
  how.flags = flags;
  how.resolve = kResolve;
  int races = 0;
  for (;;) {
    long fd = ::syscall(SYS_openat2, dirfd, rel.c_str(), &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    if (errno == EINTR) continue;
    if (errno == EAGAIN && ++races < kRenameRaceRetries) continue;
    return std::unexpected(errno);
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

// Checks what openat2 gave us and hands the descriptor to a File.
std::expected<File, OpenError> adopt_regular_file(int fd) {
  FdGuard guard{fd};
  struct stat st{};
  if (::fstat(guard.get(), &st) != 0) return std::unexpected(OpenError::io);
  // Directories, FIFOs, devices and sockets have no fixed size to offer as
  // tsize or Content-Length, and some never reach an end.
  if (!S_ISREG(st.st_mode)) return std::unexpected(OpenError::not_a_file);
  // O_NONBLOCK only guarded the open. Left set, it makes io_uring (and FUSE)
  // reads of this regular file fail with EAGAIN instead of waiting.
  int flags = ::fcntl(guard.get(), F_GETFL);
  if (flags < 0 || ::fcntl(guard.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return std::unexpected(OpenError::io);
  }
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

std::string_view to_string(OpenError e) {
  switch (e) {
    case OpenError::bad_path: return "bad-path";
    case OpenError::not_found: return "not-found";
    case OpenError::outside_root: return "outside-root";
    case OpenError::not_a_file: return "not-a-file";
    case OpenError::permission: return "permission";
    case OpenError::io: return "io";
  }
  return "unknown";
}

std::expected<Tree, std::string> Tree::open_root(const std::filesystem::path& root) {
  if (root.empty()) {
    return std::unexpected(std::string{"files.root is empty: set it to the directory to serve"});
  }
  int fd = -1;
  do {
    fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    return std::unexpected("files.root " + root.string() + ": " +
                           std::generic_category().message(errno));
  }
  return Tree{fd, root};
}

Tree::Tree(int dirfd, std::filesystem::path root) : dirfd_(dirfd), root_(std::move(root)) {}

Tree::Tree(Tree&& other) noexcept
    : dirfd_(std::exchange(other.dirfd_, -1)),
      root_(std::move(other.root_)),
      mounts_(std::move(other.mounts_)) {}

Tree& Tree::operator=(Tree&& other) noexcept {
  if (this != &other) {
    close_fd(dirfd_);
    dirfd_ = std::exchange(other.dirfd_, -1);
    root_ = std::move(other.root_);
    mounts_ = std::move(other.mounts_);
  }
  return *this;
}

std::pair<const Tree::Mount*, std::string_view> Tree::mount_of(std::string_view rel) const {
  const Mount* best = nullptr;
  for (const Mount& m : mounts_) {
    const bool inside = rel == m.at || (rel.starts_with(m.at) && rel.size() > m.at.size() &&
                                        rel[m.at.size()] == '/');
    if (inside && (best == nullptr || m.at.size() > best->at.size())) best = &m;
  }
  if (best == nullptr) return {nullptr, {}};
  std::string_view inner = rel.substr(best->at.size());
  if (inner.starts_with('/')) inner.remove_prefix(1);
  return {best, inner};
}

std::vector<std::string> Tree::mount_children(std::string_view rel) const {
  std::vector<std::string> names;
  for (const Mount& m : mounts_) {
    std::string_view rest = m.at;
    if (!rel.empty()) {
      if (!(rest.starts_with(rel) && rest.size() > rel.size() && rest[rel.size()] == '/')) continue;
      rest.remove_prefix(rel.size() + 1);
    }
    std::string name{rest.substr(0, rest.find('/'))};
    if (std::ranges::find(names, name) == names.end()) names.push_back(std::move(name));
  }
  return names;
}

std::expected<void, std::string> Tree::add_iso_mount(std::string_view at,
                                                     const std::filesystem::path& image_path) {
  const std::string where = "files.mount at=" + std::string(at) + " iso=" + image_path.string();
  auto rel = normalize(at);
  if (!rel) return std::unexpected(where + ": at: " + std::string(to_string(rel.error())));
  if (rel->empty()) return std::unexpected(where + ": at must not be the root \"/\"");
  for (const Mount& m : mounts_) {
    if (m.at == *rel) return std::unexpected(where + ": /" + *rel + " is already mounted");
  }
  int raw = -1;
  do {
    raw = ::open(image_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  } while (raw < 0 && errno == EINTR);
  if (raw < 0) return std::unexpected(where + ": " + std::generic_category().message(errno));
  auto fd = std::make_shared<const Descriptor>(raw);
  struct stat st{};
  if (::fstat(fd->get(), &st) != 0) {
    return std::unexpected(where + ": " + std::generic_category().message(errno));
  }
  if (!S_ISREG(st.st_mode)) return std::unexpected(where + ": not a regular file");
  int flags = ::fcntl(fd->get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd->get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return std::unexpected(where + ": " + std::generic_category().message(errno));
  }
  iso::ReadAt read = [fd](std::span<std::byte> out, std::uint64_t offset) {
    return pread_full(fd->get(), out, offset);
  };
  auto image = iso::Image::open(std::move(read), static_cast<std::uint64_t>(st.st_size));
  if (!image) return std::unexpected(where + ": " + image.error());
  mounts_.push_back(Mount{*rel, fd, std::make_shared<const iso::Image>(std::move(*image))});
  return {};
}

Tree::~Tree() { close_fd(dirfd_); }

std::expected<File, OpenError> Tree::open(std::string_view raw) const {
  auto rel = normalize(raw);
  if (!rel) return std::unexpected(OpenError::bad_path);
  // The root is a directory: asking for it is asking for a listing.
  if (rel->empty()) return std::unexpected(OpenError::not_a_file);
  if (auto [mount, inner] = mount_of(*rel); mount != nullptr) {
    if (inner.empty()) return std::unexpected(OpenError::not_a_file);  // the mount point
    auto entry = mount->image->stat(inner);
    // A missing name and an unreadable directory record look alike here.
    if (!entry) return std::unexpected(OpenError::not_found);
    // Links are not followed yet: what a link inside an image means is for a later version.
    if (entry->symlink_target) return std::unexpected(OpenError::not_found);
    if (entry->directory) return std::unexpected(OpenError::not_a_file);
    std::vector<Extent> extents;
    extents.reserve(entry->extents.size());
    for (const auto& e : entry->extents) extents.push_back(Extent{e.offset, e.length});
    return File{mount->image_fd, std::move(extents), entry->mtime * 1'000'000'000};
  }
  auto fd = open_beneath(dirfd_, *rel);
  if (!fd) return std::unexpected(open_error_from_errno(fd.error()));
  return adopt_regular_file(*fd);
}


namespace {

// A directory of the root tree itself (no mounts); rel is normalized.
std::expected<std::vector<DirEntry>, OpenError> list_real(int root_fd, const std::string& rel) {
  // root_fd is O_PATH (it cannot be read): the root is opened afresh as ".".
  const std::string dir = rel.empty() ? std::string(".") : rel;
  auto fd = open_beneath(root_fd, dir, kListFlags);
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
      auto target = open_beneath(root_fd, child, kProbeFlags);
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

// Directories first, then by name (bytewise).
void sort_listing(std::vector<DirEntry>& entries) {
  std::ranges::sort(entries, [](const DirEntry& a, const DirEntry& b) {
    if (a.directory != b.directory) return a.directory;
    return a.name < b.name;
  });
}

// A directory inside an image. Links are left out: open() refuses them.
std::expected<std::vector<DirEntry>, OpenError> list_image(const iso::Image& image,
                                                          std::string_view inner) {
  auto members = image.list(inner);
  if (!members) return std::unexpected(OpenError::not_found);
  std::vector<DirEntry> entries;
  for (auto& m : *members) {
    if (m.symlink_target) continue;
    entries.push_back(DirEntry{std::move(m.name), m.directory, m.directory ? 0 : m.size, m.mtime});
    if (entries.size() >= kMaxListing) break;
  }
  return entries;
}

}  // namespace

std::expected<std::vector<DirEntry>, OpenError> Tree::list(std::string_view raw) const {
  auto rel = normalize(raw);
  if (!rel) return std::unexpected(OpenError::bad_path);
  auto [mount, inner] = mount_of(*rel);
  auto entries = mount != nullptr ? list_image(*mount->image, inner) : list_real(dirfd_, *rel);
  // Mount points below rel show as directories, over whatever shares their
  // name, even where the directories leading to them do not exist.
  auto children = mount_children(*rel);
  if (!children.empty()) {
    if (!entries && entries.error() != OpenError::not_found) return entries;
    if (!entries) entries.emplace();
    for (auto& name : children) {
      std::erase_if(*entries, [&](const DirEntry& e) { return e.name == name; });
      entries->push_back(DirEntry{std::move(name), true, 0, 0});
    }
  }
  if (entries) sort_listing(*entries);
  return entries;
}

std::expected<bool, OpenError> Tree::is_directory(std::string_view raw) const {
  auto rel = normalize(raw);
  if (!rel) return std::unexpected(OpenError::bad_path);
  if (rel->empty()) return true;
  if (auto [mount, inner] = mount_of(*rel); mount != nullptr) {
    if (inner.empty()) return true;
    auto entry = mount->image->stat(inner);
    if (!entry || entry->symlink_target) return std::unexpected(OpenError::not_found);
    return entry->directory;
  }
  if (!mount_children(*rel).empty()) return true;  // on the way to a mount point
  auto fd = open_beneath(dirfd_, *rel, kProbeFlags);
  if (!fd) return std::unexpected(open_error_from_errno(fd.error()));
  FdGuard guard{*fd};
  struct stat st{};
  if (::fstat(guard.get(), &st) != 0) return std::unexpected(OpenError::io);
  return S_ISDIR(st.st_mode);
}

}  // namespace pxed::vfs
