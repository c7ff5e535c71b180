// [dhcp]: the mode, and in full mode the subnets with their ranges and
// reservations. Cross-key rules (ranges inside networks, no overlaps, no
// address reserved twice) run once everything is read.
#include <algorithm>
#include <array>
#include <utility>

#include "config/duration.hpp"
#include "config/sections.hpp"

namespace pxed::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::pair<std::string_view, DhcpMode> kModes[] = {
    {"off", DhcpMode::off}, {"proxy", DhcpMode::proxy}, {"full", DhcpMode::full}};
// RFC 2131 leaves the lease time to the server; below a minute clients renew
// every few seconds, above a year nobody means it.
constexpr DurationRange kLeaseTime{seconds(60), std::chrono::hours(24 * 365)};
constexpr DurationRange kQuarantine{seconds(1), std::chrono::hours(24 * 30)};
// An ACK waits for its batch to reach the disk; past a second clients retransmit.
constexpr DurationRange kCommitInterval{milliseconds(0), milliseconds(1000)};
constexpr std::size_t kMaxDomain = 253;  // RFC 1035 §2.3.4: a domain name's length
constexpr std::pair<std::string_view, RelayPolicy> kRelayPolicies[] = {
    {"routed", RelayPolicy::routed}, {"listed", RelayPolicy::listed}, {"any", RelayPolicy::any}};
constexpr IntRange kDeclinePerClient{1, 65535, "quarantined addresses one client may cause"};
constexpr IntRange kDeclinePercent{1, 100, "percent of a subnet's range"};
// 0 turns a limit off; past a million per second there is nothing left to limit.
constexpr IntRange kBindingsPerSecond{0, 1'000'000, "0 = no limit"};

void read_seconds(Checker& c, const Field& f, seconds& out, const DurationRange& range) {
  milliseconds ms = out;
  read_duration(c, f, ms, range);
  out = std::chrono::duration_cast<seconds>(ms);
}

// A choice of words that stands for an enum: the first column is what the user writes.
template <typename E, std::size_t N>
void read_enum(Checker& c, const Field& f, E& out, const std::pair<std::string_view, E> (&choices)[N]) {
  std::array<std::string_view, N> names;
  std::ranges::transform(choices, names.begin(), [](const auto& choice) { return choice.first; });
  std::string text;
  read_choice(c, f, text, names);
  for (const auto& [name, value] : choices) {
    if (name == text) out = value;
  }
}

void read_mode(Checker& c, const Field& f, Config& cfg) { read_enum(c, f, cfg.dhcp.mode, kModes); }

void read_relay_policy(Checker& c, const Field& f, Config& cfg) {
  read_enum(c, f, cfg.dhcp.relay_policy, kRelayPolicies);
}

// relay_agents = ["10.77.0.254", "10.99.0.0/24"]: a relay's address (the IP source of
// what it forwards), or a network of them. Writing it implies relay_policy = "listed".
void read_relay_agents(Checker& c, const Field& f, Config& cfg) {
  if (!expect_type(c, f, toml::value_t::array, "an array of addresses or networks")) return;
  std::vector<core::Ipv4Network> agents;
  for (const auto& item : f.value.as_array()) {
    auto text = string_of(c, Field{f.key, item}, "an address or network such as \"10.77.0.254\"");
    if (!text) continue;
    auto net = core::Ipv4Network::parse(text->find('/') == std::string::npos ? *text + "/32" : *text);
    if (!net) {
      c.fail(Field{f.key, item}, "must be an address such as \"10.77.0.254\" or a network such as "
                                 "\"10.77.0.0/24\" (no host bits set), got " + in_quotes(*text));
      continue;
    }
    agents.push_back(*net);
  }
  cfg.dhcp.relay_agents = std::move(agents);
  // Keys are read in no fixed order: an explicit relay_policy read later wins.
  if (!c.line_of("dhcp.relay_policy")) cfg.dhcp.relay_policy = RelayPolicy::listed;
}

