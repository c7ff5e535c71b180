#include "vfs/generated.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace pxed::vfs {

std::expected<File, int> file_of(std::string_view content) {
  int fd = ::memfd_create("pxed-generated", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return std::unexpected(errno);
  std::size_t done = 0;
  while (done < content.size()) {
    auto n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      ::close(fd);
      return std::unexpected(err);
    }
    done += static_cast<std::size_t>(n);
  }
  // Sealed: a transfer in flight reads exactly what was rendered for it.
  ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return File(fd, content.size(), std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
}

}  // namespace pxed::vfs
