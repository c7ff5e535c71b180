#pragma once
// pxed's own calls under kActionPrefix (an installer's "done"), answered by
// app; the file tree never sees these paths. Kept free of Beast so app can
// hand them in without compiling it.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "vfs/generated.hpp"

namespace pxed::http {

inline constexpr std::string_view kActionPrefix = "/pxed/";

struct ActionResult {
  unsigned status = 200;
  std::string body;    // text/plain
  std::string reason;  // for the access log
};

using Actions = std::function<std::optional<ActionResult>(std::string_view path, std::string_view query,
                                                          const vfs::Requester& who)>;

}  // namespace pxed::http
