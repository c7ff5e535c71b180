#include "import/nginx_conf.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

namespace pxed::import {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct FakeFiles {
  std::map<std::string, std::string> files;
  std::map<std::string, std::vector<std::string>> dirs;

  ConfSources sources() {
    return {[this](const std::string& path) -> std::expected<std::string, std::string> {
              auto it = files.find(path);
              if (it == files.end()) return std::unexpected(std::string("No such file or directory"));
              return it->second;
            },
            [this](const std::string& dir) -> std::expected<std::vector<std::string>, std::string> {
              auto it = dirs.find(dir);
              if (it == dirs.end()) return std::unexpected(std::string("No such file or directory"));
              return it->second;
            }};
  }
};

// Every directive as "file:line: name args", nested ones indented by depth.
void flatten(const std::vector<NginxDirective>& in, std::vector<std::string>& out, const std::string& indent = "") {
  for (const auto& d : in) {
    out.push_back(indent + d.file + ":" + std::to_string(d.line) + ": " + d.text());
    flatten(d.block, out, indent + "  ");
  }
}

std::vector<std::string> flat(const std::vector<NginxDirective>& in) {
  std::vector<std::string> out;
  flatten(in, out);
  return out;
}

std::vector<std::string> notes_of(const std::vector<Note>& notes) {
  std::vector<std::string> out;
  for (const auto& n : notes) out.push_back(n.to_string());
  return out;
}

TEST(NginxConf, ReadsDirectivesBlocksAndCommentsWithTheirLines) {
  auto parsed = parse_nginx(
      "# the seed's site\n"
      "server {\n"
      "    listen 80 default_server;   # IPv4\n"
      "    root /srv/tftp;\n"
      "    location /iso/ { alias /srv/iso/; autoindex on; }\n"
      "}\n",
      "site");
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_THAT(flat(*parsed), ElementsAre("site:2: server {...}", "  site:3: listen 80 default_server;",
                                         "  site:4: root /srv/tftp;", "  site:5: location /iso/ {...}",
                                         "    site:5: alias /srv/iso/;", "    site:5: autoindex on;"));
}

TEST(NginxConf, QuotesAndEscapesAsNginxReadsThem) {
  auto parsed = parse_nginx(
      "root \"/srv/my files\";\n"
      "alias '/srv/it''s';\n"  // nginx: a closing quote must be followed by a blank: an error
      "",
      "q");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error(), "q:2: unexpected \"'\"");

  parsed = parse_nginx("root \"/srv/a \\\"b\\\"\";\nalias '/x;y' ;\nadd_header X a\\ b;\nset $v \"tab\\there\";\n", "q");
  ASSERT_TRUE(parsed) << parsed.error();
  ASSERT_EQ(parsed->size(), 4u);
  EXPECT_EQ((*parsed)[0].args[1], "/srv/a \"b\"");
  EXPECT_EQ((*parsed)[1].args[1], "/x;y");
  EXPECT_EQ((*parsed)[2].args.size(), 3u);  // the escaped blank stays in the word
  EXPECT_EQ((*parsed)[2].args[2], "a\\ b");
  EXPECT_EQ((*parsed)[3].args[2], "tab\there");
}

TEST(NginxConf, HashInsideAWordIsNoComment) {
  auto parsed = parse_nginx("root /srv/#tftp; # comment\nlisten 80;", "h");
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_THAT(flat(*parsed), ElementsAre("h:1: root /srv/#tftp;", "h:2: listen 80;"));
}

TEST(NginxConf, ABraceAfterADollarIsAVariableNotABlock) {
  auto parsed = parse_nginx("location / { return 200 ${host}x; }", "v");
  ASSERT_TRUE(parsed) << parsed.error();
  ASSERT_EQ(parsed->size(), 1u);
  ASSERT_EQ((*parsed)[0].block.size(), 1u);
  EXPECT_EQ((*parsed)[0].block[0].args.back(), "${host}x");
}

TEST(NginxConf, SyntaxErrorsNameFileAndLineAsNginxDoes) {
  EXPECT_EQ(parse_nginx("server {\n  root /x;\n", "a").error(), "a:3: unexpected end of file, expecting \"}\"");
  EXPECT_EQ(parse_nginx("root /x", "b").error(), "b:1: unexpected end of file, expecting \";\" or \"}\"");
  EXPECT_EQ(parse_nginx("root /x;\n}\n", "c").error(), "c:2: unexpected \"}\"");
  EXPECT_EQ(parse_nginx("server { root /x }\n", "d").error(), "d:1: unexpected \"}\"");
  EXPECT_EQ(parse_nginx("\n;", "e").error(), "e:2: unexpected \";\"");
  EXPECT_EQ(parse_nginx("root \"/x;\n", "f").error(), "f:2: unexpected end of file, expecting a closing quote");
}

