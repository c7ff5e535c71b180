#include "app/pid_file.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>

namespace pxed::app {

PidFile::PidFile(std::filesystem::path path) : path_(std::move(path)) {
  // Written aside and renamed, so a reader never sees half a number.
  auto fresh = path_;
  fresh += ".new";
  {
    std::ofstream out(fresh, std::ios::trunc);
    out << ::getpid() << '\n';
    if (!out) return;
  }
  std::error_code ec;
  std::filesystem::rename(fresh, path_, ec);
  written_ = !ec;
}

PidFile::~PidFile() {
  if (!written_) return;
  if (running(path_) == ::getpid()) {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
}

std::optional<pid_t> PidFile::running(const std::filesystem::path& path) {
  std::ifstream in(path);
  long pid = 0;
  if (!(in >> pid) || pid <= 1) return std::nullopt;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return std::nullopt;
  return static_cast<pid_t>(pid);
}

}  // namespace pxed::app
