#include "http/http_service.hpp"

#include <netinet/in.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <pthread.h>
#include <thread>
#include <type_traits>

#include "core/shares.hpp"
#include "core/time.hpp"
#include "events/bus.hpp"
#include "http/request_body.hpp"
#include "http/request_logic.hpp"
#include "http/send_support.hpp"
#include "http/send_turns.hpp"
#include "http/responder.hpp"

namespace pxed::http {
namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;  // a || b: the first of two waits
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {

// sendfile(2) moves at most this much per call, so one fast client cannot
// hold the (single-threaded) io_context for a whole ISO.
constexpr std::uint64_t kSendfileChunk = 1 << 20;
// Bytes before letting other connections (and DHCP, TFTP) run: one chunk, so
// a full-speed download holds the loop ~1 ms at a time, not ~8.
constexpr std::uint64_t kYieldEvery = kSendfileChunk;
// File-body bytes every connection together sends between two looks of the
// loop at its sockets (SendTurns): two chunks, ~1 ms of sendfile here. A
// DHCP answer or a TFTP block then waits about that, not a round of one
// chunk per ready download (hundreds of ms under a boot storm).
constexpr std::uint64_t kSendBytesPerTurn = 2 * kSendfileChunk;
// A body up to this size is read into memory and leaves with its header in
// one write (one TCP push, one syscall), instead of a header write, a page
// cache check (mmap, mincore, munmap: the munmap is a TLB shootdown on every
// core HTTP runs on) and a sendfile: installers fetch thousands of small
// files. The read takes only what the page cache holds (RWF_NOWAIT); the
// rest is read by a worker.
constexpr std::uint64_t kSmallBody = 64 * 1024;
constexpr std::size_t kLoggedTargetMax = 256;
// Enough for "iPXE/1.21.1+ (g4bd064de)", anaconda's and curl's; a client that
// sends a kilobyte of User-Agent does not get a kilobyte into every log line.
constexpr std::size_t kLoggedAgentMax = 128;
// A connection without a whole request this long after it opened may give its
// slot to a newcomer when every slot is held: a real client sends its request
// at once, a slowloris never finishes one.
constexpr std::int64_t kUnprovenGraceMs = 2000;
// After an error response we stop reading requests; what the client already
// sent is read and dropped (up to this much, for this long) before closing,
// or the kernel would answer it with a RST that can destroy our response.
constexpr std::size_t kLingerBytes = 64 * 1024;
constexpr std::chrono::seconds kLingerTime{1};
// A quiet event stream writes a comment this often (proxies close idle streams at ~60 s).
constexpr std::chrono::milliseconds kStreamKeepAlive{15000};
// How long a woken stream gathers events before it writes: late enough to batch
// a busy second, soon enough that a dashboard looks live.
constexpr std::chrono::milliseconds kStreamBatch{50};
constexpr std::string_view kKeepAliveComment = ": keep-alive\n\n";
constexpr std::string_view kBusy =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n"
    "Retry-After: 1\r\n\r\n";

std::string endpoint_text(const tcp::endpoint& e) {
  if (e.address().is_v6()) return fmt::format("[{}]:{}", e.address().to_string(), e.port());
  return fmt::format("{}:{}", e.address().to_string(), e.port());
}

// An IPv4 client's address; a v4-mapped IPv6 one's too. Zero for other IPv6
// clients: leases and sightings (who a machine is) are IPv4 only.
core::Ipv4 ipv4_of(const asio::ip::address& a) {
  if (a.is_v4()) return core::Ipv4{a.to_v4().to_uint()};
  if (a.to_v6().is_v4_mapped()) return core::Ipv4{asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_uint()};
  return core::Ipv4{};
}

// Whose share a connection takes (max_connections_per_client): an IPv4
// address as it is; an IPv6 one folded into the 64 bits with the top bit set,
// so it never equals an IPv4 one. Its /64 network: one host picks any of 2^64
// addresses in it at will, so the share must hold them all.
core::Shares::Client share_client_of(const asio::ip::address& a) {
  if (auto v4 = ipv4_of(a); v4.value != 0 || a.is_v4()) return v4.value;
  const auto bytes = a.to_v6().to_bytes();
  std::uint64_t network = 0;
  for (std::size_t i = 0; i < 8; ++i) network = network << 8 | bytes[i];
  return network | (std::uint64_t{1} << 63);
}

struct Listener;
struct Connection;

// One event loop serving connections: the owner's (threads = 1: the loop DHCP,
// TFTP and pxed's state run on) or one of HTTP's own, on a thread of its own.
// Each keeps its own turns (SendTurns): bodies take turns with the sockets
// of the loop they share.
struct Loop {
  explicit Loop(asio::io_context& owner) : io(owner) {}
  Loop() : own(std::make_unique<asio::io_context>(1)), io(*own) {}
  std::unique_ptr<asio::io_context> own;  // null for the owner's loop
  asio::io_context& io;
  std::thread thread;
  std::list<tcp::acceptor> acceptors;  // own loops: one per listener, on a duplicate of its socket
  SendTurns turns{kSendBytesPerTurn};
  std::map<SendTurns::Sender, Connection*> turn_waiters;  // each one's coroutine waits in wait_turn
  asio::steady_timer turn_timer{io};
  bool turn_armed = false;
};

// One TCP connection: the socket, and the deadline a watchdog enforces by
// closing the socket, which aborts whatever the connection is waiting for.
struct Connection {
  Connection(tcp::socket s, Loop& l)
      : socket(std::move(s)), timer(socket.get_executor()), turn(socket.get_executor()), loop(l) {}
  tcp::socket socket;
  asio::steady_timer timer;
  asio::steady_timer turn;  // a body waiting for its turn to send (SendTurns) waits on it
  bool granted = false;     // its turn came: the wait on `turn` is over
  Loop& loop;               // the one it runs on, every wait of it included
  std::string client;
  vfs::Requester requester;  // who asks: generated files are made for this machine
  const Listener* listener = nullptr;  // where it came in: what it may ask
  core::Shares::Id share = 0;  // its slot among the connections (Impl::shares)
  bool finished = false;
  bool timed_out = false;
  void deadline_in(std::chrono::milliseconds d) { timer.expires_after(d); }
};

// One listening address and what it answers: the tree and pxed's own paths
// ([http] listen), or pxed's own paths only ([api] listen).
struct Listener {
  Listener(asio::io_context& io, config::Endpoint at_, const vfs::Tree& tree, std::string what_)
      : at(std::move(at_)), what(std::move(what_)), responder(tree), acceptor(io) {}
  config::Endpoint at;
  std::string what;  // "http", "api": the config section errors name
  Responder responder;
  tcp::acceptor acceptor;
};

}  // namespace

struct Service::Impl {
  Impl(asio::io_context& io_, const config::Http& config_, unsigned threads, const vfs::Tree& tree_,
       core::WorkerPool& pool_, events::Bus& bus_)
      : io(io_), config(config_), tree(tree_), pool(pool_), bus(bus_) {
    for (const auto& at : pxed::config::listen_addresses(config)) listeners.emplace_back(io, at, tree, "http");
    if (threads <= 1) {
      loops.emplace_back(io);
    } else {
      for (unsigned i = 0; i < threads; ++i) loops.emplace_back();
    }
  }
  ~Impl() {
    for (auto& l : loops) {
      if (l.own) l.own->stop();
    }
    for (auto& l : loops) {
      if (l.thread.joinable()) l.thread.join();
    }
  }

