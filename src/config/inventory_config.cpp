// The inventory: [[profile]] (profile_config.cpp), [[group]] and [[machine]],
// and the readers they share. Each table is checked on its own as it is read;
// the names they refer to are looked up in inventory_check.cpp once every
// table is read, since TOML keeps no order between the three arrays.
#include <algorithm>

#include "config/sections.hpp"

namespace pxed::config {
namespace {

// What ${...} always means, and what answer-file templates also see
// (boot/answers.hpp); a var of the same name would be ambiguous.
constexpr std::string_view kBuiltinVars[] = {"server",      "http",    "mac",   "ip",        "name",
                                             "uuid",        "arch",    "done_url", "answers_url", "profile",
                                             "group",       "installer", "serial", "manufacturer", "product"};

constexpr std::string_view kIsoPrefix = "iso:";

bool has_control(std::string_view s) {
  return std::ranges::any_of(
      s, [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f; });
}

bool letter(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); }
bool digit(char ch) { return ch >= '0' && ch <= '9'; }

// Names become menu ids in pxelinux, GRUB and iPXE files and ${name} on kernel
// command lines, where a space or a quote would split or end them.
bool is_name(std::string_view s) {
  return !s.empty() && std::ranges::all_of(s, [](char ch) {
    return letter(ch) || digit(ch) || ch == '.' || ch == '_' || ch == '-' || ch == '+';
  });
}

bool is_var_name(std::string_view s) {
  return !s.empty() && (letter(s.front()) || s.front() == '_') &&
         std::ranges::all_of(s, [](char ch) { return letter(ch) || digit(ch) || ch == '_'; });
}

constexpr std::string_view kControl =
    "must not contain control characters: a line break would end the loader's line";

constexpr Key<Group> kGroupKeys[] = {
    {"name", [](auto& c, auto& f, auto& g) { read_name(c, f, g.name); }},
    {"match", [](auto& c, auto& f, auto& g) { read_group_match(c, f, g.match); }},
    {"profile", [](auto& c, auto& f, auto& g) { read_profile_name(c, f, g.profile); }},
    {"vars", [](auto& c, auto& f, auto& g) { read_vars(c, f, g.vars); }},
};

void add_group(Checker& c, Group&& g, const Field& table, Config& cfg) {
  g.line = table.line();
  if (!table.value.as_table().contains("profile")) {
    c.fail(g.line, "group.profile",
           "required: what the machines it matches boot, like profile = \"office\"");
  }
  cfg.inventory.groups.push_back(std::move(g));
}

constexpr std::string_view kUuidExample = "a UUID such as \"4c4c4544-0042-3510-8052-b4c04f4d4e31\"";

constexpr Key<Machine> kMachineKeys[] = {
    {"mac", [](auto& c, auto& f, auto& m) {
       core::Mac mac;
       const auto before = c.errors.size();
       read_mac(c, f, mac);
       if (c.errors.size() == before) m.mac = mac;
     }},
    {"uuid", [](auto& c, auto& f, auto& m) {
       auto text = string_of(c, f, kUuidExample);
       if (!text) return;
       if (auto uuid = core::Uuid::parse(*text)) return void(m.uuid = *uuid);
       c.fail(f, "must be " + std::string(kUuidExample) + ", got " + in_quotes(*text));
     }},
    {"name", [](auto& c, auto& f, auto& m) { read_name(c, f, m.name); }},
    {"profile", [](auto& c, auto& f, auto& m) { read_profile_name(c, f, m.profile); }},
    {"once", [](auto& c, auto& f, auto& m) { read_bool(c, f, m.once); }},
    {"vars", [](auto& c, auto& f, auto& m) { read_vars(c, f, m.vars); }},
};

// A duplicate is reported and left out, so the first machine keeps its MAC, UUID and name.
void add_machine(Checker& c, Machine&& m, const Field& table, Config& cfg) {
  m.line = table.line();
  const auto& keys = table.value.as_table();
  if (!keys.contains("mac") && !keys.contains("uuid")) {
    c.fail(m.line, "machine",
           "needs mac or uuid (or both) to know the machine by, like mac = \"52:54:00:12:34:56\"");
  }
  bool duplicate = false;
  for (const auto& other : cfg.inventory.machines) {
    const std::string first = (other.name.empty() ? "the machine" : "machine " + other.name) +
                              " at " + file_line(c, other.line);
    if (m.mac && other.mac == m.mac) {
      c.fail(key_line(table, "mac"), "machine.mac", m.mac->to_string() + " is already " + first);
      duplicate = true;
    }
    if (m.uuid && other.uuid == m.uuid) {
      c.fail(key_line(table, "uuid"), "machine.uuid",
             m.uuid->to_string() + " is already " + first);
      duplicate = true;
    }
    if (!m.name.empty() && other.name == m.name) {
      c.fail(key_line(table, "name"), "machine.name",
             in_quotes(m.name) + " is already the machine at " + file_line(c, other.line));
      duplicate = true;
    }
  }
  if (!duplicate) cfg.inventory.machines.push_back(std::move(m));
}

constexpr Key<Config> kInventoryKeys[] = {
    {"profile", read_profiles},
    {"group", [](auto& c, auto& f, auto& cfg) {
       read_all_tables<Group>(c, f, kGroupKeys, "[[group]]", [&](Group&& g, const Field& table) {
         add_group(c, std::move(g), table, cfg);
       });
     }},
    {"machine", [](auto& c, auto& f, auto& cfg) {
       read_all_tables<Machine>(c, f, kMachineKeys, "[[machine]]",
                                [&](Machine&& m, const Field& table) {
         add_machine(c, std::move(m), table, cfg);
       });
     }},
};

}  // namespace

