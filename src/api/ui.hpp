#pragma once
// The dashboard at /ui/ (docs/api.md): a page, its script and its style,
// built into the binary from src/api/ui/ (cmake/embed.cmake), so pxed serves
// it with no install path, no CDN and nothing a user can break by editing the
// tree. The page reads the JSON API and the event stream like any client.
#include <optional>
#include <span>
#include <string_view>

#include "http/routes.hpp"

namespace pxed::api {

inline constexpr std::string_view kUiPrefix = "/ui/";

struct EmbeddedFile {
  std::string_view name;   // "app.js": its path under /ui/
  std::string_view bytes;
};

// The files of src/api/ui/ as they were at build time (generated source).
std::span<const EmbeddedFile> ui_files();

// "/ui/" and its files; "/ui" redirects to "/ui/" (relative links need the
// slash); nullopt (404) for a name that is not one of the files.
std::optional<http::Answer> ui_answer(const http::Call& call);
http::Routes ui_routes();

}  // namespace pxed::api