  asio::io_context& io;  // the owner's loop
  config::Http config;
  const vfs::Tree& tree;
  core::WorkerPool& pool;
  events::Bus& bus;
  std::list<Listener> listeners;  // the first is [http] listen; addresses stay put
  // Who holds the connection slots; a connection that has not sent a whole
  // request yields its slot to a newcomer when every slot is taken.
  // Every loop admits through these: the limits hold for the service.
  mutable std::mutex admission;
  core::Shares shares{{config.max_connections, config.max_connections_per_client, kUnprovenGraceMs}};
  core::Shares::Id next_share = 0;
  std::map<core::Shares::Id, std::weak_ptr<Connection>> holders;

  std::expected<void, std::string> bind(Listener& l);
  asio::awaitable<void> accept_loop(Listener& l, Loop& loop, tcp::acceptor& acceptor);
  void admitted(const std::shared_ptr<Connection>& c);
  void released(Connection& c);
  void refuse_busy(tcp::socket& socket, core::Shares::Verdict why, std::size_t held);
  void evict(core::Shares::Id id);
  // start(done) hands work to another thread (the pool, the owner's loop),
  // which calls done(result) once; the coroutine sleeps until the result is
  // back on its own loop. done posts it there and cancels a timer the
  // coroutine waits on (the pattern GCC 12 compiles right; a hand-made
  // async_initiate around a moved lambda did not). done holds that timer
  // weakly: at exit the owner's loop stops with answers maybe still queued on
  // it, and is destroyed after HTTP's own loops; an answer must not own a
  // timer of a loop that is gone by then.
  template <class Result>
  asio::awaitable<Result> resumed_here(std::function<void(std::function<void(Result)>)> start) {
    struct Waiting {
      explicit Waiting(const asio::any_io_executor& here) : woken(here, asio::steady_timer::time_point::max()) {}
      asio::steady_timer woken;
      std::optional<Result> result;
    };
    auto here = co_await asio::this_coro::executor;
    auto waiting = std::make_shared<Waiting>(here);
    std::weak_ptr<Waiting> weak = waiting;
    start([weak, here](Result result) {
      asio::post(here, [weak, result = std::move(result)]() mutable {
        if (auto w = weak.lock()) {
          w->result.emplace(std::move(result));
          w->woken.cancel();
        }
      });
    });
    co_await waiting->woken.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return std::move(*waiting->result);
  }
  // Runs work(stop) on the pool; the coroutine resumes on its own loop with the result.
  template <class Work>
  asio::awaitable<std::invoke_result_t<Work&, std::stop_token>> off_loop(Work work) {
    using Result = std::invoke_result_t<Work&, std::stop_token>;
    // Named, not a temporary in the co_await: see the listing's note in serve().
    std::function<void(std::function<void(Result)>)> start = [this, work = std::move(work)](
                                                                 std::function<void(Result)> done) mutable {
      pool.submit([work = std::move(work)](std::stop_token stop) mutable { return work(stop); }, std::move(done));
    };
    co_return co_await resumed_here<Result>(std::move(start));
  }
  // What a request gets, decided where `on` says: on one of HTTP's own loops
  // that is the tree's files; the rest comes back with to_owner set.
  asio::awaitable<Reply> decide(Connection& c, const Request& req, const std::string& body, Exchange& x, On on);
  // decide() on the owner's loop, for a connection on one of HTTP's own. The
  // connection's coroutine sleeps on a timer of its own loop meanwhile.
  asio::awaitable<Reply> decide_on_owner(Connection& c, const Request& req, const std::string& body, Exchange& x);
  asio::awaitable<void> watchdog(std::shared_ptr<Connection> c);
  asio::awaitable<void> serve(std::shared_ptr<Connection> c);
  asio::awaitable<bool> send(Connection& c, Reply& reply, bool head_only, Exchange& x);
  asio::awaitable<bool> send_file(Connection& c, const vfs::File& file, ByteRange range, Exchange& x);
  // A body up to kSmallBody: read, then one write with its header.
  asio::awaitable<bool> send_small(Connection& c, Reply& reply, Exchange& x);
  // Waits until SendTurns names c (it asked and was queued).
  asio::awaitable<void> wait_turn(Connection& c);
  // The next turn begins once the loop has looked at its sockets: a timer
  // already due completes only through the reactor, after the sockets that
  // were ready with it.
  void arm_turn(Loop& loop);
  asio::awaitable<void> close_gracefully(Connection& c, beast::flat_buffer& buffer);
  asio::awaitable<Answer> wait_for(std::function<void(std::function<void(Answer)>)> later);
  // Starts loop's thread; names it for top and ps (-L).
  void run_thread(Loop& loop, std::size_t index);
  asio::awaitable<void> stream(Connection& c, Feed& feed, Exchange& x);
  enum class Waited { expired, woken, client_gone };
  asio::awaitable<Waited> wait_watching(Connection& c, asio::steady_timer& wake, std::chrono::milliseconds d);
  void log(const Connection& c, const Exchange& x, events::Level level) const;

