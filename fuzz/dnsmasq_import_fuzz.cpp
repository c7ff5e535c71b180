// Feeds arbitrary text to `pxed import dnsmasq` as dnsmasq.conf: it must never
// crash, every note must name a line, and what it writes must be TOML that
// pxed's parser reads (escaping is where a user's prompt or label could break
// the file).
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <toml.hpp>

#include "import/dnsmasq.hpp"

namespace {

void require(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  pxed::import::ConfSources sources{
      // Included files are short and include themselves: the input's own
      // includes and the loop guard are exercised without every file re-reading it.
      [&](const std::string& path) -> std::expected<std::string, std::string> {
        if (path == "dnsmasq.conf") return text;
        return "enable-tftp\nconf-file=" + path + "\n";
      },
      [](const std::string&) -> std::expected<std::vector<std::string>, std::string> {
        return std::vector<std::string>{"a.conf", "b.conf"};
      }};
  auto result = pxed::import::import_dnsmasq("dnsmasq.conf", sources);
  require(result.has_value());
  for (const auto& n : result->notes) require(n.line >= 1 && !n.why.empty());
  std::istringstream toml_text(result->toml);
  try {
    (void)toml::parse(toml_text, "pxed.toml");
  } catch (const std::exception&) {
    __builtin_trap();
  }
  return 0;
}
