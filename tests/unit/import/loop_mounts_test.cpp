#include "import/loop_mounts.hpp"

#include <gtest/gtest.h>

namespace pxed::import {
namespace {

TEST(LoopMounts, FstabLoopLinesNameTheirImage) {
  auto mounts = loop_mounts_in_fstab(
      "# <file system> <mount point> <type> <options> <dump> <pass>\n"
      "UUID=1234 / ext4 errors=remount-ro 0 1\n"
      "/srv/iso/CentOS-7-x86_64-Minimal-2009.iso /srv/tftp/centos7 iso9660 loop,ro 0 0\n"
      "/srv/iso/My\\040Disk.iso /srv/tftp/my\\040disk/ udf ro,loop=/dev/loop7 0 0\n"
      "/srv/iso/debian.iso /srv/tftp/debian iso9660 ro,nofail\n"  // an image file by its type, no loop option
      "/dev/sr0 /media/cdrom iso9660 ro,user,noauto 0 0\n"         // a drive, not an image
      "tmpfs /tmp tmpfs defaults 0 0\n",
      "/etc/fstab");
  ASSERT_EQ(mounts.size(), 3u);
  EXPECT_EQ(mounts[0].dir, "/srv/tftp/centos7");
  EXPECT_EQ(mounts[0].image, "/srv/iso/CentOS-7-x86_64-Minimal-2009.iso");
  EXPECT_EQ(mounts[0].origin, "/etc/fstab:3");
  EXPECT_FALSE(mounts[0].live);
  EXPECT_EQ(mounts[1].dir, "/srv/tftp/my disk");
  EXPECT_EQ(mounts[1].image, "/srv/iso/My Disk.iso");
  EXPECT_EQ(mounts[2].dir, "/srv/tftp/debian");
}

TEST(LoopMounts, MountinfoLoopDevicesNameTheirBackingFile) {
  const std::string text =
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
      "95 22 7:0 / /srv/tftp/centos7 ro,relatime shared:50 - iso9660 /dev/loop0 ro,nojoliet\n"
      "96 22 7:1 / /srv/tftp/win ro,relatime - udf /dev/loop1 ro\n"
      "97 22 7:2 / /srv/gone ro - iso9660 /dev/loop2 ro\n"
      "98 22 7:3 / /mnt/disk rw - ext4 /dev/loop3 rw\n";  // a loop-mounted disk image, not an ISO
  auto mounts = loop_mounts_in_mountinfo(text, "/proc/self/mountinfo", [](const std::string& loop) {
    if (loop == "loop0") return std::optional<std::string>("/srv/iso/centos.iso");
    if (loop == "loop1") return std::optional<std::string>("/srv/iso/win11.iso");
    if (loop == "loop2") return std::optional<std::string>("/srv/iso/old.iso (deleted)");
    return std::optional<std::string>("/srv/disk.img");
  });
  ASSERT_EQ(mounts.size(), 2u);
  EXPECT_EQ(mounts[0].dir, "/srv/tftp/centos7");
  EXPECT_EQ(mounts[0].image, "/srv/iso/centos.iso");
  EXPECT_TRUE(mounts[0].live);
  EXPECT_EQ(mounts[1].image, "/srv/iso/win11.iso");
}

TEST(LoopMounts, ALiveMountWinsOverFstab) {
  std::vector<LoopMount> mounts{{"/srv/a", "/old.iso", "/etc/fstab:1", false},
                                {"/srv/a", "/new.iso", "/proc/self/mountinfo", true}};
  ASSERT_NE(loop_mount_at(mounts, "/srv/a"), nullptr);
  EXPECT_EQ(loop_mount_at(mounts, "/srv/a")->image, "/new.iso");
  EXPECT_EQ(loop_mount_at(mounts, "/srv"), nullptr);
}

TEST(LoopMounts, NormalDirectories) {
  EXPECT_EQ(normal_dir("/srv/tftp/./centos7/"), "/srv/tftp/centos7");
  EXPECT_EQ(normal_dir("/srv//tftp/../iso"), "/srv/iso");
  EXPECT_EQ(normal_dir("/"), "/");
  EXPECT_EQ(normal_dir("html"), "");
}

}  // namespace
}  // namespace pxed::import
