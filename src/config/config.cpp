#include "config/config.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <system_error>
#include <tuple>

#include <fmt/format.h>

#include "config/checker.hpp"
#include "config/duration.hpp"
#include "config/sections.hpp"
#include "core/utf8.hpp"
#include "vfs/path.hpp"

namespace pxed::config {
namespace {

using std::chrono::milliseconds;
namespace fs = std::filesystem;

// Limits, each with the spec or reason that sets it.
constexpr IntRange kBlksize{8, 65464, "RFC 2348"};
constexpr IntRange kWindowsize{1, 65535, "RFC 7440"};
constexpr IntRange kMaxTransfers{1, 100000, ""};  // each transfer holds a socket and a port
constexpr std::int64_t kPortRangeMin = 1024;

constexpr IntRange kMaxConnections{1, 100000, ""};  // each holds a socket and a descriptor
// 0 is "one per core"; past 256 a loop per thread only adds wake-ups.
constexpr IntRange kThreads{0, 256, "0: one per core"};
constexpr IntRange kMaxHeaderBytes{1024, 65536, ""};
constexpr IntRange kHistory{0, 10000000, ""};  // an event takes a few hundred bytes
constexpr IntRange kMaxStreams{1, 100000, ""};
constexpr DurationRange kHeaderTimeout{milliseconds(100), std::chrono::minutes(10)};
constexpr DurationRange kHttpIdleTimeout{std::chrono::seconds(1), std::chrono::hours(1)};

constexpr DurationRange kRetransmitMin{milliseconds(1), std::chrono::seconds(60)};
// RFC 2349 lets a client ask for a timeout of up to 255 s; a higher ceiling would never apply.
constexpr DurationRange kRetransmitMax{milliseconds(1), std::chrono::seconds(255)};
constexpr DurationRange kIdleTimeout{std::chrono::seconds(1), std::chrono::hours(1)};

constexpr std::string_view kLogLevels[] = {"trace", "debug", "info",    "warn",
                                           "error", "critical", "off"};
constexpr std::string_view kLogFormats[] = {"text", "json"};
constexpr std::size_t kMaxInterfaceName = 15;  // Linux IFNAMSIZ - 1

// ---- readers for pxed's own kinds of value ----

void read_interfaces(Checker& c, const Field& f, std::vector<std::string>& out) {
  if (!expect_type(c, f, toml::value_t::array, "an array of interface names")) return;
  const auto& items = f.value.as_array();
  std::vector<std::string> names;
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::string problem;
    if (!items[i].is_string()) {
      problem = "must be a string, got " + std::string(type_name(items[i]));
    } else if (auto& name = items[i].as_string().str;
               name.empty() || name.size() > kMaxInterfaceName) {
      problem = in_quotes(name) + " is not an interface name (1..15 characters)";
    } else if (std::ranges::find(names, name) != names.end()) {
      // Two sockets on one interface and port: the second bind would fail at start.
      problem = in_quotes(name) + " is listed twice";
    } else {
      names.push_back(name);
    }
    if (!problem.empty()) {
      c.fail(Field{f.key, items[i]}, "element " + std::to_string(i + 1) + " " + problem);
    }
  }
  if (names.size() == items.size()) out = std::move(names);
}

// Whether path exists and has the wanted type; records why not. `noun` names
// what was expected in the "does not exist" message: "directory", "image".
void read_log_format(Checker& c, const Field& f, Config& cfg) {
  std::string format;
  read_choice(c, f, format, kLogFormats);
  if (!format.empty()) cfg.server.log_format = format == "json" ? LogFormat::json : LogFormat::text;
}

// http://host[:port][/prefix]: what clients are told to fetch from.
void read_base_url(Checker& c, const Field& f, Config& cfg) {
  auto text = string_of(c, f, "a URL such as \"http://10.77.0.1\"");
  if (!text) return;
  std::string url = *text;
  if (url.empty()) return void(cfg.http.base_url.clear());  // the default: derived per client
  while (url.ends_with('/')) url.pop_back();
  const bool scheme = url.starts_with("http://") || url.starts_with("https://");
  if (!scheme || url.size() <= url.find("//") + 2 ||
      url.find_first_of(" \t\"") != std::string::npos) {
    return c.fail(f, "must be an http:// or https:// URL such as \"http://10.77.0.1\", got " +
                         in_quotes(*text));
  }
  cfg.http.base_url = std::move(url);
}

// [first, last]: the ports TFTP transfers answer from. Below 1024 is refused:
// those are other services' well-known ports, and pxed drops root after binding.
void read_port_range(Checker& c, const Field& f, Config& cfg) {
  const std::string example = "an array of two ports such as [30000, 30099]";
  if (!expect_type(c, f, toml::value_t::array, example)) return;
  const auto& items = f.value.as_array();
  if (items.size() != 2 || !items[0].is_integer() || !items[1].is_integer()) {
    return c.fail(f, "must be " + example + " (first and last, both included)");
  }
  const auto first = items[0].as_integer();
  const auto last = items[1].as_integer();
  for (auto port : {first, last}) {
    if (port < kPortRangeMin || port > 65535) {
      return c.fail(f, "ports must be " + std::to_string(kPortRangeMin) + "..65535, got " + std::to_string(port));
    }
  }
  if (first > last) {
    return c.fail(f, "the first port must not be above the last, got [" + std::to_string(first) + ", " +
                         std::to_string(last) + "]");
  }
  cfg.tftp.port_range = PortRange{static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last)};
}

