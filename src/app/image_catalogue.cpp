#include "app/image_catalogue.hpp"

#include <atomic>
#include <nlohmann/json.hpp>
#include <set>
#include <stop_token>
#include <string>
#include <utility>

#include "app/tree_check.hpp"
#include "core/worker_pool.hpp"
#include "events/bus.hpp"
#include "osid/iso_files.hpp"
#include "osid/load.hpp"
#include "vfs/path.hpp"
#include "vfs/tree.hpp"

namespace pxed::app {
namespace {

using nlohmann::json;

// "/iso/debian-12/" -> "/iso/debian-12", as iso.added's `at` says it.
std::string at_of(const std::string& url_path) {
  return url_path.size() > 1 && url_path.ends_with('/') ? url_path.substr(0, url_path.size() - 1) : url_path;
}

// A recipe's URL (or command line) with osid::kRecipeBase as http says.
std::string rebased(std::string text, std::string_view http = "${http}") {
  for (auto i = text.find(osid::kRecipeBase); i != std::string::npos; i = text.find(osid::kRecipeBase, i)) {
    text.replace(i, osid::kRecipeBase.size(), http);
    i += http.size();
  }
  return text;
}

}  // namespace

Study study_image(const osid::Database& db, const osid::ImageFacts& facts, const iso::Image& image) {
  Study s{osid::identify_image(db, facts.volume), {}};
  const osid::IsoImageFiles files(image, image.reader());
  s.recipe = osid::recipe_of(facts, s.identification.os, files);
  return s;
}

struct ImageCatalogue::State {
  explicit State(events::Bus& b) : bus(b) {}

  events::Bus& bus;
  osid::Catalogue catalogue;
  // Stored once on the loop when the load is done; workers read it in study().
  std::atomic<std::shared_ptr<const osid::Database>> db;
  core::WorkerPool* pool = nullptr;
  // (url path, generation) a worker identifies now: each is asked once.
  std::set<std::pair<std::string, std::uint64_t>> identifying;
  // Each image served, by URL path, for the worker that reads its boot menus.
  std::map<std::string, std::shared_ptr<const iso::Image>, std::less<>> images;
  std::function<void(const osid::Catalogue&)> changed;
  osid::Programs programs;

  void tell() const {
    if (changed) changed(catalogue);
  }

