#pragma once
// pxed opens files.root and mounted directories as root, then serves every
// file in them as server.user: a root that user cannot read answers every
// request with an error. `check` asks as that user (a child process that
// drops to it), `serve` asks again once it has dropped, and refuses to start.
// Asked of a descriptor opened beforehand, as the tree itself is: directories
// above the root need not be open to the user, only the root and below.
#include <filesystem>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace pxed::app {

class ServedDirs {
 public:
  // Opens (O_PATH) files.root and every mounted directory; one that cannot be
  // opened is left to the tree's own error.
  explicit ServedDirs(const config::Config& cfg);
  ServedDirs(const ServedDirs&) = delete;
  ServedDirs& operator=(const ServedDirs&) = delete;
  ~ServedDirs();

  // Every one the service user cannot search and list, as config errors: as
  // server.user when we are root (a child drops to it), else as ourselves.
  std::vector<config::ConfigError> unreadable(const config::Config& cfg) const;

 private:
  struct Served {
    std::filesystem::path dir;
    std::string key;
    int fd = -1;
  };
  std::vector<int> check_as_self() const;
  std::vector<Served> dirs_;
};

}  // namespace pxed::app