// ---- the schema: one table of known keys per section ----

using KeySpec = Key<Config>;
struct SectionSpec {
  std::string_view name;
  std::span<const KeySpec> keys;
};

// Captureless generic lambdas convert to Reader; the order is the one error messages list.
const KeySpec kServerKeys[] = {
    {"state_dir", [](auto& c, auto& f, auto& cfg) { read_path(c, f, cfg.server.state_dir); }},
    {"user", [](auto& c, auto& f, auto& cfg) { read_string(c, f, cfg.server.user); }},
    {"interfaces",
     [](auto& c, auto& f, auto& cfg) { read_interfaces(c, f, cfg.server.interfaces); }},
    {"log_level",
     [](auto& c, auto& f, auto& cfg) { read_choice(c, f, cfg.server.log_level, kLogLevels); }},
    {"log_format", read_log_format},
    {"inventory", [](auto& c, auto& f, auto& cfg) { read_path(c, f, cfg.server.inventory); }},
    {"sandbox", [](auto& c, auto& f, auto& cfg) { read_bool(c, f, cfg.server.sandbox); }},
    {"threads", [](auto& c, auto& f, auto& cfg) { read_int(c, f, cfg.server.threads, kThreads); }},
    {"secrets_file", [](auto& c, auto& f, auto& cfg) { read_path(c, f, cfg.server.secrets_file); }},
    {"done_hook", [](auto& c, auto& f, auto& cfg) {
       auto text = string_of(c, f, "a URL such as \"http://10.0.0.5:8080/pxed-done\"");
       if (!text) return;
       if (!parse_hook_url(*text)) {
         return c.fail(f, in_quotes(*text) + ": must be http://A.B.C.D[:PORT]/path (an IPv4 address: pxed "
                                             "resolves no names; no https)");
       }
       cfg.server.done_hook = *text;
     }},
};


const KeySpec kTftpKeys[] = {
    {"enabled", [](auto& c, auto& f, auto& cfg) { read_bool(c, f, cfg.tftp.enabled); }},
    {"listen", [](auto& c, auto& f, auto& cfg) { read_listen(c, f, cfg.tftp.listen, cfg.tftp.listen_also); }},
    {"port_range", read_port_range},
    {"single_port", [](auto& c, auto& f, auto& cfg) { read_bool(c, f, cfg.tftp.single_port); }},
    {"blksize_max",
     [](auto& c, auto& f, auto& cfg) { read_int(c, f, cfg.tftp.blksize_max, kBlksize); }},
    {"windowsize_max",
     [](auto& c, auto& f, auto& cfg) { read_int(c, f, cfg.tftp.windowsize_max, kWindowsize); }},
    {"max_transfers",
     [](auto& c, auto& f, auto& cfg) { read_int(c, f, cfg.tftp.max_transfers, kMaxTransfers); }},
    {"max_transfers_per_client", [](auto& c, auto& f, auto& cfg) {
       read_int(c, f, cfg.tftp.max_transfers_per_client, kMaxTransfers);
     }},
    {"retransmit_min", [](auto& c, auto& f, auto& cfg) {
       read_duration(c, f, cfg.tftp.retransmit_min, kRetransmitMin);
     }},
    {"retransmit_max", [](auto& c, auto& f, auto& cfg) {
       read_duration(c, f, cfg.tftp.retransmit_max, kRetransmitMax);
     }},
    {"idle_timeout", [](auto& c, auto& f, auto& cfg) {
       read_duration(c, f, cfg.tftp.idle_timeout, kIdleTimeout);
     }},
};

