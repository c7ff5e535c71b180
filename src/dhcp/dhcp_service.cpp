#include "dhcp/dhcp_service.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fmt/format.h>
#include <optional>
#include <variant>
#include <vector>

#include "core/time.hpp"
#include "dhcp/group_commit.hpp"
#include "dhcp/server.hpp"
#include "events/bus.hpp"
#include "store/lease_store.hpp"

namespace pxed::dhcp {
namespace asio = boost::asio;
using asio::ip::udp;

namespace {

constexpr std::size_t kMaxDatagram = 65536;
// Datagrams read per wake-up before the loop's other handlers get their turn.
// One DHCP socket serves every machine while each TFTP transfer has a socket of
// its own: at 64, the 1,000 REQUESTs of a power-on storm waited 16 rounds of
// the TFTP transfers the first ACKs had started (~14 ms each), 110 ms in the
// kernel's queue. 512 weighs a DHCP turn as that many machines'.
constexpr int kDrainBatch = 512;
// A boot storm's DISCOVERs arrive in bursts; room for a few thousand keeps
// them in the kernel rather than dropped while a reply is being decided.
constexpr int kReceiveBuffer = 4 << 20;
// leases.seen (an fsync and a rename) trails the database by at most this
// under continuous writes; it is refreshed at once when no lease waits.
constexpr std::chrono::milliseconds kRecountEvery{1000};

core::Ipv4 ipv4_of(in_addr a) { return core::Ipv4{ntohl(a.s_addr)}; }

sockaddr_in sockaddr_of(core::Ipv4 a, std::uint16_t port) {
  sockaddr_in out{};
  out.sin_family = AF_INET;
  out.sin_addr.s_addr = htonl(a.value);
  out.sin_port = htons(port);
  return out;
}


// One socket per (interface, port): SO_BINDTODEVICE keeps DHCP on the
// interfaces the config names and makes a broadcast reply leave through the
// interface its request came in on.
struct Listener {
  Listener(asio::io_context& io, std::string name, std::uint16_t p)
      : socket(io), interface(std::move(name)), port(p) {}
  udp::socket socket;
  std::string interface;
  std::uint16_t port;
};

// No SO_REUSEADDR on the ports we answer on: with it on both sides, Linux
// lets a second socket bind a UDP port already bound (dnsmasq's with
// bind-interfaces, a second pxed's), both then answer every DISCOVER, and the
// bind that should have failed succeeds in silence. Without it the kernel
// refuses exactly the conflicts (a socket of another interface, SO_BINDTODEVICE
// elsewhere, does not conflict). Port 68 only watches for other DHCP servers:
// `shared` lets it sit beside a DHCP client on this host.
std::expected<int, std::string> open_socket(const std::string& interface, std::uint16_t port, bool shared) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::unexpected(fmt::format("dhcp: socket: {}", std::strerror(errno)));
  int on = 1;
  if (shared) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  ::setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on);
  // IP_PKTINFO: which of our addresses the request reached, for siaddr and
  // option 54 on a multi-homed server (FIRMWARE.md 20).
  ::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
  // FORCE passes net.core.rmem_max while we are still root; otherwise the plain option.
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kReceiveBuffer, sizeof kReceiveBuffer) < 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kReceiveBuffer, sizeof kReceiveBuffer);
  }
  if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, interface.c_str(),
                   static_cast<socklen_t>(interface.size())) < 0) {
    int err = errno;
    ::close(fd);
    return std::unexpected(fmt::format("dhcp: cannot bind to interface {}: {}", interface,
                                       std::strerror(err)));
  }
  auto addr = sockaddr_of(core::Ipv4{}, port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    int err = errno;
    ::close(fd);
    return std::unexpected(fmt::format("dhcp: cannot listen on {} port {}: {}{}", interface, port,
                                       std::strerror(err),
                                       err == EACCES ? " (run as root or grant CAP_NET_BIND_SERVICE)"
                                       : err == EADDRINUSE ? " (pxed shares no port it answers on)"
                                                           : ""));
  }
  return fd;
}

struct Datagram {
  std::size_t length = 0;
  sockaddr_in peer{};
  in_pktinfo info{};
};

