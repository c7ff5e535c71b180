#include "app/file_limit.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace pxed::app {
namespace {

// Listeners (DHCP per interface, TFTP, HTTP), the lease and machine stores with
// their -wal/-shm, inotify, the tree's root, logs: generous, not counted.
constexpr std::uint64_t kBaseDescriptors = 64;
constexpr std::uint64_t kPerTransfer = 2;    // its socket and its file
constexpr std::uint64_t kPerConnection = 2;  // its socket and the file it sends

}  // namespace

std::uint64_t descriptors_needed(const config::Config& cfg) {
  std::uint64_t n = kBaseDescriptors + cfg.files.mounts.size();
  if (cfg.tftp.enabled) n += kPerTransfer * cfg.tftp.max_transfers;
  if (cfg.http.enabled) n += kPerConnection * cfg.http.max_connections;
  return n;
}

std::expected<FileLimit, std::string> raise_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return std::unexpected(std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno));
  }
  FileLimit result{limit.rlim_cur, limit.rlim_cur};
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      return std::unexpected(std::string("setrlimit(RLIMIT_NOFILE): ") + std::strerror(errno));
    }
    result.now = limit.rlim_cur;
  }
  return result;
}

}  // namespace pxed::app
