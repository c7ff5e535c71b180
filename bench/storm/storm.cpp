// pxed-storm: N PXE machines powered on at once, each from its own sockets:
// DHCP DISCOVER/OFFER/REQUEST/ACK through its own relay agent, TFTP of the
// loader and pxelinux's config names, then HTTP of a kernel and an initrd.
// One thread, one coroutine per machine; the decisions are in plan.cpp.
// See bench/storm.sh (the runner) and bench/RESULTS.md (how it is faithful).
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/core.h>

#include "storm/bad.hpp"
#include "storm/plan.hpp"
#include "storm/report.hpp"
#include "tftp/packet.hpp"

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using asio::ip::udp;
using Clock = std::chrono::steady_clock;
using namespace asio::experimental::awaitable_operators;

namespace pxed::storm {
namespace {

constexpr std::uint16_t kDhcpServerPort = 67;  // relay agents listen on it too (RFC 1542 §4.1)
constexpr std::uint16_t kTftpPort = 69;
constexpr std::size_t kDatagramMax = 65536;
constexpr std::size_t kHttpHeaderMax = 16384;
// DISCOVER-REQUEST rounds a machine tries when NAKed: within its DHCP time, at most this many.
constexpr unsigned kDhcpAttempts = 1000;
constexpr auto kDhcpBudget = kDhcpTimeouts[0] + kDhcpTimeouts[1] + kDhcpTimeouts[2] + kDhcpTimeouts[3];

struct Settings {
  std::size_t clients = 50;
  std::string server = "10.246.0.1";
  std::string relay_first = "10.246.128.1";
  std::string http_server;  // default: server
  std::uint16_t http_port = 80;
  std::string kernel = "/storm/vmlinuz";
  std::string initrd = "/storm/initrd.img";
  unsigned uefi_percent = 50;
  unsigned spread_ms = 0;
  unsigned deadline_s = 600;
  std::string csv;
  // TFTP only: no DHCP and no HTTP; machine i has pool address i and fetches its loader by name.
  bool tftp_only = false;
  std::string pool_first = "10.246.160.1";
  std::string bios_file = "lpxelinux.0";
  std::string efi_file = "syslinux.efi";
  // Proxy mode: --server is the DHCP server that hands out addresses (Kea), this the ProxyDHCP.
  std::string proxy;
  // Bad mode: this process is the one bad client beside a storm (bad.hpp), not the machines.
  std::string bad;
  unsigned bad_seconds = 600;
  std::size_t bad_index = 0;  // its MAC and address are those of machine `bad_index`; default: --clients
  std::string bad_tftp_file = "storm/initrd.img";
};


struct Run {
  asio::io_context& io;
  const Settings& settings;
  core::Ipv4 relay_first;
  core::Ipv4 pool_first;
  core::Ipv4 server;
  udp::endpoint dhcp_server;
  tcp::endpoint http_server;
  std::optional<core::Ipv4> proxy;
  Clock::time_point start;
  std::vector<Result> results;
  std::vector<char> discard;  // HTTP bodies are counted, not kept
};

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

asio::ip::address_v4 address_of(core::Ipv4 a) { return asio::ip::address_v4{a.value}; }

// A datagram before the deadline: its size, or nothing at the deadline (or on a
// socket error, which the caller treats as a timeout).
awaitable<std::optional<std::size_t>> receive_until(udp::socket& socket, std::vector<std::byte>& buffer,
                                                    udp::endpoint& from, asio::steady_timer& timer,
                                                    Clock::time_point deadline) {
  timer.expires_at(deadline);
  auto got = co_await (socket.async_receive_from(asio::buffer(buffer), from, asio::as_tuple(use_awaitable)) ||
                       timer.async_wait(asio::as_tuple(use_awaitable)));
  if (got.index() != 0) co_return std::nullopt;
  auto [ec, n] = std::get<0>(got);
  if (ec) co_return std::nullopt;
  co_return n;
}

// The wall clock, as the kernel stamps a datagram's arrival (SO_TIMESTAMPNS).
double wall_ms_now() {
  timespec t{};
  ::clock_gettime(CLOCK_REALTIME, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

// A datagram before the deadline and when the kernel queued it on the socket
// (wall-clock ms), or nothing at the deadline or on a socket error.
struct Stamped {
  std::size_t length = 0;
  double arrived_ms = 0;
};
awaitable<std::optional<Stamped>> receive_stamped(udp::socket& socket, std::vector<std::byte>& buffer,
                                                  asio::steady_timer& timer, Clock::time_point deadline) {
  timer.expires_at(deadline);
  for (;;) {
    iovec iov{buffer.data(), buffer.size()};
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(timespec))> control{};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    const auto n = ::recvmsg(socket.native_handle(), &msg, MSG_DONTWAIT);
    if (n >= 0) {
      Stamped out{static_cast<std::size_t>(n), wall_ms_now()};
      for (auto* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          timespec t{};
          std::memcpy(&t, CMSG_DATA(c), sizeof t);
          out.arrived_ms = static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
        }
      }
      co_return out;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) co_return std::nullopt;
    auto got = co_await (socket.async_wait(udp::socket::wait_read, asio::as_tuple(use_awaitable)) ||
                         timer.async_wait(asio::as_tuple(use_awaitable)));
    if (got.index() != 0 || std::get<0>(std::get<0>(got))) co_return std::nullopt;
  }
}

// One DHCP exchange with the firmware's retries: send `out`, wait for the
// reply of `type` (or a NAK, when `nak` says so) to our xid, resend after 4, 8,
// 16, 32 s. `answer_ms` is the wait after the last send until the reply reached
// the machine's socket (the kernel's receive timestamp): the server's answer
// time, without the time this one thread takes to get round to reading it
// (starting 1,000 machines takes it ~100 ms, which a room of machines with a
// CPU each does not spend).
awaitable<std::optional<dhcp::Packet>> exchange(udp::socket& socket, const udp::endpoint& server,
                                                dhcp::Packet out, const Machine& m, dhcp::MessageType type,
                                                bool nak, Clock::time_point dhcp_start, unsigned& sent,
                                                double& answer_ms, std::vector<std::byte>& buffer,
                                                const udp::endpoint* also = nullptr,
                                                std::optional<core::Ipv4> chosen = std::nullopt) {
  asio::steady_timer timer(socket.get_executor());
  for (auto wait : kDhcpTimeouts) {
    out.secs = static_cast<std::uint16_t>(
        std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - dhcp_start).count());
    const auto bytes = dhcp::encode(out).bytes;
    const auto sent_at = Clock::now();
    const double sent_wall_ms = wall_ms_now();
    co_await socket.async_send_to(asio::buffer(bytes), server, use_awaitable);
    if (also != nullptr) co_await socket.async_send_to(asio::buffer(bytes), *also, use_awaitable);
    ++sent;
    const auto deadline = sent_at + wait;
    while (Clock::now() < deadline) {
      auto got = co_await receive_stamped(socket, buffer, timer, deadline);
      if (!got) continue;
      auto reply = dhcp::decode(std::span(buffer.data(), got->length));
      if (!reply) continue;
      if (!answers(*reply, m, out.xid, type) && !(nak && answers(*reply, m, out.xid, dhcp::MessageType::nak))) {
        continue;
      }
      if (chosen && !from_chosen_server(*reply, *chosen)) continue;
      answer_ms = std::max(0.0, got->arrived_ms - sent_wall_ms);
      co_return *reply;
    }
  }
  co_return std::nullopt;
}

struct Fetch {
  TftpState state = TftpState::failed;
  std::uint64_t bytes = 0;
  std::string why;
};

// One TFTP read from `local`, as firmware does it: RRQ to port 69, then
// everything from the port the server answered from; the last packet again
// after each timeout, `tries` times. probe: stop at the first answer with
// ERROR 8, as EDK2 does after asking tsize (FIRMWARE.md 18).
awaitable<Fetch> tftp_get(asio::io_context& io, core::Ipv4 local, const udp::endpoint& server,
                          std::string name, TftpAsk ask, const FirmwareTftp& firmware, bool probe,
                          unsigned& retransmits, std::vector<std::byte>& buffer,
                          std::uint64_t* progress = nullptr) {
  udp::socket socket(io, udp::endpoint(address_of(local), 0));
  asio::steady_timer timer(io);
  TftpReceiver rx(std::move(name), ask);
  co_await socket.async_send_to(asio::buffer(rx.request()), server, use_awaitable);
  std::optional<udp::endpoint> peer;
  unsigned tries = 1;
  while (rx.state() == TftpState::waiting || rx.state() == TftpState::receiving) {
    udp::endpoint from;
    auto n = co_await receive_until(socket, buffer, from, timer, Clock::now() + firmware.timeout);
    if (!n) {
      if (tries++ >= firmware.tries) co_return Fetch{TftpState::failed, rx.bytes(), "timeout"};
      ++retransmits;
      co_await socket.async_send_to(asio::buffer(rx.last_sent()), peer.value_or(server), use_awaitable);
      continue;
    }
    if (from.address() != server.address()) continue;
    if (peer && from != *peer) {
      // RFC 1350 §4: a packet from another port is not this transfer's; the source gets ERROR 5
      // (the server's second transfer for a resent RRQ, which then ends instead of timing out).
      const auto stray = tftp::encode(tftp::Error{tftp::ErrorCode::unknown_tid, "Unknown transfer ID"});
      co_await socket.async_send_to(asio::buffer(stray), from, use_awaitable);
      continue;
    }
    peer = from;
    tries = 1;
    if (probe) {
      const auto abort = tftp::encode(tftp::Error{tftp::ErrorCode::option_refused, "User aborted the transfer"});
      co_await socket.async_send_to(asio::buffer(abort), from, use_awaitable);
      co_return Fetch{TftpState::done, 0, {}};
    }
    auto reply = rx.on_packet(std::span(buffer.data(), *n));
    if (progress != nullptr) *progress = rx.bytes();
    if (!reply.empty()) co_await socket.async_send_to(asio::buffer(reply), from, use_awaitable);
  }
  co_return Fetch{rx.state(), rx.bytes(), rx.error()};
}

// GET on a kept-alive connection; the body is read and dropped. The status,
// or an exception for a broken connection.
awaitable<std::uint64_t> http_get(tcp::socket& socket, asio::streambuf& in, const std::string& host,
                                  const std::string& path, std::vector<char>& discard) {
  const auto request = fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: pxed-storm\r\n\r\n", path, host);
  co_await asio::async_write(socket, asio::buffer(request), use_awaitable);
  const auto header_size = co_await asio::async_read_until(socket, in, "\r\n\r\n", use_awaitable);
  std::string header(asio::buffers_begin(in.data()), asio::buffers_begin(in.data()) + static_cast<std::ptrdiff_t>(header_size));
  in.consume(header_size);
  if (header.size() > kHttpHeaderMax || !header.starts_with("HTTP/1.1 200")) {
    throw std::runtime_error("HTTP " + header.substr(0, header.find('\r')));
  }
  std::string lower = header;
  std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto at = lower.find("\r\ncontent-length:");
  if (at == std::string::npos) throw std::runtime_error("HTTP reply without Content-Length");
  const std::uint64_t length = std::stoull(header.substr(at + 17));
  std::uint64_t left = length;
  const auto buffered = std::min<std::uint64_t>(left, in.size());
  in.consume(buffered);
  left -= buffered;
  // MSG_TRUNC on TCP drops the bytes in the kernel without copying them (tcp(7)): one process
  // plays every machine on one CPU, and copying their 58 GB would make it the bottleneck a
  // room of real machines, each with its own CPU, does not have.
  while (left > 0) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(left, discard.size()));
    const auto got = ::recv(socket.native_handle(), discard.data(), want, MSG_TRUNC | MSG_DONTWAIT);
    if (got > 0) {
      left -= static_cast<std::uint64_t>(got);
      continue;
    }
    if (got == 0) throw std::runtime_error("connection closed in the body");
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      throw boost::system::system_error(errno, boost::system::system_category(), "recv");
    }
    co_await socket.async_wait(tcp::socket::wait_read, use_awaitable);
  }
  co_return length;
}

