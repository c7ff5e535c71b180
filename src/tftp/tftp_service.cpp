#include "tftp/tftp_service.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <list>
#include <map>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "core/log_limiter.hpp"
#include "core/time.hpp"
#include "events/bus.hpp"
#include "tftp/admission.hpp"
#include "tftp/block_reader.hpp"
#include "tftp/negotiation.hpp"
#include "tftp/packet.hpp"
#include "tftp/port_pool.hpp"
#include "tftp/session.hpp"

namespace pxed::tftp {
namespace asio = boost::asio;
using asio::ip::udp;

namespace {

constexpr std::size_t kMaxDatagram = 65536;
constexpr std::size_t kTransferReceiveBytes = 516;  // an ERROR with a 511-byte message
// A transfer that has not heard from its client this long after it started may
// give its slot to a new request when every slot is held: a real client
// acknowledges within a round trip, a forged source address never does.
constexpr std::int64_t kUnprovenGraceMs = 2000;
constexpr int kIpUdpTftpOverhead = 32;    // IPv4 20 + UDP 8 + TFTP 4 (FIRMWARE.md 12)
constexpr int kIpv6UdpTftpOverhead = 52;  // IPv6 40 + UDP 8 + TFTP 4
constexpr int kDrainBatch = 64;         // datagrams read per wake-up before yielding
constexpr auto kOverBudgetLogInterval = std::chrono::seconds(10);
// A full server drops requests at line rate during a storm: one line per interval, with a count.
constexpr auto kBusyLogInterval = std::chrono::seconds(10);
// How long a finished transfer's request is taken for the client's resend of
// it: longer than a firmware's RRQ timer (660 ms to 4 s) plus a queue behind a
// busy loop, short enough that a client fetching the same file again from the
// same port (none we know does) waits one retry at most.
constexpr std::int64_t kResentMemoryMs = 3000;
constexpr int kPortBindAttempts = 16;   // ports of port_range tried per transfer

// A client's or our own socket address, IPv4 or IPv6: what recvmsg fills and
// sendmsg takes. IPv6 sockets are IPv6-only, so an IPv4 client is never a
// mapped ::ffff: address here.
union SocketAddress {
  sockaddr any;
  sockaddr_in v4;
  sockaddr_in6 v6;
};

bool is_v6(const SocketAddress& a) { return a.any.sa_family == AF_INET6; }

socklen_t length_of(const SocketAddress& a) { return is_v6(a) ? sizeof a.v6 : sizeof a.v4; }

std::uint16_t port_of(const SocketAddress& a) { return ntohs(is_v6(a) ? a.v6.sin6_port : a.v4.sin_port); }

// The events' and the tree's client address: IPv4 only (machines are known by
// their DHCPv4 address); zero for an IPv6 client, as HTTP does.
core::Ipv4 address_of(const SocketAddress& a) {
  return is_v6(a) ? core::Ipv4{} : core::Ipv4{ntohl(a.v4.sin_addr.s_addr)};
}

// "10.77.0.100:2070", "[fd00::2]:41000": as the HTTP log writes a client.
std::string endpoint_text(const SocketAddress& a) {
  char ip[INET6_ADDRSTRLEN] = {};
  if (is_v6(a)) {
    inet_ntop(AF_INET6, &a.v6.sin6_addr, ip, sizeof ip);
    return fmt::format("[{}]:{}", ip, port_of(a));
  }
  inet_ntop(AF_INET, &a.v4.sin_addr, ip, sizeof ip);
  return fmt::format("{}:{}", ip, port_of(a));
}

std::string text_of(const in6_addr& a) {
  char ip[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, &a, ip, sizeof ip);
  return ip;
}

bool same_peer(const SocketAddress& a, const SocketAddress& b) {
  if (is_v6(a) != is_v6(b)) return false;
  if (is_v6(a)) {
    return std::memcmp(&a.v6.sin6_addr, &b.v6.sin6_addr, sizeof a.v6.sin6_addr) == 0 &&
           a.v6.sin6_port == b.v6.sin6_port;
  }
  return a.v4.sin_addr.s_addr == b.v4.sin_addr.s_addr && a.v4.sin_port == b.v4.sin_port;
}

// SipHash-2-4 (Aumasson and Bernstein, 2012) of 18 bytes under a secret key:
// an IPv6 peer's 16-byte address and port do not fit the 64-bit key transfers
// are held by, and with a key chosen at random per process a remote sender
// cannot pick two addresses that collide.
std::uint64_t siphash(const std::array<std::uint64_t, 2>& key, std::span<const unsigned char> in) {
  const auto rotl = [](std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); };
  std::uint64_t v0 = 0x736f6d6570736575ULL ^ key[0], v1 = 0x646f72616e646f6dULL ^ key[1];
  std::uint64_t v2 = 0x6c7967656e657261ULL ^ key[0], v3 = 0x7465646279746573ULL ^ key[1];
  const auto round = [&] {
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  };
  const auto word = [&](std::size_t at, std::size_t n) {
    std::uint64_t m = 0;
    for (std::size_t i = 0; i < n; ++i) m |= std::uint64_t{in[at + i]} << (8 * i);
    return m;
  };
  std::size_t at = 0;
  for (; at + 8 <= in.size(); at += 8) {
    const auto m = word(at, 8);
    v3 ^= m; round(); round(); v0 ^= m;
  }
  const auto last = word(at, in.size() - at) | (std::uint64_t{in.size() & 0xff} << 56);
  v3 ^= last; round(); round(); v0 ^= last;
  v2 ^= 0xff;
  round(); round(); round(); round();
  return v0 ^ v1 ^ v2 ^ v3;
}

// Whose transfer a datagram belongs to: an IPv4 address and port as they are
// (48 bits); an IPv6 one hashed, with the top bit set so it never equals an IPv4 key.
std::uint64_t peer_key(const SocketAddress& a, const std::array<std::uint64_t, 2>& secret) {
  if (!is_v6(a)) return static_cast<std::uint64_t>(a.v4.sin_addr.s_addr) << 16 | a.v4.sin_port;
  std::array<unsigned char, 18> bytes{};
  std::memcpy(bytes.data(), &a.v6.sin6_addr, 16);
  std::memcpy(bytes.data() + 16, &a.v6.sin6_port, 2);
  return siphash(secret, bytes) | (std::uint64_t{1} << 63);
}

// Whose share of max_transfers_per_client a transfer takes: an IPv4 address as
// it is; an IPv6 client's /64 (one host picks any address in it at will), with
// the top bit set, as HTTP counts its connections.
core::Shares::Client share_client_of(const SocketAddress& a) {
  if (!is_v6(a)) return ntohl(a.v4.sin_addr.s_addr);
  std::uint64_t network = 0;
  for (std::size_t i = 0; i < 8; ++i) network = network << 8 | a.v6.sin6_addr.s6_addr[i];
  return network | (std::uint64_t{1} << 63);
}

// The arrival interface's MTU bounds blksize: a bigger block would fragment
// or, on paths that drop fragments, never arrive.
std::uint32_t interface_blksize_cap(int ifindex, bool v6) {
  const int overhead = v6 ? kIpv6UdpTftpOverhead : kIpUdpTftpOverhead;
  char name[IF_NAMESIZE] = {};
  if (ifindex <= 0 || !if_indextoname(static_cast<unsigned>(ifindex), name)) return kMaxBlksize;
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return kMaxBlksize;
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name, IF_NAMESIZE);  // if_indextoname NUL-terminates within IF_NAMESIZE
  int rc = ::ioctl(fd, SIOCGIFMTU, &ifr);
  ::close(fd);
  if (rc < 0 || ifr.ifr_mtu <= overhead) return kMaxBlksize;
  return static_cast<std::uint32_t>(ifr.ifr_mtu - overhead);
}

