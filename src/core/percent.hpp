#pragma once
// RFC 3986 §2.1 percent-decoding, leniently: a '%' not followed by two hex
// digits stays as written (an iPXE query, a URL a user typed). Bytes come out
// as they are: the caller decides what a decoded NUL or '/' means.
#include <string>
#include <string_view>

namespace pxed::core {

std::string percent_decoded(std::string_view text);

}  // namespace pxed::core
