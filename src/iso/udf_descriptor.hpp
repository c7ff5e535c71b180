#pragma once
// UDF (ECMA-167 3rd edition, OSTA UDF 1.02-2.60) descriptors decoded from
// bytes into values: tags, volume descriptors, file entries, allocation
// descriptors, file identifiers, CS0 names and timestamps. Pure: no I/O,
// every field read through byte_at/le16/le32, so a short buffer reads zeros.
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace pxed::iso::udf {

// ECMA-167 3/7.2.1 and 4/7.2.1 tag identifiers.
enum class TagId : std::uint16_t {
  primary_volume = 1,
  anchor = 2,
  volume_pointer = 3,
  implementation_use = 4,
  partition = 5,
  logical_volume = 6,
  unallocated_space = 7,
  terminating = 8,
  file_set = 256,
  file_identifier = 257,
  allocation_extent = 258,
  indirect_entry = 259,
  file_entry = 261,
  extended_file_entry = 266,
};

inline constexpr std::size_t kTagSize = 16;
// We read only 2048-byte logical blocks: what every DVD/BD image and
// genisoimage, pycdlib and mkudffs (for images) write.
inline constexpr std::size_t kBlockSize = 2048;

// ECMA-167 3/7.2: the 16-byte tag in front of every descriptor.
struct Tag {
  std::uint16_t id = 0;
  std::uint16_t version = 0;
  std::uint16_t crc = 0;
  std::uint16_t crc_length = 0;
  std::uint32_t location = 0;  // the block the descriptor says it lives in
};

// Decodes and checks a tag: checksum (3/7.2.3), and the CRC (3/7.2.6) when
// it covers bytes we were given. An error names what is wrong.
std::expected<Tag, std::string> decode_tag(std::span<const std::byte> descriptor);
// ECMA-167 3/7.2.6: CRC-ITU-T, polynomial 0x1021, initial value 0.
std::uint16_t crc_itu_t(std::span<const std::byte> in);
// 3/7.2.3: the sum of bytes 0-3 and 5-15, modulo 256.
std::uint8_t tag_checksum(std::span<const std::byte> tag);

// ECMA-167 4/7.1 lb_addr: a block inside partition `partition` (an index
// into the logical volume's partition maps).
struct BlockAddress {
  std::uint32_t block = 0;
  std::uint16_t partition = 0;
  bool operator==(const BlockAddress&) const = default;
};

// ECMA-167 4/14.14.1.1 extent types, the top two bits of an extent length.
enum class ExtentType : std::uint8_t {
  recorded = 0,         // allocated and recorded: bytes in the image
  allocated = 1,        // allocated, not recorded: reads as zeros
  unallocated = 2,      // neither (a sparse hole): reads as zeros
  continuation = 3,     // the next extent of allocation descriptors
};

// Short, long and extended allocation descriptors (4/14.14.1-3), as one value.
struct AllocationDescriptor {
  ExtentType type = ExtentType::recorded;
  std::uint32_t length = 0;  // bytes, the low 30 bits
  BlockAddress location;     // a short_ad names the ICB's own partition
};

// ICB tag 4/14.6.8 flags, bits 0-2: how the allocation descriptors are stored.
enum class AllocationForm : std::uint8_t { short_ad = 0, long_ad = 1, extended_ad = 2, embedded = 3 };

// ICB file types (4/14.6.6) that name files we serve.
inline constexpr std::uint8_t kFileTypeDirectory = 4;
inline constexpr std::uint8_t kFileTypeRegular = 5;
inline constexpr std::uint8_t kFileTypeSymlink = 12;
inline constexpr std::uint8_t kFileTypeRealTime = 249;  // UDF 2.60 6.6: a regular file for us

inline constexpr std::size_t kShortAdSize = 8;
inline constexpr std::size_t kLongAdSize = 16;
inline constexpr std::size_t kExtendedAdSize = 20;

// Decodes one descriptor of `form` at the start of `in` (which holds at
// least its size). Embedded has no descriptors.
AllocationDescriptor decode_allocation_descriptor(std::span<const std::byte> in, AllocationForm form,
                                                  std::uint16_t icb_partition);
std::size_t allocation_descriptor_size(AllocationForm form);
// 4/14.14.2 long_ad.
AllocationDescriptor decode_long_ad(std::span<const std::byte> in);

// File Entry (4/14.9) or Extended File Entry (4/14.17), the fields we use.
struct FileEntry {
  std::uint8_t file_type = 0;
  AllocationForm form = AllocationForm::short_ad;
  std::uint32_t permissions = 0;
  std::uint64_t information_length = 0;  // the file's size in bytes
  std::int64_t mtime = 0;                // unix seconds
  // Where, inside the entry's block, the allocation descriptors (or the
  // embedded data) lie, and how many bytes they take (L_AD).
  std::size_t descriptors_offset = 0;
  std::uint32_t descriptors_length = 0;
};
// `block` is the entry's (tag id 261 or 266, already checked) whole block.
std::expected<FileEntry, std::string> decode_file_entry(std::span<const std::byte> block);

// File Identifier Descriptor (4/14.4).
inline constexpr std::uint8_t kFidHidden = 0x01;     // "existence" bit
inline constexpr std::uint8_t kFidDirectory = 0x02;
inline constexpr std::uint8_t kFidDeleted = 0x04;
inline constexpr std::uint8_t kFidParent = 0x08;
inline constexpr std::size_t kFidFixedSize = 38;
struct FileIdentifier {
  std::uint8_t characteristics = 0;
  BlockAddress icb;
  std::span<const std::byte> identifier;  // CS0, compression id first
  std::size_t size = 0;                   // the whole descriptor, padded to 4 bytes
};
// `in` starts at the descriptor and runs to the end of the directory data.
std::expected<FileIdentifier, std::string> decode_file_identifier(std::span<const std::byte> in);

// OSTA UDF 2.1.1 / 2.1.2 CS0 "OSTA Compressed Unicode" -> UTF-8: compression
// id 8 (one byte a character) or 16 (UTF-16BE); 254/255 are the UDF 2.60
// forms of the same. Any other id, an odd length or NUL yields nullopt.
std::optional<std::string> cs0_to_utf8(std::span<const std::byte> in);
// A dstring (1/7.2.12): CS0 whose last byte holds the used length.
std::string dstring_to_utf8(std::span<const std::byte> field);

// ECMA-167 1/7.3 timestamp (12 bytes) -> unix seconds (UTC when a zone is given).
std::int64_t decode_timestamp(std::span<const std::byte> in);

// Partition Descriptor (3/10.5), the fields we use.
struct PartitionDescriptor {
  std::uint32_t sequence_number = 0;
  std::uint16_t number = 0;
  std::uint32_t start = 0;   // the first block, counted from the image's start
  std::uint32_t length = 0;  // in blocks
};
PartitionDescriptor decode_partition_descriptor(std::span<const std::byte> descriptor);

// One partition map of a Logical Volume Descriptor (3/10.7).
struct PartitionMap {
  std::uint8_t type = 0;        // 1: physical; 2: named by `identifier`
  std::string identifier;       // type 2: "*UDF Metadata Partition", "*UDF Sparable Partition", ...
  std::uint16_t partition_number = 0;
  std::uint32_t metadata_file = 0;  // type 2 metadata: the metadata file's ICB block
};

// Logical Volume Descriptor (3/10.6), the fields we use.
struct LogicalVolume {
  std::uint32_t sequence_number = 0;
  std::uint32_t block_size = 0;
  std::string identifier;
  AllocationDescriptor file_set;  // 4/3.1: where the File Set Descriptor is
  std::vector<PartitionMap> maps;
};
std::expected<LogicalVolume, std::string> decode_logical_volume(std::span<const std::byte> descriptor);

// ECMA-167 4/14.16 path components of a symbolic link -> "a/../b" or "/x".
std::optional<std::string> decode_symlink(std::span<const std::byte> in);

}  // namespace pxed::iso::udf
