#pragma once
// `pxed status` and `pxed events` read a running pxed through its JSON API
// (docs/api.md), as any other client would: one GET, or an event stream
// followed line by line.
#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace pxed::app {

struct ApiServer {
  std::string host;  // "127.0.0.1"
  std::uint16_t port = 80;
};

// Where this config's pxed answers: [api] listen, else [http] listen, a
// wildcard address asked on loopback. `server` ("HOST:PORT" or "HOST") overrides it. Why not, when the
// config has no HTTP listener or the API is off.
std::expected<ApiServer, std::string> api_server_of(const config::Config& cfg, std::string_view server);

// The body of a 200 answer to GET target, or what went wrong.
std::expected<std::string, std::string> api_get(const ApiServer& server, std::string_view target);

// GETs an event stream and hands each line to on_line until it returns false
// or the stream ends; an error when it could not be opened.
std::expected<void, std::string> api_follow(const ApiServer& server, std::string_view target,
                                            std::string_view last_event_id,
                                            const std::function<bool(std::string_view line)>& on_line);

}  // namespace pxed::app
