#pragma once
// What the family rules (recipe.cpp) and the boot-menu fallback
// (recipe_fallback.cpp) share. Internal to src/osid/recipe*.cpp; callers use
// recipe.hpp.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "osid/recipe.hpp"

namespace pxed::osid::recipe_detail {

struct Context {
  const std::optional<OsMatch>& os;
  ImageSource image;  // base_url ends in '/', both URLs command-line safe
  const ImageFiles& files;
  const RecipeOptions& options;

  std::string url(std::string_view path) const { return url_of(image.base_url, path); }
  // "Ubuntu 22.04 LTS", else the volume id, else "image".
  std::string name() const;
};

// Arguments with the network-install ones inserted before a "---" or "--"
// (what follows those is for the installed system).
std::string with_args(std::string_view args, std::string_view more);

// Whether args has a word starting with prefix ("url=", "boot=live").
bool has_arg(std::string_view args, std::string_view prefix);

// Rule 3: the image's own boot menu; nothing (and why in why_not) when no
// menu gives a Linux entry whose files are in the image.
std::optional<Recipe> from_boot_menu(const Context& context, std::string& why_not);

// Rule 4: sanboot, or memdisk for a small image on BIOS.
Recipe last_resort(const Context& context, std::string why);

}  // namespace pxed::osid::recipe_detail
