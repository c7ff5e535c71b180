#include "api/ui.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "events/kind.hpp"

namespace pxed::api {
namespace {

const vfs::Requester kWho{};

std::optional<http::Answer> get(std::string_view path) {
  return ui_answer(http::Call{"GET", path, {}, {}, {}, kWho});
}

std::string header(const http::Answer& a, std::string_view name) {
  for (const auto& [n, v] : a.headers) {
    if (n == name) return v;
  }
  return {};
}

std::string_view file_named(std::string_view name) {
  for (const auto& f : ui_files()) {
    if (f.name == name) return f.bytes;
  }
  return {};
}

TEST(Ui, ServesThePageAtItsDirectoryWithItsOwnFilesOnly) {
  auto page = get("/ui/");
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->status, 200u);
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("<script src=\"app.js\""), std::string::npos);
  EXPECT_EQ(get("/ui/index.html")->body, page->body);
  EXPECT_EQ(header(*page, "Content-Security-Policy").rfind("default-src 'self'", 0), 0u);
  EXPECT_EQ(header(*page, "X-Content-Type-Options"), "nosniff");
}

TEST(Ui, NamesEachFilesType) {
  EXPECT_EQ(get("/ui/app.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(get("/ui/style.css")->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(get("/ui/icon.svg")->content_type, "image/svg+xml");
}

TEST(Ui, RedirectsTheBareNameSoRelativeLinksWork) {
  auto a = get("/ui");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->status, 301u);
  EXPECT_EQ(header(*a, "Location"), "/ui/");
}

TEST(Ui, AnUnknownFileIsNotFound) {
  EXPECT_FALSE(get("/ui/nope.js").has_value());
  EXPECT_FALSE(get("/ui/ui/app.js").has_value());
  EXPECT_FALSE(get("/uix").has_value());
}

TEST(Ui, TheBuiltInFilesAreTheOnesInTheTree) {
  ASSERT_FALSE(ui_files().empty());
  for (const auto& f : ui_files()) {
    std::ifstream in(std::string(PXED_SOURCE_DIR) + "/src/api/ui/" + std::string(f.name), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str(), f.bytes) << f.name << " changed after the build: rebuild";
  }
}

TEST(Ui, TheScriptListensForEveryKindTheStreamSends) {
  // EventSource hands a named message only to a listener of that name: a
  // kind missing from app.js would never reach the page.
  const auto script = file_named("app.js");
  for (const auto& k : events::kinds()) {
    EXPECT_NE(script.find("'" + std::string(k.name) + "'"), std::string_view::npos) << k.name;
  }
}

TEST(Ui, RoutesCoverTheDirectoryAndItsBareName) {
  auto routes = ui_routes();
  auto served = [&](std::string_view path) {
    return std::ranges::any_of(routes, [&](const http::Route& r) { return http::matches(r, path); });
  };
  EXPECT_TRUE(served("/ui"));
  EXPECT_TRUE(served("/ui/app.js"));
  EXPECT_FALSE(served("/uix"));
}

}  // namespace
}  // namespace pxed::api
