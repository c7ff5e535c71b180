#include "api/ui.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace pxed::api {
namespace {

struct TypeOf {
  std::string_view extension;
  std::string_view content_type;
};
constexpr std::array kTypes{
    TypeOf{".html", "text/html; charset=utf-8"},
    TypeOf{".js", "text/javascript; charset=utf-8"},
    TypeOf{".css", "text/css; charset=utf-8"},
    TypeOf{".svg", "image/svg+xml"},
};

std::string_view content_type_of(std::string_view name) {
  for (const auto& t : kTypes) {
    if (name.ends_with(t.extension)) return t.content_type;
  }
  return "application/octet-stream";
}

constexpr std::string_view kUiBare = kUiPrefix.substr(0, kUiPrefix.size() - 1);  // "/ui"

// Only our own files run in the page: an injected script or a copied-in
// <script src> from elsewhere is refused by the browser. Framing is refused
// too, so no other site can dress the dashboard up as its own.
constexpr std::string_view kPolicy = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

http::Answer answer_with(unsigned status, std::string body, std::string_view content_type) {
  http::Answer a{.status = status, .body = std::move(body), .content_type = std::string(content_type),
                 .reason = {}, .feed = nullptr};
  a.headers = {{"Content-Security-Policy", std::string(kPolicy)},
               {"X-Content-Type-Options", "nosniff"},
               {"Referrer-Policy", "no-referrer"}};
  return a;
}

}  // namespace

std::optional<http::Answer> ui_answer(const http::Call& call) {
  if (call.path == kUiBare) {
    auto a = answer_with(301, "301 Moved Permanently\n", "text/plain");
    a.headers.emplace_back("Location", std::string(kUiPrefix));
    return a;
  }
  if (!call.path.starts_with(kUiPrefix)) return std::nullopt;
  auto name = call.path.substr(kUiPrefix.size());
  if (name.empty()) name = "index.html";
  const auto files = ui_files();
  const auto file = std::ranges::find(files, name, &EmbeddedFile::name);
  if (file == files.end()) return std::nullopt;
  return answer_with(200, std::string(file->bytes), content_type_of(name));
}

http::Routes ui_routes() {
  return {{std::string(kUiPrefix), ui_answer}, {std::string(kUiBare), ui_answer}};
}

}  // namespace pxed::api
