// The header-text decisions of the HTTP server on hostile input: a decoded
// path never holds a NUL, a selected range always lies inside the file.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/request_logic.hpp"

namespace {
void require(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 8) return 0;
  // The first 8 bytes pick a file size, the rest is header text.
  std::uint64_t file_size = 0;
  for (int i = 0; i < 8; ++i) file_size = file_size << 8 | data[i];
  file_size %= std::uint64_t{1} << 40;
  std::string_view text(reinterpret_cast<const char*>(data + 8), size - 8);

  if (auto path = pxed::http::target_path(text)) {
    require(path->find('\0') == std::string::npos);
  }
  auto selection = pxed::http::select_range(text, file_size);
  if (selection.outcome == pxed::http::RangeOutcome::partial) {
    require(selection.range.length > 0);
    require(selection.range.first < file_size);
    require(selection.range.length <= file_size - selection.range.first);
  }
  (void)pxed::http::parse_http_date(text);
  (void)pxed::http::not_modified(text, text, "\"1-2\"", {});
  return 0;
}
