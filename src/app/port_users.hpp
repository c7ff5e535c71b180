#pragma once
// Who holds a port pxed could not bind. A DHCP, TFTP or HTTP server left
// running (dnsmasq from the old stack, a second pxed) is the usual reason, and
// "Address already in use" alone sends the user to ss(8). The kernel lists
// this network namespace's sockets in /proc/net/{udp,udp6,tcp,tcp6} with their
// inodes; /proc/<pid>/fd/* links to "socket:[inode]" say which process holds
// each. Reading and matching them is pure here; find_port_users() does the
// reading (other users' processes need root to look into).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace pxed::app {

enum class Transport { udp, tcp };

// One line of /proc/net/{udp,tcp}[6].
struct SocketEntry {
  std::string local_address;  // "0.0.0.0", "10.77.0.1", "::", "::1"
  std::uint16_t local_port = 0;
  std::uint8_t state = 0;     // TCP's state numbers; UDP: 7 unconnected, 1 connected
  std::uint64_t inode = 0;    // 0: a socket no process holds any more
};

// One line of the table (not the header): sl, local, remote, st, ..., uid, timeout, inode.
std::optional<SocketEntry> parse_socket_line(std::string_view line);

// "socket:[12345]", what readlink(/proc/<pid>/fd/N) gives for a socket.
std::optional<std::uint64_t> socket_inode_of_link(std::string_view link);

// The sockets that answer on `port`: for TCP the listening ones, for UDP every
// one bound to it (connected UDP sockets answer no one else).
std::vector<SocketEntry> answering_on(const std::vector<SocketEntry>& table, Transport transport,
                                      std::uint16_t port);

// A process that holds one of those sockets.
struct PortUser {
  pid_t pid = 0;
  std::string command;  // /proc/<pid>/comm
  std::string local;    // "0.0.0.0:67", "[::]:69"
};

// "udp port 69 is held by dnsmasq (pid 812) on 10.0.0.1:69, 127.0.0.1:69; pxed
// (pid 900) on ...": `users` sorted by pid, as port_users_text makes them. When
// no holder could be seen (another user's process, pxed not root), what to run to see it.
std::string describe_port_users(const std::vector<PortUser>& users, Transport transport, std::uint16_t port,
                                bool sockets_seen);

// Reads /proc (this network namespace's sockets, every process's descriptors),
// leaving out this process's own sockets: the processes holding `port`, sorted
// by pid; `others` says whether any socket but ours answers on it.
std::vector<PortUser> port_users(Transport transport, std::uint16_t port, bool& others);

// The sentence describe_port_users makes of them, or "" when nothing else holds the port.
std::string port_users_text(Transport transport, std::uint16_t port);

}  // namespace pxed::app
