#include "config/secrets.hpp"

#include <algorithm>

#include "config/private_file.hpp"
#include "config/sections.hpp"

namespace pxed::config {
namespace {

bool names_machine(const Config& cfg, std::string_view who) {
  auto mac = core::Mac::parse(who);
  return std::ranges::any_of(cfg.inventory.machines, [&](const Machine& m) {
    return (!m.name.empty() && m.name == who) || (mac && m.mac == mac);
  });
}

bool names_group(const Config& cfg, std::string_view who) {
  return std::ranges::any_of(cfg.inventory.groups, [&](const Group& g) { return g.name == who; });
}

// [profile.NAME], [group.NAME], [machine.NAME]: each a table of string values.
void read_section(Checker& c, const Field& f, const Config& cfg, std::map<std::string, Vars, std::less<>>& out,
                  bool (*known)(const Config&, std::string_view), std::string_view what) {
  if (!expect_type(c, f, toml::value_t::table, "tables of values, like [" + f.key + ".NAME]")) return;
  for (const auto& [who, vars] : f.value.as_table()) {
    Field item{f.key + "." + who, vars};
    if (!known(cfg, who)) {
      c.fail(item, in_quotes(who) + " names no " + std::string(what) + " of the inventory");
      continue;
    }
    // A MAC as the inventory spells it ("88:99:aa:bb:cc:dd"), however it was written here.
    auto mac = core::Mac::parse(who);
    read_vars(c, item, out[what.starts_with("machine") && mac ? mac->to_string() : who]);
  }
}

}  // namespace

std::expected<Secrets, std::vector<ConfigError>> parse_secrets(std::string_view text, const std::string& file,
                                                               const Config& cfg) {
  auto document = parse_toml(text, file);
  if (!document) return std::unexpected(std::vector{std::move(document.error())});
  Checker c{file, {}, {}, {}, {}};
  Secrets out;
  if (!document->is_table()) return out;
  for (const auto& [key, value] : document->as_table()) {
    Field f{key, value};
    if (key == "vars") {
      read_vars(c, f, out.all);
    } else if (key == "profile") {
      read_section(c, f, cfg, out.profile,
                   [](const Config& g, std::string_view who) { return g.inventory.find_profile(who) != nullptr; },
                   "profile");
    } else if (key == "group") {
      read_section(c, f, cfg, out.group, names_group, "named group");
    } else if (key == "machine") {
      read_section(c, f, cfg, out.machine, names_machine, "machine (by name or MAC)");
    } else {
      c.fail(f, "unknown key; a secrets file holds [vars], [profile.NAME], [group.NAME] and [machine.NAME]");
    }
  }
  if (!c.errors.empty()) {
    std::ranges::stable_sort(c.errors, {}, &ConfigError::line);
    return std::unexpected(std::move(c.errors));
  }
  return out;
}

std::expected<Secrets, std::vector<ConfigError>> read_secrets(const Config& cfg) {
  const auto& path = cfg.server.secrets_file;
  if (path.empty()) return Secrets{};
  auto text = read_private_file(path, {.max_bytes = kMaxSecretsFile,
                                       .too_big = "a secrets file holds values, not files",
                                       .how_to_make = " (create it as root, then chmod 600)"});
  if (!text) {
    auto it = cfg.lines.find("server.secrets_file");
    return std::unexpected(std::vector{ConfigError{cfg.source.string(), it == cfg.lines.end() ? 0 : it->second,
                                                   "server.secrets_file", path.string() + ": " + text.error()}});
  }
  return parse_secrets(*text, path.string(), cfg);
}

}  // namespace pxed::config
