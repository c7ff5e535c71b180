#pragma once
// An ISO image served as a folder: opening the image file, and answering
// open / list / is-directory for the names inside it. Symlinks in the image
// (Rock Ridge SL) are followed inside the image only.
#include <sys/types.h>

#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vfs/file.hpp"
#include "vfs/types.hpp"

namespace pxed::iso {
class Image;
class LookupBudget;
}

namespace pxed::vfs {

// Which file an open descriptor is, and which version of it: a replaced
// image (new inode) or one rewritten in place (new size or mtime) differ.
struct FileIdentity {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

// An image ready to mount: its descriptor (shared with every File opened
// from it, so a transfer keeps the image it started on), its parsed volume,
// and the identity of the file it was opened from.
struct OpenedImage {
  std::shared_ptr<const Descriptor> fd;
  std::shared_ptr<const iso::Image> image;
  FileIdentity identity;
};

// Opens `path` (relative to dirfd; AT_FDCWD for the working directory) and
// reads its volume descriptors. The error says what is wrong, without the path.
std::expected<OpenedImage, std::string> open_image(int dirfd, const std::filesystem::path& path);

// inner is normalized, "" is the image's root. Each call's work is bounded by
// `budget` (iso::LookupBudget); past it the answer is over_budget.
std::expected<File, OpenError> open_member(const OpenedImage& image, std::string_view inner,
                                           iso::LookupBudget& budget);
// Symlinks are listed as what they point to; those that lead nowhere inside
// the image are left out, as open_member refuses them. Unsorted. The listing
// and the links it resolves share the budget.
std::expected<std::vector<DirEntry>, OpenError> list_members(const iso::Image& image,
                                                             std::string_view inner,
                                                             iso::LookupBudget& budget);
std::expected<bool, OpenError> member_is_directory(const iso::Image& image, std::string_view inner,
                                                   iso::LookupBudget& budget);
// Reads into the image's directory cache what open_member, list_members or
// member_is_directory of inner will need, so that they then read nothing:
// the slow half of a lookup, for a worker thread (see Tree::prefetch).
void prefetch_member(const iso::Image& image, std::string_view inner, iso::LookupBudget& budget);

}  // namespace pxed::vfs
