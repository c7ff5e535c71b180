#pragma once
// `pxed machines`: every machine that asked (known to the inventory or not),
// newest first, with the step of its boot it reached and its install state;
// `pxed machines reinstall MAC` makes a `once` machine install again;
// `pxed machines assign MAC PROFILE` and `unassign MAC` give a machine a
// profile by hand (what the API's PUT and DELETE .../profile do).
#include <iosfwd>
#include <string>

#include "config/config.hpp"

namespace pxed::app {

int list_machines(const config::Config& cfg, bool json, std::ostream& out, std::ostream& err);
int reinstall_machine(const config::Config& cfg, const std::string& mac, std::ostream& out, std::ostream& err);
int assign_profile(const config::Config& cfg, const std::string& mac, const std::string& profile, std::ostream& out,
                   std::ostream& err);
int unassign_profile(const config::Config& cfg, const std::string& mac, std::ostream& out, std::ostream& err);

}  // namespace pxed::app