  // Last: their threads stop (~Impl) and their connections go before anything above.
  std::list<Loop> loops;
};

std::expected<void, std::string> Service::Impl::bind(Listener& l) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(l.at.address, ec);
  if (ec) return std::unexpected(fmt::format("{}.listen: {} is not an IP address", l.what, l.at.address));
  tcp::endpoint endpoint(address, l.at.port);
  auto& acceptor = l.acceptor;
  acceptor.open(endpoint.protocol(), ec);
  // IPv6 only: "::" beside "0.0.0.0" on one port is two listeners, as written,
  // not one that takes IPv4 too and a second bind that fails.
  if (!ec && address.is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    bool denied = ec == boost::system::errc::permission_denied;
    return std::unexpected(fmt::format("{}: cannot listen on {}: {}{}", l.what, pxed::config::to_string(l.at),
                                       ec.message(),
                                       denied ? " (port below 1024: run as root or grant CAP_NET_BIND_SERVICE)" : ""));
  }
  return {};
}

void Service::Impl::refuse_busy(tcp::socket& socket, core::Shares::Verdict why, std::size_t held) {
  boost::system::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  // Best effort, never waits: the point is to shed load.
  ::send(socket.native_handle(), kBusy.data(), kBusy.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
  bus.emit(events::Event{events::Kind::http_refused}
      .add("client", ec ? std::string("-") : endpoint_text(peer))
      .from(ec ? core::Ipv4{} : ipv4_of(peer.address()))
      .add("reason", std::string(core::to_string(why)))
      .add("status", "503")
      .add("active", held));
}

// Every slot is held: the oldest connection still without a whole request
// (a slowloris, or a client gone quiet mid-header) is closed for a newcomer.
// Called with `admission` held; the close happens on the connection's loop.
void Service::Impl::evict(core::Shares::Id id) {
  auto it = holders.find(id);
  if (it == holders.end()) return;
  if (auto c = it->second.lock()) {
    asio::post(c->loop.io, [this, c] {
      bus.emit(events::Event{events::Kind::http_evicted}
          .add("client", c->client.empty() ? "-" : c->client)
          .from(c->requester.address)
          .add("reason", "no-request-while-full"));
      boost::system::error_code ec;
      c->socket.close(ec);
    });
  }
  holders.erase(it);
}

void Service::Impl::admitted(const std::shared_ptr<Connection>& c) {
  std::lock_guard locked(admission);
  holders.emplace(c->share, c);
}

void Service::Impl::released(Connection& c) {
  std::lock_guard locked(admission);
  shares.release(c.share);
  holders.erase(c.share);
}

asio::awaitable<void> Service::Impl::accept_loop(Listener& l, Loop& loop, tcp::acceptor& acceptor) {
  asio::steady_timer backoff(loop.io);
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // EMFILE/ENFILE/ENOBUFS: wait for connections to finish instead of spinning.
      bus.emit(events::Event{events::Kind::http_accept_failed}
          .add("error", ec.message()));
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    boost::system::error_code pec;
    auto peer = socket.remote_endpoint(pec);
    const core::Shares::Client client = pec ? 0 : share_client_of(peer.address());
    core::Shares::Id id = 0;
    std::optional<core::Shares::Verdict> refused;
    std::size_t held = 0;
    {
      std::lock_guard locked(admission);
      id = ++next_share;
      auto verdict = shares.admit(core::milliseconds_of(core::Clock::now()), client, id);
      if (verdict.verdict != core::Shares::Verdict::admitted) {
        refused = verdict.verdict;
        held = shares.held();
      } else if (verdict.evict) {
        evict(*verdict.evict);
      }
    }
    if (refused) {
      refuse_busy(socket, *refused, held);
      continue;
    }
    auto c = std::make_shared<Connection>(std::move(socket), loop);
    c->share = id;
    c->listener = &l;
    admitted(c);
    // Armed before the watchdog starts: a new timer's expiry is already past.
    c->deadline_in(config.header_timeout);
    asio::co_spawn(loop.io, watchdog(c), asio::detached);
    asio::co_spawn(loop.io, serve(c), [this, c](std::exception_ptr e) {
      released(*c);
      c->finished = true;
      c->timer.cancel();
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& what) {
        bus.emit(events::Event{events::Kind::http_error}
            .add("client", c->client)
            .from(c->requester.address)
            .add("error", what.what()));
      }
    });
  }
}

