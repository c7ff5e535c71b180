#include "http/listing.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace pxed::http {
namespace {

using vfs::DirEntry;
constexpr std::int64_t kNov27 = 1'795'780'800;  // 2026-11-27T12:00:00Z

std::vector<DirEntry> sample() {
  return {
      {"boot", true, 0, kNov27},
      {"a <b> & \"c\" 'd'.txt", false, 12, kNov27},
      {"grüße 文件.bin", false, 1, kNov27 + 61},
      {"plain.bin", false, 1048576, 0},
  };
}

TEST(HtmlEscape, EscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(html_escape("a<b>&\"c\"'d'"), "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;");
  EXPECT_EQ(html_escape("plain grüße"), "plain grüße");
  EXPECT_EQ(html_escape(""), "");
}

TEST(PercentEncode, KeepsUnreservedAndEscapesEverythingElseByByte) {
  EXPECT_EQ(percent_encode_segment("A-z_0.9~"), "A-z_0.9~");
  EXPECT_EQ(percent_encode_segment("a b"), "a%20b");
  EXPECT_EQ(percent_encode_segment("a/b?c#d%e"), "a%2Fb%3Fc%23d%25e");
  EXPECT_EQ(percent_encode_segment("ü"), "%C3%BC");
  EXPECT_EQ(percent_encode_segment("<&\"'>"), "%3C%26%22%27%3E");
}

TEST(PercentEncode, EscapesColonSoARelativeHrefNeverReadsAsAScheme) {
  EXPECT_EQ(percent_encode_segment("javascript:alert(1)"), "javascript%3Aalert%281%29");
}

TEST(PercentEncode, PathKeepsItsSlashes) {
  EXPECT_EQ(percent_encode_path("sub/dir name/x#y"), "sub/dir%20name/x%23y");
  EXPECT_EQ(percent_encode_path(""), "");
}

TEST(DirectoryLocation, IsTheEncodedPathWithATrailingSlash) {
  EXPECT_EQ(directory_location("sub"), "/sub/");
  EXPECT_EQ(directory_location("sub/a b?"), "/sub/a%20b%3F/");
  EXPECT_EQ(directory_location(""), "/");
}

TEST(FormatUtc, IsRfc3339InUtc) {
  EXPECT_EQ(format_utc(std::chrono::sys_seconds(std::chrono::seconds(kNov27))), "2026-11-27T12:00:00Z");
  EXPECT_EQ(format_utc(std::chrono::sys_seconds(std::chrono::seconds(0))), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_utc(std::chrono::sys_seconds(std::chrono::seconds(-1))), "1969-12-31T23:59:59Z");
}

TEST(WantsJson, OnlyWhenAcceptNamesApplicationJson) {
  EXPECT_TRUE(wants_json("application/json"));
  EXPECT_TRUE(wants_json("text/html;q=0.5, Application/JSON"));
  EXPECT_FALSE(wants_json(""));
  EXPECT_FALSE(wants_json("*/*"));
  EXPECT_FALSE(wants_json("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
}

TEST(ListingHtml, HasTitleParentLinkAndOneRowPerEntry) {
  auto html = render_listing_html("sub/dir", sample());
  EXPECT_NE(html.find("<title>Index of /sub/dir/</title>"), std::string::npos);
  EXPECT_NE(html.find("<h1>Index of /sub/dir/</h1>"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"../\">../</a>"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"boot/\">boot/</a>"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"plain.bin\">plain.bin</a></td><td>1048576</td><td>1970-01-01T00:00:00Z"),
            std::string::npos);
  EXPECT_LT(html.find("boot/"), html.find("plain.bin"));  // the order given
}

TEST(ListingHtml, RootHasNoParentLink) {
  auto html = render_listing_html("", sample());
  EXPECT_NE(html.find("<title>Index of /</title>"), std::string::npos);
  EXPECT_EQ(html.find("../"), std::string::npos);
}

TEST(ListingHtml, HostileNamesAreEncodedInHrefAndEscapedInText) {
  auto html = render_listing_html("", sample());
  EXPECT_NE(html.find("<a href=\"a%20%3Cb%3E%20%26%20%22c%22%20%27d%27.txt\">"
                      "a &lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;.txt</a>"),
            std::string::npos)
      << html;
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"gr%C3%BC%C3%9Fe%20%E6%96%87%E4%BB%B6.bin\">grüße 文件.bin</a>"),
            std::string::npos);
}

TEST(ListingHtml, HostileDirectoryNameInTitleIsEscaped) {
  auto html = render_listing_html("<script>x", {});
  EXPECT_NE(html.find("<title>Index of /&lt;script&gt;x/</title>"), std::string::npos);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
}

TEST(ListingJson, ParsesBackToTheEntries) {
  auto entries = sample();
  auto parsed = nlohmann::json::parse(render_listing_json(entries));
  ASSERT_TRUE(parsed.is_array());
  ASSERT_EQ(parsed.size(), entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(parsed[i]["name"], entries[i].name);
    EXPECT_EQ(parsed[i]["type"], entries[i].directory ? "directory" : "file");
    EXPECT_EQ(parsed[i]["size"], entries[i].size);
  }
  EXPECT_EQ(parsed[0]["mtime"], "2026-11-27T12:00:00Z");
  EXPECT_EQ(parsed[2]["mtime"], "2026-11-27T12:01:01Z");
}

TEST(ListingJson, ExactShape) {
  std::vector<DirEntry> one{{"x", false, 1, kNov27}};
  EXPECT_EQ(render_listing_json(one), R"([{"mtime":"2026-11-27T12:00:00Z","name":"x","size":1,"type":"file"}])");
  EXPECT_EQ(render_listing_json({}), "[]");
}

TEST(ListingJson, NameThatIsNotUtf8DoesNotThrow) {
  std::vector<DirEntry> odd{{std::string("bad\xff\xfe name"), false, 1, 0}};
  std::string json;
  EXPECT_NO_THROW(json = render_listing_json(odd));
  auto parsed = nlohmann::json::parse(json);
  EXPECT_EQ(parsed[0]["name"], "bad\xEF\xBF\xBD\xEF\xBF\xBD name");
}

TEST(ListingJson, ControlCharactersAndQuotesInNamesAreEscaped) {
  std::vector<DirEntry> odd{{"a\"b\\c\nd", false, 0, 0}};
  auto json = render_listing_json(odd);
  EXPECT_NE(json.find(R"("a\"b\\c\nd")"), std::string::npos) << json;
}

}  // namespace
}  // namespace pxed::http