bool receive(int fd, std::vector<std::byte>& buffer, Datagram& out) {
  iovec iov{buffer.data(), buffer.size()};
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(in_pktinfo))> control{};
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
      std::memcpy(&out.info, CMSG_DATA(c), sizeof out.info);
    }
  }
  return true;
}

}  // namespace

struct Service::Impl {
  Impl(asio::io_context& io_, const config::Config& config_, boot::Sightings& sightings_, events::Bus& bus_,
       std::function<void(const boot::Sighting&)> on_seen_)
      : io(io_),
        config(config_),
        sightings(sightings_),
        bus(bus_),
        on_seen(std::move(on_seen_)),
        group({.gather = config_.dhcp.commit_interval, .recount_every = kRecountEvery}),
        commit_timer(io_),
        flood_timer(io_) {}
  ~Impl() { writer.join(); }  // a write in flight finishes before the store closes

  asio::io_context& io;
  config::Config config;
  boot::Sightings& sightings;
  events::Bus& bus;
  std::function<void(const boot::Sighting&)> on_seen;
  std::optional<store::LeaseStore> store;
  std::optional<Server> server;
  std::optional<Deciding> deciding;  // until the server exists
  std::vector<std::unique_ptr<Listener>> listeners;

  // Group commit (dhcp/group_commit.hpp decides): the writes (a transaction and
  // its fsync) and leases.seen's recounts run on the writer thread, the one
  // thread that touches the store after bind(); meanwhile this thread keeps
  // reading requests (OFFERs never wait for the disk) and the next batch gathers.
  // A reply with its answer events (dhcp.offer, dhcp.ack, ...): they are
  // emitted once it is sent, with `ms` from the request's arrival, so the log
  // never shows an ACK a failed lease write kept back.
  struct Waiting {
    Reply reply;
    Listener* via;
    std::vector<events::Event> answers;
    std::chrono::steady_clock::time_point arrived;
  };
  GroupCommit group;
  std::deque<Waiting> waiting;  // in the order handed to `group`: its sends and drops take from the front
  asio::steady_timer commit_timer;
  asio::thread_pool writer{1};
  // Flood summaries (Server::tick) are due even when the flood has stopped.
  asio::steady_timer flood_timer;
  bool flood_armed = false;

  std::expected<void, std::string> bind();
  std::expected<void, std::string> open_store(std::vector<store::Lease>& leases);
  asio::awaitable<void> listen(Listener& l);
  void on_datagram(Listener& l, std::span<const std::byte> bytes, const Datagram& d);
  bool send(Listener& l, const Reply& reply);
  void answer(Waiting& w);
  void arm_flood_report();
  void run(std::vector<GroupCommit::Action> actions);
};

std::expected<void, std::string> Service::Impl::open_store(std::vector<store::Lease>& leases) {
  std::error_code ec;
  std::filesystem::create_directories(config.server.state_dir, ec);
  if (ec) {
    return std::unexpected(fmt::format("dhcp: cannot create state_dir {}: {}",
                                       config.server.state_dir.string(), ec.message()));
  }
  auto opened = store::LeaseStore::open(config.server.state_dir);
  if (!opened) return std::unexpected("dhcp: " + opened.error());
  auto loaded = opened->load_all();
  if (!loaded) return std::unexpected("dhcp: " + loaded.error());
  leases = std::move(*loaded);
  store.emplace(std::move(*opened));
  return {};
}

