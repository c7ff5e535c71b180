// The osinfo-db installed on this machine (Debian's osinfo-db package), read
// as `pxed iso info` reads it. The volume ids below are what the database's
// own rules describe for those releases; skipped when the package is absent.
#include <gtest/gtest.h>

#include <filesystem>

#include "osid/identify.hpp"
#include "osid/load.hpp"

namespace pxed::osid {
namespace {

constexpr const char* kSystemDb = "/usr/share/osinfo";

class InstalledOsinfoDb : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::filesystem::is_directory(std::filesystem::path(kSystemDb) / "os"))
      db_ = new Database(load_database({kSystemDb}));
  }
  static void TearDownTestSuite() {
    delete db_;
    db_ = nullptr;
  }
  void SetUp() override {
    if (db_ == nullptr) GTEST_SKIP() << "osinfo-db is not installed (apt-get install osinfo-db)";
  }

  static Identification identify_volume(std::string volume_id, std::string system_id = "",
                                        std::uint64_t size = 0) {
    iso::VolumeInfo v;
    v.volume_id = std::move(volume_id);
    v.system_id = std::move(system_id);
    v.volume_size = size;
    return identify(*db_, v);
  }

  static inline Database* db_ = nullptr;
};

TEST_F(InstalledOsinfoDb, LoadsEveryFileAndEveryPatternCompiles) {
  EXPECT_GT(db_->oses().size(), 300u);
  EXPECT_GT(db_->media_count(), 1000u);
  for (const auto& p : db_->problems()) ADD_FAILURE() << p.source << ": " << p.message;
}

TEST_F(InstalledOsinfoDb, DebianNetinst) {
  auto id = identify_volume("Debian 11.5.0 amd64 n");
  ASSERT_TRUE(id.os) << id.reason;
  EXPECT_EQ(id.os->os_id, "http://debian.org/debian/11");
  EXPECT_EQ(id.os->distro, "debian");
  EXPECT_EQ(id.os->arch, "x86_64");
  EXPECT_EQ(id.os->kernel, "install.amd/vmlinuz");
  EXPECT_EQ(id.os->initrd, "install.amd/initrd.gz");
  EXPECT_TRUE(id.os->installer);
  EXPECT_FALSE(id.os->live);
}

TEST_F(InstalledOsinfoDb, UbuntuLiveServer) {
  auto id = identify_volume("Ubuntu-Server 22.04.1 LTS amd64");
  ASSERT_TRUE(id.os) << id.reason;
  EXPECT_EQ(id.os->os_id, "http://ubuntu.com/ubuntu/22.04");
  EXPECT_EQ(id.os->distro, "ubuntu");
  EXPECT_TRUE(id.os->live);
  EXPECT_EQ(id.os->kernel, "casper/vmlinuz");
  EXPECT_EQ(id.os->initrd, "casper/initrd");
}

TEST_F(InstalledOsinfoDb, CentosSevenNeedsTheReleasedDvdSize) {
  // osinfo-db tells CentOS 7 point releases apart by the image's size alone.
  auto id = identify_volume("CentOS 7 x86_64", "LINUX", 4148080640);
  ASSERT_TRUE(id.os) << id.reason;
  EXPECT_EQ(id.os->distro, "centos");
  EXPECT_EQ(id.os->version.substr(0, 1), "7");
  EXPECT_EQ(id.os->kernel, "isolinux/vmlinuz");

  auto rebuilt = identify_volume("CentOS 7 x86_64", "LINUX", 1 << 20);
  EXPECT_FALSE(rebuilt.os) << rebuilt.reason;
  EXPECT_NE(rebuilt.reason.find("volume-size"), std::string::npos) << rebuilt.reason;
}

TEST_F(InstalledOsinfoDb, FedoraServerDvd) {
  auto id = identify_volume("Fedora-S-dvd-x86_64-36", "LINUX");
  ASSERT_TRUE(id.os) << id.reason;
  EXPECT_EQ(id.os->os_id, "http://fedoraproject.org/fedora/36");
  EXPECT_EQ(id.os->distro, "fedora");
  EXPECT_EQ(id.os->kernel, "isolinux/vmlinuz");
}

TEST_F(InstalledOsinfoDb, AlpineStandard) {
  auto id = identify_volume("alpine-std 3.16.2 x86_64");
  ASSERT_TRUE(id.os) << id.reason;
  EXPECT_EQ(id.os->os_id, "http://alpinelinux.org/alpinelinux/3.16");
  EXPECT_EQ(id.os->arch, "x86_64");
}

TEST_F(InstalledOsinfoDb, WindowsTenByVolumeAndPublisher) {
  // win-10.d/*.xml add drivers to the same OS: its media must survive them.
  iso::VolumeInfo v;
  v.volume_id = "CCCOMA_X64FRE_EN-US_DV9";
  v.publisher_id = "MICROSOFT CORPORATION";
  auto id = identify(*db_, v);
  ASSERT_TRUE(id.os) << id.reason;
  EXPECT_EQ(id.os->os_id, "http://microsoft.com/win/10");
  EXPECT_EQ(id.os->family, "winnt");
  EXPECT_EQ(id.os->arch, "x86_64");
}

TEST_F(InstalledOsinfoDb, AnUnrelatedVolumeIsUnknownWithTheReason) {
  auto id = identify_volume("PXEDTEST", "LINUX");
  EXPECT_FALSE(id.os);
  EXPECT_NE(id.reason.find("no osinfo-db media rule matches volume-id \"PXEDTEST\""), std::string::npos)
      << id.reason;
}

}  // namespace
}  // namespace pxed::osid
