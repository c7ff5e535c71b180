// [server] inventory: the inventory's [[profile]], [[group]] and [[machine]]
// in a file of their own, so the machine list can be edited (or generated) apart
// from the server's settings. The inventory lives in one file or the other,
// never both: groups match in file order, and two files have no one order.
#include <algorithm>
#include <system_error>

#include "config/sections.hpp"

namespace pxed::config {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kArrays[] = {"profile", "group", "machine"};
constexpr std::string_view kHoldsOnly =
    "an inventory file holds only [[profile]], [[group]] and [[machine]]";

// How errors name the inventory file: like the config file was named when the
// inventory sits under its directory ("inventory.toml" beside "pxed.toml",
// "/etc/pxed/inventory.toml" beside "/etc/pxed/pxed.toml"), else its absolute path.
std::string display_name(const Checker& c, const fs::path& inventory) {
  const fs::path relative = inventory.lexically_relative(c.base_dir);
  if (relative.empty() || *relative.begin() == "..") return inventory.string();
  // A symlinked config: its name's directory is not where the inventory is.
  std::error_code ec;
  if (fs::absolute(fs::path(c.file), ec).lexically_normal().parent_path() != c.base_dir) return inventory.string();
  return (fs::path(c.file).parent_path() / relative).lexically_normal().string();
}

// The inventory's arrays in pxed.toml too: say which to move or remove.
void refuse_both(Checker& c, std::uint32_t key_line, const std::string& file) {
  const std::string here = fs::path(c.file).filename().string();
  for (auto array : kArrays) {
    auto line = c.line_of(array);
    if (!line) continue;
    c.fail(*line, std::string(array),
           "[[" + std::string(array) + "]] here, but [server] inventory (line " +
               std::to_string(key_line) + ") puts the inventory in " + file +
               ": move every [[profile]], [[group]] and [[machine]] there, or remove the "
               "inventory key to keep the whole inventory in " + here);
  }
}

void read_inventory_document(Checker& c, const std::string& config_file,
                             const toml::value& document, Config& cfg) {
  const auto arrays = inventory_keys();
  for (const auto& [name, value] : document.as_table()) {
    Field f{name, value};
    auto array = std::ranges::find(arrays, std::string_view(name), &Key<Config>::name);
    if (array != arrays.end()) {
      c.seen[f.key] = f.line();
      array->read(c, f, cfg);
    } else if (is_section(name)) {
      c.fail(f, "[" + name + "] belongs in " + fs::path(config_file).filename().string() + ": " +
                    std::string(kHoldsOnly));
    } else {
      c.fail(f, std::string(value.is_table() ? "unknown section" : "unknown key") + "; " +
                    std::string(kHoldsOnly));
    }
  }
}

}  // namespace

std::optional<Checker> read_inventory_file(Checker& c, Config& cfg) {
  const auto key_line = c.line_of("server.inventory");
  if (!key_line) return std::nullopt;
  // Whatever pxed.toml declared is not the inventory: the key says where it is.
  cfg.inventory = {};
  cfg.inventory.source = cfg.source;
  if (c.failed("server.inventory")) {
    refuse_both(c, *key_line, "the file it names");
    return std::nullopt;
  }
  const fs::path& path = cfg.server.inventory;
  const std::string file = display_name(c, path);
  refuse_both(c, *key_line, file);
  std::error_code ec;
  if (fs::equivalent(path, fs::path(c.file), ec)) {
    c.fail(*key_line, "server.inventory",
           "names this file itself; remove the key to keep the inventory here");
    return std::nullopt;
  }
  cfg.inventory.source = file;
  cfg.sources.push_back(file);
  auto text = read_whole_file(path);
  if (!text) {
    c.fail(*key_line, "server.inventory",
           "cannot read inventory file " + path.string() + ": " + text.error());
    return std::nullopt;
  }
  auto document = parse_toml(*text, file);
  if (!document) {
    c.errors.push_back(std::move(document.error()));
    return std::nullopt;
  }
  Checker inventory{file, directory_holding(path), {}, {}, {}};
  read_inventory_document(inventory, c.file, *document, cfg);
  return inventory;
}

}  // namespace pxed::config
