#pragma once
// Sections read outside config.cpp, each in its own file. Internal to the module.
#include <span>

#include "config/table.hpp"

namespace pxed::config {

std::span<const Key<Config>> files_keys();  // files_config.cpp
std::span<const Key<Config>> dhcp_keys();  // dhcp_config.cpp
std::span<const Key<Config>> boot_keys();  // boot_config.cpp
// Rules across keys, once every key has been read.
void check_files(Checker& c, const Config& cfg);
void check_dhcp(Checker& c, const Config& cfg);
void check_boot(Checker& c, const Config& cfg);

// Shared value readers: "10.0.0.1", "52:54:00:12:34:56".
void read_ipv4(Checker& c, const Field& f, core::Ipv4& out);
void read_mac(Checker& c, const Field& f, core::Mac& out);

}  // namespace pxed::config
