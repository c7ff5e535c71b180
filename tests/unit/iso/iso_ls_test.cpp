#include "iso/iso_ls.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <sstream>

#include "iso_test_support.hpp"

namespace pxed::iso {
namespace {

using namespace pxed::iso::testing;

class IsoLs : public ::testing::Test {
 protected:
  void SetUp() override {
    PXED_REQUIRE_XORRISO();
    write_file(dir_.path() / "tree/images/pxeboot/vmlinuz", random_bytes(1234, 7));
    write_file(dir_.path() / "tree/images/pxeboot/initrd.img", "initrd");
    write_file(dir_.path() / "tree/zz_first_file.txt", "x");
    write_file(dir_.path() / "tree/aa_second_dir/file", "y");
    fs::create_symlink("images/pxeboot/vmlinuz", dir_.path() / "tree/linux");
    ASSERT_FALSE(make_iso(dir_.path() / "tree", iso(), "-R -J -V PXED_TEST").empty());
  }
  std::string iso() const { return (dir_.path() / "out.iso").string(); }
  int run(const std::string& image, const std::string& path) {
    return iso_ls(image, path, out_, err_);
  }

  TempDir dir_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(IsoLs, PrintsNamingThenDirectoriesFirstSortedByName) {
  ASSERT_EQ(run(iso(), "/"), 0) << err_.str();
  EXPECT_EQ(err_.str(), "");
  std::istringstream lines(out_.str());
  std::string line;
  std::vector<std::string> all;
  while (std::getline(lines, line)) all.push_back(line);
  ASSERT_EQ(all.size(), 5u) << out_.str();
  EXPECT_EQ(all[0], "naming: rock-ridge  volume: PXED_TEST");
  EXPECT_TRUE(all[1].starts_with("d") && all[1].ends_with(" aa_second_dir")) << all[1];
  EXPECT_TRUE(all[2].starts_with("d") && all[2].ends_with(" images")) << all[2];
  EXPECT_TRUE(all[3].starts_with("lrwxrwxrwx") && all[3].ends_with(" linux -> images/pxeboot/vmlinuz"))
      << all[3];
  EXPECT_TRUE(all[4].starts_with("-rw-") && all[4].ends_with(" 1 zz_first_file.txt")) << all[4];
}

TEST_F(IsoLs, ListsASubdirectoryWithSizes) {
  ASSERT_EQ(run(iso(), "images/pxeboot"), 0) << err_.str();
  EXPECT_NE(out_.str().find(" 1234 vmlinuz\n"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find(" 6 initrd.img\n"), std::string::npos) << out_.str();
}

TEST_F(IsoLs, FailsClearlyWhenTheImageIsMissing) {
  EXPECT_EQ(run((dir_.path() / "nope.iso").string(), "/"), 1);
  EXPECT_NE(err_.str().find("No such file or directory"), std::string::npos) << err_.str();
  EXPECT_EQ(out_.str(), "");
}

TEST_F(IsoLs, FailsClearlyWhenTheFileIsNotAnIsoImage) {
  write_file(dir_.path() / "text.iso", std::string(40'000, 'x'));
  EXPECT_EQ(run((dir_.path() / "text.iso").string(), "/"), 1);
  EXPECT_NE(err_.str().find("not an ISO 9660 image"), std::string::npos) << err_.str();
}

TEST_F(IsoLs, RefusesAFifoAtOnceInsteadOfWaitingForAWriter) {
  const auto fifo = dir_.path() / "pipe.iso";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto status = test::run_in_child([&] { return run(fifo.string(), "/"); }, std::chrono::seconds(5));
  EXPECT_EQ(status, 1);  // nullopt: it hung until killed
  EXPECT_EQ(run(fifo.string(), "/"), 1);
  EXPECT_NE(err_.str().find("is a FIFO, not an image file"), std::string::npos) << err_.str();
}

TEST_F(IsoLs, RefusesADirectoryAndADevice) {
  EXPECT_EQ(run(dir_.path().string(), "/"), 1);
  EXPECT_NE(err_.str().find("is a directory"), std::string::npos) << err_.str();
  EXPECT_EQ(run("/dev/null", "/"), 1);
  EXPECT_NE(err_.str().find("is a device"), std::string::npos) << err_.str();
}

TEST_F(IsoLs, FailsClearlyWhenThePathIsNotInTheImage) {
  EXPECT_EQ(run(iso(), "images/missing"), 1);
  EXPECT_NE(err_.str().find("images/missing: no such file or directory"), std::string::npos)
      << err_.str();
}

}  // namespace
}  // namespace pxed::iso