std::expected<void, std::string> Service::Impl::bind() {
  const auto& dhcp = config.dhcp;
  std::vector<store::Lease> leases;
  if (dhcp.mode == config::DhcpMode::full) {
    if (auto opened = open_store(leases); !opened) return opened;
  }
  for (const auto& name : config.server.interfaces) {
    if (::if_nametoindex(name.c_str()) == 0) {
      return std::unexpected(fmt::format(
          "dhcp: server.interfaces names {}, which does not exist here", name));
    }
    for (std::uint16_t port : {kServerPort, kPxePort, kClientPort}) {
      auto fd = open_socket(name, port, port == kClientPort);
      if (!fd) {
        // Port 68 only serves to notice other DHCP servers; a DHCP client on
        // this host may hold it. Serving goes on without that warning.
        if (port == kClientPort) {
          bus.emit(events::Event{events::Kind::dhcp_no_foreign_watch}
              .add("interface", name)
              .add("reason", fd.error()));
          continue;
        }
        return std::unexpected(fd.error());
      }
      auto l = std::make_unique<Listener>(io, name, port);
      l->socket.assign(udp::v4(), *fd);
      listeners.push_back(std::move(l));
    }
  }
  // Machines that booted before a restart are still known by their lease.
  const auto now = core::unix_now();
  for (const auto& lease : leases) {
    if (lease.state != store::LeaseState::bound || lease.expires <= now) continue;
    boot::Sighting seen{.facts = {}, .how = "lease", .at = lease.updated};
    seen.facts.mac = lease.mac;
    seen.facts.address = lease.ip;
    sightings.record(std::move(seen));
  }
  server.emplace(config.dhcp, config.boot, config.http, std::move(leases));
  if (deciding) server->decide_with(std::move(*deciding));
  return {};
}

asio::awaitable<void> Service::Impl::listen(Listener& l) {
  std::vector<std::byte> buffer(kMaxDatagram);
  for (;;) {
    auto [ec] = co_await l.socket.async_wait(udp::socket::wait_read, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    for (int i = 0; i < kDrainBatch; ++i) {
      Datagram d;
      if (!receive(l.socket.native_handle(), buffer, d)) break;
      on_datagram(l, std::span(buffer).first(d.length), d);
    }
  }
}

void Service::Impl::on_datagram(Listener& l, std::span<const std::byte> bytes, const Datagram& d) {
  const auto arrived = std::chrono::steady_clock::now();
  Arrival arrival{
      .source = ipv4_of(d.peer.sin_addr),
      .source_port = ntohs(d.peer.sin_port),
      .destination = ipv4_of(d.info.ipi_addr),
      .local = ipv4_of(d.info.ipi_spec_dst),
      .ifindex = d.info.ipi_ifindex,
      .local_port = l.port,
  };
  Response response = server->handle(core::unix_now(), arrival, bytes);
  if (response.seen) {
    if (on_seen) on_seen(*response.seen);
    sightings.record(std::move(*response.seen));
  }
  std::vector<events::Event> answers;
  for (auto& event : response.events) {
    event.add("interface", l.interface);
    if (response.reply && events::is_dhcp_answer(event.kind)) answers.push_back(std::move(event));
    else bus.emit(event);
  }
  arm_flood_report();
  if (!response.reply) return;
  Waiting w{std::move(*response.reply), &l, std::move(answers), arrived};
  if (response.commit.empty()) return answer(w);
  waiting.push_back(std::move(w));
  run(group.decided(arrived, response.commit));
}

void Service::Impl::arm_flood_report() {
  if (flood_armed) return;
  const auto due = server->next_tick();
  if (due == 0) return;
  flood_armed = true;
  flood_timer.expires_after(std::chrono::seconds(std::max<std::int64_t>(1, due - core::unix_now())));
  flood_timer.async_wait([this](const boost::system::error_code& ec) {
    flood_armed = false;
    if (ec) return;
    for (auto& [ifindex, event] : server->tick(core::unix_now())) {
      std::array<char, IF_NAMESIZE> name{};
      event.add("interface", ::if_indextoname(static_cast<unsigned>(ifindex), name.data()) != nullptr
                                 ? std::string(name.data())
                                 : std::to_string(ifindex));
      bus.emit(event);
    }
    arm_flood_report();
  });
}

// Carries out what the group commit decided. The store's work goes to the
// writer thread and its result comes back to this one; replies leave only
// after the write that holds their leases has landed.
void Service::Impl::run(std::vector<GroupCommit::Action> actions) {
  for (auto& action : actions) {
    if (auto* write = std::get_if<GroupCommit::Write>(&action)) {
      asio::post(writer, [this, leases = std::move(write->leases)] {
        auto written = store->commit(leases);
        asio::post(io, [this, written = std::move(written)] {
          run(group.written(std::chrono::steady_clock::now(), written));
        });
      });
    } else if (std::holds_alternative<GroupCommit::Recount>(action)) {
      asio::post(writer, [this] {
        auto counted = store->recount();
        asio::post(io, [this, counted = std::move(counted)] {
          // Nothing waits on it: the leases are durable, only the count lags; the next recount retries.
          if (!counted) {
            bus.emit(events::Event{events::Kind::dhcp_store_failed}
                .add("leases", std::size_t{0})
                .add("replies_dropped", std::size_t{0})
                .add("error", counted.error()));
          }
          run(group.recounted(std::chrono::steady_clock::now()));
        });
      });
    } else if (auto* timer = std::get_if<GroupCommit::ArmTimer>(&action)) {
      commit_timer.expires_at(timer->at);
      commit_timer.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) run(group.on_timer(std::chrono::steady_clock::now()));
      });
    } else if (auto* send = std::get_if<GroupCommit::Send>(&action)) {
      for (std::size_t i = 0; i < send->replies && !waiting.empty(); ++i) {
        answer(waiting.front());
        waiting.pop_front();
      }
    } else if (auto* drop = std::get_if<GroupCommit::Drop>(&action)) {
      // A failed write sends nothing: the clients retry, and no ACK ever promises
      // what a crash could lose.
      const auto dropped = std::min(drop->replies, waiting.size());
      waiting.erase(waiting.begin(), waiting.begin() + static_cast<std::ptrdiff_t>(dropped));
      bus.emit(events::Event{events::Kind::dhcp_store_failed}
          .add("leases", drop->leases)
          .add("replies_dropped", dropped)
          .add("error", drop->error));
    }
  }
}