std::span<const Key<Config>> inventory_keys() { return kInventoryKeys; }

std::string file_line(const Checker& c, std::uint32_t line) {
  return std::filesystem::path(c.file).filename().string() + ":" + std::to_string(line);
}

std::string profile_name_problem(const toml::value& v) {
  if (!v.is_string()) {
    return "must be a profile name such as \"centos7\" or \"local\", got " +
           std::string(type_name(v));
  }
  const auto& text = v.as_string().str;
  if (text.empty()) return "must name a profile, like \"centos7\" or \"local\"";
  if (text == kIsoPrefix) return "\"iso:\" names no image; write \"iso:<image name>\"";
  return "";
}

void read_profile_name(Checker& c, const Field& f, std::string& out) {
  if (auto problem = profile_name_problem(f.value); !problem.empty()) return c.fail(f, problem);
  out = f.value.as_string().str;
}

void read_name(Checker& c, const Field& f, std::string& out) {
  auto text = string_of(c, f, "a name such as \"centos7\"");
  if (!text) return;
  if (!is_name(*text)) {
    return c.fail(f, in_quotes(*text) + " may hold only letters, digits and . _ - + "
                                       "(it becomes an id in loader menus)");
  }
  out = *text;
}

void read_text(Checker& c, const Field& f, std::string& out) {
  auto text = string_of(c, f);
  if (!text) return;
  if (has_control(*text)) return c.fail(f, std::string(kControl));
  out = *text;
}

void read_vars(Checker& c, const Field& f, Vars& out) {
  if (!expect_type(c, f, toml::value_t::table,
                   "a table of strings, like vars = { disk = \"sda\" }")) {
    return;
  }
  for (const auto& [name, value] : f.value.as_table()) {
    Field var{f.key + "." + name, value};
    if (!is_var_name(name)) {
      c.fail(var, in_quotes(name) + " is not a variable name: letters, digits and _, "
                                    "not starting with a digit");
    } else if (std::ranges::find(kBuiltinVars, name) != std::end(kBuiltinVars)) {
      c.fail(var, "${" + name + "} is built in (server, http, mac, ip, name, uuid, arch, done_url; "
                                "answer files also see answers_url, profile, group, installer, serial, manufacturer, product); "
                                "choose another name");
    } else if (!value.is_string()) {
      c.fail(var, "must be a string (vars are text: write \"8\", not 8), got " +
                      std::string(type_name(value)));
    } else if (has_control(value.as_string().str)) {
      c.fail(var, std::string(kControl));
    } else {
      out[name] = value.as_string().str;
    }
  }
}

}  // namespace pxed::config
