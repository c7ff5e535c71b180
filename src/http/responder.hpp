#pragma once
// What a request gets: the response header and either a short text or a
// byte range of a file from the tree. No sockets here: http_service.cpp reads
// requests and writes what this decides, so the decisions stay in one place.
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"
#include "events/kind.hpp"
#include "http/routes.hpp"
#include "http/request_logic.hpp"
#include "vfs/tree.hpp"

namespace pxed::http {
namespace bhttp = boost::beast::http;

using Request = bhttp::request<bhttp::empty_body>;
using Header = bhttp::response<bhttp::empty_body>;

// What one request turned into: the access log line.
struct Exchange {
  core::TimePoint started = core::Clock::now();
  std::string method = "-";
  std::string path = "-";
  std::string agent;   // User-Agent, cut short: which loader or installer asked
  unsigned status = 0;
  std::uint64_t bytes = 0;
  std::string range;
  std::string reason;  // why a request was refused, for the log only
  std::string generated;  // a generated file: for whom and why (vfs::File::generated)
  std::string system;     // a loader of the system's packages: its path (vfs::File::system)
  std::string route;      // one of pxed's own paths answered it ("/api/"), not the tree
  events::Level level = events::Level::info;
};

// A listing too long to render on the loop (a 10,000-name page is 1.2 MB of
// HTML): the service renders it on a worker into the reply's text.
struct Listing {
  std::string dir;  // normalized, "" for the root: the page title
  std::vector<vfs::DirEntry> entries;
  bool json = false;
  std::string render() const;
};

// Listings up to this many names are rendered where they are answered.
inline constexpr std::size_t kListingRenderedOnLoop = 256;

// Where a request is answered: on the event loop that owns pxed's state
// (routes, generated files, what machines asked), or on one of HTTP's own
// loops (docs/threads.md), which serve the tree's files and hand anything else
// to the owner (Reply::to_owner).
enum class On { owner, own_loop };

// A response: header, then either a short text or a byte range of a file.
struct Reply {
  Header head;
  std::string text;
  std::optional<vfs::File> file;
  ByteRange range;
  bool close = false;  // the connection cannot carry another request
  std::shared_ptr<Feed> feed;  // an event stream follows the header and text
  // A route answers later (Answer::later): the service waits for its Answer
  // off the loop and turns it into the reply with reply_of.
  std::function<void(std::function<void(Answer)>)> later;
  // Set: text is this listing, still to render before the header's
  // Content-Length is set (the service does, on a worker).
  std::unique_ptr<Listing> listing;
  // On::own_loop only: nothing is decided; answer again on the owner's loop.
  bool to_owner = false;
};

// A short text/plain response ("404 Not Found\n") with Server and Date.
Reply text_reply(bhttp::status status, unsigned version, bool keep_alive);

// A route's Answer as the reply that goes out (never cached: it is live state).
Reply reply_of(Answer answer, unsigned version, bool keep_alive, Exchange& x);


class Responder {
 public:
  explicit Responder(const vfs::Tree& tree) : tree_(tree) {}
  void set_routes(Routes routes) { routes_ = std::move(routes); }
  // false: only the routes answer, every other path is 404 (the API's own listener).
  void serve_files(bool on) { files_ = on; }
  // Listings of more names are left unrendered in Reply::listing.
  void render_listings_up_to(std::size_t names) { rendered_on_loop_ = names; }
  // Whether a route that writes (POST, PUT, DELETE) answers this request-target.
  bool writes_to(std::string_view target) const;
  // GET and HEAD alike, and POST, PUT, DELETE for routes that write (the caller leaves the body out for HEAD); x gets
  // what the access log needs: path refused and why, range, log level.
  // ahead: what a worker found for the path, after the tree said would_block.
  // body: what a request to a route that writes carried.
  Reply answer(const Request& req, const vfs::Requester& who, Exchange& x,
               vfs::Prefetched* ahead = nullptr, std::string_view body = {}, On on = On::owner) const;
  Reply answer(const Request& req, Exchange& x) const { return answer(req, vfs::Requester{}, x); }

 private:
  Reply answer_directory(const Request& req, std::string_view path, Exchange& x, vfs::Prefetched* ahead) const;
  Reply redirect_to_directory(const Request& req, std::string_view path, Exchange& x) const;

  const vfs::Tree& tree_;
  Routes routes_;
  bool files_ = true;
  std::size_t rendered_on_loop_ = kListingRenderedOnLoop;
};

}  // namespace pxed::http
