#include "iso/udf_descriptor.hpp"

#include <algorithm>

#include "iso/record.hpp"
#include "iso/susp.hpp"

namespace pxed::iso::udf {
namespace {

// OSTA UDF 2.3.6 / ECMA-167 4/14.9: where the fixed part of each entry ends
// (extended attributes, then allocation descriptors follow) and where its
// fields lie.
constexpr std::size_t kFileEntryFixed = 176;
constexpr std::size_t kExtendedFileEntryFixed = 216;
// ECMA-167 3/10.6.13: partition maps start at byte 440 of the LVD.
constexpr std::size_t kPartitionMapsOffset = 440;
// Far above the one or two maps real volumes carry.
constexpr std::size_t kMaxPartitionMaps = 64;

// The n bytes at `at`, clipped to what `in` holds (fields past the end read as zeros).
std::span<const std::byte> field(std::span<const std::byte> in, std::size_t at, std::size_t n) {
  if (at >= in.size()) return {};
  return in.subspan(at, std::min(n, in.size() - at));
}

std::uint64_t le64(std::span<const std::byte> in, std::size_t at) {
  return std::uint64_t{le32(in, at)} | (std::uint64_t{le32(in, at + 4)} << 32);
}

std::string regid_identifier(std::span<const std::byte> regid) {
  // ECMA-167 1/7.4: one flags byte, then 23 identifier bytes padded with NUL.
  std::string s;
  for (std::size_t i = 1; i < 24; ++i) {
    const std::uint8_t c = byte_at(regid, i);
    if (c == 0) break;
    s += static_cast<char>(c);
  }
  return s;
}

}  // namespace

std::uint8_t tag_checksum(std::span<const std::byte> tag) {
  std::uint8_t sum = 0;
  for (std::size_t i = 0; i < kTagSize; ++i)
    if (i != 4) sum = static_cast<std::uint8_t>(sum + byte_at(tag, i));
  return sum;
}

std::uint16_t crc_itu_t(std::span<const std::byte> in) {
  std::uint16_t crc = 0;
  for (std::byte b : in) {
    crc ^= static_cast<std::uint16_t>(std::to_integer<std::uint8_t>(b) << 8);
    for (int bit = 0; bit < 8; ++bit)
      crc = static_cast<std::uint16_t>((crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1);
  }
  return crc;
}

std::expected<Tag, std::string> decode_tag(std::span<const std::byte> descriptor) {
  if (descriptor.size() < kTagSize) return std::unexpected("descriptor shorter than its tag");
  Tag tag;
  tag.id = le16(descriptor, 0);
  tag.version = le16(descriptor, 2);
  tag.crc = le16(descriptor, 8);
  tag.crc_length = le16(descriptor, 10);
  tag.location = le32(descriptor, 12);
  if (tag.id == 0 && tag.location == 0 && tag_checksum(descriptor) == 0)
    return std::unexpected("no descriptor (an empty block)");
  if (tag_checksum(descriptor) != byte_at(descriptor, 4))
    return std::unexpected("descriptor tag checksum mismatch (tag " + std::to_string(tag.id) + ")");
  // ECMA-167 3/7.2.6: the CRC covers crc_length bytes after the tag. A length
  // past what we hold is not checked, as Linux's udf does not.
  if (kTagSize + tag.crc_length <= descriptor.size() &&
      crc_itu_t(descriptor.subspan(kTagSize, tag.crc_length)) != tag.crc)
    return std::unexpected("descriptor CRC mismatch (tag " + std::to_string(tag.id) + ")");
  return tag;
}

std::size_t allocation_descriptor_size(AllocationForm form) {
  switch (form) {
    case AllocationForm::short_ad: return kShortAdSize;
    case AllocationForm::long_ad: return kLongAdSize;
    case AllocationForm::extended_ad: return kExtendedAdSize;
    case AllocationForm::embedded: return 0;
  }
  return 0;
}

AllocationDescriptor decode_long_ad(std::span<const std::byte> in) {
  const std::uint32_t length = le32(in, 0);
  return {static_cast<ExtentType>(length >> 30), length & 0x3FFFFFFF,
          {le32(in, 4), le16(in, 8)}};
}

AllocationDescriptor decode_allocation_descriptor(std::span<const std::byte> in, AllocationForm form,
                                                  std::uint16_t icb_partition) {
  switch (form) {
    case AllocationForm::short_ad: {
      // 4/14.14.1: a short_ad's extent lies in the partition of its ICB.
      const std::uint32_t length = le32(in, 0);
      return {static_cast<ExtentType>(length >> 30), length & 0x3FFFFFFF, {le32(in, 4), icb_partition}};
    }
    case AllocationForm::long_ad: return decode_long_ad(in);
    case AllocationForm::extended_ad: {
      // 4/14.14.3: extent length, recorded length, information length, lb_addr.
      const std::uint32_t length = le32(in, 0);
      AllocationDescriptor ad{static_cast<ExtentType>(length >> 30), length & 0x3FFFFFFF,
                              {le32(in, 12), le16(in, 16)}};
      // Fewer bytes recorded than allocated: the tail reads as zeros, not image bytes.
      if (ad.type == ExtentType::recorded && (le32(in, 4) & 0x3FFFFFFF) < ad.length)
        ad.type = ExtentType::allocated;
      return ad;
    }
    case AllocationForm::embedded: break;
  }
  return {};
}

std::expected<FileEntry, std::string> decode_file_entry(std::span<const std::byte> block) {
  const bool extended = le16(block, 0) == static_cast<std::uint16_t>(TagId::extended_file_entry);
  const std::size_t fixed = extended ? kExtendedFileEntryFixed : kFileEntryFixed;
  FileEntry entry;
  // ICB tag (4/14.6) at byte 16: file type at +11, flags at +18.
  entry.file_type = byte_at(block, 16 + 11);
  entry.form = static_cast<AllocationForm>(le16(block, 16 + 18) & 0x7);
  if (le16(block, 16 + 18) & 0x4)
    return std::unexpected("unknown allocation descriptor form " + std::to_string(le16(block, 16 + 18) & 0x7));
  entry.permissions = le32(block, 44);
  entry.information_length = le64(block, 56);
  entry.mtime = decode_timestamp(field(block, extended ? 92 : 84, 12));
  const std::uint32_t ea_length = le32(block, fixed - 8);
  entry.descriptors_length = le32(block, fixed - 4);
  if (block.size() < fixed || ea_length > block.size() - fixed ||
      entry.descriptors_length > block.size() - fixed - ea_length)
    return std::unexpected("file entry's extended attributes and allocation descriptors overrun its block");
  entry.descriptors_offset = fixed + ea_length;
  return entry;
}

std::expected<FileIdentifier, std::string> decode_file_identifier(std::span<const std::byte> in) {
  if (in.size() < kFidFixedSize) return std::unexpected("file identifier descriptor truncated");
  const std::size_t identifier_length = byte_at(in, 19);
  const std::size_t use_length = le16(in, 36);
  const std::size_t used = kFidFixedSize + use_length + identifier_length;
  if (used > in.size()) return std::unexpected("file identifier descriptor runs past its directory");
  auto tag = decode_tag(in.first(used));
  if (!tag) return std::unexpected("file identifier: " + tag.error());
  if (tag->id != static_cast<std::uint16_t>(TagId::file_identifier))
    return std::unexpected("expected a file identifier descriptor, found tag " + std::to_string(tag->id));
  FileIdentifier fid;
  fid.characteristics = byte_at(in, 18);
  fid.icb = decode_long_ad(in.subspan(20)).location;
  fid.identifier = in.subspan(kFidFixedSize + use_length, identifier_length);
  // 4/14.4.9: padded to a multiple of four bytes; the last one may end the data early.
  fid.size = std::min(in.size(), (used + 3) & ~std::size_t{3});
  return fid;
}

std::optional<std::string> cs0_to_utf8(std::span<const std::byte> in) {
  if (in.empty()) return std::string{};
  const std::uint8_t compression = byte_at(in, 0);
  std::string out;
  if (compression == 8 || compression == 254) {
    for (std::size_t i = 1; i < in.size(); ++i) {
      const std::uint8_t c = byte_at(in, i);
      if (c == 0) return std::nullopt;
      append_utf8(out, c);  // 8-bit CS0 is the first 256 Unicode code points
    }
    return out;
  }
  if (compression != 16 && compression != 255) return std::nullopt;
  if ((in.size() - 1) % 2 != 0) return std::nullopt;
  for (std::size_t i = 1; i + 1 < in.size(); i += 2) {
    std::uint32_t cp = (std::uint32_t{byte_at(in, i)} << 8) | byte_at(in, i + 1);
    if (cp == 0) return std::nullopt;
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 3 < in.size()) {
      const std::uint32_t low = (std::uint32_t{byte_at(in, i + 2)} << 8) | byte_at(in, i + 3);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        i += 2;
      }
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // a lone surrogate has no UTF-8 form
    append_utf8(out, cp);
  }
  return out;
}

std::string dstring_to_utf8(std::span<const std::byte> field) {
  if (field.empty()) return {};
  const std::size_t used = byte_at(field, field.size() - 1);
  if (used == 0 || used >= field.size()) return {};
  auto text = cs0_to_utf8(field.first(used));
  if (!text) return {};
  while (!text->empty() && (text->back() == ' ' || text->back() == '\0')) text->pop_back();
  return *text;
}

std::int64_t decode_timestamp(std::span<const std::byte> in) {
  const std::uint16_t type_and_zone = le16(in, 0);
  auto year = static_cast<std::int16_t>(le16(in, 2));
  unsigned month = byte_at(in, 4);
  unsigned day = byte_at(in, 5);
  const unsigned hour = std::min<unsigned>(byte_at(in, 6), 23);
  const unsigned minute = std::min<unsigned>(byte_at(in, 7), 59);
  const unsigned second = std::min<unsigned>(byte_at(in, 8), 59);
  if (month < 1 || month > 12) month = 1;
  if (day < 1 || day > 31) day = 1;
  std::int64_t t = days_from_civil(year, month, day) * 86400 + std::int64_t{hour} * 3600 +
                   std::int64_t{minute} * 60 + second;
  // 1/7.3.1: type 1 is local time with a signed 12-bit offset in minutes;
  // -2047 means "no offset given", read as UTC as Linux does.
  if ((type_and_zone >> 12) == 1) {
    std::int32_t offset = type_and_zone & 0x0FFF;
    if (offset >= 0x800) offset -= 0x1000;
    if (offset != -2047 && offset >= -1440 && offset <= 1440) t -= std::int64_t{offset} * 60;
  }
  return t;
}

PartitionDescriptor decode_partition_descriptor(std::span<const std::byte> descriptor) {
  // ECMA-167 3/10.5: sequence number 16, number 22, start 188, length 192.
  return {le32(descriptor, 16), le16(descriptor, 22), le32(descriptor, 188), le32(descriptor, 192)};
}

std::expected<LogicalVolume, std::string> decode_logical_volume(std::span<const std::byte> descriptor) {
  LogicalVolume volume;
  volume.sequence_number = le32(descriptor, 16);
  volume.identifier = dstring_to_utf8(field(descriptor, 84, 128));
  volume.block_size = le32(descriptor, 212);
  volume.file_set = decode_long_ad(field(descriptor, 248, kLongAdSize));
  const std::uint32_t table_length = le32(descriptor, 264);
  const std::uint32_t count = le32(descriptor, 268);
  if (descriptor.size() < kPartitionMapsOffset || table_length > descriptor.size() - kPartitionMapsOffset)
    return std::unexpected("logical volume's partition map table overruns its descriptor");
  if (count == 0) return std::unexpected("logical volume has no partition maps");
  if (count > kMaxPartitionMaps) return std::unexpected("logical volume has too many partition maps");
  const auto table = descriptor.subspan(kPartitionMapsOffset, table_length);
  std::size_t pos = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::size_t length = byte_at(table, pos + 1);
    if (length < 2 || length > table.size() - std::min(pos, table.size()))
      return std::unexpected("partition map " + std::to_string(i) + " overruns the map table");
    const auto map_bytes = table.subspan(pos, length);
    PartitionMap map;
    map.type = byte_at(map_bytes, 0);
    if (map.type == 1) {
      map.partition_number = le16(map_bytes, 4);  // 3/10.7.2
    } else if (map.type == 2) {
      map.identifier = regid_identifier(field(map_bytes, 4, 32));
      map.partition_number = le16(map_bytes, 38);  // OSTA UDF 2.2.8-2.2.10
      map.metadata_file = le32(map_bytes, 40);
    }
    volume.maps.push_back(std::move(map));
    pos += length;
  }
  return volume;
}

std::optional<std::string> decode_symlink(std::span<const std::byte> in) {
  std::string out;
  std::size_t pos = 0;
  while (pos < in.size()) {
    if (in.size() - pos < 4) return std::nullopt;
    const std::uint8_t type = byte_at(in, pos);
    const std::size_t length = byte_at(in, pos + 1);
    if (length > in.size() - pos - 4) return std::nullopt;
    const auto identifier = in.subspan(pos + 4, length);
    pos += 4 + length;
    std::string component;
    switch (type) {
      case 1:  // 4/14.16.1.1: the root directory
      case 2:
        out = "/";
        continue;
      case 3: component = ".."; break;
      case 4: component = "."; break;
      case 5: {
        auto name = cs0_to_utf8(identifier);
        if (!name || name->empty() || name->find('/') != std::string::npos) return std::nullopt;
        component = std::move(*name);
        break;
      }
      default: return std::nullopt;
    }
    if (!out.empty() && out.back() != '/') out += '/';
    out += component;
    if (out.size() > kMaxSymlinkTarget) return std::nullopt;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

}  // namespace pxed::iso::udf
