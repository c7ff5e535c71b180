#include <gtest/gtest.h>

#include "iso_test_support.hpp"

namespace pxed::iso {
namespace {

using namespace pxed::iso::testing;

TEST(VolumeInfo, ReadsThePrimaryDescriptorsIdentifiers) {
  PXED_REQUIRE_XORRISO();
  TempDir dir;
  write_file(dir.path() / "tree/install.amd/vmlinuz", "kernel");
  auto bytes = make_iso(dir.path() / "tree", dir.path() / "v.iso",
                        "-R -J -V 'Debian 11.5.0 amd64 n' -sysid LINUX -publisher 'Debian Project' "
                        "-A 'Debian netinst' -p 'pxed tests' -volset 'Debian 11 set'");
  ASSERT_FALSE(bytes.empty());
  auto image = Image::open(memory_reader(bytes), bytes.size());
  ASSERT_TRUE(image) << image.error();
  ASSERT_TRUE(image->volume_info());
  const VolumeInfo& v = *image->volume_info();
  EXPECT_EQ(v.volume_id, "Debian 11.5.0 amd64 n");
  EXPECT_EQ(v.system_id, "LINUX");
  // ECMA-119 8.4.14-16 allow upper case only there: xorriso folds them, as real media show.
  EXPECT_EQ(v.publisher_id, "DEBIAN PROJECT");
  EXPECT_EQ(v.application_id, "DEBIAN NETINST");
  EXPECT_EQ(v.data_preparer_id, "PXED TESTS");
  EXPECT_EQ(v.volume_set_id, "Debian 11 set");
  // The volume space xorriso recorded: whole 2 KiB blocks, within the file.
  EXPECT_GT(v.volume_size, 0u);
  EXPECT_EQ(v.volume_size % 2048, 0u);
  EXPECT_LE(v.volume_size, bytes.size());
}

TEST(VolumeInfo, IsThePrimaryDescriptorsEvenWhenJolietNamesTheVolume) {
  PXED_REQUIRE_XORRISO();
  TempDir dir;
  write_file(dir.path() / "tree/a", "a");
  // Without Rock Ridge the Joliet names are in use.
  auto bytes = make_iso(dir.path() / "tree", dir.path() / "j.iso", "--norock -J -V 'CentOS 7 x86_64' -sysid LINUX");
  ASSERT_FALSE(bytes.empty());
  auto image = Image::open(memory_reader(bytes), bytes.size());
  ASSERT_TRUE(image) << image.error();
  EXPECT_EQ(image->naming(), Naming::joliet);
  ASSERT_TRUE(image->volume_info());
  EXPECT_EQ(image->volume_info()->volume_id, "CentOS 7 x86_64");
  EXPECT_EQ(image->volume_info()->system_id, "LINUX");
}

}  // namespace
}  // namespace pxed::iso
