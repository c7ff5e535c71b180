#include "app/status_cli.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fmt/format.h>
#include <ostream>
#include <thread>
#include <vector>

#include "app/api_client.hpp"
#include "core/time.hpp"
#include "events/event.hpp"
#include "store/machine_store.hpp"

namespace pxed::app {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::size_t kStages = 7;  // dhcp .. done
constexpr std::size_t kPageLimit = 1000;

std::string age(std::int64_t ms) {
  if (ms < 0) ms = 0;
  if (ms < 1000) return "now";
  const auto s = ms / 1000;
  if (s < 120) return fmt::format("{}s ago", s);
  if (s < 7200) return fmt::format("{}m ago", s / 60);
  return fmt::format("{}h ago", s / 3600);
}

// "####---" : one mark per stage reached of dhcp .. done.
std::string progress(std::string_view stage) {
  auto s = store::stage_named(stage);
  const std::size_t reached = s ? static_cast<std::size_t>(*s) + 1 : 0;
  return std::string(reached, '#') + std::string(kStages - reached, '-');
}

std::string text_of(const json& v) { return v.is_string() ? v.get<std::string>() : v.is_null() ? "" : v.dump(); }

std::string query(const EventsArgs& args) {
  std::string q;
  if (!args.mac.empty()) q += "&mac=" + args.mac;
  if (!args.kind.empty()) q += "&kind=" + args.kind;
  return q;
}

}  // namespace

std::string status_table(const json& answer, std::int64_t now) {
  const auto machines = answer.value("machines", json::array());
  // NAME only when the inventory names a machine: a proxy setup without one keeps its width.
  const bool named = std::ranges::any_of(machines, [](const json& m) { return !text_of(m.value("name", json())).empty(); });
  std::vector<std::string> head{"MAC", "IP", "ARCH", "STAGE", "PROGRESS", "BOOT", "LAST SEEN", "LAST FILE", "PROBLEM"};
  if (named) head.insert(head.begin() + 1, "NAME");
  std::vector<std::vector<std::string>> rows{head};
  for (const auto& m : machines) {
    const auto stage = text_of(m.value("stage", json()));
    const auto boot_ms = m.value("boot_ms", std::int64_t{0});
    // A machine of the inventory that has not asked yet (older answers have no "seen").
    const bool seen = m.value("seen", true);
    std::vector<std::string> row{text_of(m.value("mac", json())), text_of(m.value("ip", json())),
                                 text_of(m.value("arch", json())), seen ? (stage.empty() ? "-" : stage) : "not seen",
                                 progress(stage), boot_ms > 0 ? fmt::format("{:.1f}s", static_cast<double>(boot_ms) / 1000) : "-",
                                 seen ? age(now - m.value("last_seen_ms", now)) : "never", text_of(m.value("last_file", json())),
                                 text_of(m.value("problem", json()))};
    if (named) row.insert(row.begin() + 1, text_of(m.value("name", json())));
    rows.push_back(std::move(row));
  }
  if (rows.size() == 1) return "no machine has asked since pxed started, and the inventory names none by MAC\n";
  std::vector<std::size_t> width(head.size());
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  }
  return out;
}

std::string event_line(const ordered_json& e) {
  std::string out = fmt::format("{} {} {}", text_of(e.value("time", json())), text_of(e.value("level", json())),
                                text_of(e.value("event", json())));
  for (const auto& [key, value] : e.items()) {
    if (key == "id" || key == "time" || key == "time_ms" || key == "level" || key == "event") continue;
    out += ' ' + key + '=' + (value.is_string() ? events::text_line_value(value.get<std::string>()) : text_of(value));
  }
  return out;
}

int show_status(const config::Config& cfg, const StatusArgs& args, std::ostream& out, std::ostream& err) {
  auto server = api_server_of(cfg, args.server);
  if (!server) {
    err << "pxed status: " << server.error() << '\n';
    return 2;
  }
  const bool redraw = args.watch && !args.json && ::isatty(STDOUT_FILENO) == 1;
  for (;;) {
    auto body = api_get(*server, "/api/v1/machines");
    if (!body) {
      err << "pxed status: " << body.error() << '\n';
      return 1;
    }
    if (args.json) {
      out << *body << std::flush;
    } else {
      auto answer = json::parse(*body, nullptr, false);
      if (answer.is_discarded()) {
        err << "pxed status: the answer is not JSON\n";
        return 1;
      }
      if (redraw) out << "\x1b[H\x1b[2J";  // home and clear: the table redrawn in place
      out << status_table(answer, core::unix_now_ms()) << std::flush;
    }
    if (!args.watch) return 0;
    std::this_thread::sleep_for(std::chrono::duration<double>(args.interval_seconds));
    if (!redraw && !args.json) out << '\n';
  }
}

int show_events(const config::Config& cfg, const EventsArgs& args, std::ostream& out, std::ostream& err) {
  auto server = api_server_of(cfg, args.server);
  if (!server) {
    err << "pxed events: " << server.error() << '\n';
    return 2;
  }
  auto print = [&](std::string_view data) {
    auto e = ordered_json::parse(data, nullptr, false);
    if (e.is_discarded()) return;
    out << (args.json ? e.dump() : event_line(e)) << '\n' << std::flush;
  };
  if (!args.follow) {
    // Up to a page, the API picks the newest itself (tail=); more are paged
    // through from the oldest, keeping the newest.
    std::vector<std::string> newest;
    std::uint64_t after = 0;
    for (;;) {
      auto body = api_get(*server, args.last <= kPageLimit
                                       ? fmt::format("/api/v1/events?tail={}{}", std::max<std::size_t>(args.last, 1),
                                                     query(args))
                                       : fmt::format("/api/v1/events?limit={}&after={}{}", kPageLimit, after,
                                                     query(args)));
      if (!body) {
        err << "pxed events: " << body.error() << '\n';
        return 1;
      }
      auto page = json::parse(*body, nullptr, false);
      if (page.is_discarded()) return 1;
      for (const auto& e : page["events"]) newest.push_back(e.dump());
      if (newest.size() > args.last) newest.erase(newest.begin(), newest.end() - static_cast<long>(args.last));
      if (!page.value("more", false)) break;
      after = page.value("next", after);
    }
    for (const auto& e : newest) print(e);
    return 0;
  }
  // Server-Sent Events: "id:", "event:" and "data:" lines, a blank line ends one.
  // A dropped stream is opened again from the last id seen, as EventSource does.
  std::string last_id;
  for (bool first = true;; first = false) {
    if (!first) std::this_thread::sleep_for(std::chrono::seconds(1));
    auto followed = api_follow(*server, "/api/v1/events/stream?" + query(args).substr(query(args).empty() ? 0 : 1),
                               last_id, [&](std::string_view line) {
                                 if (line.starts_with("id: ")) last_id = std::string(line.substr(4));
                                 if (line.starts_with("data: ")) print(line.substr(6));
                                 return true;
                               });
    if (!followed && first) {
      err << "pxed events: " << followed.error() << '\n';
      return 1;
    }
  }
}

}  // namespace pxed::app