// What the machine takes from its ACK.
struct Lease {
  core::Ipv4 address;
  std::string file;
  core::Ipv4 next_server;
};

// DHCP through the machine's own relay agent, until an ACK or its DHCP time is spent.
awaitable<Lease> get_lease(Run& run, const Machine& m, Result& r, Clock::time_point power_on,
                           std::vector<std::byte>& buffer) {
  // The relay agent this machine sits behind: its own address, port 67.
  const core::Ipv4 giaddr{run.relay_first.value + static_cast<std::uint32_t>(m.index)};
  udp::socket relay(run.io, udp::endpoint(address_of(giaddr), kDhcpServerPort));
  const int on = 1;
  ::setsockopt(relay.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  std::optional<dhcp::Packet> ack;
  // RFC 2131 §4.4.1: a NAK sends the client back to DISCOVER at once (a server that offered
  // one address to two machines NAKs the second REQUEST). The machine starts over until its
  // DHCP time (PXE 2.1's 4 + 8 + 16 + 32 s) is spent, as EDK2's DHCP does.
  for (unsigned attempt = 0; attempt < kDhcpAttempts && !ack && Clock::now() - power_on < kDhcpBudget; ++attempt) {
    const std::uint32_t xid = static_cast<std::uint32_t>((m.index * kDhcpAttempts + attempt) * 2654435761u);
    auto offer = co_await exchange(relay, run.dhcp_server, discover(m, xid, giaddr, 0), m,
                                   dhcp::MessageType::offer, false, power_on, r.discovers, r.offer_ms, buffer);
    if (!offer) throw std::runtime_error("no OFFER after 4 DISCOVERs");
    auto reply = co_await exchange(relay, run.dhcp_server, request(m, xid, giaddr, 0, *offer), m,
                                   dhcp::MessageType::ack, true, power_on, r.requests, r.ack_ms, buffer);
    if (!reply) throw std::runtime_error("no ACK after 4 REQUESTs");
    if (reply->message_type() == dhcp::MessageType::nak) {
      ++r.naks;
      continue;
    }
    ack = std::move(reply);
  }
  if (!ack) throw std::runtime_error(fmt::format("NAK to each of {} REQUESTs", r.naks));
  Lease lease{ack->yiaddr, ack->file, ack->siaddr};
  if (lease.file.empty()) lease.file = ack->options.text(dhcp::option::kBootfile).value_or("");
  if (lease.file.empty()) throw std::runtime_error("ACK without a boot file");
  if (lease.next_server.is_zero()) {
    lease.next_server = ack->options.ipv4(dhcp::option::kServerId).value_or(core::Ipv4{});
  }
  co_return lease;
}

// Beside a DHCP server: the relay forwards every DISCOVER and REQUEST to both helper addresses
// (the DHCP server and the proxy, as an ip-helper list does), and both answer to giaddr:67.
// The machine waits for the DHCP server's OFFER and the proxy's (PXE 2.1 §2.2.3: without a
// PXEClient offer it tries again at its next timer, FIRMWARE.md 17).
struct Offers {
  std::optional<dhcp::Packet> address, proxy;
};
awaitable<Offers> discover_beside(udp::socket& relay, Run& run, dhcp::Packet out, const Machine& m, Result& r,
                                  Clock::time_point dhcp_start, std::vector<std::byte>& buffer) {
  asio::steady_timer timer(relay.get_executor());
  const udp::endpoint proxy(address_of(*run.proxy), kDhcpServerPort);
  Offers got;
  for (auto wait : kDhcpTimeouts) {
    out.secs = static_cast<std::uint16_t>(
        std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - dhcp_start).count());
    const auto bytes = dhcp::encode(out).bytes;
    const auto sent_at = Clock::now();
    co_await relay.async_send_to(asio::buffer(bytes), run.dhcp_server, use_awaitable);
    co_await relay.async_send_to(asio::buffer(bytes), proxy, use_awaitable);
    ++r.discovers;
    const auto deadline = sent_at + wait;
    while (Clock::now() < deadline && !(got.address && got.proxy)) {
      udp::endpoint from;
      auto n = co_await receive_until(relay, buffer, from, timer, deadline);
      if (!n) continue;
      auto reply = dhcp::decode(std::span(buffer.data(), *n));
      if (!reply || !answers(*reply, m, out.xid, dhcp::MessageType::offer)) continue;
      if (is_proxy_offer(*reply)) {
        if (!got.proxy) r.proxy_ms = ms_since(sent_at);
        got.proxy = std::move(*reply);
      } else if (!reply->yiaddr.is_zero() && !got.address) {
        r.offer_ms = ms_since(sent_at);
        got.address = std::move(*reply);
      }
    }
    if (got.address && got.proxy) break;
  }
  co_return got;
}

