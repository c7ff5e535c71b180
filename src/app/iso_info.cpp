#include "app/iso_info.hpp"

#include <fcntl.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <algorithm>
#include <filesystem>
#include <optional>
#include <ostream>
#include <sstream>

#include "app/image_catalogue.hpp"
#include "boot/inventory.hpp"
#include "boot/render.hpp"
#include "config/config.hpp"
#include "core/net.hpp"
#include "iso/image.hpp"
#include "osid/catalogue.hpp"
#include "osid/load.hpp"
#include "osid/recipe.hpp"
#include "vfs/iso_mount.hpp"

namespace pxed::app {
namespace {

// What the image holds at a path osinfo names: osinfo's paths are the
// Rock Ridge names, and a link (Ubuntu's casper) counts as its target.
struct Member {
  std::string path;
  std::optional<std::uint64_t> size;  // none: not in the image (or a directory)
};

std::optional<Member> member(const iso::Image& image, const std::string& path) {
  if (path.empty()) return std::nullopt;
  Member m{path, std::nullopt};
  if (auto entry = image.resolve(path, iso::FollowLast::yes); entry && !entry->directory) m.size = entry->size;
  return m;
}

std::string kind(const osid::OsMatch& os) {
  if (os.live && os.installer) return "live, installer";
  if (os.live) return "live";
  return os.installer ? "installer" : "neither installer nor live";
}

// How many bytes the UTF-8 sequence at `at` takes, 0 when it is not one
// (RFC 3629 lead and continuation bytes; overlongs are let through, harmless here).
std::size_t utf8_length(std::string_view s, std::size_t at) {
  const auto lead = static_cast<unsigned char>(s[at]);
  const std::size_t n = lead < 0x80            ? 1
                        : (lead >> 5) == 0x06  ? 2
                        : (lead >> 4) == 0x0e  ? 3
                        : (lead >> 3) == 0x1e  ? 4
                                               : 0;
  if (n == 0 || at + n > s.size()) return 0;
  for (std::size_t i = 1; i < n; ++i)
    if ((static_cast<unsigned char>(s[at + i]) & 0xc0) != 0x80) return 0;
  return n;
}


// An empty field is the key alone, with no trailing blanks.
void line(std::ostream& out, std::string_view key, std::string_view value) {
  out << (value.empty() ? fmt::format("{}\n", key) : fmt::format("{:<15} {}\n", key, printable(value)));
}

std::string member_text(const std::optional<Member>& m) {
  if (!m) return "(osinfo names none)";
  return m->size ? fmt::format("{} ({} bytes)", m->path, *m->size) : m->path + " (not in the image)";
}

nlohmann::json member_json(const std::optional<Member>& m) {
  if (!m) return nullptr;
  nlohmann::json j{{"path", m->path}, {"present", m->size.has_value()}};
  if (m->size) j["size"] = *m->size;
  return j;
}

}  // namespace

// A descriptor field is whatever bytes the image holds.
std::string printable(std::string_view value) {
  std::string out;
  for (std::size_t at = 0; at < value.size();) {
    const auto byte = static_cast<unsigned char>(value[at]);
    const std::size_t n = utf8_length(value, at);
    if (n == 0 || byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
      ++at;
    } else {
      out.append(value.substr(at, n));
      at += n;
    }
  }
  return out;
}

namespace {

// The image as files.iso_dir serves it (/iso/<name>/), identified, with
// how it boots: its recipe's URLs start with osid::kRecipeBase.
osid::CatalogueEntry served_as_iso_dir(const IsoInfoArgs& args, const iso::Image& image, const osid::Database& db) {
  const auto name = std::filesystem::path(args.image).stem().string();
  osid::CatalogueEntry entry;
  entry.image = osid::facts_of(name, "iso/" + name, args.image, "iso_dir", image);
  auto found = study_image(db, entry.image, image);
  entry.identification = std::move(found.identification);
  entry.recipe = std::move(found.recipe);
  return entry;
}

// iso info reads no config: it shows the entries as a tree with wimboot and
// memdisk gives them, and says what they need (recipe_lines).
const osid::Programs kBothServed{.wimboot = true, .memdisk = true, .root = {}};

std::string base_of(std::string http) {
  while (http.ends_with('/')) http.pop_back();
  return http;
}

// The entry each loader's generated config gives a machine whose profile is
// this image (BIOS for pxelinux, UEFI for syslinux.efi), as `pxed serve` writes it.
void loader_entries(std::ostream& out, const IsoInfoArgs& args, const osid::CatalogueEntry& entry) {
  const std::string profile = std::string(config::kImagePrefix) + entry.image.name;
  config::Config cfg;
  cfg.boot.default_profile = profile;
  boot::Remembered remembered;
  remembered.images[profile] = boot_image(entry, kBothServed);
  // "http://10.0.0.1[:port]": GRUB's TFTP server is that host when it is an address.
  const auto base = base_of(args.http);
  const auto authority = std::string_view(base).substr(std::min(base.size(), base.find("://") + 3));
  const auto server = core::Ipv4::parse(authority.substr(0, authority.find_first_of(":/")));
  const boot::Context context{server.value_or(core::Ipv4{}), base};
  for (auto loader : {boot::Loader::pxelinux, boot::Loader::syslinux_efi, boot::Loader::grub, boot::Loader::ipxe}) {
    boot::ClientFacts facts;
    facts.arch = loader == boot::Loader::pxelinux ? 0 : 7;
    const auto plan = boot::plan_of(boot::match(facts, cfg, &remembered), facts, context, cfg, &remembered);
    bool first = true;
    std::istringstream text(boot::render(loader, plan));
    for (std::string l; std::getline(text, l);) {
      if (l.empty() || l.starts_with('#')) continue;  // the file's own comments: who it was for
      line(out, first ? "entry-" + std::string(boot::to_string(loader)) : "", l);
      first = false;
    }
  }
}

void recipe_lines(std::ostream& out, const nlohmann::json& r) {
  const auto rule = r["rule"].get<std::string>();
  line(out, "boot", r["method"].get<std::string>() + (rule.empty() ? "" : " (" + rule + ")"));
  if (r["method"] != "none") {
    line(out, "boot-kernel", r["kernel"].get<std::string>());
    for (const auto& i : r["initrd"]) {
      line(out, "boot-initrd",
           i.is_string() ? i.get<std::string>()
                         : i["name"].get<std::string>() + " " + i["url"].get<std::string>() +
                               (i.contains("firmware") ? " (" + i["firmware"].get<std::string>() + ")" : ""));
    }
    line(out, "boot-args", r["args"].get<std::string>());
  }
  if (r.contains("memdisk")) line(out, "boot-memdisk", r["memdisk"].get<std::string>() + " (pxelinux on BIOS)");
  // What `pxed serve` needs in its tree to offer the entry (served_with).
  if (r["method"] == "wimboot") {
    line(out, "boot-needs", "wimboot (ipxe.org/wimboot, not packaged by Debian) at files.root/wimboot");
  }
  if (r.contains("memdisk")) {
    line(out, "boot-needs", "memdisk for pxelinux: syslinux-common's ([files] system_loaders) or files.root/memdisk");
  }
  line(out, "boot-reason", r["reason"].get<std::string>());
  for (const auto& c : r["caveats"]) line(out, "boot-caveat", c.get<std::string>());
}

}  // namespace

int iso_info(const IsoInfoArgs& args, std::ostream& out, std::ostream& err) {
  auto opened = vfs::open_image(AT_FDCWD, args.image);
  if (!opened) {
    err << "pxed iso info: " << args.image << ": " << opened.error() << "\n";
    return 1;
  }
  const iso::Image& image = *opened->image;
  std::vector<std::filesystem::path> dirs(args.osinfo_dirs.begin(), args.osinfo_dirs.end());
  const auto db = osid::load_database(dirs.empty() ? osid::default_osinfo_dirs() : dirs);
  // A broken file of osinfo-db costs its own OSes only; say so where the user looks.
  for (const auto& problem : db.problems())
    err << "pxed iso info: osinfo-db: " << problem.source << ": " << problem.message << "\n";

  const auto served = served_as_iso_dir(args, image, db);
  const osid::Identification& id = *served.identification;
  const nlohmann::json recipe = recipe_json(*served.recipe, base_of(args.http));
  std::optional<Member> kernel;
  std::optional<Member> initrd;
  if (id.os) {
    kernel = member(image, id.os->kernel);
    initrd = member(image, id.os->initrd);
  }

  const iso::VolumeInfo none;
  const iso::VolumeInfo& v = image.volume_info() ? *image.volume_info() : none;
  if (args.json) {
    nlohmann::json j{{"image", args.image},
                     {"naming", iso::to_string(image.naming())},
                     {"volume_id", std::string(image.volume_id())}};
    if (image.volume_info()) {
      j["primary_volume"] = {{"system_id", v.system_id},         {"volume_id", v.volume_id},
                             {"volume_set_id", v.volume_set_id}, {"publisher_id", v.publisher_id},
                             {"data_preparer_id", v.data_preparer_id}, {"application_id", v.application_id},
                             {"volume_size", v.volume_size}};
    } else {
      j["primary_volume"] = nullptr;
    }
    j["identified"] = id.os.has_value();
    if (id.os) {
      const auto& os = *id.os;
      j["os"] = {{"id", os.os_id},         {"short_id", os.short_id}, {"name", os.name},
                 {"version", os.version},  {"vendor", os.vendor},     {"family", os.family},
                 {"distro", os.distro},    {"arch", os.arch},         {"variant", os.variant},
                 {"installer", os.installer}, {"live", os.live},      {"kernel", member_json(kernel)},
                 {"initrd", member_json(initrd)}, {"source", os.source}, {"media", os.media_number}};
    } else {
      j["os"] = nullptr;
    }
    j["reason"] = id.reason;
    j["also_matched"] = id.also_matched;
    j["boot"] = recipe;
    j["osinfo_db"] = {{"origin", db.origin()}, {"oses", db.oses().size()}, {"problems", db.problems().size()}};
    // Bytes that are not UTF-8 (a hostile or merely old image) become U+FFFD instead of an exception.
    out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }

  line(out, "image", args.image);
  line(out, "naming", iso::to_string(image.naming()));
  if (image.volume_info()) {
    line(out, "volume-id", v.volume_id);
    line(out, "system-id", v.system_id);
    line(out, "publisher-id", v.publisher_id);
    line(out, "application-id", v.application_id);
    line(out, "preparer-id", v.data_preparer_id);
    line(out, "volume-set-id", v.volume_set_id);
    line(out, "volume-size", std::to_string(v.volume_size));
  } else {
    line(out, "volume-id", std::string(image.volume_id()) + " (UDF)");
  }
  if (!id.os) {
    line(out, "os", "unknown");
    line(out, "reason", id.reason);
    recipe_lines(out, recipe);
    loader_entries(out, args, served);
    return 0;
  }
  const auto& os = *id.os;
  line(out, "os", os.os_id);
  line(out, "short-id", os.short_id);
  line(out, "name", os.name);
  line(out, "version", os.version);
  line(out, "family", os.family + (os.distro.empty() ? "" : " / " + os.distro));
  line(out, "arch", os.arch);
  line(out, "kind", kind(os));
  line(out, "kernel", member_text(kernel));
  line(out, "initrd", member_text(initrd));
  line(out, "rule", id.reason);
  if (!id.also_matched.empty()) {
    std::string others;
    for (const auto& other : id.also_matched) others += (others.empty() ? "" : ", ") + other;
    line(out, "also-matches", others);
  }
  recipe_lines(out, recipe);
  loader_entries(out, args, served);
  return 0;
}

}  // namespace pxed::app
