#include "http/request_body.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <charconv>
#include <limits>
#include <string_view>

#include "http/routes.hpp"

namespace pxed::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {

// Content-Length as the parser accepted it (one valid number; none is 0).
// Read from the field, not parser.content_length(): GCC 12 with the
// sanitizers sees its boost::optional in a coroutine frame as uninitialized.
std::size_t declared_length(const bhttp::request<bhttp::empty_body>& req) {
  auto field = req.find(bhttp::field::content_length);
  if (field == req.end()) return 0;
  std::size_t n = 0;
  const auto text = field->value();
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  // Too large to hold is over any cap.
  return ec == std::errc::result_out_of_range ? std::numeric_limits<std::size_t>::max() : n;
}

}  // namespace

// The body of a request to a route that writes: a line of JSON, so a length
// is required (no chunked bodies) and capped. Read by hand after the header:
// the request stays the empty_body one every other path uses.
asio::awaitable<std::expected<std::string, bhttp::status>> read_body(
    tcp::socket& socket, beast::flat_buffer& buffer, const bhttp::request_parser<bhttp::empty_body>& parser,
    std::string& reason, const bool& timed_out) {
  if (parser.chunked()) {
    reason = "chunked-body";
    co_return std::unexpected(bhttp::status::length_required);  // RFC 9110 §15.5.12
  }
  const auto length = declared_length(parser.get());
  if (length > kMaxBody) {
    reason = "body-too-large";
    co_return std::unexpected(bhttp::status::payload_too_large);
  }
  const auto& req = parser.get();
  if (auto expect = req.find(bhttp::field::expect);
      expect != req.end() && beast::iequals(expect->value(), "100-continue") && buffer.size() < length) {
    // RFC 9110 §10.1.1: a client waiting for this would otherwise pause before sending the body.
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(kContinue), asio::as_tuple(asio::use_awaitable));
    if (ec) {
      reason = "client-gone";
      co_return std::unexpected(bhttp::status::bad_request);
    }
  }
  while (buffer.size() < length) {
    auto [ec, n] = co_await socket.async_read_some(buffer.prepare(length - buffer.size()),
                                                     asio::as_tuple(asio::use_awaitable));
    if (ec) {
      reason = timed_out ? "body-timeout" : "client-gone";
      co_return std::unexpected(bhttp::status::bad_request);
    }
    buffer.commit(n);
  }
  std::string body(static_cast<const char*>(buffer.data().data()), length);
  buffer.consume(length);
  co_return body;
}

}  // namespace pxed::http