// The address from the DHCP server, the boot file from the proxy: from its OFFER, or from its
// boot server on 4011 (plan.cpp's proxy_boot_of decides which, per firmware).
awaitable<Lease> get_lease_beside(Run& run, const Machine& m, Result& r, Clock::time_point power_on,
                                  std::vector<std::byte>& buffer) {
  const core::Ipv4 giaddr{run.relay_first.value + static_cast<std::uint32_t>(m.index)};
  udp::socket relay(run.io, udp::endpoint(address_of(giaddr), kDhcpServerPort));
  const udp::endpoint proxy(address_of(*run.proxy), kDhcpServerPort);
  std::optional<dhcp::Packet> ack;
  Offers offers;
  for (unsigned attempt = 0; attempt < kDhcpAttempts && !ack && Clock::now() - power_on < kDhcpBudget; ++attempt) {
    const std::uint32_t xid = static_cast<std::uint32_t>((m.index * kDhcpAttempts + attempt) * 2654435761u);
    offers = co_await discover_beside(relay, run, discover(m, xid, giaddr, 0), m, r, power_on, buffer);
    if (!offers.address) throw std::runtime_error("no OFFER with an address after 4 DISCOVERs");
    if (!offers.proxy) throw std::runtime_error("no proxy OFFER after 4 DISCOVERs");
    auto reply = co_await exchange(relay, run.dhcp_server, request(m, xid, giaddr, 0, *offers.address), m,
                                   dhcp::MessageType::ack, true, power_on, r.requests, r.ack_ms, buffer, &proxy,
                                   offers.address->options.ipv4(dhcp::option::kServerId).value_or(core::Ipv4{}));
    if (!reply) throw std::runtime_error("no ACK after 4 REQUESTs");
    if (reply->message_type() == dhcp::MessageType::nak) {
      ++r.naks;
      continue;
    }
    ack = std::move(reply);
  }
  if (!ack) throw std::runtime_error(fmt::format("NAK to each of {} REQUESTs", r.naks));
  auto boot = proxy_boot_of(*offers.proxy, m.firmware, *run.proxy);
  if (boot.ask_boot_server) {
    // PXE 2.1 §2.2.6: unicast from the new address, client port 68, to the proxy's 4011.
    udp::socket client(run.io, udp::endpoint(address_of(ack->yiaddr), 68));
    unsigned sent = 0;
    const auto xid = static_cast<std::uint32_t>(m.index * 2654435761u) ^ 0x4011u;
    auto answer = co_await exchange(client, udp::endpoint(address_of(*run.proxy), 4011),
                                    boot_server_request(m, xid, ack->yiaddr, boot.boot_item), m,
                                    dhcp::MessageType::ack, false, Clock::now(), sent, r.boot_server_ms, buffer);
    if (!answer) throw std::runtime_error("no ACK from the boot server on 4011 after 4 REQUESTs");
    boot = boot_from_ack(*answer, *run.proxy);
  }
  if (boot.file.empty()) throw std::runtime_error("no boot file from the proxy");
  co_return Lease{ack->yiaddr, boot.file, boot.next_server};
}

