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
#include <stop_token>
#include <string_view>
#include <utility>
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
// Work one lookup (or one listing, with the symlinks it shows) may do: path
// components walked, ".." and symlink expansions included, and directory
// bytes read from the image. A hostile image otherwise multiplies one
// request: `a/../a/../...` or a symlink loop re-walked a directory too big
// for the cache at every step (over a minute for one request). Each
// directory is read at most once per lookup (LookupBudget keeps it), so the
// byte bound counts distinct directories: far above any real path (a DVD's
// deepest is ~10 steps of a few KiB) and at most 2 of the largest allowed.
inline constexpr std::size_t kMaxLookupSteps = 4096;
// A listing resolves every link it shows (up to vfs::kMaxListing): a DVD
// directory of a few thousand links takes some 5 steps each.
inline constexpr std::size_t kMaxListingSteps = 16 * kMaxLookupSteps;
inline constexpr std::uint64_t kMaxLookupReadBytes = 2 * kMaxDirectoryBytes;

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
  over_budget,      // past LookupBudget's steps or bytes: refused, not tried harder
};
std::string_view to_string(LookupError e);

struct LookupFailure {
  LookupError error = LookupError::not_found;
  std::string message;  // "images/x: no such file or directory"
};

// What lookups sharing it may still do, and the directories they read: a
// listing resolves each symlink it shows with one budget, so a thousand
// links into one huge directory read it once and count once. Not shared
// between threads; one per request.
class LookupBudget {
 public:
  explicit LookupBudget(std::size_t max_steps = kMaxLookupSteps,
                        std::uint64_t max_read_bytes = kMaxLookupReadBytes)
      : max_steps_(max_steps), max_read_bytes_(max_read_bytes) {}

  // One more component walked; false past the bound, or once stop is asked
  // (a worker's lookup gives up between reads when pxed stops).
  bool step() { return ++steps_ <= max_steps_ && !stop_.stop_requested(); }
  // Whether reading `bytes` more of directories stays within the bound
  // (and counts them if so).
  bool read(std::uint64_t bytes);
  void stop_when(std::stop_token stop) { stop_ = std::move(stop); }
  std::size_t steps() const { return steps_; }
  std::uint64_t bytes_read() const { return bytes_read_; }

  // Directories this budget has seen, by extent offset: a lookup never pays
  // twice for one, even when the image's cache could not keep it.
  const std::shared_ptr<const Directory>* seen(std::uint64_t key) const;
  void remember(std::uint64_t key, std::shared_ptr<const Directory> dir);

 private:
  std::size_t max_steps_;
  std::uint64_t max_read_bytes_;
  std::size_t steps_ = 0;
  std::uint64_t bytes_read_ = 0;
  std::stop_token stop_;
  std::vector<std::pair<std::uint64_t, std::shared_ptr<const Directory>>> seen_;
};

// ECMA-119 8.4: what the primary volume descriptor says about the volume,
// trailing spaces removed. These, not the Joliet or UDF names volume_id()
// prefers, are what blkid and osinfo-db's media rules read.
struct VolumeInfo {
  std::string system_id;         // 8.4.5
  std::string volume_id;         // 8.4.6
  std::string volume_set_id;     // 8.4.13
  std::string publisher_id;      // 8.4.14
  std::string data_preparer_id;  // 8.4.15
  std::string application_id;    // 8.4.16
  // 8.4.8 volume space size times 8.4.12 logical block size, as osinfo-db's
  // <volume-size> counts it.
  std::uint64_t volume_size = 0;
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
  // The same within a budget shared with other lookups of one request.
  std::expected<Entry, LookupFailure> resolve(std::string_view path, FollowLast follow,
                                              LookupBudget& budget) const;
  // "" or "/" is the root; "." and ".." are not listed; symlinks on the way
  // are followed, the listed links themselves are not.
  std::expected<std::vector<Entry>, std::string> list(std::string_view dir_path) const;
  std::expected<std::vector<Entry>, LookupFailure> list(std::string_view dir_path, LookupBudget& budget) const;
  // Like lstat: links on the way are followed, a link at the end is returned as itself.
  std::expected<Entry, std::string> stat(std::string_view path) const;
  std::string_view volume_id() const { return volume_id_; }
  // The primary volume descriptor's fields; none on a UDF image without an
  // ISO 9660 bridge.
  const std::optional<VolumeInfo>& volume_info() const { return volume_info_; }
  std::uint64_t image_size() const { return image_size_; }
  // How its bytes are read: for a caller reading its files' contents (a boot menu).
  const ReadAt& reader() const { return read_; }
  // Shared by copies of this Image (they read the same bytes).
  const DirectoryCache& directory_cache() const { return *cache_; }

 private:
  Image(ReadAt read, std::uint64_t image_size, std::size_t cache_bytes)
      : read_(std::move(read)),
        image_size_(image_size),
        cache_(std::make_shared<DirectoryCache>(cache_bytes)) {}

  static std::expected<Image, std::string> open_iso9660(Image image);
  struct Descriptors;
  std::expected<Descriptors, std::string> read_descriptors() const;
  std::expected<std::vector<std::byte>, std::string> read(std::uint64_t offset,
                                                          std::uint64_t length) const;
  std::expected<std::vector<Entry>, std::string> read_directory(const Entry& dir) const;
  // read_directory through the budget's directories, then the cache.
  CachedDirectory directory(const Entry& dir, LookupBudget& budget) const;
  std::expected<Extent, std::string> relocated_directory(std::uint32_t block) const;
  std::expected<Entry, std::string> directory_root(std::span<const std::byte> descriptor) const;

  ReadAt read_;
  std::uint64_t image_size_ = 0;
  Naming naming_ = Naming::plain;
  std::uint8_t susp_skip_ = 0;  // SUSP 5.3 LEN_SKP
  Entry root_;
  std::string volume_id_;
  std::optional<VolumeInfo> volume_info_;
  std::shared_ptr<DirectoryCache> cache_;
  std::shared_ptr<const UdfVolume> udf_;  // set when naming_ is udf
};

}  // namespace pxed::iso
