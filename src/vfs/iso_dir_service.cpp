#include "vfs/iso_dir_service.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <set>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <map>
#include <optional>
#include <set>
#include <system_error>

#include "core/worker_pool.hpp"
#include "events/bus.hpp"
#include "iso/image.hpp"
#include "vfs/image_observer.hpp"
#include "vfs/iso_dir.hpp"
#include "vfs/tree.hpp"

namespace pxed::vfs {
namespace {

namespace asio = boost::asio;

// inotify(7): room for many events, and always for one with the longest name.
constexpr std::size_t kReadBuffer = 64 * 1024;

std::string errno_text(int err) { return std::generic_category().message(err); }


// The file's identity if it is (or a symlink leads to) a regular file.
std::optional<FileIdentity> identity_at(const std::filesystem::path& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return FileIdentity{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
                      static_cast<std::uint64_t>(st.st_size),
                      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

}  // namespace

struct IsoDirService::Impl {
  Impl(asio::io_context& io_, Tree& tree_, std::filesystem::path dir_, core::WorkerPool& pool_, events::Bus& bus_,
       ImageObserver* observer_)
      : io(io_), tree(tree_), dir(std::move(dir_)), pool(pool_), bus(bus_), observer(observer_), inotify(io_),
        retry(io_) {}

  asio::io_context& io;
  Tree& tree;
  std::filesystem::path dir;
  core::WorkerPool& pool;
  events::Bus& bus;
  ImageObserver* observer;

  void emit(events::Kind kind, std::initializer_list<std::pair<std::string, std::string>> fields) {
    events::Event event{kind};
    for (const auto& [key, value] : fields) event.add(key, value);
    bus.emit(std::move(event));
  }
  asio::posix::stream_descriptor inotify;
  asio::steady_timer retry;
  int wd = -1;
  bool lost = false;
  IsoDirState state;
  std::size_t mounted = 0;
  // The image files served whole (iso/<name>.iso) that this watcher put there.
  std::set<std::string, std::less<>> files_served;
  bool started = false;  // looks run on the pool from now on
  std::map<std::string, bool> looking;  // files a worker examines: whether to look again after
  std::uint64_t epoch = 0;  // the directory was lost this many times

  std::expected<void, int> add_watch() {
    int w = ::inotify_add_watch(inotify.native_handle(), dir.c_str(), watch_mask());
    if (w < 0) return std::unexpected(errno);
    wd = w;
    return {};
  }

  std::expected<void, std::string> open() {
    const std::string where = "files.iso_dir " + dir.string();
    int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) return std::unexpected(where + ": inotify: " + errno_text(errno));
    inotify.assign(fd);
    if (auto watched = add_watch(); !watched) {
      return std::unexpected(where + ": cannot watch: " + errno_text(watched.error()));
    }
    // kIsoDirMountPoint is already normalized: add_empty_directory takes it as it is.
    if (auto made = tree.add_empty_directory(kIsoDirMountPoint); !made) {
      return std::unexpected(where + ": " + made.error());
    }
    scan_all();
    return {};
  }

  // Every image file now in dir, and every one we know that is no longer there.
  void scan_all() {
    std::set<std::string> present;
    if (DIR* stream = ::opendir(dir.c_str())) {
      while (const dirent* d = ::readdir(stream)) {
        if (image_name_of(d->d_name)) present.insert(d->d_name);
      }
      ::closedir(stream);
    } else {
      emit(events::Kind::iso_rejected, {{"path", dir.string()}, {"reason", errno_text(errno)}});
    }
    for (const std::string& name : state.files()) {
      if (!present.contains(name)) look(name);
    }
    for (const std::string& name : present) look(name);
  }

  // What a worker found about one file: its identity now, what the state
  // (as it was when the look began) says to do about it, and the image when
  // that is to open it.
  struct Looked {
    std::optional<FileIdentity> now;
    IsoDirState::Step step = IsoDirState::Step::keep;
    std::optional<std::expected<OpenedImage, std::string>> opened;
    ImageObserver::Served served;  // the observer's part, for the loop
  };

  // The disk half of a look: a stat and, for a new or changed file, its
  // volume descriptors (a cold disk, a slow NFS server, a huge UDF volume).
  // Touches nothing of the service: it runs on a worker.
  static Looked examine(const std::filesystem::path& path, const std::string& name, const IsoDirState& known,
                        const ImageObserver* observer) {
    Looked looked{.now = identity_at(path), .step = IsoDirState::Step::keep, .opened = {}, .served = {}};
    looked.step = known.on_file(name, looked.now);
    if (looked.step != IsoDirState::Step::open) return looked;
    looked.opened = open_image(AT_FDCWD, path);
    if (observer != nullptr && *looked.opened) {
      const auto image_name = *image_name_of(name);
      looked.served = observer->study(image_name, iso_mount_point(image_name), path, **looked.opened);
    }
    return looked;
  }

  // Once started, a worker examines the file and the tree changes here, on
  // the loop's thread, when it is done; one look per file at a time, and an
  // event meanwhile looks again after it (the file may have changed since
  // the worker's stat). Before start (at start-up, nothing to answer yet) inline.
  void look(const std::string& name) {
    if (!image_name_of(name)) return;
    if (!started) {
      apply(name, examine(dir / name, name, state, observer));
      return;
    }
    auto [it, fresh] = looking.try_emplace(name, false);
    if (!fresh) {
      it->second = true;
      return;
    }
    pool.submit([path = dir / name, name, known = state, observer = observer](std::stop_token) {
                  return examine(path, name, known, observer);
                },
                [this, name, looked_in = epoch](Looked looked) {
                  const bool again = looking[name];
                  looking.erase(name);
                  // The directory was lost meanwhile: what the worker saw is gone with it.
                  if (looked_in == epoch) apply(name, std::move(looked));
                  if (again) look(name);
                });
  }

  // The one place that changes the tree: what the file was when examined decides.
  void apply(const std::string& name, Looked looked) {
    const std::filesystem::path path = dir / name;
    const std::string at = iso_mount_point(*image_name_of(name));
    switch (looked.step) {
      case IsoDirState::Step::keep:
        return;
      case IsoDirState::Step::drop:
        unmount(name, at, path);
        state.forget(name);
        return;
      case IsoDirState::Step::open:
        break;
    }
    if (!state.is_mounted(name) && tree.has_mount(at)) {
      return refuse(name, *looked.now, path, "/" + at + " is already mounted (a [[files.mount]] or another file)");
    }
    auto& opened = *looked.opened;
    if (!opened) return refuse(name, *looked.now, path, opened.error());
    const bool replacing = state.is_mounted(name);
    events::Event event{replacing ? events::Kind::iso_replaced : events::Kind::iso_added};
    event.add("path", path.string())
        .add("at", "/" + at)
        .add("naming", iso::to_string(opened->image->naming()))
        .add("volume", opened->image->volume_id());
    state.mounted(name, opened->identity);
    // Beside its folder, the file itself, unless something else holds that name.
    if (const auto file_at = iso_file_point(*image_name_of(name));
        files_served.contains(file_at) || !tree.has_mount(file_at)) {
      tree.put_image_file(file_at, *opened);
      files_served.insert(file_at);
    }
    tree.put_image(at, std::move(*opened));
    if (!replacing) ++mounted;
    // After the tree has it: whoever the observer tells finds it served.
    if (looked.served) looked.served(event);
    bus.emit(std::move(event));
  }

  void refuse(const std::string& name, const FileIdentity& identity,
              const std::filesystem::path& path, const std::string& reason) {
    emit(events::Kind::iso_rejected, {{"path", path.string()}, {"reason", reason}});
    // The file that stood here before is gone or replaced: stop serving it.
    unmount(name, iso_mount_point(*image_name_of(name)), path);
    state.refused(name, identity);
  }

  void unmount(const std::string& name, const std::string& at, const std::filesystem::path& path) {
    if (!state.is_mounted(name)) return;
    tree.remove_mount(at);
    if (auto file = files_served.find(iso_file_point(*image_name_of(name))); file != files_served.end()) {
      tree.remove_mount(*file);
      files_served.erase(file);
    }
    --mounted;
    if (observer != nullptr) observer->gone(at);
    emit(events::Kind::iso_removed, {{"path", path.string()}, {"at", "/" + at}});
  }

  // iso_dir was deleted, moved away or unmounted: nothing in it can be found
  // by its path any more. Serve none of it until it is back.
  void lose() {
    if (lost) return;
    lost = true;
    ++epoch;
    if (wd >= 0) ::inotify_rm_watch(inotify.native_handle(), wd);  // fails if the kernel did it
    wd = -1;
    for (const std::string& name : state.files()) {
      unmount(name, iso_mount_point(*image_name_of(name)), dir / name);
      state.forget(name);
    }
    emit(events::Kind::iso_dir_lost,
         {{"path", dir.string()},
          {"retry_s", std::to_string(kIsoDirRetryInterval.count())}});
    asio::co_spawn(io, come_back(), asio::detached);
  }

  asio::awaitable<void> come_back() {
    while (lost) {
      retry.expires_after(kIsoDirRetryInterval);
      auto [ec] = co_await retry.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;  // cancelled: shutting down
      if (!add_watch()) continue;
      lost = false;
      emit(events::Kind::iso_dir_back, {{"path", dir.string()}});
      scan_all();
    }
  }

  asio::awaitable<void> watch() {
    std::vector<std::byte> buffer(kReadBuffer);
    for (;;) {
      auto [ec, n] = co_await inotify.async_read_some(asio::buffer(buffer.data(), buffer.size()),
                                                      asio::as_tuple(asio::use_awaitable));
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) {
        // Not expected from inotify; without it the directory is no longer followed.
        emit(events::Kind::iso_watch_failed, {{"path", dir.string()}, {"error", ec.message()}});
        co_return;
      }
      auto events = decode_watch_events(std::span(buffer).first(n));
      WatchPlan plan = plan_for(events, wd);
      if (plan.directory_gone) {
        lose();
        continue;
      }
      if (plan.rescan_all) {
        scan_all();
        continue;
      }
      for (const std::string& name : plan.files) look(name);
    }
  }
};

IsoDirService::IsoDirService(asio::io_context& io, Tree& tree, std::filesystem::path dir, core::WorkerPool& pool,
                             events::Bus& bus, ImageObserver* observer)
    : impl_(std::make_unique<Impl>(io, tree, std::move(dir), pool, bus, observer)) {}

IsoDirService::~IsoDirService() = default;

std::expected<void, std::string> IsoDirService::open() { return impl_->open(); }

void IsoDirService::start() {
  impl_->started = true;
  asio::co_spawn(impl_->io, impl_->watch(), asio::detached);
}

std::size_t IsoDirService::images() const { return impl_->mounted; }

}  // namespace pxed::vfs
