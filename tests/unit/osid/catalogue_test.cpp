#include "osid/catalogue.hpp"

#include <gtest/gtest.h>

namespace pxed::osid {
namespace {

ImageFacts facts(std::string url, std::string volume_id = "X") {
  ImageFacts f;
  f.name = url;
  f.url_path = std::move(url);
  f.volume_id = volume_id;
  return f;
}

Identification debian() {
  Identification id;
  id.os = OsMatch{};
  id.os->short_id = "debian11";
  id.reason = "volume-id ...";
  return id;
}

Identification unknown() {
  Identification id;
  id.reason = "no osinfo-db media rule matches";
  return id;
}

TEST(Catalogue, AnIdentificationOfAReplacedImageIsDropped) {
  Catalogue c;
  const auto first = c.put(facts("/iso/a/", "old"), std::nullopt);
  const auto second = c.put(facts("/iso/a/", "new"), std::nullopt);
  EXPECT_NE(first, second);
  EXPECT_FALSE(c.identified("/iso/a/", first, debian()));
  ASSERT_FALSE(c.find("/iso/a/")->identification);
  EXPECT_TRUE(c.identified("/iso/a/", second, unknown()));
  EXPECT_EQ(c.find("/iso/a/")->image.volume_id, "new");
  EXPECT_FALSE(c.identified("/iso/gone/", second, debian()));
}

TEST(Catalogue, CountsImagesByOsWithUnknownForTheUnidentifiedAndThoseStillWaiting) {
  Catalogue c;
  c.put(facts("/iso/a/"), debian());
  c.put(facts("/iso/b/"), debian());
  c.put(facts("/iso/c/"), unknown());
  c.put(facts("/centos7/"), std::nullopt);
  EXPECT_EQ(c.count_by_os(), (std::map<std::string, std::size_t>{{"debian11", 2}, {"unknown", 2}}));
  ASSERT_EQ(c.unidentified().size(), 1u);
  EXPECT_EQ(c.unidentified()[0]->image.url_path, "/centos7/");
  EXPECT_TRUE(c.remove("/iso/a/"));
  EXPECT_FALSE(c.remove("/iso/a/"));
  EXPECT_EQ(c.count_by_os().at("debian11"), 1u);
}

TEST(Catalogue, EntriesComeInUrlOrder) {
  Catalogue c;
  c.put(facts("/iso/b/"), std::nullopt);
  c.put(facts("/centos7/"), std::nullopt);
  c.put(facts("/iso/a/"), std::nullopt);
  std::vector<std::string> urls;
  for (const auto* e : c.entries()) urls.push_back(e->image.url_path);
  EXPECT_EQ(urls, (std::vector<std::string>{"/centos7/", "/iso/a/", "/iso/b/"}));
}

TEST(Catalogue, AUdfOnlyImageIsUnknownWithTheReason) {
  Database db;
  const auto id = identify_image(db, std::nullopt);
  EXPECT_FALSE(id.os);
  EXPECT_NE(id.reason.find("UDF-only"), std::string::npos) << id.reason;
}

TEST(Catalogue, KindNamesInstallerAndLiveMedia) {
  OsMatch os;
  EXPECT_EQ(kind_of(os), "installer");
  os.live = true;
  EXPECT_EQ(kind_of(os), "live+installer");
  os.installer = false;
  EXPECT_EQ(kind_of(os), "live");
  os.live = false;
  EXPECT_EQ(kind_of(os), "other");
}

}  // namespace
}  // namespace pxed::osid
