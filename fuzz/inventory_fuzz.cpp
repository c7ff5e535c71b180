// Feeds arbitrary text to the config parser with an inventory in it: it must
// answer with a Config or a list of file:line errors, never crash, and what it
// accepts must be what boot can decide with (every name a rule gives exists).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "boot/boot.hpp"
#include "boot/inventory.hpp"
#include "config/config.hpp"

namespace {

void require(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto cfg = pxed::config::parse(text, "/nonexistent-pxed-fuzz/pxed.toml");
  if (!cfg) {
    require(!cfg.error().empty());
    for (const auto& e : cfg.error()) require(!e.message.empty());
    return 0;
  }
  // A machine the inventory names decides to a declared profile or the built-in local.
  pxed::boot::ClientFacts facts;
  for (const auto& m : cfg->inventory.machines) {
    facts.mac = m.mac.value_or(pxed::core::Mac{});
    facts.uuid = m.uuid;
    auto match = pxed::boot::match(facts, *cfg);
    require(match.profile.empty() || match.profile == pxed::config::kLocalProfile ||
            match.profile.starts_with("iso:") || match.declared != nullptr);
  }
  return 0;
}
