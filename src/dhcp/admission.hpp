#pragma once
// Who may take what from the server, decided before the lease pool is asked:
// which relayed requests are believed (giaddr is only a field anyone can fill),
// how many addresses a client and an interface may newly take per second (full
// mode), how many answers a client gets per second (every mode), and how
// refusals are reported when they come in floods. Pure: time is Unix
// seconds passed in; the server owns one of each.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "core/net.hpp"
#include "events/event.hpp"

namespace pxed::dhcp {

struct Arrival;

// Whether to believe a request's giaddr (config::RelayPolicy). `local_subnet` is
// the configured network holding our address on the arrival interface, if any;
// `giaddr_subnet` the configured network holding giaddr.
//  - listed: the IP source is one of relay_agents.
//  - routed: giaddr inside local_subnet is harmless (a broadcast from there gets
//    the same pool); giaddr elsewhere must come unicast to our address, from a
//    source that is not a client of giaddr's network (giaddr itself, or outside
//    it): a relay agent forwards to the server address it was given, from an
//    address of its own. A client that fills giaddr in its broadcast is refused.
//  - any: always.
bool relay_trusted(const config::Dhcp& dhcp, const Arrival& arrival, core::Ipv4 giaddr,
                   const core::Ipv4Network* local_subnet, const core::Ipv4Network& giaddr_subnet);

// One-second windows per client (option 61, else its MAC), as a limit counts
// them. At most kMaxClients are remembered; windows of past seconds go first.
class ClientWindows {
 public:
  struct Window {
    std::int64_t second = 0;
    std::uint32_t used = 0;
    // This window as second `now` sees it: emptied if it was an older one's.
    Window& at(std::int64_t now) {
      if (second != now) *this = Window{now, 0};
      return *this;
    }
  };
  static constexpr std::size_t kMaxClients = 65536;

  // The client's window for second `now` (emptied if it was an older one's), or
  // nullptr when the client has none.
  Window* find(std::int64_t now, const std::string& client);
  // A new, empty window for the client; nullptr when more than kMaxClients
  // clients hold one of this very second, so the caller's other limits (or
  // none) are all that holds them.
  Window* add(std::int64_t now, const std::string& client);
  std::size_t size() const { return windows_.size(); }

 private:
  std::unordered_map<std::string, Window> windows_;
};

// New bindings per second, per interface and per client: fixed one-second
// windows (time is whole seconds). A limit of 0 is no limit.
class BindingLimits {
 public:
  enum class Verdict { allowed, client_limited, interface_limited };
  BindingLimits(std::uint32_t per_interface, std::uint32_t per_client)
      : per_interface_(per_interface), per_client_(per_client) {}

  // Takes one from both windows when both have room; takes nothing otherwise.
  Verdict take(std::int64_t now, int ifindex, const std::string& client);
  // Only clients that took an address are remembered, and the interface limit
  // bounds those per second, so the table stays small unless both limits are off.
  std::size_t tracked_clients() const { return clients_.size(); }

 private:
  std::uint32_t per_interface_, per_client_;
  std::map<int, ClientWindows::Window> interfaces_;
  ClientWindows clients_;
};

// Answers per second to one client, in every mode and on both ports: a client
// that sends requests as fast as it can is answered `per_second` times a second
// and the rest are dropped before anything is decided for them, so its flood
// costs the others a decode per packet instead of an answer. Real clients ask
// a handful of times per boot stage (ROM, iPXE, installer: DISCOVER, REQUEST,
// maybe port 4011), seconds apart when unanswered. 0 is no limit.
class AnswerBudget {
 public:
  explicit AnswerBudget(std::uint32_t per_second) : per_second_(per_second) {}
  bool take(std::int64_t now, const std::string& client);
  std::size_t tracked_clients() const { return clients_.size(); }

 private:
  std::uint32_t per_second_;
  ClientWindows clients_;
};

// Refused requests, reported per interface as one line per interval instead of
// one per packet: the first refusal of a quiet interface is reported at once
// ("dhcp.flood state=started"), the rest are counted and summed up when the
// interval ends ("dhcp.flood state=ongoing refused=N <reason>=N ..."). Every
// refusal is still its own debug event, so the counters see each one.
class FloodReport {
 public:
  explicit FloodReport(std::int64_t interval_seconds) : interval_(interval_seconds) {}

  // Counts one refusal; the started line when it opens a window.
  std::vector<events::Event> refused(std::int64_t now, int ifindex, std::string_view reason);
  // Summaries of the windows that ended by `now`, with their interface (the
  // service names it); a window that ended quiet closes.
  std::vector<std::pair<int, events::Event>> tick(std::int64_t now);
  // When tick() has something to say next; 0 when nothing is open.
  std::int64_t next_tick() const;

 private:
  struct Window {
    std::int64_t start = 0;
    std::uint64_t refused = 0;
    std::map<std::string, std::uint64_t, std::less<>> reasons;
  };
  events::Event summary(std::int64_t now, Window& w) const;  // and restarts w at now
  std::int64_t interval_;
  std::map<int, Window> open_;  // by ifindex
};

}  // namespace pxed::dhcp
