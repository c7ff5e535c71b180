#include "app/inventory_files.hpp"

#include "boot/config_files.hpp"

namespace pxed::app {

std::optional<vfs::Generation> InventoryFiles::generate(std::string_view rel, const vfs::Requester& who) const {
  auto file = boot::config_file(rel, boot::Asker{who.address, who.local, who.query}, *config_, sightings_);
  if (!file) return std::nullopt;
  return vfs::Generation{std::move(file->content), std::move(file->why), std::move(file->yield_to)};
}

bool generates_files(const config::Config& config) { return config::has_inventory(config); }

}  // namespace pxed::app
