#include "import/dnsmasq_conf.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace pxed::import {
namespace {

// Files and directories in memory: what `pxed import` reads from disk.
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

std::vector<std::string> texts(const std::vector<ConfLine>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines) out.push_back(l.file + ":" + std::to_string(l.line) + ": " + l.text());
  return out;
}

TEST(DnsmasqConf, ReadsOptionsFlagsAndCommentsWithTheirLines) {
  FakeFiles fs;
  fs.files["a.conf"] =
      "# a comment\n"
      "\n"
      "  enable-tftp  \n"
      "tftp-root=/srv/#tftp   # a comment after a blank\n"
      "pxe-prompt=\"Press # for menu\",5\r\n";
  std::vector<Note> notes;
  auto lines = read_conf("a.conf", fs.sources(), notes);
  ASSERT_TRUE(lines);
  EXPECT_EQ(texts(*lines), (std::vector<std::string>{"a.conf:3: enable-tftp", "a.conf:4: tftp-root=/srv/#tftp",
                                                     "a.conf:5: pxe-prompt=\"Press # for menu\",5"}));
  EXPECT_FALSE((*lines)[0].has_value);
  EXPECT_TRUE(notes.empty());
}

TEST(DnsmasqConf, AnUnreadableFileIsTheOnlyError) {
  FakeFiles fs;
  std::vector<Note> notes;
  auto lines = read_conf("missing.conf", fs.sources(), notes);
  ASSERT_FALSE(lines);
  EXPECT_EQ(lines.error(), "missing.conf: No such file or directory");
}

TEST(DnsmasqConf, IncludedFilesStandWhereTheirConfFileLineStood) {
  FakeFiles fs;
  fs.files["main.conf"] = "port=0\nconf-file=pxe.conf\nlog-dhcp\n";
  fs.files["pxe.conf"] = "enable-tftp\n";
  std::vector<Note> notes;
  auto lines = read_conf("main.conf", fs.sources(), notes);
  ASSERT_TRUE(lines);
  EXPECT_EQ(texts(*lines), (std::vector<std::string>{"main.conf:1: port=0", "pxe.conf:1: enable-tftp",
                                                     "main.conf:3: log-dhcp"}));
}

TEST(DnsmasqConf, AnUnreadableOrLoopingIncludeIsANoteAtItsLine) {
  FakeFiles fs;
  fs.files["main.conf"] = "conf-file=gone.conf\nconf-file=main.conf\nenable-tftp\n";
  std::vector<Note> notes;
  auto lines = read_conf("main.conf", fs.sources(), notes);
  ASSERT_TRUE(lines);
  EXPECT_EQ(texts(*lines), std::vector<std::string>{"main.conf:3: enable-tftp"});
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0].to_string(),
            "main.conf:1: conf-file=gone.conf: not translated: cannot read gone.conf: No such file or directory");
  EXPECT_EQ(notes[1].line, 2u);
  EXPECT_NE(notes[1].why.find("loop"), std::string::npos);
}

TEST(DnsmasqConf, ConfDirReadsItsFilesInOrderThroughItsFilters) {
  FakeFiles fs;
  fs.files["main.conf"] = "conf-dir=/etc/dnsmasq.d/,*.conf\nconf-dir=/etc/more,.bak\n";
  fs.dirs["/etc/dnsmasq.d/"] = {"b.conf", "a.conf", "c.txt", ".hidden.conf", "#d.conf#", "e.conf~"};
  fs.dirs["/etc/more"] = {"x", "y.bak"};
  fs.files["/etc/dnsmasq.d/a.conf"] = "enable-tftp\n";
  fs.files["/etc/dnsmasq.d/b.conf"] = "log-dhcp\n";
  fs.files["/etc/more/x"] = "port=0\n";
  std::vector<Note> notes;
  auto lines = read_conf("main.conf", fs.sources(), notes);
  ASSERT_TRUE(lines);
  EXPECT_EQ(texts(*lines),
            (std::vector<std::string>{"/etc/dnsmasq.d/a.conf:1: enable-tftp", "/etc/dnsmasq.d/b.conf:1: log-dhcp",
                                      "/etc/more/x:1: port=0"}));
  EXPECT_TRUE(notes.empty());
}

TEST(DnsmasqConf, IncludesThatFanOutStopAfterAThousandFiles) {
  FakeFiles fs;
  // Every file includes six directories of two files each, which include them
  // all again: twelve files, met along more chains than anyone could read.
  std::string text;
  for (const auto* dir : {"/a", "/b", "/c", "/d", "/e", "/f"}) {
    fs.dirs[dir] = {"x.conf", "y.conf"};
    text += std::string("conf-dir=") + dir + "\n";
  }
  fs.files["main.conf"] = text;
  for (const auto& [dir, names] : fs.dirs) {
    for (const auto& name : names) fs.files[dir + "/" + name] = text;
  }
  std::vector<Note> notes;
  auto lines = read_conf("main.conf", fs.sources(), notes);
  ASSERT_TRUE(lines);
  EXPECT_TRUE(lines->empty());
  EXPECT_TRUE(std::ranges::any_of(notes, [](const Note& n) { return n.why.contains("more than 1000 files"); }));
}

TEST(DnsmasqConf, ConfDirKeepsEveryNameWithoutFilters) {
  EXPECT_EQ(conf_dir_files({"b", "a.bak", ".x", "c~"}, {}), (std::vector<std::string>{"a.bak", "b"}));
  EXPECT_EQ(conf_dir_files({"a.conf", "b.bak", "c.conf"}, {".bak", "*.conf"}),
            (std::vector<std::string>{"a.conf", "c.conf"}));
}

TEST(DnsmasqConf, SplitsArgumentsOutsideQuotesAndUnescapes) {
  EXPECT_EQ(split_args("x86PC, \"Boot, then install\" ,pxelinux"),
            (std::vector<std::string>{"x86PC", "Boot, then install", "pxelinux"}));
  EXPECT_EQ(split_args(R"("say \"hi\"\tx",,end)"), (std::vector<std::string>{"say \"hi\"\tx", "", "end"}));
  EXPECT_TRUE(split_args("").empty());
}

}  // namespace
}  // namespace pxed::import
