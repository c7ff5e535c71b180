#pragma once
// `pxed iso list -c pxed.toml`: every image the config serves ([[files.mount]]
// images and files.iso_dir's *.iso) and the OS osinfo-db finds in each, as a
// running pxed's GET /api/v1/images would say, with no server running.
#include <iosfwd>
#include <string>
#include <vector>

namespace pxed::app {

struct IsoListArgs {
  std::string config = "/etc/pxed/pxed.toml";
  bool json = false;
  // osinfo-db directories in override order; empty: osid::default_osinfo_dirs().
  std::vector<std::string> osinfo_dirs;
};

// 0 every image was read (identified or not); 1 one could not be opened
// (serve would refuse a [[files.mount]] one and skip an iso_dir one); 2 the config is wrong.
int iso_list(const IsoListArgs& args, std::ostream& out, std::ostream& err);

}  // namespace pxed::app
