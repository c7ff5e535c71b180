// Issue 11, "DHCP abuse": who may take what from the server. The pieces
// (relay trust, binding limits, answer budgets, flood reports) alone, then the attacks
// the issue measured, replayed against Server::handle with made-up times.
#include "dhcp/admission.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "logic_test_support.hpp"

namespace pxed::dhcp {
namespace {

using namespace test;

const core::Ipv4 kLanRouter = ip("10.77.0.254");  // on our subnet; relays for 10.88.0.0/24

std::size_t count_events(const Response& r, std::string_view name, std::string_view result = {}) {
  return static_cast<std::size_t>(std::ranges::count_if(r.events, [&](const events::Event& e) {
    return e.name() == name && (result.empty() || field(&e, "result") == result);
  }));
}

bool warns(const Response& r) {
  return std::ranges::any_of(r.events, [](const events::Event& e) { return e.level >= events::Level::warn; });
}

Packet relayed(MessageType type, core::Mac m, core::Ipv4 giaddr = kRelay) {
  auto p = client_packet(type, m);
  p.giaddr = giaddr;
  return p;
}

// ---------------------------------------------------------------- relay trust

TEST(DhcpRelayTrust, RoutedBelievesARelayForwardingFromItsOwnAddress) {
  auto dhcp = full_config();
  const auto& lab = dhcp.subnets[0].network;
  const auto& far = dhcp.subnets[1].network;
  // From giaddr itself, or from the relay's address on our side.
  EXPECT_TRUE(relay_trusted(dhcp, relayed_arrival(), kRelay, &lab, far));
  EXPECT_TRUE(relay_trusted(dhcp, unicast_arrival(kLanRouter, kServerPort, kServerPort), kRelay, &lab, far));
  // A client that fills giaddr in its broadcast; one on the far network posing as its relay.
  EXPECT_FALSE(relay_trusted(dhcp, broadcast_arrival(), kRelay, &lab, far));
  EXPECT_FALSE(relay_trusted(dhcp, unicast_arrival(ip("10.88.0.77"), kServerPort, kServerPort), kRelay, &lab, far));
  auto from_zero = unicast_arrival(core::Ipv4{}, kClientPort, kServerPort);
  EXPECT_FALSE(relay_trusted(dhcp, from_zero, kRelay, &lab, far));
  // giaddr on the arrival interface's own subnet gets nothing a broadcast would not.
  EXPECT_TRUE(relay_trusted(dhcp, broadcast_arrival(), ip("10.77.0.9"), &lab, lab));
}

TEST(DhcpRelayTrust, ListedBelievesOnlyTheListedSources) {
  auto dhcp = full_config();
  dhcp.relay_policy = config::RelayPolicy::listed;
  dhcp.relay_agents = {*core::Ipv4Network::parse("10.77.0.254/32")};
  const auto& lab = dhcp.subnets[0].network;
  const auto& far = dhcp.subnets[1].network;
  EXPECT_TRUE(relay_trusted(dhcp, unicast_arrival(kLanRouter, kServerPort, kServerPort), kRelay, &lab, far));
  EXPECT_FALSE(relay_trusted(dhcp, relayed_arrival(), kRelay, &lab, far));
  EXPECT_FALSE(relay_trusted(dhcp, unicast_arrival(ip("10.77.0.9"), kServerPort, kServerPort), ip("10.77.0.9"),
                             &lab, lab));
}

TEST(DhcpRelayTrust, AnyBelievesEveryone) {
  auto dhcp = full_config();
  dhcp.relay_policy = config::RelayPolicy::any;
  EXPECT_TRUE(relay_trusted(dhcp, broadcast_arrival(), kRelay, &dhcp.subnets[0].network, dhcp.subnets[1].network));
}

// ---------------------------------------------------------------- binding limits

TEST(DhcpBindingLimits, InterfaceWindowRefillsEachSecond) {
  BindingLimits limits(3, 0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limits.take(kT0, 1, "c" + std::to_string(i)), BindingLimits::Verdict::allowed);
  EXPECT_EQ(limits.take(kT0, 1, "c9"), BindingLimits::Verdict::interface_limited);
  EXPECT_EQ(limits.take(kT0, 2, "c9"), BindingLimits::Verdict::allowed);  // another interface
  EXPECT_EQ(limits.take(kT0 + 1, 1, "c9"), BindingLimits::Verdict::allowed);
}

TEST(DhcpBindingLimits, ClientLimitIsCheckedFirstAndTakesNothingFromTheInterface) {
  BindingLimits limits(3, 1);
  EXPECT_EQ(limits.take(kT0, 1, "a"), BindingLimits::Verdict::allowed);
  EXPECT_EQ(limits.take(kT0, 1, "a"), BindingLimits::Verdict::client_limited);
  EXPECT_EQ(limits.take(kT0, 1, "a"), BindingLimits::Verdict::client_limited);
  EXPECT_EQ(limits.take(kT0, 1, "b"), BindingLimits::Verdict::allowed);
  EXPECT_EQ(limits.take(kT0, 1, "c"), BindingLimits::Verdict::allowed);
  EXPECT_EQ(limits.take(kT0 + 1, 1, "a"), BindingLimits::Verdict::allowed);
}

TEST(DhcpBindingLimits, ZeroIsNoLimitAndTheClientTableStaysBounded) {
  BindingLimits limits(0, 1);
  for (int i = 0; i < 70000; ++i) {
    ASSERT_EQ(limits.take(kT0 + i / 1000, 1, std::to_string(i)), BindingLimits::Verdict::allowed);
  }
  EXPECT_LE(limits.tracked_clients(), 65536u);
}

TEST(DhcpAnswerBudget, EachClientGetsItsAnswersPerSecond) {
  AnswerBudget budget(3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(budget.take(kT0, "a"));
  EXPECT_FALSE(budget.take(kT0, "a"));
  EXPECT_FALSE(budget.take(kT0, "a"));
  EXPECT_TRUE(budget.take(kT0, "b"));  // another client's budget is its own
  EXPECT_TRUE(budget.take(kT0 + 1, "a"));
}

TEST(DhcpAnswerBudget, ZeroIsNoLimitAndTheClientTableStaysBounded) {
  AnswerBudget none(0);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(none.take(kT0, "a"));
  EXPECT_EQ(none.tracked_clients(), 0u);
  AnswerBudget budget(1);
  for (int i = 0; i < 70000; ++i) ASSERT_TRUE(budget.take(kT0 + i / 1000, std::to_string(i)));
  EXPECT_LE(budget.tracked_clients(), ClientWindows::kMaxClients);
}

// ---------------------------------------------------------------- flood reports

TEST(DhcpFloodReport, FirstRefusalAtOnceThenOneSummaryPerInterval) {
  FloodReport report(10);
  auto first = report.refused(kT0, 3, "pool-exhausted");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(field(&first[0], "state"), "started");
  EXPECT_EQ(field(&first[0], "reason"), "pool-exhausted");
  for (int i = 0; i < 2999; ++i) EXPECT_TRUE(report.refused(kT0 + i / 500, 3, i % 2 ? "interface-rate" : "pool-exhausted").empty());
  EXPECT_EQ(report.next_tick(), kT0 + 10);
  EXPECT_TRUE(report.tick(kT0 + 9).empty());
  auto summary = report.tick(kT0 + 10);
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0].first, 3);
  EXPECT_EQ(field(&summary[0].second, "state"), "ongoing");
  EXPECT_EQ(field(&summary[0].second, "refused"), "2999");
  EXPECT_EQ(field(&summary[0].second, "interface-rate"), "1499");
  EXPECT_EQ(field(&summary[0].second, "pool-exhausted"), "1500");
  // A quiet interval closes the window; the next refusal starts a new one.
  EXPECT_TRUE(report.tick(kT0 + 20).empty());
  EXPECT_EQ(report.next_tick(), 0);
  EXPECT_EQ(field(&report.refused(kT0 + 21, 3, "client-rate").at(0), "state"), "started");
}

// ---------------------------------------------------------------- the attacks

config::Dhcp small_pool(std::uint32_t addresses) {
  auto dhcp = full_config();
  dhcp.subnets[0].range_last = core::Ipv4{dhcp.subnets[0].range_first.value + addresses - 1};
  return dhcp;
}

Packet decline_of(core::Mac m, core::Ipv4 address) {
  auto p = client_packet(MessageType::decline, m);
  p.options.set_ipv4(option::kRequestedIp, address);
  p.options.set_ipv4(option::kServerId, kUs);
  return p;
}

// Before: 50 DISCOVER + DECLINE pairs from one MAC quarantined a 50-address pool.
TEST(DhcpServerAbuse, DeclineOfAnOfferQuarantinesNothing) {
  auto server = full_server({}, small_pool(50));
  for (int i = 0; i < 50; ++i) {
    auto offer = send(server, kT0 + i, client_packet(MessageType::discover, mac(1)));
    ASSERT_TRUE(offer.reply);
    auto r = send(server, kT0 + i, decline_of(mac(1), offer.reply->packet.yiaddr));
    EXPECT_TRUE(r.commit.empty());
    EXPECT_EQ(field(find_event(r, "dhcp.ignored"), "reason"), "decline-not-its-address");
  }
  for (int n = 2; n < 51; ++n) EXPECT_FALSE(dora(server, kT0 + 100 + n, mac(n)).is_zero()) << n;
}

TEST(DhcpServerAbuse, AckedDeclinesQuarantineAtMostTheClientsShare) {
  auto dhcp = small_pool(50);  // 10% = 5 addresses; 2 per client
  auto server = full_server({}, dhcp);
  std::set<std::uint32_t> quarantined;
  for (int i = 0; i < 4; ++i) {
    auto now = kT0 + 10 * i;  // one binding a second is the client's own limit
    auto address = dora(server, now, mac(1));
    auto r = send(server, now, decline_of(mac(1), address));
    if (i < 2) {
      ASSERT_EQ(r.commit.size(), 1u) << i;
      EXPECT_EQ(r.commit[0].state, store::LeaseState::declined);
      quarantined.insert(address.value);
    } else {
      EXPECT_TRUE(r.commit.empty()) << i;
      EXPECT_EQ(count_events(r, "dhcp.refused", "decline-client-limit"), 1u) << i;
    }
  }
  EXPECT_EQ(quarantined.size(), 2u);
  // Three more clients fill the subnet's share (10% of 50); a sixth DECLINE is refused.
  for (int n = 2; n <= 4; ++n) {
    auto now = kT0 + 100 + n;
    auto address = dora(server, now, mac(n));
    EXPECT_EQ(send(server, now, decline_of(mac(n), address)).commit.size(), 1u) << n;
  }
  auto address = dora(server, kT0 + 200, mac(5));
  auto sixth = send(server, kT0 + 200, decline_of(mac(5), address));
  EXPECT_TRUE(sixth.commit.empty());
  EXPECT_EQ(count_events(sixth, "dhcp.refused", "decline-subnet-limit"), 1u);
}

// Before: 50 REQUESTs without DISCOVER, from 50 MACs, bound a 50-address pool at once.
TEST(DhcpServerAbuse, RequestsWithoutDiscoverAreLimitedPerInterface) {
  auto dhcp = small_pool(50);
  dhcp.interface_bindings_per_second = 5;
  auto server = full_server({}, dhcp);
  std::size_t acked = 0, refused = 0, warn_lines = 0;
  for (int n = 0; n < 50; ++n) {
    auto address = core::Ipv4{dhcp.subnets[0].range_first.value + static_cast<std::uint32_t>(n)};
    auto r = send(server, kT0, selecting(mac(100 + n), address));
    acked += r.reply && r.reply->packet.message_type() == MessageType::ack;
    refused += count_events(r, "dhcp.refused", "interface-rate");
    warn_lines += warns(r);
    if (!r.reply) {
      EXPECT_TRUE(r.commit.empty());
    }
  }
  EXPECT_EQ(acked, 5u);
  EXPECT_EQ(refused, 45u);
  EXPECT_EQ(warn_lines, 1u);  // dhcp.flood state=started
  EXPECT_EQ(server.active_leases(kT0).size(), 5u);
  // The next second, five more.
  auto next = send(server, kT0 + 1, selecting(mac(200), ip("10.77.0.140")));
  ASSERT_TRUE(next.reply);
  EXPECT_EQ(next.reply->packet.message_type(), MessageType::ack);
}

TEST(DhcpServerAbuse, OneClientTakesAtMostItsRateOfNewAddresses) {
  auto dhcp = small_pool(50);
  dhcp.client_bindings_per_second = 2;
  auto server = full_server({}, dhcp);
  std::size_t acked = 0;
  for (std::uint32_t i = 0; i < 10; ++i) {
    auto r = send(server, kT0, selecting(mac(1), core::Ipv4{dhcp.subnets[0].range_first.value + i}));
    acked += r.reply.has_value();
    if (!r.reply) {
      EXPECT_EQ(count_events(r, "dhcp.refused", "client-rate"), 1u);
    }
  }
  EXPECT_EQ(acked, 2u);
}

TEST(DhcpServerAbuse, RenewalsAndRepeatedDiscoversOfAKnownClientAreNotLimited) {
  auto dhcp = small_pool(50);
  dhcp.interface_bindings_per_second = 1;
  dhcp.client_bindings_per_second = 1;
  dhcp.client_answers_per_second = 0;  // its own tests: DhcpAnswerBudget, ...OneClientsFlood...
  auto server = full_server({}, dhcp);
  auto address = dora(server, kT0, mac(1));  // takes the second's one binding
  for (int i = 0; i < 5; ++i) {
    auto renew = send(server, kT0, with_ciaddr(MessageType::request, mac(1), address),
                      unicast_arrival(address, kClientPort, kServerPort));
    ASSERT_TRUE(renew.reply);
    EXPECT_EQ(renew.reply->packet.message_type(), MessageType::ack);
    auto again = send(server, kT0, client_packet(MessageType::discover, mac(1)));
    ASSERT_TRUE(again.reply);
    EXPECT_EQ(again.reply->packet.yiaddr, address);
  }
  EXPECT_FALSE(send(server, kT0, client_packet(MessageType::discover, mac(2))).reply);
  EXPECT_TRUE(send(server, kT0 + 1, client_packet(MessageType::discover, mac(2))).reply);
}

// Before: 3,000 DISCOVERs against an exhausted pool wrote 2,952 warnings.
TEST(DhcpServerAbuse, DiscoverFloodWritesOneLinePerInterval) {
  auto dhcp = small_pool(3);
  dhcp.interface_bindings_per_second = 0;  // every DISCOVER reaches the pool
  auto server = full_server({}, dhcp);
  std::size_t offers = 0, warn_lines = 0, exhausted = 0;
  for (int n = 0; n < 3000; ++n) {
    auto r = send(server, kT0 + n / 1000, client_packet(MessageType::discover, mac(1000 + n)));
    offers += r.reply.has_value();
    warn_lines += warns(r);
    exhausted += count_events(r, "dhcp.refused", "pool-exhausted");
  }
  EXPECT_EQ(offers, 3u);
  EXPECT_EQ(exhausted, 2997u);
  EXPECT_EQ(warn_lines, 1u);
  EXPECT_EQ(server.next_tick(), kT0 + 10);
  auto summary = server.tick(kT0 + 10);
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0].first, broadcast_arrival().ifindex);
  EXPECT_EQ(field(&summary[0].second, "pool-exhausted"), "2996");  // the first was the started line
  EXPECT_TRUE(server.tick(kT0 + 20).empty());
  EXPECT_EQ(server.next_tick(), 0);
}

