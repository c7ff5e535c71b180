#include "tftp/session.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <queue>
#include <random>

namespace pxed::tftp {
namespace {

using namespace std::chrono_literals;

const TimePoint kT0{};

Negotiated plain() { return Negotiated{}; }

Negotiated with_options(std::uint32_t blksize, std::uint16_t windowsize, bool tsize = false) {
  Negotiated n;
  n.blksize = blksize;
  n.windowsize = windowsize;
  n.tsize = tsize;
  n.accepted.emplace_back("blksize", std::to_string(blksize));
  if (windowsize > 1) n.accepted.emplace_back("windowsize", std::to_string(windowsize));
  if (tsize) n.accepted.emplace_back("tsize", "1");
  return n;
}

SessionLimits limits() { return SessionLimits{.rto_min = 2ms, .rto_max = 1s, .idle_timeout = 20s}; }

template <typename T>
const T& only(const std::vector<Action>& actions) {
  EXPECT_EQ(actions.size(), 1u);
  return std::get<T>(actions.at(0));
}

TEST(TftpSession, StartsWithBlockOneWhenNoOptionsWereAsked) {
  Session s(plain(), 1000, limits(), kT0);
  auto blocks = only<SendBlocks>(s.start());
  EXPECT_EQ(blocks.first, 1u);
  EXPECT_EQ(blocks.count, 1u);
  EXPECT_EQ(s.block_length(1), 512u);
  EXPECT_EQ(s.block_length(2), 488u);
  EXPECT_EQ(s.last_block(), 2u);
}

TEST(TftpSession, SendsOackAndWaitsForAckZero) {
  Session s(with_options(1468, 1), 3000, limits(), kT0);
  only<SendOack>(s.start());
  EXPECT_TRUE(s.on_packet(kT0 + 1ms, Ack{5}).empty());  // not the OACK's ACK
  auto blocks = only<SendBlocks>(s.on_packet(kT0 + 1ms, Ack{0}));
  EXPECT_EQ(blocks.first, 1u);
}

TEST(TftpSession, FinishesOkWhenLastBlockIsAcknowledged) {
  Session s(plain(), 600, limits(), kT0);
  s.start();
  only<SendBlocks>(s.on_packet(kT0 + 1ms, Ack{1}));
  auto done = only<Finished>(s.on_packet(kT0 + 2ms, Ack{2}));
  EXPECT_EQ(done.outcome, Outcome::ok);
  EXPECT_EQ(s.stats().bytes_acked, 600u);
  EXPECT_TRUE(s.finished());
}

TEST(TftpSession, ExactMultipleOfBlksizeEndsWithAnEmptyBlock) {
  Session s(plain(), 1024, limits(), kT0);
  EXPECT_EQ(s.last_block(), 3u);
  EXPECT_EQ(s.block_length(3), 0u);
  Session empty(plain(), 0, limits(), kT0);
  EXPECT_EQ(empty.last_block(), 1u);
  EXPECT_EQ(empty.block_length(1), 0u);
}

TEST(TftpSession, RetransmitsLastBlockWhenAckTimesOut) {
  Session s(plain(), 5000, limits(), kT0);
  s.start();
  EXPECT_TRUE(s.on_timeout(s.deadline() - 1us).empty());  // not due yet
  auto again = only<SendBlocks>(s.on_timeout(s.deadline()));
  EXPECT_EQ(again.first, 1u);
  EXPECT_EQ(s.stats().retransmitted, 1u);
}

TEST(TftpSession, DuplicateAckNeverTriggersASend) {
  Session s(plain(), 5000, limits(), kT0);
  s.start();
  only<SendBlocks>(s.on_packet(kT0 + 1ms, Ack{1}));
  // The sorcerer's apprentice: answering this duplicate would double every block from here on.
  EXPECT_TRUE(s.on_packet(kT0 + 2ms, Ack{1}).empty());
  EXPECT_TRUE(s.on_packet(kT0 + 2ms, Ack{0}).empty());
  EXPECT_EQ(s.stats().duplicate_acks, 2u);
}

TEST(TftpSession, AckForABlockNotYetSentIsIgnored) {
  Session s(plain(), 5000, limits(), kT0);
  s.start();
  EXPECT_TRUE(s.on_packet(kT0 + 1ms, Ack{7}).empty());
  EXPECT_EQ(s.acked(), 0u);
}

TEST(TftpSession, BlockNumbersRollOverPast65535) {
  const std::uint64_t blocks = 70000;
  Session s(plain(), blocks * 512 + 100, limits(), kT0);
  s.start();
  auto now = kT0;
  for (std::uint64_t b = 1; b < blocks + 1; ++b) {
    now += 10us;
    auto next = only<SendBlocks>(s.on_packet(now, Ack{static_cast<std::uint16_t>(b)}));
    ASSERT_EQ(next.first, b + 1);
  }
  auto done = only<Finished>(s.on_packet(now + 10us, Ack{static_cast<std::uint16_t>(blocks + 1)}));
  EXPECT_EQ(done.outcome, Outcome::ok);
  EXPECT_EQ(s.stats().bytes_acked, blocks * 512 + 100);
}

TEST(TftpSession, Edk2TsizeProbeIsANormalOutcome) {
  Session s(with_options(1468, 1, true), 100000, limits(), kT0);
  only<SendOack>(s.start());
  auto done = only<Finished>(s.on_packet(kT0 + 1ms, Error{ErrorCode::option_refused, "User aborted the transfer"}));
  EXPECT_EQ(done.outcome, Outcome::tsize_probe);
}

TEST(TftpSession, ClientRefusingTheOackEndsWithOptionsRefused) {
  Session s(with_options(1468, 1), 100000, limits(), kT0);
  s.start();
  auto done = only<Finished>(s.on_packet(kT0 + 1ms, Error{ErrorCode::option_refused, ""}));
  EXPECT_EQ(done.outcome, Outcome::options_refused);
}

TEST(TftpSession, ClientErrorMidTransferIsRecorded) {
  Session s(plain(), 100000, limits(), kT0);
  s.start();
  auto done = only<Finished>(s.on_packet(kT0 + 1ms, Error{ErrorCode::disk_full, "full"}));
  EXPECT_EQ(done.outcome, Outcome::client_error);
  EXPECT_EQ(s.stats().client_error, ErrorCode::disk_full);
  EXPECT_EQ(s.stats().client_message, "full");
}

TEST(TftpSession, DataFromTheClientIsAnIllegalOperation) {
  Session s(plain(), 100000, limits(), kT0);
  s.start();
  auto actions = s.on_packet(kT0 + 1ms, Data{1, {}});
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(std::get<SendError>(actions[0]).code, ErrorCode::illegal_operation);
  EXPECT_EQ(std::get<Finished>(actions[1]).outcome, Outcome::protocol_error);
}

TEST(TftpSession, GivesUpAfterIdleTimeoutWithoutProgress) {
  Session s(plain(), 100000, limits(), kT0);
  s.start();
  int resends = 0;
  while (!s.finished()) {
    auto actions = s.on_timeout(s.deadline());
    if (std::holds_alternative<SendBlocks>(actions.at(0))) ++resends;
    ASSERT_LT(resends, 100);
  }
  EXPECT_GE(s.deadline() - kT0, 20s - 1s);
  EXPECT_GT(resends, 5);
}

TEST(TftpSession, RetransmitTimerBacksOffAndAdaptsToRoundTrip) {
  Session s(plain(), 1'000'000, limits(), kT0);
  s.start();
  auto now = kT0;
  for (std::uint16_t b = 1; b <= 50; ++b) {
    now += 100us;
    s.on_packet(now, Ack{b});
  }
  EXPECT_EQ(s.rto(), 2ms);  // 100 µs round trips: the floor
  auto before = s.rto();
  s.on_timeout(s.deadline());
  EXPECT_EQ(s.rto(), 2 * before);
}

TEST(TftpSession, ClientTimeoutOptionCapsTheRetransmitTimer) {
  auto n = plain();
  n.timeout = std::chrono::seconds(1);
  n.accepted.emplace_back("timeout", "1");
  Session s(n, 1'000'000, SessionLimits{.rto_min = 2ms, .rto_max = 10s, .idle_timeout = 60s}, kT0);
  s.start();
  for (int i = 0; i < 10; ++i) s.on_timeout(s.deadline());
  EXPECT_EQ(s.rto(), 1s);
}

TEST(TftpSession, WindowSendsManyBlocksAndResendsFromTheGap) {
  Session s(with_options(512, 8), 512 * 100, limits(), kT0);
  s.start();
  auto w1 = only<SendBlocks>(s.on_packet(kT0 + 1ms, Ack{0}));
  EXPECT_EQ(w1.first, 1u);
  EXPECT_EQ(w1.count, 8u);
  // Block 5 was lost: RFC 7440 clients acknowledge the last block in order.
  auto w2 = only<SendBlocks>(s.on_packet(kT0 + 2ms, Ack{4}));
  EXPECT_EQ(w2.first, 5u);
  EXPECT_EQ(w2.count, 8u);
  // A late ACK for the older window is stale.
  EXPECT_TRUE(s.on_packet(kT0 + 3ms, Ack{3}).empty());
}

TEST(TftpSession, LastWindowIsShort) {
  Session s(with_options(512, 8), 512 * 10, limits(), kT0);
  s.start();
  s.on_packet(kT0 + 1ms, Ack{0});
  auto w = only<SendBlocks>(s.on_packet(kT0 + 2ms, Ack{8}));
  EXPECT_EQ(w.first, 9u);
  EXPECT_EQ(w.count, 3u);  // 9, 10 and the empty 11th
}

TEST(TftpSession, UnknownSizeStreamsUntilTheServiceFindsAShortBlock) {
  // netascii: the size is learnt by reading, never by a scan beforehand.
  Session s(with_options(512, 4), std::nullopt, limits(), kT0);
  EXPECT_FALSE(s.size_known());
  s.start();
  auto w1 = only<SendBlocks>(s.on_packet(kT0 + 1ms, Ack{0}));
  EXPECT_EQ(w1.first, 1u);
  EXPECT_EQ(w1.count, 4u);
  EXPECT_EQ(s.block_length(3), 512u);  // as much as fits; the read tells
  // The service read block 3 short: it is the last, block 4 is never sent.
  s.end_at(3, 100);
  EXPECT_TRUE(s.size_known());
  EXPECT_EQ(s.last_block(), 3u);
  EXPECT_EQ(s.block_length(3), 100u);
  EXPECT_TRUE(s.on_packet(kT0 + 2ms, Ack{4}).empty());  // never sent, so not acknowledged
  auto done = only<Finished>(s.on_packet(kT0 + 2ms, Ack{3}));
  EXPECT_EQ(done.outcome, Outcome::ok);
  EXPECT_EQ(s.stats().bytes_acked, 1124u);
}

TEST(TftpSession, UnknownSizeEndingOnABlockBoundaryEndsWithAnEmptyBlock) {
  Session s(plain(), std::nullopt, limits(), kT0);
  only<SendBlocks>(s.start());
  only<SendBlocks>(s.on_packet(kT0 + 1ms, Ack{1}));
  s.end_at(2, 0);
  EXPECT_EQ(s.block_length(2), 0u);
  EXPECT_EQ(only<Finished>(s.on_packet(kT0 + 2ms, Ack{2})).outcome, Outcome::ok);
  EXPECT_EQ(s.stats().bytes_acked, 512u);
}

TEST(TftpSession, EndAtIgnoresAFullBlockAndAKnownSize) {
  Session s(plain(), std::nullopt, limits(), kT0);
  s.end_at(1, 512);  // a full block is not an end
  EXPECT_FALSE(s.size_known());
  Session known(plain(), 1000, limits(), kT0);
  known.end_at(1, 10);
  EXPECT_EQ(known.last_block(), 2u);
}

// A simulated network and an RFC 1350/7440 client: what the session must
// survive before any real socket is involved.
struct NetworkModel {
  double drop = 0;
  double duplicate = 0;
  double reorder = 0;  // this share of packets is held back behind later ones
  Duration delay = 50us;
  Duration reorder_delay = 300us;
};

struct Wire {
  TimePoint at;
  bool to_client;
  Packet packet;
  std::uint64_t order;
  bool operator>(const Wire& o) const { return at != o.at ? at > o.at : order > o.order; }
};

struct SimResult {
  Outcome outcome;
  std::uint64_t blocks_delivered;
  std::uint64_t data_packets_sent;
  bool in_order;
  Duration elapsed;
};

SimResult simulate(const Negotiated& n, std::uint64_t size, NetworkModel net, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> coin(0, 1);
  std::priority_queue<Wire, std::vector<Wire>, std::greater<>> inflight;
  std::uint64_t order = 0;
  auto now = kT0;
  auto send = [&](bool to_client, Packet p) {
    if (coin(rng) < net.drop) return;
    int copies = coin(rng) < net.duplicate ? 2 : 1;
    auto at = now + net.delay + (coin(rng) < net.reorder ? net.reorder_delay : Duration{});
    for (int i = 0; i < copies; ++i) inflight.push(Wire{at, to_client, p, order++});
  };

  Session s(n, size, limits(), now);
  SimResult r{Outcome::timeout, 0, 0, true, {}};
  // Client state: next block wanted, blocks received in the current window.
  std::uint64_t next = 1;
  std::uint32_t in_window = 0;
  bool got_oack = n.accepted.empty();
  const Duration client_timeout = 50ms;
  auto client_deadline = now + client_timeout;
  std::uint16_t last_ack = 0;
  bool done = false;

  auto run = [&](const std::vector<Action>& actions) {
    for (const auto& a : actions) {
      if (const auto* oack = std::get_if<SendOack>(&a)) send(true, oack->oack);
      if (const auto* blocks = std::get_if<SendBlocks>(&a)) {
        for (std::uint32_t i = 0; i < blocks->count; ++i) {
          ++r.data_packets_sent;
          // The payload's first byte carries the block's low bits so the client can check order.
          send(true, Data{static_cast<std::uint16_t>(blocks->first + i), {}});
        }
      }
      if (const auto* f = std::get_if<Finished>(&a)) {
        r.outcome = f->outcome;
        done = true;
      }
    }
  };
  auto client_ack = [&](std::uint16_t block) {
    last_ack = block;
    client_deadline = now + client_timeout;
    send(false, Ack{block});
  };

  run(s.start());
  for (int steps = 0; !done && steps < 5'000'000; ++steps) {
    // Whichever comes first: a packet arriving, the server's timer, the client's timer.
    auto next_event = std::min({inflight.empty() ? TimePoint::max() : inflight.top().at, s.deadline(), client_deadline});
    now = next_event;
    if (!inflight.empty() && inflight.top().at == now) {
      auto w = inflight.top();
      inflight.pop();
      if (!w.to_client) {
        run(s.on_packet(now, w.packet));
        continue;
      }
      if (std::holds_alternative<OptionAck>(w.packet)) {
        got_oack = true;
        client_ack(0);
        continue;
      }
      const auto& data = std::get<Data>(w.packet);
      if (!got_oack) continue;
      if (data.block == static_cast<std::uint16_t>(next)) {
        bool last = s.block_length(next) < s.blksize();
        ++r.blocks_delivered;
        ++next;
        ++in_window;
        client_deadline = now + client_timeout;
        if (last) {
          client_ack(static_cast<std::uint16_t>(next - 1));
        } else if (in_window >= n.windowsize) {
          in_window = 0;
          client_ack(static_cast<std::uint16_t>(next - 1));
        }
      } else if (n.windowsize > 1 && data.block != static_cast<std::uint16_t>(next - 1)) {
        // RFC 7440 §4: on a gap, acknowledge the last block received in order.
        in_window = 0;
        client_ack(static_cast<std::uint16_t>(next - 1));
      } else {
        // Lock-step clients re-acknowledge a duplicate: the classic apprentice trigger.
        client_ack(static_cast<std::uint16_t>(next - 1));
      }
      continue;
    }
    if (s.deadline() == now) {
      run(s.on_timeout(now));
      continue;
    }
    // Client timeout: repeat the last ACK. Before the OACK a real client would
    // repeat its RRQ, which the server ignores while the transfer runs.
    if (got_oack) {
      in_window = 0;
      client_ack(last_ack);
    } else {
      client_deadline = now + client_timeout;
    }
  }
  r.in_order = r.blocks_delivered == s.last_block();
  r.elapsed = now - kT0;
  return r;
}

struct LossCase {
  const char* name;
  std::uint16_t windowsize;
  NetworkModel net;
};

class TftpSessionLossy : public ::testing::TestWithParam<LossCase> {};

TEST_P(TftpSessionLossy, CompletesInOrderDespiteLossDuplicationAndReordering) {
  const auto& c = GetParam();
  const std::uint64_t size = 512 * 3000 + 17;
  for (unsigned seed = 1; seed <= 5; ++seed) {
    auto r = simulate(with_options(512, c.windowsize), size, c.net, seed);
    ASSERT_EQ(r.outcome, Outcome::ok) << c.name << " seed " << seed;
    EXPECT_TRUE(r.in_order) << c.name << " seed " << seed;
    // Retransmissions stay proportional to loss: no apprentice-style doubling.
    double sent_per_block = static_cast<double>(r.data_packets_sent) / 3001.0;
    // Retransmissions stay proportional to trouble: no apprentice-style doubling.
    // A loss or reordering inside a window costs at most the rest of the window.
    auto trouble = c.net.drop + c.net.duplicate + c.net.reorder;
    EXPECT_LE(sent_per_block, 1.0 + 3 * trouble * c.windowsize + 2 * trouble) << c.name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Networks, TftpSessionLossy,
    ::testing::Values(LossCase{"clean_lockstep", 1, {}}, LossCase{"clean_window8", 8, {}},
                      LossCase{"drop5_lockstep", 1, {.drop = 0.05}}, LossCase{"drop5_window8", 8, {.drop = 0.05}},
                      LossCase{"drop20_window16", 16, {.drop = 0.20}},
                      LossCase{"duplicate10_lockstep", 1, {.duplicate = 0.10}},
                      LossCase{"reorder_window8", 8, {.reorder = 0.02}},
                      LossCase{"everything_window4", 4, {.drop = 0.05, .duplicate = 0.05, .reorder = 0.02}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(TftpSessionLossy, OnePercentLossCostsMillisecondsNotSeconds) {
  // 20 MiB at blksize 512 lock-step: ~400 losses. A fixed 1 s timer would add
  // minutes; the adaptive one adds a few ms per loss.
  auto r = simulate(with_options(512, 1), 20 * 1024 * 1024, {.drop = 0.01}, 42);
  ASSERT_EQ(r.outcome, Outcome::ok);
  EXPECT_LT(r.elapsed, 10s);
}

}  // namespace
}  // namespace pxed::tftp
