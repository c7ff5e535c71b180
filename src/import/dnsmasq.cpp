// `pxed import dnsmasq`: the walk over dnsmasq's lines, the options that need
// no translating or cannot be translated, and what holds only once every line
// is read.
#include "import/dnsmasq.hpp"
#include "core/utf8.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

#include "import/dnsmasq_translator.hpp"

namespace pxed::import {
namespace {

using Mode = ImportedConfig::Mode;

constexpr std::string_view kNoDns = "DNS: pxed serves no DNS, keep a DNS server for it";

// Options with nothing to write: pxed behaves so already, or the option only
// concerns how dnsmasq runs.
constexpr std::string_view kSilent[] = {
    "bind-interfaces", "bind-dynamic", "log-dhcp", "dhcp-no-override", "dhcp-authoritative",
    "keep-in-foreground", "no-daemon", "dhcp-ignore-clid"};

struct Known {
  std::string_view name;
  std::string_view why;
};
constexpr Known kUntranslatable[] = {
    {"server", kNoDns}, {"local", kNoDns}, {"address", kNoDns}, {"no-resolv", kNoDns},
    {"domain-needed", kNoDns}, {"bogus-priv", kNoDns}, {"expand-hosts", kNoDns}, {"cache-size", kNoDns},
    {"no-hosts", kNoDns}, {"addn-hosts", kNoDns}, {"resolv-file", kNoDns}, {"strict-order", kNoDns},
    {"no-poll", kNoDns}, {"log-queries", kNoDns}, {"cname", kNoDns}, {"host-record", kNoDns},
    {"srv-host", kNoDns}, {"mx-host", kNoDns}, {"txt-record", kNoDns}, {"ptr-record", kNoDns},
    {"local-service", kNoDns}, {"stop-dns-rebind", kNoDns}, {"all-servers", kNoDns},
    {"listen-address", "pxed answers DHCP on server.interfaces and listens on [tftp]/[http] listen"},
    {"except-interface", "pxed answers DHCP only on the interfaces server.interfaces names; list yours there"},
    {"no-dhcp-interface", "pxed answers DHCP only on the interfaces server.interfaces names; leave this one out"},
    {"dhcp-leasefile", "pxed keeps leases in server.state_dir (SQLite); dnsmasq's leases are not imported"},
    {"dhcp-lease-max", "pxed has no lease count limit; it limits new bindings per second instead"},
    {"dhcp-script", "pxed runs no scripts; its events are in `pxed events` and GET /api/v1/events"},
    {"tftp-unique-root", "pxed serves one tree to every client; per-machine files go in pxelinux.cfg/ or the inventory"},
    {"tftp-port-range", "pxed takes an ephemeral port per transfer"},
    {"tftp-secure", "pxed serves every file in files.root that server.user can read"},
    {"user", "pxed's server.user is an account of its own; pick it (empty keeps root)"},
    {"group", "pxed runs as server.user and its group"},
    {"pid-file", "pxed writes no PID file unless asked on the command line"},
    {"log-facility", "pxed logs to standard error (the journal under systemd)"},
    {"dhcp-ignore", "pxed has no per-tag ignore; [dhcp] pxe_only answers only PXE clients"},
    {"tag-if", "pxed decides by firmware and machine, not by combined tags"},
};

}  // namespace

std::optional<int> to_int(std::string_view s) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// dhcp-option's names for the options pxed reads.
int option_number(std::string_view token) {
  static const std::map<std::string_view, int> kNames{
      {"netmask", 1}, {"router", 3}, {"dns-server", 6}, {"domain-name", 15}, {"broadcast", 28},
      {"ntp-server", 42}, {"vendor-class", 60}, {"tftp-server", 66}, {"bootfile-name", 67},
      {"user-class", 77}, {"client-arch", 93}};
  if (token.starts_with("option:")) {
    auto it = kNames.find(token.substr(7));
    return it == kNames.end() ? -1 : it->second;
  }
  return to_int(token).value_or(-1);
}

// dnsmasq lease times: seconds, or a number with s/m/h/d/w, or "infinite".
std::optional<std::string> lease_time(std::string_view s, bool* clamped) {
  constexpr std::int64_t kMin = 120;              // dnsmasq raises shorter leases to two minutes
  constexpr std::int64_t kMax = 365 * 86400;      // pxed's lease_time ceiling
  if (clamped) *clamped = false;
  if (s == "infinite") {
    if (clamped) *clamped = true;
    return std::string("365d");
  }
  if (s.empty()) return std::nullopt;
  char unit = 's';
  if (std::string_view("smhdw").find(s.back()) != std::string_view::npos) {
    unit = s.back();
    s.remove_suffix(1);
  }
  auto n = to_int(s);
  if (!n || *n <= 0) return std::nullopt;
  const std::int64_t scale = unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : unit == 'w' ? 604800 : 1;
  const std::int64_t seconds = *n * scale;
  if (seconds < kMin || seconds > kMax) {
    if (clamped) *clamped = true;
    return seconds < kMin ? "2m" : "365d";
  }
  if (unit == 'w') return std::to_string(*n * 7) + "d";
  return std::to_string(*n) + unit;
}

ImportedConfig Translator::run(const std::string& source, const std::vector<ConfLine>& all) {
  cfg_.source = source;
  std::vector<ConfLine> lines;
  for (const auto& l : all) {
    // A Latin-1 menu text, say: pxed.toml is UTF-8 throughout, and guessing the
    // encoding could change a file name.
    if (!core::valid_utf8(l.text())) {
      untranslated(l, "not UTF-8, which pxed.toml is: write it in UTF-8 (iconv -f latin1 -t utf-8)");
    } else {
      lines.push_back(l);
    }
  }
  // Tags and networks first: the lines that use them may come before them.
  for (const auto& l : lines) {
    if (l.name == "dhcp-match") dhcp_match(l);
    else if (l.name == "dhcp-userclass") userclass(l);
    else if (l.name == "dhcp-vendorclass") vendorclass(l);
    else if (l.name == "dhcp-range") dhcp_range(l);
  }
  for (const auto& l : lines) {
    if (l.name == "dhcp-host") dhcp_host(l);
  }
  for (const auto& l : lines) second_pass(l);
  finish(lines);
  return std::move(cfg_);
}

void Translator::note(const ConfLine& l, Kind kind, std::string why) {
  notes_.push_back({l.file, l.line, l.text(), kind, std::move(why)});
}

void Translator::second_pass(const ConfLine& l) {
  const auto& n = l.name;
  if (n == "dhcp-match" || n == "dhcp-userclass" || n == "dhcp-vendorclass" || n == "dhcp-range" ||
      n == "dhcp-host") {
    return;
  }
  if (n == "interface") {
    for (auto& a : split_args(l.value)) add_interface(l, std::move(a));
  } else if (n == "dhcp-boot") {
    dhcp_boot(l);
  } else if (n == "dhcp-option" || n == "dhcp-option-force") {
    dhcp_option(l);
  } else if (n == "pxe-service") {
    pxe_service(l);
  } else if (n == "pxe-prompt") {
    pxe_prompt(l);
  } else if (n == "tftp-root") {
    auto args = split_args(l.value);
    if (args.empty() || args[0].empty()) return untranslated(l, "names no directory");
    cfg_.root = args[0];
    if (args.size() > 1) approximate(l, "pxed serves one tree on every interface, not only on " + args[1]);
  } else if (n == "enable-tftp") {
    cfg_.tftp = true;
    if (l.has_value && !l.value.empty()) {
      approximate(l, "pxed's TFTP listens on [tftp] listen (every interface by default), not only on " + l.value);
    }
  } else if (n == "tftp-max") {
    auto v = to_int(l.value);
    if (!v || *v < 1) return untranslated(l, "not a number of transfers");
    cfg_.max_transfers = std::min(*v, 100000);
  } else if (n == "domain") {
    domain(l);
  } else if (n == "port") {
    if (l.value != "0") untranslated(l, std::string(kNoDns));
  } else if (std::ranges::find(kSilent, n) != std::end(kSilent)) {
    return;
  } else if (auto it = std::ranges::find(kUntranslatable, n, &Known::name); it != std::end(kUntranslatable)) {
    untranslated(l, std::string(it->why));
  } else {
    untranslated(l, "pxed has no equivalent of " + n);
  }
}

void Translator::finish(const std::vector<ConfLine>& lines) {
  const bool full = !cfg_.subnets.empty();
  cfg_.mode = full ? Mode::full : first_proxy_ ? Mode::proxy : Mode::off;
  if (full && first_proxy_) {
    untranslated(*first_proxy_, "pxed runs in one mode: full (this file hands out addresses elsewhere)");
  }
  if (full && std::ranges::any_of(cfg_.subnets, [](const auto& s) { return !s.router || s.dns.empty(); })) {
    approximate(*first_range_, "dnsmasq sends its own address as router and DNS server unless dhcp-option 3 and "
                               "6 say otherwise; pxed sends them only when router and dns are set");
  }
  if (cfg_.mode != Mode::off && cfg_.interfaces.empty()) {
    approximate(full ? *first_range_ : *first_proxy_,
                "dnsmasq answered DHCP on every interface; pxed only on server.interfaces: name yours there");
  }
  // One item and no prompt: dnsmasq boots it at once, as [boot] bios does.
  auto& bios = cfg_.boot[static_cast<std::size_t>(Slot::bios)];
  if (cfg_.items.size() == 1 && cfg_.prompt.empty() && !cfg_.items[0].file.empty() && !cfg_.items[0].server &&
      (bios.empty() || bios == cfg_.items[0].file)) {
    bios = cfg_.items[0].file;
    cfg_.items.clear();
  }
  if (prompt_line_ && cfg_.items.empty() && !cfg_.prompt.empty()) {
    untranslated(*prompt_line_, "a prompt needs a menu: no x86PC pxe-service gives it items");
    cfg_.prompt.clear();
  }
  if (cfg_.tftp && cfg_.root.empty()) {
    cfg_.root = "/srv/tftp";
    auto it = std::ranges::find(lines, "enable-tftp", &ConfLine::name);
    approximate(*it, "no tftp-root: dnsmasq served from its working directory; files.root = \"/srv/tftp\", "
                     "put the loaders there");
  }
}


namespace {

// One tree over TFTP and HTTP: dnsmasq's tftp-root and nginx's root must be one
// directory, or the HTTP side's files are not served; its locations become mounts.
std::expected<std::vector<Note>, std::string> add_nginx(const std::string& path, const ConfSources& sources,
                                                         ImportedConfig& cfg) {
  std::vector<Note> notes;
  auto top = read_nginx(path, sources, notes);
  if (!top) return std::unexpected(top.error());
  auto site = translate_nginx(*top, notes);
  if (site.root.empty()) {
    return std::unexpected(path + ": no server block, so nothing for --nginx to import (is the site in a file "
                                  "that no include reached?)");
  }
  cfg.nginx_source = path;
  cfg.http = true;
  cfg.http_listen = site.listen;
  cfg.mounts = std::move(site.mounts);
  if (cfg.root.empty()) {
    cfg.root = site.root;
  } else if (site.root != cfg.root && site.root_directive) {
    const auto& d = *site.root_directive;
    notes.push_back({d.file, d.line, d.text(), Note::Kind::untranslated,
                     "pxed serves one tree over TFTP and HTTP, files.root = " + cfg.root +
                         " (dnsmasq's tftp-root): the files under " + site.root +
                         " are not in it; move them there, or mount its folders with [[files.mount]] dir"});
  }
  return notes;
}

}  // namespace

std::expected<DnsmasqImport, std::string> import_dnsmasq(const ImportInputs& inputs, const ConfSources& sources) {
  const auto& path = inputs.dnsmasq;
  std::vector<Note> include_notes;
  auto lines = read_conf(path, sources, include_notes);
  if (!lines) return std::unexpected(lines.error());
  std::vector<Note> notes;
  auto cfg = Translator(notes).run(path, *lines);
  // In the order of the lines they are about: where each line stands among all lines read.
  std::map<std::pair<std::string, std::uint32_t>, std::size_t> order;
  for (std::size_t i = 0; i < lines->size(); ++i) order.emplace(std::pair{(*lines)[i].file, (*lines)[i].line}, i);
  std::ranges::stable_sort(notes, {}, [&](const Note& n) { return order[{n.file, n.line}]; });
  include_notes.insert(include_notes.end(), notes.begin(), notes.end());
  if (!inputs.nginx.empty()) {
    auto nginx_notes = add_nginx(inputs.nginx, sources, cfg);
    if (!nginx_notes) return std::unexpected(nginx_notes.error());
    include_notes.insert(include_notes.end(), nginx_notes->begin(), nginx_notes->end());
  }
  mount_loop_images(cfg.root, cfg.mounts, inputs.loop_mounts);
  DnsmasqImport result;
  result.toml = render_toml(cfg, include_notes);
  result.notes = std::move(include_notes);
  return result;
}

}  // namespace pxed::import
