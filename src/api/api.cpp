#include "api/api.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <ranges>
#include <nlohmann/json.hpp>

#include "api/json_answer.hpp"
#include "boot/config_files.hpp"
#include "core/time.hpp"

namespace pxed::api {
namespace {

using nlohmann::json;

constexpr auto error = json_error;
constexpr std::string_view kMachinesPath = "/api/v1/machines/";

bool reads(const http::Call& call) { return call.method == "GET" || call.method == "HEAD"; }

bool is_read_path(std::string_view path) {
  constexpr std::string_view kReads[] = {"/healthz",       "/readyz",         "/api/",
                                         "/api/v1/",       "/api/v1/events",  "/api/v1/events/stream",
                                         "/api/v1/leases", "/api/v1/machines"};
  return std::ranges::find(kReads, path) != std::end(kReads) || path.starts_with(kMachinesPath);
}

std::optional<std::uint64_t> whole_number(std::string_view text) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return n;
}

// The filters /events and /events/stream share; why not, when a value is bad.
struct Filters {
  EventQuery query;
  std::string problem;
};

Filters filters_of(std::string_view q) {
  Filters f;
  if (auto mac = boot::query_value(q, "mac"); !mac.empty()) {
    f.query.filter.mac = core::Mac::parse(mac);
    if (!f.query.filter.mac) f.problem = "mac=" + mac + ": not a MAC address (52:54:00:12:34:56)";
  }
  // kind=machine.stage,dhcp.ack: any of them.
  for (auto list = boot::query_value(q, "kind"); const auto part : std::views::split(list, ',')) {
    const std::string name(part.begin(), part.end());
    if (name.empty()) continue;
    auto kind = events::kind_named(name);
    if (!kind) f.problem = "kind=" + name + ": no such event kind (docs/events.md)";
    else f.query.filter.kinds.add(*kind);
  }
  if (auto level = boot::query_value(q, "level"); !level.empty()) {
    auto named = events::level_named(level);
    if (!named) f.problem = "level=" + level + ": debug, info, warn or error";
    else f.query.filter.min_level = *named;
  }
  if (auto text = boot::query_value(q, "after"); !text.empty()) {
    auto n = whole_number(text);
    if (!n) f.problem = "after=" + text + ": not an event id";
    else f.query.after = *n;
  }
  if (auto text = boot::query_value(q, "since"); !text.empty()) {
    auto n = whole_number(text);
    if (!n) f.problem = "since=" + text + ": not Unix milliseconds";
    else f.query.since_ms = static_cast<std::int64_t>(*n);
  }
  if (auto text = boot::query_value(q, "limit"); !text.empty()) {
    auto n = whole_number(text);
    if (!n || *n == 0 || *n > kMaxPage) f.problem = fmt::format("limit={}: 1..{}", text, kMaxPage);
    else f.query.limit = *n;
  }
  if (auto text = boot::query_value(q, "tail"); !text.empty()) {
    auto n = whole_number(text);
    if (!n || *n == 0 || *n > kMaxPage) f.problem = fmt::format("tail={}: 1..{}", text, kMaxPage);
    else f.query.tail = *n;
  }
  return f;
}

std::string events_array(const std::vector<const events::Event*>& list) {
  std::string out = "[";
  for (const auto* e : list) {
    if (out.size() > 1) out += ',';
    out += events::format_json(*e);
  }
  return out + "]";
}

// name: the inventory's name for it; seen: false for a known machine that has
// not asked yet (its row is all zeros and empty strings but the MAC).
json row_json(const MachineRow& r, std::string_view name, bool seen) {
  json reached = json::object();
  for (std::size_t i = 0; i < kStages; ++i) {
    if (r.reached_ms[i] != 0) reached[std::string(store::to_string(static_cast<store::Stage>(i)))] = r.reached_ms[i];
  }
  const auto start = r.reached_ms[0];
  const auto latest = r.stage ? r.reached_ms[static_cast<std::size_t>(*r.stage)] : 0;
  return json{{"mac", r.mac.to_string()},
              {"name", name},
              {"seen", seen},
              {"ip", r.ip},
              {"arch", r.arch},
              {"stage", r.stage ? std::string(store::to_string(*r.stage)) : ""},
              {"reached_ms", reached},
              // From its firmware's DHCP to the latest stage of this boot.
              {"boot_ms", start != 0 && latest >= start ? latest - start : 0},
              {"boots", r.boots},
              {"first_seen", events::utc_text(r.first_ms)},
              {"last_seen", events::utc_text(r.last_ms)},
              {"last_seen_ms", r.last_ms},
              {"last_event", r.last_event},
              {"last_file", r.last_file},
              {"problem", r.problem}};
}

// A known machine that has not asked: its MAC and nothing else.
MachineRow unseen_row(const core::Mac& mac) {
  MachineRow r;
  r.mac = mac;
  return r;
}

const KnownMachine* known_as(const std::vector<KnownMachine>* known, const core::Mac& mac) {
  if (known == nullptr) return nullptr;
  auto it = std::ranges::find(*known, mac, &KnownMachine::mac);
  return it == known->end() ? nullptr : &*it;
}

}  // namespace

