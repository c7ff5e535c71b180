#pragma once
// Open files: every TFTP transfer holds a socket and its file, every HTTP
// connection its socket and the file it sends. A root shell's soft limit of
// 1,024 runs out at about 500 transfers ("out of sockets", then HTTP 500s), so
// pxed raises its soft limit to the hard one at start and says when the
// configured caps still do not fit.
#include <cstdint>
#include <expected>
#include <string>

#include "config/config.hpp"

namespace pxed::app {

// What the caps can hold open at once: two per transfer and per connection,
// plus listeners, the stores, the tree's mounts and logs.
std::uint64_t descriptors_needed(const config::Config& cfg);

struct FileLimit {
  std::uint64_t before = 0;  // the soft limit pxed started with
  std::uint64_t now = 0;     // after raising it to the hard limit
};

// Raises RLIMIT_NOFILE's soft limit to its hard limit.
std::expected<FileLimit, std::string> raise_file_limit();

}  // namespace pxed::app
