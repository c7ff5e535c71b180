#include "app/lookup.hpp"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>

#include "app/inventory_files.hpp"
#include "app/image_catalogue.hpp"
#include "app/remembered.hpp"
#include "app/served_images.hpp"
#include "app/tree_check.hpp"
#include "boot/answers.hpp"
#include "boot/boot.hpp"
#include "boot/config_files.hpp"
#include "boot/inventory.hpp"
#include "boot/sightings.hpp"
#include "dhcp/facts.hpp"
#include "store/machine_store.hpp"
#include "vfs/tree.hpp"

namespace pxed::app {
namespace {

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

// Which loader a boot file is, by the names Debian ships them under.
struct LoaderRow {
  std::string_view marker;
  boot::Loader loader;
};
constexpr LoaderRow kLoaders[] = {
    {"pxelinux", boot::Loader::pxelinux},  {"syslinux", boot::Loader::syslinux_efi},
    {"grub", boot::Loader::grub},          {"shim", boot::Loader::grub},
    {"bootnet", boot::Loader::grub},       {"ipxe", boot::Loader::ipxe},
    {"undionly", boot::Loader::ipxe},      {"snponly", boot::Loader::ipxe},
    {".kpxe", boot::Loader::ipxe},
};

std::optional<boot::Loader> loader_named(std::string_view name) {
  static const std::pair<std::string_view, boot::Loader> kNames[] = {
      {"pxelinux", boot::Loader::pxelinux}, {"syslinux-efi", boot::Loader::syslinux_efi},
      {"grub", boot::Loader::grub},         {"ipxe", boot::Loader::ipxe}};
  for (const auto& [n, l] : kNames) {
    if (name == n) return l;
  }
  return std::nullopt;
}

// An iPXE script rather than a program: "boot.ipxe", "http://.../boot.ipxe?mac=...".
bool is_script(std::string_view file) {
  file = file.substr(0, file.find('?'));
  return file.ends_with(".ipxe");
}

std::optional<boot::Loader> loader_of_file(std::string_view file) {
  if (is_script(file)) return boot::Loader::ipxe;
  auto base = file.substr(file.rfind('/') == std::string_view::npos ? 0 : file.rfind('/') + 1);
  for (const auto& row : kLoaders) {
    if (base.find(row.marker) != std::string_view::npos) return row.loader;
  }
  return std::nullopt;
}

// "http://10.0.0.1/x/boot.ipxe?mac=1" -> "x/boot.ipxe", "mac=1"; a path stays itself.
std::pair<std::string, std::string> path_and_query(std::string_view file) {
  if (auto scheme = file.find("://"); scheme != std::string_view::npos) {
    auto slash = file.find('/', scheme + 3);
    file = slash == std::string_view::npos ? std::string_view{} : file.substr(slash);
  }
  auto mark = file.find('?');
  std::string query = mark == std::string_view::npos ? "" : std::string(file.substr(mark + 1));
  file = file.substr(0, mark);
  while (file.starts_with('/')) file.remove_prefix(1);
  return {std::string(file), query};
}

std::string directory_of(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash + 1));
}

std::string indent(std::string_view text, std::string_view pad) {
  std::string out;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) out += std::string(pad) + line + "\n";
  return out;
}

std::optional<vfs::Tree> open_tree(const config::Config& cfg, std::ostream& out) {
  if (cfg.files.root.empty()) return std::nullopt;
  auto tree = open_configured_tree(cfg);
  if (!tree) {
    for (const auto& e : tree.error()) out << fmt::format("note         {}: user files are not shown\n", e.to_string());
    return std::nullopt;
  }
  return std::move(*tree);
}

// Where machines reach pxed, when --server does not say: a listen address that
// is not the wildcard, else a placeholder.
std::string default_server(const config::Config& cfg) {
  for (const auto* listen : {&cfg.tftp.listen, &cfg.http.listen}) {
    // An IPv6 address is no ${server} for loaders that speak IPv4 only.
    if (listen->address != "0.0.0.0" && !listen->is_v6()) return listen->address;
  }
  return "10.0.0.1";
}

// Whether the machine's boot depends on the images served: its profile is
// one, or starts from one, or is a menu listing one.
bool names_images(const boot::Match& m, const config::Config& cfg) {
  auto is_image = [&](std::string_view name) {
    const auto* p = cfg.inventory.find_profile(name);
    return name.starts_with(config::kImagePrefix) || (p != nullptr && p->kind == config::ProfileKind::image);
  };
  if (is_image(m.profile)) return true;
  return m.declared != nullptr && m.declared->kind == config::ProfileKind::menu &&
         std::ranges::any_of(m.declared->menu, is_image);
}

}  // namespace