void read_ipv4_list(Checker& c, const Field& f, std::vector<core::Ipv4>& out) {
  if (!expect_type(c, f, toml::value_t::array, "an array of IPv4 addresses")) return;
  std::vector<core::Ipv4> list;
  for (const auto& item : f.value.as_array()) {
    core::Ipv4 a;
    const auto before = c.errors.size();
    read_ipv4(c, Field{f.key, item}, a);
    if (c.errors.size() == before) list.push_back(a);
  }
  out = std::move(list);
}

// range = ["10.77.0.100", "10.77.0.199"]
void read_range(Checker& c, const Field& f, Subnet& s) {
  if (!expect_type(c, f, toml::value_t::array, "[\"FIRST\", \"LAST\"] addresses")) return;
  const auto& items = f.value.as_array();
  if (items.size() != 2) {
    return c.fail(f, "must be two addresses [\"FIRST\", \"LAST\"], got " +
                         std::to_string(items.size()));
  }
  core::Ipv4 first, last;
  const auto before = c.errors.size();
  read_ipv4(c, Field{f.key, items[0]}, first);
  read_ipv4(c, Field{f.key, items[1]}, last);
  if (c.errors.size() != before) return;
  if (last < first) {
    return c.fail(f, "the first address " + first.to_string() + " comes after the last " +
                         last.to_string());
  }
  s.range_first = first;
  s.range_last = last;
}

constexpr Key<Reservation> kReservationKeys[] = {
    {"mac", [](auto& c, auto& f, auto& r) { read_mac(c, f, r.mac); }},
    {"ip", [](auto& c, auto& f, auto& r) { read_ipv4(c, f, r.ip); }},
    {"hostname", [](auto& c, auto& f, auto& r) { read_string(c, f, r.hostname); }},
};

// A reservation's table line, kept for cross-checks after every subnet is read.
struct Placed {
  core::Ipv4 ip;
  core::Mac mac;
  std::uint32_t line;
  std::string key;
};

void read_reservations(Checker& c, const Field& f, Subnet& s) {
  read_tables<Reservation>(c, f, kReservationKeys, "[[dhcp.subnet.reservation]]",
                           [&](Reservation&& r, const Field& table) {
    const auto& keys = table.value.as_table();
    bool ok = true;
    for (std::string_view required : {"mac", "ip"}) {
      if (!keys.contains(std::string(required))) {
        c.fail(table.line(), table.key + "." + std::string(required),
               "required in every [[dhcp.subnet.reservation]]");
        ok = false;
      }
    }
    if (ok) s.reservations.push_back(std::move(r));
  });
}

constexpr Key<Subnet> kSubnetKeys[] = {
    {"network", [](auto& c, auto& f, auto& s) {
       auto text = string_of(c, f, "a network such as \"10.77.0.0/24\"");
       if (!text) return;
       if (auto net = core::Ipv4Network::parse(*text)) return void(s.network = *net);
       c.fail(f, "must be a network address with its prefix length such as \"10.77.0.0/24\" "
                 "(no host bits set), got " + in_quotes(*text));
     }},
    {"range", read_range},
    {"router", [](auto& c, auto& f, auto& s) {
       core::Ipv4 a;
       const auto before = c.errors.size();
       read_ipv4(c, f, a);
       if (c.errors.size() == before) s.router = a;
     }},
    {"dns", [](auto& c, auto& f, auto& s) { read_ipv4_list(c, f, s.dns); }},
    {"domain", [](auto& c, auto& f, auto& s) {
       read_string(c, f, s.domain);
       if (s.domain.size() > kMaxDomain) c.fail(f, "longer than 253 characters (RFC 1035)");
     }},
    {"lease_time", [](auto& c, auto& f, auto& s) {
       read_seconds(c, f, s.lease_time, kLeaseTime);
     }},
    {"reservation", read_reservations},
};

