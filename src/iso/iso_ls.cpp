#include "iso/iso_ls.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "iso/image.hpp"

namespace pxed::iso {
namespace {

// st_mode -> "drwxr-xr-x", like ls -l.
std::string mode_string(const Entry& entry) {
  std::string s(10, '-');
  if (entry.symlink_target) {
    s[0] = 'l';
  } else if (entry.directory) {
    s[0] = 'd';
  }
  constexpr char kLetters[] = "rwxrwxrwx";
  for (int bit = 0; bit < 9; ++bit)
    if ((entry.mode & (0400u >> bit)) != 0) s[1 + bit] = kLetters[bit];
  return s;
}

std::string padded_left(std::string s, std::size_t width) {
  if (s.size() < width) s.insert(0, width - s.size(), ' ');
  return s;
}

}  // namespace

int iso_ls(const std::string& image_path, const std::string& path, std::ostream& out,
           std::ostream& err) {
  // O_NONBLOCK: a FIFO must not hang us waiting for a writer, and opening a
  // device may act on it (a tape rewinds); both are refused below. Only
  // regular files: a block device (/dev/sr0) reports no size through fstat,
  // and an image is copied to a file before it is served anyway.
  const int raw_fd = ::open(image_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (raw_fd < 0) {
    err << "pxed iso ls: " << image_path << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  // The ReadAt copies below share the descriptor; it closes with the last of them.
  auto fd = std::shared_ptr<int>(new int(raw_fd), [](int* p) {
    ::close(*p);
    delete p;
  });
  struct stat st{};
  if (::fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const char* what = S_ISDIR(st.st_mode)    ? "a directory"
                       : S_ISFIFO(st.st_mode) ? "a FIFO"
                       : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                                    : "not a regular file";
    err << "pxed iso ls: " << image_path << ": is " << what << ", not an image file\n";
    return 1;
  }
  ::fcntl(*fd, F_SETFL, ::fcntl(*fd, F_GETFL) & ~O_NONBLOCK);
  ReadAt read = [fd](std::span<std::byte> buffer, std::uint64_t offset)
      -> std::expected<std::size_t, int> {
    for (;;) {
      ssize_t n = ::pread(*fd, buffer.data(), buffer.size(), static_cast<off_t>(offset));
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) return std::unexpected(errno);
    }
  };
  auto image = Image::open(std::move(read), static_cast<std::uint64_t>(st.st_size));
  if (!image) {
    err << "pxed iso ls: " << image_path << ": " << image.error() << "\n";
    return 1;
  }
  auto entries = image->list(path);
  if (!entries) {
    err << "pxed iso ls: " << image_path << ": " << entries.error() << "\n";
    return 1;
  }
  std::sort(entries->begin(), entries->end(), [](const Entry& a, const Entry& b) {
    if (a.directory != b.directory) return a.directory;
    return a.name < b.name;
  });
  out << "naming: " << to_string(image->naming()) << "  volume: " << image->volume_id() << "\n";
  for (const Entry& entry : *entries) {
    out << mode_string(entry) << " " << padded_left(std::to_string(entry.size), 12) << " "
        << entry.name;
    if (entry.symlink_target) out << " -> " << *entry.symlink_target;
    out << "\n";
  }
  return 0;
}

}  // namespace pxed::iso
