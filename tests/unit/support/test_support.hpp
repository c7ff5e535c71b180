#pragma once
// What several unit tests need: a scratch directory and a deadline for code
// that might hang or spin (a child process, killed when late).
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

namespace pxed::test {

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "pxed-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs fn in a forked child; its exit status, or nullopt if it crashed or had
// not finished by the deadline (it is then killed). The child reports through
// its return value, never through gtest.
inline std::optional<int> run_in_child(const std::function<int()>& fn, std::chrono::milliseconds deadline) {
  pid_t pid = ::fork();
  if (pid < 0) return std::nullopt;
  if (pid == 0) ::_exit(fn());
  // syscall(): glibc 2.36's <sys/pidfd.h> lacks extern "C", so C++ cannot link it.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  pollfd exited{pidfd, POLLIN, 0};
  int ready = pidfd >= 0 ? ::poll(&exited, 1, static_cast<int>(deadline.count())) : -1;
  if (ready <= 0) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (pidfd >= 0) ::close(pidfd);
  if (ready <= 0 || !WIFEXITED(status)) return std::nullopt;
  return WEXITSTATUS(status);
}

}  // namespace pxed::test