// Before: one MAC sending DISCOVERs as fast as it could got an OFFER for every
// one (32,818 in a storm), each decided, logged and sent, beside 1,000 machines.
TEST(DhcpServerAbuse, OneClientsFloodIsAnsweredAtItsBudgetAndOthersAsUsual) {
  auto dhcp = full_config();
  dhcp.client_answers_per_second = 10;
  auto server = full_server({}, dhcp);
  std::size_t offers = 0, refused = 0, sightings = 0, warn_lines = 0;
  for (int n = 0; n < 5000; ++n) {
    auto r = send(server, kT0, client_packet(MessageType::discover, mac(1)));
    offers += r.reply.has_value();
    refused += count_events(r, "dhcp.refused", "client-answer-rate");
    sightings += r.seen.has_value();
    warn_lines += warns(r);
    if (n % 500 == 0) {  // the others meanwhile
      EXPECT_TRUE(send(server, kT0, client_packet(MessageType::discover, mac(100 + n))).reply);
    }
  }
  EXPECT_EQ(offers, 10u);
  EXPECT_EQ(refused, 4990u);
  EXPECT_EQ(sightings, 10u);  // a refused packet is not a sighting of the machine
  EXPECT_EQ(warn_lines, 1u);  // dhcp.flood state=started
  // Its own binding is untouched: the next second it is answered again, with the address it was offered.
  auto again = send(server, kT0 + 1, client_packet(MessageType::discover, mac(1)));
  ASSERT_TRUE(again.reply);
  auto first = send(server, kT0 + 2, client_packet(MessageType::discover, mac(1)));
  ASSERT_TRUE(first.reply);
  EXPECT_EQ(again.reply->packet.yiaddr, first.reply->packet.yiaddr);
}

