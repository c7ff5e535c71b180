// pxed: one process that answers what a bare machine asks on its way to an
// installed OS. This file wires config, services and signals; it decides nothing.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <fmt/format.h>
#include <iostream>
#include <optional>

#include "app/privileges.hpp"
#include "boot/boot.hpp"
#include "config/config.hpp"
#include "dhcp/dhcp_service.hpp"
#include "events/events.hpp"
#include "http/http_service.hpp"
#include "iso/iso_ls.hpp"
#include "tftp/tftp_service.hpp"
#include "vfs/iso_dir_service.hpp"
#include "vfs/tree.hpp"

namespace {

using namespace pxed;

constexpr int kExitConfig = 2;
constexpr int kExitRuntime = 1;

constexpr const char* kDescription = R"(pxed - a network boot server: DHCP or ProxyDHCP, and one tree served over TFTP and HTTP.

Examples:
  pxed check -c /etc/pxed/pxed.toml          validate a config, print every problem as file:line: key: what
  pxed serve -c /etc/pxed/pxed.toml          serve the tree in [files] root over TFTP (and HTTP if [http] enabled),
                                             and DHCP on server.interfaces if [dhcp] mode is proxy or full
  pxed serve -c pxed.toml --log-format json  one JSON object per log line, for log shippers
  curl -o lpxelinux.0 tftp://SERVER/lpxelinux.0   fetch a file to see it working
  curl -O http://SERVER/vmlinuz                   the same tree over HTTP, with Range and keep-alive
  pxed iso ls debian-12.iso install.amd        look inside an ISO image without mounting it
  pxed lookup -c pxed.toml --mac 52:54:00:12:34:56 --arch efi64   what that machine boots, and why

Start from pxed.example.toml: every key is documented there.)";

std::optional<config::Config> load_or_report(const std::string& path) {
  auto loaded = config::load(path);
  if (loaded) return std::move(*loaded);
  for (const auto& e : loaded.error()) std::cerr << e.to_string() << '\n';
  std::cerr << fmt::format("{}: {} problem{} found\n", path, loaded.error().size(),
                           loaded.error().size() == 1 ? "" : "s");
  return std::nullopt;
}

int serve(const config::Config& cfg) {
  events::init_logging(cfg.server.log_format, cfg.server.log_level);
  // sendfile(2) takes no MSG_NOSIGNAL: a client that resets mid-download must
  // cost an EPIPE, not the process.
  std::signal(SIGPIPE, SIG_IGN);
  // The root is opened before privileges go, so it may stay unreadable to others.
  // Without one (TFTP and HTTP both off: pxed answers DHCP only) nothing is served.
  std::optional<vfs::Tree> tree;
  if (!cfg.files.root.empty()) {
    auto opened = vfs::Tree::open_root(cfg.files.root);
    if (!opened) {
      events::emit(events::Event{.name = "pxed.fatal", .level = events::Level::error, .fields = {}}.add("error", opened.error()));
      return kExitRuntime;
    }
    tree.emplace(std::move(*opened));
  }
  // Images and mounted directories are opened now too, while root may still read them.
  for (const auto& mount : tree ? cfg.files.mounts : std::vector<config::Mount>{}) {
    auto added = mount.dir.empty() ? tree->add_iso_mount(mount.at, mount.iso)
                                   : tree->add_dir_mount(mount.at, mount.dir);
    if (!added) {
      events::emit(events::Event{.name = "pxed.fatal", .level = events::Level::error, .fields = {}}.add("error", added.error()));
      return kExitRuntime;
    }
  }
  boost::asio::io_context io(1);
  // files.iso_dir is watched and scanned now; it changes the tree only on io's thread.
  std::optional<vfs::IsoDirService> iso_dir;
  if (tree && !cfg.files.iso_dir.empty()) {
    iso_dir.emplace(io, *tree, cfg.files.iso_dir);
    if (auto opened = iso_dir->open(); !opened) {
      events::emit(events::Event{.name = "pxed.fatal", .level = events::Level::error, .fields = {}}.add("error", opened.error()));
      return kExitRuntime;
    }
  }
  std::optional<tftp::Service> tftp_service;
  if (cfg.tftp.enabled) {
    tftp_service.emplace(io, cfg.tftp, *tree);
    if (auto bound = tftp_service->bind(); !bound) {
      events::emit(events::Event{.name = "pxed.fatal", .level = events::Level::error, .fields = {}}.add("error", bound.error()));
      return kExitRuntime;
    }
  }
  std::optional<http::Service> http_service;
  if (cfg.http.enabled) {
    http_service.emplace(io, cfg.http, *tree);
    if (auto bound = http_service->bind(); !bound) {
      events::emit(events::Event{.name = "pxed.fatal", .level = events::Level::error, .fields = {}}.add("error", bound.error()));
      return kExitRuntime;
    }
  }
  std::optional<dhcp::Service> dhcp_service;
  if (cfg.dhcp.mode != config::DhcpMode::off) {
    dhcp_service.emplace(io, cfg);
    if (auto bound = dhcp_service->bind(); !bound) {
      events::emit(events::Event{.name = "pxed.fatal", .level = events::Level::error, .fields = {}}.add("error", bound.error()));
      return kExitRuntime;
    }
  }
  if (auto dropped = app::drop_privileges(cfg.server.user); !dropped) {
    events::emit(events::Event{.name = "pxed.fatal", .level = events::Level::error, .fields = {}}.add("error", dropped.error()));
    return kExitRuntime;
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int signal) {
    events::emit(events::Event{.name = "pxed.stop", .level = events::Level::info, .fields = {}}.add("signal", std::to_string(signal)));
    io.stop();
  });
  if (iso_dir) iso_dir->start();
  if (tftp_service) tftp_service->start();
  if (http_service) http_service->start();
  if (dhcp_service) dhcp_service->start();
  events::Event ready{.name = "pxed.ready", .level = events::Level::info, .fields = {}};
  ready.add("version", PXED_VERSION).add("root", cfg.files.root.string());
  if (cfg.tftp.enabled) ready.add("tftp", fmt::format("{}:{}", cfg.tftp.listen.address, cfg.tftp.listen.port));
  if (cfg.http.enabled) ready.add("http", fmt::format("{}:{}", cfg.http.listen.address, cfg.http.listen.port));
  if (dhcp_service) {
    ready.add("dhcp", cfg.dhcp.mode == config::DhcpMode::full ? "full" : "proxy");
    std::string interfaces;
    for (const auto& name : cfg.server.interfaces) interfaces += (interfaces.empty() ? "" : ",") + name;
    ready.add("interfaces", interfaces);
    if (cfg.dhcp.mode == config::DhcpMode::full) ready.add("leases", std::to_string(dhcp_service->active_leases()));
  }
  events::emit(ready);
  io.run();
  return 0;
}

