#include "config/api_token.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>

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
  // O_NOFOLLOW: the checks below are of the file itself, not of whatever a link points at.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int e = errno;
    return refuse(std::string(std::strerror(e)) +
                  (e == ELOOP    ? " (a symbolic link: name the file itself)"
                   : e == ENOENT ? std::string(kMake)
                   : e == EACCES ? " (pxed reads it as the user that starts it, before dropping root: check as that user)"
                                 : ""));
  }
  struct stat st {};
  std::string token;
  std::string problem;
  if (::fstat(fd, &st) != 0) {
    problem = std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    problem = "not a regular file";
  } else if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    problem = fmt::format("mode {:04o}: group or others may read or write it; only its owner may (chmod 600 {})",
                          st.st_mode & 07777, path.string());
  } else if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    problem = fmt::format("owned by uid {}: must be owned by root (or uid {}, who starts pxed)", st.st_uid, ::geteuid());
  } else if (st.st_size > static_cast<off_t>(kMaxTokenFile)) {
    problem = fmt::format("{} bytes: a token file holds one token (at most {} bytes)", st.st_size, kMaxTokenFile);
  } else {
    token.resize(static_cast<std::size_t>(st.st_size));
    const auto n = ::read(fd, token.data(), token.size());
    if (n < 0) problem = std::strerror(errno);
    else token.resize(static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (!problem.empty()) return refuse(problem);
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
