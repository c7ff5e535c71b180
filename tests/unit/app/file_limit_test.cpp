#include "app/file_limit.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace pxed::app {
namespace {

TEST(FileLimit, TheDefaultCapsNeedMoreThanAShellsSoftLimit) {
  config::Config cfg;
  cfg.tftp.enabled = true;
  cfg.http.enabled = true;
  EXPECT_GT(descriptors_needed(cfg), 1024u);
  const auto both = descriptors_needed(cfg);
  cfg.http.enabled = false;
  EXPECT_EQ(both - descriptors_needed(cfg), 2u * cfg.http.max_connections);
  cfg.tftp.max_transfers += 10;
  EXPECT_EQ(descriptors_needed(cfg) - (both - 2u * cfg.http.max_connections), 20u);
}

TEST(FileLimit, RaisesTheSoftLimitToTheHardOne) {
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  if (saved.rlim_max < 1024) GTEST_SKIP() << "hard limit below 1024";
  rlimit low{512, saved.rlim_max};
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  auto raised = raise_file_limit();
  rlimit now{};
  ::getrlimit(RLIMIT_NOFILE, &now);
  ::setrlimit(RLIMIT_NOFILE, &saved);
  ASSERT_TRUE(raised) << raised.error();
  EXPECT_EQ(raised->before, 512u);
  EXPECT_EQ(raised->now, saved.rlim_max);
  EXPECT_EQ(now.rlim_cur, saved.rlim_max);
}

}  // namespace
}  // namespace pxed::app
