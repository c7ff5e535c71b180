#include "vfs/file.hpp"

#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <utility>

namespace pxed::vfs {

// Not retried on EINTR: on Linux the descriptor is released either way.
Descriptor::~Descriptor() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

std::int64_t mtime_ns_of(int fd) {
  struct stat st{};
  if (fd < 0 || ::fstat(fd, &st) != 0) return 0;
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

}  // namespace

std::expected<std::size_t, int> pread_full(int fd, std::span<std::byte> out, std::uint64_t offset, Wait wait) {
  // Nothing lives past the largest offset pread can take (it would say
  // EINVAL); capping here also keeps offset + done from overflowing off_t.
  constexpr auto kMaxOffset = static_cast<std::uint64_t>(std::numeric_limits<off_t>::max());
  if (offset >= kMaxOffset) return 0;
  auto room = std::min<std::uint64_t>(out.size(), kMaxOffset - offset);
  out = out.first(static_cast<std::size_t>(room));

  std::size_t done = 0;
  while (done < out.size()) {
    iovec iov{out.data() + done, out.size() - done};
    ssize_t n = ::preadv2(fd, &iov, 1, static_cast<off_t>(offset + done), wait == Wait::no ? RWF_NOWAIT : 0);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n == 0) {
      break;  // end of file
    } else if (wait == Wait::no && errno == EOPNOTSUPP) {
      // A file system that cannot say (shmem before Linux 6.x: the memfds of
      // generated files): as if not cached, so a worker reads it.
      return std::unexpected(EAGAIN);
    } else if (errno != EINTR) {
      // A partial result would read as "end of file" to the caller. With
      // Wait::no, EAGAIN: the rest is not in the page cache.
      return std::unexpected(errno);
    }
  }
  return done;
}

File::File(int fd, std::uint64_t size) : File(fd, size, mtime_ns_of(fd)) {}

File::File(int fd, std::uint64_t size, std::int64_t mtime_ns)
    : fd_(std::make_shared<const Descriptor>(fd)),
      extents_{Extent{0, size}},
      size_(size),
      mtime_ns_(mtime_ns) {}

File::File(std::shared_ptr<const Descriptor> image, std::vector<Extent> extents,
           std::int64_t mtime_ns)
    : fd_(std::move(image)), extents_(std::move(extents)), mtime_ns_(mtime_ns), plain_(false) {
  for (const Extent& e : extents_) size_ += e.length;
}

File::File(File&& other) noexcept
    : fd_(std::move(other.fd_)),
      extents_(std::exchange(other.extents_, {})),
      size_(std::exchange(other.size_, 0)),
      mtime_ns_(std::exchange(other.mtime_ns_, 0)),
      plain_(other.plain_),
      generated_(std::move(other.generated_)),
      system_(std::move(other.system_)) {}

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    fd_ = std::move(other.fd_);
    extents_ = std::exchange(other.extents_, {});
    size_ = std::exchange(other.size_, 0);
    mtime_ns_ = std::exchange(other.mtime_ns_, 0);
    plain_ = other.plain_;
    generated_ = std::move(other.generated_);
    system_ = std::move(other.system_);
  }
  return *this;
}

File::~File() = default;

std::expected<std::size_t, int> File::read_at(std::span<std::byte> out, std::uint64_t offset,
                                              Wait wait) const {
  if (!fd_) return std::unexpected(EBADF);
  // A plain file reads past its opening size if it grew: what pread says is the truth.
  if (plain_) return pread_full(fd(), out, offset, wait);
  std::size_t done = 0;
  std::uint64_t start = 0;  // logical offset of the extent
  for (const Extent& e : extents_) {
    if (done == out.size()) break;
    const std::uint64_t at = offset + done;
    if (at >= start + e.length) {
      start += e.length;
      continue;
    }
    const std::uint64_t into = at - start;
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(out.size() - done, e.length - into));
    auto got = pread_full(fd(), out.subspan(done, want), e.offset + into, wait);
    if (!got) return std::unexpected(got.error());
    done += *got;
    if (*got < want) break;  // the image ended early (truncated since open)
    start += e.length;
  }
  return done;
}

}  // namespace pxed::vfs
