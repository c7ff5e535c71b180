#pragma once
// pxed's own paths, answered outside the file tree: an installer's "done"
// (/pxed/), the JSON API (/api/), /healthz and /readyz. app hands them in;
// Beast stays out of this header so they compile without it.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vfs/generated.hpp"

namespace pxed::http {

inline constexpr std::string_view kActionPrefix = "/pxed/";

struct Call {
  std::string_view method;         // "GET" or "HEAD"
  std::string_view path;           // decoded and normalized: "/api/v1/machines"
  std::string_view query;          // as sent, after '?'
  std::string_view authorization;  // the header's value, or empty
  std::string_view last_event_id;  // an EventSource resuming a stream (the header's value)
  const vfs::Requester& who;
};

// An open-ended response (text/event-stream), written by the connection as
// its producer has more. Both sides live on the loop thread.
class Feed {
 public:
  using Chunk = std::shared_ptr<const std::string>;  // shared: one event, every subscriber
  virtual ~Feed() = default;
  // What is ready to write now, in order; empty when nothing is.
  virtual std::vector<Chunk> take() = 0;
  // Whether take() would give something now.
  virtual bool ready() const = 0;
  // The producer let go (a subscriber too slow to keep up, or pxed stopping):
  // the connection writes what is left and ends the response.
  virtual bool closed() const = 0;
  // Called when something becomes ready after take() left nothing, or on close.
  virtual void on_wake(std::function<void()> wake) = 0;
};

struct Answer {
  unsigned status = 200;
  std::string body;
  std::string content_type = "text/plain";
  std::string reason;          // for the access log only
  std::shared_ptr<Feed> feed;  // set: body goes first, then the feed until it closes
  // More header fields ("Location" of a redirect, the dashboard's
  // Content-Security-Policy); a field named here replaces the responder's own.
  std::vector<std::pair<std::string, std::string>> headers{};
};

// nullopt: no such path under the route (404).
using Handler = std::function<std::optional<Answer>(const Call&)>;

struct Route {
  std::string path;  // "/api/": every path under it; "/healthz": that path only
  Handler handler;
};
using Routes = std::vector<Route>;

inline bool matches(const Route& route, std::string_view path) {
  return route.path.ends_with('/') ? path.starts_with(route.path) : path == route.path;
}

}  // namespace pxed::http
