#pragma once
// Reading osinfo-db from disk into a Database: the I/O edge of osid.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "osid/database.hpp"

namespace pxed::osid {

// An osinfo-db file larger than this is refused: the biggest in the
// 2022-11 database is 23 KiB.
inline constexpr std::uintmax_t kMaxOsinfoFileBytes = 8u << 20;

// Where libosinfo looks, in its order: the system database
// ($OSINFO_SYSTEM_DIR, else /usr/share/osinfo, the osinfo-db package), the
// local one ($OSINFO_LOCAL_DIR, else /etc/osinfo: `osinfo-db-import --local`)
// and the user's ($OSINFO_USER_DIR, else $XDG_CONFIG_HOME/osinfo or
// ~/.config/osinfo).
std::vector<std::filesystem::path> default_osinfo_dirs();

// Every os/**/*.xml under the directories, in path order, a <name>.d/*.xml
// right after its <name>.xml; a file of a later directory takes the place of
// the one at the same path in an earlier one. A missing directory adds
// nothing; an unreadable or malformed file is a problem in the result, not a
// failure.
Database load_database(const std::vector<std::filesystem::path>& dirs);

}  // namespace pxed::osid
