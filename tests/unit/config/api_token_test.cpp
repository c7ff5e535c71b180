// [api] token_file: read as serve reads it, refused as serve refuses it.
#include "config/api_token.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "support/test_support.hpp"

namespace pxed::config {
namespace {

using test::TempDir;

class ApiTokenFile : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path file = dir.path() / "api.token";

  void write(const std::string& text, mode_t mode = 0600) {
    std::ofstream(file) << text;
    ASSERT_EQ(::chmod(file.c_str(), mode), 0);
  }
  Config config_naming(const std::filesystem::path& path) {
    auto cfg = parse("[tftp]\nenabled = false\n[http]\nenabled = false\n[api]\ntoken_file = \"" + path.string() + "\"\n",
                     (dir.path() / "pxed.toml").string());
    EXPECT_TRUE(cfg) << (cfg ? "" : cfg.error()[0].to_string());
    return cfg ? *cfg : Config{};
  }
  std::string refusal(const std::filesystem::path& path) {
    auto token = read_api_token(config_naming(path));
    EXPECT_FALSE(token) << *token;
    return token ? "" : token.error().to_string();
  }
};

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

TEST_F(ApiTokenFile, UnsetMeansNoTokenAndWritesOff) {
  auto cfg = parse("[tftp]\nenabled = false\n[http]\nenabled = false\n", "pxed.toml");
  ASSERT_TRUE(cfg);
  auto token = read_api_token(*cfg);
  ASSERT_TRUE(token);
  EXPECT_EQ(*token, "");
}

TEST_F(ApiTokenFile, AnOwnerOnlyFileGivesItsTokenWithoutTheNewline) {
  write("  c0ffee-Token_1+/=\n");
  auto token = read_api_token(config_naming(file));
  ASSERT_TRUE(token) << token.error().to_string();
  EXPECT_EQ(*token, "c0ffee-Token_1+/=");
}

TEST_F(ApiTokenFile, AFileOthersMayReadIsRefusedNamingTheFileTheLineAndTheFix) {
  write("c0ffee\n", 0644);
  auto why = refusal(file);
  EXPECT_HAS(why, "pxed.toml:6: api.token_file: " + file.string());
  EXPECT_HAS(why, "mode 0644");
  EXPECT_HAS(why, "chmod 600");
  write("c0ffee\n", 0620);
  EXPECT_HAS(refusal(file), "mode 0620");
  write("c0ffee\n", 0602);
  EXPECT_HAS(refusal(file), "mode 0602");
}

TEST_F(ApiTokenFile, AnEmptyOrBlankFileIsRefused) {
  write("");
  EXPECT_HAS(refusal(file), "empty");
  write(" \n\n");
  EXPECT_HAS(refusal(file), "empty");
}

TEST_F(ApiTokenFile, MoreThanOneWordIsRefused) {
  write("two words\n");
  EXPECT_HAS(refusal(file), "one word");
}

TEST_F(ApiTokenFile, AMissingFileALinkAndADirectoryAreRefused) {
  EXPECT_HAS(refusal(dir.path() / "nothing"), "No such file");
  write("c0ffee\n");
  std::filesystem::create_symlink(file, dir.path() / "link");
  EXPECT_HAS(refusal(dir.path() / "link"), "symbolic link");
  std::filesystem::create_directory(dir.path() / "d");
  ::chmod((dir.path() / "d").c_str(), 0700);
  EXPECT_HAS(refusal(dir.path() / "d"), "not a regular file");
}

TEST_F(ApiTokenFile, AFileOwnedBySomeoneElseIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the file away";
  write("c0ffee\n");
  ASSERT_EQ(::chown(file.c_str(), 12345, 12345), 0);
  EXPECT_HAS(refusal(file), "owned by uid 12345");
}

TEST(ApiListenConfig, MustNotOverlapTheHttpListener) {
  TempDir root;
  const std::string files = "[tftp]\nenabled = false\n[files]\nroot = \"" + root.path().string() + "\"\n";
  auto ok = parse(files + "[http]\nenabled = true\nlisten = \"0.0.0.0:80\"\n[api]\nlisten = \"127.0.0.1:8080\"\n", "pxed.toml");
  ASSERT_TRUE(ok) << ok.error()[0].to_string();
  ASSERT_TRUE(ok->api.listen);
  EXPECT_EQ(ok->api.listen->port, 8080);
  auto same = parse(files + "[http]\nenabled = true\nlisten = \"0.0.0.0:80\"\n[api]\nlisten = \"127.0.0.1:80\"\n", "pxed.toml");
  ASSERT_FALSE(same);
  EXPECT_HAS(same.error()[0].to_string(), "pxed.toml:9: api.listen: 127.0.0.1:80 overlaps http.listen");
  auto off = parse("[tftp]\nenabled = false\n[http]\nenabled = false\n[api]\nlisten = \"127.0.0.1:8080\"\n", "pxed.toml");
  ASSERT_FALSE(off);
  EXPECT_HAS(off.error()[0].to_string(), "needs [http] enabled");
}

}  // namespace
}  // namespace pxed::config
