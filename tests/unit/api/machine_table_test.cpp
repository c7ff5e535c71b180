#include "api/machine_table.hpp"

#include <gtest/gtest.h>

namespace pxed::api {
namespace {

using events::Event;
using events::Kind;

const core::Mac kA = *core::Mac::parse("52:54:00:00:00:0a");
const core::Mac kB = *core::Mac::parse("52:54:00:00:00:0b");

struct Feeder {
  MachineTable table;
  std::int64_t now = 1000;
  void feed(Event e, const core::Mac& mac = kA) {
    e.mac = mac;
    e.time_ms = now;
    now += 100;
    table.publish(e);
  }
  void stage(std::string_view name, const core::Mac& mac = kA) {
    feed(Event{Kind::machine_stage}.add("stage", name), mac);
  }
};

TEST(MachineTable, FollowsOneBootThroughItsStagesWithTimes) {
  Feeder f;
  f.feed(Event{Kind::dhcp_offer}.add("ip", "10.0.0.5").add("arch", "efi64").add("file", "shimx64.efi"));
  f.stage("dhcp");      // 1100
  f.stage("loader");    // 1200
  f.feed(Event{Kind::tftp_done}.add("file", "grubx64.efi").add("result", "ok"));
  f.stage("config");    // 1400
  f.stage("kernel");    // 1500
  f.stage("initrd");    // 1600
  const auto* row = f.table.find(kA);
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->ip, "10.0.0.5");
  EXPECT_EQ(row->arch, "efi64");
  EXPECT_EQ(row->stage, store::Stage::initrd);
  EXPECT_EQ(row->reached_ms[0], 1100);
  EXPECT_EQ(row->reached_ms[static_cast<std::size_t>(store::Stage::initrd)], 1600);
  EXPECT_EQ(row->reached_ms[static_cast<std::size_t>(store::Stage::done)], 0);
  EXPECT_EQ(row->boots, 1u);
  EXPECT_EQ(row->last_file, "grubx64.efi");
  EXPECT_EQ(row->last_event, "machine.stage");
  EXPECT_TRUE(row->problem.empty());
}

TEST(MachineTable, AFirmwareDhcpAfterTheLoaderStartsANewBoot) {
  Feeder f;
  f.stage("dhcp");
  f.stage("loader");
  f.feed(Event{Kind::tftp_done, events::Level::warn}.add("file", "lpxelinux.0").add("result", "timeout"));
  ASSERT_EQ(f.table.find(kA)->problem, "tftp lpxelinux.0: timeout");
  f.stage("dhcp");
  const auto* row = f.table.find(kA);
  EXPECT_EQ(row->boots, 2u);
  EXPECT_EQ(row->stage, store::Stage::dhcp);
  EXPECT_EQ(row->reached_ms[static_cast<std::size_t>(store::Stage::loader)], 0);
  EXPECT_TRUE(row->problem.empty());
}

TEST(MachineTable, RecordsFailedFetchesAsTheProblem) {
  Feeder f;
  f.feed(Event{Kind::http_request}.add("path", "/vmlinuz").add("status", 404));
  EXPECT_EQ(f.table.find(kA)->problem, "http /vmlinuz: 404");
  f.feed(Event{Kind::tftp_done}.add("file", "x").add("result", "tsize-probe"));  // UEFI's probe is no failure
  EXPECT_EQ(f.table.find(kA)->problem, "http /vmlinuz: 404");
}

TEST(MachineTable, ListsTheMostRecentlyHeardFirstAndForgetsTheQuietestPastCapacity) {
  Feeder f;
  f.table = MachineTable(2);
  const auto kC = *core::Mac::parse("52:54:00:00:00:0c");
  f.stage("dhcp", kA);
  f.stage("dhcp", kB);
  f.stage("loader", kA);
  auto rows = f.table.rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]->mac, kA);
  f.stage("dhcp", kC);  // B is the quietest
  EXPECT_EQ(f.table.find(kB), nullptr);
  EXPECT_NE(f.table.find(kA), nullptr);
  EXPECT_NE(f.table.find(kC), nullptr);
}

TEST(MachineTable, TakesTheAddressFromFetchesWhenNoAnswerNamedIt) {
  Feeder f;
  f.feed(Event{Kind::dhcp_proxy_offer}.add("arch", "bios"));  // ProxyDHCP: no yiaddr
  EXPECT_EQ(f.table.find(kA)->ip, "");
  f.feed(Event{Kind::tftp_done}.add("file", "undionly.kpxe").add("result", "ok").from(*core::Ipv4::parse("10.0.0.9")));
  EXPECT_EQ(f.table.find(kA)->ip, "10.0.0.9");
}

TEST(MachineTable, LeavesOutCallsToPxedsOwnPaths) {
  Feeder f;
  f.feed(Event{Kind::tftp_done}.add("file", "lpxelinux.0").add("result", "ok"));
  f.feed(Event{Kind::http_request}.add("path", "/api/v1/machines").add("status", 200).add("route", "/api/"));
  EXPECT_EQ(f.table.find(kA)->last_file, "lpxelinux.0");
  EXPECT_EQ(f.table.find(kA)->last_event, "tftp.done");
}

TEST(MachineTable, IgnoresEventsWithoutAMachine) {
  MachineTable table;
  table.publish(Event{Kind::pxed_ready});
  EXPECT_EQ(table.size(), 0u);
}

}  // namespace
}  // namespace pxed::api
