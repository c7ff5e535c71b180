#pragma once
// `pxed import dnsmasq`: a dnsmasq configuration (DHCP or ProxyDHCP plus TFTP,
// as every PXE how-to writes it) turned into pxed.toml text, with a note for
// every line pxed.toml cannot say, or says only approximately. Pure: the
// caller hands in file reading (dnsmasq_conf.hpp) and writes the result.
#include <expected>
#include <string>
#include <vector>

#include "import/dnsmasq_conf.hpp"

namespace pxed::import {

struct DnsmasqImport {
  std::string toml;         // a whole pxed.toml, the notes repeated as comments at its end
  std::vector<Note> notes;  // in the order of the lines they are about
};

// Fails only when `path` itself cannot be read.
std::expected<DnsmasqImport, std::string> import_dnsmasq(const std::string& path, const ConfSources& sources);

}  // namespace pxed::import