awaitable<void> boot(Run& run, Machine m) {
  Result& r = run.results[m.index];
  const auto& s = run.settings;
  if (s.spread_ms > 0 && run.settings.clients > 1) {
    asio::steady_timer wait(run.io);
    wait.expires_at(run.start + std::chrono::milliseconds(s.spread_ms * m.index / (s.clients - 1)));
    co_await wait.async_wait(use_awaitable);
  }
  const auto power_on = Clock::now();
  r.start_ms = std::chrono::duration<double, std::milli>(power_on - run.start).count();
  std::vector<std::byte> buffer(kDatagramMax);
  std::string stage = "dhcp";
  try {
    Lease lease;
    if (s.tftp_only) {
      // No DHCP: the machine has pool address i and asks the server for its arch's loader.
      lease = {core::Ipv4{run.pool_first.value + static_cast<std::uint32_t>(m.index)},
               m.firmware == Firmware::uefi ? s.efi_file : s.bios_file, run.server};
    } else {
      // Not a conditional expression: GCC 12 runs both co_awaits of `c ? co_await a : co_await b`.
      if (run.proxy) {
        lease = co_await get_lease_beside(run, m, r, power_on, buffer);
      } else {
        lease = co_await get_lease(run, m, r, power_on, buffer);
      }
      r.dhcp_ms = ms_since(power_on);
    }
    const auto address = lease.address;
    const auto& file = lease.file;
    const udp::endpoint tftp_server(address_of(lease.next_server), kTftpPort);
    const auto& firmware = tftp_of(m.firmware);

    stage = "loader";
    auto t = Clock::now();
    if (firmware.loader_tsize_probe) {
      auto probe = co_await tftp_get(run.io, address, tftp_server, file, {firmware.loader.blksize, 0, true},
                                     firmware, true, r.tftp_retransmits, buffer);
      if (probe.state != TftpState::done) throw std::runtime_error(file + ": tsize probe: " + probe.why);
    }
    auto loader = co_await tftp_get(run.io, address, tftp_server, file, firmware.loader, firmware, false,
                                    r.tftp_retransmits, buffer);
    if (loader.state != TftpState::done) throw std::runtime_error(file + ": " + loader.why);
    r.loader_ms = ms_since(t);

    stage = "config";
    t = Clock::now();
    bool found = false;
    for (const auto& name : pxelinux_config_names(m, address)) {
      ++r.config_lookups;
      auto config = co_await tftp_get(run.io, address, tftp_server, name, firmware.config, firmware, false,
                                      r.tftp_retransmits, buffer);
      if (config.state == TftpState::done) { found = true; break; }
      if (config.state != TftpState::not_found) throw std::runtime_error(name + ": " + config.why);
      ++r.config_misses;
    }
    if (!found) throw std::runtime_error("no pxelinux config at all");
    r.config_ms = ms_since(t);
    if (s.tftp_only) {
      r.total_ms = ms_since(power_on);
      r.done = true;
      co_return;
    }

    stage = "kernel";
    t = Clock::now();
    tcp::socket http(run.io);
    http.open(tcp::v4());
    http.bind(tcp::endpoint(address_of(address), 0));
    co_await http.async_connect(run.http_server, use_awaitable);
    asio::streambuf in;
    const auto host = run.http_server.address().to_string();
    r.http_bytes += co_await http_get(http, in, host, s.kernel, run.discard);
    r.kernel_ms = ms_since(t);
    stage = "initrd";
    t = Clock::now();
    r.http_bytes += co_await http_get(http, in, host, s.initrd, run.discard);
    r.initrd_ms = ms_since(t);
    r.total_ms = ms_since(power_on);
    r.done = true;
  } catch (const std::exception& e) {
    r.failed = stage + ": " + e.what();
  }
}

