#include "vfs/path.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pxed::vfs {
namespace {

using namespace std::string_literals;

TEST(PathNormalize, TurnsBackslashesIntoSlashes) {
  EXPECT_EQ(normalize("pxelinux.cfg\\default"), "pxelinux.cfg/default");
}

TEST(PathNormalize, StripsLeadingSeparatorsAndCollapsesRepeats) {
  EXPECT_EQ(normalize("/boot//x"), "boot/x");
  EXPECT_EQ(normalize("\\\\/boot\\/\\x"), "boot/x");
}

TEST(PathNormalize, DropsDotSegments) {
  EXPECT_EQ(normalize("./a/./b"), "a/b");
  EXPECT_EQ(normalize("a/."), "a");
}

TEST(PathNormalize, DropsTrailingSeparator) {
  EXPECT_EQ(normalize("boot/"), "boot");
  EXPECT_EQ(normalize("boot\\\\"), "boot");
}

TEST(PathNormalize, LeavesPlainNamesAlone) {
  EXPECT_EQ(normalize("lpxelinux.0"), "lpxelinux.0");
  EXPECT_EQ(normalize("centos7/images/pxeboot/vmlinuz"), "centos7/images/pxeboot/vmlinuz");
}

TEST(PathNormalize, RootItselfIsEmptyResult) {
  EXPECT_EQ(normalize("/"), "");
  EXPECT_EQ(normalize("//"), "");
  EXPECT_EQ(normalize("."), "");
  EXPECT_EQ(normalize("\\./"), "");
}

TEST(PathNormalize, RefusesDotDotAnywhere) {
  for (const char* raw : {"..", "../etc/passwd", "a/../../b", "a/../b", "a/..", "\\..\\x",
                          "/..", "./../x", "a/b/..\\c"}) {
    EXPECT_EQ(normalize(raw), std::unexpected(PathError::dot_dot)) << raw;
  }
}

TEST(PathNormalize, AllowsNamesThatOnlyContainDots) {
  EXPECT_EQ(normalize("...."), "....");
  EXPECT_EQ(normalize("..."), "...");
  EXPECT_EQ(normalize("a/..b/c.."), "a/..b/c..");
  EXPECT_EQ(normalize(".hidden"), ".hidden");
}

TEST(PathNormalize, RefusesNulBytes) {
  EXPECT_EQ(normalize("a\0b"s), std::unexpected(PathError::nul_byte));
  EXPECT_EQ(normalize("boot.ipxe\0.png"s), std::unexpected(PathError::nul_byte));
  EXPECT_EQ(normalize("\0"s), std::unexpected(PathError::nul_byte));
}

TEST(PathNormalize, RefusesRawInputLongerThanLimit) {
  EXPECT_EQ(normalize(std::string(kMaxPath + 1, 'a')), std::unexpected(PathError::too_long));
  // The limit is on what the client sent, before separators collapse.
  EXPECT_EQ(normalize(std::string(kMaxPath, '/') + "a"), std::unexpected(PathError::too_long));
}

TEST(PathNormalize, AcceptsNameExactlyAtLimit) {
  std::string raw(kMaxPath, 'a');
  EXPECT_EQ(normalize(raw), raw);
}

TEST(PathNormalize, RefusesEmptyInput) {
  EXPECT_EQ(normalize(""), std::unexpected(PathError::empty));
}

TEST(PathError, HasShortLogWords) {
  EXPECT_EQ(to_string(PathError::empty), "empty");
  EXPECT_EQ(to_string(PathError::too_long), "too-long");
  EXPECT_EQ(to_string(PathError::nul_byte), "nul-byte");
  EXPECT_EQ(to_string(PathError::dot_dot), "dot-dot");
}

}  // namespace
}  // namespace pxed::vfs
