// [files]: the served root, [[files.mount]] of ISO images and directories,
// files.iso_dir and system_loaders. Paths are checked at startup so a typo
// fails `pxed check`.
#include <algorithm>
#include <optional>
#include <string>

#include "config/sections.hpp"
#include "vfs/path.hpp"

namespace pxed::config {
namespace {

namespace fs = std::filesystem;

bool exists_as(Checker& c, const Field& f, const fs::path& path, fs::file_type want,
               std::string_view noun) {
  std::error_code ec;
  auto type = fs::status(path, ec).type();
  if (type == fs::file_type::not_found) {
    c.fail(f, std::string(noun) + " " + path.string() + " does not exist");
  } else if (ec) {
    c.fail(f, "cannot access " + path.string() + ": " + ec.message());
  } else if (type != want) {
    c.fail(f, path.string() + (want == fs::file_type::directory
                                   ? " is not a directory"
                                   : " is not a regular file (an ISO 9660 image)"));
  } else {
    return true;
  }
  return false;
}

void read_root(Checker& c, const Field& f, Config& cfg) {
  fs::path root;
  read_path(c, f, root);
  if (!root.empty() && exists_as(c, f, root, fs::file_type::directory, "directory")) {
    cfg.files.root = root;
  }
}

// files.iso_dir: checked now, though images in it come and go while pxed runs.
void read_iso_dir(Checker& c, const Field& f, Config& cfg) {
  fs::path dir;
  read_path(c, f, dir);
  if (!dir.empty() && exists_as(c, f, dir, fs::file_type::directory, "directory")) {
    cfg.files.iso_dir = dir;
  }
}

// One [[files.mount]] table: at = "/centos7" and either iso = "/srv/iso/x.iso"
// or dir = "/srv/other".
void read_mount(Checker& c, const Field& table, Config& cfg) {
  if (!table.value.is_table()) {
    return c.fail(table, "must be a table ([[files.mount]]), got " + std::string(type_name(table.value)));
  }
  Mount mount;
  bool ok = true;
  std::optional<std::uint32_t> at_line;
  for (const auto& [name, value] : table.value.as_table()) {
    Field f{table.key + "." + name, value};
    if (name == "at") {
      at_line = f.line();
      const std::string* text = string_of(c, f, "a path in the served tree");
      if (text == nullptr) { ok = false; continue; }
      auto rel = vfs::normalize(*text);
      if (!text->starts_with('/')) {
        c.fail(f, in_quotes(*text) + " must be an absolute path in the tree, like \"/centos7\"");
        ok = false;
      } else if (!rel) {
        c.fail(f, in_quotes(*text) + " is not a usable path: " + std::string(vfs::to_string(rel.error())));
        ok = false;
      } else if (rel->empty()) {
        c.fail(f, "must not be \"/\": the root is files.root; mount the image under a name");
        ok = false;
      } else {
        mount.at = "/" + *rel;
      }
    } else if (name == "iso" || name == "dir") {
      const bool image = name == "iso";
      fs::path& path = image ? mount.iso : mount.dir;
      read_path(c, f, path);
      if (path.empty() ||
          !exists_as(c, f, path, image ? fs::file_type::regular : fs::file_type::directory,
                     image ? "image" : "directory")) {
        ok = false;
      }
    } else {
      constexpr std::string_view kMountKeys[] = {"at", "iso", "dir"};
      c.fail(f, "unknown key; " + did_you_mean(name, kMountKeys) + "known keys in [[files.mount]]: at, iso, dir");
      ok = false;
    }
  }
  const auto& keys = table.value.as_table();
  const auto table_line = table.line();
  if (!keys.contains("at")) {
    c.fail(table_line, table.key + ".at", "required: where the image appears, like at = \"/centos7\"");
    ok = false;
  }
  if (keys.contains("iso") && keys.contains("dir")) {
    c.fail(keys.at("dir").location().line(), table.key + ".dir",
           "give iso or dir, not both: one mount shows one image or one directory");
    ok = false;
  } else if (!keys.contains("iso") && !keys.contains("dir")) {
    c.fail(table_line, table.key + ".iso",
           "required: the image file, like iso = \"/srv/iso/x.iso\" (or dir = \"/srv/other\" "
           "to mount a directory)");
    ok = false;
  }
  if (!ok) return;
  for (const auto& other : cfg.files.mounts) {
    if (other.at == mount.at) {
      return c.fail(at_line.value_or(table_line), table.key + ".at",
                    mount.at + " is already mounted by an earlier [[files.mount]]");
    }
    // The deepest mount answers for its path: one inside an image hides that
    // part of the image (the image's own /images/pxeboot, say).
    const bool inside = mount.at.starts_with(other.at + "/");
    const Mount& outer = inside ? other : mount;
    const Mount& inner = inside ? mount : other;
    if ((inside || other.at.starts_with(mount.at + "/")) && !outer.iso.empty()) {
      std::string beside = inner.at;
      std::replace(beside.begin() + 1, beside.end(), '/', '-');
      return c.fail(at_line.value_or(table_line), table.key + ".at",
                    inner.at + " is inside the image mounted at " + outer.at + " (line " +
                        std::to_string(inside ? other.line : table_line) +
                        ") and would hide that part of it; mount it beside, e.g. at = \"" + beside + "\"");
    }
  }
  mount.line = table_line;
  cfg.files.mounts.push_back(std::move(mount));
}

// files.iso_dir shows its images under /iso: a [[files.mount]] there would hide them all.
void read_mounts(Checker& c, const Field& f, Config& cfg) {
  if (!expect_type(c, f, toml::value_t::array, "an array of tables ([[files.mount]])")) return;
  for (const auto& item : f.value.as_array()) read_mount(c, Field{f.key, item}, cfg);
}

constexpr Key<Config> kFilesKeys[] = {
    {"root", read_root},
    {"mount", read_mounts},
    {"iso_dir", read_iso_dir},
    {"system_loaders", [](auto& c, auto& f, auto& cfg) { read_bool(c, f, cfg.files.system_loaders); }},
    {"allow_system_root", [](auto& c, auto& f, auto&) { read_bool(c, f, c.allow_system_root); }},
};

// What a root must not be nor hold unless files.allow_system_root says so:
// anyone who can reach TFTP or HTTP could read them.
constexpr std::string_view kSystemDirs[] = {"/etc", "/root", "/home", "/usr", "/var",
                                            "/boot", "/proc", "/sys", "/dev", "/run"};

// a == b, or b is somewhere below a; both as the kernel resolves them (symlinks followed).
bool holds(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  const auto outer = fs::weakly_canonical(a, ec);
  if (ec) return false;
  const auto inner = fs::weakly_canonical(b, ec);
  if (ec) return false;
  const auto relative = inner.lexically_relative(outer);
  return !relative.empty() && *relative.begin() != "..";
}

// Served trees never hold pxed's own state nor, unless asked for, the system's files.
void check_served_dirs(Checker& c, const Config& cfg) {
  if (cfg.files.root.empty()) return;
  const auto root_line = c.line_of("files.root").value_or(0);
  for (std::string_view system : kSystemDirs) {
    if (c.allow_system_root || !holds(cfg.files.root, fs::path(system))) continue;
    c.fail(root_line, "files.root",
           cfg.files.root.string() + " holds " + std::string(system) +
               ": anyone on the network could read it over TFTP or HTTP (" +
               (system == "/etc" ? "/etc/passwd, keys" : "the system's files") +
               "); point root at a directory of boot files only, or set allow_system_root = true under [files] "
               "if that is really meant");
    break;
  }
  const auto& state = cfg.server.state_dir;
  const std::string state_text = "server.state_dir " + state.string() +
                                 " (the lease and machine databases, with every client's MAC and address)";
  if (holds(cfg.files.root, state)) {
    c.fail(root_line, "files.root",
           cfg.files.root.string() + " holds " + state_text +
               ", which anyone could then download over TFTP or HTTP; move state_dir out of the tree");
  }
  for (const auto& mount : cfg.files.mounts) {
    if (!mount.dir.empty() && holds(mount.dir, state)) {
      c.fail(c.line_of("files.mount").value_or(0), "files.mount",
             "dir " + mount.dir.string() + " holds " + state_text + "; mount a directory without it");
    }
  }
}

}  // namespace

std::span<const Key<Config>> files_keys() { return kFilesKeys; }

void check_files(Checker& c, const Config& cfg) {
  check_served_dirs(c, cfg);
  if (cfg.files.iso_dir.empty()) return;
  for (const auto& mount : cfg.files.mounts) {
    if (mount.at == "/iso") {
      c.fail(c.line_of("files.iso_dir").value_or(0), "files.iso_dir",
             "its images appear under /iso, which a [[files.mount]] already uses; "
             "move that mount elsewhere");
    }
  }
}

}  // namespace pxed::config
