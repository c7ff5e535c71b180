#include "config/api_token.hpp"

#include <algorithm>

#include "config/private_file.hpp"

namespace pxed::config {
namespace {

// RFC 6750 §2.1 b64token: what fits in "Authorization: Bearer ..." as written.
bool b64token(std::string_view t) {
  auto body = t;
  while (body.ends_with('=')) body.remove_suffix(1);
  return !body.empty() && std::ranges::all_of(body, [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           std::string_view("-._~+/").find(ch) != std::string_view::npos;
  });
}

}  // namespace

std::expected<std::string, ConfigError> read_api_token(const Config& cfg) {
  const auto& path = cfg.api.token_file;
  if (path.empty()) return std::string();
  const auto line = [&]() -> std::uint32_t {
    auto it = cfg.lines.find("api.token_file");
    return it == cfg.lines.end() ? 0 : it->second;
  }();
  const auto refuse = [&](const std::string& why) {
    return std::unexpected(ConfigError{cfg.source.string(), line, "api.token_file", path.string() + ": " + why});
  };
  constexpr std::string_view kMake = " (e.g. `openssl rand -hex 32 > FILE; chmod 600 FILE` as root)";
  auto read = read_private_file(path, {.max_bytes = kMaxTokenFile, .too_big = "a token file holds one token",
                                       .how_to_make = kMake});
  if (!read) return refuse(read.error());
  std::string token = std::move(*read);
  // One line, as `openssl rand` and editors write it.
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = token.find_first_not_of(kSpace);
  if (first == std::string::npos) return refuse("empty: it must hold the token" + std::string(kMake));
  token = token.substr(first, token.find_last_not_of(kSpace) - first + 1);
  if (!b64token(token)) {
    return refuse("must hold one word of letters, digits and -._~+/ (RFC 6750 b64token)" + std::string(kMake));
  }
  return token;
}

}  // namespace pxed::config