const KeySpec kHttpKeys[] = {
    {"enabled", [](auto& c, auto& f, auto& cfg) { read_bool(c, f, cfg.http.enabled); }},
    {"listen", [](auto& c, auto& f, auto& cfg) { read_listen(c, f, cfg.http.listen, cfg.http.listen_also); }},
    {"max_connections", [](auto& c, auto& f, auto& cfg) {
       read_int(c, f, cfg.http.max_connections, kMaxConnections);
     }},
    {"max_connections_per_client", [](auto& c, auto& f, auto& cfg) {
       read_int(c, f, cfg.http.max_connections_per_client, kMaxConnections);
     }},
    {"header_timeout", [](auto& c, auto& f, auto& cfg) {
       read_duration(c, f, cfg.http.header_timeout, kHeaderTimeout);
     }},
    {"idle_timeout", [](auto& c, auto& f, auto& cfg) {
       read_duration(c, f, cfg.http.idle_timeout, kHttpIdleTimeout);
     }},
    {"max_header_bytes", [](auto& c, auto& f, auto& cfg) {
       read_int(c, f, cfg.http.max_header_bytes, kMaxHeaderBytes);
     }},
    {"base_url", read_base_url},
};

const KeySpec kApiKeys[] = {
    {"enabled", [](auto& c, auto& f, auto& cfg) { read_bool(c, f, cfg.api.enabled); }},
    {"history", [](auto& c, auto& f, auto& cfg) { read_int(c, f, cfg.api.history, kHistory); }},
    {"max_streams", [](auto& c, auto& f, auto& cfg) { read_int(c, f, cfg.api.max_streams, kMaxStreams); }},
    {"token_file", [](auto& c, auto& f, auto& cfg) { read_path(c, f, cfg.api.token_file); }},
    {"listen", [](auto& c, auto& f, auto& cfg) { read_endpoint(c, f, cfg.api.listen.emplace()); }},
};

const SectionSpec kSections[] = {
    {"server", kServerKeys},
    {"files", files_keys()},
    {"tftp", kTftpKeys},
    {"http", kHttpKeys},
    {"api", kApiKeys},
    {"dhcp", dhcp_keys()},
    {"boot", boot_keys()},
};

template <class Spec>
std::vector<std::string_view> names_of(std::span<const Spec> specs) {
  std::vector<std::string_view> out;
  for (const Spec& s : specs) out.push_back(s.name);
  return out;
}

template <class Spec>
std::string name_list(std::span<const Spec> specs, std::string_view open, std::string_view close) {
  std::string out;
  for (const Spec& s : specs) {
    out += (out.empty() ? "" : ", ") + std::string(open) + std::string(s.name) + std::string(close);
  }
  return out;
}

void read_section(Checker& c, const SectionSpec& section, const Field& table, Config& cfg) {
  if (!table.value.is_table()) {
    return c.fail(table, "must be a table ([" + table.key + "]), got " +
                             std::string(type_name(table.value)));
  }
  for (const auto& [name, value] : table.value.as_table()) {
    Field f{table.key + "." + name, value};
    auto spec = std::ranges::find(section.keys, std::string_view(name), &KeySpec::name);
    if (spec != section.keys.end()) {
      c.seen[f.key] = f.line();
      spec->read(c, f, cfg);
    } else {
      c.fail(f, "unknown key; " + did_you_mean(name, names_of(section.keys)) + "known keys in [" + table.key +
                    "]: " + name_list(section.keys, "", ""));
    }
  }
}

void read_document(Checker& c, const toml::value& document, Config& cfg) {
  const std::span<const SectionSpec> sections = kSections;
  const std::span<const KeySpec> arrays = inventory_keys();
  const std::string known = name_list(sections, "[", "]") + ", " + name_list(arrays, "[[", "]]");
  for (const auto& [name, value] : document.as_table()) {
    Field f{name, value};
    auto section = std::ranges::find(sections, std::string_view(name), &SectionSpec::name);
    auto array = std::ranges::find(arrays, std::string_view(name), &KeySpec::name);
    if (section != sections.end()) {
      read_section(c, *section, f, cfg);
    } else if (array != arrays.end()) {
      c.seen[f.key] = f.line();
      array->read(c, f, cfg);
    } else if (value.is_table() || value.is_array()) {
      // [[profle]] is an array of tables: a slip of [[profile]], not a key.
      auto guess = did_you_mean(name, names_of(sections), "[", "]");
      if (guess.empty()) guess = did_you_mean(name, names_of(arrays), "[[", "]]");
      if (value.is_table() || !guess.empty()) {
        c.fail(f, "unknown section; " + guess + "known sections: " + known);
      } else {
        c.fail(f, "unknown key; settings belong in a section: " + known);
      }
    } else {
      c.fail(f, "unknown key; settings belong in a section: " + known);
    }
  }
}

