#include "app/iso_list.hpp"

#include <fcntl.h>

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <ostream>
#include <system_error>

#include "app/image_catalogue.hpp"
#include "app/iso_info.hpp"
#include "config/config.hpp"
#include "osid/catalogue.hpp"
#include "osid/load.hpp"
#include "vfs/iso_dir.hpp"
#include "vfs/iso_mount.hpp"
#include "vfs/path.hpp"

namespace pxed::app {
namespace {

struct Listed {
  osid::Catalogue catalogue;
  bool failed = false;
};

void add(Listed& listed, std::string name, std::string_view mount_point, const std::filesystem::path& file,
         std::string source, std::ostream& err) {
  auto opened = vfs::open_image(AT_FDCWD, file);
  if (!opened) {
    err << "pxed iso list: " << file.string() << ": " << opened.error()
        << (source == "mount" ? " (pxed serve refuses to start)" : " (pxed serve skips it)") << "\n";
    listed.failed = true;
    return;
  }
  listed.catalogue.put(osid::facts_of(std::move(name), mount_point, file.string(), std::move(source), *opened->image),
                       std::nullopt);
}

// The *.iso files pxed serve would mount from dir, in name order.
std::vector<std::string> iso_dir_files(const std::filesystem::path& dir, std::ostream& err, bool& failed) {
  std::vector<std::string> names;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    const auto name = it->path().filename().string();
    std::error_code type_ec;
    if (vfs::image_name_of(name) && it->is_regular_file(type_ec)) names.push_back(name);
  }
  if (ec) {
    err << "pxed iso list: files.iso_dir " << dir.string() << ": " << ec.message() << "\n";
    failed = true;
  }
  std::ranges::sort(names);
  return names;
}

std::string kind_text(const osid::CatalogueEntry& e) {
  return e.identification && e.identification->os ? std::string(osid::kind_of(*e.identification->os)) : "";
}

}  // namespace

int iso_list(const IsoListArgs& args, std::ostream& out, std::ostream& err) {
  auto cfg = config::load(args.config);
  if (!cfg) {
    for (const auto& e : cfg.error()) err << e.to_string() << "\n";
    return 2;
  }
  Listed listed;
  for (const auto& mount : cfg->files.mounts) {
    if (mount.iso.empty()) continue;
    const auto point = vfs::normalize(mount.at);
    if (!point) continue;  // config::load checked it
    add(listed, *point, *point, mount.iso, "mount", err);
  }
  if (!cfg->files.iso_dir.empty()) {
    for (const auto& file : iso_dir_files(cfg->files.iso_dir, err, listed.failed)) {
      const auto name = *vfs::image_name_of(file);
      // A [[files.mount]] at /iso/<name> wins in serve too.
      if (listed.catalogue.find("/" + vfs::iso_mount_point(name) + "/") != nullptr) continue;
      add(listed, name, vfs::iso_mount_point(name), cfg->files.iso_dir / file, "iso_dir", err);
    }
  }

  std::vector<std::filesystem::path> dirs(args.osinfo_dirs.begin(), args.osinfo_dirs.end());
  const auto db = osid::load_database(dirs.empty() ? osid::default_osinfo_dirs() : dirs);
  for (const auto& problem : db.problems())
    err << "pxed iso list: osinfo-db: " << problem.source << ": " << problem.message << "\n";
  for (const auto* entry : listed.catalogue.entries()) {
    listed.catalogue.identified(entry->image.url_path, entry->generation,
                                osid::identify_image(db, entry->image.volume));
  }

  const int status = listed.failed ? 1 : 0;
  if (args.json) {
    nlohmann::json j{{"images", images_json(listed.catalogue)},
                     {"osinfo_db", {{"origin", db.origin()}, {"oses", db.oses().size()}}}};
    out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return status;
  }
  if (listed.catalogue.size() == 0) {
    out << "no images: " << args.config << " has no [[files.mount]] iso and no *.iso in files.iso_dir\n";
    return status;
  }
  const auto row = [&out](std::string_view url, std::string_view os, std::string_view name, std::string_view version,
                          std::string_view arch, std::string_view kind, std::string_view volume) {
    auto text = fmt::format("{:<24} {:<14} {:<28} {:<8} {:<8} {:<14} {}", url, os, name, version, arch, kind, volume);
    while (text.ends_with(' ')) text.pop_back();
    out << text << "\n";
  };
  row("URL", "OS", "NAME", "VERSION", "ARCH", "KIND", "VOLUME");
  std::vector<const osid::CatalogueEntry*> unknown;
  for (const auto* e : listed.catalogue.entries()) {
    const auto& os = e->identification ? e->identification->os : std::nullopt;
    if (!os) unknown.push_back(e);
    row(e->image.url_path, osid::os_label(*e), os ? os->name : "", os ? os->version : "", os ? os->arch : "",
        kind_text(*e), printable(e->image.volume_id));
  }
  for (const auto* e : unknown) out << "\n" << e->image.url_path << ": " << e->identification->reason << "\n";
  return status;
}

}  // namespace pxed::app