void Service::Impl::answer(Waiting& w) {
  if (!send(*w.via, w.reply)) return;
  const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - w.arrived;
  for (auto& event : w.answers) bus.emit(event.add("ms", std::round(took.count() * 10) / 10));
}

bool Service::Impl::send(Listener& l, const Reply& reply) {
  auto encoded = encode(reply.packet, reply.max_size);
  if (encoded.truncated) {
    bus.emit(events::Event{events::Kind::dhcp_reply_truncated}
        .about(reply.packet.mac())
        .add("max_size", reply.max_size));
  }
  auto to = sockaddr_of(reply.to, reply.port);
  // UDP: a full send buffer drops the datagram; the client retransmits.
  if (::sendto(l.socket.native_handle(), encoded.bytes.data(), encoded.bytes.size(), MSG_DONTWAIT,
               reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0) {
    bus.emit(events::Event{events::Kind::dhcp_send_failed}
        .add("to", fmt::format("{}:{}", reply.to.to_string(), reply.port))
        .add("interface", l.interface)
        .add("error", std::strerror(errno)));
    return false;
  }
  return true;
}

Service::Service(asio::io_context& io, const config::Config& config, boot::Sightings& sightings, events::Bus& bus,
                 std::function<void(const boot::Sighting&)> on_seen)
    : impl_(std::make_unique<Impl>(io, config, sightings, bus, std::move(on_seen))) {}
Service::~Service() = default;

std::expected<void, std::string> Service::bind() { return impl_->bind(); }

void Service::start() {
  for (auto& l : impl_->listeners) {
    asio::co_spawn(impl_->io, impl_->listen(*l), asio::detached);
  }
}

void Service::decide_with(Deciding deciding) {
  if (impl_->server) return impl_->server->decide_with(std::move(deciding));
  impl_->deciding = std::move(deciding);
}

std::vector<store::Lease> Service::leases() const {
  return impl_->server ? impl_->server->active_leases(core::unix_now()) : std::vector<store::Lease>{};
}

std::size_t Service::active_leases() const {
  return impl_->server ? impl_->server->active_leases(core::unix_now()).size() : 0;
}

std::vector<std::pair<core::Ipv4Network, RangeUse>> Service::range_use() const {
  std::vector<std::pair<core::Ipv4Network, RangeUse>> out;
  if (!impl_->server || impl_->config.dhcp.mode != config::DhcpMode::full) return out;
  const auto use = impl_->server->range_use(core::unix_now());
  for (std::size_t i = 0; i < use.size() && i < impl_->config.dhcp.subnets.size(); ++i) {
    out.emplace_back(impl_->config.dhcp.subnets[i].network, use[i]);
  }
  return out;
}

}  // namespace pxed::dhcp
