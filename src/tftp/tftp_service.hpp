#pragma once
// The TFTP service: the listening socket on port 69 and one coroutine per
// transfer on its own ephemeral port. All decisions are in Session; this file
// moves bytes between sockets, files and timers.
#include <cstddef>
#include <expected>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "core/worker_pool.hpp"
#include "vfs/tree.hpp"

namespace boost::asio {
class io_context;
}

namespace pxed::events {
class Bus;
}

namespace pxed::tftp {

class Service {
 public:
  // pool: where lookups that need the disk run (Tree::prefetch), off the loop.
  // bus: where each transfer's event goes.
  Service(boost::asio::io_context& io, const config::Tftp& config, const vfs::Tree& tree, core::WorkerPool& pool,
          events::Bus& bus);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Binds the listening socket; call before dropping privileges (port 69).
  std::expected<void, std::string> bind();
  // Starts answering requests on the io_context.
  void start();
  std::size_t active_transfers() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pxed::tftp
