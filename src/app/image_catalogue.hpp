#pragma once
// The image catalogue of a running pxed: every image it serves with the OS
// osinfo-db finds in it (osid/catalogue.hpp is the pure half). osinfo-db is
// read once, on a worker, after start-up; images already served wait for it
// and are identified on a worker when it is there (iso.identified). An image
// that arrives in files.iso_dir later is identified on the worker that opens
// it, so its iso.added says what it is. Nothing here reads a disk on the loop.
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string_view>
#include <vector>

#include "boot/inventory.hpp"
#include "osid/catalogue.hpp"
#include "vfs/image_observer.hpp"

namespace pxed::core {
class WorkerPool;
}

namespace pxed::events {
class Bus;
}

namespace pxed::app {

// What an image is and how it boots (reading its boot menus: worker work in
// serve); `pxed iso info`, `iso list` and `lookup` read images the same way.
struct Study {
  osid::Identification identification;
  osid::Recipe recipe;
};
Study study_image(const osid::Database& db, const osid::ImageFacts& facts, const iso::Image& image);

class ImageCatalogue final : public vfs::ImageObserver {
 public:
  // Declare it before the worker pool: a worker may be inside study() until the pool is gone.
  explicit ImageCatalogue(events::Bus& bus);
  ~ImageCatalogue() override;
  ImageCatalogue(const ImageCatalogue&) = delete;
  ImageCatalogue& operator=(const ImageCatalogue&) = delete;

  // A [[files.mount]] image, at start-up: at as the config spells it ("/centos7").
  void add_mount(std::string_view at, const std::filesystem::path& file, std::shared_ptr<const iso::Image> image);
  // Reads osinfo-db from dirs on the pool, then identifies every image that waits for it.
  void load_osinfo(core::WorkerPool& pool, std::vector<std::filesystem::path> dirs);

  Served study(std::string_view name, std::string_view at, const std::filesystem::path& file,
               const vfs::OpenedImage& image) const override;
  void gone(std::string_view at) override;

  // On the loop.
  const osid::Catalogue& catalogue() const;
  // Called on the loop after every change (an image added, identified,
  // replaced or gone), and once now.
  void on_change(std::function<void(const osid::Catalogue&)> changed);
  // Null until the load is done.
  std::shared_ptr<const osid::Database> database() const;

  // Which of wimboot and memdisk the tree serves now (app/program_watch.hpp
  // tells, on the loop): the images' entries are offered with them. Tells
  // on_change's listener when it differs.
  void set_programs(osid::Programs programs);
  const osid::Programs& programs() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// An image as GET /api/v1/images and `pxed iso list --json` show it (docs/api.md);
// its boot entry's URLs start with ${http}, as it stands with the programs served.
nlohmann::json image_json(const osid::CatalogueEntry& entry, const osid::Programs& served);
nlohmann::json images_json(const osid::Catalogue& catalogue, const osid::Programs& served);
// A boot entry as JSON, osid::kRecipeBase in its URLs replaced by `http`.
nlohmann::json recipe_json(const osid::Recipe& recipe, std::string_view http = "${http}");
// Every image as the inventory's "iso:<name>" profile: its recipe's entry
// with ${http} for pxed's HTTP, as it stands with the programs served
// (osid::served_with), or why it gives none.
boot::Images boot_images(const osid::Catalogue& catalogue, const osid::Programs& served);
boot::ImageProfile boot_image(const osid::CatalogueEntry& entry, const osid::Programs& served);

// What `pxed serve` would find of wimboot and memdisk in cfg's tree (files.root,
// then the system's loaders), for commands without a server: reads the disk.
osid::Programs programs_of(const config::Config& cfg);
// What iso.added, iso.replaced and iso.identified say of the OS (docs/events.md).
void add_os_fields(events::Event& event, const osid::Identification& identification);

}  // namespace pxed::app