std::vector<KnownMachine> known_machines(const config::Inventory& inventory) {
  std::vector<KnownMachine> out;
  for (const auto& m : inventory.machines) {
    if (m.mac && !known_as(&out, *m.mac)) out.push_back({*m.mac, m.name});
  }
  return out;
}

std::optional<http::Answer> Api::answer(const http::Call& call) const {
  const auto path = call.path;
  // /api/v1/machines/{mac}/{action}: the writes.
  if (path.starts_with(kMachinesPath)) {
    const auto rest = path.substr(kMachinesPath.size());
    if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
      const auto action = rest.substr(slash + 1);
      if (action != "reinstall" && action != "done" && action != "profile") return std::nullopt;
      return change(call, rest.substr(0, slash), action);
    }
  }
  // Every other path only reads; asked otherwise, it is not run at all (a
  // stream would subscribe first).
  if (!reads(call)) return is_read_path(path) ? std::optional(method_not_allowed(call.method, "GET, HEAD")) : std::nullopt;
  return read(call);
}

std::optional<http::Answer> Api::read(const http::Call& call) const {
  const auto path = call.path;
  if (path == "/healthz") return http::Answer{.status = 200, .body = "ok\n", .content_type = "text/plain",
                                              .reason = {}, .feed = nullptr};
  if (path == "/readyz") {
    const bool ready = !sources_.ready || sources_.ready();
    return http::Answer{.status = ready ? 200u : 503u, .body = ready ? "ready\n" : "starting\n",
                        .content_type = "text/plain", .reason = {}, .feed = nullptr};
  }
  if (path == "/api/v1/" || path == "/api/") {
    return json_answer(200, json{{"version", 1},
                                 {"endpoints", {"/api/v1/machines", "/api/v1/machines/{mac}", "/api/v1/events",
                                                "/api/v1/events/stream", "/api/v1/leases", "/api/v1/images", "/api/v1/traffic",
                                                "/healthz", "/readyz"}},
                                 {"writes", {"POST /api/v1/machines/{mac}/reinstall", "POST /api/v1/machines/{mac}/done",
                                             "PUT /api/v1/machines/{mac}/profile", "DELETE /api/v1/machines/{mac}/profile"}},
                                 {"writes_enabled", sources_.token != nullptr && sources_.changes != nullptr},
                                 {"docs", "docs/api.md"}}
                                .dump());
  }
  if (path == "/api/v1/events") {
    auto f = filters_of(call.query);
    if (!f.problem.empty()) return error(400, f.problem, "bad-query");
    auto page = sources_.history.find(f.query);
    return json_answer(200, fmt::format(R"({{"events":{},"next":{},"more":{}}})", events_array(page.events), page.next,
                                        page.more));
  }
  if (path == "/api/v1/events/stream") {
    auto f = filters_of(call.query);
    if (!f.problem.empty()) return error(400, f.problem, "bad-query");
    // EventSource resumes with Last-Event-ID; a script may say ?after= itself.
    if (auto id = whole_number(call.last_event_id)) f.query.after = *id;
    auto feed = sources_.stream.subscribe(f.query.filter);
    if (!feed) return error(503, "too many event streams open; try again later", "streams-full");
    // What the history holds past the cursor first, then live: no gap, no repeat.
    std::string body = "retry: 2000\n\n";
    if (f.query.after != 0) {
      f.query.limit = kMaxPage;
      for (const auto* e : sources_.history.find(f.query).events) body += sse_message(*e);
    }
    http::Answer a{.status = 200, .body = std::move(body), .content_type = "text/event-stream", .reason = {},
                   .feed = std::move(feed)};
    return a;
  }
  if (path == "/api/v1/leases") return leases();
  if (path == "/api/v1/images") {
    json body{{"images", sources_.images ? sources_.images() : json::array()}};
    // A volume id is whatever bytes the image holds: not UTF-8 becomes U+FFFD, not an exception.
    return json_answer(200, body.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  if (path == "/api/v1/machines") {
    // changed_since=<now_ms of the last answer>: only the rows heard from since,
    // so a dashboard's refresh costs what changed, not every machine.
    std::int64_t since = 0;
    if (auto text = boot::query_value(call.query, "changed_since"); !text.empty()) {
      auto n = whole_number(text);
      if (!n) return error(400, "changed_since=" + text + ": not Unix milliseconds", "bad-query");
      since = static_cast<std::int64_t>(*n);
    }
    const auto now = now_ms();
    // Names by MAC once per read: thousands of rows each looking through the inventory would not do.
    std::map<core::Mac, std::string_view> names;
    if (sources_.known != nullptr) {
      for (const auto& k : *sources_.known) names.emplace(k.mac, k.name);
    }
    json rows = json::array();
    for (const auto* r : sources_.machines.rows()) {
      // Newest first: the first row older than the cursor ends the changes.
      if (r->last_ms < since) break;
      const auto name = names.find(r->mac);
      rows.push_back(row_json(*r, name != names.end() ? name->second : "", true));
    }
    // Then the inventory's machines that have not asked, in its order. They
    // have nothing new to say, so a changed_since read leaves them out.
    if (since == 0 && sources_.known != nullptr) {
      for (const auto& k : *sources_.known) {
        if (sources_.machines.find(k.mac) == nullptr) rows.push_back(row_json(unseen_row(k.mac), k.name, false));
      }
    }
    return json_answer(200, json{{"machines", std::move(rows)}, {"now_ms", now}}.dump());
  }
  if (path == "/api/v1/traffic" && sources_.traffic != nullptr) {
    return json_answer(200, sources_.traffic->json(now_ms()));
  }
  if (path.starts_with(kMachinesPath)) {
    const auto text = path.substr(kMachinesPath.size());
    auto mac = core::Mac::parse(text);
    if (!mac) return error(400, std::string(text) + ": not a MAC address (52:54:00:12:34:56)", "bad-mac");
    const auto* row = sources_.machines.find(*mac);
    const auto* known = known_as(sources_.known, *mac);
    if (row == nullptr && known == nullptr) {
      return error(404, "pxed has not seen " + mac->to_string() + " and the inventory does not name it", "unknown-machine");
    }
    // The newest kTimelineEvents of this machine, oldest first.
    EventQuery q;
    q.filter.mac = mac;
    q.tail = kTimelineEvents;
    auto machine = row_json(row != nullptr ? *row : unseen_row(*mac), known != nullptr ? known->name : "",
                            row != nullptr);
    if (sources_.changes != nullptr) machine["boot"] = boot_json(sources_.changes->boot_of(*mac));
    return json_answer(200, fmt::format(R"({{"machine":{},"events":{}}})", machine.dump(),
                                        events_array(sources_.history.find(q).events)));
  }
  return std::nullopt;
}

std::int64_t Api::now_ms() const { return sources_.clock ? sources_.clock() : core::unix_now_ms(); }

// Each subnet's use, then every lease bound now: what `pxed leases` would say of a live server.
http::Answer Api::leases() const {
  auto bound = sources_.leases ? sources_.leases() : std::vector<store::Lease>{};
  std::ranges::sort(bound, {}, &store::Lease::ip);
  json subnets = json::array();
  for (const auto& s : sources_.subnets) {
    const std::uint64_t size = std::uint64_t{s.range_last.value} - s.range_first.value + 1;
    const auto used = static_cast<std::uint64_t>(std::ranges::count_if(bound, [&](const store::Lease& l) {
      return l.ip.value >= s.range_first.value && l.ip.value <= s.range_last.value;
    }));
    subnets.push_back({{"network", s.network.to_string()},
                       {"range", {s.range_first.to_string(), s.range_last.to_string()}},
                       {"size", size},
                       {"used", used},
                       {"free", size - used},
                       {"reservations", s.reservations.size()}});
  }
  json leases = json::array();
  for (const auto& l : bound) {
    leases.push_back({{"ip", l.ip.to_string()},
                      {"mac", l.mac.to_string()},
                      {"hostname", l.hostname},
                      {"expires", events::utc_text(l.expires * 1000)},
                      {"expires_ms", l.expires * 1000}});
  }
  return json_answer(200, json{{"subnets", std::move(subnets)}, {"leases", std::move(leases)}}.dump());
}

http::Routes Api::routes() const {
  auto handler = [this](const http::Call& call) { return answer(call); };
  return {{std::string(kPrefix), handler, true}, {"/healthz", handler}, {"/readyz", handler}};
}

}  // namespace pxed::api
