#include "app/tree_check.hpp"

#include "core/suggest.hpp"
#include "vfs/path.hpp"

namespace pxed::app {
namespace {

bool checkable(std::string_view path) {
  return !path.empty() && !path.starts_with("http://") && !path.starts_with("https://") &&
         path.find("${") == std::string_view::npos;
}

}  // namespace

std::vector<Reference> references_of(const config::Config& cfg) {
  std::vector<Reference> refs;
  auto line_of = [&](std::string_view key) {
    auto it = cfg.lines.find(key);
    return it == cfg.lines.end() ? std::uint32_t{0} : it->second;
  };
  const auto& b = cfg.boot.choice;
  for (const auto& [key, value] : {std::pair{"boot.bios", &b.bios}, {"boot.efi32", &b.efi32},
                                   {"boot.efi64", &b.efi64}, {"boot.arm64", &b.arm64}}) {
    if (checkable(*value)) refs.push_back({*value, cfg.source, line_of(key), key});
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

std::vector<config::ConfigError> check_tree(const config::Config& cfg, const vfs::Tree& tree) {
  std::vector<config::ConfigError> errors;
  for (const auto& ref : references_of(cfg)) {
    auto rel = vfs::normalize(ref.path);
    // Images in files.iso_dir come and go while pxed runs: a name under them is not judged now.
    if (rel && !cfg.files.iso_dir.empty() && (rel->starts_with("iso/") || *rel == "iso")) continue;
    auto file = tree.open(ref.path);
    if (file) continue;
    std::string message = ref.path + ": ";
    if (file.error() == vfs::OpenError::not_found) {
      message += "not in the tree (files.root " + cfg.files.root.string() + " and its mounts)";
      auto slash = rel ? rel->rfind('/') : std::string::npos;
      std::string dir = rel && slash != std::string::npos ? rel->substr(0, slash) : "";
      std::string base = rel ? (slash == std::string::npos ? *rel : rel->substr(slash + 1)) : ref.path;
      if (auto entries = tree.list(dir)) {
        std::vector<std::string> names;
        for (const auto& e : *entries) {
          if (!e.directory) names.push_back(e.name);
        }
        if (auto guess = core::nearest(base, names)) {
          message += "; did you mean " + (dir.empty() ? "" : "/" + dir + "/") + *guess + "?";
        }
      }
    } else {
      message += "cannot be served (" + std::string(vfs::to_string(file.error())) + ")";
    }
    errors.push_back({ref.file.string(), ref.line, ref.key, std::move(message)});
  }
  return errors;
}

std::expected<vfs::Tree, std::vector<config::ConfigError>> open_configured_tree(const config::Config& cfg) {
  auto tree = vfs::Tree::open_root(cfg.files.root);
  if (!tree) return std::unexpected(std::vector<config::ConfigError>{{cfg.source.string(), 0, "files.root", tree.error()}});
  std::vector<config::ConfigError> errors;
  for (const auto& m : cfg.files.mounts) {
    auto added = m.dir.empty() ? tree->add_iso_mount(m.at, m.iso) : tree->add_dir_mount(m.at, m.dir);
    if (!added) errors.push_back({cfg.source.string(), 0, "files.mount", added.error()});
  }
  if (!errors.empty()) return std::unexpected(std::move(errors));
  return std::move(*tree);
}

}  // namespace pxed::app
