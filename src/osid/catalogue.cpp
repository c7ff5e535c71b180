#include "osid/catalogue.hpp"

#include <utility>

namespace pxed::osid {

ImageFacts facts_of(std::string name, std::string_view mount_point, std::string file, std::string source,
                    const iso::Image& image) {
  std::string url_path = "/" + std::string(mount_point);
  if (!url_path.ends_with('/')) url_path += '/';
  return ImageFacts{.name = std::move(name),
                    .url_path = std::move(url_path),
                    .file = std::move(file),
                    .source = std::move(source),
                    .size = image.image_size(),
                    .format = image.naming() == iso::Naming::udf ? "udf" : "iso9660",
                    .naming = std::string(iso::to_string(image.naming())),
                    .volume_id = std::string(image.volume_id()),
                    .volume = image.volume_info()};
}

Identification identify_image(const Database& db, const std::optional<iso::VolumeInfo>& volume) {
  if (volume) return identify(db, *volume);
  Identification none;
  none.reason = "no ISO 9660 primary volume descriptor (a UDF-only image): osinfo-db's rules read that descriptor";
  return none;
}

std::string_view kind_of(const OsMatch& os) {
  if (os.live && os.installer) return "live+installer";
  if (os.live) return "live";
  return os.installer ? "installer" : "other";
}

std::string os_label(const CatalogueEntry& entry) {
  const auto& id = entry.identification;
  if (!id || !id->os || id->os->short_id.empty()) return "unknown";
  return id->os->short_id;
}

std::uint64_t Catalogue::put(ImageFacts image, std::optional<Identification> identification,
                             std::optional<Recipe> recipe) {
  const std::uint64_t generation = next_generation_++;
  std::string key = image.url_path;
  entries_.insert_or_assign(std::move(key), CatalogueEntry{std::move(image), std::move(identification),
                                                           std::move(recipe), generation});
  return generation;
}

Recipe recipe_of(const ImageFacts& image, const std::optional<OsMatch>& os, const ImageFiles& files) {
  std::string file_url;
  if (image.source == "iso_dir") {
    file_url = url_of(kRecipeBase, image.url_path.substr(0, image.url_path.size() - 1)) + ".iso";
  }
  const ImageSource source{.base_url = url_of(kRecipeBase, image.url_path),
                           .image_url = std::move(file_url),
                           .image_size = image.size,
                           .volume_id = image.volume_id};
  // As if wimboot and memdisk were served: whether they are changes while
  // the image stays, and served_with() applies it without reading the image again.
  RecipeOptions options;
  options.wimboot_url = url_of(kRecipeBase, kWimbootName);
  options.memdisk_url = url_of(kRecipeBase, kMemdiskName);
  return recipe_for(os, source, files, options);
}

bool Catalogue::remove(std::string_view url_path) {
  auto it = entries_.find(url_path);
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

bool Catalogue::identified(std::string_view url_path, std::uint64_t generation, Identification identification,
                           std::optional<Recipe> recipe) {
  auto it = entries_.find(url_path);
  if (it == entries_.end() || it->second.generation != generation) return false;
  it->second.identification = std::move(identification);
  it->second.recipe = std::move(recipe);
  return true;
}

const CatalogueEntry* Catalogue::find(std::string_view url_path) const {
  auto it = entries_.find(url_path);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<const CatalogueEntry*> Catalogue::entries() const {
  std::vector<const CatalogueEntry*> out;
  out.reserve(entries_.size());
  for (const auto& [url, entry] : entries_) out.push_back(&entry);
  return out;
}

std::vector<const CatalogueEntry*> Catalogue::unidentified() const {
  std::vector<const CatalogueEntry*> out;
  for (const auto& [url, entry] : entries_)
    if (!entry.identification) out.push_back(&entry);
  return out;
}

std::map<std::string, std::size_t> Catalogue::count_by_os() const {
  std::map<std::string, std::size_t> counts;
  for (const auto& [url, entry] : entries_) ++counts[os_label(entry)];
  return counts;
}

}  // namespace pxed::osid
