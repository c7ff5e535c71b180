#pragma once
// Which OS an ISO image holds, decided from its primary volume descriptor
// alone (no file of the image is read) against osinfo-db's media rules, with
// the reason: which rule matched, or why none did. Pure.
#include <optional>
#include <string>
#include <vector>

#include "iso/image.hpp"
#include "osid/database.hpp"

namespace pxed::osid {

// What the matched OS and media entry say. Copied out of the Database so an
// Identification outlives a reload.
struct OsMatch {
  std::string os_id;  // "http://debian.org/debian/11"
  std::string short_id;
  std::string name;
  std::string version;
  std::string vendor;
  std::string family;  // "linux", "winnt", ...: with distro, what a boot recipe keys on
  std::string distro;  // "debian", "ubuntu", "fedora", "rhel", "centos", "win", ...
  std::string arch;    // the media entry's, osinfo's names ("x86_64")
  std::string variant;
  bool installer = true;
  bool live = false;
  std::string kernel;  // inside the image, as osinfo names them; "" when it names none
  std::string initrd;
  std::string source;  // the osinfo-db file
  std::size_t media_number = 0;
};

struct Identification {
  std::optional<OsMatch> os;  // none: unknown, and `reason` says why
  // Matched: `volume-id "Debian 11.5.0 amd64 n" ~ /Debian 11.\d+.\d+ amd64 n/
  // (http://debian.org/debian/11 media #1, /usr/share/osinfo/os/debian.org/debian-11.xml)`.
  std::string reason;
  // Other OSes whose rules match too (osinfo-db's order decided): shown so a
  // surprising answer can be traced.
  std::vector<std::string> also_matched;
};

// osinfo_db_identify_media()'s rule: a media entry matches when it names at
// least one of volume-id, system-id, publisher-id, application-id or
// volume-size, and every one it names matches (patterns searched, size
// equal). pxed's order among matches: the first in database order (file
// path) wins, except that OSes whose release-status is "rolling" (Arch,
// Gentoo, CentOS Stream, ...) count only when no other OS matched. An empty descriptor field never matches a
// pattern, and an image without a volume id is unknown, as libosinfo has it.
// Unlike libosinfo, an image without an El Torito boot record is identified
// too: a network boot reads the image's files, never its boot record.
Identification identify(const Database& db, const iso::VolumeInfo& volume);

}  // namespace pxed::osid
