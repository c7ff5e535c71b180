// The DHCP service's group commit, driven with made-up times: which leases go
// in which write, which replies leave when a write lands, and when leases.seen
// is refreshed. No store, no thread, no sleep.
#include "dhcp/group_commit.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace pxed::dhcp {
namespace {

using namespace std::chrono_literals;
using Actions = std::vector<GroupCommit::Action>;

const core::TimePoint kT0{std::chrono::seconds(100)};
const std::expected<void, std::string> kDurable{};

store::Lease lease(std::uint32_t host) {
  store::Lease l;
  l.ip = core::Ipv4{0x0a4d0000u + host};
  l.mac.bytes = {2, 0, 0, 0, 0, static_cast<std::uint8_t>(host)};
  return l;
}

template <class A>
const A* find(const Actions& actions) {
  for (const auto& a : actions) {
    if (const auto* found = std::get_if<A>(&a)) return found;
  }
  return nullptr;
}

std::vector<std::uint32_t> hosts_of(const GroupCommit::Write& w) {
  std::vector<std::uint32_t> out;
  for (const auto& l : w.leases) out.push_back(l.ip.value - 0x0a4d0000u);
  return out;
}

TEST(DhcpGroupCommit, WritesAtOnceWithoutAGatheringWindow) {
  GroupCommit g({.gather = 0ms, .recount_every = 1000ms});
  const auto a = g.decided(kT0, std::vector{lease(1)});
  ASSERT_EQ(a.size(), 1u);
  const auto* w = find<GroupCommit::Write>(a);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(hosts_of(*w), std::vector<std::uint32_t>{1});
  EXPECT_TRUE(g.busy());
}

TEST(DhcpGroupCommit, FirstLeaseWaitsTheWindowForCompany) {
  GroupCommit g({.gather = 2ms, .recount_every = 1000ms});
  const auto first = g.decided(kT0, std::vector{lease(1)});
  const auto* timer = find<GroupCommit::ArmTimer>(first);
  ASSERT_NE(timer, nullptr);
  EXPECT_EQ(timer->at, kT0 + 2ms);
  EXPECT_TRUE(g.decided(kT0 + 1ms, std::vector{lease(2)}).empty());  // the timer is already armed
  EXPECT_TRUE(g.on_timer(kT0 + 1ms).empty());                         // early: not yet
  const auto fired = g.on_timer(kT0 + 2ms);
  const auto* w = find<GroupCommit::Write>(fired);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(hosts_of(*w), (std::vector<std::uint32_t>{1, 2}));
}

TEST(DhcpGroupCommit, RepliesLeaveOnlyWhenTheirWriteLands) {
  GroupCommit g({.gather = 0ms, .recount_every = 1000ms});
  (void)g.decided(kT0, std::vector{lease(1)});
  // Decided while the first write is in flight: no send, no second write yet.
  EXPECT_TRUE(g.decided(kT0 + 1ms, std::vector{lease(2)}).empty());
  EXPECT_TRUE(g.decided(kT0 + 1ms, std::vector{lease(3), lease(4)}).empty());
  EXPECT_EQ(g.waiting(), 2u);

  const auto landed = g.written(kT0 + 5ms, kDurable);
  const auto* send = find<GroupCommit::Send>(landed);
  ASSERT_NE(send, nullptr);
  EXPECT_EQ(send->replies, 1u);  // the first reply only: the others' leases are not durable yet
  const auto* w = find<GroupCommit::Write>(landed);
  ASSERT_NE(w, nullptr);  // what gathered goes in one transaction, without another window
  EXPECT_EQ(hosts_of(*w), (std::vector<std::uint32_t>{2, 3, 4}));
  // The next write is handed out before the sends, so its fsync overlaps them.
  EXPECT_TRUE(std::holds_alternative<GroupCommit::Write>(landed.front()));

  const auto second = g.written(kT0 + 9ms, kDurable);
  send = find<GroupCommit::Send>(second);
  ASSERT_NE(send, nullptr);
  EXPECT_EQ(send->replies, 2u);
}

TEST(DhcpGroupCommit, AFailedWriteDropsItsRepliesAndSendsNothing) {
  GroupCommit g({.gather = 0ms, .recount_every = 1000ms});
  (void)g.decided(kT0, std::vector{lease(1), lease(2)});
  (void)g.decided(kT0, std::vector{lease(3)});
  const auto failed = g.written(kT0 + 5ms, std::unexpected(std::string("disk full")));
  EXPECT_EQ(find<GroupCommit::Send>(failed), nullptr);
  const auto* drop = find<GroupCommit::Drop>(failed);
  ASSERT_NE(drop, nullptr);
  EXPECT_EQ(drop->replies, 1u);
  EXPECT_EQ(drop->leases, 2u);
  EXPECT_EQ(drop->error, "disk full");
  // The reply decided meanwhile gets its own write; no recount after a failure.
  const auto* w = find<GroupCommit::Write>(failed);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(hosts_of(*w), std::vector<std::uint32_t>{3});
  EXPECT_EQ(find<GroupCommit::Recount>(failed), nullptr);
}

TEST(DhcpGroupCommit, RecountsWhenNoLeaseWaits) {
  GroupCommit g({.gather = 0ms, .recount_every = 1000ms});
  (void)g.decided(kT0, std::vector{lease(1)});
  const auto landed = g.written(kT0 + 5ms, kDurable);
  EXPECT_NE(find<GroupCommit::Send>(landed), nullptr);
  EXPECT_NE(find<GroupCommit::Recount>(landed), nullptr);
  EXPECT_TRUE(g.busy());
  // A lease decided during the recount waits for it, then goes at once.
  EXPECT_TRUE(g.decided(kT0 + 6ms, std::vector{lease(2)}).empty());
  const auto after = g.recounted(kT0 + 7ms);
  const auto* w = find<GroupCommit::Write>(after);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(hosts_of(*w), std::vector<std::uint32_t>{2});
}

TEST(DhcpGroupCommit, UnderABurstTheRecountWaitsUntilItIsDue) {
  GroupCommit g({.gather = 0ms, .recount_every = 100ms});
  (void)g.decided(kT0, std::vector{lease(1)});
  auto t = kT0;
  std::uint32_t host = 2;
  // Every write lands with more leases waiting: writes follow writes, no recount...
  for (; t < kT0 + 100ms; t += 10ms) {
    (void)g.decided(t, std::vector{lease(host++)});
    const auto landed = g.written(t + 5ms, kDurable);
    if (t + 5ms < kT0 + 5ms + 100ms) {
      EXPECT_EQ(find<GroupCommit::Recount>(landed), nullptr) << "at +" << (t - kT0) / 1ms << " ms";
      EXPECT_NE(find<GroupCommit::Write>(landed), nullptr);
    }
  }
  // ... until the first unrecounted write is recount_every old: then one recount first.
  (void)g.decided(t, std::vector{lease(host++)});
  const auto due = g.written(t + 5ms, kDurable);
  EXPECT_NE(find<GroupCommit::Recount>(due), nullptr);
  EXPECT_EQ(find<GroupCommit::Write>(due), nullptr);
  EXPECT_NE(find<GroupCommit::Send>(due), nullptr);
  const auto after = g.recounted(t + 6ms);
  EXPECT_NE(find<GroupCommit::Write>(after), nullptr);
}

TEST(DhcpGroupCommit, EveryReplyIsSentOnceAndInOrder) {
  // 1,000 ACKs decided in a burst while writes land: each reply is sent exactly
  // once, after the write holding its lease, and no lease is written twice.
  GroupCommit g({.gather = 2ms, .recount_every = 50ms});
  std::size_t decided = 0, sent = 0, written_leases = 0;
  std::vector<std::size_t> in_flight;  // replies behind the write in flight
  bool timer = false, recounting = false;
  core::TimePoint timer_at{};
  auto apply = [&](const Actions& actions) {
    for (const auto& a : actions) {
      if (const auto* w = std::get_if<GroupCommit::Write>(&a)) {
        ASSERT_TRUE(in_flight.empty());
        written_leases += w->leases.size();
        in_flight.push_back(w->leases.size());
      } else if (const auto* s = std::get_if<GroupCommit::Send>(&a)) {
        sent += s->replies;
        ASSERT_LE(sent, decided);
      } else if (const auto* at = std::get_if<GroupCommit::ArmTimer>(&a)) {
        timer = true;
        timer_at = at->at;
      } else if (std::holds_alternative<GroupCommit::Recount>(a)) {
        recounting = true;
      }
    }
  };
  auto t = kT0;
  for (int step = 0; step < 3000; ++step, t += 100us) {
    if (decided < 1000 && step % 2 == 0) {
      apply(g.decided(t, std::vector{lease(static_cast<std::uint32_t>(decided))}));
      ++decided;
    }
    if (timer && t >= timer_at) {
      timer = false;
      apply(g.on_timer(t));
    }
    if (step % 30 == 29) {  // a write or a recount takes 3 ms
      if (!in_flight.empty()) {
        in_flight.clear();
        apply(g.written(t, kDurable));
      } else if (recounting) {
        recounting = false;
        apply(g.recounted(t));
      }
    }
  }
  EXPECT_EQ(sent, 1000u);
  EXPECT_EQ(written_leases, 1000u);
  EXPECT_EQ(g.waiting(), 0u);
}

}  // namespace
}  // namespace pxed::dhcp
