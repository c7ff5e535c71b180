// Feeds arbitrary text to `pxed import dnsmasq ... --nginx` as nginx.conf: the
// parser and the translator must never crash, every note must name a line,
// and what is written must be TOML that pxed's parser reads (a root, alias or
// listen from the input lands in quoted strings and comments).
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
      // Every include reads a small site that includes itself again: the
      // include expansion and its loop guard run without the input re-read.
      [&](const std::string& path) -> std::expected<std::string, std::string> {
        if (path == "nginx.conf") return text;
        if (path == "dnsmasq.conf") return std::string("enable-tftp\ntftp-root=/srv/tftp\n");
        return "server { root /srv/tftp; include " + path + "; }\n";
      },
      [](const std::string&) -> std::expected<std::vector<std::string>, std::string> {
        return std::vector<std::string>{"a.conf", "b.conf"};
      }};
  const std::vector<pxed::import::LoopMount> loops{{"/srv/tftp/centos7", "/srv/iso/centos.iso", "/etc/fstab:1", false}};
  auto result = pxed::import::import_dnsmasq(pxed::import::ImportInputs{"dnsmasq.conf", "nginx.conf", loops}, sources);
  if (!result) return 0;  // nginx would reject it too: a syntax error with its line
  for (const auto& n : result->notes) require(n.line >= 1 && !n.why.empty());
  std::istringstream toml_text(result->toml);
  try {
    (void)toml::parse(toml_text, "pxed.toml");
  } catch (const std::exception&) {
    __builtin_trap();
  }
  return 0;
}
