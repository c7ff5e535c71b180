#include "app/remembered.hpp"

namespace pxed::app {

std::expected<boot::Remembered, std::string> remembered_of(store::MachineStore& store) {
  auto installs = store.installs();
  if (!installs) return std::unexpected(installs.error());
  auto assignments = store.assignments();
  if (!assignments) return std::unexpected(assignments.error());
  boot::Remembered r;
  for (const auto& [mac, install] : *installs) {
    // Pending is what no record means too: only a done install changes a boot.
    if (install.state == store::InstallState::done) r.installed[mac] = install.at;
  }
  for (auto& [mac, a] : *assignments) r.assigned[mac] = boot::Assignment{std::move(a.profile), a.at, std::move(a.by)};
  auto machines = store.machines();
  if (!machines) return std::unexpected(machines.error());
  for (auto& m : *machines) {
    if (m.serial.empty() && m.manufacturer.empty() && m.product.empty()) continue;
    r.hardware[m.mac] = boot::Hardware{std::move(m.serial), std::move(m.manufacturer), std::move(m.product)};
  }
  return r;
}

}  // namespace pxed::app
