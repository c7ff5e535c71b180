// The API's writes to one machine: reinstall, done, and a profile assigned
// by hand. Who may write and what the request says are decided here; the
// change itself is Changes' (app::Machines), made on disk off the loop.
#include <nlohmann/json.hpp>

#include "api/api.hpp"
#include "api/json_answer.hpp"

namespace pxed::api {
namespace {

using nlohmann::json;

constexpr std::string_view kWritesOff =
    "writes through the API are off: put a token in a file only root can read, name it in [api] token_file "
    "and restart pxed (docs/api.md)";

// RFC 6750 §3: a request without credentials gets the challenge alone; a
// wrong token also says invalid_token.
http::Answer unauthorized(bool presented) {
  auto a = json_error(401,
                      presented ? "the bearer token is not the one in [api] token_file"
                                : "writes need the token in [api] token_file: Authorization: Bearer <token>",
                      presented ? "bad-token" : "no-token");
  a.headers.emplace_back("WWW-Authenticate",
                         presented ? R"(Bearer realm="pxed", error="invalid_token")" : R"(Bearer realm="pxed")");
  return a;
}

http::Answer answer_of(const Change& change, const std::expected<Changed, Refused>& result) {
  if (!result) {
    const auto& r = result.error();
    switch (r.why) {
      case Refused::Why::unknown_profile: return json_error(400, r.what, "unknown-profile");
      case Refused::Why::unknown_machine: return json_error(404, r.what, "unknown-machine");
      case Refused::Why::store: return json_error(500, r.what, "store-failed");
    }
    return json_error(500, r.what, "store-failed");
  }
  auto a = json_answer(200, json{{"mac", change.mac.to_string()},
                                 {"action", to_string(change.action)},
                                 {"boot", boot_json(result->boot)},
                                 {"note", result->note}}
                                .dump());
  a.reason = std::string(to_string(change.action));
  return a;
}

// PUT .../profile: {"profile": "NAME"}; the profile's name, or why not.
std::expected<std::string, std::string> profile_in(std::string_view body) {
  constexpr std::string_view kShape = R"(the body must be {"profile": "NAME"}, a profile of the inventory)";
  auto doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::unexpected(std::string(kShape) + ": not a JSON object");
  auto it = doc.find("profile");
  if (it == doc.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return std::unexpected(std::string(kShape));
  }
  return it->get<std::string>();
}

}  // namespace

std::string_view to_string(Action action) {
  switch (action) {
    case Action::reinstall: return "reinstall";
    case Action::done: return "done";
    case Action::assign: return "assign";
    case Action::unassign: return "unassign";
  }
  return "unknown";
}

http::Answer Api::change(const http::Call& call, std::string_view mac_text, std::string_view action) const {
  const bool profile = action == "profile";
  const bool allowed = profile ? call.method == "PUT" || call.method == "DELETE" : call.method == "POST";
  if (!allowed) return method_not_allowed(call.method, profile ? "PUT, DELETE" : "POST");
  if (sources_.token == nullptr) return json_error(403, kWritesOff, "writes-off");
  if (!sources_.token->admits(call.authorization)) return unauthorized(!call.authorization.empty());
  if (sources_.changes == nullptr) {
    return json_error(503, "pxed keeps no machine store (pxed.no_machine_store in its log says why): nothing to change",
                      "no-store");
  }
  auto mac = core::Mac::parse(mac_text);
  if (!mac) return json_error(400, std::string(mac_text) + ": not a MAC address (52:54:00:12:34:56)", "bad-mac");
  Change change{.action = Action::reinstall, .mac = *mac, .profile = {}};
  if (action == "done") change.action = Action::done;
  if (profile) change.action = call.method == "PUT" ? Action::assign : Action::unassign;
  if (change.action == Action::assign) {
    auto name = profile_in(call.body);
    if (!name) return json_error(400, name.error(), "bad-body");
    change.profile = std::move(*name);
  }
  http::Answer later;
  later.later = [changes = sources_.changes, change](std::function<void(http::Answer)> respond) {
    changes->apply(change, [change, respond = std::move(respond)](std::expected<Changed, Refused> result) {
      respond(answer_of(change, result));
    });
  };
  return later;
}

}  // namespace pxed::api
