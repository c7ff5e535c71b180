#pragma once
// An ISO 9660 image read as a tree of files, each file a list of extents
// (offset, length) in the image, so HTTP can sendfile() and TFTP can pread
// straight from it. Our own reader because libcdio 2.1 has neither
// multi-extent files nor 64-bit sizes. Pure: all I/O goes through ReadAt.
// A UDF volume (Windows media, bridge images) is read by UdfVolume (udf.hpp)
// and preferred when valid, as blkid and mount prefer it.
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "iso/directory_cache.hpp"
#include "iso/entry.hpp"

namespace pxed::iso {

// Reads `out.size()` bytes at `offset` of the image; returns bytes read (short at EOF) or an errno.
using ReadAt = std::function<std::expected<std::size_t, int>(std::span<std::byte> out,
                                                             std::uint64_t offset)>;

enum class Naming { rock_ridge, joliet, plain, udf };
std::string_view to_string(Naming naming);

// Bounds against hostile images: each is far above what mkisofs/xorriso write.
inline constexpr std::size_t kMaxVolumeDescriptors = 64;
inline constexpr std::uint64_t kMaxDirectoryBytes = 64ull << 20;
inline constexpr std::size_t kMaxEntriesPerDirectory = 200'000;
inline constexpr std::size_t kMaxContinuationChain = 32;        // CE entries per record
inline constexpr std::size_t kMaxContinuationsPerDirectory = 8192;
inline constexpr std::size_t kMaxPathDepth = 128;
inline constexpr std::size_t kMaxPathLength = 4096;
// Symlinks followed in one lookup, as Linux's MAXSYMLINKS: more means a loop.
inline constexpr std::size_t kMaxSymlinkHops = 40;
// Parsed directories kept per image; a DVD's whole tree is a few MiB.
inline constexpr std::size_t kDefaultDirectoryCacheBytes = 8u << 20;

// Reads exactly `length` bytes at `offset`, never outside [0, image_size).
std::expected<std::vector<std::byte>, std::string> read_exact(const ReadAt& read,
                                                              std::uint64_t image_size,
                                                              std::uint64_t offset,
                                                              std::uint64_t length);

class UdfVolume;

// Why a path did not resolve: vfs tells a missing name from an escape.
enum class LookupError {
  not_found,        // no such name (a dangling link included)
  not_a_directory,  // a file where the path needs a directory
  outside_image,    // a link's ".." climbs above the image's root
  too_many_links,   // more than kMaxSymlinkHops: a loop, or as good as one
  bad_image,        // a directory on the way could not be read
};
std::string_view to_string(LookupError e);

struct LookupFailure {
  LookupError error = LookupError::not_found;
  std::string message;  // "images/x: no such file or directory"
};

// Whether a symlink named by the last component is followed (open, list) or
// returned as itself (lstat, `pxed iso ls`). Links before it are always followed.
enum class FollowLast { no, yes };

class Image {
 public:
  // Reads the volume descriptors (ECMA-119 8, ECMA-167 2/8) and chooses the
  // naming: UDF when a valid UDF volume exists, else ISO 9660's.
  // directory_cache_bytes 0 keeps no parsed directories (every lookup reads them).
  static std::expected<Image, std::string> open(
      ReadAt read, std::uint64_t image_size,
      std::size_t directory_cache_bytes = kDefaultDirectoryCacheBytes);

  // UDF preferred, then Rock Ridge, then Joliet, then plain ISO 9660.
  Naming naming() const { return naming_; }
  // Walks path from the root, following Rock Ridge (or UDF) symlinks as a kernel
  // would, but inside the image: a relative target from the link's
  // directory, an absolute one from the image's root; ".." above the root is
  // outside_image. Entry::name is the last name walked (the target's).
  std::expected<Entry, LookupFailure> resolve(std::string_view path, FollowLast follow) const;
  // "" or "/" is the root; "." and ".." are not listed; symlinks on the way
  // are followed, the listed links themselves are not.
  std::expected<std::vector<Entry>, std::string> list(std::string_view dir_path) const;
  // Like lstat: links on the way are followed, a link at the end is returned as itself.
  std::expected<Entry, std::string> stat(std::string_view path) const;
  std::string_view volume_id() const { return volume_id_; }
  std::uint64_t image_size() const { return image_size_; }
  // Shared by copies of this Image (they read the same bytes).
  const DirectoryCache& directory_cache() const { return *cache_; }

 private:
  Image(ReadAt read, std::uint64_t image_size, std::size_t cache_bytes)
      : read_(std::move(read)),
        image_size_(image_size),
        cache_(std::make_shared<DirectoryCache>(cache_bytes)) {}

  static std::expected<Image, std::string> open_iso9660(Image image);
  std::expected<std::vector<std::byte>, std::string> read(std::uint64_t offset,
                                                          std::uint64_t length) const;
  std::expected<std::vector<Entry>, std::string> read_directory(const Entry& dir) const;
  // read_directory through the cache.
  CachedDirectory directory(const Entry& dir) const;
  std::expected<Extent, std::string> relocated_directory(std::uint32_t block) const;
  std::expected<Entry, std::string> directory_root(std::span<const std::byte> descriptor) const;

  ReadAt read_;
  std::uint64_t image_size_ = 0;
  Naming naming_ = Naming::plain;
  std::uint8_t susp_skip_ = 0;  // SUSP 5.3 LEN_SKP
  Entry root_;
  std::string volume_id_;
  std::shared_ptr<DirectoryCache> cache_;
  std::shared_ptr<const UdfVolume> udf_;  // set when naming_ is udf
};

}  // namespace pxed::iso