// ---------------------------------------------------------------- the bad client

struct BadRun {
  asio::io_context& io;
  const BadClient& bad;
  Machine machine;
  core::Ipv4 local;  // its relay address (flood) and source address (TFTP, HTTP): in the DHCP subnet
  udp::endpoint dhcp_server;
  udp::endpoint tftp_server;
  tcp::endpoint http_server;
  std::string tftp_file;
  std::string http_path;
  Clock::time_point start;
  Clock::time_point end;
  BadTally tally;
  std::uint64_t in_flight_bytes = 0;  // of the TFTP transfer not finished yet
};

void note_error(BadTally& tally, const std::string& why) {
  ++tally.errors;
  if (tally.first_error.empty()) tally.first_error = why;
}

awaitable<void> pause(asio::io_context& io, std::chrono::milliseconds d) {
  asio::steady_timer timer(io, d);
  co_await timer.async_wait(use_awaitable);
}

// DISCOVERs from one MAC at the pace, a new xid each, through one relay; what comes back is
// counted and dropped. Sends never wait: a full socket buffer loses the DISCOVER, as a NIC would.
awaitable<void> dhcp_flood(BadRun& b) {
  udp::socket relay(b.io, udp::endpoint(address_of(b.local), kDhcpServerPort));
  relay.non_blocking(true);
  std::vector<std::byte> buffer(kDatagramMax);
  std::uint64_t attempted = 0;
  while (Clock::now() < b.end && attempted < b.bad.pace.limit) {
    for (const auto due = b.bad.pace.due(Clock::now() - b.start); attempted < due; ++attempted) {
      const auto xid = static_cast<std::uint32_t>(0xbad00000u + attempted);
      const auto bytes = dhcp::encode(discover(b.machine, xid, b.local, 0)).bytes;
      boost::system::error_code ec;
      relay.send_to(asio::buffer(bytes), b.dhcp_server, 0, ec);
      if (ec) note_error(b.tally, "send: " + ec.message()); else ++b.tally.sent;
    }
    for (;;) {
      udp::endpoint from;
      boost::system::error_code ec;
      const auto n = relay.receive_from(asio::buffer(buffer), from, 0, ec);
      if (ec) break;
      auto reply = dhcp::decode(std::span(buffer.data(), n));
      if (reply && reply->op == dhcp::Op::reply && reply->mac() == b.machine.mac) ++b.tally.answers;
    }
    co_await pause(b.io, b.bad.tick);
  }
}

