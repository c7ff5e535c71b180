// A profile assigned to a machine by hand (the API, `pxed machines assign`)
// takes the place of the inventory's choice, and says so.
#include <gtest/gtest.h>

#include "boot/inventory.hpp"
#include "boot/inventory_support.hpp"

namespace pxed::boot {
namespace {

using namespace testing;

const Context kContext{*core::Ipv4::parse("10.77.0.1"), "http://10.77.0.1"};
constexpr std::int64_t kAt = 1'796'590'925;  // 2026-12-06 21:02:05 UTC

Remembered assigned(const core::Mac& mac, std::string profile, std::string by = "api") {
  Remembered r;
  r.assigned[mac] = Assignment{std::move(profile), kAt, std::move(by)};
  return r;
}

TEST(InventoryAssignment, WinsOverTheMachinesRuleAndNamesIt) {
  auto cfg = rooms();
  const auto r = assigned(kDb03, "office");
  auto m = match(facts_of(kDb03), cfg, &r);
  EXPECT_EQ(m.profile, "office");
  ASSERT_NE(m.declared, nullptr);
  EXPECT_EQ(m.declared->name, "office");
  ASSERT_NE(m.assigned, nullptr);
  EXPECT_EQ(m.rule,
            "profile office assigned through the API at 2026-12-06 21:02:05 UTC"
            " (instead of centos7-ks by machine db-03 (pxed.toml:22))");
  EXPECT_NE(m.machine, nullptr) << "still the inventory's machine: its name and vars stay";
}

TEST(InventoryAssignment, ReachesAMachineOnlyTheDefaultNamedAndSaysWhoAssigned) {
  auto cfg = rooms();
  const auto r = assigned(kStranger, "centos7-ks", "cli");
  auto m = match(facts_of(kStranger), cfg, &r);
  EXPECT_EQ(m.profile, "centos7-ks");
  EXPECT_FALSE(m.by_default);
  EXPECT_NE(m.rule.find("assigned with pxed machines assign at 2026-12-06 21:02:05 UTC"), std::string::npos) << m.rule;
  // Another machine is untouched.
  EXPECT_EQ(match(facts_of(kOffice), cfg, &r).assigned, nullptr);
}

TEST(InventoryAssignment, AProfileAReloadTookAwayIsIgnoredAndTheRuleSaysSo) {
  auto cfg = rooms();
  const auto r = assigned(kDb03, "gone");
  auto m = match(facts_of(kDb03), cfg, &r);
  EXPECT_EQ(m.profile, "centos7-ks");
  EXPECT_EQ(m.assigned, nullptr);
  EXPECT_NE(m.rule.find("is ignored: no such profile"), std::string::npos) << m.rule;
}

TEST(InventoryAssignment, OnceStillAppliesToTheAssignedProfile) {
  auto cfg = rooms();
  cfg.inventory.machines[0].once = true;
  auto r = assigned(kDb03, "office");
  auto pending = match(facts_of(kDb03), cfg, &r);
  EXPECT_EQ(pending.profile, "office");
  EXPECT_EQ(pending.once_profile, "office");
  r.installed[kDb03] = kAt;
  EXPECT_EQ(match(facts_of(kDb03), cfg, &r).profile, "local");
}

TEST(InventoryAssignment, LocalMayBeAssignedAndDecidesTheDhcpAnswer) {
  auto cfg = rooms();
  cfg.boot.choice.bios = "lpxelinux.0";
  cfg.boot.local_by_firmware = true;
  EXPECT_TRUE(assignable("local", cfg));
  EXPECT_TRUE(assignable("office", cfg));
  EXPECT_FALSE(assignable("nope", cfg));
  EXPECT_FALSE(decide(facts_of(kDb03), cfg, kContext).none);
  const auto r = assigned(kDb03, "local");
  auto plan = decide(facts_of(kDb03), cfg, kContext, &r);
  EXPECT_TRUE(plan.none);
  EXPECT_NE(plan.reason.find("assigned through the API"), std::string::npos) << plan.reason;
}

}  // namespace
}  // namespace pxed::boot
