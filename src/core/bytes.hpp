#pragma once
// Bounds-checked reading and writing of wire formats. A short input is an
// empty optional, never undefined behaviour: every codec stands on these two.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pxed::core {

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::byte> in) : in_(in) {}

  std::optional<std::uint8_t> u8();
  std::optional<std::uint16_t> u16();  // network byte order
  std::optional<std::uint32_t> u32();  // network byte order
  std::optional<std::span<const std::byte>> bytes(std::size_t n);
  // A NUL-terminated string of at most max_length characters (the NUL not
  // counted). Empty optional when no NUL comes before the limit or the end.
  std::optional<std::string> cstring(std::size_t max_length);

  std::size_t remaining() const { return in_.size() - pos_; }
  std::size_t position() const { return pos_; }
  bool empty() const { return remaining() == 0; }

 private:
  std::span<const std::byte> in_;
  std::size_t pos_ = 0;
};

class ByteWriter {
 public:
  void u8(std::uint8_t v);
  void u16(std::uint16_t v);
  void u32(std::uint32_t v);
  void bytes(std::span<const std::byte> v);
  void cstring(std::string_view v);  // appends the terminating NUL

  const std::vector<std::byte>& data() const { return out_; }
  std::vector<std::byte> take() { return std::move(out_); }

 private:
  std::vector<std::byte> out_;
};

inline std::span<const std::byte> as_bytes(std::string_view s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

}  // namespace pxed::core
