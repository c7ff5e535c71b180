// pxed: one process that answers what a bare machine asks on its way to an
// installed OS. This file wires config, services and signals; it decides nothing.
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "api/api.hpp"
#include "api/metrics.hpp"
#include "app/answer_files.hpp"
#include "app/cli_usage.hpp"
#include "app/config_watch.hpp"
#include "app/done_hook.hpp"
#include "app/event_history.hpp"
#include "app/file_limit.hpp"
#include "app/host_check.hpp"
#include "app/http_routes.hpp"
#include "app/image_catalogue.hpp"
#include "app/import_cli.hpp"
#include "app/inventory_files.hpp"
#include "app/iso_info.hpp"
#include "app/iso_list.hpp"
#include "app/leases_cli.hpp"
#include "app/lookup.hpp"
#include "app/machines.hpp"
#include "app/machines_cli.hpp"
#include "app/pid_file.hpp"
#include "app/port_probe.hpp"
#include "app/port_users.hpp"
#include "app/privileges.hpp"
#include "app/program_watch.hpp"
#include "app/sandbox.hpp"
#include "app/sandbox_check.hpp"
#include "app/served_access.hpp"
#include "app/status_cli.hpp"
#include "app/template_cli.hpp"
#include "app/tree_check.hpp"
#include "boot/boot.hpp"
#include "config/api_token.hpp"
#include "config/config.hpp"
#include "config/secrets.hpp"
#include "core/time.hpp"
#include "core/worker_pool.hpp"
#include "dhcp/dhcp_service.hpp"
#include "app/loop_relay.hpp"
#include "core/cores.hpp"
#include "events/bus.hpp"
#include "events/log.hpp"
#include "http/http_service.hpp"
#include "iso/iso_ls.hpp"
#include "osid/load.hpp"
#include "tftp/tftp_service.hpp"
#include "vfs/iso_dir_service.hpp"
#include "vfs/tree.hpp"

namespace {

using namespace pxed;

constexpr int kExitConfig = app::kExitUsage;
constexpr int kExitRuntime = app::kExitRuntime;
// Workers for disk work off the loop: two keep one slow lookup (a hostile
// image's, bounded by iso::kMaxLookupReadBytes) from delaying the rest.
constexpr std::size_t kWorkerThreads = 2;
constexpr int kWorkerNice = 10;

constexpr const char* kDescription = R"(pxed - a network boot server: DHCP or ProxyDHCP, and one tree served over TFTP and HTTP.

Examples:
  pxed check -c /etc/pxed/pxed.toml          validate a config, print every problem as file:line: key: what
  pxed serve -c /etc/pxed/pxed.toml          serve the tree in [files] root over TFTP (and HTTP if [http] enabled),
                                             and DHCP on server.interfaces if [dhcp] mode is proxy or full
  pxed serve -c pxed.toml --log-format json  one JSON object per log line, for log shippers
  pxed serve -c pxed.toml --check-sandbox    what serve leaves itself once bound: capabilities, no_new_privs,
                                             the syscall filter, and calls it must refuse, made for real
  curl -o lpxelinux.0 tftp://SERVER/lpxelinux.0   fetch a file to see it working
  curl -O http://SERVER/vmlinuz                   the same tree over HTTP, with Range and keep-alive
  pxed iso ls debian-12.iso install.amd        look inside an ISO image without mounting it
  pxed iso info debian-12.iso                  which OS the image holds (osinfo-db), its kernel and initrd, and why
  pxed iso list -c pxed.toml                   every image the config serves, its URL and the OS in it
  pxed lookup -c pxed.toml --mac 52:54:00:12:34:56 --arch efi64   what that machine boots, and why:
                                             the rule (file:line), every config name its loader asks, the config
  pxed template render -c pxed.toml --mac MAC  a machine's answer file (kickstart, preseed, ...) as pxed serves it,
                                             with every variable it uses and where each value comes from
  pxed machines -c pxed.toml                   every machine that asked, its boot stage and install state
  pxed status -c pxed.toml --watch             a running pxed's machines and where each boot is, live
  pxed events -c pxed.toml -f --mac MAC        a running pxed's events as they happen (docs/api.md)
  pxed leases check -c pxed.toml               is the lease store whole (pxed refuses a damaged one in full mode)
  pxed import dnsmasq /etc/dnsmasq.conf -o pxed.toml   a pxed.toml from a dnsmasq DHCP/ProxyDHCP + TFTP setup
                                             (--nginx nginx.conf: its tree, aliases and loop-mounted ISOs too);
                                             what it cannot say is printed as file:line: option: why
  kill -HUP <pid>                              reload the inventory (saving the config file does it too;
                                             ignored while pxed starts); kill -USR1 logs every counter

Start from pxed.example.toml: every key is documented there.)";

std::optional<config::Config> load_or_report(const std::string& path) {
  auto loaded = config::load(path);
  if (loaded) return std::move(*loaded);
  for (const auto& e : loaded.error()) std::cerr << e.to_string() << '\n';
  std::cerr << fmt::format("{}: {} problem{} found\n", path, loaded.error().size(),
                           loaded.error().size() == 1 ? "" : "s");
  return std::nullopt;
}

// Everything serve would refuse at start, all at once: this host's interfaces,
// user and ports (unless skip_host), the tree, its images and the files the
// config names, who can read it, the lease store and the API token.
int check(const config::Config& cfg, const std::string& path, bool skip_host) {
  // This host's interfaces and users first: serve looks at them before anything else.
  auto errors = skip_host ? std::vector<config::ConfigError>{} : app::check_host(cfg);
  std::vector<std::string> notes;
  if (!skip_host) {
    auto held = app::held_ports(cfg, app::PidFile::running(cfg.server.state_dir / "pxed.pid"), notes);
    std::ranges::move(held, std::back_inserter(errors));
  }
  if (!cfg.files.root.empty()) {
    auto opened = app::open_tree_for_check(cfg);
    std::ranges::move(opened.errors, std::back_inserter(errors));
    if (opened.tree) std::ranges::move(app::check_tree(cfg, *opened.tree), std::back_inserter(errors));
    std::ranges::move(app::ServedDirs(cfg).unreadable(cfg), std::back_inserter(errors));
  }
  std::ranges::move(app::lease_store_errors(cfg, core::unix_now()), std::back_inserter(errors));
  if (auto token = config::read_api_token(cfg); !token) errors.push_back(std::move(token.error()));
  auto secrets = config::read_secrets(cfg);
  if (!secrets) std::ranges::move(secrets.error(), std::back_inserter(errors));
  std::ranges::move(app::answer_errors(cfg, secrets ? &*secrets : nullptr), std::back_inserter(errors));
  for (const auto& note : notes) std::cout << note << '\n';
  if (errors.empty()) {
    std::cout << fmt::format("{}: ok\n", path);
    return 0;
  }
  for (const auto& e : errors) std::cerr << e.to_string() << '\n';
  std::cerr << fmt::format("{}: {} problem{} found\n", path, errors.size(), errors.size() == 1 ? "" : "s");
  return kExitConfig;
}