  // On the loop: every image still without an answer goes to a worker, now
  // that osinfo-db is there (matching thousands of patterns is no loop work).
  void identify_waiting() {
    auto loaded = db.load();
    if (!loaded || pool == nullptr) return;
    for (const auto* entry : catalogue.unidentified()) {
      auto key = std::pair{entry->image.url_path, entry->generation};
      if (!identifying.insert(key).second) continue;
      auto image = images.find(entry->image.url_path);
      if (image == images.end()) continue;
      pool->submit(
          [loaded, facts = entry->image, image = image->second](std::stop_token) {
            return study_image(*loaded, facts, *image);
          },
          [this, key](Study found) {
            identifying.erase(key);
            const auto identification = found.identification;
            if (!catalogue.identified(key.first, key.second, std::move(found.identification),
                                      std::move(found.recipe))) {
              return;  // replaced or gone meanwhile
            }
            tell();
            const auto* entry = catalogue.find(key.first);
            events::Event event{events::Kind::iso_identified};
            event.add("path", entry->image.file).add("at", at_of(entry->image.url_path)).add("source", entry->image.source);
            add_os_fields(event, identification);
            bus.emit(std::move(event));
          });
    }
  }
};

ImageCatalogue::ImageCatalogue(events::Bus& bus) : state_(std::make_unique<State>(bus)) {}
ImageCatalogue::~ImageCatalogue() = default;

void ImageCatalogue::add_mount(std::string_view at, const std::filesystem::path& file,
                               std::shared_ptr<const iso::Image> image) {
  const auto point = vfs::normalize(at);
  if (!point || point->empty() || !image) return;  // the tree refused it before we are asked
  auto facts = osid::facts_of(*point, *point, file.string(), "mount", *image);
  state_->images.insert_or_assign(facts.url_path, std::move(image));
  state_->catalogue.put(std::move(facts), std::nullopt);
  state_->tell();
  state_->identify_waiting();
}

void ImageCatalogue::load_osinfo(core::WorkerPool& pool, std::vector<std::filesystem::path> dirs) {
  state_->pool = &pool;
  pool.submit(
      [dirs = std::move(dirs)](std::stop_token) {
        return std::shared_ptr<const osid::Database>(std::make_shared<osid::Database>(osid::load_database(dirs)));
      },
      [state = state_.get()](std::shared_ptr<const osid::Database> loaded) {
        state->db.store(std::move(loaded));
        state->identify_waiting();
      });
}

vfs::ImageObserver::Served ImageCatalogue::study(std::string_view name, std::string_view at,
                                                 const std::filesystem::path& file,
                                                 const vfs::OpenedImage& image) const {
  auto facts = osid::facts_of(std::string(name), at, file.string(), "iso_dir", *image.image);
  std::optional<Study> found;
  if (auto loaded = state_->db.load()) found = study_image(*loaded, facts, *image.image);
  return [state = state_.get(), facts = std::move(facts), found = std::move(found),
          served = image.image](events::Event& event) {
    state->images.insert_or_assign(facts.url_path, served);
    if (!found) {
      state->catalogue.put(facts, std::nullopt);
      state->tell();
      state->identify_waiting();  // osinfo-db arrived after this worker looked
      return;
    }
    state->catalogue.put(facts, found->identification, found->recipe);
    state->tell();
    add_os_fields(event, found->identification);
  };
}

void ImageCatalogue::gone(std::string_view at) {
  const std::string url_path = "/" + std::string(at) + "/";
  state_->catalogue.remove(url_path);
  if (auto it = state_->images.find(url_path); it != state_->images.end()) state_->images.erase(it);
  state_->tell();
}

void ImageCatalogue::on_change(std::function<void(const osid::Catalogue&)> changed) {
  state_->changed = std::move(changed);
  state_->tell();
}

const osid::Catalogue& ImageCatalogue::catalogue() const { return state_->catalogue; }

void ImageCatalogue::set_programs(osid::Programs programs) {
  if (programs == state_->programs) return;
  state_->programs = std::move(programs);
  state_->tell();
}

const osid::Programs& ImageCatalogue::programs() const { return state_->programs; }

std::shared_ptr<const osid::Database> ImageCatalogue::database() const { return state_->db.load(); }

json image_json(const osid::CatalogueEntry& entry, const osid::Programs& served) {
  const auto& f = entry.image;
  json j{{"name", f.name},     {"url", f.url_path},   {"file", f.file},     {"source", f.source},
         {"size", f.size},     {"format", f.format},  {"naming", f.naming}, {"volume_id", f.volume_id}};
  if (!entry.identification) {
    j["state"] = "pending";
    j["os"] = nullptr;
    j["reason"] = "osinfo-db is still loading";
    j["also_matched"] = json::array();
    j["boot"] = nullptr;
    return j;
  }
  const auto& id = *entry.identification;
  j["state"] = id.os ? "identified" : "unknown";
  if (id.os) {
    const auto& os = *id.os;
    j["os"] = {{"id", os.os_id},         {"short_id", os.short_id},
               {"name", os.name},        {"version", os.version},
               {"vendor", os.vendor},    {"family", os.family},
               {"distro", os.distro},    {"arch", os.arch},
               {"variant", os.variant},  {"kind", osid::kind_of(os)},
               {"installer", os.installer}, {"live", os.live},
               {"kernel", os.kernel},    {"initrd", os.initrd},
               {"osinfo_file", os.source}, {"media", os.media_number}};
  } else {
    j["os"] = nullptr;
  }
  j["reason"] = id.reason;
  j["also_matched"] = id.also_matched;
  j["boot"] = entry.recipe ? recipe_json(osid::served_with(*entry.recipe, served)) : json(nullptr);
  return j;
}

json recipe_json(const osid::Recipe& r, std::string_view http) {
  auto at = [&](std::string text) { return rebased(std::move(text), http); };
  json initrds = json::array();
  for (const auto& i : r.initrd) {
    if (i.name.empty()) {
      initrds.push_back(at(i.url));
      continue;
    }
    json named{{"url", at(i.url)}, {"name", i.name}};
    if (i.firmware != osid::Firmware::any) named["firmware"] = osid::to_string(i.firmware);
    initrds.push_back(std::move(named));
  }
  json j{{"method", osid::to_string(r.method)}, {"label", r.label},     {"kernel", at(r.kernel)},
         {"initrd", initrds},                     {"args", at(r.args)},   {"firmware", osid::to_string(r.firmware)},
         {"rule", r.rule},                        {"reason", r.reason},   {"caveats", r.caveats}};
  if (!r.memdisk.empty()) j["memdisk"] = at(r.memdisk);
  return j;
}

namespace {

boot::ImageProfile::Firmware profile_firmware(osid::Firmware f) {
  return f == osid::Firmware::bios  ? boot::ImageProfile::Firmware::bios
         : f == osid::Firmware::efi ? boot::ImageProfile::Firmware::efi
                                    : boot::ImageProfile::Firmware::any;
}

}  // namespace

boot::ImageProfile boot_image(const osid::CatalogueEntry& entry, const osid::Programs& served) {
  boot::ImageProfile p;
  p.name = entry.image.name;
  p.label = p.name;
  if (!entry.identification || !entry.recipe) {
    p.unbootable = "osinfo-db is still loading";
    return p;
  }
  const auto r = osid::served_with(*entry.recipe, served);
  if (!r.label.empty()) p.label = r.label;
  p.rule = r.rule;
  switch (r.method) {
    case osid::BootMethod::linux:
    case osid::BootMethod::memdisk: break;
    case osid::BootMethod::sanboot:
      p.method = boot::ImageProfile::Method::sanboot;
      p.kernel = rebased(r.kernel);  // the image's own URL
      p.memdisk = rebased(r.memdisk);
      return p;
    case osid::BootMethod::wimboot:
      p.method = boot::ImageProfile::Method::wimboot;
      p.kernel = rebased(r.kernel);
      for (const auto& i : r.initrd) p.files.push_back({rebased(i.url), i.name, profile_firmware(i.firmware)});
      return p;
    case osid::BootMethod::none: p.unbootable = r.reason.empty() ? "no way to boot it is known" : r.reason; return p;
  }
  p.kernel = rebased(r.kernel);
  for (const auto& i : r.initrd) p.initrd.push_back(rebased(i.url));
  p.append = rebased(r.args);
  p.firmware = profile_firmware(r.firmware);
  return p;
}

boot::Images boot_images(const osid::Catalogue& catalogue, const osid::Programs& served) {
  boot::Images images;
  for (const auto* entry : catalogue.entries()) {
    auto profile = boot_image(*entry, served);
    images.insert_or_assign(std::string(config::kImagePrefix) + profile.name, std::move(profile));
  }
  return images;
}

json images_json(const osid::Catalogue& catalogue, const osid::Programs& served) {
  json list = json::array();
  for (const auto* entry : catalogue.entries()) list.push_back(image_json(*entry, served));
  return list;
}

osid::Programs programs_of(const config::Config& cfg) {
  osid::Programs found;
  found.root = cfg.files.root.string();
  if (cfg.files.root.empty()) return found;
  auto tree = vfs::Tree::open_root(cfg.files.root);
  if (!tree) return found;
  tree->set_system_files(open_system_files(cfg));
  found.wimboot = tree->open(osid::kWimbootName).has_value();
  found.memdisk = tree->open(osid::kMemdiskName).has_value();
  return found;
}

void add_os_fields(events::Event& event, const osid::Identification& identification) {
  if (!identification.os) {
    event.add("os", "unknown").add("os_reason", identification.reason);
    return;
  }
  const auto& os = *identification.os;
  event.add("os", os.short_id.empty() ? os.os_id : os.short_id)
      .add("os_name", os.name)
      .add("os_version", os.version)
      .add("os_arch", os.arch)
      .add("os_kind", osid::kind_of(os));
}

}  // namespace pxed::app
