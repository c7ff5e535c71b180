// Treats the input as an ISO image: opens it, walks the tree to a bounded
// depth and traps on any extent outside the input, any name vfs could
// misread, or a listed entry that stat cannot find again. Image::open tries
// UDF first, so inputs with a UDF recognition sequence reach the UDF reader
// (seeds: corpus/iso/udf_*; the compact one is anchored at its last block).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <span>
#include <string>

#include "iso/image.hpp"

namespace {

constexpr std::size_t kMaxDepth = 6;
constexpr std::size_t kMaxDirectories = 64;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

void check_entry(const pxed::iso::Entry& entry, std::size_t image_size) {
  require(!entry.name.empty() && entry.name != "." && entry.name != "..");
  require(entry.name.find('/') == std::string::npos);
  require(entry.name.find('\0') == std::string::npos);
  std::uint64_t total = 0;
  for (const auto& extent : entry.extents) {
    require(extent.length > 0);
    require(extent.offset <= image_size && extent.length <= image_size - extent.offset);
    total += extent.length;
  }
  require(total == entry.size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> input(data, size);
  pxed::iso::ReadAt read = [input](std::span<std::byte> out,
                                   std::uint64_t offset) -> std::expected<std::size_t, int> {
    require(offset <= input.size());  // the reader never asks past the image it was given
    if (offset >= input.size()) return 0;
    std::size_t n = std::min<std::uint64_t>(out.size(), input.size() - offset);
    std::memcpy(out.data(), input.data() + offset, n);
    return n;
  };
  auto image = pxed::iso::Image::open(read, size);
  if (!image) {
    require(!image.error().empty());
    return 0;
  }
  (void)image->volume_id();
  struct Pending {
    std::string path;
    std::size_t depth;
  };
  std::deque<Pending> queue{{"", 0}};
  std::size_t listed = 0;
  while (!queue.empty() && listed < kMaxDirectories) {
    Pending dir = std::move(queue.front());
    queue.pop_front();
    ++listed;
    auto entries = image->list(dir.path);
    if (!entries) {
      require(!entries.error().empty());
      continue;
    }
    for (const auto& entry : *entries) {
      check_entry(entry, size);
      std::string path = dir.path + "/" + entry.name;
      auto again = image->stat(path);
      require(again.has_value());
      check_entry(*again, size);
      if (entry.directory && dir.depth + 1 < kMaxDepth) queue.push_back({path, dir.depth + 1});
    }
  }
  return 0;
}
