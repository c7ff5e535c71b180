// Feeds arbitrary bytes to vfs::normalize and traps on any result that could
// name something outside the root or that the C API below us would misread.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "vfs/path.hpp"

namespace {

void require(bool ok) {
  if (!ok) __builtin_trap();
}

// Every segment is a plain name: never empty, ".", ".." or anything with a separator.
void check_segments(std::string_view path) {
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(pos, end - pos);
    require(!segment.empty());
    require(segment != "." && segment != "..");
    pos = end + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  auto path = pxed::vfs::normalize(raw);
  if (!path) {
    require(!pxed::vfs::to_string(path.error()).empty());
    return 0;
  }
  std::string_view p = *path;
  require(p.size() <= pxed::vfs::kMaxPath);
  require(p.find('\0') == std::string_view::npos);
  require(p.find('\\') == std::string_view::npos);
  if (p.empty()) return 0;  // the root itself
  require(p.front() != '/');
  check_segments(p);
  // Normalizing is idempotent: a result fed back in comes out unchanged.
  auto again = pxed::vfs::normalize(p);
  require(again && *again == p);
  return 0;
}
