#include "app/served_images.hpp"

#include <fcntl.h>

#include <algorithm>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <system_error>

#include "app/image_catalogue.hpp"
#include "osid/load.hpp"
#include "vfs/iso_dir.hpp"
#include "vfs/iso_mount.hpp"
#include "vfs/path.hpp"

namespace pxed::app {
namespace {

// The *.iso files serve would mount from dir, in name order.
std::vector<std::string> iso_dir_files(const std::filesystem::path& dir, std::string_view command, std::ostream& err,
                                       bool& failed) {
  std::vector<std::string> names;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    const auto name = it->path().filename().string();
    std::error_code type_ec;
    if (vfs::image_name_of(name) && it->is_regular_file(type_ec)) names.push_back(name);
  }
  if (ec) {
    err << command << ": files.iso_dir " << dir.string() << ": " << ec.message() << "\n";
    failed = true;
  }
  std::ranges::sort(names);
  return names;
}

}  // namespace

ServedImages read_served_images(const config::Config& cfg, const std::vector<std::filesystem::path>& osinfo_dirs,
                                std::string_view command, std::ostream& err) {
  ServedImages served;
  std::map<std::string, std::shared_ptr<const iso::Image>> opened;  // by URL path, for the recipes
  auto add = [&](std::string name, std::string_view mount_point, const std::filesystem::path& file,
                 std::string source) {
    auto image = vfs::open_image(AT_FDCWD, file);
    if (!image) {
      err << command << ": " << file.string() << ": " << image.error()
          << (source == "mount" ? " (pxed serve refuses to start)" : " (pxed serve skips it)") << "\n";
      served.failed = true;
      return;
    }
    auto facts = osid::facts_of(std::move(name), mount_point, file.string(), std::move(source), *image->image);
    opened[facts.url_path] = image->image;
    served.catalogue.put(std::move(facts), std::nullopt);
  };
  for (const auto& mount : cfg.files.mounts) {
    if (mount.iso.empty()) continue;
    const auto point = vfs::normalize(mount.at);
    if (!point) continue;  // config::load checked it
    add(*point, *point, mount.iso, "mount");
  }
  if (!cfg.files.iso_dir.empty()) {
    for (const auto& file : iso_dir_files(cfg.files.iso_dir, command, err, served.failed)) {
      const auto name = *vfs::image_name_of(file);
      // A [[files.mount]] at /iso/<name> wins in serve too.
      if (served.catalogue.find("/" + vfs::iso_mount_point(name) + "/") != nullptr) continue;
      add(name, vfs::iso_mount_point(name), cfg.files.iso_dir / file, "iso_dir");
    }
  }
  const auto db = osid::load_database(osinfo_dirs.empty() ? osid::default_osinfo_dirs() : osinfo_dirs);
  for (const auto& problem : db.problems()) err << command << ": osinfo-db: " << problem.source << ": " << problem.message << "\n";
  served.programs = programs_of(cfg);
  served.osinfo_origin = db.origin();
  served.oses = db.oses().size();
  for (const auto* entry : served.catalogue.entries()) {
    auto found = study_image(db, entry->image, *opened.at(entry->image.url_path));
    served.catalogue.identified(entry->image.url_path, entry->generation, std::move(found.identification),
                                std::move(found.recipe));
  }
  return served;
}

}  // namespace pxed::app
