#include "osid/iso_files.hpp"

namespace pxed::osid {

bool IsoImageFiles::is_file(std::string_view path) const {
  const auto entry = image_.resolve(path, iso::FollowLast::yes);
  return entry && !entry->directory;
}

std::vector<std::string> IsoImageFiles::list(std::string_view dir) const {
  std::vector<std::string> names;
  if (auto entries = image_.list(dir))
    for (auto& entry : *entries) names.push_back(std::move(entry.name));
  return names;
}

std::optional<std::string> IsoImageFiles::read(std::string_view path, std::size_t max_bytes) const {
  const auto entry = image_.resolve(path, iso::FollowLast::yes);
  if (!entry || entry->directory || entry->size > max_bytes) return std::nullopt;
  std::string out;
  out.reserve(entry->size);
  for (const auto& extent : entry->extents) {
    const auto bytes = iso::read_exact(read_, image_.image_size(), extent.offset, extent.length);
    if (!bytes) return std::nullopt;
    out.append(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  }
  return out;
}

}  // namespace pxed::osid
