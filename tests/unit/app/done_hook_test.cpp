// [server] done_hook's record: what the machine.done event says, and the machine's values.
#include "app/done_hook.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace pxed::app {
namespace {

TEST(DoneHook, TheRecordCarriesTheMachineAndItsValues) {
  events::Event done{events::Kind::machine_done};
  done.about(*core::Mac::parse("88:99:aa:bb:cc:dd")).from(*core::Ipv4::parse("10.77.0.23")).add("name", "db-03");
  done.add("once", true);
  done.time_ms = 1700000000000;
  auto record = nlohmann::json::parse(
      done_hook_payload(done, {{"profile", "debian-auto"}, {"disk", "vda"}, {"name", "db-03"}}));
  EXPECT_EQ(record["event"], "done");
  EXPECT_EQ(record["mac"], "88:99:aa:bb:cc:dd");
  EXPECT_EQ(record["ip"], "10.77.0.23");
  EXPECT_EQ(record["name"], "db-03");
  EXPECT_EQ(record["once"], true);
  EXPECT_EQ(record["by"], "installer");
  EXPECT_EQ(record["profile"], "debian-auto");
  EXPECT_EQ(record["time_ms"], 1700000000000);
  EXPECT_EQ(record["vars"]["disk"], "vda");
}

TEST(DoneHook, AnApiDoneSaysSo) {
  events::Event done{events::Kind::machine_done};
  done.about(*core::Mac::parse("88:99:aa:bb:cc:dd")).add("action", "done").add("by", "api").add("once", false);
  auto record = nlohmann::json::parse(done_hook_payload(done, {}));
  EXPECT_EQ(record["by"], "api");
  EXPECT_EQ(record["ip"], "");
  EXPECT_EQ(record["once"], false);
  EXPECT_EQ(record["profile"], "");
}

}  // namespace
}  // namespace pxed::app
