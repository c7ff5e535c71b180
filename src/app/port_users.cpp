#include "app/port_users.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <system_error>
#include <tuple>

namespace pxed::app {
namespace {

constexpr std::uint8_t kTcpListen = 0x0a;  // include/net/tcp_states.h: TCP_LISTEN

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

template <class T>
std::optional<T> number(std::string_view text, int base) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// The kernel prints each 32-bit word of the address as a native-endian number
// (%08X of the word as it lies in memory): copying the words back as numbers
// gives the address's bytes in network order on either endianness.
std::optional<std::string> address_of(std::string_view hex) {
  if (hex.size() != 8 && hex.size() != 32) return std::nullopt;
  std::array<unsigned char, 16> bytes{};
  for (std::size_t word = 0; word < hex.size() / 8; ++word) {
    auto value = number<std::uint32_t>(hex.substr(word * 8, 8), 16);
    if (!value) return std::nullopt;
    std::memcpy(bytes.data() + word * 4, &*value, 4);
  }
  const int family = hex.size() == 8 ? AF_INET : AF_INET6;
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (::inet_ntop(family, bytes.data(), text.data(), text.size()) == nullptr) return std::nullopt;
  return std::string(text.data());
}

std::string endpoint_text(const SocketEntry& e) {
  return e.local_address.find(':') != std::string::npos ? fmt::format("[{}]:{}", e.local_address, e.local_port)
                                                          : fmt::format("{}:{}", e.local_address, e.local_port);
}

std::string_view name_of(Transport t) { return t == Transport::udp ? "udp" : "tcp"; }

std::vector<SocketEntry> read_table(const std::filesystem::path& file) {
  std::vector<SocketEntry> out;
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    if (auto e = parse_socket_line(line)) out.push_back(std::move(*e));
  }
  return out;
}

std::string read_comm(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/comm", pid));
  std::string name;
  std::getline(in, name);
  return name.empty() ? "?" : name;
}

// inode -> the process holding it, from every /proc/<pid>/fd we may read.
std::map<std::uint64_t, pid_t> holders_of(const std::set<std::uint64_t>& inodes, std::set<std::uint64_t>& own) {
  std::map<std::uint64_t, pid_t> out;
  const pid_t self = ::getpid();
  std::error_code ec;
  for (std::filesystem::directory_iterator proc("/proc", ec), end; !ec && proc != end; proc.increment(ec)) {
    auto pid = number<pid_t>(proc->path().filename().native(), 10);
    if (!pid) continue;
    std::error_code fd_ec;
    for (std::filesystem::directory_iterator fd(proc->path() / "fd", fd_ec); !fd_ec && fd != end;
         fd.increment(fd_ec)) {
      std::error_code link_ec;
      auto target = std::filesystem::read_symlink(fd->path(), link_ec);
      if (link_ec) continue;
      auto inode = socket_inode_of_link(target.native());
      if (!inode || !inodes.contains(*inode)) continue;
      if (*pid == self) own.insert(*inode);
      else out.emplace(*inode, *pid);
    }
  }
  return out;
}

}  // namespace

std::optional<SocketEntry> parse_socket_line(std::string_view line) {
  auto f = fields_of(line);
  // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
  if (f.size() < 10 || !f[0].ends_with(':')) return std::nullopt;
  auto colon = f[1].find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto address = address_of(f[1].substr(0, colon));
  auto port = number<std::uint16_t>(f[1].substr(colon + 1), 16);
  auto state = number<std::uint8_t>(f[3], 16);
  auto inode = number<std::uint64_t>(f[9], 10);
  if (!address || !port || !state || !inode) return std::nullopt;
  return SocketEntry{std::move(*address), *port, *state, *inode};
}

std::optional<std::uint64_t> socket_inode_of_link(std::string_view link) {
  constexpr std::string_view kPrefix = "socket:[";
  if (!link.starts_with(kPrefix) || !link.ends_with(']')) return std::nullopt;
  return number<std::uint64_t>(link.substr(kPrefix.size(), link.size() - kPrefix.size() - 1), 10);
}

std::vector<SocketEntry> answering_on(const std::vector<SocketEntry>& table, Transport transport,
                                      std::uint16_t port) {
  constexpr std::uint8_t kUdpConnected = 1;  // TCP_ESTABLISHED, as UDP reuses it
  std::vector<SocketEntry> out;
  for (const auto& e : table) {
    if (e.local_port != port || e.inode == 0) continue;
    if (transport == Transport::tcp ? e.state != kTcpListen : e.state == kUdpConnected) continue;
    out.push_back(e);
  }
  return out;
}

std::string describe_port_users(const std::vector<PortUser>& users, Transport transport, std::uint16_t port,
                                bool sockets_seen) {
  if (users.empty()) {
    if (!sockets_seen) return "";
    return fmt::format("another process holds {} port {} (run as root to see which, or: ss -{}lpn 'sport = :{}')",
                       name_of(transport), port, transport == Transport::udp ? 'u' : 't', port);
  }
  // One process per name, with every address it holds the port on: dnsmasq
  // binds 69 once per address of each interface.
  std::string out;
  for (std::size_t i = 0; i < users.size();) {
    std::string where;
    std::size_t j = i;
    for (; j < users.size() && users[j].pid == users[i].pid; ++j) where += (j == i ? "" : ", ") + users[j].local;
    out += fmt::format("{}{} (pid {}) on {}", out.empty() ? "" : "; ", users[i].command, users[i].pid, where);
    i = j;
  }
  return fmt::format("{} port {} is held by {}", name_of(transport), port, out);
}

std::vector<PortUser> port_users(Transport transport, std::uint16_t port, bool& others) {
  const std::string base = transport == Transport::udp ? "/proc/net/udp" : "/proc/net/tcp";
  auto table = read_table(base);
  std::ranges::move(read_table(base + "6"), std::back_inserter(table));
  auto answering = answering_on(table, transport, port);
  std::set<std::uint64_t> inodes;
  for (const auto& e : answering) inodes.insert(e.inode);
  std::set<std::uint64_t> own;
  auto holders = holders_of(inodes, own);
  std::vector<PortUser> users;
  others = false;
  for (const auto& e : answering) {
    if (own.contains(e.inode)) continue;  // pxed's own other listener
    others = true;
    if (auto it = holders.find(e.inode); it != holders.end()) {
      users.push_back({it->second, read_comm(it->second), endpoint_text(e)});
    }
  }
  std::ranges::sort(users, {}, [](const PortUser& u) { return std::tuple(u.pid, u.local); });
  auto repeated = std::ranges::unique(users, {}, [](const PortUser& u) { return std::tuple(u.pid, u.local); });
  users.erase(repeated.begin(), repeated.end());
  return users;
}

std::string port_users_text(Transport transport, std::uint16_t port) {
  bool others = false;
  auto users = port_users(transport, port, others);
  return describe_port_users(users, transport, port, others);
}

}  // namespace pxed::app
