#pragma once
// `pxed check` looks in the tree for every file the config names: [boot]'s
// loaders (its defaults too), each profile's kernel, initrds and chained
// loader. A missing one is reported like any config error (file:line: key:
// what), with the nearest name in that directory when one is close, or the
// Debian package that installs it when it is a loader pxed serves from the
// system; `serve` logs the same as warnings.
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "vfs/debian_loaders.hpp"
#include "vfs/tree.hpp"

namespace pxed::app {

// A file the config expects in the tree, and where the config says so.
struct Reference {
  std::string path;       // as written: "lpxelinux.0", "/centos7/images/pxeboot/vmlinuz"
  std::filesystem::path file;  // pxed.toml for [boot], the inventory's file for profiles
  std::uint32_t line = 0;
  std::string key;        // "boot.bios", "profile centos7-ks: kernel"
  bool by_default = false;  // a [boot] key left out: pxed's default (config::Boot::defaults)
};

// Paths only: URLs, values with ${...} (known per machine) and images under
// files.iso_dir (they come and go while pxed runs) are not checked.
std::vector<Reference> references_of(const config::Config& cfg);

// Every reference the tree cannot open, as config errors. `loaders` is the
// table the tree's system files come from: it names the package to install.
std::vector<config::ConfigError> check_tree(const config::Config& cfg, const vfs::Tree& tree,
                                            std::span<const vfs::SystemSource> loaders = vfs::kDebianLoaders);

// Opens files.root and the mounts as serve does, with the system's loaders
// unless [files] system_loaders = false; errors as config errors.
std::expected<vfs::Tree, std::vector<config::ConfigError>> open_configured_tree(const config::Config& cfg);

// The same for `check`, which goes on past a mount that fails (an image that is
// not ISO 9660 or UDF) to find the other problems: the tree with every mount
// that opened (none without a root), and why the others did not.
struct OpenedTree {
  std::optional<vfs::Tree> tree;
  std::vector<config::ConfigError> errors;
};
OpenedTree open_tree_for_check(const config::Config& cfg);

// Debian's loaders (vfs/debian_loaders.hpp), their directories opened now;
// null when [files] system_loaders = false.
std::shared_ptr<const vfs::SystemFiles> open_system_files(const config::Config& cfg);

}  // namespace pxed::app
