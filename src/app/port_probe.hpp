#pragma once
// `pxed check` asks for the ports serve will bind as serve does (no sharing:
// SO_BINDTODEVICE for DHCP, no SO_REUSEADDR), and lets them go at once: a port
// another server holds is reported like a config error, with who holds it.
// Ports below 1024 need root or CAP_NET_BIND_SERVICE: without, they are not
// tried (check cannot tell, and serve's own error will).
#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "app/port_users.hpp"
#include "config/config.hpp"

namespace pxed::app {

// One socket serve binds, and the key that makes it.
struct PortUse {
  Transport transport = Transport::udp;
  std::string address;    // "0.0.0.0", "10.77.0.1"
  std::uint16_t port = 0;
  std::string interface;  // DHCP's: bound to it (SO_BINDTODEVICE); "" otherwise
  std::string key;        // "tftp.listen", "server.interfaces"
};

// Every listening socket serve opens for this config, in the order it opens them.
std::vector<PortUse> ports_of(const config::Config& cfg);

// The ports another process holds, and listen addresses this host does not
// have (serve's bind would fail: EADDRNOTAVAIL), as errors at their key's line. A port that
// the pxed named by <state_dir>/pxed.pid (`running`) holds alone is a note
// instead: checking a config before a reload is what check is for.
std::vector<config::ConfigError> held_ports(const config::Config& cfg, std::optional<pid_t> running,
                                            std::vector<std::string>& notes);

}  // namespace pxed::app