asio::awaitable<void> Service::Impl::watchdog(std::shared_ptr<Connection> c) {
  while (!c->finished) {
    co_await c->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (c->finished) co_return;
    // Re-arming cancels the wait; only a deadline that really passed counts.
    if (c->timer.expiry() <= std::chrono::steady_clock::now()) {
      c->timed_out = true;
      boost::system::error_code ec;
      c->socket.close(ec);
      co_return;
    }
  }
}

void Service::Impl::log(const Connection& c, const Exchange& x, events::Level level) const {
  auto ms = std::chrono::duration<double, std::milli>(core::Clock::now() - x.started).count();
  events::Event e{events::Kind::http_request, level};
  e.add("client", c.client)
      .from(c.requester.address)
      .add("method", x.method)
      .add("path", x.path)
      .add("status", x.status)
      .add("bytes", x.bytes)
      .add("ms", std::round(ms * 10) / 10);
  if (!x.range.empty()) e.add("range", x.range);
  if (!x.reason.empty()) e.add("reason", x.reason);
  if (!x.system.empty()) e.add("system", x.system);
  if (!x.generated.empty()) e.add("generated", x.generated);
  if (!x.route.empty()) e.add("route", x.route);
  if (!x.agent.empty()) e.add("agent", x.agent);
  bus.emit(e);
}

asio::awaitable<bool> Service::Impl::send_file(Connection& c, const vfs::File& file, ByteRange range,
                                               Exchange& x) {
  // The range is in the file's logical bytes; each extent maps a run of them
  // to an offset in the descriptor (an ISO member lives at its extents).
  std::uint64_t position = range.first;  // next logical byte to send
  std::uint64_t left = range.length;
  std::uint64_t since_yield = 0;
  std::uint64_t extent_start = 0;
  for (const vfs::Extent& extent : file.extents()) {
    if (left == 0) break;
    if (position >= extent_start + extent.length) {
      extent_start += extent.length;
      continue;
    }
    auto offset = static_cast<off_t>(extent.offset + (position - extent_start));
    std::uint64_t in_extent = std::min(left, extent_start + extent.length - position);
    while (in_extent > 0) {
      const auto chunk = std::min(in_extent, kSendfileChunk);
      if (!in_page_cache(file.fd(), static_cast<std::uint64_t>(offset), chunk)) {
        // A cold chunk: sendfile would wait for the disk on the loop. A worker
        // reads it into the page cache first; the loop's sendfile then copies
        // from memory. Hot files (the usual case) never take this detour.
        // A failed read shows in sendfile next.
        (void)co_await off_loop([fd = file.fd(), at = static_cast<std::uint64_t>(offset), chunk](std::stop_token) {
          std::vector<std::byte> scratch(static_cast<std::size_t>(chunk));
          return vfs::pread_full(fd, scratch, at);
        });
      }
      if (!c.loop.turns.ask(c.share, chunk)) {
        co_await wait_turn(c);
        if (!c.socket.is_open()) {  // closed by the watchdog meanwhile
          x.reason = c.timed_out ? "send-timeout" : "client-gone";
          co_return false;
        }
      }
      auto n = ::sendfile(c.socket.native_handle(), file.fd(), &offset, static_cast<std::size_t>(chunk));
      if (n > 0) {
        in_extent -= static_cast<std::uint64_t>(n);
        left -= static_cast<std::uint64_t>(n);
        position += static_cast<std::uint64_t>(n);
        x.bytes += static_cast<std::uint64_t>(n);
        since_yield += static_cast<std::uint64_t>(n);
        c.deadline_in(config.idle_timeout);  // progress: the client is still reading
        if (since_yield >= kYieldEvery) {
          since_yield = 0;
          co_await asio::post(c.socket.get_executor(), asio::use_awaitable);
        }
      } else if (n == 0) {
        // The file shrank after we promised Content-Length: closing is the only
        // honest signal left (the client sees a short body).
        x.reason = "file-changed";
        co_return false;
      } else if (errno == EINTR) {
        continue;
      } else if (errno == EAGAIN) {
        auto [ec] = co_await c.socket.async_wait(tcp::socket::wait_write, asio::as_tuple(asio::use_awaitable));
        if (ec) {
          x.reason = c.timed_out ? "send-timeout" : "client-gone";
          co_return false;
        }
      } else {
        x.reason = errno == EPIPE || errno == ECONNRESET ? "client-gone" : fmt::format("sendfile:{}", std::strerror(errno));
        co_return false;
      }
    }
    extent_start += extent.length;
  }
  if (left > 0) {  // the extents hold less than size() promised
    x.reason = "file-changed";
    co_return false;
  }
  co_return true;
}

