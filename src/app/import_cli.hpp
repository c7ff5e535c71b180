#pragma once
// `pxed import dnsmasq FILE [--nginx FILE] [--fstab FILE] [-o OUT] [--force]`: the translator's file reading
// and writing (import/dnsmasq.hpp decides what pxed.toml says).
#include <iosfwd>
#include <string>

namespace pxed::app {

struct ImportArgs {
  std::string file;    // the dnsmasq configuration
  std::string nginx;   // --nginx: the nginx configuration serving the same files; empty: none
  // --fstab: where loop-mounted ISO images are listed (another machine's copy, say);
  // /etc/fstab by default, whose absence is no error. The live mounts count too.
  std::string fstab;
  std::string output;  // empty: standard output
  bool force = false;  // overwrite output if it exists
};

// Writes the TOML, prints every note on `err`. Exit 0, 1 when FILE (or OUT)
// cannot be read (written), 2 when OUT exists and --force was not given.
int import_dnsmasq(const ImportArgs& args, std::ostream& out, std::ostream& err);

}  // namespace pxed::app
