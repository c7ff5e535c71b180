// [server] done_hook: "http://A.B.C.D[:PORT]/path". An address, not a name:
// pxed resolves no names (nothing on the event loop may wait on DNS).
#include <algorithm>

#include "config/checker.hpp"

namespace pxed::config {

std::optional<HookTarget> parse_hook_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return std::nullopt;
  url.remove_prefix(kScheme.size());
  const auto slash = url.find('/');
  const auto authority = url.substr(0, slash);
  HookTarget out;
  out.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (std::ranges::any_of(out.target, [](char ch) { return static_cast<unsigned char>(ch) <= ' ' || ch == 0x7f; })) {
    return std::nullopt;
  }
  const bool has_port = authority.find(':') != std::string_view::npos;
  auto endpoint = parse_endpoint(has_port ? std::string(authority) : std::string(authority) + ":80");
  auto address = endpoint ? core::Ipv4::parse(endpoint->address) : std::nullopt;
  if (!address) return std::nullopt;
  out.address = *address;
  out.port = endpoint->port;
  return out;
}

}  // namespace pxed::config
