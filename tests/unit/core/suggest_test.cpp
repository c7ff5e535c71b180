#include "core/suggest.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pxed::core {
namespace {

TEST(Suggest, EditDistanceCountsInsertionsDeletionsAndSubstitutionsIgnoringCase) {
  EXPECT_EQ(edit_distance("lpxelinux.0", "pxelinux.0"), 1u);
  EXPECT_EQ(edit_distance("centos7", "CentOS7"), 0u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
}

TEST(Suggest, PrefersACaseSlipThenTheClosestWithinTheLimit) {
  const std::vector<std::string> names{"centos7-ks", "office", "Ubuntu"};
  EXPECT_EQ(nearest("ubuntu", names), "Ubuntu");
  EXPECT_EQ(nearest("centos7ks", names), "centos7-ks");
  EXPECT_EQ(nearest("ofice", names), "office");
  EXPECT_FALSE(nearest("debian", names));
  EXPECT_FALSE(nearest("x", std::vector<std::string>{}));
}

}  // namespace
}  // namespace pxed::core