asio::awaitable<bool> Service::Impl::send_small(Connection& c, Reply& reply, Exchange& x) {
  const auto range = reply.range;
  std::string body(static_cast<std::size_t>(range.length), '\0');
  const auto bytes = std::as_writable_bytes(std::span(body));
  auto read = reply.file->read_at(bytes, range.first, vfs::Wait::no);
  if (!read && read.error() == EAGAIN) {
    // Not all in the page cache: a worker reads it (the loop never waits on a disk).
    std::function<std::expected<std::string, int>(std::stop_token)> slow =
        [file = std::make_shared<vfs::File>(std::move(*reply.file)), range](std::stop_token) -> std::expected<std::string, int> {
      std::string out(static_cast<std::size_t>(range.length), '\0');
      auto n = file->read_at(std::as_writable_bytes(std::span(out)), range.first);
      if (!n) return std::unexpected(n.error());
      out.resize(*n);
      return out;
    };
    auto got = co_await off_loop(std::move(slow));
    if (got) {
      read = got->size();
      body = std::move(*got);
    } else {
      read = std::unexpected(got.error());
    }
  }
  if (!read || *read != range.length) {
    // Nothing is sent yet, but the header promised this length: a file that
    // shrank or cannot be read ends the connection, as it does mid-sendfile.
    x.reason = !read ? fmt::format("read:{}", std::strerror(read.error())) : "file-changed";
    co_return false;
  }
  // The header as decided (Content-Length was set by hand), the body behind it.
  bhttp::response<bhttp::string_body> whole(std::move(reply.head.base()), std::move(body));
  auto [ec, n] = co_await bhttp::async_write(c.socket, whole, asio::as_tuple(asio::use_awaitable));
  if (ec) {
    x.reason = c.timed_out ? "send-timeout" : "client-gone";
    co_return false;
  }
  x.bytes += range.length;
  co_return true;
}