// Which of our addresses a request reached (IP_PKTINFO, IPV6_PKTINFO), and on
// which interface.
struct LocalAddress {
  bool v6 = false;
  in_addr v4{};
  in6_addr v6_address{};
  int ifindex = 0;
};

// The IP_PKTINFO (IPV6_PKTINFO) that makes a datagram leave from `source`: a
// socket bound to 0.0.0.0 or :: (single_port) would otherwise pick its source
// address by route, and a client talking to another of our addresses would
// drop the reply.
struct SourceControl {
  alignas(cmsghdr) std::array<char, CMSG_SPACE(std::max(sizeof(in_pktinfo), sizeof(in6_pktinfo)))> bytes{};
  std::size_t length = 0;

  explicit SourceControl(const LocalAddress& source) {
    msghdr msg{};
    msg.msg_control = bytes.data();
    msg.msg_controllen = bytes.size();
    auto* c = CMSG_FIRSTHDR(&msg);
    if (source.v6) {
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
      in6_pktinfo info{};
      info.ipi6_addr = source.v6_address;
      // A link-local source is only ours on the interface the request came in on.
      info.ipi6_ifindex = static_cast<unsigned>(source.ifindex);
      std::memcpy(CMSG_DATA(c), &info, sizeof info);
      length = CMSG_SPACE(sizeof(in6_pktinfo));
    } else {
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
      in_pktinfo info{};
      info.ipi_spec_dst = source.v4;
      std::memcpy(CMSG_DATA(c), &info, sizeof info);
      length = CMSG_SPACE(sizeof(in_pktinfo));
    }
  }
};

// source: null for a socket bound to the transfer's own address.
void send_packet(int fd, const SocketAddress& to, std::span<const std::byte> bytes,
                 const SourceControl* source = nullptr) {
  // UDP: a full send buffer drops the datagram; the retransmit timer covers it.
  iovec iov{const_cast<std::byte*>(bytes.data()), bytes.size()};
  msghdr msg{};
  msg.msg_name = const_cast<SocketAddress*>(&to);
  msg.msg_namelen = length_of(to);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (source != nullptr) {
    msg.msg_control = const_cast<char*>(source->bytes.data());
    msg.msg_controllen = source->length;
  }
  ::sendmsg(fd, &msg, MSG_DONTWAIT);
}

void send_error(int fd, const SocketAddress& to, ErrorCode code, std::string message,
                const SourceControl* source = nullptr) {
  send_packet(fd, to, encode(Error{code, std::move(message)}), source);
}

struct Refusal {
  ErrorCode code;
  std::string_view reason;
  std::string_view message;
};

