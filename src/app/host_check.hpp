#pragma once
// What `serve` needs of this host that the config file alone cannot tell: the
// interfaces server.interfaces names (and their IPv4 addresses, which DHCP
// names itself by in option 54) and the user server.user names. `check` and
// `serve` ask the same questions; the answers are decided here from a
// snapshot of the host, so they are tested without one.
#include <span>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace pxed::app {

struct HostInterface {
  std::string name;                // "eth1"
  std::vector<std::string> ipv4;   // "192.168.99.1", in the kernel's order
};

// Every server.interfaces name that is not an interface here (with the
// interface holding it when it is an address, or the nearest name), and, with
// DHCP on, every one without an IPv4 address: a ProxyDHCP offer from it would
// name server 0.0.0.0 and PXE ROMs ignore it.
std::vector<config::ConfigError> check_interfaces(const config::Config& cfg, std::span<const HostInterface> host);

// server.user when it names no user here (`users`: the names in the user
// database), with the nearest name.
std::vector<config::ConfigError> check_user(const config::Config& cfg, std::span<const std::string> users);

// This host's interfaces (getifaddrs) and user names (getpwent).
std::vector<HostInterface> host_interfaces();
std::vector<std::string> host_users();

// Both checks against this host.
std::vector<config::ConfigError> check_host(const config::Config& cfg);

}  // namespace pxed::app
