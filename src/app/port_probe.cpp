#include "app/port_probe.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fmt/format.h>

#include "dhcp/server.hpp"

namespace pxed::app {
namespace {

// 0 when it could be bound, else errno.
int try_bind_v4(const PortUse& use) {
  const int type = use.transport == Transport::udp ? SOCK_DGRAM : SOCK_STREAM;
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  int err = 0;
  if (!use.interface.empty() && ::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, use.interface.c_str(),
                                             static_cast<socklen_t>(use.interface.size())) < 0) {
    err = errno;
  }
  if (use.transport == Transport::tcp) {
    int on = 1;  // as http_service: a TIME_WAIT of ours is no holder
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(use.port);
  if (!err && ::inet_pton(AF_INET, use.address.c_str(), &addr.sin_addr) != 1) err = EINVAL;
  if (!err && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) err = errno;
  ::close(fd);
  return err;
}

// try_bind for an IPv6 address: IPv6-only, as serve binds it.
int try_bind_v6(const PortUse& use) {
  const int type = use.transport == Transport::udp ? SOCK_DGRAM : SOCK_STREAM;
  int fd = ::socket(AF_INET6, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  int on = 1;
  ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  if (use.transport == Transport::tcp) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_port = htons(use.port);
  int err = 0;
  if (::inet_pton(AF_INET6, use.address.c_str(), &addr.sin6_addr) != 1) err = EINVAL;
  if (!err && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) err = errno;
  // TCP: a listener is what conflicts; bind alone succeeds beside one with SO_REUSEADDR on both.
  if (!err && use.transport == Transport::tcp && ::listen(fd, 1) < 0) err = errno;
  ::close(fd);
  return err;
}

int try_bind(const PortUse& use) {
  return use.address.find(':') != std::string::npos ? try_bind_v6(use) : try_bind_v4(use);
}

std::uint32_t line_of(const config::Config& cfg, std::string_view key) {
  auto it = cfg.lines.find(key);
  return it == cfg.lines.end() ? 0 : it->second;
}

}  // namespace

std::vector<PortUse> ports_of(const config::Config& cfg) {
  std::vector<PortUse> out;
  if (cfg.tftp.enabled) {
    for (const auto& at : config::listen_addresses(cfg.tftp)) out.push_back({Transport::udp, at.address, at.port, "", "tftp.listen"});
  }
  if (cfg.http.enabled) {
    for (const auto& at : config::listen_addresses(cfg.http)) out.push_back({Transport::tcp, at.address, at.port, "", "http.listen"});
    if (cfg.api.enabled && cfg.api.listen) {
      out.push_back({Transport::tcp, cfg.api.listen->address, cfg.api.listen->port, "", "api.listen"});
    }
  }
  if (cfg.dhcp.mode != config::DhcpMode::off) {
    for (const auto& name : cfg.server.interfaces) {
      for (auto port : {dhcp::kServerPort, dhcp::kPxePort}) out.push_back({Transport::udp, "0.0.0.0", port, name, "server.interfaces"});
    }
  }
  return out;
}

std::vector<config::ConfigError> held_ports(const config::Config& cfg, std::optional<pid_t> running,
                                            std::vector<std::string>& notes) {
  std::vector<config::ConfigError> errors;
  for (const auto& use : ports_of(cfg)) {
    const int err = try_bind(use);
    if (err == EADDRNOTAVAIL) {
      errors.push_back({cfg.source.string(), line_of(cfg, use.key), use.key,
                        use.address + " is no address of this host, so serve cannot listen on it; use one of "
                                      "its interfaces' addresses or 0.0.0.0 (\"::\" for IPv6)"});
      continue;
    }
    if (err == EACCES && std::ranges::none_of(notes, [](const std::string& n) { return n.contains("not tried"); })) {
      notes.push_back(fmt::format("{}: {} port {} and any other below 1024 not tried (binding them needs root or "
                                  "CAP_NET_BIND_SERVICE): check as root to know they are free",
                                  cfg.source.string(), use.transport == Transport::udp ? "udp" : "tcp", use.port));
    }
    if (err != EADDRINUSE) continue;  // free, or not ours to try (EACCES), or said elsewhere
    bool others = false;
    const auto users = port_users(use.transport, use.port, others);
    const auto where = fmt::format("{} port {}{}", use.transport == Transport::udp ? "udp" : "tcp", use.port,
                                   use.interface.empty() ? " on " + use.address : " on " + use.interface);
    if (running && !users.empty() &&
        std::ranges::all_of(users, [&](const PortUser& u) { return u.pid == *running; })) {
      notes.push_back(fmt::format("{}: {} is the running pxed's (pid {}, {}): a second serve would stop here",
                                  cfg.source.string(), where, *running,
                                  (cfg.server.state_dir / "pxed.pid").string()));
      continue;
    }
    auto held = describe_port_users(users, use.transport, use.port, others);
    errors.push_back({cfg.source.string(), line_of(cfg, use.key), use.key,
                      where + " is taken" + (held.empty() ? "" : ": " + held) +
                          "; pxed shares no port it answers on: stop that server first"});
  }
  return errors;
}

}  // namespace pxed::app
