#include "osid/identify.hpp"

#include <gtest/gtest.h>

namespace pxed::osid {
namespace {

// Shaped like osinfo-db's own files (os/<vendor>/<name>.xml), cut to what
// identification reads.
constexpr std::string_view kDebian = R"(<?xml version="1.0"?>
<libosinfo version="0.0.1">
  <os id="http://debian.org/debian/11">
    <short-id>debian11</short-id>
    <short-id>debianbullseye</short-id>
    <name>Debian 11</name>
    <name xml:lang="de">Debian 11 (de)</name>
    <version>11</version>
    <vendor>Debian Project</vendor>
    <family>linux</family>
    <distro>debian</distro>
    <media arch="i686">
      <variant id="universal-netinst"/>
      <iso><volume-id>Debian 11.\d+.\d+ i386 n</volume-id></iso>
      <kernel>install.386/vmlinuz</kernel>
      <initrd>install.386/initrd.gz</initrd>
    </media>
    <media arch="x86_64">
      <variant id="universal-netinst"/>
      <iso><volume-id>Debian 11.\d+.\d+ amd64 n</volume-id></iso>
      <kernel>install.amd/vmlinuz</kernel>
      <initrd>install.amd/initrd.gz</initrd>
    </media>
  </os>
</libosinfo>
)";

constexpr std::string_view kUbuntuAndCentos = R"(<libosinfo version="0.0.1">
  <os id="http://ubuntu.com/ubuntu/22.04">
    <short-id>ubuntu22.04</short-id>
    <name>Ubuntu 22.04 LTS</name>
    <version>22.04</version>
    <family>linux</family>
    <distro>ubuntu</distro>
    <media arch="x86_64" live="true" installer-script="false">
      <iso><volume-id>Ubuntu-Server 22.04(.\d\+?)?(.\d\+?)? LTS amd64</volume-id></iso>
      <kernel>casper/vmlinuz</kernel>
      <initrd>casper/initrd</initrd>
    </media>
  </os>
  <os id="http://centos.org/centos/7.0">
    <short-id>centos7.0</short-id>
    <name>CentOS 7</name>
    <version>7.0</version>
    <family>linux</family>
    <distro>centos</distro>
    <media arch="x86_64">
      <iso>
        <system-id>LINUX</system-id>
        <volume-id>CentOS 7 x86_64</volume-id>
        <volume-size>4148080640</volume-size>
      </iso>
      <kernel>isolinux/vmlinuz</kernel>
      <initrd>isolinux/initrd.img</initrd>
    </media>
  </os>
</libosinfo>
)";

Database db_of(std::initializer_list<std::string_view> documents) {
  Database db;
  int n = 0;
  for (auto doc : documents) db.add_document(doc, "fixture-" + std::to_string(++n) + ".xml");
  return db;
}

iso::VolumeInfo volume(std::string volume_id, std::string system_id = "LINUX") {
  iso::VolumeInfo v;
  v.volume_id = std::move(volume_id);
  v.system_id = std::move(system_id);
  v.volume_size = 1 << 20;
  return v;
}

TEST(OsidDatabase, ReadsTheUntranslatedNameFirstShortIdAndMediaDefaults) {
  auto db = db_of({kDebian});
  ASSERT_EQ(db.oses().size(), 1u);
  const Os& os = db.oses()[0];
  EXPECT_EQ(os.id, "http://debian.org/debian/11");
  EXPECT_EQ(os.short_id, "debian11");
  EXPECT_EQ(os.name, "Debian 11");
  EXPECT_EQ(os.vendor, "Debian Project");
  EXPECT_EQ(os.release_status, "");
  ASSERT_EQ(os.media.size(), 2u);
  EXPECT_EQ(os.media[1].number, 2u);
  EXPECT_EQ(os.media[1].arch, "x86_64");
  EXPECT_TRUE(os.media[1].installer);
  EXPECT_FALSE(os.media[1].live);
  EXPECT_EQ(os.media[1].variant, "universal-netinst");
  EXPECT_TRUE(db.problems().empty());
}

