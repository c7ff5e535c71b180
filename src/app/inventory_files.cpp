#include "app/inventory_files.hpp"

#include <fstream>
#include <sstream>

#include "boot/config_files.hpp"

namespace pxed::app {

namespace {

// The kernel's ARP cache in pxed's network namespace: a small procfs file, no disk.
std::optional<core::Mac> neighbour_of(core::Ipv4 address) {
  std::ifstream in("/proc/net/arp");
  std::ostringstream table;
  table << in.rdbuf();
  return boot::neighbour_in(table.str(), address);
}

}  // namespace

std::optional<vfs::Generation> InventoryFiles::generate(std::string_view rel, const vfs::Requester& who) const {
  boot::Asker asker{who.address, who.local, who.query, std::nullopt, {who.local_host, who.local_port}};
  // Only for the names where the machine matters and nothing else tells it.
  if (!who.address.is_zero() && sightings_.by_address(who.address) == nullptr && boot::parse_config_name(rel)) {
    asker.neighbour = neighbour_of(who.address);
  }
  auto file = boot::config_file(rel, asker, *config_, sightings_, remembered_);
  if (!file) return std::nullopt;
  return vfs::Generation{std::move(file->content), std::move(file->why), std::move(file->yield_to)};
}


}  // namespace pxed::app
