#pragma once
// The files.iso_dir watcher: an inotify descriptor read through Boost.Asio on
// the io_context, so the tree's mount table changes between the TFTP and
// HTTP coroutines' steps, on their thread (there is no other). Decisions are
// in iso_dir.hpp; this file reads events and logs, and has a worker stat and
// open the files (reading an image's volume descriptors waits on its disk).
//
// Events: iso.added, iso.replaced (with what an ImageObserver adds: the OS),
// iso.removed (info), iso.rejected (warn:
// a file that is not a usable image, with path and reason; skipped until it
// changes), iso.dir_lost (warn: the directory was deleted or moved; retried
// every kRetryInterval) and iso.dir_back.
#include <chrono>
#include <cstddef>
#include <expected>
#include <filesystem>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace pxed::core {
class WorkerPool;
}

namespace pxed::events {
class Bus;
}

namespace pxed::vfs {

class Tree;
class ImageObserver;

inline constexpr std::chrono::seconds kIsoDirRetryInterval{2};

class IsoDirService {
 public:
  // pool: where files are examined once started; its results come back on io.
  // bus: where images coming and going are told. observer (may be null,
  // must outlive the service): studies each image on the worker that opened it.
  IsoDirService(boost::asio::io_context& io, Tree& tree, std::filesystem::path dir, core::WorkerPool& pool,
                events::Bus& bus, ImageObserver* observer = nullptr);
  ~IsoDirService();
  IsoDirService(const IsoDirService&) = delete;
  IsoDirService& operator=(const IsoDirService&) = delete;

  // Before privileges drop: watches dir, makes "/iso" appear and mounts every
  // image in it (bad ones are logged and skipped). An error (no inotify, dir
  // not watchable, "/iso" taken by [[files.mount]]) is fatal at startup.
  std::expected<void, std::string> open();
  // Follows the directory on the io_context from now on. Images that arrive
  // later are opened on a worker, with the privileges pxed runs with by
  // then, and appear once it is done.
  void start();
  // Images mounted now.
  std::size_t images() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pxed::vfs
