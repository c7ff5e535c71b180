#include "tftp/netascii.hpp"

namespace pxed::tftp {

std::size_t netascii_encode(NetasciiCursor& cursor, std::span<const std::byte> source, std::span<std::byte> out) {
  std::size_t written = 0;
  std::size_t consumed = 0;
  if (cursor.has_pending && written < out.size()) {
    out[written++] = cursor.pending;
    cursor.has_pending = false;
  }
  while (written < out.size() && consumed < source.size()) {
    auto b = source[consumed++];
    if (b == std::byte{'\n'} || b == std::byte{'\r'}) {
      out[written++] = std::byte{'\r'};
      auto second = b == std::byte{'\n'} ? std::byte{'\n'} : std::byte{0};
      if (written < out.size()) {
        out[written++] = second;
      } else {
        cursor.pending = second;
        cursor.has_pending = true;
      }
    } else {
      out[written++] = b;
    }
  }
  cursor.source_offset += consumed;
  return written;
}

}  // namespace pxed::tftp
