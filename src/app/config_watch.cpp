#include "app/config_watch.hpp"

#include <sys/inotify.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <map>

#include "vfs/iso_dir.hpp"

namespace pxed::app {
namespace asio = boost::asio;

namespace {
// A file written in place (close after write) or put in place by rename or a new link.
constexpr std::uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE;
constexpr std::size_t kReadBuffer = 64 * (sizeof(inotify_event) + 256);
}  // namespace

struct ConfigWatch::Impl {
  Impl(asio::io_context& io_, std::vector<std::filesystem::path> files_, std::function<void()> changed_)
      : io(io_), files(std::move(files_)), changed(std::move(changed_)), inotify(io_), quiet(io_) {}

  asio::io_context& io;
  std::vector<std::filesystem::path> files;
  std::function<void()> changed;
  asio::posix::stream_descriptor inotify;
  asio::steady_timer quiet;
  std::map<int, std::vector<std::string>> names;  // watch -> file names in that directory
  bool pending = false;

  std::expected<void, std::string> open() {
    int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) return std::unexpected(std::string("config watch: inotify: ") + std::strerror(errno));
    inotify.assign(fd);
    for (const auto& file : files) {
      auto dir = std::filesystem::absolute(file).parent_path();
      int wd = ::inotify_add_watch(fd, dir.c_str(), kMask);
      if (wd < 0) return std::unexpected("config watch: " + dir.string() + ": " + std::strerror(errno));
      names[wd].push_back(file.filename().string());
    }
    return {};
  }

  void arm() {
    if (pending) return;
    pending = true;
    quiet.expires_after(kConfigQuietPeriod);
    quiet.async_wait([this](const boost::system::error_code& ec) {
      pending = false;
      if (!ec) changed();
    });
  }

  asio::awaitable<void> watch() {
    std::vector<std::byte> buffer(kReadBuffer);
    for (;;) {
      auto [ec, n] = co_await inotify.async_read_some(asio::buffer(buffer.data(), buffer.size()),
                                                      asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      for (const auto& e : vfs::decode_watch_events(std::span(buffer).first(n))) {
        auto it = names.find(e.wd);
        if ((e.mask & IN_Q_OVERFLOW) != 0 ||
            (it != names.end() && std::ranges::find(it->second, e.name) != it->second.end())) {
          arm();
        }
      }
    }
  }
};

ConfigWatch::ConfigWatch(asio::io_context& io, std::vector<std::filesystem::path> files, std::function<void()> changed)
    : impl_(std::make_unique<Impl>(io, std::move(files), std::move(changed))) {}

ConfigWatch::~ConfigWatch() = default;

std::expected<void, std::string> ConfigWatch::open() { return impl_->open(); }

void ConfigWatch::start() { asio::co_spawn(impl_->io, impl_->watch(), asio::detached); }

}  // namespace pxed::app
