// [server] secrets_file: values for answer files, in a file only its owner may
// read; every problem named with file, line and key, never with a value.
#include "config/secrets.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "support/test_support.hpp"

namespace pxed::config {
namespace {

using test::TempDir;

class SecretsFile : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path file = dir.path() / "secrets.toml";

  Config config() {
    auto cfg = parse("[tftp]\nenabled = false\n[http]\nenabled = false\n[server]\nsecrets_file = \"" + file.string() +
                         "\"\n[[profile]]\nname = \"debian\"\nkernel = \"vmlinuz\"\n"
                         "[[group]]\nname = \"office\"\nprofile = \"debian\"\n"
                         "[[machine]]\nmac = \"88:99:aa:bb:cc:dd\"\nname = \"db-03\"\n",
                     (dir.path() / "pxed.toml").string());
    EXPECT_TRUE(cfg) << (cfg ? "" : cfg.error()[0].to_string());
    return cfg ? *cfg : Config{};
  }
  void write(const std::string& text, mode_t mode = 0600) {
    std::ofstream(file) << text;
    ASSERT_EQ(::chmod(file.c_str(), mode), 0);
  }
};

TEST_F(SecretsFile, UnsetMeansNone) {
  Config cfg;
  auto s = read_secrets(cfg);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->empty());
}

TEST_F(SecretsFile, ReadsEveryLevelAndSpellsMacsAsTheInventoryDoes) {
  write(R"([vars]
rootpw = "$6$all"
[profile.debian]
rootpw = "$6$profile"
[group.office]
key = "g"
[machine.db-03]
rootpw = "$6$db03"
[machine."88:99:AA:BB:CC:DD"]
key = "m"
)");
  auto s = read_secrets(config());
  ASSERT_TRUE(s) << s.error()[0].to_string();
  EXPECT_EQ(s->all.at("rootpw"), "$6$all");
  EXPECT_EQ(s->profile.at("debian").at("rootpw"), "$6$profile");
  EXPECT_EQ(s->group.at("office").at("key"), "g");
  EXPECT_EQ(s->machine.at("db-03").at("rootpw"), "$6$db03");
  EXPECT_EQ(s->machine.at("88:99:aa:bb:cc:dd").at("key"), "m");
}

TEST_F(SecretsFile, AFileOthersMayReadIsRefused) {
  write("[vars]\nrootpw = \"$6$x\"\n", 0644);
  auto s = read_secrets(config());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error()[0].to_string(), (dir.path() / "pxed.toml").string() + ":6: server.secrets_file: " + file.string() +
                                          ": mode 0644: group or others may read or write it; only its owner may "
                                          "(chmod 600 " + file.string() + ")");
}

TEST_F(SecretsFile, ProblemsNameLineAndKeyButNoValue) {
  write(R"([vars]
rootpw = 8
mac = "$6$secret-value"
[profile.nope]
x = "1"
[machine.db-04]
x = "1"
[extra]
)");
  auto s = read_secrets(config());
  ASSERT_FALSE(s);
  std::vector<std::string> lines;
  for (const auto& e : s.error()) {
    lines.push_back(e.to_string());
    EXPECT_EQ(e.to_string().find("secret-value"), std::string::npos) << e.to_string();
  }
  const auto f = file.string();
  EXPECT_EQ(lines, (std::vector<std::string>{
                       f + ":2: vars.rootpw: must be a string (vars are text: write \"8\", not 8), got an integer",
                       f + ":3: vars.mac: ${mac} is built in (server, http, mac, ip, name, uuid, arch, done_url; "
                           "answer files also see answers_url, profile, group, installer, serial, manufacturer, product); "
                           "choose another name",
                       f + ":4: profile.nope: \"nope\" names no profile of the inventory",
                       f + ":6: machine.db-04: \"db-04\" names no machine (by name or MAC) of the inventory",
                       f + ":8: extra: unknown key; a secrets file holds [vars], [profile.NAME], [group.NAME] and "
                           "[machine.NAME]",
                   }));
}

}  // namespace
}  // namespace pxed::config
