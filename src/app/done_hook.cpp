#include "app/done_hook.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <variant>

// GCC 12 at -O1 (the sanitizer build) inlines this file's coroutine and then
// warns that Asio's awaitable frame is freed by a mismatched operator delete:
// the frame's own class-specific new and delete are used on both sides.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace pxed::app {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

// A CMDB that does not answer in this long is not worth holding a socket for.
constexpr std::chrono::seconds kHookTimeout{5};
constexpr std::size_t kMaxHookAnswer = 64 * 1024;

struct Outcome {
  unsigned status = 0;
  std::string error;
};

asio::awaitable<Outcome> post(config::HookTarget target, std::string body) {
  auto executor = co_await asio::this_coro::executor;
  tcp::socket socket(executor);
  asio::steady_timer timer(executor);
  bool timed_out = false;
  timer.expires_after(kHookTimeout);
  // Closing the socket ends whichever step is waiting; the frame outlives the timer's wait.
  auto on_timeout = [&socket, &timed_out](boost::system::error_code ec) {
    if (ec) return;
    timed_out = true;
    boost::system::error_code ignored;
    socket.close(ignored);
  };
  timer.async_wait(on_timeout);
  boost::system::error_code ec;
  const tcp::endpoint endpoint(asio::ip::address_v4(target.address.value), target.port);
  co_await socket.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, target.target, 11};
  req.set(bhttp::field::host, endpoint.address().to_string() + ":" + std::to_string(target.port));
  req.set(bhttp::field::user_agent, "pxed");
  req.set(bhttp::field::content_type, "application/json");
  req.set(bhttp::field::connection, "close");
  req.body() = std::move(body);
  req.prepare_payload();
  if (!ec) co_await bhttp::async_write(socket, req, asio::redirect_error(asio::use_awaitable, ec));
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxHookAnswer);
  if (!ec) co_await bhttp::async_read(socket, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  timer.cancel();
  if (timed_out) co_return Outcome{0, "no answer in " + std::to_string(kHookTimeout.count()) + " s"};
  if (ec) co_return Outcome{0, ec.message()};
  co_return Outcome{parser.get().result_int(), {}};
}

}  // namespace

std::string done_hook_payload(const events::Event& done, const config::Vars& values) {
  nlohmann::json record;
  record["event"] = "done";
  record["mac"] = done.mac ? done.mac->to_string() : "";
  record["ip"] = done.client.is_zero() ? "" : done.client.to_string();
  record["name"] = std::string(done.text("name"));
  if (const auto* once = done.find("once"); once != nullptr && std::holds_alternative<bool>(*once)) {
    record["once"] = std::get<bool>(*once);
  }
  record["by"] = done.text("by").empty() ? "installer" : std::string(done.text("by"));
  record["time_ms"] = done.time_ms;
  auto it = values.find("profile");
  record["profile"] = it == values.end() ? "" : it->second;
  record["vars"] = nlohmann::json::object();
  for (const auto& [k, v] : values) record["vars"][k] = v;
  return record.dump();
}

DoneHook::DoneHook(asio::io_context& io, events::Bus& bus, config::HookTarget target, std::string url, Values values)
    : io_(io), bus_(bus), target_(std::move(target)), url_(std::move(url)), values_(std::move(values)) {}

void DoneHook::publish(const events::Event& event) {
  if (event.kind != events::Kind::machine_done || !event.mac) return;
  auto body = done_hook_payload(event, values_(*event.mac));
  const auto mac = *event.mac;
  // Named first: GCC 12 destroys a lambda temporary with owning captures twice inside co_spawn.
  auto report = [this, mac](std::exception_ptr failed, Outcome outcome) {
    if (failed) outcome.error = "the hook's request failed";
    events::Event e{outcome.status >= 200 && outcome.status < 300 ? events::Kind::machine_hook
                                                                  : events::Kind::machine_hook_failed};
    e.about(mac).add("url", url_);
    if (outcome.status != 0) e.add("status", outcome.status);
    if (!outcome.error.empty()) e.add("error", outcome.error);
    bus_.emit(std::move(e));
  };
  asio::co_spawn(io_, post(target_, std::move(body)), report);
}

}  // namespace pxed::app
