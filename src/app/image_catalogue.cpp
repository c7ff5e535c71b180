#include "app/image_catalogue.hpp"

#include <atomic>
#include <nlohmann/json.hpp>
#include <set>
#include <stop_token>
#include <string>
#include <utility>

#include "core/worker_pool.hpp"
#include "events/bus.hpp"
#include "osid/load.hpp"
#include "vfs/path.hpp"

namespace pxed::app {
namespace {

using nlohmann::json;

// "/iso/debian-12/" -> "/iso/debian-12", as iso.added's `at` says it.
std::string at_of(const std::string& url_path) {
  return url_path.size() > 1 && url_path.ends_with('/') ? url_path.substr(0, url_path.size() - 1) : url_path;
}

}  // namespace

struct ImageCatalogue::State {
  explicit State(events::Bus& b) : bus(b) {}

  events::Bus& bus;
  osid::Catalogue catalogue;
  // Stored once on the loop when the load is done; workers read it in study().
  std::atomic<std::shared_ptr<const osid::Database>> db;
  core::WorkerPool* pool = nullptr;
  // (url path, generation) a worker identifies now: each is asked once.
  std::set<std::pair<std::string, std::uint64_t>> identifying;

  // On the loop: every image still without an answer goes to a worker, now
  // that osinfo-db is there (matching thousands of patterns is no loop work).
  void identify_waiting() {
    auto loaded = db.load();
    if (!loaded || pool == nullptr) return;
    for (const auto* entry : catalogue.unidentified()) {
      auto key = std::pair{entry->image.url_path, entry->generation};
      if (!identifying.insert(key).second) continue;
      pool->submit(
          [loaded, volume = entry->image.volume](std::stop_token) { return osid::identify_image(*loaded, volume); },
          [this, key](osid::Identification identification) {
            identifying.erase(key);
            if (!catalogue.identified(key.first, key.second, identification)) return;  // replaced or gone meanwhile
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

void ImageCatalogue::add_mount(std::string_view at, const std::filesystem::path& file, const iso::Image& image) {
  const auto point = vfs::normalize(at);
  if (!point || point->empty()) return;  // the tree refused it before we are asked
  state_->catalogue.put(osid::facts_of(*point, *point, file.string(), "mount", image), std::nullopt);
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
  std::optional<osid::Identification> identification;
  if (auto loaded = state_->db.load()) identification = osid::identify_image(*loaded, facts.volume);
  return [state = state_.get(), facts = std::move(facts), identification](events::Event& event) {
    state->catalogue.put(facts, identification);
    if (identification) add_os_fields(event, *identification);
    else state->identify_waiting();  // osinfo-db arrived after this worker looked
  };
}

void ImageCatalogue::gone(std::string_view at) { state_->catalogue.remove("/" + std::string(at) + "/"); }

const osid::Catalogue& ImageCatalogue::catalogue() const { return state_->catalogue; }

std::shared_ptr<const osid::Database> ImageCatalogue::database() const { return state_->db.load(); }

json image_json(const osid::CatalogueEntry& entry) {
  const auto& f = entry.image;
  json j{{"name", f.name},     {"url", f.url_path},   {"file", f.file},     {"source", f.source},
         {"size", f.size},     {"format", f.format},  {"naming", f.naming}, {"volume_id", f.volume_id}};
  if (!entry.identification) {
    j["state"] = "pending";
    j["os"] = nullptr;
    j["reason"] = "osinfo-db is still loading";
    j["also_matched"] = json::array();
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
  return j;
}

json images_json(const osid::Catalogue& catalogue) {
  json list = json::array();
  for (const auto* entry : catalogue.entries()) list.push_back(image_json(*entry));
  return list;
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
