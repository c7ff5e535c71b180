#pragma once
// ECMA-119 directory records and the fields around them, decoded from bytes
// into values. Pure: no I/O, every length checked against the record.
#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>

namespace pxed::iso {

// ECMA-119 6.1.2: logical sectors are 2048 bytes; we accept only that block size.
inline constexpr std::size_t kSectorSize = 2048;
// ECMA-119 9.1: 33 fixed bytes plus at least one identifier byte.
inline constexpr std::size_t kMinRecordLength = 34;

// ECMA-119 9.1.6 file flags.
inline constexpr std::uint8_t kFlagHidden = 0x01;
inline constexpr std::uint8_t kFlagDirectory = 0x02;
inline constexpr std::uint8_t kFlagAssociated = 0x04;
inline constexpr std::uint8_t kFlagNotFinal = 0x80;  // multi-extent: more records follow

struct DirectoryRecord {
  std::uint32_t extent_block = 0;     // 9.1.3 location of extent (logical block)
  std::uint8_t xattr_blocks = 0;      // 9.1.2 extended attribute record precedes the data
  std::uint32_t data_length = 0;      // 9.1.4
  std::int64_t recorded = 0;          // 9.1.5 as unix seconds (UTC)
  std::uint8_t flags = 0;             // 9.1.6
  std::span<const std::byte> identifier;  // 9.1.10, raw (d-characters or UCS-2)
  std::span<const std::byte> system_use;  // 9.1.13, SUSP entries live here

  bool is_directory() const { return (flags & kFlagDirectory) != 0; }
  bool not_final() const { return (flags & kFlagNotFinal) != 0; }
  // 9.1.11: identifiers 0x00 and 0x01 name the directory itself and its parent.
  bool is_self() const;
  bool is_parent() const;
  // First byte of the file data in the image.
  std::uint64_t data_offset() const {
    return (std::uint64_t{extent_block} + xattr_blocks) * kSectorSize;
  }
};

// Decodes one record that occupies exactly `in` (in.size() == its length byte).
std::expected<DirectoryRecord, std::string> decode_record(std::span<const std::byte> in);

// ECMA-119 9.1.5: seven bytes, years since 1900 .. offset from GMT in 15-minute units.
std::int64_t decode_record_time(std::span<const std::byte, 7> in);
// ECMA-119 8.4.26.1 / RRIP TF long form: 17 bytes "YYYYMMDDhhmmsscc" + offset.
std::int64_t decode_long_time(std::span<const std::byte, 17> in);

// Plain ISO 9660 name: drop the ";1" version and a trailing "." (ECMA-119 7.5).
std::string plain_name(std::span<const std::byte> identifier);
// Joliet names are UCS-2 big-endian (Joliet spec 1995); we emit UTF-8 and
// also drop the ";1" version that mkisofs keeps.
std::string joliet_name(std::span<const std::byte> identifier);

// Shared with the UDF reader (udf_descriptor.cpp): Howard Hinnant's
// days_from_civil (proleptic Gregorian date -> days since 1970-01-01), and
// one code point appended as UTF-8.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d);
void append_utf8(std::string& out, std::uint32_t cp);

// One byte, or 0 past the end: hostile lengths read zeros, never out of bounds.
inline std::uint8_t byte_at(std::span<const std::byte> in, std::size_t at) {
  return at < in.size() ? std::to_integer<std::uint8_t>(in[at]) : 0;
}

// Both-endian fields (ECMA-119 7.2.3, 7.3.3): the little-endian half is read;
// images with an inconsistent big-endian half are common and harmless.
std::uint32_t le32(std::span<const std::byte> in, std::size_t at);
std::uint16_t le16(std::span<const std::byte> in, std::size_t at);

}  // namespace pxed::iso