Refusal refusal_for(vfs::OpenError e) {
  switch (e) {
    case vfs::OpenError::not_found: return {ErrorCode::file_not_found, "not-found", "file not found"};
    case vfs::OpenError::not_a_file: return {ErrorCode::file_not_found, "not-a-file", "not a regular file"};
    case vfs::OpenError::bad_path: return {ErrorCode::access_violation, "bad-path", "access violation"};
    case vfs::OpenError::outside_root: return {ErrorCode::access_violation, "outside-root", "access violation"};
    case vfs::OpenError::permission: return {ErrorCode::access_violation, "permission", "access violation"};
    case vfs::OpenError::io: return {ErrorCode::not_defined, "io", "read error"};
    case vfs::OpenError::over_budget: return {ErrorCode::not_defined, "over-budget", "lookup too costly"};
    // Only when a worker's answer did not reach the tree (its mounts changed meanwhile).
    case vfs::OpenError::would_block: return {ErrorCode::not_defined, "would-block", "read error"};
  }
  return {ErrorCode::not_defined, "io", "read error"};
}

// A datagram with where it came from and which local address it reached.
struct Received {
  std::size_t length = 0;
  SocketAddress peer{};
  LocalAddress local;
  int listener = -1;                // the listening socket it came in on: refusals leave from it
  std::uint16_t listener_port = 0;  // and its port (single_port transfers answer from it)
};

// One listening address (tftp.listen, or each of its array).
struct Listening {
  Listening(asio::io_context& io, config::Endpoint at_) : socket(io), at(std::move(at_)) {}
  udp::socket socket;
  config::Endpoint at;
};

}  // namespace

struct Transfer {
  Transfer(asio::io_context& io, vfs::File f, Request r, SocketAddress p, Session s)
      : socket(io), timer(io), signal(io), file(std::move(f)), request(std::move(r)), peer(p),
        session(std::move(s)), reader(file, request.mode, session.blksize()) {}

  udp::socket socket;  // its own port; not open in single_port mode
  asio::steady_timer timer;
  asio::steady_timer signal;  // single_port: run() waits on it, as it waits on socket otherwise
  int fd = -1;                // what it sends from: socket's, or the listener's in single_port
  std::optional<SourceControl> source;   // single_port: the address the request reached
  std::optional<std::uint16_t> port;     // from [tftp] port_range: given back at the end
  std::uint16_t local_port = 0;          // what it answers from, for the log (firewalls)
  bool heard = false;  // the client answered once: not a forged source, never evicted
  vfs::File file;
  Request request;
  SocketAddress peer;
  Session session;
  BlockReader reader;
  core::TimePoint started = core::Clock::now();
  std::optional<Outcome> outcome;
  std::string failure;  // set when the server itself failed (read error)
  std::vector<std::byte> window;
  std::vector<std::array<std::byte, 4>> headers;
  std::weak_ptr<Transfer> self;          // for a worker's read to keep the transfer alive
  bool reading = false;                  // a worker is reading into window: hands off reader and window
  std::optional<SendBlocks> queued;      // what the session asked for meanwhile
};

// The blocks one window reads: first, and each one's expected length.
struct WindowRead {
  std::uint64_t first = 0;
  std::uint32_t blksize = 0;
  std::vector<std::uint32_t> lengths;
};

struct Service::Impl {
  Impl(asio::io_context& io_, const config::Tftp& config_, const vfs::Tree& tree_, core::WorkerPool& pool_,
       events::Bus& bus_)
      : io(io_), config(config_), tree(tree_), pool(pool_), bus(bus_) {
    for (const auto& at : pxed::config::listen_addresses(config)) listeners.emplace_back(io, at);
  }

  asio::io_context& io;
  config::Tftp config;
  const vfs::Tree& tree;
  core::WorkerPool& pool;
  events::Bus& bus;
  std::list<Listening> listeners;  // addresses stay put: listen() holds one each
  std::map<std::uint64_t, std::weak_ptr<Transfer>> active;  // by client address:port (key_of)
  std::set<std::uint64_t> looking_up;  // clients whose file is being looked up on the pool
  // Which requests start a transfer (by peer_key): a share per client address;
  // when every slot is held, the oldest transfer that never heard from its
  // client (a forged source address) gives its slot to a new request, else the
  // request is dropped unanswered; a resent request starts nothing.
  Admission admission{{.shares = {config.max_transfers, config.max_transfers_per_client, kUnprovenGraceMs},
                       .resent_memory_ms = kResentMemoryMs}};
  std::optional<PortPool> ports = config.port_range ? std::optional<PortPool>(std::in_place, config.port_range->first,
                                                                              config.port_range->last)
                                                    : std::nullopt;
  core::LogLimiter over_budget_log{kOverBudgetLogInterval};
  core::LogLimiter busy_log{kBusyLogInterval};
  const std::array<std::uint64_t, 2> key_secret = [] {
    std::random_device random;
    return std::array<std::uint64_t, 2>{std::uint64_t{random()} << 32 | random(), std::uint64_t{random()} << 32 | random()};
  }();

  std::uint64_t key_of(const SocketAddress& peer) const { return peer_key(peer, key_secret); }

