#include "api/token.hpp"

#include <algorithm>
#include <cctype>

namespace pxed::api {

bool equal_in_constant_time(std::string_view a, std::string_view b) {
  // Every byte of b is compared whatever came before: no early exit for a
  // guesser to time. volatile keeps the compiler from adding one.
  volatile unsigned char differ = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < b.size(); ++i) {
    const auto x = i < a.size() ? static_cast<unsigned char>(a[i]) : static_cast<unsigned char>(~b[i]);
    differ = differ | static_cast<unsigned char>(x ^ static_cast<unsigned char>(b[i]));
  }
  return differ == 0;
}

bool Token::admits(std::string_view authorization) const {
  constexpr std::string_view kScheme = "bearer";
  if (secret_.empty() || authorization.size() <= kScheme.size() || authorization[kScheme.size()] != ' ') return false;
  const bool bearer = std::ranges::equal(authorization.substr(0, kScheme.size()), kScheme, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == y;
  });
  auto credentials = authorization.substr(kScheme.size());
  while (!credentials.empty() && credentials.front() == ' ') credentials.remove_prefix(1);
  while (!credentials.empty() && (credentials.back() == ' ' || credentials.back() == '\t')) credentials.remove_suffix(1);
  // The comparison runs whatever the scheme said, so a wrong scheme takes as long.
  const bool same = equal_in_constant_time(credentials, secret_);
  return bearer && same;
}

}  // namespace pxed::api
