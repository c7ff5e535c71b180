#pragma once
// An ISO 9660 image read as a tree of files, each file a list of extents
// (offset, length) in the image, so HTTP can sendfile() and TFTP can pread
// straight from it. Our own reader because libcdio 2.1 has neither
// multi-extent files nor 64-bit sizes. Pure: all I/O goes through ReadAt.
// UDF is not read here.
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pxed::iso {

// Reads `out.size()` bytes at `offset` of the image; returns bytes read (short at EOF) or an errno.
using ReadAt = std::function<std::expected<std::size_t, int>(std::span<std::byte> out,
                                                             std::uint64_t offset)>;

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
  std::optional<std::string> symlink_target;  // Rock Ridge SL, never followed
  std::uint32_t mode = 0;              // st_mode: Rock Ridge PX, else 0555 dir / 0444 file
  std::int64_t mtime = 0;              // unix seconds: Rock Ridge TF, else the record date
};

enum class Naming { rock_ridge, joliet, plain };
std::string_view to_string(Naming naming);

// Bounds against hostile images: each is far above what mkisofs/xorriso write.
inline constexpr std::size_t kMaxVolumeDescriptors = 64;
inline constexpr std::uint64_t kMaxDirectoryBytes = 64ull << 20;
inline constexpr std::size_t kMaxEntriesPerDirectory = 200'000;
inline constexpr std::size_t kMaxContinuationChain = 32;        // CE entries per record
inline constexpr std::size_t kMaxContinuationsPerDirectory = 8192;
inline constexpr std::size_t kMaxPathDepth = 128;
inline constexpr std::size_t kMaxPathLength = 4096;

class Image {
 public:
  // Reads the volume descriptors (ECMA-119 8) and chooses the naming.
  static std::expected<Image, std::string> open(ReadAt read, std::uint64_t image_size);

  // Rock Ridge preferred, then Joliet, then plain ISO 9660.
  Naming naming() const { return naming_; }
  // "" or "/" is the root; "." and ".." are not listed.
  std::expected<std::vector<Entry>, std::string> list(std::string_view dir_path) const;
  // Follows no symlinks: the caller decides what a link means.
  std::expected<Entry, std::string> stat(std::string_view path) const;
  std::string_view volume_id() const { return volume_id_; }
  std::uint64_t image_size() const { return image_size_; }

 private:
  Image(ReadAt read, std::uint64_t image_size) : read_(std::move(read)), image_size_(image_size) {}

  std::expected<std::vector<std::byte>, std::string> read(std::uint64_t offset,
                                                          std::uint64_t length) const;
  std::expected<std::vector<Entry>, std::string> read_directory(const Entry& dir) const;
  std::expected<Extent, std::string> relocated_directory(std::uint32_t block) const;
  std::expected<Entry, std::string> lookup(std::string_view path) const;
  std::expected<Entry, std::string> directory_root(std::span<const std::byte> descriptor) const;

  ReadAt read_;
  std::uint64_t image_size_ = 0;
  Naming naming_ = Naming::plain;
  std::uint8_t susp_skip_ = 0;  // SUSP 5.3 LEN_SKP
  Entry root_;
  std::string volume_id_;
};

}  // namespace pxed::iso