  std::expected<void, std::string> bind();
  std::expected<void, std::string> bind(Listening& l);
  asio::awaitable<void> listen(Listening& l);
  bool receive(int fd, std::vector<std::byte>& buffer, Received& out);
  void on_request(std::span<const std::byte> bytes, const Received& from);
  // ahead: what the pool found for the name (Tree::prefetch); with it, the
  // tree's answer stands.
  void open_and_start(Request request, const Received& from, std::optional<vfs::Prefetched> ahead);
  void refuse(const Received& from, std::string_view file, ErrorCode code, std::string_view reason,
              std::string_view message);
  asio::awaitable<void> run(std::shared_ptr<Transfer> t);
  asio::awaitable<void> watch_deadline(std::shared_ptr<Transfer> t);
  void execute(Transfer& t, const std::vector<Action>& actions);
  void send_blocks(Transfer& t, const SendBlocks& blocks);
  void send_read(Transfer& t, const WindowRead& w, const std::expected<std::vector<std::size_t>, int>& got);
  void finish(Transfer& t);
  void evict(std::uint64_t key);
  // A packet from the transfer's client: to the session, then what it asks.
  void on_transfer_packet(Transfer& t, const Packet& packet);
  // Wakes run() to finish a transfer whose outcome was set elsewhere.
  void wake(Transfer& t);
  // The transfer's own socket on the request's local address (and a port of
  // port_range); false when none could be had.
  bool open_socket(Transfer& t, const Received& from);
};

void Service::Impl::wake(Transfer& t) {
  if (config.single_port) {
    t.signal.cancel();
  } else {
    t.socket.cancel();
  }
}

// The slot's transfer never heard from its client: it ends now, its slot
// already given to a newer request.
void Service::Impl::evict(std::uint64_t key) {
  looking_up.erase(key);
  auto it = active.find(key);
  if (it == active.end()) return;
  if (auto t = it->second.lock(); t && !t->outcome) {
    t->failure = "evicted";
    t->outcome = Outcome::timeout;
    wake(*t);
  }
  active.erase(it);
}

std::expected<void, std::string> Service::Impl::bind() {
  for (auto& l : listeners) {
    if (auto bound = bind(l); !bound) return bound;
  }
  return {};
}

std::expected<void, std::string> Service::Impl::bind(Listening& l) {
  const bool v6 = l.at.is_v6();
  SocketAddress addr{};
  if (v6) {
    addr.v6.sin6_family = AF_INET6;
    addr.v6.sin6_port = htons(l.at.port);
  } else {
    addr.v4.sin_family = AF_INET;
    addr.v4.sin_port = htons(l.at.port);
  }
  if (inet_pton(v6 ? AF_INET6 : AF_INET, l.at.address.c_str(), v6 ? static_cast<void*>(&addr.v6.sin6_addr)
                                                                  : static_cast<void*>(&addr.v4.sin_addr)) != 1) {
    return std::unexpected(fmt::format("tftp.listen: {} is not an IP address", pxed::config::to_string(l.at)));
  }
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::unexpected(fmt::format("tftp: socket: {}", std::strerror(errno)));
  int on = 1;
  // No SO_REUSEADDR: with it on both sides Linux lets two servers bind port
  // 69 (dnsmasq's enable-tftp sets it), and requests go to either.
  // IP_PKTINFO tells which local address a request reached, so the transfer
  // answers from that address on a multi-homed server (FIRMWARE.md 20).
  if (v6) {
    // IPv6 only: "::" beside "0.0.0.0" on the same port, as HTTP listens.
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
  } else {
    ::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
  }
  if (::bind(fd, &addr.any, length_of(addr)) < 0) {
    int err = errno;
    ::close(fd);
    return std::unexpected(fmt::format("tftp: cannot listen on {}: {}{}", pxed::config::to_string(l.at),
                                       std::strerror(err),
                                       err == EACCES ? " (port below 1024: run as root or grant CAP_NET_BIND_SERVICE)" : ""));
  }
  l.socket.assign(v6 ? udp::v6() : udp::v4(), fd);
  return {};
}

bool Service::Impl::receive(int fd, std::vector<std::byte>& buffer, Received& out) {
  iovec iov{buffer.data(), buffer.size()};
  alignas(cmsghdr) std::array<char, CMSG_SPACE(std::max(sizeof(in_pktinfo), sizeof(in6_pktinfo)))> control{};
  msghdr msg{};
  msg.msg_name = &out.peer;
  msg.msg_namelen = sizeof out.peer;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  auto n = ::recvmsg(fd, &msg, MSG_DONTWAIT);
  if (n < 0) return false;
  out.length = static_cast<std::size_t>(n);
  for (auto* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      out.local.v4 = info.ipi_spec_dst;
      out.local.ifindex = info.ipi_ifindex;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      out.local.v6 = true;
      out.local.v6_address = info.ipi6_addr;
      out.local.ifindex = static_cast<int>(info.ipi6_ifindex);
    }
  }
  return true;
}

