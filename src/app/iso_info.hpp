#pragma once
// `pxed iso info IMAGE`: what the image's volume descriptor says and which OS
// osinfo-db recognises in it, with the rule that matched or why none did.
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace pxed::app {

struct IsoInfoArgs {
  std::string image;
  bool json = false;
  // osinfo-db directories in override order; empty: osid::default_osinfo_dirs().
  std::vector<std::string> osinfo_dirs;
  // Where pxed's HTTP is, as clients reach it: the boot entry's URLs start
  // with it ("http://SERVER" stands for pxed's address on each segment).
  std::string http = "http://SERVER";
};

// 0 when the image was read (identified or not: "unknown" is an answer);
// 1 when it could not be opened as an image.
int iso_info(const IsoInfoArgs& args, std::ostream& out, std::ostream& err);

// A descriptor field for a terminal: control bytes and bytes that are not
// UTF-8 shown escaped (\x1b), so a hostile image can neither drive the
// terminal nor add lines to what scripts read.
std::string printable(std::string_view value);

}  // namespace pxed::app