// The facts a lookup pretends a DHCP request carried.
struct LookupArgs {
  std::string mac;
  std::string arch = "bios";  // a name (bios, efi32, efi64, arm64, efi64-http) or an option 93 number
  std::string server = "10.0.0.1";
  bool ipxe = false;
  bool http_client = false;
  int boot_item = -1;
};

std::optional<std::uint16_t> arch_code(const std::string& text) {
  static const std::pair<std::string_view, std::uint16_t> kNames[] = {
      {"bios", 0}, {"efi32", 6}, {"efi64", 7}, {"arm32", 10}, {"arm64", 11}, {"efi64-http", 16},
      {"arm64-http", 19}};
  for (const auto& [name, code] : kNames) {
    if (text == name) return code;
  }
  std::uint16_t code = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
  if (ec == std::errc{} && end == text.data() + text.size()) return code;
  return std::nullopt;
}

// boot::resolve is the one place that decides what a machine boots; this
// shows its answer (and why) without any machine on the wire.
int lookup(const config::Config& cfg, const LookupArgs& args) {
  auto mac = core::Mac::parse(args.mac);
  auto arch = arch_code(args.arch);
  auto server = core::Ipv4::parse(args.server);
  if (!mac || !arch || !server) {
    std::cerr << (!mac ? "--mac: expected 52:54:00:12:34:56\n" : "")
              << (!arch ? "--arch: expected bios, efi32, efi64, arm64, efi64-http or a number\n" : "")
              << (!server ? "--server: expected an IPv4 address\n" : "");
    return kExitConfig;
  }
  boot::ClientFacts facts;
  facts.mac = *mac;
  facts.arch = *arch;
  facts.ipxe = args.ipxe;
  facts.http_client = args.http_client || *arch == 16 || *arch == 19;
  facts.pxe_client = !facts.http_client;
  facts.vendor_class = fmt::format("{}:Arch:{:05}:UNDI:003016", facts.http_client ? "HTTPClient" : "PXEClient", *arch);
  if (args.ipxe) facts.user_classes.push_back("iPXE");
  if (args.boot_item >= 0) facts.boot_item = static_cast<std::uint16_t>(args.boot_item);
  std::string http_base = cfg.http.base_url;
  if (http_base.empty()) {
    http_base = "http://" + server->to_string() +
                (cfg.http.listen.port == 80 ? "" : ":" + std::to_string(cfg.http.listen.port));
  }
  auto plan = boot::resolve(facts, cfg.boot, boot::Context{*server, http_base});
  std::cout << fmt::format("client       {} arch {} ({}){}\n", mac->to_string(), *arch,
                           boot::to_string(boot::firmware_of(*arch)), args.ipxe ? ", running iPXE" : "");
  if (plan.none) {
    std::cout << fmt::format("boot         nothing: {}\n", plan.reason);
    return 0;
  }
  std::cout << fmt::format("file         {}\nnext-server  {}\nvendor-class {}\nwhy          {}\n",
                           plan.file, plan.next_server.to_string(), plan.vendor_class, plan.reason);
  if (!plan.menu.empty()) {
    std::cout << fmt::format("menu         \"{}\" ({} s)\n", plan.prompt, plan.menu_timeout);
    for (const auto& item : plan.menu) {
      std::cout << fmt::format("  item {:#06x} {}{}\n", item.type, item.label,
                               item.server ? " (server " + item.server->to_string() + ")" : "");
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{kDescription, "pxed"};
  cli.set_version_flag("--version", std::string("pxed ") + PXED_VERSION);
  cli.require_subcommand(1);
  cli.footer("Run 'pxed SUBCOMMAND --help' for a subcommand's options. Exit codes: 0 ok, 1 runtime error, 2 config error.");

  std::string config_path;
  std::string log_format;
  std::string log_level;
  auto* serve_cmd = cli.add_subcommand("serve", "Serve the configured tree over TFTP and HTTP until SIGINT/SIGTERM");
  serve_cmd->add_option("-c,--config", config_path, "Config file (TOML)")->required();
  serve_cmd->add_option("--log-format", log_format, "Override server.log_format")->check(CLI::IsMember({"text", "json"}));
  serve_cmd->add_option("--log-level", log_level, "Override server.log_level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));

  auto* check_cmd = cli.add_subcommand("check", "Validate a config file; print every problem, exit 2 if any");
  check_cmd->add_option("-c,--config", config_path, "Config file (TOML)")->required();

  std::string iso_image;
  std::string iso_path;
  auto* iso_cmd = cli.add_subcommand("iso", "Inspect ISO 9660 and UDF images without mounting them");
  iso_cmd->require_subcommand(1);
  auto* iso_ls_cmd = iso_cmd->add_subcommand("ls", "List a directory inside an image (Rock Ridge, Joliet, plain or UDF names)");
  iso_ls_cmd->add_option("IMAGE", iso_image, "The .iso file")->required();
  iso_ls_cmd->add_option("PATH", iso_path, "Directory inside the image (default: the root)");

  LookupArgs lookup_args;
  auto* lookup_cmd = cli.add_subcommand("lookup", "Show what a machine would boot and why, without the machine");
  lookup_cmd->add_option("-c,--config", config_path, "Config file (TOML)")->required();
  lookup_cmd->add_option("--mac", lookup_args.mac, "The machine's MAC address")->required();
  lookup_cmd->add_option("--arch", lookup_args.arch, "bios, efi32, efi64, arm64, efi64-http or an option 93 number")
      ->capture_default_str();
  lookup_cmd->add_flag("--ipxe", lookup_args.ipxe, "The machine already runs iPXE (user class iPXE)");
  lookup_cmd->add_flag("--http-client", lookup_args.http_client, "UEFI HTTP boot (vendor class HTTPClient)");
  lookup_cmd->add_option("--boot-item", lookup_args.boot_item, "A PXE menu item type the machine chose (port 4011)");
  lookup_cmd->add_option("--server", lookup_args.server, "pxed's address as the machine sees it (${server})")
      ->capture_default_str();

  CLI11_PARSE(cli, argc, argv);
  if (*iso_ls_cmd) return iso::iso_ls(iso_image, iso_path, std::cout, std::cerr);

  auto cfg = load_or_report(config_path);
  if (!cfg) return kExitConfig;
  if (*check_cmd) {
    std::cout << fmt::format("{}: ok\n", config_path);
    return 0;
  }
  if (*lookup_cmd) return lookup(*cfg, lookup_args);
  if (!log_format.empty()) cfg->server.log_format = log_format == "json" ? config::LogFormat::json : config::LogFormat::text;
  if (!log_level.empty()) cfg->server.log_level = log_level;
  return serve(*cfg);
}