asio::awaitable<void> Service::Impl::wait_turn(Connection& c) {
  c.loop.turn_waiters[c.share] = &c;
  c.granted = false;
  arm_turn(c.loop);
  while (!c.granted) {
    c.turn.expires_at(asio::steady_timer::time_point::max());
    co_await c.turn.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

void Service::Impl::arm_turn(Loop& loop) {
  if (loop.turn_armed) return;
  loop.turn_armed = true;
  loop.turn_timer.expires_at(asio::steady_timer::time_point{});
  loop.turn_timer.async_wait([this, &loop](boost::system::error_code ec) {
    loop.turn_armed = false;
    if (ec) return;
    for (auto sender : loop.turns.next_turn()) {
      auto it = loop.turn_waiters.find(sender);
      if (it == loop.turn_waiters.end()) continue;
      it->second->granted = true;
      it->second->turn.cancel();
      loop.turn_waiters.erase(it);
    }
    if (loop.turns.waiting()) arm_turn(loop);
  });
}

asio::awaitable<bool> Service::Impl::send(Connection& c, Reply& reply, bool head_only, Exchange& x) {
  x.status = reply.head.result_int();
  c.deadline_in(config.idle_timeout);
  const bool file_body = reply.file && !head_only && reply.range.length > 0;
  if (file_body && reply.range.length <= kSmallBody) co_return co_await send_small(c, reply, x);
  const bool cork = file_body && reply.range.length > kSendfileChunk;
  if (cork) set_cork(c.socket.native_handle(), true);
  // The header only: Content-Length was set by hand for the body we send below.
  auto [ec, n] = co_await bhttp::async_write(c.socket, reply.head, asio::as_tuple(asio::use_awaitable));
  if (ec) {
    x.reason = c.timed_out ? "send-timeout" : "client-gone";
    co_return false;
  }
  if (head_only) co_return true;
  if (file_body) {
    bool sent = co_await send_file(c, *reply.file, reply.range, x);
    if (cork) set_cork(c.socket.native_handle(), false);  // flushes the last partial segment now, not in 200 ms
    co_return sent;
  }
  if (reply.file) co_return true;  // an empty range: nothing after the header
  if (!reply.text.empty()) {
    auto [wec, written] = co_await asio::async_write(c.socket, asio::buffer(reply.text),
                                                     asio::as_tuple(asio::use_awaitable));
    x.bytes += written;
    if (wec) co_return false;
  }
  co_return true;
}

// Waits on `wake` for `d` while watching the socket: an event-stream client
// sends nothing, so a read that completes is its close (a shut dashboard frees
// its slot now, not at the next keep-alive).
asio::awaitable<Service::Impl::Waited> Service::Impl::wait_watching(Connection& c, asio::steady_timer& wake,
                                                                     std::chrono::milliseconds d) {
  std::array<char, 512> scratch;
  wake.expires_after(d);
  auto woke = co_await (wake.async_wait(asio::as_tuple(asio::use_awaitable)) ||
                        c.socket.async_read_some(asio::buffer(scratch), asio::as_tuple(asio::use_awaitable)));
  if (woke.index() == 1) co_return Waited::client_gone;
  co_return std::get<0>(std::get<0>(woke)) ? Waited::woken : Waited::expired;
}

// An event stream: what the feed pushes is written as it comes, gathered
// for kStreamBatch after the first so a busy second costs each subscriber a
// few writes, not one per event. A comment line every kStreamKeepAlive keeps
// proxies from closing a quiet stream and finds a client that went away.
asio::awaitable<void> Service::Impl::stream(Connection& c, Feed& feed, Exchange& x) {
  // The feed wakes us from the owner's thread: the cancel runs on ours.
  auto waker = std::make_shared<asio::steady_timer>(c.loop.io);
  asio::steady_timer& wake = *waker;
  feed.on_wake([waker] { asio::post(waker->get_executor(), [waker] { waker->cancel(); }); });
  std::vector<asio::const_buffer> buffers;
  bool keep_alive_due = false;
  for (;;) {
    auto chunks = feed.take();
    buffers.clear();
    for (const auto& chunk : chunks) buffers.push_back(asio::buffer(*chunk));
    if (buffers.empty() && keep_alive_due) buffers.push_back(asio::buffer(kKeepAliveComment));
    keep_alive_due = false;
    if (!buffers.empty()) {
      c.deadline_in(config.idle_timeout);
      auto [ec, n] = co_await asio::async_write(c.socket, buffers, asio::as_tuple(asio::use_awaitable));
      x.bytes += n;
      if (ec) {
        x.reason = "client-gone";
        break;
      }
    }
    if (feed.closed()) {
      x.reason = "stream-closed";
      break;
    }
    if (feed.ready()) continue;  // more came while we wrote
    // Only a write that hangs may trip the watchdog, not a quiet stream.
    c.deadline_in(kStreamKeepAlive + config.idle_timeout);
    auto waited = co_await wait_watching(c, wake, kStreamKeepAlive);
    if (waited == Waited::expired) keep_alive_due = true;  // unless an event came meanwhile
    // Woken by the first new event: let the next ones join it.
    if (waited == Waited::woken && !feed.closed()) waited = co_await wait_watching(c, wake, kStreamBatch);
    if (waited == Waited::client_gone) {
      x.reason = "client-gone";
      break;
    }
  }
  feed.on_wake(nullptr);
}

asio::awaitable<void> Service::Impl::close_gracefully(Connection& c, beast::flat_buffer& buffer) {
  boost::system::error_code ec;
  c.socket.shutdown(tcp::socket::shutdown_send, ec);
  c.deadline_in(std::chrono::duration_cast<std::chrono::milliseconds>(kLingerTime));
  std::array<char, 4096> scratch;
  std::size_t drained = buffer.size();
  while (!ec && drained < kLingerBytes) {
    auto [rec, n] = co_await c.socket.async_read_some(asio::buffer(scratch), asio::as_tuple(asio::use_awaitable));
    ec = rec;
    drained += n;
  }
  c.socket.close(ec);
}

// A route's Answer that comes later (a store write on a worker): the
// connection sleeps on a timer the answer cancels, as off_loop does.
asio::awaitable<Answer> Service::Impl::wait_for(std::function<void(std::function<void(Answer)>)> later) {
  // On the owner's loop: the Answer comes there (Answer::later).
  auto done = std::make_shared<asio::steady_timer>(io, asio::steady_timer::time_point::max());
  auto result = std::make_shared<std::optional<Answer>>();
  later([done, result](Answer a) {
    result->emplace(std::move(a));
    done->cancel();
  });
  // An answer given at once cancelled no wait: do not start one.
  if (!result->has_value()) co_await done->async_wait(asio::as_tuple(asio::use_awaitable));
  co_return std::move(**result);
}

asio::awaitable<Reply> Service::Impl::decide(Connection& c, const Request& req, const std::string& body, Exchange& x,
                                             On on) {
  const Responder& responder = c.listener->responder;
  Reply reply = responder.answer(req, c.requester, x, nullptr, body, on);
  if (reply.to_owner) co_return reply;
  if (reply.later) {
    // On the connection's own loop only: its timer is not ours to touch from
    // another (decide_on_owner's caller set the deadline before it left).
    if (!c.loop.own) c.deadline_in(config.idle_timeout);
    auto answer = co_await wait_for(std::move(reply.later));
    reply = reply_of(std::move(answer), req.version(), req.keep_alive(), x);
  }
  // Inside an image whose cache lacks a directory on the way, or a real
  // directory the kernel's caches cannot walk, or a listing: the disk half
  // runs on the pool, then the request is answered again with what it found
  // (no loop waits on a disk).
  const std::string_view target(req.target().data(), req.target().size());
  auto path = target_path(target);
  const bool needs_worker = x.reason == vfs::to_string(vfs::OpenError::over_budget) ||
                            x.reason == vfs::to_string(vfs::OpenError::would_block);
  auto need = path && path->ends_with('/') ? vfs::Tree::Need::listing : vfs::Tree::Need::file;
  auto prefetch = needs_worker && path ? tree.prefetch(*path, need) : vfs::Tree::Prefetch{};
  if (prefetch) {
    auto ahead = co_await off_loop(std::move(prefetch));
    Exchange again;
    again.started = x.started;
    again.method = std::move(x.method);
    again.path = std::move(x.path);
    again.agent = std::move(x.agent);
    x = std::move(again);
    reply = responder.answer(req, c.requester, x, &ahead, {}, on);
  }
  co_return reply;
}

asio::awaitable<Reply> Service::Impl::decide_on_owner(Connection& c, const Request& req, const std::string& body,
                                                      Exchange& x) {
  struct Decided {
    std::exception_ptr error;
    Reply reply;
  };
  auto decided = decide(c, req, body, x, On::owner);  // named: see the listing's note in serve()
  std::function<void(std::function<void(Decided)>)> start = [this, &decided](std::function<void(Decided)> done) {
    asio::co_spawn(io, std::move(decided), [done = std::move(done)](std::exception_ptr e, Reply r) {
      done(Decided{e, std::move(r)});
    });
  };
  auto got = co_await resumed_here<Decided>(std::move(start));
  if (got.error) std::rethrow_exception(got.error);
  co_return std::move(got.reply);
}

asio::awaitable<void> Service::Impl::serve(std::shared_ptr<Connection> c) {
  boost::system::error_code ec;
  auto peer = c->socket.remote_endpoint(ec);
  c->client = endpoint_text(peer);
  if (!ec) c->requester.address = ipv4_of(peer.address());
  auto local = c->socket.local_endpoint(ec);
  if (!ec) {
    c->requester.local = ipv4_of(local.address());
    // Generated files name us as the client reached us: its listener's
    // address (IPv6 too) and port, which may not be the first listen entry's.
    const auto address = local.address();
    const bool v6 = address.is_v6() && !address.to_v6().is_v4_mapped();
    std::string host = address.to_string();
    // RFC 6874: a link-local address's zone is "%25" in a URL.
    if (auto zone = host.find('%'); zone != std::string::npos) host.replace(zone, 1, "%25");
    c->requester.local_host = v6 ? "[" + host + "]" : ipv4_of(address).to_string();
    c->requester.local_port = local.port();
  }
  c->requester.protocol = "http";
  c->socket.set_option(tcp::no_delay(true), ec);
  c->socket.native_non_blocking(true, ec);  // sendfile must not block the io_context
  beast::flat_buffer buffer;
  for (bool first = true;; first = false) {
    if (!first) {
      if (buffer.size() == 0) {  // nothing pipelined: wait idle_timeout for the next request
        c->deadline_in(config.idle_timeout);
        auto [wec] = co_await c->socket.async_wait(tcp::socket::wait_read, asio::as_tuple(asio::use_awaitable));
        if (wec) break;
      }
      c->deadline_in(config.header_timeout);
    }
    Exchange x;
    bhttp::request_parser<bhttp::empty_body> parser;
    parser.header_limit(config.max_header_bytes);
    auto [rec, n] = co_await bhttp::async_read_header(c->socket, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (rec) {
      if (c->timed_out) {
        bus.emit(events::Event{events::Kind::http_timeout}
            .add("client", c->client)
            .from(c->requester.address)
            .add("reason", "header-timeout")
            .add("bytes", buffer.size()));
        break;
      }
      if (rec.category() != bhttp::make_error_code(bhttp::error::header_limit).category() ||
          rec == bhttp::error::end_of_stream || rec == bhttp::error::partial_message) {
        break;  // the client went away (between requests or mid-header)
      }
      // A request we cannot read leaves no way to find the next one: answer and close.
      bool too_large = rec == bhttp::error::header_limit;
      x.reason = too_large ? "header-too-large" : rec.message();
      auto reply = text_reply(too_large ? bhttp::status::request_header_fields_too_large
                                        : bhttp::status::bad_request, 11, false);
      co_await send(*c, reply, false, x);
      log(*c, x, x.level);
      co_await close_gracefully(*c, buffer);
      break;
    }
    const auto& req = parser.get();
    {
      std::lock_guard locked(admission);
      shares.proven(c->share);  // a whole request: a real client, never pushed out
    }
    x.method = std::string(req.method_string());
    x.path = logged_target(req.target().substr(0, kLoggedTargetMax));
    if (auto agent = req.find(bhttp::field::user_agent); agent != req.end()) {
      x.agent = std::string(agent->value().substr(0, kLoggedAgentMax));
    }
    const bool head = req.method() == bhttp::verb::head;
    const Responder& responder = c->listener->responder;
    const std::string_view target(req.target().data(), req.target().size());
    const bool write = req.method() == bhttp::verb::post || req.method() == bhttp::verb::put ||
                       req.method() == bhttp::verb::delete_;
    const auto bad_host = host_problem(req.version(), req.count(bhttp::field::host));
    Reply reply;
    std::string body;  // read on the connection's loop; decide() only reads it
    std::optional<bhttp::status> body_problem;
    if (write && !bad_host && responder.writes_to(target)) {
      c->deadline_in(config.header_timeout);  // the body, like the header, comes at once or never
      auto read = co_await read_body(c->socket, buffer, parser, x.reason, c->timed_out);
      if (read) body = std::move(*read);
      else body_problem = read.error();
    }
    if (req.method() != bhttp::verb::get && !head && !(write && responder.writes_to(target))) {
      reply = text_reply(bhttp::status::method_not_allowed, req.version(), false);
      reply.head.set(bhttp::field::allow, "GET, HEAD");
      x.reason = "method";
    } else if (body_problem) {
      // The rest of the body is unread: no way to find the next request.
      reply = text_reply(*body_problem, req.version(), false);
    } else if (!write && !parser.is_done()) {
      // GET/HEAD with a body: RFC 9110 gives it no meaning, and we would have to read it.
      reply = text_reply(bhttp::status::bad_request, req.version(), false);
      x.reason = "unexpected-body";
    } else if (bad_host) {
      // RFC 9112 §3.2. A write's body is unread then: no next request to find.
      reply = text_reply(bhttp::status::bad_request, req.version(), req.keep_alive() && !write);
      x.reason = std::string(*bad_host);
    } else {
      c->requester.query = query_of(target);
      reply = co_await decide(*c, req, body, x, c->loop.own ? On::own_loop : On::owner);
      if (reply.to_owner) {
        c->deadline_in(config.idle_timeout);  // a route may answer later (a store write)
        reply = co_await decide_on_owner(*c, req, body, x);
      }
    }
    if (reply.listing) {
      // Thousands of names: rendered on a worker, as they were read (on the
      // loop, 8 clients listing 10,000 names back to back held it 60 ms).
      // A named function, not a lambda in the co_await: GCC 12 destroys such
      // a temporary twice when it owns something (a double free here).
      std::function<std::string(std::stop_token)> render = [listing = std::shared_ptr<Listing>(std::move(reply.listing))](
                                                                std::stop_token) { return listing->render(); };
      reply.text = co_await off_loop(std::move(render));
      reply.head.content_length(reply.text.size());
    }
    bool sent = co_await send(*c, reply, head, x);
    if (sent && reply.feed && !head) {
      co_await stream(*c, *reply.feed, x);
      sent = false;  // a stream ends only with its connection
    }
    log(*c, x, x.level);
    if (!sent) break;
    if (reply.close) {
      co_await close_gracefully(*c, buffer);
      break;
    }
  }
  c->socket.close(ec);
}

Service::Service(asio::io_context& io, const config::Http& config, unsigned threads, const vfs::Tree& tree,
                 core::WorkerPool& pool, events::Bus& bus, Routes routes)
    : impl_(std::make_unique<Impl>(io, config, threads, tree, pool, bus)) {
  // Every [http] listen address answers the same: the tree and these routes.
  for (auto& l : impl_->listeners) l.responder.set_routes(routes);
}

void Service::add_listener(const config::Endpoint& at, Routes routes) {
  auto& l = impl_->listeners.emplace_back(impl_->io, at, impl_->tree, "api");
  l.responder.set_routes(std::move(routes));
  l.responder.serve_files(false);
}

Service::~Service() = default;

void Service::Impl::run_thread(Loop& loop, std::size_t index) {
  loop.thread = std::thread([&loop, index] {
    const auto name = fmt::format("pxed-http-{}", index);  // at most 15 characters
    ::pthread_setname_np(::pthread_self(), name.c_str());
    loop.io.run();
  });
}

std::expected<void, std::string> Service::bind() {
  for (auto& l : impl_->listeners) {
    if (auto bound = impl_->bind(l); !bound) return bound;
  }
  return {};
}

std::expected<void, std::string> Service::start() {
  std::size_t index = 0;
  for (auto& loop : impl_->loops) {
    for (auto& l : impl_->listeners) {
      if (!loop.own) {
        asio::co_spawn(loop.io, impl_->accept_loop(l, loop, l.acceptor), asio::detached);
        continue;
      }
      // Every loop waits on the one listening socket (a duplicate descriptor
      // of it), and whichever is free first takes the connection: no
      // SO_REUSEPORT, so no other process can join the port (issue 15's
      // start-up check stays true), and a busy loop takes fewer.
      const int fd = ::fcntl(l.acceptor.native_handle(), F_DUPFD_CLOEXEC, 0);
      if (fd < 0) return std::unexpected(fmt::format("http: cannot share {} with HTTP's threads: {}",
                                           pxed::config::to_string(l.at), std::strerror(errno)));
      auto& acceptor = loop.acceptors.emplace_back(loop.io, l.acceptor.local_endpoint().protocol(), fd);
      asio::co_spawn(loop.io, impl_->accept_loop(l, loop, acceptor), asio::detached);
    }
    if (loop.own) impl_->run_thread(loop, index++);
  }
  return {};
}

std::size_t Service::threads() const { return impl_->loops.front().own ? impl_->loops.size() : 1; }

std::size_t Service::active_connections() const {
  std::lock_guard locked(impl_->admission);
  return impl_->shares.held();
}

}  // namespace pxed::http