// netascii RRQs for the big file, one after another; a refusal or a timeout waits a second
// before the next, so a server that refuses is not flooded with RRQs instead.
awaitable<void> netascii_reader(BadRun& b) {
  const FirmwareTftp timing{.loader = {}, .loader_tsize_probe = false, .config = {},
                            .timeout = std::chrono::milliseconds{1000}, .tries = 6};
  std::vector<std::byte> buffer(kDatagramMax);
  unsigned retransmits = 0;
  while (Clock::now() < b.end && b.tally.sent < b.bad.pace.due(Clock::now() - b.start)) {
    ++b.tally.sent;
    b.in_flight_bytes = 0;
    auto fetch = co_await tftp_get(b.io, b.local, b.tftp_server, b.tftp_file, b.bad.ask, timing, false,
                                   retransmits, buffer, &b.in_flight_bytes);
    b.tally.bytes += fetch.bytes;
    b.in_flight_bytes = 0;
    if (fetch.state == TftpState::done) {
      ++b.tally.answers;
    } else {
      note_error(b.tally, b.tftp_file + ": " + (fetch.why.empty() ? "failed" : fetch.why));
      co_await pause(b.io, std::chrono::milliseconds{1000});
    }
  }
}

// One GET of the big file read at the pace through a small receive buffer; a closed or
// refused connection is counted and tried again a second later.
awaitable<void> slow_http_reader(BadRun& b) {
  std::vector<char> chunk(64 * 1024);
  while (Clock::now() < b.end) {
    try {
      tcp::socket http(b.io);
      http.open(tcp::v4());
      http.set_option(asio::socket_base::receive_buffer_size(static_cast<int>(b.bad.receive_buffer)));
      http.bind(tcp::endpoint(address_of(b.local), 0));
      co_await http.async_connect(b.http_server, use_awaitable);
      const auto request = fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: pxed-storm-bad\r\n\r\n",
                                       b.http_path, b.http_server.address().to_string());
      co_await asio::async_write(http, asio::buffer(request), use_awaitable);
      ++b.tally.sent;
      asio::streambuf in;
      const auto header_size = co_await asio::async_read_until(http, in, "\r\n\r\n", use_awaitable);
      std::string status(asio::buffers_begin(in.data()), asio::buffers_begin(in.data()) +
                                                              static_cast<std::ptrdiff_t>(header_size));
      status = status.substr(0, status.find('\r'));
      if (!status.starts_with("HTTP/1.1 200")) throw std::runtime_error(status);
      ++b.tally.answers;
      b.tally.bytes += in.size() - header_size;
      while (Clock::now() < b.end) {
        const auto due = b.bad.pace.due(Clock::now() - b.start);
        while (b.tally.bytes < due) {
          const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(due - b.tally.bytes, chunk.size()));
          const auto got = ::recv(http.native_handle(), chunk.data(), want, MSG_DONTWAIT);
          if (got == 0) throw std::runtime_error("connection closed in the body");
          if (got < 0) break;
          b.tally.bytes += static_cast<std::uint64_t>(got);
        }
        co_await pause(b.io, b.bad.tick);
      }
    } catch (const std::exception& e) {
      note_error(b.tally, e.what());
    }
    if (Clock::now() < b.end) co_await pause(b.io, std::chrono::milliseconds{1000});
  }
}

