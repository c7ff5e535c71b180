#pragma once
// `pxed status`: every machine a running pxed has seen and the stage its boot
// reached, as a table (--watch redraws it, --json gives the API's answer);
// `pxed events`: recent events, or every event as it happens (--follow).
// Both read the JSON API (docs/api.md) of the pxed the config describes.
#include <cstdint>
#include <iosfwd>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.hpp"

namespace pxed::app {

struct StatusArgs {
  std::string server;       // "HOST:PORT"; empty: the config's [http] listen
  bool json = false;
  bool watch = false;
  double interval_seconds = 2;
};

struct EventsArgs {
  std::string server;
  std::string mac;
  std::string kind;
  std::size_t last = 50;  // without --follow: this many of the newest
  bool follow = false;
  bool json = false;      // one JSON object per line, as the API gives them
};

int show_status(const config::Config& cfg, const StatusArgs& args, std::ostream& out, std::ostream& err);
int show_events(const config::Config& cfg, const EventsArgs& args, std::ostream& out, std::ostream& err);

// The table for /api/v1/machines' answer, with ages counted from now_ms.
std::string status_table(const nlohmann::json& answer, std::int64_t now_ms);
// An API event as its log line: `TIME LEVEL NAME k=v ... mac=...`.
std::string event_line(const nlohmann::ordered_json& event);

}  // namespace pxed::app
