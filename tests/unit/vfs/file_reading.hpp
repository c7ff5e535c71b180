#pragma once
// Reading a vfs::File back in tests, the way TFTP does: through read_at.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "vfs/file.hpp"

namespace pxed::vfs::testing {

// Reads the whole file through read_at in chunks of `chunk` bytes.
inline std::string read_in_chunks(const File& file, std::size_t chunk) {
  std::string out;
  std::vector<std::byte> buffer(chunk);
  for (;;) {
    auto got = file.read_at(buffer, out.size());
    EXPECT_TRUE(got) << (got ? 0 : got.error());
    if (!got || *got == 0) break;
    out.append(reinterpret_cast<const char*>(buffer.data()), *got);
  }
  return out;
}

inline std::string read_range(const File& file, std::uint64_t offset, std::size_t length) {
  std::vector<std::byte> buffer(length);
  auto got = file.read_at(buffer, offset);
  if (!got) return "error";
  return std::string(reinterpret_cast<const char*>(buffer.data()), *got);
}

}  // namespace pxed::vfs::testing