// The bad client alone, until its time is up or TERM (storm.sh ends it when the storm ends).
int run_bad(const Settings& s, BadKind kind, core::Ipv4 relay_first, core::Ipv4 server, core::Ipv4 http) {
  asio::io_context io(1);
  const auto index = s.bad_index != 0 ? s.bad_index : s.clients;
  const auto start = Clock::now();
  BadRun b{io, bad_client_of(kind), make_machine(index, s.uefi_percent),
           core::Ipv4{relay_first.value + static_cast<std::uint32_t>(index)},
           udp::endpoint(address_of(server), kDhcpServerPort), udp::endpoint(address_of(server), kTftpPort),
           tcp::endpoint(address_of(http), s.http_port), s.bad_tftp_file, s.initrd, start,
           start + std::chrono::seconds(s.bad_seconds), {}, 0};
  auto body = [&b]() -> awaitable<void> {
    switch (b.bad.kind) {
      case BadKind::dhcp_flood: co_await dhcp_flood(b); break;
      case BadKind::netascii: co_await netascii_reader(b); break;
      case BadKind::slow_http: co_await slow_http_reader(b); break;
    }
  };
  auto stop = [&io](std::exception_ptr failure) {
    if (failure) {
      try { std::rethrow_exception(failure); } catch (const std::exception& e) { std::fprintf(stderr, "pxed-storm: bad client: %s\n", e.what()); }
    }
    io.stop();
  };
  asio::co_spawn(io, body(), stop);
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&io](const boost::system::error_code&, int) { io.stop(); });
  asio::steady_timer deadline(io, std::chrono::seconds(s.bad_seconds) + std::chrono::seconds(5));
  deadline.async_wait([&io](const boost::system::error_code& ec) { if (!ec) io.stop(); });
  io.run();
  auto tally = b.tally;
  tally.bytes += b.in_flight_bytes;
  std::fputs(bad_report_text(kind, tally, std::chrono::duration<double>(Clock::now() - start).count()).c_str(), stdout);
  return 0;
}

void raise_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace
}  // namespace pxed::storm

