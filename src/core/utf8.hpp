#pragma once
// UTF-8 as RFC 3629 has it: no overlong forms, no surrogates, nothing past
// U+10FFFF. TOML files and strings must be UTF-8; a config is checked before
// toml11 reads it (toml11 3.7 reads past the end of a literal string that
// ends in a lead byte).
#include <cstddef>
#include <string_view>

namespace pxed::core {

// The offset of the first byte that does not start a well-formed sequence;
// npos when every byte does.
std::size_t first_invalid_utf8(std::string_view text);

inline bool valid_utf8(std::string_view text) { return first_invalid_utf8(text) == std::string_view::npos; }

}  // namespace pxed::core
