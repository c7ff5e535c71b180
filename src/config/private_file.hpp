#pragma once
// A file only its owner may read (the API's token, the answer files'
// secrets): read before privileges drop, refused when others could read or
// write it, so a secret never sits in a file pxed would leave open to them.
#include <cstddef>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>

namespace pxed::config {

struct PrivateFileLimits {
  std::size_t max_bytes = 4096;
  std::string_view too_big;  // what follows "N bytes: ", e.g. "a token file holds one token"
  std::string_view how_to_make;  // appended when it is missing: " (e.g. `...` as root)"
};

// Its content, or why it is refused: cannot be opened (a symbolic link
// included), not a regular file, readable or writable by group or others,
// owned by neither root nor the effective user, or bigger than max_bytes.
std::expected<std::string, std::string> read_private_file(const std::filesystem::path& path,
                                                          const PrivateFileLimits& limits);

}  // namespace pxed::config