void check_subnet(Checker& c, const Field& table, const Subnet& s, Config& cfg) {
  const auto& keys = table.value.as_table();
  auto line_of = [&](std::string_view key) {
    auto it = keys.find(std::string(key));
    return it == keys.end() ? table.line() : it->second.location().line();
  };
  if (!keys.contains("network")) {
    return c.fail(table.line(), table.key + ".network",
                  "required: the subnet's address and prefix, like network = \"10.77.0.0/24\"");
  }
  const auto& net = s.network;
  bool ok = true;
  if (keys.contains("range")) {
    for (core::Ipv4 a : {s.range_first, s.range_last}) {
      if (!net.contains(a) || a == net.network || a == net.broadcast()) {
        c.fail(line_of("range"), table.key + ".range",
               a.to_string() + " is not a host address of " + net.to_string());
        ok = false;
        break;
      }
    }
  }
  if (s.router && !net.contains(*s.router)) {
    c.fail(line_of("router"), table.key + ".router",
           s.router->to_string() + " is outside " + net.to_string() +
               ": clients could not reach it");
    ok = false;
  }
  for (const auto& r : s.reservations) {
    if (!net.contains(r.ip) || r.ip == net.network || r.ip == net.broadcast()) {
      c.fail(line_of("reservation"), table.key + ".reservation",
             "reserved address " + r.ip.to_string() + " (for " + r.mac.to_string() +
                 ") is not a host address of " + net.to_string());
      ok = false;
    }
  }
  for (const auto& other : cfg.dhcp.subnets) {
    if (other.network.contains(net.network) || net.contains(other.network.network)) {
      c.fail(line_of("network"), table.key + ".network",
             net.to_string() + " overlaps " + other.network.to_string() +
                 " of an earlier [[dhcp.subnet]]");
      ok = false;
    }
  }
  if (ok) cfg.dhcp.subnets.push_back(s);
}

void read_subnets(Checker& c, const Field& f, Config& cfg) {
  read_tables<Subnet>(c, f, kSubnetKeys, "[[dhcp.subnet]]",
                      [&](Subnet&& s, const Field& table) { check_subnet(c, table, s, cfg); });
}

constexpr Key<Config> kDhcpKeys[] = {
    {"mode", read_mode},
    {"pxe_only", [](auto& c, auto& f, auto& cfg) { read_bool(c, f, cfg.dhcp.pxe_only); }},
    {"decline_quarantine", [](auto& c, auto& f, auto& cfg) {
       read_seconds(c, f, cfg.dhcp.decline_quarantine, kQuarantine);
     }},
    {"commit_interval", [](auto& c, auto& f, auto& cfg) {
       read_duration(c, f, cfg.dhcp.commit_interval, kCommitInterval);
     }},
    {"decline_max_per_client", [](auto& c, auto& f, auto& cfg) {
       read_int(c, f, cfg.dhcp.decline_max_per_client, kDeclinePerClient);
     }},
    {"decline_max_percent", [](auto& c, auto& f, auto& cfg) {
       read_int(c, f, cfg.dhcp.decline_max_percent, kDeclinePercent);
     }},
    {"interface_bindings_per_second", [](auto& c, auto& f, auto& cfg) {
       read_int(c, f, cfg.dhcp.interface_bindings_per_second, kBindingsPerSecond);
     }},
    {"client_bindings_per_second", [](auto& c, auto& f, auto& cfg) {
       read_int(c, f, cfg.dhcp.client_bindings_per_second, kBindingsPerSecond);
     }},
    {"client_answers_per_second", [](auto& c, auto& f, auto& cfg) {
       read_int(c, f, cfg.dhcp.client_answers_per_second, kBindingsPerSecond);
     }},
    {"relay_policy", read_relay_policy},
    {"relay_agents", read_relay_agents},
    {"subnet", read_subnets},
};

}  // namespace

std::span<const Key<Config>> dhcp_keys() { return kDhcpKeys; }

