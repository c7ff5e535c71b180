#include "app/host_check.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <pwd.h>

#include <algorithm>
#include <array>
#include <iterator>

#include "core/net.hpp"
#include "core/suggest.hpp"

namespace pxed::app {
namespace {

std::uint32_t line_of(const config::Config& cfg, std::string_view key) {
  auto it = cfg.lines.find(key);
  return it == cfg.lines.end() ? 0 : it->second;
}

std::string names_of(std::span<const HostInterface> host) {
  std::string out;
  for (const auto& i : host) out += (out.empty() ? "" : ", ") + i.name;
  return out.empty() ? "none" : out;
}

// Why `name` is no interface here, and what was probably meant.
std::string not_here(const std::string& name, std::span<const HostInterface> host) {
  for (const auto& i : host) {
    if (std::ranges::find(i.ipv4, name) != i.ipv4.end()) {
      return "\"" + name + "\" is an address, not an interface name; did you mean \"" + i.name + "\", which holds " +
             name + "?";
    }
  }
  if (core::Ipv4::parse(name)) {
    return "\"" + name + "\" is an address, not an interface name, and no interface here holds it; interfaces: " +
           names_of(host);
  }
  std::vector<std::string> names;
  for (const auto& i : host) names.push_back(i.name);
  if (auto guess = core::nearest(name, names)) {
    return "no interface \"" + name + "\" here; did you mean \"" + *guess + "\"?";
  }
  return "no interface \"" + name + "\" here; interfaces: " + names_of(host);
}

}  // namespace

std::vector<config::ConfigError> check_interfaces(const config::Config& cfg, std::span<const HostInterface> host) {
  std::vector<config::ConfigError> errors;
  if (cfg.dhcp.mode == config::DhcpMode::off) return errors;  // only DHCP binds to interfaces
  const auto line = line_of(cfg, "server.interfaces");
  for (const auto& name : cfg.server.interfaces) {
    auto found = std::ranges::find(host, name, &HostInterface::name);
    if (found == host.end()) {
      errors.push_back({cfg.source.string(), line, "server.interfaces", not_here(name, host)});
    } else if (found->ipv4.empty()) {
      errors.push_back({cfg.source.string(), line, "server.interfaces",
                        name + " has no IPv4 address: DHCP answers from it would name server 0.0.0.0 (option 54), "
                               "which PXE firmware ignores; give it an address (ip addr add ADDRESS/PREFIX dev " +
                            name + ") before pxed starts"});
    }
  }
  return errors;
}

std::vector<config::ConfigError> check_user(const config::Config& cfg, std::span<const std::string> users) {
  const auto& user = cfg.server.user;
  if (user.empty() || std::ranges::find(users, user) != users.end()) return {};
  std::string message = "no user \"" + user + "\" here";
  if (auto guess = core::nearest(user, users)) {
    message += "; did you mean \"" + *guess + "\"?";
  } else {
    message += " (create it, e.g. adduser --system --no-create-home " + user + ", or leave server.user out)";
  }
  return {{cfg.source.string(), line_of(cfg, "server.user"), "server.user", std::move(message)}};
}

std::vector<HostInterface> host_interfaces() {
  std::vector<HostInterface> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (auto* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_name == nullptr) continue;
    auto it = std::ranges::find(out, std::string_view(a->ifa_name), &HostInterface::name);
    if (it == out.end()) it = out.insert(out.end(), HostInterface{a->ifa_name, {}});
    if (a->ifa_addr != nullptr && a->ifa_addr->sa_family == AF_INET) {
      std::array<char, INET_ADDRSTRLEN> text{};
      const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      if (::inet_ntop(AF_INET, &in->sin_addr, text.data(), text.size()) != nullptr) it->ipv4.emplace_back(text.data());
    }
  }
  ::freeifaddrs(list);
  return out;
}

std::vector<std::string> host_users() {
  std::vector<std::string> out;
  ::setpwent();
  while (const passwd* pw = ::getpwent()) out.emplace_back(pw->pw_name);
  ::endpwent();
  return out;
}

std::vector<config::ConfigError> check_host(const config::Config& cfg) {
  auto errors = check_interfaces(cfg, host_interfaces());
  // getpwnam first: a directory service (LDAP) may know users getpwent does not list.
  if (!cfg.server.user.empty() && ::getpwnam(cfg.server.user.c_str()) == nullptr) {
    std::ranges::move(check_user(cfg, host_users()), std::back_inserter(errors));
  }
  return errors;
}

}  // namespace pxed::app
