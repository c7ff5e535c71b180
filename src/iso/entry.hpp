#pragma once
// One name in an ISO image's tree, as the directory records (and their Rock
// Ridge entries) or UDF's file identifiers and file entries describe it: the
// value every lookup and listing hands out.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pxed::iso {

struct Extent {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  bool operator==(const Extent&) const = default;
};

struct Entry {
  std::string name;
  bool directory = false;
  std::uint64_t size = 0;              // sum of the extents' lengths
  std::vector<Extent> extents;         // in file order; a directory's own extent
  std::optional<std::string> symlink_target;  // Rock Ridge SL or UDF path components, as recorded (not resolved)
  std::uint32_t mode = 0;              // st_mode: Rock Ridge PX or UDF permissions, else 0555 dir / 0444 file
  std::int64_t mtime = 0;              // unix seconds: Rock Ridge TF, UDF modification time, else the record date
};

}  // namespace pxed::iso
