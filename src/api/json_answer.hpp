#pragma once
// The API's answers: JSON, and an error as {"error": "what, and what to do"}.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "api/changes.hpp"
#include "events/event.hpp"
#include "http/routes.hpp"

namespace pxed::api {

inline http::Answer json_answer(unsigned status, std::string body) {
  return http::Answer{.status = status, .body = std::move(body) + "\n", .content_type = "application/json",
                      .reason = {}, .feed = nullptr};
}

// reason: for the access log (a word, never anything the client sent in a header).
inline http::Answer json_error(unsigned status, std::string_view what, std::string reason) {
  auto a = json_answer(status, nlohmann::json{{"error", what}}.dump());
  a.reason = std::move(reason);
  return a;
}

// RFC 9110 §15.5.6: a 405 says which methods the path takes.
inline http::Answer method_not_allowed(std::string_view method, std::string allow) {
  auto a = json_error(405, std::string(method) + " is not allowed here; this path takes " + allow, "method");
  a.headers.emplace_back("Allow", std::move(allow));
  return a;
}

// What a machine boots, in a machine's answer and a write's.
inline nlohmann::json boot_json(const Boot& b) {
  nlohmann::json assigned = nullptr;
  if (!b.assigned.empty()) {
    assigned = {{"profile", b.assigned}, {"at", events::utc_text(b.assigned_at * 1000)}, {"by", b.assigned_by}};
  }
  return {{"profile", b.profile}, {"rule", b.rule}, {"assigned", std::move(assigned)}};
}

}  // namespace pxed::api
