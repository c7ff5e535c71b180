// UdfVolume::open: from the volume recognition sequence to the root directory.
// Directories and files: udf_directory.cpp.
#include "iso/udf.hpp"

#include <algorithm>

#include "iso/record.hpp"

namespace pxed::iso {
namespace {

using udf::kBlockSize;
using udf::TagId;

// ECMA-167 2/8.3: the volume recognition sequence starts at byte 32768 and
// for 2048-byte blocks takes one block per descriptor.
constexpr std::uint64_t kFirstRecognitionSector = 16;
// ECMA-167 3/8.4.2.1: the first anchor point, then the last block and N-256.
constexpr std::uint64_t kAnchorSector = 256;
// 3/8.4.2: a sequence extent is at least 16 blocks; we read at most this many.
constexpr std::uint64_t kMaxSequenceBlocks = 64;
// OSTA UDF 2.2.13: the ICB file type of the (UDF 2.50+) metadata file.
constexpr std::uint8_t kFileTypeMetadata = 250;

std::string identifier_at(std::span<const std::byte> block) {
  std::string id;
  for (std::size_t i = 1; i < 6; ++i) id += static_cast<char>(byte_at(block, i));
  return id;
}

}  // namespace

bool has_udf_recognition(const ReadAt& read, std::uint64_t image_size) {
  bool extended_area = false;
  for (std::uint64_t i = 0; i < kMaxVolumeDescriptors; ++i) {
    auto block = read_exact(read, image_size, (kFirstRecognitionSector + i) * kBlockSize, kBlockSize);
    if (!block) return false;
    const std::string id = identifier_at(*block);
    if (id == "BEA01") {
      extended_area = true;
    } else if (id == "NSR02" || id == "NSR03") {
      if (extended_area) return true;
    } else if (id == "TEA01") {
      extended_area = false;
    } else if (id != "CD001" && id != "CDW02" && id != "BOOT2") {
      return false;  // 2/8.3.1: the sequence ends at the first unrecorded block
    }
  }
  return false;
}

std::expected<void, std::string> UdfVolume::translate(udf::BlockAddress address, std::uint64_t length,
                                                      std::vector<Extent>& out) const {
  if (address.partition >= partitions_.size())
    return std::unexpected("partition reference " + std::to_string(address.partition) +
                           " names no partition map");
  std::uint64_t skip = std::uint64_t{address.block} * kBlockSize;  // bytes into the partition
  for (const Extent& extent : partitions_[address.partition].extents) {
    if (length == 0) break;
    if (skip >= extent.length) {
      skip -= extent.length;
      continue;
    }
    const std::uint64_t take = std::min(length, extent.length - skip);
    const Extent piece{extent.offset + skip, take};
    if (piece.offset > image_size_ || piece.length > image_size_ - piece.offset)
      return std::unexpected("extent at block " + std::to_string(address.block) + " lies outside the image");
    if (!out.empty() && out.back().offset + out.back().length == piece.offset) {
      out.back().length += take;
    } else {
      if (out.size() >= kMaxExtentsPerFile) return std::unexpected("more than 65536 extents in one file");
      out.push_back(piece);
    }
    length -= take;
    skip = 0;
  }
  if (length > 0)
    return std::unexpected("extent at block " + std::to_string(address.block) + " of partition " +
                           std::to_string(address.partition) + " runs past the partition's end");
  return {};
}

std::expected<std::vector<std::byte>, std::string> UdfVolume::read_block(udf::BlockAddress address,
                                                                         std::uint64_t& offset) const {
  std::vector<Extent> where;
  if (auto ok = translate(address, kBlockSize, where); !ok) return std::unexpected(ok.error());
  offset = where.front().offset;
  auto block = read(offset, kBlockSize);
  if (!block) return std::unexpected(block.error());
  auto tag = udf::decode_tag(*block);
  if (!tag) return std::unexpected("block " + std::to_string(address.block) + ": " + tag.error());
  // ECMA-167 4/7.2.1: the tag records the logical block it lives in.
  if (tag->location != address.block)
    return std::unexpected("block " + std::to_string(address.block) + ": descriptor says it is at block " +
                           std::to_string(tag->location));
  return block;
}

std::expected<void, std::string> UdfVolume::read_descriptor_sequence(std::uint32_t first,
                                                                     std::uint32_t length) {
  std::uint64_t sector = first;
  std::uint64_t end = sector + std::min<std::uint64_t>(length / kBlockSize, kMaxSequenceBlocks);
  std::size_t pointers = 0;
  std::size_t blocks = 0;
  while (sector < end && blocks++ < kMaxSequenceBlocks * kMaxVolumeDescriptorPointers) {
    const std::string where = "volume descriptor at block " + std::to_string(sector);
    auto block = read(sector * kBlockSize, kBlockSize);
    if (!block) return std::unexpected(where + ": " + block.error());
    // An unrecorded block ends the sequence as a terminator would (3/8.4.2).
    if (std::all_of(block->begin(), block->end(), [](std::byte b) { return b == std::byte{0}; }))
      return {};
    auto tag = udf::decode_tag(*block);
    if (!tag) return std::unexpected(where + ": " + tag.error());
    if (tag->location != sector)
      return std::unexpected(where + " says it is at block " + std::to_string(tag->location));
    switch (static_cast<TagId>(tag->id)) {
      case TagId::primary_volume:
        primary_volume_id_ = udf::dstring_to_utf8(std::span(*block).subspan(24, 32));
        break;
      case TagId::partition: {
        auto pd = udf::decode_partition_descriptor(*block);
        auto same = std::find_if(partition_descriptors_.begin(), partition_descriptors_.end(),
                                 [&](const auto& p) { return p.number == pd.number; });
        if (same == partition_descriptors_.end()) {
          if (partition_descriptors_.size() >= kMaxVolumeDescriptors)
            return std::unexpected("too many partition descriptors");
          partition_descriptors_.push_back(pd);
        } else if (pd.sequence_number >= same->sequence_number) {
          *same = pd;
        }
        break;
      }
      case TagId::logical_volume: {
        auto lvd = udf::decode_logical_volume(*block);
        if (!lvd) return std::unexpected(where + ": " + lvd.error());
        if (!logical_volume_ || lvd->sequence_number >= logical_volume_->sequence_number)
          logical_volume_ = std::move(*lvd);
        break;
      }
      case TagId::volume_pointer:
        // 3/10.3: the sequence continues in another extent.
        if (++pointers > kMaxVolumeDescriptorPointers)
          return std::unexpected("too many volume descriptor pointers");
        sector = le32(*block, 24);
        end = sector + std::min<std::uint64_t>(le32(*block, 20) / kBlockSize, kMaxSequenceBlocks);
        continue;
      case TagId::terminating:
        return {};
      default:
        break;  // implementation use, unallocated space: nothing we need
    }
    ++sector;
  }
  return {};  // an extent used up without a terminator ends the sequence too (3/8.4.2)
}

std::expected<void, std::string> UdfVolume::map_partitions() {
  const udf::LogicalVolume& lvd = *logical_volume_;
  auto physical = [&](std::uint16_t number) -> std::expected<Partition, std::string> {
    auto pd = std::find_if(partition_descriptors_.begin(), partition_descriptors_.end(),
                           [&](const auto& p) { return p.number == number; });
    if (pd == partition_descriptors_.end())
      return std::unexpected("no partition descriptor for partition " + std::to_string(number));
    const std::uint64_t start = std::uint64_t{pd->start} * kBlockSize;
    if (start > image_size_) return std::unexpected("partition " + std::to_string(number) + " starts past the image's end");
    // A partition longer than the image (a truncated image) is cut at its end.
    const std::uint64_t length = std::min(std::uint64_t{pd->length} * kBlockSize, image_size_ - start);
    Partition p;
    if (length > 0) p.extents.push_back({start, length});
    return p;
  };
  for (const udf::PartitionMap& map : lvd.maps) {
    if (map.type == 1) {
      auto p = physical(map.partition_number);
      if (!p) return std::unexpected(p.error());
      partitions_.push_back(std::move(*p));
    } else {
      partitions_.push_back({});  // placeholders until the physical ones are known
    }
  }
  for (std::size_t i = 0; i < lvd.maps.size(); ++i) {
    const udf::PartitionMap& map = lvd.maps[i];
    if (map.type == 1) continue;
    if (map.type != 2 || map.identifier != "*UDF Metadata Partition")
      return std::unexpected("UDF partition map '" + (map.type == 2 ? map.identifier : "type " + std::to_string(map.type)) +
                             "' is not supported (only physical and metadata partitions)");
    // OSTA UDF 2.2.10: the metadata partition's blocks are the contents of
    // the metadata file, whose File Entry lies in the physical partition.
    auto p = physical(map.partition_number);
    if (!p) return std::unexpected("metadata partition: " + p.error());
    partitions_[i] = std::move(*p);
    std::size_t budget = kMaxAllocationExtentChain;
    auto file = read_file({map.metadata_file, static_cast<std::uint16_t>(i)}, budget);
    if (!file) return std::unexpected("metadata file: " + file.error());
    if (file->entry.file_type != kFileTypeMetadata)
      return std::unexpected("metadata file has ICB file type " + std::to_string(file->entry.file_type));
    partitions_[i].extents = std::move(file->extents);
  }
  return {};
}

std::expected<UdfVolume, std::string> UdfVolume::open(ReadAt read, std::uint64_t image_size) {
  UdfVolume volume(std::move(read), image_size);
  // ECMA-167 3/8.4.2.1 anchor points.
  std::optional<std::vector<std::byte>> anchor;
  const std::uint64_t blocks = image_size / kBlockSize;
  // A volume of 256 blocks or fewer can only have the one at N-1.
  for (std::uint64_t sector : {kAnchorSector, blocks - 1, blocks - kAnchorSector}) {
    if (blocks == 0 || sector >= blocks || (sector != blocks - 1 && blocks <= kAnchorSector)) continue;
    auto block = volume.read(sector * kBlockSize, kBlockSize);
    if (!block) continue;
    auto tag = udf::decode_tag(*block);
    if (tag && tag->id == static_cast<std::uint16_t>(TagId::anchor) && tag->location == sector) {
      anchor = std::move(*block);
      break;
    }
  }
  if (!anchor) {
    // Tell a volume written with other block sizes (mkudffs on a disk) from a broken one.
    for (std::uint64_t size : {512u, 1024u, 4096u}) {
      auto block = volume.read(kAnchorSector * size, udf::kTagSize);
      auto tag = block ? udf::decode_tag(*block) : std::unexpected(block.error());
      if (tag && tag->id == static_cast<std::uint16_t>(TagId::anchor) && tag->location == kAnchorSector)
        return std::unexpected("UDF with " + std::to_string(size) +
                               "-byte blocks is not supported (only 2048)");
    }
    return std::unexpected("no UDF anchor volume descriptor at block 256, N-256 or N-1");
  }
  // 3/10.2: main sequence extent at 16, reserve at 24 (length, location).
  auto main = volume.read_descriptor_sequence(le32(*anchor, 20), le32(*anchor, 16));
  if (!main || !volume.logical_volume_ || volume.partition_descriptors_.empty()) {
    const std::string why = main ? "no logical volume or partition descriptor" : main.error();
    volume.logical_volume_.reset();
    volume.partition_descriptors_.clear();
    auto reserve = volume.read_descriptor_sequence(le32(*anchor, 28), le32(*anchor, 24));
    if (!reserve || !volume.logical_volume_ || volume.partition_descriptors_.empty())
      return std::unexpected("main volume descriptor sequence: " + why + "; reserve: " +
                             (reserve ? "no logical volume or partition descriptor" : reserve.error()));
  }
  const udf::LogicalVolume& lvd = *volume.logical_volume_;
  if (lvd.block_size != kBlockSize)
    return std::unexpected("UDF logical block size " + std::to_string(lvd.block_size) +
                           " is not supported (only 2048)");
  if (auto mapped = volume.map_partitions(); !mapped) return std::unexpected(mapped.error());

  // 4/14.1 File Set Descriptor; its root directory ICB at byte 400.
  std::uint64_t fsd_offset = 0;
  auto fsd = volume.read_block(lvd.file_set.location, fsd_offset);
  if (!fsd) return std::unexpected("file set descriptor: " + fsd.error());
  if (le16(*fsd, 0) != static_cast<std::uint16_t>(TagId::file_set))
    return std::unexpected("file set descriptor: found tag " + std::to_string(le16(*fsd, 0)));
  const udf::BlockAddress root_icb = udf::decode_long_ad(std::span(*fsd).subspan(400)).location;
  std::size_t budget = kMaxAllocationExtentChain;
  auto root = volume.make_entry("/", root_icb, budget);
  if (!root) return std::unexpected("root directory: " + root.error());
  if (!*root || !(*root)->directory) return std::unexpected("root directory ICB is not a directory");
  volume.root_ = std::move(**root);
  volume.volume_id_ = lvd.identifier.empty() ? volume.primary_volume_id_ : lvd.identifier;
  return volume;
}

}  // namespace pxed::iso
