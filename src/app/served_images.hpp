#pragma once
// The images a config serves and what each is, read in this process with no
// server running: what `pxed iso list` shows and `pxed lookup` decides with.
// (A running pxed keeps its own catalogue, off its loop: app/image_catalogue.hpp.)
#include <filesystem>
#include <iosfwd>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "osid/catalogue.hpp"

namespace pxed::app {

struct ServedImages {
  osid::Catalogue catalogue;  // every image identified, with its recipe
  bool failed = false;        // an image could not be opened, or files.iso_dir read
  std::string osinfo_origin;  // where osinfo-db was read from
  std::size_t oses = 0;       // how many OSes it knows
  osid::Programs programs;    // wimboot and memdisk, as serve would find them in the tree
};

// [[files.mount]] images, then files.iso_dir's *.iso (a mount at /iso/<name>
// wins, as in serve), identified with osinfo-db from osinfo_dirs (empty: the
// system's). Problems go to err, each starting with `command`.
ServedImages read_served_images(const config::Config& cfg, const std::vector<std::filesystem::path>& osinfo_dirs,
                                std::string_view command, std::ostream& err);

}  // namespace pxed::app