asio::awaitable<void> Service::Impl::listen(Listening& l) {
  std::vector<std::byte> buffer(kMaxDatagram);
  for (;;) {
    auto [ec] = co_await l.socket.async_wait(udp::socket::wait_read, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    for (int i = 0; i < kDrainBatch; ++i) {
      Received from;
      from.listener = l.socket.native_handle();
      from.listener_port = l.at.port;
      if (!receive(from.listener, buffer, from)) break;
      on_request(std::span(buffer).first(from.length), from);
    }
  }
}

void Service::Impl::refuse(const Received& from, std::string_view file, ErrorCode code, std::string_view reason,
                           std::string_view message) {
  send_error(from.listener, from.peer, code, std::string(message));
  // pxelinux probes a dozen config names per boot before "default": a missing
  // file is routine, an access violation is worth a warning.
  auto level = code == ErrorCode::file_not_found ? events::Level::info : events::Level::warn;
  bus.emit(events::Event{events::Kind::tftp_refused, level}
      .add("client", endpoint_text(from.peer)).from(address_of(from.peer))
      .add("file", std::string(file))
      .add("reason", std::string(reason))
      .add("code", static_cast<int>(code)));
}

void Service::Impl::on_request(std::span<const std::byte> bytes, const Received& from) {
  auto packet = decode(bytes);
  if (config.single_port) {
    // Every client's ACKs and ERRORs come here too: its address and port say
    // whose transfer they belong to.
    if (auto it = active.find(key_of(from.peer)); it != active.end()) {
      auto t = it->second.lock();
      if (t && !t->outcome && packet && !std::holds_alternative<Request>(*packet) && same_peer(t->peer, from.peer)) {
        on_transfer_packet(*t, *packet);
        if (t->outcome) wake(*t);
        return;
      }
      if (t && !packet) return;  // a mangled ACK is as good as a lost one
    }
  }
  if (!packet) {
    bus.emit(events::Event{events::Kind::tftp_malformed}
        .add("client", endpoint_text(from.peer)).from(address_of(from.peer))
        .add("error", std::string(to_string(packet.error())))
        .add("bytes", bytes.size()));
    // A request we cannot read still gets an answer, so the client stops
    // retrying: an over-long name is refused like any path (access
    // violation), a bad mode or option is an illegal operation.
    auto opcode = bytes.size() >= 2 ? static_cast<unsigned>(bytes[0]) << 8 | static_cast<unsigned>(bytes[1]) : 0u;
    if (opcode == static_cast<unsigned>(Opcode::rrq) || opcode == static_cast<unsigned>(Opcode::wrq)) {
      bool name = packet.error() == DecodeError::bad_filename;
      refuse(from, "", name ? ErrorCode::access_violation : ErrorCode::illegal_operation,
             name ? "bad-path" : to_string(packet.error()), name ? "access violation" : "malformed request");
    }
    return;
  }
  auto* request = std::get_if<Request>(&*packet);
  if (!request) return;  // stray DATA/ACK/ERROR on port 69: nothing to answer
  if (request->write) {
    refuse(from, request->filename, ErrorCode::access_violation, "write-refused", "read-only server");
    return;
  }
  const auto key = key_of(from.peer);
  const core::Shares::Client client = share_client_of(from.peer);
  const auto now = core::Clock::now();
  const std::string_view as_sent(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  auto decision = admission.on_request(core::milliseconds_of(now), key, client, as_sent);
  switch (decision.verdict) {
    case Admission::Verdict::resent:
      return;  // the transfer that answered it retransmits, or has already served it
    case Admission::Verdict::client_busy:
      refuse(from, request->filename, ErrorCode::not_defined, "client-busy",
             fmt::format("server busy: this address has {} transfers in progress, try again",
                         admission.shares().held_by(client)));
      return;
    case Admission::Verdict::busy:
      // No ERROR: it would end the firmware's boot, while silence lets its
      // RRQ timer ask again once a slot is free (as dnsmasq at tftp-max).
      if (auto suppressed = busy_log.allow(now)) {
        bus.emit(events::Event{events::Kind::tftp_refused, events::Level::warn}
            .add("client", endpoint_text(from.peer)).from(address_of(from.peer))
            .add("file", request->filename)
            .add("reason", "busy")
            .add("reply", "none")
            .add("transfers", admission.shares().held())
            .add("suppressed", *suppressed)
            .add("why", "every transfer slot is held (tftp.max_transfers); the client's retry is served once one frees"));
      }
      return;
    case Admission::Verdict::start: break;
  }
  if (decision.evict) evict(*decision.evict);
  open_and_start(std::move(*request), from, std::nullopt);
}

void Service::Impl::open_and_start(Request request, const Received& from, std::optional<vfs::Prefetched> ahead) {
  auto key = key_of(from.peer);
  vfs::Requester who{.address = address_of(from.peer),
                     .local = from.local.v6 ? core::Ipv4{} : core::Ipv4{ntohl(from.local.v4.s_addr)},
                     .query = "",
                     .protocol = "tftp",
                     .local_host = from.local.v6 ? "[" + text_of(from.local.v6_address) + "]" : std::string(),
                     .local_port = 0};
  auto file = tree.open(request.filename, who, ahead ? &*ahead : nullptr);
  const bool needs_worker =
      !file && (file.error() == vfs::OpenError::over_budget || file.error() == vfs::OpenError::would_block);
  if (needs_worker && !ahead) {
    // Inside an image whose cache lacks a directory on the way, or a real
    // directory the kernel's caches cannot walk: the lookup's disk half runs
    // on the pool (bounded; a hostile image stalls one worker, never the
    // loop), then the open is tried again with what it found.
    if (auto prefetch = tree.prefetch(request.filename, vfs::Tree::Need::file)) {
      looking_up.insert(key);
      pool.submit(std::move(prefetch),
                  [this, key, request = std::move(request), from](vfs::Prefetched found) mutable {
                    if (looking_up.erase(key) == 0) return;  // evicted while it was looked up
                    open_and_start(std::move(request), from, std::move(found));
                  });
      return;
    }
  }
  if (!file) {
    admission.finished(core::milliseconds_of(core::Clock::now()), key, false);
    auto r = refusal_for(file.error());
    if (file.error() == vfs::OpenError::over_budget) {
      send_error(from.listener, from.peer, r.code, std::string(r.message));
      // A hostile image can ask for this at line rate: one line per interval, with a count.
      if (auto suppressed = over_budget_log.allow(core::Clock::now())) {
        bus.emit(events::Event{events::Kind::tftp_refused, events::Level::warn}
            .add("client", endpoint_text(from.peer)).from(address_of(from.peer))
            .add("file", request.filename)
            .add("reason", std::string(r.reason))
            .add("code", static_cast<int>(r.code))
            .add("suppressed", *suppressed)
            .add("why", "the image's lookup needs more work than one request may do"));
      }
      return;
    }
    refuse(from, request.filename, r.code, r.reason, r.message);
    return;
  }
  auto size = BlockReader::known_size(*file, request.mode);
  NegotiationLimits limits{.blksize_max = std::min(config.blksize_max, interface_blksize_cap(from.local.ifindex, from.local.v6)),
                           .windowsize_max = config.windowsize_max};
  auto negotiated = negotiate(request.options, size, limits, request.mode);
  SessionLimits session_limits{.rto_min = config.retransmit_min,
                               .rto_max = config.retransmit_max,
                               .idle_timeout = config.idle_timeout};
  auto now = core::Clock::now();
  auto t = std::make_shared<Transfer>(io, std::move(*file), std::move(request), from.peer,
                                      Session(negotiated, size, session_limits, now));

  if (config.single_port) {
    t->fd = from.listener;
    t->source.emplace(from.local);
    t->local_port = from.listener_port;
  } else if (!open_socket(*t, from)) {
    admission.finished(core::milliseconds_of(core::Clock::now()), key, false);
    if (ports && ports->held() == ports->size()) {
      refuse(from, t->request.filename, ErrorCode::not_defined, "no-port",
             fmt::format("server busy: all {} ports of port_range in use, try again", ports->size()));
    } else {
      refuse(from, t->request.filename, ErrorCode::not_defined, "io", "server out of sockets");
    }
    return;
  }
  t->self = t;
  active[key] = t;
  asio::co_spawn(io, run(t), asio::detached);
}

bool Service::Impl::open_socket(Transfer& t, const Received& from) {
  // A fresh port per transfer (RFC 1350 §4): any ephemeral one, or one of
  // port_range; on the address the request reached.
  const bool v6 = from.local.v6;
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  SocketAddress local{};
  if (v6) {
    int on = 1;
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    local.v6.sin6_family = AF_INET6;
    local.v6.sin6_addr = from.local.v6_address;
    // A link-local address is ours only on the interface the request came in on.
    if (IN6_IS_ADDR_LINKLOCAL(&from.local.v6_address)) local.v6.sin6_scope_id = static_cast<std::uint32_t>(from.local.ifindex);
  } else {
    local.v4.sin_family = AF_INET;
    local.v4.sin_addr = from.local.v4;
  }
  const auto set_port = [&](std::uint16_t port) {
    if (v6) local.v6.sin6_port = htons(port);
    else local.v4.sin_port = htons(port);
  };
  bool bound = false;
  if (!ports) {
    bound = ::bind(fd, &local.any, length_of(local)) == 0;
  } else {
    // A port another process holds is skipped; a few tries, not the whole
    // range: a request must not cost the loop thousands of binds.
    for (int attempt = 0; attempt < kPortBindAttempts && !bound; ++attempt) {
      auto port = ports->take();
      if (!port) break;
      set_port(*port);
      bound = ::bind(fd, &local.any, length_of(local)) == 0;
      if (bound) t.port = port;
      else ports->give_back(*port);
    }
  }
  if (!bound) {
    ::close(fd);
    return false;
  }
  // Large blocks may need fragmenting on the way; never let PMTU discovery
  // drop them silently (FIRMWARE.md 12, as dnsmasq does). Over IPv6 only we
  // may fragment (routers do not): the kernel then does.
  if (v6) {
    int pmtu = IPV6_PMTUDISC_DONT;
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu, sizeof pmtu);
  } else {
    int pmtu = IP_PMTUDISC_DONT;
    ::setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu);
  }
  SocketAddress bound_to{};
  socklen_t length = sizeof bound_to;
  if (::getsockname(fd, &bound_to.any, &length) == 0) t.local_port = port_of(bound_to);
  t.socket.assign(v6 ? udp::v6() : udp::v4(), fd);
  t.fd = fd;
  return true;
}

