#include "config/private_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace pxed::config {

std::expected<std::string, std::string> read_private_file(const std::filesystem::path& path,
                                                          const PrivateFileLimits& limits) {
  // O_NOFOLLOW: the checks below are of the file itself, not of whatever a link points at.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int e = errno;
    return std::unexpected(
        std::string(std::strerror(e)) +
        (e == ELOOP    ? " (a symbolic link: name the file itself)"
         : e == ENOENT ? std::string(limits.how_to_make)
         : e == EACCES ? " (pxed reads it as the user that starts it, before dropping root: check as that user)"
                       : ""));
  }
  struct stat st {};
  std::string text;
  std::string problem;
  if (::fstat(fd, &st) != 0) {
    problem = std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    problem = "not a regular file";
  } else if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    problem = fmt::format("mode {:04o}: group or others may read or write it; only its owner may (chmod 600 {})",
                          st.st_mode & 07777, path.string());
  } else if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    problem = fmt::format("owned by uid {}: must be owned by root (or uid {}, who starts pxed)", st.st_uid, ::geteuid());
  } else if (st.st_size > static_cast<off_t>(limits.max_bytes)) {
    problem = fmt::format("{} bytes: {} (at most {} bytes)", st.st_size, limits.too_big, limits.max_bytes);
  } else {
    text.resize(static_cast<std::size_t>(st.st_size));
    const auto n = ::read(fd, text.data(), text.size());
    if (n < 0) {
      problem = std::strerror(errno);
    } else {
      text.resize(static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  if (!problem.empty()) return std::unexpected(problem);
  return text;
}

}  // namespace pxed::config
