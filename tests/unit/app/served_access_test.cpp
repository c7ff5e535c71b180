// A root server.user cannot read is an error in check and at start, found as
// that user; directories above the root need not be open to it (pxed serves
// through a descriptor, as the tree does).
#include "app/served_access.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/test_support.hpp"

namespace pxed::app {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class ServedAccess : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to ask as another user";
    fs::create_directories(root());
    ::chmod(dir_.path().c_str(), 0700);  // above the root: closed to nobody, and that is fine
  }
  fs::path root() const { return dir_.path() / "root"; }
  config::Config cfg() const {
    config::Config c;
    c.source = dir_.path() / "pxed.toml";
    c.files.root = root();
    c.server.user = "nobody";
    c.lines["files.root"] = 7;
    return c;
  }
  test::TempDir dir_;
};

TEST_F(ServedAccess, ARootOpenToTheUserIsFineWhateverIsAboveIt) {
  ::chmod(root().c_str(), 0755);
  EXPECT_THAT(ServedDirs(cfg()).unreadable(cfg()), IsEmpty());
}

TEST_F(ServedAccess, ARootTheUserCannotReadIsAnErrorWithFileLineAndKey) {
  ::chmod(root().c_str(), 0700);
  auto errors = ServedDirs(cfg()).unreadable(cfg());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0].to_string(),
              HasSubstr(cfg().source.string() + ":7: files.root: user nobody cannot read " + root().string()));
}

}  // namespace
}  // namespace pxed::app
