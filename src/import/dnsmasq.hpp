#pragma once
// `pxed import dnsmasq`: a dnsmasq configuration (DHCP or ProxyDHCP plus TFTP,
// as every PXE how-to writes it) turned into pxed.toml text, with a note for
// every line pxed.toml cannot say, or says only approximately. Pure: the
// caller hands in file reading (dnsmasq_conf.hpp) and writes the result.
#include <expected>
#include <string>
#include <vector>

#include "import/dnsmasq_conf.hpp"
#include "import/loop_mounts.hpp"

namespace pxed::import {

struct DnsmasqImport {
  std::string toml;         // a whole pxed.toml, the notes repeated as comments at its end
  std::vector<Note> notes;  // in the order of the lines they are about
};

struct ImportInputs {
  std::string dnsmasq;  // the dnsmasq configuration
  std::string nginx;    // the nginx configuration serving the same files over HTTP; empty: none
  // The machine's ISO images mounted with -o loop: such a directory in the
  // tree becomes a [[files.mount]] of the image.
  std::vector<LoopMount> loop_mounts;
};

// Fails only when the dnsmasq or nginx file itself cannot be read (or nginx's is malformed).
std::expected<DnsmasqImport, std::string> import_dnsmasq(const ImportInputs& inputs, const ConfSources& sources);

inline std::expected<DnsmasqImport, std::string> import_dnsmasq(const std::string& path, const ConfSources& sources) {
  return import_dnsmasq(ImportInputs{path, {}, {}}, sources);
}

}  // namespace pxed::import
