#include "app/served_access.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "app/privileges.hpp"

namespace pxed::app {

ServedDirs::ServedDirs(const config::Config& cfg) {
  auto add = [&](const std::filesystem::path& dir, std::string key) {
    const int fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) dirs_.push_back(Served{dir, std::move(key), fd});
  };
  if (!cfg.files.root.empty()) add(cfg.files.root, "files.root");
  for (const auto& mount : cfg.files.mounts) {
    if (!mount.dir.empty()) add(mount.dir, "files.mount");
  }
}

ServedDirs::~ServedDirs() {
  for (const auto& served : dirs_) ::close(served.fd);
}

// R_OK | X_OK: listings read the directory, every file is looked up through it.
std::vector<int> ServedDirs::check_as_self() const {
  std::vector<int> errors;
  for (const auto& served : dirs_) errors.push_back(::faccessat(served.fd, ".", R_OK | X_OK, 0) == 0 ? 0 : errno);
  return errors;
}

std::vector<config::ConfigError> ServedDirs::unreadable(const config::Config& cfg) const {
  std::vector<int> errors;
  if (dirs_.empty()) return {};
  if (::geteuid() != 0 || cfg.server.user.empty()) {
    errors = check_as_self();
  } else {
    // A child drops to the user and reports one errno per directory.
    int fds[2];
    if (::pipe(fds) != 0) return {};
    const pid_t pid = ::fork();
    if (pid < 0) return {};
    if (pid == 0) {
      ::close(fds[0]);
      if (!drop_privileges(cfg.server.user)) ::_exit(3);
      const auto found = check_as_self();
      const auto bytes = found.size() * sizeof(int);
      ::_exit(::write(fds[1], found.data(), bytes) == static_cast<ssize_t>(bytes) ? 0 : 3);
    }
    ::close(fds[1]);
    errors.resize(dirs_.size());
    const auto want = static_cast<ssize_t>(errors.size() * sizeof(int));
    const ssize_t got = ::read(fds[0], errors.data(), static_cast<std::size_t>(want));
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (got != want) return {};  // no such user: the config check says so already
  }
  std::vector<config::ConfigError> out;
  const std::string who = cfg.server.user.empty() ? "pxed's user" : "user " + cfg.server.user;
  for (std::size_t i = 0; i < dirs_.size(); ++i) {
    if (errors[i] == 0) continue;
    const auto line = cfg.lines.find(dirs_[i].key);
    out.push_back(config::ConfigError{
        cfg.source.string(), line == cfg.lines.end() ? 0u : line->second, dirs_[i].key,
        fmt::format("{} cannot read {} ({}); pxed serves it as {}: make it readable and searchable by that user "
                    "(chmod o+rx, or chgrp to its group and g+rx)",
                    who, dirs_[i].dir.string(), std::strerror(errors[i]), who)});
  }
  return out;
}

}  // namespace pxed::app