TEST(OsidDatabase, ALaterDocumentOfTheSameIdAddsToIt) {
  // As osinfo-db's own win-10.d/*.xml add to win-10.xml, and libosinfo merges them.
  constexpr std::string_view kMore = R"(<libosinfo><os id="http://debian.org/debian/11">
    <version>11-local</version>
    <media arch="aarch64"><iso><volume-id>Debian 11.\d+.\d+ arm64 n</volume-id></iso></media>
  </os></libosinfo>)";
  auto db = db_of({kDebian, kUbuntuAndCentos, kMore});
  ASSERT_EQ(db.oses().size(), 3u);
  const Os& debian = db.oses()[0];
  EXPECT_EQ(debian.version, "11-local");
  EXPECT_EQ(debian.name, "Debian 11");  // not given again: kept
  ASSERT_EQ(debian.media.size(), 3u);
  EXPECT_EQ(debian.media[2].number, 3u);
  EXPECT_EQ(debian.media[2].arch, "aarch64");
  auto arm = identify(db, volume("Debian 11.5.0 arm64 n"));
  ASSERT_TRUE(arm.os) << arm.reason;
  EXPECT_EQ(arm.os->source, "fixture-3.xml");
  EXPECT_EQ(arm.os->media_number, 3u);
}

TEST(OsidDatabase, ABrokenDocumentOrPatternIsAProblemNotAFailure) {
  Database db;
  db.add_document("<libosinfo><os id='x'>", "broken.xml");
  db.add_document(R"(<libosinfo><os id="http://x/bad"><media><iso><volume-id>([</volume-id></iso></media></os></libosinfo>)",
                  "bad-regex.xml");
  db.add_document(kDebian, "debian.xml");
  ASSERT_EQ(db.problems().size(), 2u);
  EXPECT_EQ(db.problems()[0].source, "broken.xml");
  EXPECT_NE(db.problems()[1].message.find("does not compile"), std::string::npos) << db.problems()[1].message;
  EXPECT_EQ(db.oses().size(), 2u);
  EXPECT_TRUE(identify(db, volume("Debian 11.5.0 amd64 n")).os);
}

TEST(OsidIdentify, MatchesTheVolumeIdPatternOfTheRightArch) {
  auto db = db_of({kDebian});
  auto id = identify(db, volume("Debian 11.5.0 amd64 n"));
  ASSERT_TRUE(id.os) << id.reason;
  EXPECT_EQ(id.os->os_id, "http://debian.org/debian/11");
  EXPECT_EQ(id.os->arch, "x86_64");
  EXPECT_EQ(id.os->distro, "debian");
  EXPECT_EQ(id.os->family, "linux");
  EXPECT_EQ(id.os->kernel, "install.amd/vmlinuz");
  EXPECT_EQ(id.os->initrd, "install.amd/initrd.gz");
  EXPECT_TRUE(id.os->installer);
  EXPECT_FALSE(id.os->live);
  EXPECT_EQ(id.reason,
            R"(volume-id "Debian 11.5.0 amd64 n" ~ /Debian 11.\d+.\d+ amd64 n/ (http://debian.org/debian/11 media #2, fixture-1.xml))");
}

TEST(OsidIdentify, PatternsAreSearchedNotAnchored) {
  // libosinfo's GRegex match finds the pattern anywhere unless it anchors itself.
  auto db = db_of({kDebian});
  EXPECT_TRUE(identify(db, volume("xDebian 11.6.0 i386 nx")).os);
}