int main(int argc, char** argv) {
  using namespace pxed;
  storm::Settings s;
  CLI::App app{"pxed-storm: N PXE machines booting at once (DHCP relayed, TFTP, HTTP); see bench/storm.sh"};
  app.add_option("-n,--clients", s.clients, "machines")->check(CLI::Range(1, 60000));
  app.add_option("--server", s.server, "DHCP server address (relayed to, port 67)");
  app.add_option("--relay-first", s.relay_first,
                 "first relay agent address (giaddr); machine i's relay is this + i, a local address");
  app.add_option("--http", s.http_server, "HTTP server address (default: --server)");
  app.add_option("--http-port", s.http_port, "HTTP port");
  app.add_option("--kernel", s.kernel, "kernel URL path");
  app.add_option("--initrd", s.initrd, "initrd URL path");
  app.add_option("--uefi-percent", s.uefi_percent, "share of UEFI (arch 7) machines; the rest BIOS (arch 0)")
      ->check(CLI::Range(0, 100));
  app.add_option("--spread-ms", s.spread_ms, "power-on times spread evenly over this many ms (0: all at once)");
  app.add_option("--deadline-s", s.deadline_s, "stop and count unfinished machines as failed after this");
  app.add_option("--csv", s.csv, "write one line per machine here");
  app.add_flag("--tftp-only", s.tftp_only,
               "no DHCP, no HTTP: machine i has --pool-first + i and fetches its loader and configs from --server");
  app.add_option("--pool-first", s.pool_first, "with --tftp-only: machine 0's address (a local address)");
  app.add_option("--bios-file", s.bios_file, "with --tftp-only: the BIOS machines' loader");
  app.add_option("--efi-file", s.efi_file, "with --tftp-only: the UEFI machines' loader");
  app.add_option("--proxy", s.proxy,
                 "ProxyDHCP beside a DHCP server: --server hands out addresses, this proxy the boot file "
                 "(both get each relayed DISCOVER and REQUEST; 4011 as the firmware asks)");
  app.add_option("--bad", s.bad,
                 "be the one bad client beside a storm instead of the machines: netascii, slow-http or dhcp-flood "
                 "(bench/storm/bad.hpp); prints one 'bad ...' line at its end or on TERM");
  app.add_option("--bad-seconds", s.bad_seconds, "with --bad: stop after this many seconds")->check(CLI::Range(1, 3600));
  app.add_option("--bad-index", s.bad_index, "with --bad: its MAC and address are machine i's (default: --clients)");
  app.add_option("--bad-tftp-file", s.bad_tftp_file, "with --bad netascii: the file it asks for");
  CLI11_PARSE(app, argc, argv);

  auto server = core::Ipv4::parse(s.server);
  auto relay = core::Ipv4::parse(s.relay_first);
  auto http = core::Ipv4::parse(s.http_server.empty() ? s.server : s.http_server);
  auto pool = core::Ipv4::parse(s.pool_first);
  std::optional<core::Ipv4> proxy;
  if (!s.proxy.empty()) {
    proxy = core::Ipv4::parse(s.proxy);
    if (!proxy) {
      std::fputs("pxed-storm: --proxy takes an IPv4 address\n", stderr);
      return 2;
    }
  }
  if (!server || !relay || !http || !pool) {
    std::fputs("pxed-storm: --server, --relay-first, --http and --pool-first take IPv4 addresses\n", stderr);
    return 2;
  }
  storm::raise_file_limit();
  if (!s.bad.empty()) {
    auto kind = storm::parse_bad_kind(s.bad);
    if (!kind) {
      std::fputs("pxed-storm: --bad takes netascii, slow-http or dhcp-flood\n", stderr);
      return 2;
    }
    return storm::run_bad(s, *kind, *relay, *server, *http);
  }
  // Linux turns receive timestamps on lazily (a static key switched from a work
  // queue): until then a datagram is stamped when it is read, not when it came,
  // and the first machines' answers would count this thread's delay. One socket
  // asks for them for the whole run, a moment before the first machine powers on.
  const int stamped = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const int on = 1;
  if (stamped >= 0) ::setsockopt(stamped, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  asio::io_context io(1);
  storm::Run run{io, s, *relay, *pool, *server, udp::endpoint(storm::address_of(*server), 67),
                 tcp::endpoint(storm::address_of(*http), s.http_port), proxy, Clock::now(), {},
                 std::vector<char>(1 << 20)};
  run.results.resize(s.clients);
  for (std::size_t i = 0; i < s.clients; ++i) {
    asio::co_spawn(io, storm::boot(run, storm::make_machine(i, s.uefi_percent)), asio::detached);
  }
  asio::steady_timer deadline(io, std::chrono::seconds(s.deadline_s));
  deadline.async_wait([&io](const boost::system::error_code& ec) {
    if (!ec) io.stop();
  });
  // The deadline timer keeps run() busy: stop when every machine is through.
  asio::steady_timer poll(io);
  std::function<void(const boost::system::error_code&)> check = [&](const boost::system::error_code&) {
    const bool all = std::ranges::all_of(run.results, [](const storm::Result& r) { return r.done || !r.failed.empty(); });
    if (all) { io.stop(); return; }
    poll.expires_after(std::chrono::milliseconds(20));
    poll.async_wait(check);
  };
  check({});
  io.run();
  if (!s.csv.empty()) std::ofstream(s.csv) << storm::csv_text(run.results, s.uefi_percent);
  std::fputs(storm::report_text(run.results).c_str(), stdout);
  return run.results.empty() || std::ranges::all_of(run.results, [](const storm::Result& r) { return r.done; }) ? 0 : 1;
}