// One line with every counter, for `kill -USR1`.
void log_counters(events::Bus& bus, const events::Counters& counters) {
  events::Event e{events::Kind::pxed_counters};
  for (const auto& [name, count] : counters.snapshot()) e.add(name, count);
  bus.emit(std::move(e));
}

// What a reload swaps: the snapshot generated files and machine records decide with.
struct Deciding {
  vfs::Tree* tree = nullptr;
  const boot::Sightings& sightings;
  app::Machines* machines = nullptr;  // null without a machine store
  const boot::Remembered* remembered = nullptr;  // the images, with a store or without
  dhcp::Service* dhcp = nullptr;
  app::AnswerFiles* answers = nullptr;
  const config::Secrets* secrets = nullptr;  // read at start; a reload keeps them
  std::vector<api::KnownMachine>* known = nullptr;  // the API's rows for machines not seen yet

  void use(const config::Config& cfg) const {
    auto snapshot = std::make_shared<const config::Config>(cfg);
    if (known != nullptr) *known = api::known_machines(cfg.inventory);
    if (machines != nullptr) machines->use(snapshot);
    if (answers != nullptr) answers->use(snapshot, remembered);
    if (dhcp != nullptr) dhcp->decide_with(dhcp::Deciding{snapshot, remembered});
    if (tree == nullptr) return;
    tree->set_generator(config::has_inventory(cfg)
                            ? std::make_shared<app::InventoryFiles>(snapshot, sightings, remembered)
                            : nullptr);
  }
};

// SIGHUP: read the config again and swap the inventory whole; transfers in
// flight keep the files they opened. A broken edit keeps the last good one.
// [boot] and the inventory change what DHCP offers and what files say; sockets,
// the tree's mounts, the system's loaders and DHCP's subnets stay as they were
// started. Install states and assignments are read again too (`pxed machines
// reinstall` and `assign` signal us).
void reload(const config::Config& running, const Deciding& deciding, events::Bus& bus) {
  if (deciding.machines != nullptr) deciding.machines->reload_remembered();
  auto loaded = config::load(running.source);
  if (loaded) {
    if (auto broken = app::answer_errors(*loaded, deciding.secrets); !broken.empty()) {
      loaded = std::unexpected(std::move(broken));
    }
  }
  if (!loaded) {
    for (const auto& e : loaded.error()) {
      bus.emit(events::Event{events::Kind::pxed_reload_failed}
          .add("error", e.to_string()));
    }
    bus.emit(events::Event{events::Kind::pxed_reload_failed}
        .add("config", running.source.string())
        .add("problems", loaded.error().size())
        .add("kept", "the last good inventory"));
    return;
  }
  deciding.use(*loaded);
  bus.emit(events::Event{events::Kind::pxed_reload}
      .add("config", running.source.string())
      .add("profiles", loaded->inventory.profiles.size())
      .add("groups", loaded->inventory.groups.size())
      .add("machines", loaded->inventory.machines.size()));
}

// A service that could not bind: the error, and who holds the port when that is why.
int bind_failed(events::Bus& bus, const std::string& error, app::Transport transport,
                std::initializer_list<std::uint16_t> ports) {
  events::Event e{events::Kind::pxed_fatal};
  e.add("error", error);
  if (error.contains(std::strerror(EADDRINUSE))) {
    std::string held;
    std::vector<std::uint16_t> asked;
    for (auto port : ports) {
      if (std::ranges::find(asked, port) != asked.end()) continue;
      asked.push_back(port);
      if (auto text = app::port_users_text(transport, port); !text.empty()) held += (held.empty() ? "" : "; ") + text;
    }
    if (!held.empty()) e.add("held_by", held);
    e.add("hint", "stop the other server (the old dnsmasq or a second pxed) or move one of them");
  }
  bus.emit(std::move(e));
  return kExitRuntime;
}

bool has_once(const config::Config& cfg) {
  return std::ranges::any_of(cfg.inventory.machines, &config::Machine::once);
}

