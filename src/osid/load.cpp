#include "osid/load.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <fstream>
#include <iterator>
#include <map>
#include <system_error>

namespace pxed::osid {
namespace {

std::filesystem::path env_or(const char* name, std::filesystem::path fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::filesystem::path(value) : fallback;
}

std::filesystem::path user_dir() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0')
    return std::filesystem::path(xdg) / "osinfo";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
    return std::filesystem::path(home) / ".config/osinfo";
  return {};
}

// osinfo-db's layout: os/<vendor>/<name>.xml, and os/<vendor>/<name>.d/*.xml
// adding to it (Windows' drivers). The key sorts each such file right after
// the one it adds to, so that one's values stay the OS's.
std::string load_order_key(const std::filesystem::path& relative) {
  const auto parent = relative.parent_path();
  if (parent.extension() == ".d") {
    auto master = parent.parent_path() / parent.stem();
    return master.string() + ".xml\x01" + relative.filename().string();
  }
  return relative.string();
}

}  // namespace

std::vector<std::filesystem::path> default_osinfo_dirs() {
  std::vector<std::filesystem::path> dirs{env_or("OSINFO_SYSTEM_DIR", "/usr/share/osinfo"),
                                          env_or("OSINFO_LOCAL_DIR", "/etc/osinfo")};
  if (auto user = env_or("OSINFO_USER_DIR", user_dir()); !user.empty()) dirs.push_back(user);
  return dirs;
}

Database load_database(const std::vector<std::filesystem::path>& dirs) {
  Database db;
  std::string origin;
  // Relative path -> the file of the last directory that has it: the way
  // `osinfo-db-import --local` updates a file of the system's database.
  std::map<std::string, std::filesystem::path> files;
  for (const auto& dir : dirs) {
    std::error_code ec;
    const auto os_dir = dir / "os";
    if (!std::filesystem::is_directory(os_dir, ec)) continue;
    origin += (origin.empty() ? "" : ", ") + dir.string();
    for (auto it = std::filesystem::recursive_directory_iterator(os_dir, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      std::error_code type_ec;
      if (it->path().extension() != ".xml" || !it->is_regular_file(type_ec)) continue;
      files[load_order_key(it->path().lexically_relative(os_dir))] = it->path();
    }
    // What was listed before the error still loads; the rest is named.
    if (ec) db.add_problem({os_dir.string(), "cannot be listed whole: " + ec.message()});
  }
  for (const auto& [key, file] : files) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (ec || size > kMaxOsinfoFileBytes) {
      db.add_problem({file.string(), ec ? ec.message()
                                        : "over " + std::to_string(kMaxOsinfoFileBytes) + " bytes; skipped"});
      continue;
    }
    std::ifstream in(file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in && !in.eof()) {
      db.add_problem({file.string(), "cannot be read; skipped"});
      continue;
    }
    // The whole path: a reason or a problem then says which directory's copy it was.
    db.add_document(text, file.string());
  }
  db.set_origin(origin);
  return db;
}

}  // namespace pxed::osid