int lookup(const config::Config& cfg, const LookupArgs& args, std::ostream& out, std::ostream& err) {
  auto mac = core::Mac::parse(args.mac);
  auto arch = arch_code(args.arch);
  auto server = core::Ipv4::parse(args.server.empty() ? default_server(cfg) : args.server);
  auto ip = args.ip.empty() ? std::optional<core::Ipv4>(core::Ipv4{}) : core::Ipv4::parse(args.ip);
  auto uuid = args.uuid.empty() ? std::optional<core::Uuid>{} : core::Uuid::parse(args.uuid);
  auto forced = args.loader.empty() ? std::optional<boot::Loader>{} : loader_named(args.loader);
  const bool bad_uuid = !args.uuid.empty() && !uuid;
  if (!mac || !arch || !server || !ip || bad_uuid || (!args.loader.empty() && !forced)) {
    err << (!mac ? "--mac: expected 52:54:00:12:34:56\n" : "")
        << (!arch ? "--arch: expected bios, efi32, efi64, arm64, efi64-http or a number\n" : "")
        << (!server ? "--server: expected an IPv4 address\n" : "") << (!ip ? "--ip: expected an IPv4 address\n" : "")
        << (bad_uuid ? "--uuid: expected 8-4-4-4-12 hex digits\n" : "")
        << (!args.loader.empty() && !forced ? "--loader: expected pxelinux, syslinux-efi, grub or ipxe\n" : "");
    return kLookupBadInput;
  }
  // The machine as the server sees it: from the request its firmware sends.
  const auto firmware = boot::firmware_of(*arch);
  dhcp::Firmware asking{
      .mac = *mac,
      .arch = *arch,
      .uuid = uuid,
      .http_client = args.http_client || firmware == boot::Firmware::efi64_http || firmware == boot::Firmware::arm64_http,
      .ipxe = args.ipxe,
      .boot_item = args.boot_item >= 0 ? std::optional<std::uint16_t>(args.boot_item) : std::nullopt,
      .address = *ip,
  };
  auto facts = dhcp::facts_of(dhcp::request_of(asking));
  facts.segment = *server;
  const auto context = boot::context_for(cfg.http, *server);

  out << fmt::format("client       {} arch {} ({}){}{}{}\n", mac->to_string(), *arch, boot::to_string(firmware),
                     args.ipxe ? ", running iPXE" : "", ip->is_zero() ? "" : ", ip " + ip->to_string(),
                     uuid ? ", uuid " + uuid->to_string() : "");
  // Install states and assigned profiles as the serving pxed recorded them
  // (when this user may read its store).
  boot::Remembered remembered;
  if (auto store = store::MachineStore::open(cfg.server.state_dir, store::Access::reader)) {
    if (auto read = remembered_of(*store)) remembered = std::move(*read);
  }
  // The images the config serves, read here as serve would, when the
  // machine's profile names one: they are its entries.
  if (names_images(boot::match(facts, cfg, &remembered), cfg)) {
    std::ostringstream problems;
    auto images = read_served_images(cfg, {}, "pxed lookup", problems);
    remembered.images = boot_images(images.catalogue, images.programs);
    out << fmt::format("images       {} served now (pxed iso list -c {} shows each)\n", images.catalogue.size(),
                       cfg.source.string());
    if (!problems.str().empty()) err << problems.str();
  }
  const auto match = boot::match(facts, cfg, &remembered);
  if (match.profile.empty()) {
    out << "machine      no [[machine]] or [[group]] names it and [boot] has no default: no generated config\n";
  } else {
    std::string declared = match.declared ? fmt::format(" ({}:{})", cfg.inventory.source.filename().string(), match.declared->line)
                                          : " (built in)";
    out << fmt::format("machine      {} -> profile {}{}\n", match.rule, match.profile, declared);
    if (match.assigned != nullptr) {
      out << fmt::format("assigned     until `pxed machines unassign {0}` or DELETE /api/v1/machines/{0}/profile\n",
                         mac->to_string());
    }
    if (const auto* answers = boot::answer_profile(match, cfg); answers != nullptr && !match.installed_at) {
      for (const auto& a : answers->answers) {
        out << fmt::format("answers      {} (only to this machine; pxed template render -c ... --mac {} {})\n",
                           boot::answer_url(context.http_base, *mac, a.name), mac->to_string(), a.name);
      }
    }
    if (match.once && !match.installed_at) {
      out << fmt::format("after        the installer's done call {}/pxed/v1/done (from the machine) -> local boot\n",
                         context.http_base);
    }
  }

  auto plan = boot::decide(facts, cfg, context, &remembered);
  if (plan.none) {
    out << fmt::format("boot         nothing: {}\n", plan.reason);
    return kLookupNothing;
  }
  out << fmt::format("file         {}\nnext-server  {}\nvendor-class {}\nwhy          {}\n", plan.file,
                     plan.next_server.to_string(), plan.vendor_class, plan.reason);
  out << fmt::format("dhcp         full: {}, this file; proxy: no address (the other server's), this file\n",
                     ip->is_zero() ? "an address from the pool" : ip->to_string());
  if (!plan.menu.empty()) {
    out << fmt::format("menu         \"{}\" ({} s)\n", plan.prompt, plan.menu_timeout);
    for (const auto& item : plan.menu) {
      out << fmt::format("  item {:#06x} {}{}\n", item.type, item.label,
                         item.server ? " (server " + item.server->to_string() + ")" : "");
    }
  }

  // Where the boot file comes from: the user's tree, or the system's package.
  auto tree = open_tree(cfg, out);
  if (tree && !plan.file.empty() && plan.file.find("://") == std::string::npos &&
      plan.file.find("${") == std::string::npos) {
    auto file = tree->open(plan.file);
    out << fmt::format("from         {}\n", !file                      ? "not found: pxed check says what to do"
                                          : file->system().empty() ? "your file (tree)"
                                                                   : "the system: " + file->system());
  }

  // The loader the boot file starts, and, for iPXE, the script it is handed next.
  auto loader = forced ? forced : loader_of_file(plan.file);
  if (!loader) {
    out << fmt::format("loader       {} is not a loader pxed writes configs for (pxelinux, syslinux.efi, GRUB, iPXE)\n",
                       plan.file);
    return kLookupAnswer;
  }
  if (*loader == boot::Loader::pxelinux && firmware != boot::Firmware::bios) loader = boot::Loader::syslinux_efi;
  std::string dir = directory_of(path_and_query(plan.file).first);
  std::string query;
  std::vector<std::string> names;
  if (*loader == boot::Loader::ipxe) {
    // A client already running iPXE was handed its script; one loading iPXE asks DHCP again.
    auto script = plan;
    if (!is_script(plan.file)) {
      asking.ipxe = true;
      auto again = dhcp::facts_of(dhcp::request_of(asking));
      again.segment = *server;
      script = boot::resolve(again, cfg.boot, context);
    }
    if (script.none || !is_script(script.file)) {
      out << fmt::format("loader       ipxe; [boot] ipxe names no script for it ({})\n",
                         script.none ? script.reason : "it gets " + script.file);
      return kLookupAnswer;
    }
    // iPXE expands its own ${mac} and ${uuid} in the URL it is given.
    config::Vars ipxe_values{{"mac", mac->to_string()}, {"uuid", uuid ? uuid->to_string() : ""}};
    auto [path, q] = path_and_query(boot::expand(script.file, ipxe_values));
    names = {path};
    query = q;
    out << fmt::format("loader       ipxe, then the script {}\n", script.file);
  } else {
    if (*loader == boot::Loader::grub) dir += "grub/";  // Debian's signed GRUB: FIRMWARE.md 31
    names = boot::asked_names(*loader, dir, *mac, uuid, *ip);
    const bool fixed = *loader == boot::Loader::grub;
    out << fmt::format("loader       {}{}\n", boot::to_string(*loader),
                       fixed && ip->is_zero() ? "; GRUB sends no MAC: pass --ip to see the machine known by address" : "");
  }

  // What each name gets, through the tree a boot uses: a user's file wins over a generated one.
  boot::Sightings sightings;
  boot::Sighting seen{facts, "lookup --ip", 0};
  seen.facts.ipxe = false;
  if (ip->is_zero()) seen.how.clear();
  sightings.record(seen);
  if (tree && config::has_inventory(cfg)) {
    tree->set_generator(std::make_shared<InventoryFiles>(std::make_shared<const config::Config>(cfg), sightings, &remembered));
  }
  vfs::Requester who{.address = *ip, .local = *server, .query = query, .protocol = "lookup"};
  std::string config_text;
  std::size_t asked = 0;
  for (const auto& name : names) {
    ++asked;
    std::string what;
    if (!tree) {
      auto generated = boot::config_file(name, boot::Asker{*ip, *server, query, std::nullopt}, cfg, sightings, &remembered);
      if (generated) {
        what = "generated " + generated->why;
        config_text = generated->content;
      }
    } else if (auto file = tree->open(name, who)) {
      what = file->generated().empty() ? "your file (tree)" : "generated " + file->generated();
      std::string content(std::min<std::uint64_t>(file->size(), 1 << 16), '\0');
      auto got = file->read_at(std::as_writable_bytes(std::span(content)), 0);
      content.resize(got ? *got : 0);
      config_text = content;
    }
    out << fmt::format("{:12} {:40} -> {}\n", asked == 1 ? "asks" : "", name, what.empty() ? "not found" : what);
    if (!what.empty()) break;
  }
  if (auto left = names.size() - asked; left > 0) {
    out << fmt::format("{:12} ({} name{} after it {} never asked)\n", "", left, left == 1 ? "" : "s",
                       left == 1 ? "is" : "are");
  }
  if (config_text.empty()) {
    out << "config       none: the loader finds nothing for this machine\n";
    return kLookupAnswer;
  }
  out << "config\n" << indent(config_text, "  ");
  return kLookupAnswer;
}

}  // namespace pxed::app
