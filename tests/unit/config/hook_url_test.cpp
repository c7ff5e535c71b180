// [server] done_hook: an http:// URL with an IPv4 address, read into its parts.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config/scratch.hpp"

namespace pxed::config {
namespace {

TEST(HookUrl, TakesAnAddressAPortAndATarget) {
  auto t = parse_hook_url("http://10.0.0.5:8080/cmdb/pxed?site=a");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->address.to_string(), "10.0.0.5");
  EXPECT_EQ(t->port, 8080);
  EXPECT_EQ(t->target, "/cmdb/pxed?site=a");
  t = parse_hook_url("http://10.0.0.5");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->port, 80);
  EXPECT_EQ(t->target, "/");
}

TEST(HookUrl, RefusesNamesTlsAndBadPorts) {
  EXPECT_FALSE(parse_hook_url("https://10.0.0.5/x"));
  EXPECT_FALSE(parse_hook_url("http://cmdb.example/x"));
  EXPECT_FALSE(parse_hook_url("http://10.0.0.5:0/x"));
  EXPECT_FALSE(parse_hook_url("http://10.0.0.5:99999/x"));
  EXPECT_FALSE(parse_hook_url("http://10.0.0.5/a b"));
  EXPECT_FALSE(parse_hook_url(""));
}

TEST(HookUrl, TheConfigNamesTheLineOfABadOne) {
  Scratch s;
  auto errors = s.problems("[server]\ndone_hook = \"https://cmdb.example/hook\"\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "4: server.done_hook: \"https://cmdb.example/hook\": must be http://A.B.C.D[:PORT]/path (an "
                       "IPv4 address: pxed resolves no names; no https)");
  auto cfg = s.parse_with_root("[server]\ndone_hook = \"http://10.0.0.5:8080/hook\"\n");
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->server.done_hook, "http://10.0.0.5:8080/hook");
}

}  // namespace
}  // namespace pxed::config
