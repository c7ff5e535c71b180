#pragma once
// `pxed iso ls IMAGE [PATH]`: what pxed sees inside an ISO image, without mounting it.
#include <ostream>
#include <string>

namespace pxed::iso {

// Prints the naming in use, then one `ls -l`-like line per entry, directories
// first, each group sorted by name. Returns 0, or 1 after writing the error to `err`.
int iso_ls(const std::string& image_path, const std::string& path, std::ostream& out,
           std::ostream& err);

}  // namespace pxed::iso
