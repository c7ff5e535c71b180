// [[profile]]: one way to boot (a kernel, another loader, a menu or the local
// disk). The names a profile's menu holds are looked up in inventory_check.cpp.
#include <algorithm>

#include "config/duration.hpp"
#include "config/sections.hpp"

namespace pxed::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// An hour: past it a menu waits for someone who is not coming.
constexpr std::int64_t kMaxMenuTimeout = 3600;

std::string element(std::size_t index) { return "element " + std::to_string(index + 1) + " "; }

bool blank_or_control(char ch) { return static_cast<unsigned char>(ch) <= ' ' || ch == 0x7f; }

// Why a value is not somewhere a loader can fetch from, or "" when it is: a path
// in the tree (ISO mounts included) or an http(s):// URL. "${...}" expands per
// machine, so such a value is checked only for what no expansion can mend.
std::string location_problem(std::string_view text) {
  if (text.empty()) return "must not be empty";
  if (std::ranges::any_of(text, blank_or_control)) {
    return in_quotes(text) + " has a space or control character: loaders split their lines there";
  }
  if (text.find("${") != std::string_view::npos) return "";
  for (std::string_view scheme : {"http://", "https://"}) {
    if (!text.starts_with(scheme)) continue;
    return text.size() > scheme.size() ? "" : in_quotes(text) + " names no host";
  }
  if (text.find("://") != std::string_view::npos) {
    return in_quotes(text) + ": only http:// and https:// URLs are fetched; a file of the tree is "
                             "a path like \"/centos7/images/pxeboot/vmlinuz\"";
  }
  for (std::size_t at = 0; at <= text.size();) {
    auto end = std::min(text.find('/', at), text.size());
    if (text.substr(at, end - at) == "..") {
      return in_quotes(text) + " climbs out of the tree with \"..\"";
    }
    at = end + 1;
  }
  return "";
}

void read_location(Checker& c, const Field& f, std::string& out) {
  auto text = string_of(c, f, "a path in the tree or an http:// URL");
  if (!text) return;
  if (auto problem = location_problem(*text); !problem.empty()) return c.fail(f, problem);
  out = *text;
}

void read_initrd(Checker& c, const Field& f, Profile& p) {
  if (f.value.is_string()) {
    std::string one;
    read_location(c, f, one);
    if (!one.empty()) p.initrd = {std::move(one)};
    return;
  }
  if (!expect_type(c, f, toml::value_t::array, "a path or URL, or an array of them")) return;
  const auto& items = f.value.as_array();
  std::vector<std::string> list;
  for (std::size_t i = 0; i < items.size(); ++i) {
    Field item{f.key, items[i]};
    if (!items[i].is_string()) {
      c.fail(item, element(i) + "must be a string, got " + std::string(type_name(items[i])));
    } else if (auto problem = location_problem(items[i].as_string().str); !problem.empty()) {
      c.fail(item, element(i) + problem);
    } else {
      list.push_back(items[i].as_string().str);
    }
  }
  if (list.size() == items.size()) p.initrd = std::move(list);
}

void read_menu(Checker& c, const Field& f, Profile& p) {
  if (!expect_type(c, f, toml::value_t::array,
                   "an array of profile names, like [\"centos7\", \"local\"]")) {
    return;
  }
  const auto& items = f.value.as_array();
  if (items.empty()) return c.fail(f, "must name at least one profile");
  std::vector<std::string> names;
  for (std::size_t i = 0; i < items.size(); ++i) {
    Field item{f.key, items[i]};
    if (auto problem = profile_name_problem(items[i]); !problem.empty()) {
      c.fail(item, element(i) + problem);
    } else if (std::ranges::find(names, items[i].as_string().str) != names.end()) {
      c.fail(item, element(i) + in_quotes(items[i].as_string().str) + " is already in this menu");
    } else {
      names.push_back(items[i].as_string().str);
    }
  }
  if (names.size() == items.size()) p.menu = std::move(names);
}

// "10s" like every duration in the file, or a bare number of seconds as menus
// are usually written.
void read_timeout(Checker& c, const Field& f, Profile& p) {
  if (f.value.is_integer()) {
    const auto v = f.value.as_integer();
    if (v < 0 || v > kMaxMenuTimeout) {
      return c.fail(f, "must be 0..3600 seconds, got " + std::to_string(v));
    }
    return void(p.timeout = seconds(v));
  }
  if (!f.value.is_string()) {
    return c.fail(f, "must be a duration such as \"10s\" or a number of seconds, got " +
                         std::string(type_name(f.value)));
  }
  const auto& text = f.value.as_string().str;
  auto d = parse_duration(text);
  if (!d) return c.fail(f, "duration " + in_quotes(text) + " " + d.error());
  if (*d > seconds(kMaxMenuTimeout)) return c.fail(f, "must be 0s..1h, got " + in_quotes(text));
  if (*d % seconds(1) != milliseconds(0)) {
    return c.fail(f, "must be whole seconds, got " + in_quotes(text));
  }
  p.timeout = std::chrono::duration_cast<seconds>(*d);
}

