#pragma once
// The body of a request to a route that writes (the API's POST, PUT, DELETE),
// read after its header. Asio and Beast: included by http_service.cpp only.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <expected>
#include <string>

namespace pxed::http {

// The body (at most kMaxBody bytes), or the status to refuse the request with;
// reason gets why, for the access log. timed_out: the connection's watchdog
// closed the socket (a body that never came).
boost::asio::awaitable<std::expected<std::string, boost::beast::http::status>> read_body(
    boost::asio::ip::tcp::socket& socket, boost::beast::flat_buffer& buffer,
    const boost::beast::http::request_parser<boost::beast::http::empty_body>& parser, std::string& reason,
    const bool& timed_out);

}  // namespace pxed::http
