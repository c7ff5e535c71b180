#pragma once
// `pxed machines`: every machine that asked (known to the inventory or not),
// newest first, with the step of its boot it reached and its install state;
// `pxed machines reinstall MAC` makes a `once` machine install again.
#include <iosfwd>
#include <string>

#include "config/config.hpp"

namespace pxed::app {

int list_machines(const config::Config& cfg, bool json, std::ostream& out, std::ostream& err);
int reinstall_machine(const config::Config& cfg, const std::string& mac, std::ostream& out, std::ostream& err);

}  // namespace pxed::app