TEST(NginxConf, DeepNestingIsAnErrorNotACrash) {
  std::string text;
  for (int i = 0; i < 10000; ++i) text += "a {";
  auto parsed = parse_nginx(text, "deep");
  ASSERT_FALSE(parsed);
  EXPECT_THAT(parsed.error(), ::testing::HasSubstr("nested deeper than"));
}

TEST(NginxConf, IncludesStandWhereTheIncludeWasRelativeToTheMainFile) {
  FakeFiles fs;
  fs.files["/etc/nginx/nginx.conf"] =
      "events {}\n"
      "http {\n"
      "  include mime.types;\n"
      "  include /etc/nginx/sites-enabled/*;\n"
      "  include conf.d/*.conf;\n"  // matches nothing: nginx includes nothing, silently
      "}\n";
  fs.files["/etc/nginx/mime.types"] = "types { text/html html; }\n";
  fs.dirs["/etc/nginx/sites-enabled"] = {"default", ".hidden", "pxe"};
  fs.files["/etc/nginx/sites-enabled/default"] = "server { root /var/www/html; }\n";
  fs.files["/etc/nginx/sites-enabled/pxe"] = "server {\n  include snippets/pxe.conf;\n}\n";
  fs.files["/etc/nginx/snippets/pxe.conf"] = "root /srv/tftp;\n";
  fs.dirs["/etc/nginx/conf.d"] = {};
  std::vector<Note> notes;
  auto top = read_nginx("/etc/nginx/nginx.conf", fs.sources(), notes);
  ASSERT_TRUE(top) << top.error();
  EXPECT_THAT(notes_of(notes), IsEmpty());
  EXPECT_THAT(flat(*top),
              ElementsAre("/etc/nginx/nginx.conf:1: events {...}", "/etc/nginx/nginx.conf:2: http {...}",
                          "  /etc/nginx/mime.types:1: types {...}", "    /etc/nginx/mime.types:1: text/html html;",
                          "  /etc/nginx/sites-enabled/default:1: server {...}",
                          "    /etc/nginx/sites-enabled/default:1: root /var/www/html;",
                          "  /etc/nginx/sites-enabled/pxe:1: server {...}",
                          "    /etc/nginx/snippets/pxe.conf:1: root /srv/tftp;"));
}

TEST(NginxConf, AnUnreadableLoopingOrMalformedIncludeIsANoteAndTheRestIsRead) {
  FakeFiles fs;
  fs.files["n.conf"] = "include missing.conf;\ninclude self.conf;\ninclude bad.conf;\nroot /srv;\n";
  fs.files["self.conf"] = "include self.conf;\n";
  fs.files["bad.conf"] = "server {\n";
  std::vector<Note> notes;
  auto top = read_nginx("n.conf", fs.sources(), notes);
  ASSERT_TRUE(top) << top.error();
  EXPECT_THAT(flat(*top), ElementsAre("n.conf:4: root /srv;"));
  EXPECT_THAT(notes_of(notes),
              ElementsAre("n.conf:1: include missing.conf;: not translated: cannot read missing.conf: No such file "
                          "or directory",
                          "self.conf:1: include self.conf;: not translated: includes self.conf again (a loop): read "
                          "once, not again here",
                          "n.conf:3: include bad.conf;: not translated: not read: bad.conf:2: unexpected end of file, "
                          "expecting \"}\""));
}

TEST(NginxConf, TheMainFileUnreadableOrMalformedIsAnError) {
  FakeFiles fs;
  std::vector<Note> notes;
  EXPECT_EQ(read_nginx("/nope", fs.sources(), notes).error(), "/nope: No such file or directory");
  fs.files["/bad"] = "http {";
  EXPECT_EQ(read_nginx("/bad", fs.sources(), notes).error(), "/bad:1: unexpected end of file, expecting \"}\"");
}

TEST(NginxConf, GlobsMatchLikeGlobAndSort) {
  EXPECT_THAT(glob_names("*.conf", {"b.conf", "a.conf", ".x.conf", "a.conf~", "c.txt"}),
              ElementsAre("a.conf", "b.conf"));
  EXPECT_THAT(glob_names("site-[ab]?", {"site-a1", "site-c1", "site-b22"}), ElementsAre("site-a1"));
  EXPECT_TRUE(has_glob("/etc/nginx/sites-enabled/*"));
  EXPECT_FALSE(has_glob("/etc/nginx/mime.types"));
}

}  // namespace
}  // namespace pxed::import
