#pragma once
// The bearer token the API's writes need ([api] token_file, docs/api.md).
// It is compared in constant time and never leaves this class: not in an
// answer, a log line or an event.
#include <string>
#include <string_view>

namespace pxed::api {

class Token {
 public:
  explicit Token(std::string secret) : secret_(std::move(secret)) {}
  // RFC 6750 §2.1: an Authorization value "Bearer <token>" (the scheme in any
  // case, RFC 9110 §11.1) that names this token.
  bool admits(std::string_view authorization) const;

 private:
  std::string secret_;
};

// Whether a and b are equal, taking the same time for every a of b's length
// (the time says only whether the lengths differ).
bool equal_in_constant_time(std::string_view a, std::string_view b);

}  // namespace pxed::api
