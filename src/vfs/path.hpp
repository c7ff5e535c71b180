#pragma once
// The one place client-supplied paths are made safe, for every protocol.
#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

namespace pxed::vfs {

inline constexpr std::size_t kMaxPath = 1024;  // longer names are refused, not truncated

enum class PathError { empty, too_long, nul_byte, dot_dot };

std::string_view to_string(PathError e);

// Turns what a client asked for into a relative path under the root:
// backslashes become '/' (Windows loaders send `pxelinux.cfg\default`),
// leading separators, empty and "." segments go; ".." anywhere, NUL bytes and
// names longer than kMaxPath are refused. The result never starts with '/'
// and never has a ".." segment ("...." is an ordinary name). An empty result
// means the root itself.
std::expected<std::string, PathError> normalize(std::string_view raw);

}  // namespace pxed::vfs
