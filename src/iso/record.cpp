#include "iso/record.hpp"

namespace pxed::iso {
namespace {

// Hostile images carry any byte here; clamp so the arithmetic stays defined.
std::int64_t to_unix(std::int64_t year, unsigned month, unsigned day, unsigned hour,
                     unsigned minute, unsigned second, std::int8_t gmt_quarters) {
  if (month < 1 || month > 12) month = 1;
  if (day < 1 || day > 31) day = 1;
  std::int64_t t = days_from_civil(year, month, day) * 86400 + std::int64_t{hour} * 3600 +
                   std::int64_t{minute} * 60 + second;
  return t - std::int64_t{gmt_quarters} * 15 * 60;  // the time is local to that offset
}

unsigned digits(std::span<const std::byte> in, std::size_t at, std::size_t n) {
  unsigned v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint8_t c = byte_at(in, at + i);
    v = v * 10 + (c >= '0' && c <= '9' ? c - '0' : 0);
  }
  return v;
}

// Both plain and Joliet identifiers end in ";<version>" (ECMA-119 7.5.1).
void strip_version(std::string& name) {
  if (auto semi = name.rfind(';'); semi != std::string::npos) name.resize(semi);
}

}  // namespace

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::uint32_t le32(std::span<const std::byte> in, std::size_t at) {
  return std::uint32_t{byte_at(in, at)} | std::uint32_t{byte_at(in, at + 1)} << 8 |
         std::uint32_t{byte_at(in, at + 2)} << 16 | std::uint32_t{byte_at(in, at + 3)} << 24;
}

std::uint16_t le16(std::span<const std::byte> in, std::size_t at) {
  return static_cast<std::uint16_t>(byte_at(in, at) | byte_at(in, at + 1) << 8);
}

bool DirectoryRecord::is_self() const {
  return identifier.size() == 1 && identifier[0] == std::byte{0};
}

bool DirectoryRecord::is_parent() const {
  return identifier.size() == 1 && identifier[0] == std::byte{1};
}

std::expected<DirectoryRecord, std::string> decode_record(std::span<const std::byte> in) {
  if (in.size() < kMinRecordLength) return std::unexpected("directory record shorter than 34 bytes");
  if (byte_at(in, 0) != in.size()) return std::unexpected("directory record length mismatch");
  DirectoryRecord r;
  r.xattr_blocks = byte_at(in, 1);
  r.extent_block = le32(in, 2);
  r.data_length = le32(in, 10);
  r.recorded = decode_record_time(in.subspan(18).first<7>());
  r.flags = byte_at(in, 25);
  const std::size_t name_length = byte_at(in, 32);
  if (name_length == 0) return std::unexpected("directory record with empty identifier");
  if (33 + name_length > in.size()) return std::unexpected("identifier runs past its record");
  r.identifier = in.subspan(33, name_length);
  // 9.1.12: a padding byte follows an even-length identifier.
  std::size_t su_start = 33 + name_length + (name_length % 2 == 0 ? 1 : 0);
  if (su_start < in.size()) r.system_use = in.subspan(su_start);
  return r;
}

std::int64_t decode_record_time(std::span<const std::byte, 7> in) {
  return to_unix(1900 + std::int64_t{byte_at(in, 0)}, byte_at(in, 1), byte_at(in, 2),
                 byte_at(in, 3), byte_at(in, 4), byte_at(in, 5),
                 static_cast<std::int8_t>(byte_at(in, 6)));
}

std::int64_t decode_long_time(std::span<const std::byte, 17> in) {
  return to_unix(digits(in, 0, 4), digits(in, 4, 2), digits(in, 6, 2), digits(in, 8, 2),
                 digits(in, 10, 2), digits(in, 12, 2), static_cast<std::int8_t>(byte_at(in, 16)));
}

std::string plain_name(std::span<const std::byte> identifier) {
  std::string name(reinterpret_cast<const char*>(identifier.data()), identifier.size());
  strip_version(name);
  if (!name.empty() && name.back() == '.') name.pop_back();  // "README." has no extension
  return name;
}

std::string joliet_name(std::span<const std::byte> identifier) {
  std::string name;
  for (std::size_t i = 0; i + 1 < identifier.size(); i += 2) {
    std::uint32_t unit = std::uint32_t{byte_at(identifier, i)} << 8 | byte_at(identifier, i + 1);
    // Joliet says UCS-2, but Windows and xorriso write UTF-16 surrogate pairs.
    if (unit >= 0xD800 && unit < 0xDC00 && i + 3 < identifier.size()) {
      std::uint32_t low = std::uint32_t{byte_at(identifier, i + 2)} << 8 | byte_at(identifier, i + 3);
      if (low >= 0xDC00 && low < 0xE000) {
        append_utf8(name, 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00));
        i += 2;
        continue;
      }
    }
    if (unit >= 0xD800 && unit < 0xE000) unit = 0xFFFD;  // lone surrogate
    append_utf8(name, unit);
  }
  strip_version(name);
  return name;
}

}  // namespace pxed::iso
