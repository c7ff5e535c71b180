// The mount table: the longest mount point holding a path wins, and a
// listing learns which mount points sit below a directory.
#include "vfs/mount_table.hpp"

#include <gtest/gtest.h>

namespace pxed::vfs {
namespace {

Mount with_kind(Mount::Kind kind) {
  Mount m;
  m.kind = kind;
  return m;
}

TEST(MountTable, TheLongestMountPointHoldingAPathWins) {
  MountTable table;
  table.put("iso", with_kind(Mount::Kind::empty));
  table.put("iso/debian", with_kind(Mount::Kind::image));
  auto [mount, inner] = table.find("iso/debian/install.amd/vmlinuz");
  ASSERT_NE(mount, nullptr);
  EXPECT_EQ(mount->kind, Mount::Kind::image);
  EXPECT_EQ(inner, "install.amd/vmlinuz");
  auto [iso, rest] = table.find("iso/debianx");  // a longer name is not inside "iso/debian"
  ASSERT_NE(iso, nullptr);
  EXPECT_EQ(iso->kind, Mount::Kind::empty);
  EXPECT_EQ(rest, "debianx");
  EXPECT_EQ(table.find("iso/debian").second, "");
  EXPECT_EQ(table.find("other/file").first, nullptr);
  EXPECT_EQ(table.find("").first, nullptr);
}

TEST(MountTable, ChildrenAreTheNextSegmentOfEachMountBelowEachOnce) {
  MountTable table;
  table.put("a", with_kind(Mount::Kind::empty));
  table.put("a-b", with_kind(Mount::Kind::empty));
  table.put("a/b", with_kind(Mount::Kind::empty));
  table.put("a/c/d", with_kind(Mount::Kind::empty));
  table.put("ab/x", with_kind(Mount::Kind::empty));
  EXPECT_EQ(table.children(""), (std::vector<std::string>{"a", "a-b", "ab"}));
  EXPECT_EQ(table.children("a"), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(table.children("a/c"), (std::vector<std::string>{"d"}));
  EXPECT_TRUE(table.children("a/b").empty());
  EXPECT_TRUE(table.children("zzz").empty());
}

TEST(MountTable, NewestMtimeIsOfTheMountAndEveryMountBelowIt) {
  MountTable table;
  auto dated = [](std::int64_t mtime_ns) {
    Mount m = with_kind(Mount::Kind::image);
    m.mtime_ns = mtime_ns;
    return m;
  };
  table.put("iso", with_kind(Mount::Kind::empty));
  table.put("iso/debian", dated(100));
  table.put("iso/rocky", dated(300));
  table.put("iso-old", dated(900));  // sorts between "iso" and "iso/": not below "iso"
  table.put("os/el/7", dated(200));
  EXPECT_EQ(table.newest_mtime_ns("iso"), 300);
  EXPECT_EQ(table.newest_mtime_ns("iso/debian"), 100);
  EXPECT_EQ(table.newest_mtime_ns("os"), 200);  // a directory on the way to a mount
  EXPECT_EQ(table.newest_mtime_ns("iso-old"), 900);
  EXPECT_EQ(table.newest_mtime_ns("nothing"), 0);
}

TEST(MountTable, PutReplacesAndRemoveForgets) {
  MountTable table;
  table.put("x", with_kind(Mount::Kind::empty));
  table.put("x", with_kind(Mount::Kind::directory));
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.find("x/y").first->kind, Mount::Kind::directory);
  EXPECT_TRUE(table.remove("x"));
  EXPECT_FALSE(table.remove("x"));
  EXPECT_FALSE(table.contains("x"));
}

}  // namespace
}  // namespace pxed::vfs