int serve(const config::Config& cfg) {
  // Every event goes to the log and the counters; the services are handed the bus.
  events::Bus bus;
  bus.add(std::make_shared<events::Log>(
      cfg.server.log_format == config::LogFormat::json ? events::LogFormat::json : events::LogFormat::text,
      cfg.server.log_level));
  auto counters = std::make_shared<events::Counters>();
  bus.add(counters);
  // The API reads what the bus keeps for it: recent events, a row per machine, the live stream.
  const bool api_on = cfg.http.enabled && cfg.api.enabled;
  auto history = std::make_shared<api::History>(api_on ? cfg.api.history : 0);
  auto machine_table = std::make_shared<api::MachineTable>();
  auto stream = std::make_shared<api::Stream>(api::StreamLimits{.max_subscribers = cfg.api.max_streams});
  // /metrics answers where the API does: both read the same events, and both are open reads.
  auto metrics = std::make_shared<api::Metrics>();
  auto traffic = std::make_shared<api::Throughput>();
  if (api_on) {
    bus.add(history);
    bus.add(machine_table);
    bus.add(stream);
    bus.add(metrics);
    bus.add(traffic);
  }
  // Before anything else is emitted, so ids go on after the kept ones.
  boost::asio::io_context io(1);
  // HTTP's own threads emit through this: outputs and the namer stay on io's thread.
  app::LoopRelay relay(io);
  bus.set_forward([&relay, &bus](events::Event e) {
    relay.run([&bus, e = std::move(e)]() mutable { bus.emit(std::move(e)); });
  });
  const struct Unforward {
    events::Bus& bus;
    ~Unforward() { bus.set_forward(nullptr); }
  } unforward{bus};
  std::shared_ptr<app::EventRecorder> recorder;
  std::string no_history;
  if (api_on) {
    const std::array<events::Output*, 2> into{history.get(), machine_table.get()};
    auto restored = app::restore_history(cfg.server.state_dir, cfg.api.history, bus, into);
    no_history = restored.error;
    if (restored.store) {
      recorder = std::make_shared<app::EventRecorder>(
          std::move(*restored.store), cfg.api.history,
          [&io](std::function<void()> f) { boost::asio::post(io, std::move(f)); }, bus, app::EventRecorder::Limits{});
      bus.add(recorder);
    }
  }
  // Its last batch is written before io, which it reports failures to, is gone.
  const std::unique_ptr<app::EventRecorder, void (*)(app::EventRecorder*)> stop_recorder(
      recorder.get(), [](app::EventRecorder* r) { r->stop(); });
  if (!no_history.empty()) {
    bus.emit(events::Event{events::Kind::pxed_no_event_history}
        .add("error", no_history)
        .add("history", "since this start only"));
  }
  bool ready = false;
  // The API's token, while the file may still be root's alone; a file serve
  // would leave readable to others is refused, never served with.
  auto token = config::read_api_token(cfg);
  if (!token) {
    bus.emit(events::Event{events::Kind::pxed_fatal}.add("error", token.error().to_string()));
    return kExitRuntime;
  }
  // server.interfaces and server.user as this host has them, before any socket.
  if (auto host = app::check_host(cfg); !host.empty()) {
    for (const auto& e : host) bus.emit(events::Event{events::Kind::pxed_fatal}.add("error", e.to_string()));
    return kExitRuntime;
  }
  // The answer files' secrets, like the token: read now, while the file may be root's alone.
  auto read_secrets = config::read_secrets(cfg);
  if (!read_secrets) {
    for (const auto& e : read_secrets.error()) bus.emit(events::Event{events::Kind::pxed_fatal}.add("error", e.to_string()));
    return kExitConfig;
  }
  const auto secrets = std::make_shared<const config::Secrets>(std::move(*read_secrets));
  if (auto broken = app::answer_errors(cfg, secrets.get()); !broken.empty()) {
    for (const auto& e : broken) bus.emit(events::Event{events::Kind::pxed_fatal}.add("error", e.to_string()));
    return kExitConfig;
  }
  // What DHCP learns of each machine tells the file services who asks (and
  // names the machine in their events); the machine store remembers every
  // machine and the state of `once` installs.
  boot::Sightings sightings;
  bus.set_namer([&sightings](core::Ipv4 address) -> std::optional<core::Mac> {
    const auto* seen = sightings.by_address(address);
    return seen != nullptr ? std::optional(seen->facts.mac) : std::nullopt;
  });
  // sendfile(2) takes no MSG_NOSIGNAL: a client that resets mid-download must
  // cost an EPIPE, not the process.
  std::signal(SIGPIPE, SIG_IGN);
  // Before any socket: the caps may need more open files than a shell's default.
  const auto needed = app::descriptors_needed(cfg);
  auto file_limit = app::raise_file_limit();
  if (!file_limit || file_limit->now < needed) {
    events::Event e{events::Kind::pxed_file_limit};
    if (!file_limit) e.add("error", file_limit.error());
    else e.add("limit", file_limit->now);
    e.add("needed", needed)
        .add("hint", "at the caps (tftp.max_transfers, http.max_connections) opens fail; raise LimitNOFILE or "
                     "`ulimit -Hn`, or lower the caps");
    bus.emit(e);
  }
  // The root is opened before privileges go, so it may stay unreadable to others.
  // Without one (TFTP and HTTP both off: pxed answers DHCP only) nothing is served.
  std::optional<vfs::Tree> tree;
  if (!cfg.files.root.empty()) {
    auto opened = vfs::Tree::open_root(cfg.files.root);
    if (!opened) {
      bus.emit(events::Event{events::Kind::pxed_fatal}.add("error", opened.error()));
      return kExitRuntime;
    }
    tree.emplace(std::move(*opened));
  }
  // Every image served and the OS in it, for the API, the metrics and the
  // dashboard. Before the pool: a worker may be studying an image until the pool is gone.
  app::ImageCatalogue images(bus);
  // Images and mounted directories are opened now too, while root may still read them.
  for (const auto& mount : tree ? cfg.files.mounts : std::vector<config::Mount>{}) {
    auto added = mount.dir.empty() ? tree->add_iso_mount(mount.at, mount.iso)
                                   : tree->add_dir_mount(mount.at, mount.dir);
    if (!added) {
      bus.emit(events::Event{events::Kind::pxed_fatal}
          .add("error", config::ConfigError{cfg.source.string(), mount.line, "files.mount", added.error()}.to_string()));
      return kExitRuntime;
    }
    if (auto image = mount.dir.empty() ? tree->image_at(mount.at) : nullptr) {
      images.add_mount(mount.at, mount.iso, image);
    }
  }
  // The system's loaders too: their directories may not be readable once root is gone.
  auto system_files = tree ? app::open_system_files(cfg) : nullptr;
  if (tree) tree->set_system_files(system_files);
  // A missing loader or kernel fails a boot much later, on some machine: say so now.
  if (tree) {
    for (const auto& e : app::check_tree(cfg, *tree)) {
      bus.emit(events::Event{events::Kind::pxed_missing_file}.add("error", e.to_string()));
    }
  }
  // Disk work that can take long (an image's directories) runs here, and its
  // result comes back on io's thread; the loop itself reads no image directory.
  core::WorkerPool pool(
      kWorkerThreads, [&io](core::WorkerPool::Task task) { boost::asio::post(io, std::move(task)); },
      [] {
        // Workers yield the CPU to the loop: on two cores, two workers parsing
        // a hostile image's directory must not delay a DHCP answer. Linux
        // nice values are per thread; raising one needs no privilege.
        ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kWorkerNice);
      });
  if (tree) tree->set_on_loop(true);
  // osinfo-db (hundreds of files, thousands of patterns) is read on a worker
  // while the rest starts; the images served by then are identified after it.
  if (tree) images.load_osinfo(pool, osid::default_osinfo_dirs());
  // files.iso_dir is watched and scanned now; later images are opened (and
  // identified) on the pool, and the tree changes only on io's thread.
  std::optional<vfs::IsoDirService> iso_dir;
  if (tree && !cfg.files.iso_dir.empty()) {
    iso_dir.emplace(io, *tree, cfg.files.iso_dir, pool, bus, &images);
    if (auto opened = iso_dir->open(); !opened) {
      bus.emit(events::Event{events::Kind::pxed_fatal}.add("error", opened.error()));
      return kExitRuntime;
    }
  }
  std::optional<tftp::Service> tftp_service;
  if (cfg.tftp.enabled) {
    tftp_service.emplace(io, cfg.tftp, *tree, pool, bus);
    if (auto bound = tftp_service->bind(); !bound) {
      return bind_failed(bus, bound.error(), app::Transport::udp, {cfg.tftp.listen.port});
    }
  }
  app::Machines machines(io, cfg.server.state_dir, sightings, bus);
  bool remembering = true;
  if (auto opened = machines.open(); !opened) {
    if (has_once(cfg)) {
      bus.emit(events::Event{events::Kind::pxed_fatal}
          .add("error", opened.error() + " (once = true needs it)"));
      return kExitRuntime;
    }
    remembering = false;
    bus.emit(events::Event{events::Kind::pxed_no_machine_store}
        .add("error", opened.error()));
  }
  // The images served are the inventory's iso:<name> profiles, kept current
  // as images come, are identified and go; unhooked before machines goes.
  images.on_change(
      [&machines, &images](const osid::Catalogue& c) { machines.set_images(app::boot_images(c, images.programs())); });
  const struct Unhook {
    app::ImageCatalogue& images;
    ~Unhook() { images.on_change({}); }
  } unhook{images};
  Deciding deciding{tree ? &*tree : nullptr, sightings, remembering ? &machines : nullptr, &machines.remembered()};
  if (tree && remembering) tree->set_observer(std::make_shared<app::MachineObserver>(machines, relay));
  // Services live after io (declared later, destroyed first): their timers and
  // sockets belong to it. The API reads the DHCP service's leases, so it comes first.
  std::optional<dhcp::Service> dhcp_service;
  const bool api_writes = !token->empty() && remembering;
  auto api_token = token->empty() ? nullptr : std::make_shared<const api::Token>(std::move(*token));
  app::AnswerFiles answers(sightings, bus, api_token, secrets);
  deciding.answers = &answers;
  std::vector<api::KnownMachine> known;
  deciding.known = &known;
  deciding.secrets = secrets.get();
  if (auto hook = config::parse_hook_url(cfg.server.done_hook); hook && !cfg.server.done_hook.empty()) {
    bus.add(std::make_shared<app::DoneHook>(io, bus, *hook, cfg.server.done_hook,
                                            [&answers](const core::Mac& mac) { return answers.values_for(mac); }));
  }
  const api::Api api(api::Sources{*history, *machine_table, *stream, [&ready] { return ready; },
                                  cfg.dhcp.mode == config::DhcpMode::full ? cfg.dhcp.subnets
                                                                          : std::vector<config::Subnet>{},
                                  [&dhcp_service] {
                                    return dhcp_service ? dhcp_service->leases() : std::vector<store::Lease>{};
                                  },
                                  [&images] { return app::images_json(images.catalogue(), images.programs()); },
                                  traffic.get(), {},
                                  remembering ? &machines : nullptr,
                                  api_token, &known});
  std::optional<http::Service> http_service;
  if (cfg.http.enabled) {
    auto routes = app::http_routes(cfg, api_on ? &api : nullptr, api_on ? metrics.get() : nullptr,
                                   remembering ? &machines : nullptr, &answers);
    const unsigned threads = cfg.server.threads == 0 ? core::usable_cores() : cfg.server.threads;
    http_service.emplace(io, cfg.http, threads, *tree, pool, bus, std::move(routes.boot));
    if (cfg.api.listen && api_on) http_service->add_listener(*cfg.api.listen, std::move(routes.api));
    if (auto bound = http_service->bind(); !bound) {
      return bind_failed(bus, bound.error(), app::Transport::tcp,
                         {cfg.http.listen.port, cfg.api.listen ? cfg.api.listen->port : cfg.http.listen.port});
    }
  }
  if (cfg.dhcp.mode != config::DhcpMode::off) {
    std::function<void(const boot::Sighting&)> on_seen;
    if (remembering) on_seen = [&](const boot::Sighting& s) { machines.seen(s); };
    dhcp_service.emplace(io, cfg, sightings, bus, std::move(on_seen));
    deciding.dhcp = &*dhcp_service;
    if (auto bound = dhcp_service->bind(); !bound) {
      return bind_failed(bus, bound.error(), app::Transport::udp, {dhcp::kServerPort, dhcp::kPxePort});
    }
    if (cfg.dhcp.mode == config::DhcpMode::full) {
      app::warn_if_recently_recovered(cfg, core::unix_now(), bus);
    }
  }
  deciding.use(cfg);
  if (api_on) metrics->read_from(app::metric_sources(cfg, tftp_service, http_service, dhcp_service, iso_dir,
                                                images, *machine_table, *stream));
  // `pxed machines reinstall` finds us here to send SIGHUP.
  app::PidFile pid_file(cfg.server.state_dir / "pxed.pid");
  // An edited config or inventory reloads by itself, as on SIGHUP.
  app::ConfigWatch config_watch(io, cfg.sources, [&] { reload(cfg, deciding, bus); });
  if (auto watching = config_watch.open(); !watching) {
    bus.emit(events::Event{events::Kind::pxed_no_config_watch}
        .add("error", watching.error())
        .add("reload", "on SIGHUP only"));
  }
  const app::ServedDirs served_dirs(cfg);
  if (auto dropped = app::drop_privileges(cfg.server.user); !dropped) {
    bus.emit(events::Event{events::Kind::pxed_fatal}.add("error", dropped.error()));
    return kExitRuntime;
  }
  // Not "ready" and then a 403 for every file: a tree we cannot read now is fatal.
  if (auto unreadable = served_dirs.unreadable(cfg); !unreadable.empty()) {
    for (const auto& e : unreadable) {
      bus.emit(events::Event{events::Kind::pxed_fatal}.add("error", e.to_string()));
    }
    return kExitRuntime;
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int signal) {
    bus.emit(events::Event{events::Kind::pxed_stop}.add("signal", signal));
    io.stop();
  });
  // dnsmasq users send HUP to reload; USR1 asks for the counters.
  boost::asio::signal_set control(io, SIGHUP, SIGUSR1);
  std::function<void(const boost::system::error_code&, int)> on_control = [&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) reload(cfg, deciding, bus);
    if (signal == SIGUSR1) log_counters(bus, *counters);
    control.async_wait(on_control);
  };
  control.async_wait(on_control);
  if (iso_dir) iso_dir->start();
  // wimboot and memdisk, as they come and go in the tree: the images that
  // boot through them are offered with them.
  std::optional<app::ProgramWatch> programs;
  if (tree) {
    programs.emplace(io, *tree, pool, cfg.files.root.string(), [&images, &bus](const osid::Programs& now) {
      const auto before = images.programs();
      images.set_programs(now);
      auto tell = [&bus](std::string_view program, bool was, bool is) {
        if (was == is) return;
        bus.emit(events::Event{events::Kind::iso_program}
                     .add("program", program)
                     .add("state", is ? "served" : "gone")
                     .add("path", "/" + std::string(program)));
      };
      tell(osid::kWimbootName, before.wimboot, now.wimboot);
      tell(osid::kMemdiskName, before.memdisk, now.memdisk);
    });
    programs->start();
  }
  config_watch.start();
  if (tftp_service) tftp_service->start();
  if (http_service) {
    if (auto started = http_service->start(); !started) {
      bus.emit(events::Event{events::Kind::pxed_fatal}.add("error", started.error()));
      return kExitRuntime;
    }
  }
  if (dhcp_service) dhcp_service->start();
  // Last, once every socket, file and thread serve needs is open: the filter
  // reaches the workers too, and nothing later needs what it refuses.
  std::string sandbox = "off";
  if (cfg.server.sandbox) {
    auto filtered = app::apply_syscall_filter({.still_root = ::geteuid() == 0});
    sandbox = filtered ? "seccomp" : "failed";
    if (!filtered) {
      bus.emit(events::Event{events::Kind::pxed_sandbox}
          .add("error", filtered.error())
          .add("serving", "without the syscall filter"));
    }
  }
  events::Event ready_event{events::Kind::pxed_ready};
  ready_event.add("version", PXED_VERSION).add("root", cfg.files.root.string()).add("sandbox", sandbox);
  if (file_limit) ready_event.add("open_files", file_limit->now);
  if (tree) {
    // Which packages' loaders fill in the tree: "pxelinux,syslinux-common,ipxe", "none" or "off".
    std::string packages;
    for (const auto& name : system_files ? system_files->packages() : std::vector<std::string>{}) {
      packages += (packages.empty() ? "" : ",") + name;
    }
    ready_event.add("system_loaders", !system_files ? "off" : packages.empty() ? "none" : packages);
    // Where each [[files.mount]] shows: a typo in `at` is seen here, not in a 404 later.
    std::string mounts;
    for (const auto& m : cfg.files.mounts) mounts += (mounts.empty() ? "" : ",") + m.at;
    if (!mounts.empty()) ready_event.add("mounts", mounts);
    if (!cfg.files.iso_dir.empty()) ready_event.add("iso_dir", cfg.files.iso_dir.string());
  }
  auto addresses = [](const std::vector<config::Endpoint>& all) {
    std::string text;
    for (const auto& at : all) text += (text.empty() ? "" : ",") + config::to_string(at);
    return text;
  };
  if (cfg.tftp.enabled) ready_event.add("tftp", addresses(config::listen_addresses(cfg.tftp)));
  if (cfg.http.enabled) ready_event.add("http", addresses(config::listen_addresses(cfg.http)));
  if (http_service) ready_event.add("http_threads", http_service->threads());
  if (api_on && cfg.api.listen) ready_event.add("api", config::to_string(*cfg.api.listen));
  if (api_on) ready_event.add("api_writes", api_writes ? "on" : "off");
  if (dhcp_service) {
    ready_event.add("dhcp", cfg.dhcp.mode == config::DhcpMode::full ? "full" : "proxy");
    std::string interfaces;
    for (const auto& name : cfg.server.interfaces) interfaces += (interfaces.empty() ? "" : ",") + name;
    ready_event.add("interfaces", interfaces);
    if (cfg.dhcp.mode == config::DhcpMode::full) ready_event.add("leases", dhcp_service->active_leases());
  }
  bus.emit(ready_event);
  ready = true;
  io.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A HUP or USR1 (a reload, `pxed machines reinstall`) that comes while serve
  // starts would end it with the default action: ignored until serve's
  // handlers take them; the config watch catches an edit meanwhile.
  std::signal(SIGHUP, SIG_IGN);
  std::signal(SIGUSR1, SIG_IGN);
  CLI::App cli{kDescription, "pxed"};
  cli.set_version_flag("--version", std::string("pxed ") + PXED_VERSION);
  cli.require_subcommand(1);
  cli.footer("Run 'pxed SUBCOMMAND --help' for a subcommand's options.\nExit codes: 0 ok, 1 runtime failure (a port held, a file unreadable, ...), 2 bad usage or bad config.");

  std::string config_path;
  std::string log_format;
  std::string log_level;
  auto* serve_cmd = cli.add_subcommand("serve", "Serve the configured tree over TFTP and HTTP until SIGINT/SIGTERM");
  serve_cmd->add_option("-c,--config", config_path, "Config file (TOML)")->required();
  serve_cmd->add_option("--log-format", log_format, "Override server.log_format")->check(CLI::IsMember({"text", "json"}));
  serve_cmd->add_option("--log-level", log_level, "Override server.log_level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  serve_cmd->footer(
      "Exit codes: 1 when it cannot start (a port another process holds, named in pxed.fatal held_by=; an image,\n"
      "an interface, server.user as pxed check reports them), 2 bad usage or a config that does not parse, 0 after\n"
      "SIGINT/SIGTERM.");
  bool check_sandbox = false;
  serve_cmd->add_flag("--check-sandbox", check_sandbox,
                      "Bind nothing: switch to server.user and load the syscall filter as serve does, make calls the "
                      "filter must refuse, print what is left (capabilities, no_new_privs, seccomp); exit 0 if it "
                      "holds, 1 if not");

  auto* check_cmd = cli.add_subcommand("check", "Everything serve would refuse at start: the config file (with \"did you mean\" for misspelt keys), "
                                    "server.user and server.interfaces on this host, the images mounted, the files it names in "
                                    "the tree, that server.user can read the tree and, in full DHCP mode, the lease store; print "
                                    "every problem, exit 2 if any");
  check_cmd->add_option("-c,--config", config_path, "Config file (TOML)")->required();
  check_cmd->footer(
      "Exit codes: 0 nothing serve would refuse (notes on standard output), 2 a problem: each as file:line: key: what.");
  bool skip_host = false;
  check_cmd->add_flag("--skip-host", skip_host,
                      "A config for another machine: leave out server.interfaces, server.user and whether the ports "
                      "are free, which only the host that serves can answer");

  std::string iso_image;
  std::string iso_path;
  auto* iso_cmd = cli.add_subcommand("iso", "Inspect ISO 9660 and UDF images without mounting them");
  iso_cmd->require_subcommand(1);
  auto* iso_ls_cmd = iso_cmd->add_subcommand("ls", "List a directory inside an image (Rock Ridge, Joliet, plain or UDF names)");
  iso_ls_cmd->add_option("IMAGE", iso_image, "The .iso file")->required();
  iso_ls_cmd->add_option("PATH", iso_path, "Directory inside the image (default: the root)");
  app::IsoInfoArgs iso_info_args;
  auto* iso_info_cmd = iso_cmd->add_subcommand(
      "info", "Identify the OS in an image from its volume descriptor (osinfo-db): name, version, arch, "
              "installer or live, kernel and initrd, and the rule that matched or why none did");
  iso_info_cmd->add_option("IMAGE", iso_info_args.image, "The .iso file")->required();
  iso_info_cmd->add_flag("--json", iso_info_args.json, "One JSON object");
  iso_info_cmd->add_option("--http", iso_info_args.http,
                           "pxed's HTTP as clients reach it, for the boot entry's URLs (default: "
                           "http://SERVER)");
  iso_info_cmd->add_option("--osinfo-dir", iso_info_args.osinfo_dirs,
                           "An osinfo-db directory (holding os/), repeatable, later ones override "
                           "(default: /usr/share/osinfo, /etc/osinfo, ~/.config/osinfo, as libosinfo)");
  iso_info_cmd->footer(
      "Reads the image's volume descriptors and looks up the kernel and initrd osinfo names; nothing is mounted.\n"
      "The entries are shown as serve gives them with wimboot and memdisk in its tree; boot-needs says which.\n"
      "Examples:\n"
      "  pxed iso info debian-11.5.0-amd64-netinst.iso\n"
      "  pxed iso info ubuntu-22.04.1-live-server-amd64.iso --json\n"
      "  pxed iso info my.iso --osinfo-dir /usr/share/osinfo --osinfo-dir ./my-osinfo\n"
      "Exit codes: 0 the image was read (identified, or \"os unknown\" with the reason), 1 not an image.");
  app::IsoListArgs iso_list_args;
  auto* iso_list_cmd = iso_cmd->add_subcommand(
      "list", "Every image the config serves ([[files.mount]] images, *.iso in files.iso_dir): its URL, volume "
              "id and the OS osinfo-db finds in it");
  iso_list_cmd->add_option("-c,--config", iso_list_args.config, "Config file (TOML)")->capture_default_str();
  iso_list_cmd->add_flag("--json", iso_list_args.json, "One JSON object, as GET /api/v1/images answers");
  iso_list_cmd->add_option("--osinfo-dir", iso_list_args.osinfo_dirs,
                           "An osinfo-db directory (holding os/), repeatable, later ones override");
  iso_list_cmd->footer(
      "Opens each image's volume descriptors, as pxed serve does; no server is needed and nothing is mounted.\n"
      "Examples:\n"
      "  pxed iso list -c /etc/pxed/pxed.toml\n"
      "  pxed iso list -c pxed.toml --json | jq -r '.images[] | [.url, .os.short_id // \"unknown\"] | @tsv'\n"
      "Exit codes: 0 every image read (identified or not), 1 an image could not be opened, 2 config error.");

  app::TemplateArgs template_args;
  auto* template_cmd = cli.add_subcommand("template", "Answer-file templates (kickstart, preseed, autoinstall, ...)");
  template_cmd->require_subcommand(1);
  auto* template_render_cmd = template_cmd->add_subcommand(
      "render", "Print a machine's answer file as pxed serves it, with every variable it uses and where each comes from");
  template_render_cmd->add_option("-c,--config", config_path, "Config file (TOML)")->required();
  template_render_cmd->add_option("--mac", template_args.mac, "The machine's MAC address")->required();
  template_render_cmd->add_option("NAME", template_args.name, "The answer file's name (preseed.cfg); default: every one");
  template_render_cmd->add_option("--ip", template_args.ip, "The machine's address (its lease)");
  template_render_cmd->add_option("--uuid", template_args.uuid, "The machine's UUID (option 97)");
  template_render_cmd->add_flag("--show-secrets", template_args.show_secrets,
                                "Print values from [server] secrets_file (else <secret>)");
  template_render_cmd->add_option("--server", template_args.server,
                                  "pxed's address as the machine sees it (${server}, ${http}); default as lookup");
  template_render_cmd->footer(
      "Examples:\n"
      "  pxed template render -c pxed.toml --mac 52:54:00:12:34:56\n"
      "  pxed template render -c pxed.toml --mac 52:54:00:12:34:56 preseed.cfg --ip 10.77.0.23\n"
      "Exit codes: 0 rendered, 1 the machine has no such answer file, 2 bad input, config or template.");
  app::LookupArgs lookup_args;
  auto* lookup_cmd = cli.add_subcommand("lookup", "Show what a machine would boot and why, without the machine");
  lookup_cmd->add_option("-c,--config", config_path, "Config file (TOML)")->required();
  lookup_cmd->add_option("--mac", lookup_args.mac, "The machine's MAC address")->required();
  lookup_cmd->add_option("--arch", lookup_args.arch, "bios, efi32, efi64, arm64, efi64-http or an option 93 number")
      ->capture_default_str();
  lookup_cmd->add_flag("--ipxe", lookup_args.ipxe, "The machine already runs iPXE (user class iPXE)");
  lookup_cmd->add_flag("--http-client", lookup_args.http_client, "UEFI HTTP boot (vendor class HTTPClient)");
  lookup_cmd->add_option("--boot-item", lookup_args.boot_item, "A PXE menu item type the machine chose (port 4011)");
  lookup_cmd->add_option("--server", lookup_args.server,
                         "pxed's address as the machine sees it (${server}); default: tftp.listen's or http.listen's "
                         "address, else 10.0.0.1");
  lookup_cmd->add_option("--ip", lookup_args.ip, "The machine's address (its lease, or the other DHCP server's)");
  lookup_cmd->add_option("--uuid", lookup_args.uuid, "The machine's UUID (option 97), 8-4-4-4-12 hex digits");
  lookup_cmd->add_option("--loader", lookup_args.loader, "pxelinux, syslinux-efi, grub or ipxe (default: from the boot file)");
  lookup_cmd->footer(
      "Prints the rule that names the machine (file:line), the DHCP answer, every config name the loader\n"
      "asks in order with what each gets (your file, generated, not found), and the config it receives.\n"
      "Examples:\n"
      "  pxed lookup -c pxed.toml --mac 52:54:00:12:34:56\n"
      "  pxed lookup -c pxed.toml --mac 52:54:00:12:34:56 --arch efi64 --ip 10.77.0.23 --loader grub\n"
      "  pxed lookup -c pxed.toml --mac 52:54:00:12:34:56 --ipxe\n"
      "Exit codes: 0 an answer, 1 nothing to boot, 2 bad input or config.");

  bool machines_json = false;
  std::string reinstall_mac;  // reinstall, assign and unassign's MAC
  auto* machines_cmd = cli.add_subcommand("machines", "Every machine that asked (known or not), newest first");
  machines_cmd->add_option("-c,--config", config_path, "Config file (TOML)")->required();
  machines_cmd->add_flag("--json", machines_json, "One JSON array");
  auto* reinstall_cmd = machines_cmd->add_subcommand("reinstall", "Make a once machine install again at its next boot");
  reinstall_cmd->add_option("MAC", reinstall_mac, "The machine's MAC address")->required();
  reinstall_cmd->add_option("-c,--config", config_path, "Config file (TOML)");
  std::string assign_profile;
  auto* assign_cmd = machines_cmd->add_subcommand(
      "assign", "Give a machine a profile by hand, over the inventory's choice (pxed never saw it is fine)");
  assign_cmd->add_option("MAC", reinstall_mac, "The machine's MAC address")->required();
  assign_cmd->add_option("PROFILE", assign_profile, "A profile of the inventory, or local")->required();
  assign_cmd->add_option("-c,--config", config_path, "Config file (TOML)");
  auto* unassign_cmd = machines_cmd->add_subcommand("unassign", "Let the inventory choose the machine's profile again");
  unassign_cmd->add_option("MAC", reinstall_mac, "The machine's MAC address")->required();
  unassign_cmd->add_option("-c,--config", config_path, "Config file (TOML)");
  machines_cmd->footer(
      "Reads <state_dir>/machines.sqlite3 (beside a running pxed too). Columns: MAC, NAME (inventory), IP,\n"
      "ARCH, STAGE (dhcp, loader, config, kernel, initrd, installer, done), LAST SEEN, PROFILE, INSTALL\n"
      "(once machines: pending, or done and when). Machines in the inventory that never asked come last.\n"
      "Examples:\n"
      "  pxed machines -c /etc/pxed/pxed.toml\n"
      "  pxed machines -c /etc/pxed/pxed.toml --json\n"
      "  pxed machines -c /etc/pxed/pxed.toml reinstall 88:99:aa:bb:cc:dd\n"
      "  pxed machines -c /etc/pxed/pxed.toml assign 88:99:aa:bb:cc:dd rescue    (unassign MAC to undo)");

  app::StatusArgs status_args;
  auto* status_cmd = cli.add_subcommand("status", "Every machine a running pxed has seen and the stage its boot reached");
  status_cmd->add_option("-c,--config", config_path, "Config file (TOML): where pxed's HTTP listener is")->required();
  status_cmd->add_option("--server", status_args.server, "HOST:PORT of the pxed to ask (default: [api] listen, else [http] listen)");
  status_cmd->add_flag("--json", status_args.json, "The API's answer (/api/v1/machines)");
  status_cmd->add_flag("-w,--watch", status_args.watch, "Redraw it every --interval until Ctrl-C");
  status_cmd->add_option("--interval", status_args.interval_seconds, "Seconds between redraws (2)")
      ->check(CLI::Range(0.1, 3600.0));
  status_cmd->footer(
      "Columns: MAC, IP, ARCH, STAGE (dhcp, loader, config, kernel, initrd, installer, done), PROGRESS (one #\n"
      "per stage), BOOT (from its DHCP request to its latest stage), LAST SEEN, LAST FILE, PROBLEM (the last\n"
      "failed fetch of this boot). Reads the running pxed's JSON API (docs/api.md); `pxed machines` reads the\n"
      "machine store instead, with what the inventory says of each machine.\n"
      "Examples:\n"
      "  pxed status -c /etc/pxed/pxed.toml\n"
      "  pxed status -c /etc/pxed/pxed.toml --watch\n"
      "  pxed status -c /etc/pxed/pxed.toml --json | jq '.machines[] | select(.problem != \"\")'");

  app::EventsArgs events_args;
  auto* events_cmd = cli.add_subcommand("events", "A running pxed's recent events, or every event as it happens");
  events_cmd->add_option("-c,--config", config_path, "Config file (TOML): where pxed's HTTP listener is")->required();
  events_cmd->add_option("--server", events_args.server, "HOST:PORT of the pxed to ask (default: [api] listen, else [http] listen)");
  events_cmd->add_flag("-f,--follow", events_args.follow, "Every event as it happens, until Ctrl-C");
  events_cmd->add_option("--mac", events_args.mac, "Only this machine's");
  events_cmd->add_option("--kind", events_args.kind, "Only this kind (docs/events.md): tftp.done, machine.stage, ...");
  events_cmd->add_option("-n,--last", events_args.last, "Without --follow: this many of the newest (50)")
      ->check(CLI::Range(1, 10000000));
  events_cmd->add_flag("--json", events_args.json, "One JSON object per line, as the API gives them");
  events_cmd->footer(
      "Examples:\n"
      "  pxed events -c /etc/pxed/pxed.toml --mac 52:54:00:12:34:56     one machine's recent events\n"
      "  pxed events -c /etc/pxed/pxed.toml -f --kind machine.stage     boots as they move");

  auto* leases_cmd = cli.add_subcommand("leases", "Check or recover the DHCP lease store (<state_dir>/leases.sqlite3)");
  leases_cmd->require_subcommand(1);
  auto* leases_check_cmd = leases_cmd->add_subcommand(
      "check", "Say whether the lease store is whole and what it holds; exit 1 if pxed would refuse it");
  leases_check_cmd->add_option("-c,--config", config_path, "Config file (TOML)")->required();
  auto* leases_recover_cmd = leases_cmd->add_subcommand(
      "recover", "With pxed stopped: keep a copy of the lease files and build a new store from what is readable");
  leases_recover_cmd->add_option("-c,--config", config_path, "Config file (TOML)")->required();
  leases_cmd->footer(
      "pxed remembers in <state_dir>/leases.seen how many addresses its store held. A store that holds fewer\n"
      "(truncated, its -wal lost or garbled, another file in its place) or fails SQLite's quick_check is\n"
      "refused at start in full mode, since pxed would hand out addresses other machines still hold.\n"
      "recover copies every lease file to <state_dir>/leases.damaged-<UTC time>/, reads every row it can,\n"
      "writes them to a new store and says how long machines may still hold addresses it lost (docs/leases.md).\n"
      "Examples:\n"
      "  pxed leases check -c /etc/pxed/pxed.toml\n"
      "  systemctl stop pxed && pxed leases recover -c /etc/pxed/pxed.toml && systemctl start pxed\n"
      "Exit codes: 0 ok, 1 damaged or failed, 2 config error.");

  app::ImportArgs import_args;
  auto* import_cmd = cli.add_subcommand("import", "Write a pxed.toml from another boot server's configuration");
  import_cmd->require_subcommand(1);
  auto* import_dnsmasq_cmd = import_cmd->add_subcommand(
      "dnsmasq", "From a dnsmasq configuration (DHCP or ProxyDHCP, PXE, TFTP) and the files it includes");
  import_dnsmasq_cmd->add_option("FILE", import_args.file, "The dnsmasq configuration, e.g. /etc/dnsmasq.conf")->required();
  import_dnsmasq_cmd->add_option("--nginx", import_args.nginx,
                                 "The nginx configuration serving the same files over HTTP (nginx.conf, or a site "
                                 "file): its root, aliases and listen become [files] and [http]");
  import_dnsmasq_cmd->add_option("--fstab", import_args.fstab,
                                 "Where ISO images mounted with -o loop are listed (default /etc/fstab, if any; the "
                                 "machine's live loop mounts are read too)");
  import_dnsmasq_cmd->add_option("-o,--output", import_args.output, "Write pxed.toml here (default: standard output)");
  import_dnsmasq_cmd->add_flag("--force", import_args.force, "Replace the --output file if it exists");
  import_dnsmasq_cmd->footer(
      "Reads FILE and its conf-file/conf-dir includes; every line pxed.toml cannot say, or says only\n"
      "approximately, is printed on standard error as file:line: option: why, and repeated as a comment at\n"
      "the end of the output. Check the result before you stop dnsmasq.\n"
      "With --nginx, the nginx file and its includes: the server that serves files gives files.root (one\n"
      "tree for TFTP and HTTP), its locations' alias and root become [[files.mount]] dir, its listen\n"
      "[http] listen. A directory that is an ISO image mounted with -o loop (in fstab, or mounted now)\n"
      "becomes a [[files.mount]] of the image. proxy_pass, rewrites, auth, TLS and the other server\n"
      "blocks are printed as file:line: directive: why.\n"
      "Examples:\n"
      "  pxed import dnsmasq /etc/dnsmasq.conf -o /etc/pxed/pxed.toml && pxed check -c /etc/pxed/pxed.toml\n"
      "  pxed import dnsmasq /etc/dnsmasq.conf --nginx /etc/nginx/nginx.conf -o pxed.toml\n"
      "  pxed import dnsmasq /etc/dnsmasq.d/pxe.conf | less\n"
      "Exit codes: 0 written, 1 a FILE unreadable or malformed (or the output unwritable), 2 usage (the output\n"
      "exists without --force).");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app::usage_exit(cli, e, std::vector<std::string>(argv + 1, argv + argc), std::cerr);
  }
  if (!*serve_cmd) {  // the other commands end on a terminal's hangup as usual
    std::signal(SIGHUP, SIG_DFL);
    std::signal(SIGUSR1, SIG_DFL);
  }
  if (*import_dnsmasq_cmd) return app::import_dnsmasq(import_args, std::cout, std::cerr);
  if (*iso_ls_cmd) return iso::iso_ls(iso_image, iso_path, std::cout, std::cerr);
  if (*iso_info_cmd) return app::iso_info(iso_info_args, std::cout, std::cerr);
  if (*iso_list_cmd) return app::iso_list(iso_list_args, std::cout, std::cerr);

  auto cfg = load_or_report(config_path);
  if (!cfg) return kExitConfig;
  if (*check_cmd) return check(*cfg, config_path, skip_host);
  if (*lookup_cmd) return app::lookup(*cfg, lookup_args, std::cout, std::cerr);
  if (*template_render_cmd) return app::render_template_cli(*cfg, template_args, std::cout, std::cerr);
  if (*reinstall_cmd) return app::reinstall_machine(*cfg, reinstall_mac, std::cout, std::cerr);
  if (*assign_cmd) return app::assign_profile(*cfg, reinstall_mac, assign_profile, std::cout, std::cerr);
  if (*unassign_cmd) return app::unassign_profile(*cfg, reinstall_mac, std::cout, std::cerr);
  if (*machines_cmd) return app::list_machines(*cfg, machines_json, std::cout, std::cerr);
  if (*leases_check_cmd) return app::check_leases(*cfg, core::unix_now(), std::cout, std::cerr);
  if (*leases_recover_cmd) return app::recover_leases(*cfg, core::unix_now(), std::cout, std::cerr);
  if (check_sandbox) return app::check_sandbox(*cfg, std::cout, std::cerr);
  if (*status_cmd) return app::show_status(*cfg, status_args, std::cout, std::cerr);
  if (*events_cmd) return app::show_events(*cfg, events_args, std::cout, std::cerr);
  if (!log_format.empty()) cfg->server.log_format = log_format == "json" ? config::LogFormat::json : config::LogFormat::text;
  if (!log_level.empty()) cfg->server.log_level = log_level;
  return serve(*cfg);
}