TEST(DhcpServerAbuse, TheAnswerBudgetHoldsBesideAnotherServerAndOnPort4011Too) {
  auto dhcp = proxy_config();
  dhcp.client_answers_per_second = 4;
  Server server(dhcp, boot_config(), http_config(), {});
  auto discover = client_packet(MessageType::discover, mac(1));
  as_pxe(discover, kBios);
  auto boot_request = client_packet(MessageType::request, mac(1));
  as_pxe(boot_request, kBios);
  boot_request.ciaddr = ip("10.77.0.60");
  std::size_t answers = 0;
  for (int n = 0; n < 100; ++n) {
    answers += send(server, kT0, discover).reply.has_value();
    answers += send(server, kT0, boot_request, unicast_arrival(ip("10.77.0.60"), kPxePort, kPxePort)).reply.has_value();
  }
  EXPECT_EQ(answers, 4u);
  EXPECT_TRUE(send(server, kT0 + 1, discover).reply);
}

// Before: a client on our own network set giaddr to the relayed subnet's relay
// and drained that subnet's pool.
TEST(DhcpServerAbuse, GiaddrInABroadcastFromOurNetworkIsNotBelieved) {
  auto server = full_server();
  auto r = send(server, kT0, relayed(MessageType::discover, mac(1)), broadcast_arrival());
  EXPECT_FALSE(r.reply);
  auto* refused = find_event(r, "dhcp.refused");
  EXPECT_EQ(field(refused, "result"), "untrusted-relay");
  EXPECT_EQ(field(refused, "giaddr"), "10.88.0.1");
  auto request = relayed(MessageType::request, mac(1));
  request.options.set_ipv4(option::kServerId, kUs);
  request.options.set_ipv4(option::kRequestedIp, ip("10.88.0.50"));
  EXPECT_FALSE(send(server, kT0, request, broadcast_arrival()).reply);
  // A client of the relayed network posing as its relay.
  EXPECT_FALSE(send(server, kT0, request, unicast_arrival(ip("10.88.0.77"), kServerPort, kServerPort)).reply);
  EXPECT_TRUE(server.active_leases(kT0).empty());
}

