#pragma once
// [api] token_file: the bearer token the API's writes need. serve reads it
// before privileges drop and `pxed check` runs the same checks, so a file
// serve would refuse is reported by check too.
#include <expected>
#include <string>

#include "config/config.hpp"

namespace pxed::config {

inline constexpr std::size_t kMaxTokenFile = 4096;

// The token ("" when token_file is unset: writes are off), or why the file is
// refused: not a regular file, readable or writable by group or others, owned
// by neither root nor the user pxed runs as, empty, or not one word.
std::expected<std::string, ConfigError> read_api_token(const Config& cfg);

}  // namespace pxed::config
