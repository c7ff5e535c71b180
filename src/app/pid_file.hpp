#pragma once
// <state_dir>/pxed.pid while pxed serves, so `pxed machines reinstall` can
// tell the running server to read the install states again (SIGHUP). Best
// effort: serving never depends on it.
#include <filesystem>
#include <optional>
#include <sys/types.h>

namespace pxed::app {

class PidFile {
 public:
  explicit PidFile(std::filesystem::path path);
  ~PidFile();  // removes the file if it still names this process
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;

  // The pid a file names, if that process is alive.
  static std::optional<pid_t> running(const std::filesystem::path& path);

 private:
  std::filesystem::path path_;
  bool written_ = false;
};

}  // namespace pxed::app