void read_ipv4(Checker& c, const Field& f, core::Ipv4& out) {
  auto text = string_of(c, f, "an IPv4 address such as \"10.77.0.1\"");
  if (!text) return;
  if (auto a = core::Ipv4::parse(*text)) return void(out = *a);
  c.fail(f, "must be an IPv4 address such as \"10.77.0.1\", got " + in_quotes(*text));
}

void read_mac(Checker& c, const Field& f, core::Mac& out) {
  auto text = string_of(c, f, "a MAC address such as \"52:54:00:12:34:56\"");
  if (!text) return;
  if (auto m = core::Mac::parse(*text)) return void(out = *m);
  c.fail(f, "must be a MAC address such as \"52:54:00:12:34:56\", got " + in_quotes(*text));
}

void check_dhcp(Checker& c, const Config& cfg) {
  const auto& dhcp = cfg.dhcp;
  if (dhcp.mode == DhcpMode::off || c.failed("dhcp.mode")) return;
  const auto mode_line = c.line_of("dhcp.mode").value_or(0);
  if (cfg.server.interfaces.empty() && !c.failed("server.interfaces")) {
    c.fail(mode_line, "server.interfaces",
           "required when [dhcp] mode is not \"off\": DHCP answers broadcasts, so name the "
           "interfaces it may answer on (interfaces = [\"eth1\"] under [server])");
  }
  // A subnet that was written but failed has its own errors already.
  if (dhcp.mode == DhcpMode::full && dhcp.subnets.empty() && !c.line_of("dhcp.subnet")) {
    c.fail(mode_line, "dhcp.subnet",
           "full mode hands out addresses: add a [[dhcp.subnet]] with network and range "
           "(or use mode = \"proxy\" beside an existing DHCP server)");
  }
  if (dhcp.mode == DhcpMode::full) {
    for (std::size_t i = 0; i < dhcp.subnets.size(); ++i) {
      const auto& s = dhcp.subnets[i];
      if (s.range_first.is_zero() && s.reservations.empty()) {
        c.fail(c.line_of("dhcp.subnet").value_or(mode_line), "dhcp.subnet.range",
               "subnet " + s.network.to_string() +
                   " has neither a range nor reservations: it could not give any address");
      }
    }
  }
  if (dhcp.relay_policy == RelayPolicy::listed && dhcp.relay_agents.empty() &&
      !c.failed("dhcp.relay_agents")) {
    c.fail(c.line_of("dhcp.relay_policy").value_or(mode_line), "dhcp.relay_policy",
           "\"listed\" believes relayed requests only from relay_agents, and none is listed: "
           "add relay_agents = [\"<your relay's address>\"] or use relay_policy = \"routed\"");
  }
  if (dhcp.relay_policy != RelayPolicy::listed && !dhcp.relay_agents.empty()) {
    c.fail(c.line_of("dhcp.relay_agents").value_or(mode_line), "dhcp.relay_agents",
           "used only with relay_policy = \"listed\"; remove relay_policy (relay_agents implies "
           "\"listed\") or this list");
  }
  // One address, one client: across every subnet's reservations.
  for (std::size_t i = 0; i < dhcp.subnets.size(); ++i) {
    for (const auto& r : dhcp.subnets[i].reservations) {
      for (std::size_t j = 0; j <= i; ++j) {
        for (const auto& other : dhcp.subnets[j].reservations) {
          if (&other == &r) break;
          if (other.mac == r.mac || other.ip == r.ip) {
            c.fail(c.line_of("dhcp.subnet").value_or(mode_line), "dhcp.subnet.reservation",
                   "reservation " + r.mac.to_string() + " -> " + r.ip.to_string() +
                       " repeats the " + (other.mac == r.mac ? "MAC" : "address") +
                       " of reservation " + other.mac.to_string() + " -> " +
                       other.ip.to_string());
          }
        }
      }
    }
  }
}

}  // namespace pxed::config
