#include "app/pid_file.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "store/state_file.hpp"

namespace pxed::app {

PidFile::PidFile(std::filesystem::path path) : path_(std::move(path)) {
  // Written aside and renamed, so a reader never sees half a number; never
  // through a link the state dir's owner planted, and as that owner.
  written_ = store::state::replace(path_.parent_path(), path_.filename().string(),
                                   std::to_string(::getpid()) + "\n").has_value();
}

PidFile::~PidFile() {
  if (!written_) return;
  if (running(path_) == ::getpid()) {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
}

std::optional<pid_t> PidFile::running(const std::filesystem::path& path) {
  // Not through a link, nor waiting on a FIFO planted in its place.
  auto text = store::state::read_small(path.parent_path(), path.filename().string());
  if (!text || !*text) return std::nullopt;
  long pid = 0;
  try {
    pid = std::stol(**text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (pid <= 1) return std::nullopt;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return std::nullopt;
  return static_cast<pid_t>(pid);
}

}  // namespace pxed::app