// Rules that involve more than one key, checked once every key has been read.
// `inventory` is the checker the inventory was read with (c itself when it is
// in this file); null when its file could not be read, so nothing is said about
// names it would have declared.
void check_together(Checker& c, Checker* inventory, const Config& cfg) {
  check_files(c, cfg);
  check_dhcp(c, cfg);
  check_boot(c, cfg);
  if (inventory != nullptr) {
    check_inventory(*inventory, cfg);
    check_default_profile(c, cfg);
  }
  const auto& tftp = cfg.tftp;
  if (tftp.retransmit_max < tftp.retransmit_min && !c.failed("tftp.retransmit_min") &&
      !c.failed("tftp.retransmit_max")) {
    // Blame the ceiling when the user wrote it; otherwise the floor went above the default.
    if (auto line = c.line_of("tftp.retransmit_max")) {
      c.fail(*line, "tftp.retransmit_max",
             "must not be less than tftp.retransmit_min (" + format_duration(tftp.retransmit_min) +
                 "), got " + format_duration(tftp.retransmit_max));
    } else {
      c.fail(c.line_of("tftp.retransmit_min").value_or(0), "tftp.retransmit_min",
             "must not be more than tftp.retransmit_max (" + format_duration(tftp.retransmit_max) +
                 ", the default), got " + format_duration(tftp.retransmit_min));
    }
  }
  if (tftp.single_port && tftp.port_range && !c.failed("tftp.single_port")) {
    // One of them is a mistake: say so rather than silently ignore the range.
    c.fail(c.line_of("tftp.port_range").value_or(0), "tftp.port_range",
           "has no use with single_port = true (every transfer answers from the listening port): remove one");
  }
  for (const auto& at : listen_addresses(tftp)) {
    if (tftp.port_range && !c.failed("tftp.listen") && at.port >= tftp.port_range->first &&
        at.port <= tftp.port_range->last) {
      c.fail(c.line_of("tftp.port_range").value_or(0), "tftp.port_range",
             "must not hold the listening port " + std::to_string(at.port) +
                 " (tftp.listen): a transfer could never bind it");
      break;
    }
  }
  if (cfg.api.listen && !c.failed("api.listen")) {
    const auto& at = *cfg.api.listen;
    const auto line = c.line_of("api.listen").value_or(0);
    if (!cfg.http.enabled || !cfg.api.enabled) {
      c.fail(line, "api.listen", "the API's own address needs [http] enabled = true and [api] enabled = true");
    } else {
      for (const auto& http : listen_addresses(cfg.http)) {
        if (!overlaps(at, http)) continue;
        c.fail(line, "api.listen",
               to_string(at) + " overlaps http.listen (" + to_string(http) +
                   "): give the API another port, e.g. \"127.0.0.1:8080\"");
        break;
      }
    }
  }
  if (tftp.enabled && !c.line_of("files.root")) {
    c.fail(0, "files.root",
           "required: the directory served over TFTP (add root = \"/srv/pxe\" under [files], "
           "or set enabled = false under [tftp])");
  } else if (cfg.http.enabled && !c.line_of("files.root")) {
    c.fail(0, "files.root",
           "required: the directory served over HTTP (add root = \"/srv/pxe\" under [files], "
           "or set enabled = false under [http])");
  }
}