// Reads a window's blocks into t.window: each block's length, or the errno
// that stopped the reads (EAGAIN with Wait::no: not all in the page cache).
// Touches only the file, the reader and the buffer, never the session, so a
// worker may run it while the loop leaves the transfer's reads alone.
std::expected<std::vector<std::size_t>, int> read_window(Transfer& t, const WindowRead& w, vfs::Wait wait) {
  t.window.resize(static_cast<std::size_t>(w.lengths.size()) * w.blksize);
  std::vector<std::size_t> got;
  got.reserve(w.lengths.size());
  for (std::size_t i = 0; i < w.lengths.size(); ++i) {
    auto slot = std::span(t.window).subspan(i * w.blksize, w.lengths[i]);
    auto n = t.reader.read(w.first + i, slot, wait);
    if (!n) return std::unexpected(n.error());
    got.push_back(*n);
    if (*n < w.blksize) break;  // the end of the file: nothing after it to read
  }
  return got;
}

void Service::Impl::send_blocks(Transfer& t, const SendBlocks& blocks) {
  if (t.reading) {
    // One read at a time per transfer: the session's latest ask goes out
    // once the worker's read is back (an older window is only a duplicate).
    t.queued = blocks;
    return;
  }
  WindowRead w{blocks.first, t.session.blksize(), {}};
  for (std::uint32_t i = 0; i < blocks.count; ++i) w.lengths.push_back(t.session.block_length(blocks.first + i));
  // First from the page cache, on the loop (the usual case: boot files are
  // hot); what is not there is read on a worker, so a cold disk never holds
  // up DHCP, TFTP or HTTP.
  auto got = read_window(t, w, vfs::Wait::no);
  if (got || got.error() != EAGAIN) {
    send_read(t, w, got);
    return;
  }
  t.reading = true;
  auto transfer = t.self.lock();
  pool.submit([raw = &t, w](std::stop_token) { return read_window(*raw, w, vfs::Wait::yes); },
              [this, transfer, w](std::expected<std::vector<std::size_t>, int> result) {
                transfer->reading = false;
                if (transfer->outcome) return;  // finished (or timed out) meanwhile
                send_read(*transfer, w, result);
                if (auto queued = std::exchange(transfer->queued, std::nullopt); queued && !transfer->outcome) {
                  send_blocks(*transfer, *queued);
                }
                if (transfer->outcome) wake(*transfer);
              });
}

