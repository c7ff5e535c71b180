#pragma once
// Whether pxed's tree serves wimboot and memdisk (osid::Programs), the
// programs Windows images and small BIOS images boot through. A user puts
// wimboot in files.root while pxed runs (Debian does not package it), or
// takes it away: the tree is asked again every kProgramPollInterval, on a
// worker (a walk of files.root may wait for its disk; the loop never does),
// and `changed` runs on the loop with the answer the first time and whenever
// it differs. Polling rather than inotify: the name may be a symlink into
// another directory, or served from the system's loaders, which no watch on
// files.root would see change.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "osid/recipe.hpp"

namespace boost::asio {
class io_context;
}

namespace pxed::core {
class WorkerPool;
}

namespace pxed::vfs {
class Tree;
}

namespace pxed::app {

inline constexpr std::chrono::seconds kProgramPollInterval{2};

class ProgramWatch {
 public:
  // root: files.root as the config spells it, for the hint where wimboot goes.
  ProgramWatch(boost::asio::io_context& io, const vfs::Tree& tree, core::WorkerPool& pool, std::string root,
               std::function<void(const osid::Programs&)> changed);
  ~ProgramWatch();
  ProgramWatch(const ProgramWatch&) = delete;
  ProgramWatch& operator=(const ProgramWatch&) = delete;

  void start();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace pxed::app