// toml11 reports a syntax error as multi-line ASCII art. Keep its headline
// ("[error] toml::parse_x: what went wrong"), or the note under the last caret
// when the headline is only a function name, and the number of the last source
// line quoted: that is the error (an earlier one may be a first definition).
ConfigError syntax_error(const std::string& file, const toml::exception& e) {
  std::istringstream what(e.what());
  std::string text, headline, note;
  std::getline(what, headline);
  std::uint32_t line = e.location().line();
  while (std::getline(what, text)) {
    if (auto caret = text.find("^--- "); caret != std::string::npos) note = text.substr(caret + 5);
    auto bar = text.find(" | ");
    auto first = text.find_first_not_of(' ');
    if (bar == std::string::npos || first >= bar) continue;
    std::uint32_t quoted = 0;
    auto [end, ec] = std::from_chars(text.data() + first, text.data() + bar, quoted);
    if (ec == std::errc{} && end == text.data() + bar) line = quoted;
  }
  std::string_view message = headline;
  if (message.starts_with("[error] ")) message.remove_prefix(8);
  if (message.starts_with("toml::")) {  // drop the function name, "toml::parse_key_value_pair: "
    auto space = message.find(' ');
    message = space == std::string_view::npos ? "" : message.substr(space + 1);
  }
  if (message.empty()) message = note;
  while (message.ends_with('.') || message.ends_with(' ')) message.remove_suffix(1);
  if (message.empty()) message = "invalid TOML";
  return {file, line, "", "syntax error: " + std::string(message)};
}

}  // namespace

bool has_inventory(const Config& cfg) {
  const auto& inventory = cfg.inventory;
  return !cfg.boot.default_profile.empty() || !inventory.profiles.empty() || !inventory.groups.empty() ||
         !inventory.machines.empty();
}

std::string ConfigError::to_string() const {
  std::string out = file;
  if (line != 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  return out + message;
}

bool is_section(std::string_view name) {
  return std::ranges::find(kSections, name, &SectionSpec::name) != std::end(kSections);
}

std::expected<std::string, std::string> read_whole_file(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return std::unexpected("is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(std::error_code(errno, std::generic_category()).message());
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::unexpected("read failed");
  return text.str();
}

std::expected<toml::value, ConfigError> parse_toml(std::string_view text, const std::string& name) {
  // TOML is UTF-8, and toml11 reads past the end of some strings that are not.
  if (const auto bad = core::first_invalid_utf8(text); bad != std::string_view::npos) {
    const auto line = static_cast<std::uint32_t>(std::count(text.begin(), text.begin() + static_cast<long>(bad), '\n') + 1);
    return std::unexpected(ConfigError{name, line, "",
                                       fmt::format("not UTF-8 (byte 0x{:02x}): a TOML file must be UTF-8",
                                                   static_cast<unsigned char>(text[bad]))});
  }
  try {
    std::istringstream in{std::string(text)};
    return toml::parse(in, name);
  } catch (const toml::exception& e) {
    return std::unexpected(syntax_error(name, e));
  } catch (const std::exception& e) {  // toml11 can let a std:: error through on odd input
    return std::unexpected(ConfigError{name, 0, "", "cannot parse: " + std::string(e.what())});
  }
}

std::expected<Config, std::vector<ConfigError>> parse(std::string_view text,
                                                      const std::string& name) {
  auto document = parse_toml(text, name);
  if (!document) return std::unexpected(std::vector{std::move(document.error())});

  Checker c{name, directory_holding(name), {}, {}, {}};
  Config cfg;
  cfg.source = name;
  cfg.sources = {cfg.source};
  cfg.inventory.source = name;
  read_document(c, *document, cfg);
  auto own = read_inventory_file(c, cfg);
  // The defaults depend on whether there is an inventory, wherever it was written.
  set_boot_defaults(cfg);
  Checker* inventory = own ? &*own : c.line_of("server.inventory") ? nullptr : &c;
  check_together(c, inventory, cfg);
  cfg.lines = c.seen;
  auto errors = std::move(c.errors);
  if (own) std::ranges::move(own->errors, std::back_inserter(errors));
  if (errors.empty()) return cfg;
  // This file's first, then the inventory file's; by line; by key within a line,
  // since toml11's tables do not keep the file's order; stable, so the elements
  // of one array stay in their order.
  std::ranges::stable_sort(errors, {}, [&](const ConfigError& e) {
    return std::tuple(e.file != name, e.line, std::string_view(e.key));
  });
  return std::unexpected(std::move(errors));
}

std::expected<Config, std::vector<ConfigError>> load(const fs::path& path) {
  auto text = read_whole_file(path);
  if (!text) {
    std::error_code ec;
    fs::path where = fs::absolute(path, ec);
    std::string message =
        "cannot read config file " + (ec ? path : where).string() + ": " + text.error();
    return std::unexpected(std::vector<ConfigError>{{path.string(), 0, "", std::move(message)}});
  }
  return parse(*text, path.string());
}

}  // namespace pxed::config
