#include "core/bytes.hpp"

#include <algorithm>

namespace pxed::core {

std::optional<std::uint8_t> ByteReader::u8() {
  if (remaining() < 1) return std::nullopt;
  return static_cast<std::uint8_t>(in_[pos_++]);
}

std::optional<std::uint16_t> ByteReader::u16() {
  if (remaining() < 2) return std::nullopt;
  auto hi = static_cast<std::uint16_t>(in_[pos_]);
  auto lo = static_cast<std::uint16_t>(in_[pos_ + 1]);
  pos_ += 2;
  return static_cast<std::uint16_t>(hi << 8 | lo);
}

std::optional<std::uint32_t> ByteReader::u32() {
  if (remaining() < 4) return std::nullopt;
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = v << 8 | static_cast<std::uint32_t>(in_[pos_++]);
  return v;
}

std::optional<std::span<const std::byte>> ByteReader::bytes(std::size_t n) {
  if (remaining() < n) return std::nullopt;
  auto out = in_.subspan(pos_, n);
  pos_ += n;
  return out;
}

std::optional<std::string> ByteReader::cstring(std::size_t max_length) {
  auto rest = in_.subspan(pos_);
  auto limit = std::min(rest.size(), max_length + 1);
  auto end = std::find(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(limit), std::byte{0});
  if (end == rest.begin() + static_cast<std::ptrdiff_t>(limit)) return std::nullopt;
  auto length = static_cast<std::size_t>(end - rest.begin());
  std::string s(reinterpret_cast<const char*>(rest.data()), length);
  pos_ += length + 1;
  return s;
}

void ByteWriter::u8(std::uint8_t v) { out_.push_back(std::byte{v}); }

void ByteWriter::u16(std::uint16_t v) {
  out_.push_back(std::byte(v >> 8));
  out_.push_back(std::byte(v & 0xff));
}

void ByteWriter::u32(std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out_.push_back(std::byte((v >> shift) & 0xff));
}

void ByteWriter::bytes(std::span<const std::byte> v) { out_.insert(out_.end(), v.begin(), v.end()); }

void ByteWriter::cstring(std::string_view v) {
  bytes(as_bytes(v));
  out_.push_back(std::byte{0});
}

}  // namespace pxed::core
