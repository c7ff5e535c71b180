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
#include "app/served_images.hpp"
#include "config/config.hpp"
#include "osid/catalogue.hpp"
#include "osid/load.hpp"
#include "vfs/iso_dir.hpp"
#include "vfs/iso_mount.hpp"
#include "vfs/path.hpp"

namespace pxed::app {
namespace {

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
  std::vector<std::filesystem::path> dirs(args.osinfo_dirs.begin(), args.osinfo_dirs.end());
  auto listed = read_served_images(*cfg, dirs, "pxed iso list", err);

  const int status = listed.failed ? 1 : 0;
  if (args.json) {
    nlohmann::json j{{"images", images_json(listed.catalogue, listed.programs)},
                     {"osinfo_db", {{"origin", listed.osinfo_origin}, {"oses", listed.oses}}}};
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
