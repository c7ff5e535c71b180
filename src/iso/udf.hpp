#pragma once
// A UDF volume (ECMA-167 3rd edition, OSTA UDF 1.02-2.60) read as a tree of
// Entry values whose data are extents in the image, like the ISO 9660 reader,
// so HTTP and TFTP serve both the same way. Windows install media carry their
// files only here (the ISO 9660 part is a README stub).
//
// Read: the volume recognition sequence, the anchor at block 256 (or the
// last block, or N-256), the main volume descriptor sequence (the reserve one
// when the main is bad), type 1 partition maps and the "*UDF Metadata
// Partition" map (UDF 2.50+), the file set, File Entries and Extended File
// Entries with short, long, extended or embedded allocation descriptors and
// their continuation extents. Not read: blocks other than 2048 bytes,
// sparable and virtual (VAT) partitions, ICB strategy 4096 chains beyond
// indirect entries, named streams; each is a clear error, never wrong bytes.
// Pure: all I/O goes through ReadAt.
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "iso/entry.hpp"
#include "iso/image.hpp"
#include "iso/udf_descriptor.hpp"

namespace pxed::iso {

// Bounds against hostile UDF images, far above what real writers produce.
inline constexpr std::size_t kMaxUdfIcbHops = 16;                 // indirect entries per ICB
inline constexpr std::size_t kMaxAllocationExtentChain = 4096;     // AED blocks per file
inline constexpr std::size_t kMaxExtentsPerFile = 1u << 16;        // a 4 GiB WIM needs 5
inline constexpr std::size_t kMaxVolumeDescriptorPointers = 8;    // 3/10.3 hops per sequence

// Whether sectors 16.. hold an extended area (BEA01) naming NSR02 or NSR03
// (ECMA-167 2/9.1): the image says it carries a UDF volume.
bool has_udf_recognition(const ReadAt& read, std::uint64_t image_size);

class UdfVolume {
 public:
  static std::expected<UdfVolume, std::string> open(ReadAt read, std::uint64_t image_size);

  const Entry& root() const { return root_; }
  // The logical volume identifier (what blkid shows as LABEL).
  std::string_view volume_id() const { return volume_id_; }
  // A directory's File Identifier Descriptors -> its entries (each File
  // Entry read for size, extents, mode and mtime). Deleted and parent
  // entries are skipped; hidden ones are listed (Windows programs open them
  // by name). A file whose data is not recorded in the image (sparse or
  // preallocated extents) makes the directory fail with its name.
  std::expected<std::vector<Entry>, std::string> read_directory(const Entry& dir) const;

 private:
  // One partition map: where its logical blocks lie in the image.
  struct Partition {
    std::vector<Extent> extents;  // physical: one extent; metadata: the metadata file's
  };
  struct FileData {
    udf::FileEntry entry;
    std::vector<Extent> extents;
  };

  UdfVolume(ReadAt read, std::uint64_t image_size) : read_(std::move(read)), image_size_(image_size) {}

  std::expected<std::vector<std::byte>, std::string> read(std::uint64_t offset,
                                                          std::uint64_t length) const {
    return read_exact(read_, image_size_, offset, length);
  }
  // Appends the image extents of `length` bytes at `address` (split where a
  // metadata partition's extents are).
  std::expected<void, std::string> translate(udf::BlockAddress address, std::uint64_t length,
                                             std::vector<Extent>& out) const;
  // Reads one logical block and checks its tag (checksum, CRC, location).
  std::expected<std::vector<std::byte>, std::string> read_block(udf::BlockAddress address,
                                                                std::uint64_t& offset) const;
  // Follows indirect entries to a File Entry and resolves its data's extents.
  // `budget` counts the allocation extent descriptors still allowed to be read.
  std::expected<FileData, std::string> read_file(udf::BlockAddress icb, std::size_t& budget) const;
  std::expected<std::vector<Extent>, std::string> file_extents(const udf::FileEntry& entry,
                                                               std::span<const std::byte> block,
                                                               std::uint64_t block_offset,
                                                               std::uint16_t partition,
                                                               std::size_t& budget) const;
  std::expected<std::vector<std::byte>, std::string> read_extents(const std::vector<Extent>& extents,
                                                                  std::uint64_t limit) const;
  // nullopt: a file type we do not serve (devices, FIFOs) or an unreadable link.
  std::expected<std::optional<Entry>, std::string> make_entry(std::string name, udf::BlockAddress icb,
                                                              std::size_t& budget) const;
  std::expected<void, std::string> read_descriptor_sequence(std::uint32_t first,
                                                            std::uint32_t length);
  std::expected<void, std::string> map_partitions();

  ReadAt read_;
  std::uint64_t image_size_ = 0;
  std::vector<Partition> partitions_;
  Entry root_;
  std::string volume_id_;
  // The prevailing volume descriptors (3/8.4.3: the highest sequence number).
  std::vector<udf::PartitionDescriptor> partition_descriptors_;
  std::optional<udf::LogicalVolume> logical_volume_;
  std::string primary_volume_id_;
};

}  // namespace pxed::iso
