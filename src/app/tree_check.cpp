#include "app/tree_check.hpp"

#include <filesystem>
#include <system_error>
#include <tuple>

#include "core/suggest.hpp"
#include "vfs/path.hpp"

namespace pxed::app {
namespace {

bool checkable(std::string_view path) {
  return !path.empty() && !path.starts_with("http://") && !path.starts_with("https://") &&
         path.find("${") == std::string_view::npos;
}

// After "not in the tree": the package that installs a loader pxed serves
// from the system, or the nearest name in that directory.
std::string what_to_do(const config::Config& cfg, const vfs::Tree& tree, std::span<const vfs::SystemSource> loaders,
                       const std::string& rel) {
  if (const auto* system = vfs::source_of(loaders, rel)) {
    std::error_code ec;
    const std::string package(system->package);
    if (std::filesystem::is_regular_file(vfs::system_path(*system, rel), ec)) {
      if (!cfg.files.system_loaders) return "; the system has it (" + package + "): set [files] system_loaders = true";
    } else if (!std::filesystem::is_directory(system->dir, ec) || !std::string_view(system->tree).contains('*')) {
      return "; apt-get install " + package + " provides it" +
             (cfg.files.system_loaders ? "" : " (served with [files] system_loaders = true)");
    }
    // Otherwise a name the installed package does not have (efi64/menuu.c32).
  }
  auto slash = rel.rfind('/');
  std::string dir = slash == std::string::npos ? "" : rel.substr(0, slash);
  std::string base = slash == std::string::npos ? rel : rel.substr(slash + 1);
  auto entries = tree.list(dir);
  if (!entries) return "";
  std::vector<std::string> names;
  for (const auto& e : *entries) {
    if (!e.directory) names.push_back(e.name);
  }
  auto guess = core::nearest(base, names);
  return guess ? "; did you mean " + (dir.empty() ? "" : "/" + dir + "/") + *guess + "?" : "";
}

}  // namespace

std::vector<Reference> references_of(const config::Config& cfg) {
  std::vector<Reference> refs;
  auto line_of = [&](std::string_view key) {
    auto it = cfg.lines.find(key);
    return it == cfg.lines.end() ? std::uint32_t{0} : it->second;
  };
  // A default goes to machines like a value written in [boot]: it must be there as much.
  const auto& b = cfg.boot.choice;
  const auto& d = cfg.boot.defaults;
  for (const auto& [key, value, fallback] :
       {std::tuple{"boot.bios", &b.bios, &d.bios}, {"boot.efi32", &b.efi32, &d.efi32},
        {"boot.efi64", &b.efi64, &d.efi64}, {"boot.arm64", &b.arm64, &d.arm64}}) {
    if (checkable(*value)) refs.push_back({*value, cfg.source, line_of(key), key});
    if (value->empty() && checkable(*fallback)) refs.push_back({*fallback, cfg.source, 0, key, true});
  }
  if (cfg.boot.menu) {
    for (const auto& item : cfg.boot.menu->items) {
      if (checkable(item.file) && !item.server) {
        refs.push_back({item.file, cfg.source, line_of("boot.menu.item.file"), "boot.menu.item \"" + item.label + "\": file"});
      }
    }
  }
  const auto& inventory = cfg.inventory.source;
  for (const auto& p : cfg.inventory.profiles) {
    const std::string key = "profile " + p.name + ": ";
    if (checkable(p.kernel)) refs.push_back({p.kernel, inventory, p.line, key + "kernel"});
    for (const auto& i : p.initrd) {
      if (checkable(i)) refs.push_back({i, inventory, p.line, key + "initrd"});
    }
    if (checkable(p.chain)) refs.push_back({p.chain, inventory, p.line, key + "chain"});
  }
  return refs;
}

std::vector<config::ConfigError> check_tree(const config::Config& cfg, const vfs::Tree& tree,
                                            std::span<const vfs::SystemSource> loaders) {
  std::vector<config::ConfigError> errors;
  for (const auto& ref : references_of(cfg)) {
    auto rel = vfs::normalize(ref.path);
    // Images in files.iso_dir come and go while pxed runs: a name under them is not judged now.
    if (rel && !cfg.files.iso_dir.empty() && (rel->starts_with("iso/") || *rel == "iso")) continue;
    auto file = tree.open(ref.path);
    if (file) continue;
    std::string message = ref.path;
    if (ref.by_default) message += " (pxed's default: [boot] " + ref.key.substr(ref.key.find('.') + 1) + " is not set)";
    message += ": ";
    if (file.error() == vfs::OpenError::not_found) {
      message += "not in the tree (files.root " + cfg.files.root.string() + " and its mounts)";
      message += rel ? what_to_do(cfg, tree, loaders, *rel) : "";
    } else {
      message += "cannot be served (" + std::string(vfs::to_string(file.error())) + ")";
    }
    errors.push_back({ref.file.string(), ref.line, ref.key, std::move(message)});
  }
  return errors;
}

OpenedTree open_tree_for_check(const config::Config& cfg) {
  auto tree = vfs::Tree::open_root(cfg.files.root);
  if (!tree) {
    auto line = cfg.lines.find("files.root");
    return {std::nullopt,
            {{cfg.source.string(), line == cfg.lines.end() ? 0 : line->second, "files.root", tree.error()}}};
  }
  std::vector<config::ConfigError> errors;
  for (const auto& m : cfg.files.mounts) {
    auto added = m.dir.empty() ? tree->add_iso_mount(m.at, m.iso) : tree->add_dir_mount(m.at, m.dir);
    if (!added) errors.push_back({cfg.source.string(), m.line, "files.mount", added.error()});
  }
  tree->set_system_files(open_system_files(cfg));
  return {std::move(*tree), std::move(errors)};
}

std::expected<vfs::Tree, std::vector<config::ConfigError>> open_configured_tree(const config::Config& cfg) {
  auto opened = open_tree_for_check(cfg);
  if (!opened.errors.empty()) return std::unexpected(std::move(opened.errors));
  return std::move(*opened.tree);
}

std::shared_ptr<const vfs::SystemFiles> open_system_files(const config::Config& cfg) {
  if (!cfg.files.system_loaders) return nullptr;
  return std::make_shared<const vfs::SystemFiles>(vfs::SystemFiles::open(vfs::kDebianLoaders));
}

}  // namespace pxed::app