TEST(OsidIdentify, LiveMediaIsLiveAndEscapedPlusIsALiteral) {
  auto db = db_of({kUbuntuAndCentos});
  auto id = identify(db, volume("Ubuntu-Server 22.04.1 LTS amd64"));
  ASSERT_TRUE(id.os) << id.reason;
  EXPECT_TRUE(id.os->live);
  EXPECT_TRUE(id.os->installer);
  EXPECT_EQ(id.os->kernel, "casper/vmlinuz");
  EXPECT_TRUE(identify(db, volume("Ubuntu-Server 22.04 LTS amd64")).os);
}

TEST(OsidIdentify, EveryFieldTheRuleNamesMustMatchVolumeSizeIncluded) {
  auto db = db_of({kUbuntuAndCentos});
  auto v = volume("CentOS 7 x86_64");
  auto small = identify(db, v);
  EXPECT_FALSE(small.os);
  EXPECT_NE(small.reason.find("nearest: http://centos.org/centos/7.0 media #1"), std::string::npos) << small.reason;
  EXPECT_NE(small.reason.find("volume-size 1048576 != 4148080640"), std::string::npos) << small.reason;

  v.volume_size = 4148080640;
  auto dvd = identify(db, v);
  ASSERT_TRUE(dvd.os) << dvd.reason;
  EXPECT_NE(dvd.reason.find(R"(system-id "LINUX" ~ /LINUX/)"), std::string::npos) << dvd.reason;
  EXPECT_NE(dvd.reason.find("volume-size = 4148080640"), std::string::npos) << dvd.reason;

  v.system_id.clear();
  auto no_system = identify(db, v);
  EXPECT_FALSE(no_system.os);
  EXPECT_NE(no_system.reason.find("system-id is empty"), std::string::npos) << no_system.reason;
}

TEST(OsidIdentify, UnknownSaysWhatWasComparedAgainstWhat) {
  auto db = db_of({kDebian, kUbuntuAndCentos});
  auto id = identify(db, volume("MY_OWN_DISC", "LINUX"));
  EXPECT_FALSE(id.os);
  EXPECT_EQ(id.reason,
            R"(no osinfo-db media rule matches volume-id "MY_OWN_DISC" system-id "LINUX" publisher-id "" application-id "" (4 rules of 3 OSes))");
}

TEST(OsidIdentify, AnEmptyDatabaseOrDescriptorIsNamedAsTheReason) {
  Database empty;
  empty.set_origin("/nonexistent");
  auto id = identify(empty, volume("Debian 11.5.0 amd64 n"));
  EXPECT_FALSE(id.os);
  EXPECT_NE(id.reason.find("no osinfo-db entries loaded from /nonexistent"), std::string::npos) << id.reason;

  auto blank = identify(db_of({kDebian}), iso::VolumeInfo{});
  EXPECT_FALSE(blank.os);
  EXPECT_EQ(blank.reason, "the primary volume descriptor has no volume id");
}

TEST(OsidIdentify, AMediaEntryWithNoIsoRuleNeverMatches) {
  auto db = db_of({R"(<libosinfo><os id="http://x/any"><media arch="x86_64"><kernel>k</kernel></media></os></libosinfo>)"});
  EXPECT_FALSE(identify(db, volume("anything")).os);
}

TEST(OsidIdentify, RollingEntriesMatchOnlyWhenNoReleaseDoes) {
  auto db = db_of({R"(<libosinfo>
    <os id="http://x/rolling"><release-status>rolling</release-status>
      <media><iso><volume-id>^ACME</volume-id></iso></media></os>
    <os id="http://x/acme/2"><media><iso><volume-id>^ACME 2</volume-id></iso></media></os>
    </libosinfo>)"});
  auto two = identify(db, volume("ACME 2"));
  ASSERT_TRUE(two.os);
  EXPECT_EQ(two.os->os_id, "http://x/acme/2");
  EXPECT_EQ(two.also_matched, std::vector<std::string>{"http://x/rolling"});
  auto three = identify(db, volume("ACME 3"));
  ASSERT_TRUE(three.os);
  EXPECT_EQ(three.os->os_id, "http://x/rolling");
}

}  // namespace
}  // namespace pxed::osid
