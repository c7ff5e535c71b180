#include "app/program_watch.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <optional>
#include <stop_token>
#include <utility>

#include "core/worker_pool.hpp"
#include "vfs/tree.hpp"

namespace pxed::app {
namespace asio = boost::asio;

namespace {

// Whether the worker found a regular file of that name: the tree's own, or
// the system's where the tree has none (Tree::open's order).
bool served(const vfs::Tree::Prefetch& prefetch, std::stop_token stop) {
  if (!prefetch) return false;  // a name the tree cannot have as a file
  const auto found = prefetch(std::move(stop));
  if (found.file && *found.file) return true;
  return found.system_file && *found.system_file;
}

}  // namespace

struct ProgramWatch::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io_, const vfs::Tree& tree_, core::WorkerPool& pool_, std::string root_,
       std::function<void(const osid::Programs&)> changed_)
      : tree(tree_), pool(pool_), root(std::move(root_)), changed(std::move(changed_)), timer(io_) {}

  const vfs::Tree& tree;
  core::WorkerPool& pool;
  std::string root;
  std::function<void(const osid::Programs&)> changed;
  asio::steady_timer timer;
  std::optional<osid::Programs> last;
  bool stopped = false;

  // On the loop: the prefetches only capture what they read (Tree::prefetch),
  // so the worker touches nothing of the tree.
  void ask() {
    auto wimboot = tree.prefetch(osid::kWimbootName, vfs::Tree::Need::file);
    auto memdisk = tree.prefetch(osid::kMemdiskName, vfs::Tree::Need::file);
    pool.submit(
        [wimboot = std::move(wimboot), memdisk = std::move(memdisk)](std::stop_token stop) {
          return std::pair{served(wimboot, stop), served(memdisk, stop)};
        },
        [self = shared_from_this()](std::pair<bool, bool> found) { self->answered(found); });
  }

  void answered(std::pair<bool, bool> found) {
    if (stopped) return;
    osid::Programs now{.wimboot = found.first, .memdisk = found.second, .root = root};
    if (!last || *last != now) {
      last = now;
      if (changed) changed(now);
    }
    timer.expires_after(kProgramPollInterval);
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && !self->stopped) self->ask();
    });
  }
};

ProgramWatch::ProgramWatch(asio::io_context& io, const vfs::Tree& tree, core::WorkerPool& pool, std::string root,
                           std::function<void(const osid::Programs&)> changed)
    : impl_(std::make_shared<Impl>(io, tree, pool, std::move(root), std::move(changed))) {}

ProgramWatch::~ProgramWatch() {
  impl_->stopped = true;
  impl_->changed = nullptr;
  impl_->timer.cancel();
}

void ProgramWatch::start() { impl_->ask(); }

}  // namespace pxed::app
