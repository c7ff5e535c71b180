#include "vfs/path.hpp"

#include <algorithm>

namespace pxed::vfs {
namespace {

// Both separators count: Windows loaders (and some PXE ROMs) send '\'.
constexpr bool is_separator(char c) { return c == '/' || c == '\\'; }

// Checks that need the whole raw input, before any segment is looked at.
std::expected<void, PathError> check_raw(std::string_view raw) {
  if (raw.empty()) return std::unexpected(PathError::empty);
  if (raw.size() > kMaxPath) return std::unexpected(PathError::too_long);
  // A NUL would silently cut the name short at the C API below us.
  if (raw.find('\0') != std::string_view::npos) return std::unexpected(PathError::nul_byte);
  return {};
}

}  // namespace

std::string_view to_string(PathError e) {
  switch (e) {
    case PathError::empty: return "empty";
    case PathError::too_long: return "too-long";
    case PathError::nul_byte: return "nul-byte";
    case PathError::dot_dot: return "dot-dot";
  }
  return "unknown";
}

std::expected<std::string, PathError> normalize(std::string_view raw) {
  if (auto ok = check_raw(raw); !ok) return std::unexpected(ok.error());

  std::string out;
  out.reserve(raw.size());
  std::size_t pos = 0;
  while (pos < raw.size()) {
    auto end = std::find_if(raw.begin() + pos, raw.end(), is_separator) - raw.begin();
    auto segment = raw.substr(pos, static_cast<std::size_t>(end) - pos);
    pos = static_cast<std::size_t>(end) + 1;
    if (segment.empty() || segment == ".") continue;
    // Refused, not resolved: "a/../b" is never a name a loader needs, and
    // resolving it here would trust that "a" is a directory inside the root.
    if (segment == "..") return std::unexpected(PathError::dot_dot);
    if (!out.empty()) out += '/';
    out += segment;
  }
  return out;
}

}  // namespace pxed::vfs