void Service::Impl::send_read(Transfer& t, const WindowRead& w,
                              const std::expected<std::vector<std::size_t>, int>& got) {
  std::uint32_t count = 0;
  std::vector<iovec> iov(2 * w.lengths.size());
  std::vector<mmsghdr> msgs(w.lengths.size());
  t.headers.resize(w.lengths.size());
  for (std::size_t i = 0; got && i < got->size(); ++i) {
    auto block = w.first + i;
    auto n = (*got)[i];
    if (!t.session.size_known() && n < w.blksize) {
      // A transfer of unknown size (netascii) ends at its first short block.
      t.session.end_at(block, static_cast<std::uint32_t>(n));
    }
    if (n != t.session.block_length(block)) break;  // the file changed: handled below
    t.headers[i] = data_header(static_cast<std::uint16_t>(block));
    iov[2 * i] = {t.headers[i].data(), t.headers[i].size()};
    iov[2 * i + 1] = {t.window.data() + i * w.blksize, n};
    auto& h = msgs[i].msg_hdr;
    h.msg_name = &t.peer;
    h.msg_namelen = length_of(t.peer);
    h.msg_iov = &iov[2 * i];
    h.msg_iovlen = 2;
    if (t.source) {
      h.msg_control = t.source->bytes.data();
      h.msg_controllen = t.source->length;
    }
    ++count;
    if (block == t.session.last_block()) break;  // the window reached past a just-found end
  }
  bool complete = got && (count == got->size() || w.first + count - 1 == t.session.last_block());
  if (!complete) {
    // The file shrank or the disk failed: say so rather than send garbage.
    t.failure = got ? "file-changed" : fmt::format("read-error:{}", std::strerror(got.error()));
    send_error(t.fd, t.peer, ErrorCode::not_defined, "read error", t.source ? &*t.source : nullptr);
    t.outcome = Outcome::client_error;
    return;
  }
  // One syscall per window; a short count means a full socket buffer, and the
  // unsent blocks are recovered by the retransmit timer like any loss.
  ::sendmmsg(t.fd, msgs.data(), count, MSG_DONTWAIT);
  t.reader.forget_before(t.session.acked() + 1);
}

void Service::Impl::execute(Transfer& t, const std::vector<Action>& actions) {
  for (const auto& action : actions) {
    if (t.outcome) return;
    if (const auto* oack = std::get_if<SendOack>(&action)) {
      send_packet(t.fd, t.peer, encode(oack->oack), t.source ? &*t.source : nullptr);
    } else if (const auto* blocks = std::get_if<SendBlocks>(&action)) {
      send_blocks(t, *blocks);
    } else if (const auto* error = std::get_if<SendError>(&action)) {
      send_error(t.fd, t.peer, error->code, error->message, t.source ? &*t.source : nullptr);
    } else if (const auto* done = std::get_if<Finished>(&action)) {
      t.outcome = done->outcome;
    }
  }
}

