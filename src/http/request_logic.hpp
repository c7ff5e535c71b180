#pragma once
// The decisions an HTTP file server makes from header text alone: which path,
// which bytes, whether the client's copy is current, what type to announce.
// Pure (no Beast, no sockets, no clock): http_service.cpp feeds it header
// values and the file's size and mtime, and unit tests drive it directly.
#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace pxed::http {

enum class TargetError { bad_escape, nul_byte, not_origin_form };

std::string_view to_string(TargetError e);

// RFC 3986 §2.1: %XX becomes one byte. A truncated or non-hex escape and %00
// (a NUL would cut the name short in a C API) are refused; '+' stays '+'.
std::expected<std::string, TargetError> percent_decode(std::string_view text);

// The query of a request target ("mac=52:54:00:12:34:56&uuid=..."), raw; empty without one.
std::string query_of(std::string_view target);

// The target as the access log writes it: a token= parameter's value (a
// machine's answers token, app/answer_files.hpp) is replaced by "-", so no
// log line holds a secret.
std::string logged_target(std::string_view target);

// The request-target (RFC 9112 §3.2) to a decoded path: the query and any
// fragment go, absolute-form "http://host/x" keeps only "/x". The result still
// needs vfs::normalize (Tree::open does it): ".." is not judged here.
std::expected<std::string, TargetError> target_path(std::string_view target);

// RFC 9112 §3.2: a server answers 400 to an HTTP/1.1 request without Host and
// to any request with more than one Host line (two could name two origins to
// two readers of the same request). The reason logged, or nullopt when fine.
std::optional<std::string_view> host_problem(unsigned version, std::size_t host_fields);

// A byte range of a file: [first, first + length).
struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t length = 0;
  std::uint64_t last() const { return first + length - 1; }  // length > 0
};

enum class RangeOutcome {
  whole,          // no usable Range: 200 with the whole file
  partial,        // 206 with Content-Range
  unsatisfiable,  // 416 with "Content-Range: bytes */size"
};

struct RangeSelection {
  RangeOutcome outcome = RangeOutcome::whole;
  ByteRange range;  // for partial: the bytes to send; for whole: the file
};

// RFC 9110 §14.2: one "bytes=a-b", "bytes=a-" or "bytes=-n". A header we
// cannot parse, another unit, or several ranges are ignored (the server MAY
// ignore Range; we do not build multipart/byteranges): the whole file.
// Positions past 2^64-1 saturate, so they start beyond any file.
RangeSelection select_range(std::string_view header, std::uint64_t size);

// "bytes a-b/size" and "bytes */size" (RFC 9110 §14.4).
std::string content_range(const ByteRange& range, std::uint64_t size);
std::string unsatisfied_range(std::uint64_t size);

// A strong validator from what changes when the file does:
// "\"<size hex>-<mtime ns hex>\"".
std::string make_etag(std::uint64_t size, std::chrono::nanoseconds mtime);

// IMF-fixdate (RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
std::string format_http_date(std::chrono::sys_seconds t);
// IMF-fixdate only; the obsolete RFC 850 and asctime forms read as no date,
// which makes the request unconditional (always safe).
std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text);

// RFC 9110 §13.1.2/§13.1.3 for GET/HEAD: true means 304 Not Modified.
// If-None-Match wins when present (weak comparison, "*" matches any file);
// only without it does If-Modified-Since count.
bool not_modified(std::string_view if_none_match, std::string_view if_modified_since,
                  std::string_view etag, std::chrono::sys_seconds last_modified);

// RFC 9110 §13.1.5: Range applies only if If-Range (when sent) still names
// this file: the same strong ETag, or exactly its Last-Modified date.
bool if_range_allows(std::string_view if_range, std::string_view etag,
                     std::chrono::sys_seconds last_modified);

// By file name extension, case-insensitive, from a table; unknown: octet-stream.
std::string_view content_type(std::string_view path);

}  // namespace pxed::http
