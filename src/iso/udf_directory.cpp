// UdfVolume: File Entries -> extents, and directories -> entries.
#include <algorithm>

#include "iso/record.hpp"
#include "iso/susp.hpp"
#include "iso/udf.hpp"

namespace pxed::iso {
namespace {

using udf::kBlockSize;
using udf::TagId;

// ECMA-167 4/14.5: the allocation descriptors of an Allocation Extent
// Descriptor start at byte 24; their length is at byte 20.
constexpr std::size_t kAllocationExtentHeader = 24;

// A name becomes a path component in vfs: anything that could step outside
// its directory or be misread by C APIs is dropped, whatever the image says.
bool usable_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

// ECMA-167 4/14.9.5 permissions: other in bits 0-4, group 5-9, owner 10-14,
// each "execute, write, read, change attributes, delete"; the low three map
// onto st_mode's rwx. None at all is not sensible for served files: defaults.
std::uint32_t mode_from(std::uint32_t permissions, std::uint8_t file_type) {
  const std::uint32_t type = file_type == udf::kFileTypeDirectory ? 0040000
                             : file_type == udf::kFileTypeSymlink ? 0120000
                                                                  : 0100000;
  const std::uint32_t rwx = (permissions & 7) | (((permissions >> 5) & 7) << 3) |
                            (((permissions >> 10) & 7) << 6);
  if (rwx == 0) return type | (file_type == udf::kFileTypeDirectory ? 0555 : 0444);
  return type | rwx;
}

}  // namespace

std::expected<UdfVolume::FileData, std::string> UdfVolume::read_file(udf::BlockAddress icb,
                                                                     std::size_t& budget) const {
  // 4/14.7: an Indirect Entry hands the ICB on to another block.
  for (std::size_t hop = 0; hop <= kMaxUdfIcbHops; ++hop) {
    std::uint64_t offset = 0;
    auto block = read_block(icb, offset);
    if (!block) return std::unexpected(block.error());
    const auto id = static_cast<TagId>(le16(*block, 0));
    if (id == TagId::indirect_entry) {
      icb = udf::decode_long_ad(std::span(*block).subspan(36)).location;
      continue;
    }
    if (id != TagId::file_entry && id != TagId::extended_file_entry)
      return std::unexpected("block " + std::to_string(icb.block) + ": expected a file entry, found tag " +
                             std::to_string(static_cast<unsigned>(id)));
    auto entry = udf::decode_file_entry(*block);
    if (!entry) return std::unexpected("block " + std::to_string(icb.block) + ": " + entry.error());
    auto extents = file_extents(*entry, *block, offset, icb.partition, budget);
    if (!extents) return std::unexpected(extents.error());
    return FileData{*entry, std::move(*extents)};
  }
  return std::unexpected("more than 16 indirect entries in one ICB (a loop?)");
}

std::expected<std::vector<Extent>, std::string> UdfVolume::file_extents(
    const udf::FileEntry& entry, std::span<const std::byte> block, std::uint64_t block_offset,
    std::uint16_t partition, std::size_t& budget) const {
  std::vector<Extent> extents;
  const std::uint64_t size = entry.information_length;
  // Checked before the descriptors are walked: a directory is read whole.
  if (entry.file_type == udf::kFileTypeDirectory && size > kMaxDirectoryBytes)
    return std::unexpected("directory larger than 64 MiB");
  if (entry.form == udf::AllocationForm::embedded) {
    // 4/14.9.20 / OSTA UDF 2.3.10: small files live in the entry's own block.
    if (size > entry.descriptors_length)
      return std::unexpected("embedded data is shorter than the file's " + std::to_string(size) + " bytes");
    if (size > 0) extents.push_back({block_offset + entry.descriptors_offset, size});
    return extents;
  }
  const std::size_t ad_size = udf::allocation_descriptor_size(entry.form);
  std::span<const std::byte> area = block.subspan(entry.descriptors_offset, entry.descriptors_length);
  std::vector<std::byte> continued;  // the current Allocation Extent Descriptor
  std::uint64_t remaining = size;
  while (remaining > 0 && area.size() >= ad_size) {
    const auto ad = udf::decode_allocation_descriptor(area, entry.form, partition);
    area = area.subspan(ad_size);
    if (ad.length == 0) break;  // 4/12.1: a zero length ends the descriptors
    if (ad.type == udf::ExtentType::continuation) {
      // 4/14.5: the descriptors go on in an Allocation Extent Descriptor.
      if (budget == 0) return std::unexpected("too many allocation extent descriptors (a loop?)");
      --budget;
      std::uint64_t offset = 0;
      auto next = read_block(ad.location, offset);
      if (!next) return std::unexpected("allocation extent: " + next.error());
      if (le16(*next, 0) != static_cast<std::uint16_t>(TagId::allocation_extent))
        return std::unexpected("allocation extent at block " + std::to_string(ad.location.block) +
                               ": found tag " + std::to_string(le16(*next, 0)));
      const std::uint32_t length = le32(*next, 20);
      if (length > kBlockSize - kAllocationExtentHeader)
        return std::unexpected("allocation extent descriptor overruns its block");
      continued = std::move(*next);
      area = std::span<const std::byte>(continued).subspan(kAllocationExtentHeader, length);
      continue;
    }
    const std::uint64_t take = std::min<std::uint64_t>(ad.length, remaining);
    // 4/14.14.1.1: such an extent reads as zeros; the image holds no bytes to send.
    if (ad.type != udf::ExtentType::recorded)
      return std::unexpected(std::to_string(take) + " bytes at file offset " + std::to_string(size - remaining) +
                             " are not recorded in the image (a sparse or preallocated extent): cannot serve the file");
    if (auto ok = translate(ad.location, take, extents); !ok) return std::unexpected(ok.error());
    remaining -= take;
  }
  if (remaining > 0)
    return std::unexpected("allocation descriptors cover only " + std::to_string(size - remaining) +
                           " of the file's " + std::to_string(size) + " bytes");
  return extents;
}

std::expected<std::vector<std::byte>, std::string> UdfVolume::read_extents(
    const std::vector<Extent>& extents, std::uint64_t limit) const {
  std::vector<std::byte> out;
  for (const Extent& extent : extents) {
    if (extent.length > limit - out.size()) return std::unexpected("extents exceed the expected size");
    auto bytes = read(extent.offset, extent.length);
    if (!bytes) return std::unexpected(bytes.error());
    out.insert(out.end(), bytes->begin(), bytes->end());
  }
  return out;
}

std::expected<std::optional<Entry>, std::string> UdfVolume::make_entry(std::string name,
                                                                       udf::BlockAddress icb,
                                                                       std::size_t& budget) const {
  auto file = read_file(icb, budget);
  if (!file) return std::unexpected("'" + name + "': " + file.error());
  const std::uint8_t type = file->entry.file_type;
  Entry entry;
  entry.name = std::move(name);
  entry.size = file->entry.information_length;
  entry.extents = std::move(file->extents);
  entry.mode = mode_from(file->entry.permissions, type);
  entry.mtime = file->entry.mtime;
  switch (type) {
    case udf::kFileTypeDirectory:
      entry.directory = true;
      break;
    case udf::kFileTypeRegular:
    case udf::kFileTypeRealTime:
      break;
    case udf::kFileTypeSymlink: {
      // 4/14.16: the link's data is its path components; undecodable links are left out.
      if (entry.size > kMaxSymlinkTarget) return std::optional<Entry>{};
      auto bytes = read_extents(entry.extents, entry.size);
      if (!bytes) return std::unexpected("'" + entry.name + "': " + bytes.error());
      entry.symlink_target = udf::decode_symlink(*bytes);
      if (!entry.symlink_target) return std::optional<Entry>{};
      break;
    }
    default:
      return std::optional<Entry>{};  // devices, FIFOs, sockets, stream directories: nothing to serve
  }
  return entry;
}

std::expected<std::vector<Entry>, std::string> UdfVolume::read_directory(const Entry& dir) const {
  if (dir.extents.empty() || dir.size == 0) return std::vector<Entry>{};
  if (dir.size > kMaxDirectoryBytes) return std::unexpected("directory larger than 64 MiB");
  auto bytes = read_extents(dir.extents, dir.size);
  if (!bytes) return std::unexpected(bytes.error());
  const std::span<const std::byte> data(*bytes);
  std::size_t budget = kMaxAllocationExtentChain;  // for the whole directory's files
  std::vector<Entry> entries;
  std::size_t records = 0;
  std::size_t pos = 0;
  while (pos < data.size()) {
    // Some writers pad a directory's last block with zeros.
    const auto rest = data.subspan(pos);
    if (std::all_of(rest.begin(), rest.end(), [](std::byte b) { return b == std::byte{0}; })) break;
    auto fid = udf::decode_file_identifier(rest);
    if (!fid) return std::unexpected("directory byte " + std::to_string(pos) + ": " + fid.error());
    pos += fid->size;
    if (++records > kMaxEntriesPerDirectory) return std::unexpected("too many directory entries");
    // 4/14.4.3: deleted entries and the parent's are not names in this directory.
    if ((fid->characteristics & (udf::kFidDeleted | udf::kFidParent)) != 0) continue;
    auto name = udf::cs0_to_utf8(fid->identifier);
    if (!name || !usable_name(*name)) continue;
    auto entry = make_entry(std::move(*name), fid->icb, budget);
    if (!entry) return std::unexpected(entry.error());
    if (*entry) entries.push_back(std::move(**entry));
  }
  return entries;
}

}  // namespace pxed::iso
