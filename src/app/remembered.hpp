#pragma once
// What the machine store holds that changes a machine's boot (install states
// of once machines, profiles assigned by hand), as boot decides with it.
// pxed reads it on its writer thread; lookup and `pxed machines` read it too.
#include <expected>
#include <string>

#include "boot/inventory.hpp"
#include "store/machine_store.hpp"

namespace pxed::app {

std::expected<boot::Remembered, std::string> remembered_of(store::MachineStore& store);

}  // namespace pxed::app
