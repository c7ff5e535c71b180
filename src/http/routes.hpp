#pragma once
// pxed's own paths, answered outside the file tree: an installer's "done"
// (/pxed/), the JSON API (/api/), /healthz and /readyz. app hands them in;
// Beast stays out of this header so they compile without it. A route that
// writes (the API's POST, PUT, DELETE) may answer later, once a worker has
// put the change on disk: the loop never waits for it.
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
// A request body a route that writes may read: its JSON is a line or two; more is 413.
inline constexpr std::size_t kMaxBody = 4096;

struct Call {
  std::string_view method;         // "GET" or "HEAD"; POST, PUT, DELETE for a route that writes
  std::string_view path;           // decoded and normalized: "/api/v1/machines"
  std::string_view query;          // as sent, after '?'
  std::string_view authorization;  // the header's value, or empty
  std::string_view last_event_id;  // an EventSource resuming a stream (the header's value)
  const vfs::Requester& who;
  std::string_view body = {};      // at most kMaxBody bytes, for a route that writes
};

// An open-ended response (text/event-stream), written by the connection as
// its producer has more. The producer runs on the loop's thread, the
// connection maybe on one of HTTP's own: a Feed is safe to use from both,
// and calls wake on the producer's thread, so wake must only schedule.
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
  // Set: the answer is not ready yet. The connection calls later(respond) and
  // writes the Answer handed to respond, which must be called exactly once,
  // on the loop (maybe before later returns). The rest of this one is unused.
  std::function<void(std::function<void(Answer)> respond)> later{};
};

// nullopt: no such path under the route (404).
using Handler = std::function<std::optional<Answer>(const Call&)>;

struct Route {
  std::string path;  // "/api/": every path under it; "/healthz": that path only
  Handler handler;
  // Takes POST, PUT and DELETE too, with a body of up to kMaxBody; the
  // handler answers 405 itself to a method a path under it does not take.
  bool writes = false;
};
using Routes = std::vector<Route>;

inline bool matches(const Route& route, std::string_view path) {
  return route.path.ends_with('/') ? path.starts_with(route.path) : path == route.path;
}

}  // namespace pxed::http