constexpr Key<Profile> kProfileKeys[] = {
    {"name", [](auto& c, auto& f, auto& p) {
       auto text = string_of(c, f, "a name such as \"centos7\"");
       if (text && *text == kLocalProfile) {
         return c.fail(f, "\"local\" is the built-in profile that boots the machine's own disk; "
                          "choose another name");
       }
       if (text && text->starts_with("iso:")) {
         return c.fail(f, "names starting with \"iso:\" are reserved for identified ISO images; "
                          "choose another name");
       }
       if (text) read_name(c, f, p.name);
     }},
    {"label", [](auto& c, auto& f, auto& p) { read_text(c, f, p.label); }},
    {"kernel", [](auto& c, auto& f, auto& p) { read_location(c, f, p.kernel); }},
    {"initrd", read_initrd},
    {"append", [](auto& c, auto& f, auto& p) { read_text(c, f, p.append); }},
    {"chain", [](auto& c, auto& f, auto& p) { read_location(c, f, p.chain); }},
    {"image", [](auto& c, auto& f, auto& p) {
       auto text = string_of(c, f, "an image's name, like \"ubuntu-22.04\" for iso_dir's ubuntu-22.04.iso");
       if (!text) return;
       std::string_view name = *text;
       if (name.starts_with(kImagePrefix)) name.remove_prefix(kImagePrefix.size());  // "iso:x" means x too
       if (name.empty() || name == "*") return c.fail(f, "must name one image, like \"ubuntu-22.04\"");
       p.image = std::string(name);
     }},
    {"menu", read_menu},
    {"default", [](auto& c, auto& f, auto& p) { read_profile_name(c, f, p.menu_default); }},
    {"timeout", read_timeout},
    {"local", [](auto& c, auto& f, auto&) {
       bool local = false;  // check_kind decides the kind from the keys written
       read_bool(c, f, local);
     }},
    {"vars", [](auto& c, auto& f, auto& p) { read_vars(c, f, p.vars); }},
    {"answer", read_answers},
    {"installer", read_installer},
};

// "kernel", "kernel and chain", "kernel, chain and menu"
std::string and_list(const std::vector<std::string_view>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == words.size() ? " and " : ", ") + std::string(words[i]);
  }
  return out;
}

// The kind comes from the keys written, not from values that read cleanly: a
// misspelt kernel path must not also read as "boots nothing".
void check_kind(Checker& c, const Field& table, Profile& p) {
  const auto& keys = table.value.as_table();
  std::vector<std::string_view> given;
  for (std::string_view key : {"kernel", "chain", "menu", "image"}) {
    if (keys.contains(std::string(key))) given.push_back(key);
  }
  auto local = keys.find("local");
  if (local != keys.end() && local->second.is_boolean() && local->second.as_boolean()) {
    given.push_back("local = true");
  }
  const std::string who = p.name.empty() ? "this profile" : in_quotes(p.name);
  constexpr std::string_view kKinds = "one of kernel, chain, menu, image or local = true";
  if (given.empty()) {
    return c.fail(table.line(), "profile",
                  who + " boots nothing: give it " + std::string(kKinds));
  }
  if (given.size() > 1) {
    return c.fail(table.line(), "profile",
                  who + " has " + and_list(given) + ": give it only " + std::string(kKinds));
  }
  p.kind = given[0] == "kernel" ? ProfileKind::linux
           : given[0] == "chain" ? ProfileKind::chain
           : given[0] == "menu"  ? ProfileKind::menu
           : given[0] == "image" ? ProfileKind::image
                                 : ProfileKind::local;
  if (keys.contains("initrd") && p.kind != ProfileKind::linux) {
    c.fail(key_line(table, "initrd"), "profile.initrd", "only a profile with a kernel takes initrd");
  }
  // An image's profile adds its append to the arguments the image's recipe gives.
  if (keys.contains("append") && p.kind != ProfileKind::linux && p.kind != ProfileKind::image) {
    c.fail(key_line(table, "append"), "profile.append", "only a profile with a kernel or an image takes append");
  }
  for (std::string_view key : {"default", "timeout"}) {
    if (keys.contains(std::string(key)) && p.kind != ProfileKind::menu) {
      c.fail(key_line(table, key), "profile." + std::string(key),
             "only a menu profile takes " + std::string(key));
    }
  }
  check_answers(c, table, p);
}

void add_profile(Checker& c, Profile&& p, const Field& table, Config& cfg) {
  p.line = table.line();
  check_kind(c, table, p);
  // An image's name is in a menu that lists every image ("iso:*").
  const bool among_images = p.menu_default.starts_with(kImagePrefix) && std::ranges::find(p.menu, kAllImages) != p.menu.end();
  if (p.kind == ProfileKind::menu && !p.menu_default.empty() && !p.menu.empty() && !among_images &&
      std::ranges::find(p.menu, p.menu_default) == p.menu.end()) {
    std::string items;
    for (const auto& item : p.menu) items += (items.empty() ? "" : ", ") + item;
    c.fail(key_line(table, "default"), "profile.default",
           in_quotes(p.menu_default) + " is not in this profile's menu: " + items);
  }
  if (!table.value.as_table().contains("name")) {
    c.fail(p.line, "profile.name",
           "required: what groups, machines and menus call it, like name = \"centos7\"");
  }
  if (p.name.empty()) return;  // its error is recorded; nothing could refer to it
  for (const auto& other : cfg.inventory.profiles) {
    if (other.name == p.name) {
      return c.fail(key_line(table, "name"), "profile.name",
                    in_quotes(p.name) + " is already the profile at " + file_line(c, other.line));
    }
  }
  cfg.inventory.profiles.push_back(std::move(p));
}

}  // namespace

void read_profiles(Checker& c, const Field& f, Config& cfg) {
  read_all_tables<Profile>(c, f, kProfileKeys, "[[profile]]", [&](Profile&& p, const Field& table) {
    add_profile(c, std::move(p), table, cfg);
  });
}

}  // namespace pxed::config
