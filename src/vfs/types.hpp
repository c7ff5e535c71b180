#pragma once
// What every part of the tree answers with: why an open failed, and one
// name of a directory listing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pxed::vfs {

// over_budget: the lookup would do more work than one request may (a
// hostile image's directory loops, iso::LookupBudget); refused, and logged.
// would_block: the answer needs the disk (a walk of a real directory the
// kernel's caches cannot answer, or a listing) and the caller is the event
// loop (Tree::set_on_loop): a worker runs Tree::prefetch, and the loop asks
// again with what it found.
enum class OpenError { bad_path, not_found, outside_root, not_a_file, permission, io, over_budget, would_block };

std::string_view to_string(OpenError e);

// One name in a directory listing. A symlink is listed as what it points to
// (a directory or a file, with that one's size and mtime).
struct DirEntry {
  std::string name;
  bool directory = false;
  std::uint64_t size = 0;  // 0 for directories
  std::int64_t mtime_seconds = 0;
};

// A listing stops after this many entries (in readdir order, so which ones is
// unspecified): a directory of a million files must not cost a million
// fstatats and a body of hundreds of megabytes per request.
inline constexpr std::size_t kMaxListing = 10000;

}  // namespace pxed::vfs