TEST(DhcpServerAbuse, RealRelaysAreAnsweredOutOfTheBox) {
  auto server = full_server();
  // From giaddr itself, and from the router's address on our side.
  auto r = send(server, kT0, relayed(MessageType::discover, mac(1)), relayed_arrival());
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->packet.yiaddr, ip("10.88.0.50"));
  auto lan = send(server, kT0, relayed(MessageType::discover, mac(2)),
                  unicast_arrival(kLanRouter, kServerPort, kServerPort));
  ASSERT_TRUE(lan.reply);
  EXPECT_EQ(lan.reply->packet.yiaddr, ip("10.88.0.51"));
  EXPECT_EQ(lan.reply->to, kRelay);
}

TEST(DhcpServerAbuse, ListedRelaysOnly) {
  auto dhcp = full_config();
  dhcp.relay_policy = config::RelayPolicy::listed;
  dhcp.relay_agents = {*core::Ipv4Network::parse("10.77.0.254/32")};
  auto server = full_server({}, dhcp);
  EXPECT_FALSE(send(server, kT0, relayed(MessageType::discover, mac(1)), relayed_arrival()).reply);
  EXPECT_TRUE(send(server, kT0, relayed(MessageType::discover, mac(1)),
                   unicast_arrival(kLanRouter, kServerPort, kServerPort)).reply);
  // Unrelayed clients are not affected.
  EXPECT_TRUE(send(server, kT0, client_packet(MessageType::discover, mac(2))).reply);
}

}  // namespace
}  // namespace pxed::dhcp