void Service::Impl::finish(Transfer& t) {
  auto elapsed = std::chrono::duration<double, std::milli>(core::Clock::now() - t.started).count();
  const auto& stats = t.session.stats();
  auto result = t.failure.empty() ? std::string(to_string(*t.outcome)) : t.failure;
  bool normal = t.failure.empty() && (*t.outcome == Outcome::ok || *t.outcome == Outcome::tsize_probe ||
                                      *t.outcome == Outcome::options_refused);
  events::Event event{events::Kind::tftp_done, normal ? events::Level::info : events::Level::warn};
  event.add("client", endpoint_text(t.peer))
      .from(address_of(t.peer))
      .add("file", t.request.filename)
      .add("bytes", stats.bytes_acked);
  // No size: a netascii transfer that ended before its end was read.
  if (t.session.size()) event.add("size", *t.session.size());
  event.add("blksize", t.session.blksize())
      .add("window", t.session.windowsize())
      .add("mode", t.request.mode == Mode::netascii ? "netascii" : "octet")
      .add("ms", std::round(elapsed * 10) / 10)
      .add("retransmits", stats.retransmitted)
      .add("result", result)
      .add("server_port", t.local_port);
  // Which kind was served: a file a user wrote wins over the system's loader
  // of that name, and both over a generated one.
  if (!t.file.system().empty()) event.add("system", t.file.system());
  if (!t.file.generated().empty()) event.add("generated", t.file.generated());
  if (stats.client_error) {
    event.add("client_error", static_cast<int>(*stats.client_error))
        .add("client_message", stats.client_message);
  }
  bus.emit(event);
  // A transfer still in `active` holds its slot; an evicted one left both at once.
  if (auto it = active.find(key_of(t.peer)); it != active.end() && it->second.lock().get() == &t) {
    active.erase(it);
    // A client that heard from us got its answer: a copy of its request still on the way starts nothing.
    admission.finished(core::milliseconds_of(core::Clock::now()), key_of(t.peer), t.heard);
  }
  if (t.port) ports->give_back(*std::exchange(t.port, std::nullopt));
  boost::system::error_code ignored;
  t.timer.cancel();
  t.signal.cancel();
  t.socket.close(ignored);
}

asio::awaitable<void> Service::Impl::watch_deadline(std::shared_ptr<Transfer> t) {
  // Re-armed lazily: progress moves the deadline later without touching the
  // timer, which then wakes once at the stale time and sleeps again.
  while (!t->outcome) {
    t->timer.expires_at(t->session.deadline());
    co_await t->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (t->outcome) break;
    auto now = core::Clock::now();
    if (now < t->session.deadline()) continue;
    execute(*t, t->session.on_timeout(now));
    if (t->outcome) wake(*t);
  }
}

asio::awaitable<void> Service::Impl::run(std::shared_ptr<Transfer> t) {
  asio::co_spawn(io, watch_deadline(t), asio::detached);
  execute(*t, t->session.start());
  if (config.single_port) {
    // The listener hands this transfer its client's packets (on_request).
    while (!t->outcome) {
      t->signal.expires_at(asio::steady_timer::time_point::max());
      co_await t->signal.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    finish(*t);
    co_return;
  }
  // Clients send ACKs (4 bytes) and ERRORs here: a small buffer per transfer,
  // not a datagram's 64 KiB (1,000 transfers held 66 MB of them); a longer
  // ERROR message is cut, which is harmless.
  std::vector<std::byte> buffer(kTransferReceiveBytes);
  while (!t->outcome) {
    auto [ec] = co_await t->socket.async_wait(udp::socket::wait_read, asio::as_tuple(asio::use_awaitable));
    if (t->outcome || ec) break;
    for (int i = 0; i < kDrainBatch && !t->outcome; ++i) {
      SocketAddress from{};
      socklen_t from_length = sizeof from;
      auto n = ::recvfrom(t->socket.native_handle(), buffer.data(), buffer.size(), MSG_DONTWAIT, &from.any,
                          &from_length);
      if (n < 0) break;
      if (!same_peer(from, t->peer)) {
        // RFC 1350 §4: a stranger gets ERROR 5; the transfer goes on.
        send_error(t->socket.native_handle(), from, ErrorCode::unknown_tid, "unknown transfer ID");
        continue;
      }
      auto packet = decode(std::span(buffer).first(static_cast<std::size_t>(n)));
      if (!packet) continue;  // a mangled ACK is as good as a lost one
      on_transfer_packet(*t, *packet);
    }
  }
  finish(*t);
}

void Service::Impl::on_transfer_packet(Transfer& t, const Packet& packet) {
  if (!std::exchange(t.heard, true)) admission.proven(key_of(t.peer));
  execute(t, t.session.on_packet(core::Clock::now(), packet));
  // The deadline moved earlier (a retransmission is due sooner): re-arm.
  if (!t.outcome && t.session.deadline() < t.timer.expiry()) t.timer.cancel();
}

Service::Service(asio::io_context& io, const config::Tftp& config, const vfs::Tree& tree, core::WorkerPool& pool,
                 events::Bus& bus)
    : impl_(std::make_unique<Impl>(io, config, tree, pool, bus)) {}

Service::~Service() = default;

std::expected<void, std::string> Service::bind() { return impl_->bind(); }

void Service::start() {
  for (auto& l : impl_->listeners) asio::co_spawn(impl_->io, impl_->listen(l), asio::detached);
}

std::size_t Service::active_transfers() const {
  return static_cast<std::size_t>(std::ranges::count_if(impl_->active, [](const auto& e) { return !e.second.expired(); }));
}

}  // namespace pxed::tftp
