#pragma once
// Directory listings (what nginx calls autoindex) as text: the HTML page a
// browser shows, the JSON a script reads, and the escaping both need. Pure:
// http_service.cpp asks the vfs for the entries and sends what this returns.
#include <chrono>
#include <span>
#include <string>
#include <string_view>

#include "vfs/tree.hpp"

namespace pxed::http {

// &, <, >, " and ' as entities: safe in element text and in quoted attributes.
std::string html_escape(std::string_view text);

// RFC 3986 §2.3: everything but unreserved characters becomes %XX (uppercase
// hex, one per byte, so UTF-8 names come out as their bytes). Used for one
// path segment: '/' is escaped too, and so is ':' (a relative href "a:b"
// would otherwise read as scheme "a").
std::string percent_encode_segment(std::string_view name);

// A whole path: each segment as above, the '/' between them kept.
std::string percent_encode_path(std::string_view path);

// "2026-11-27T12:00:00Z" (RFC 3339, UTC, whole seconds).
std::string format_utc(std::chrono::sys_seconds t);

// RFC 9110 §12.5.1 in the small: JSON when Accept names application/json
// (any case, any q); otherwise HTML. A browser's default Accept never does.
bool wants_json(std::string_view accept);

// Where "/sub" is redirected: the directory's path, percent-encoded, with a
// trailing slash. dir is the normalized path below the root ("" is the root).
std::string directory_location(std::string_view dir);

// The page for "Index of /dir/": one row per entry (a link by relative,
// percent-encoded href; the name HTML-escaped; directories end in '/'; size;
// modification time), and "../" first unless dir is the root.
// dir is the normalized path below the root ("" is the root).
std::string render_listing_html(std::string_view dir, std::span<const vfs::DirEntry> entries);

// [{"name":"x","type":"file","size":1,"mtime":"2026-11-27T12:00:00Z"},...]
// in the given order; "type" is "file" or "directory". Bytes that are not
// UTF-8 in a name become U+FFFD (JSON strings are Unicode).
std::string render_listing_json(std::span<const vfs::DirEntry> entries);

}  // namespace pxed::http
