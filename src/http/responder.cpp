#include "http/responder.hpp"

#include <chrono>
#include <fmt/format.h>
#include <utility>

#include "http/listing.hpp"
#include "vfs/path.hpp"

namespace pxed::http {
namespace {

struct Refusal {
  bhttp::status status;
  events::Level level;
};

// A path outside the root and a malformed one look like any missing file to
// the client (nothing is revealed) but are logged as warnings.
Refusal refusal_for(vfs::OpenError e) {
  switch (e) {
    case vfs::OpenError::not_found:
    case vfs::OpenError::not_a_file: return {bhttp::status::not_found, events::Level::info};
    case vfs::OpenError::bad_path:
    case vfs::OpenError::outside_root: return {bhttp::status::not_found, events::Level::warn};
    case vfs::OpenError::permission: return {bhttp::status::forbidden, events::Level::warn};
    case vfs::OpenError::io: return {bhttp::status::internal_server_error, events::Level::error};
    // A hostile image, not a server fault: refused loudly, never retried harder.
    case vfs::OpenError::over_budget: return {bhttp::status::internal_server_error, events::Level::warn};
    // Only when a worker's answer did not reach the tree (its mounts changed meanwhile).
    case vfs::OpenError::would_block: return {bhttp::status::internal_server_error, events::Level::error};
  }
  return {bhttp::status::internal_server_error, events::Level::error};
}

std::string_view header_of(const Request& req, bhttp::field f) {
  auto it = req.find(f);
  return it == req.end() ? std::string_view{} : std::string_view(it->value().data(), it->value().size());
}

// A header Beast has no field constant for ("Last-Event-ID").
std::string_view header_of(const Request& req, std::string_view name) {
  auto it = req.find(boost::beast::string_view(name.data(), name.size()));
  return it == req.end() ? std::string_view{} : std::string_view(it->value().data(), it->value().size());
}

// Nothing decided: answer again on the owner's loop (On::own_loop).
Reply owner_reply() {
  Reply r;
  r.to_owner = true;
  return r;
}

}  // namespace

Reply text_reply(bhttp::status status, unsigned version, bool keep_alive) {
  Reply r;
  r.head.version(version);
  r.head.result(status);
  r.head.set(bhttp::field::server, "pxed");
  r.head.set(bhttp::field::date, format_http_date(std::chrono::floor<std::chrono::seconds>(
                                     std::chrono::system_clock::now())));
  r.head.set(bhttp::field::content_type, "text/plain");
  r.text = fmt::format("{} {}\n", static_cast<unsigned>(status), bhttp::obsolete_reason(status));
  r.head.content_length(r.text.size());
  r.close = !keep_alive;
  r.head.keep_alive(keep_alive);
  return r;
}

Reply reply_of(Answer answer, unsigned version, bool keep_alive, Exchange& x) {
  auto r = text_reply(bhttp::int_to_status(answer.status), version, keep_alive && !answer.feed);
  r.text = std::move(answer.body);
  r.head.set(bhttp::field::content_type, answer.content_type);
  r.head.set(bhttp::field::cache_control, "no-store");
  for (const auto& [name, value] : answer.headers) r.head.set(name, value);
  if (!answer.reason.empty()) x.reason = std::move(answer.reason);
  if (answer.feed) {
    // RFC 9112 §6.3: without a length the body ends when the connection
    // closes, which is what an event stream does; EventSource reads it so.
    r.head.erase(bhttp::field::content_length);
    r.feed = std::move(answer.feed);
  } else {
    r.head.content_length(r.text.size());
  }
  return r;
}

bool Responder::writes_to(std::string_view target) const {
  auto path = target_path(target);
  if (!path) return false;
  return std::ranges::any_of(routes_, [&](const Route& r) { return r.writes && matches(r, *path); });
}

Reply Responder::answer(const Request& req, const vfs::Requester& who, Exchange& x, vfs::Prefetched* ahead,
                        std::string_view body, On on) const {
  const unsigned version = req.version();
  const bool keep_alive = req.keep_alive();
  auto path = target_path(std::string_view(req.target().data(), req.target().size()));
  if (!path) {
    x.reason = std::string(to_string(path.error()));
    return text_reply(bhttp::status::bad_request, version, keep_alive);
  }
  // pxed's own paths first: the tree never sees them (a file named "api" stays unreachable).
  const auto route = std::ranges::find_if(routes_, [&](const Route& r) { return matches(r, *path); });
  if (route != routes_.end() || path->starts_with(kActionPrefix)) {
    if (on == On::own_loop) return owner_reply();
    const std::string query = query_of(std::string_view(req.target().data(), req.target().size()));
    const Call call{std::string_view(req.method_string().data(), req.method_string().size()), *path, query,
                    header_of(req, bhttp::field::authorization), header_of(req, "Last-Event-ID"), who, body};
    x.route = route != routes_.end() ? route->path : std::string(kActionPrefix);
    auto answer = route != routes_.end() ? route->handler(call) : std::nullopt;
    if (!answer) {
      x.reason = "no-such-path";
      return text_reply(bhttp::status::not_found, version, keep_alive);
    }
    x.reason = std::move(answer->reason);
    if (answer->later) {
      Reply r;
      r.later = std::move(answer->later);
      return r;
    }
    return reply_of(std::move(*answer), version, keep_alive, x);
  }
  // Only pxed's own paths are served on a listener without the tree (the API's own address).
  if (!files_) {
    x.reason = "no-such-path";
    return text_reply(bhttp::status::not_found, version, keep_alive);
  }
  // A trailing slash names a directory: list it (a file there is 404).
  if (path->ends_with('/')) return answer_directory(req, *path, x, ahead);
  auto file = tree_.open(*path, who, ahead, on == On::owner ? vfs::Tree::Generate::yes : vfs::Tree::Generate::no);
  // A name only the generator could make: it and what it reads live on the owner's loop.
  if (on == On::own_loop && !file && file.error() == vfs::OpenError::not_found && tree_.generates()) return owner_reply();
  if (file) {
    x.generated = file->generated();
    x.system = file->system();
  }
  if (!file && file.error() == vfs::OpenError::not_a_file) {
    auto directory = tree_.is_directory(*path, ahead);
    if (directory.value_or(false)) return redirect_to_directory(req, *path, x);
    // A 404 now would be wrong if it is a directory: the worker finds out.
    if (!directory && directory.error() == vfs::OpenError::would_block) file = std::unexpected(directory.error());
  }
  if (!file) {
    auto refusal = refusal_for(file.error());
    x.reason = std::string(vfs::to_string(file.error()));
    x.level = refusal.level;
    return text_reply(refusal.status, version, keep_alive);
  }
  // The file's own time: for a member of an ISO image the entry's, not the image file's.
  auto mtime = std::chrono::nanoseconds(file->mtime_ns());
  auto last_modified = std::chrono::floor<std::chrono::seconds>(std::chrono::sys_time<std::chrono::nanoseconds>(mtime));
  auto etag = make_etag(file->size(), mtime);

  Reply r;
  r.head.version(version);
  r.head.keep_alive(keep_alive);
  r.close = !keep_alive;
  r.head.set(bhttp::field::server, "pxed");
  r.head.set(bhttp::field::date, format_http_date(std::chrono::floor<std::chrono::seconds>(
                                     std::chrono::system_clock::now())));
  r.head.set(bhttp::field::etag, etag);
  r.head.set(bhttp::field::last_modified, format_http_date(last_modified));
  r.head.set(bhttp::field::accept_ranges, "bytes");

  if (not_modified(header_of(req, bhttp::field::if_none_match),
                   header_of(req, bhttp::field::if_modified_since), etag, last_modified)) {
    r.head.result(bhttp::status::not_modified);
    return r;
  }
  r.head.set(bhttp::field::content_type, content_type(*path));
  auto size = file->size();
  RangeSelection selection{RangeOutcome::whole, {0, size}};
  auto range_header = header_of(req, bhttp::field::range);
  if (!range_header.empty() && if_range_allows(header_of(req, bhttp::field::if_range), etag, last_modified)) {
    selection = select_range(range_header, size);
  }
  switch (selection.outcome) {
    case RangeOutcome::unsatisfiable:
      r.head.result(bhttp::status::range_not_satisfiable);
      r.head.set(bhttp::field::content_range, unsatisfied_range(size));
      r.head.content_length(0);
      x.range = std::string(range_header.substr(0, 64));
      return r;
    case RangeOutcome::partial:
      r.head.result(bhttp::status::partial_content);
      r.head.set(bhttp::field::content_range, content_range(selection.range, size));
      x.range = fmt::format("{}-{}", selection.range.first, selection.range.last());
      break;
    case RangeOutcome::whole:
      r.head.result(bhttp::status::ok);
      break;
  }
  r.head.content_length(selection.range.length);
  r.range = selection.range;
  r.file = std::move(*file);
  return r;
}

// Relative links in a listing resolve against the URL the browser shows, so
// "/sub" must become "/sub/" before it is listed (what nginx and Apache do).
Reply Responder::redirect_to_directory(const Request& req, std::string_view path, Exchange& x) const {
  auto dir = vfs::normalize(path);
  if (!dir) {  // is_directory said yes, so normalize accepted it; kept for safety
    x.reason = std::string(vfs::to_string(dir.error()));
    x.level = events::Level::warn;
    return text_reply(bhttp::status::not_found, req.version(), req.keep_alive());
  }
  Reply r = text_reply(bhttp::status::moved_permanently, req.version(), req.keep_alive());
  // The query is dropped: it means nothing to a listing.
  r.head.set(bhttp::field::location, directory_location(*dir));
  x.reason = "directory-redirect";
  return r;
}

Reply Responder::answer_directory(const Request& req, std::string_view path, Exchange& x,
                                  vfs::Prefetched* ahead) const {
  const unsigned version = req.version();
  const bool keep_alive = req.keep_alive();
  auto entries = tree_.list(path, ahead);
  auto dir = vfs::normalize(path);  // list() accepted it, so this does too: the page title
  if (entries && !dir) entries = std::unexpected(vfs::OpenError::bad_path);
  if (!entries) {
    auto refusal = refusal_for(entries.error());
    x.reason = std::string(vfs::to_string(entries.error()));
    x.level = refusal.level;
    return text_reply(refusal.status, version, keep_alive);
  }
  const bool json = wants_json(header_of(req, bhttp::field::accept));
  Reply r;
  r.head.version(version);
  r.head.keep_alive(keep_alive);
  r.close = !keep_alive;
  r.head.result(bhttp::status::ok);
  r.head.set(bhttp::field::server, "pxed");
  r.head.set(bhttp::field::date, format_http_date(std::chrono::floor<std::chrono::seconds>(
                                     std::chrono::system_clock::now())));
  r.head.set(bhttp::field::content_type, json ? "application/json" : "text/html; charset=utf-8");
  // The body depends on Accept and on a directory that changes without a
  // validator we could offer: caches must ask each time.
  r.head.set(bhttp::field::vary, "Accept");
  r.head.set(bhttp::field::cache_control, "no-cache");
  if (entries->size() >= vfs::kMaxListing) x.reason = "listing-truncated";
  r.listing = std::make_unique<Listing>(Listing{.dir = std::move(*dir), .entries = std::move(*entries), .json = json});
  if (r.listing->entries.size() <= rendered_on_loop_) {
    r.text = std::exchange(r.listing, nullptr)->render();
    r.head.content_length(r.text.size());
  }
  return r;
}

std::string Listing::render() const {
  return json ? render_listing_json(entries) : render_listing_html(dir, entries);
}

}  // namespace pxed::http
