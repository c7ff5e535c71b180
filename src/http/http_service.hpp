#pragma once
// The HTTP service: a TCP listener and one coroutine per connection serving
// the vfs::Tree with GET/HEAD, Range, conditional requests and keep-alive.
// Decisions from header text live in request_logic.hpp; Beast stays in the
// .cpp so including this header costs nothing.
#include <cstddef>
#include <expected>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "core/worker_pool.hpp"
#include "http/actions.hpp"
#include "vfs/tree.hpp"

namespace boost::asio {
class io_context;
}

namespace pxed::http {

class Service {
 public:
  // actions: pxed's own calls (http/actions.hpp); empty: none, 404.
  // pool: where lookups and listings that need the disk run (Tree::prefetch), off the loop.
  Service(boost::asio::io_context& io, const config::Http& config, const vfs::Tree& tree, core::WorkerPool& pool,
          Actions actions = {});
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Binds and listens; call before dropping privileges (port 80).
  std::expected<void, std::string> bind();
  // Starts accepting connections on the io_context.
  void start();
  // Connections holding a slot (an evicted one no longer does).
  std::size_t active_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pxed::http
