// Feeds arbitrary bytes to the boot-menu parsers as syslinux and GRUB text, and
// to recipe_for as an unknown image's menus (an INCLUDE of itself included):
// whatever comes out must be an entry a loader can be given, never a throw.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "osid/boot_config.hpp"
#include "osid/recipe.hpp"

namespace {

using namespace pxed::osid;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

void check(const BootConfig& config) {
  require(config.entries.empty() ? config.default_entry == 0 : config.default_entry < config.entries.size());
  for (const auto& entry : config.entries) require(!entry.kernel.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const IncludeReader include = [&](std::string_view) -> std::optional<std::string> { return text; };
  check(parse_syslinux(text, "isolinux/isolinux.cfg", include));
  check(parse_grub(text, "boot/grub/grub.cfg"));

  FileSet files{"isolinux/vmlinuz", "isolinux/initrd.img", "casper/vmlinuz", "boot/k", "live/filesystem.squashfs"};
  files.add("isolinux/isolinux.cfg", text).add("boot/grub/loopback.cfg", text);
  const ImageSource image{"http://10.0.0.1/iso/x/", "http://10.0.0.1/iso/x.iso", size, ""};
  const Recipe r = recipe_for(std::nullopt, image, files);
  require(!r.reason.empty());
  // A URL is one word of the command line.
  require(r.kernel.find(' ') == std::string::npos);
  for (const auto& initrd : r.initrd) require(initrd.url.find(' ') == std::string::npos);
  if (r.method == BootMethod::linux) require(r.kernel.starts_with("http://10.0.0.1/iso/x/"));
  return 0;
}
