#pragma once
// The HTTP service: TCP listeners and one coroutine per connection serving
// the vfs::Tree with GET/HEAD, Range, conditional requests and keep-alive,
// and pxed's own routes (the API, also with POST/PUT/DELETE), maybe on a
// second listener of their own.
// Decisions from header text live in request_logic.hpp; Beast stays in the
// .cpp so including this header costs nothing.
#include <cstddef>
#include <expected>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "core/worker_pool.hpp"
#include "http/routes.hpp"
#include "vfs/tree.hpp"

namespace boost::asio {
class io_context;
}

namespace pxed::events {
class Bus;
}

namespace pxed::http {

class Service {
 public:
  // io: the loop that owns pxed's state (routes, generated files).
  // threads: event loops of HTTP's own, each on a thread of its own, serving
  // connections; 0 or 1: connections are served on io (docs/threads.md).
  // routes: pxed's own paths (http/routes.hpp: /pxed/, /api/, /healthz); the tree never sees them.
  // pool: where lookups and listings that need the disk run (Tree::prefetch), off the loop.
  // bus: where each request's event goes (from HTTP's own threads too: see Bus::set_forward).
  Service(boost::asio::io_context& io, const config::Http& config, unsigned threads, const vfs::Tree& tree,
          core::WorkerPool& pool, events::Bus& bus, Routes routes = {});
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Another address of the same service that answers only `routes` (every
  // other path 404, no tree): the API on its own address ([api] listen).
  // Before bind().
  void add_listener(const config::Endpoint& at, Routes routes);
  // Binds and listens on every address; call before dropping privileges (port 80).
  std::expected<void, std::string> bind();
  // Starts accepting connections, and HTTP's own threads.
  std::expected<void, std::string> start();
  // The loops serving connections: 1 when that is io.
  std::size_t threads() const;
  // Connections holding a slot (an evicted one no longer does).
  std::size_t active_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pxed::http
