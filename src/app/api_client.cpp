#include "app/api_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <fmt/format.h>

namespace pxed::app {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

std::string where(const ApiServer& s) { return fmt::format("http://{}:{}", s.host, s.port); }

std::expected<tcp::socket, std::string> connect(asio::io_context& io, const ApiServer& server) {
  boost::system::error_code ec;
  tcp::resolver resolver(io);
  auto found = resolver.resolve(server.host, std::to_string(server.port), ec);
  tcp::socket socket(io);
  if (!ec) asio::connect(socket, found, ec);
  if (ec) {
    return std::unexpected(fmt::format("cannot reach pxed at {}: {} (is it running, with [http] enabled?)",
                                       where(server), ec.message()));
  }
  return socket;
}

bhttp::request<bhttp::empty_body> request(const ApiServer& server, std::string_view target) {
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, std::string(target), 11};
  req.set(bhttp::field::host, server.host);
  req.set(bhttp::field::user_agent, "pxed-cli");
  return req;
}

// A JSON error answer's message, or the status line.
std::string refusal(const ApiServer& server, std::string_view target, unsigned status, std::string_view body) {
  auto start = body.find("\"error\":\"");
  std::string why = start == std::string_view::npos
                        ? std::string(body.substr(0, body.find('\n')))
                        : std::string(body.substr(start + 9, body.find('"', start + 9) - start - 9));
  if (status == 404 && target.starts_with("/api/")) why += " (is [api] enabled in that pxed's config?)";
  return fmt::format("{}{}: {} {}", where(server), target, status, why);
}

}  // namespace

std::expected<ApiServer, std::string> api_server_of(const config::Config& cfg, std::string_view server) {
  ApiServer out;
  if (!server.empty()) {
    auto colon = server.rfind(':');
    out.host = std::string(server.substr(0, colon));
    if (colon != std::string_view::npos) {
      auto port = server.substr(colon + 1);
      auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
      if (ec != std::errc{} || end != port.data() + port.size() || out.port == 0) {
        return std::unexpected(fmt::format("--server {}: the port must be 1..65535", server));
      }
    }
    return out;
  }
  if (!cfg.http.enabled) {
    return std::unexpected(fmt::format("{}: [http] is not enabled, so pxed serves no API; say --server HOST:PORT "
                                       "for another pxed", cfg.source.string()));
  }
  if (!cfg.api.enabled) return std::unexpected(fmt::format("{}: [api] enabled = false", cfg.source.string()));
  const auto& at = cfg.api.listen ? *cfg.api.listen : cfg.http.listen;
  out.host = at.address == "0.0.0.0" ? "127.0.0.1" : at.address == "::" ? "::1" : at.address;
  out.port = at.port;
  return out;
}

std::expected<std::string, std::string> api_get(const ApiServer& server, std::string_view target) {
  asio::io_context io;
  auto socket = connect(io, server);
  if (!socket) return std::unexpected(socket.error());
  boost::system::error_code ec;
  bhttp::write(*socket, request(server, target), ec);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  if (!ec) bhttp::read(*socket, buffer, res, ec);
  if (ec) return std::unexpected(fmt::format("{}{}: {}", where(server), target, ec.message()));
  if (res.result_int() != 200) return std::unexpected(refusal(server, target, res.result_int(), res.body()));
  return std::move(res.body());
}

std::expected<void, std::string> api_follow(const ApiServer& server, std::string_view target,
                                            std::string_view last_event_id,
                                            const std::function<bool(std::string_view line)>& on_line) {
  asio::io_context io;
  auto socket = connect(io, server);
  if (!socket) return std::unexpected(socket.error());
  auto req = request(server, target);
  if (!last_event_id.empty()) req.set("Last-Event-ID", std::string(last_event_id));
  boost::system::error_code ec;
  bhttp::write(*socket, req, ec);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.body_limit(boost::none);  // a stream has no end to limit
  if (!ec) bhttp::read_header(*socket, buffer, parser, ec);
  if (ec) return std::unexpected(fmt::format("{}{}: {}", where(server), target, ec.message()));
  if (parser.get().result_int() != 200) {
    return std::unexpected(refusal(server, target, parser.get().result_int(), {}));
  }
  std::string pending;
  std::array<char, 8192> chunk;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    // read_some: a stream's events come a few bytes at a time, and each is wanted now.
    bhttp::read_some(*socket, buffer, parser, ec);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) break;
    pending.append(chunk.data(), chunk.size() - parser.get().body().size);
    for (auto newline = pending.find('\n'); newline != std::string::npos; newline = pending.find('\n')) {
      if (!on_line(std::string_view(pending).substr(0, newline))) return {};
      pending.erase(0, newline + 1);
    }
  }
  return {};
}

}  // namespace pxed::app
