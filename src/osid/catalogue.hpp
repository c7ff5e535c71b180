#pragma once
// Every image pxed serves ([[files.mount]] images and files.iso_dir's) with
// what it is: the facts its volume descriptors gave when it was opened and
// the OS osinfo-db recognises in them. Pure: the service that opens images
// puts them here (app/image_catalogue.cpp), the API, the metrics and
// `pxed iso list` read it. Keyed by URL path, so a replaced image takes its
// predecessor's place and a late answer about the old one is told apart.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "iso/image.hpp"
#include "osid/database.hpp"
#include "osid/identify.hpp"
#include "osid/recipe.hpp"

namespace pxed::osid {

// What one served image is, from its descriptors alone (nothing of its
// directories is read).
struct ImageFacts {
  std::string name;      // "debian-12" for /iso/debian-12/, "centos7" for a mount at /centos7
  std::string url_path;  // "/iso/debian-12/": where its files are, over HTTP and TFTP
  std::string file;      // the image file on the host
  std::string source;    // "iso_dir" or "mount": which part of [files] serves it
  std::uint64_t size = 0;
  std::string format;     // "udf" when served through UDF, else "iso9660"
  std::string naming;     // iso::to_string(naming): "udf", "rock-ridge", "joliet", "iso9660"
  std::string volume_id;  // the name the served naming gives it
  std::optional<iso::VolumeInfo> volume;  // the primary volume descriptor; none on a UDF-only image
};

// Where a catalogue's recipes say pxed's HTTP is: a host that cannot exist
// (RFC 2606), replaced by ${http} or a segment's address when shown.
inline constexpr std::string_view kRecipeBase = "http://pxed.invalid";

// How the image boots when served as `image` says (iso_dir images' files are
// served whole at <url without the final slash>.iso too), read through `files`,
// with wimboot and memdisk at kRecipeBase/wimboot and /memdisk (served_with()
// takes out what the tree does not serve).
Recipe recipe_of(const ImageFacts& image, const std::optional<OsMatch>& os, const ImageFiles& files);

// url_path is the mount point with a slash at each end: "iso/debian-12" -> "/iso/debian-12/".
ImageFacts facts_of(std::string name, std::string_view mount_point, std::string file, std::string source,
                    const iso::Image& image);

// identify() for a served image: a UDF-only image has no primary volume
// descriptor, and osinfo-db's rules read nothing else.
Identification identify_image(const Database& db, const std::optional<iso::VolumeInfo>& volume);

// osinfo's media flags as one word: "installer", "live", "live+installer" or "other".
std::string_view kind_of(const OsMatch& os);

struct CatalogueEntry {
  ImageFacts image;
  // None while osinfo-db is still loading (it loads off the loop after
  // start-up); then the match or why there is none.
  std::optional<Identification> identification;
  // How it boots (recipe_for), worked out with the identification; its URLs
  // start with kRecipeBase, which stands for pxed's HTTP on each segment.
  std::optional<Recipe> recipe;
  // Bumped by every put(): an identification worked out for an earlier
  // version of the image at this URL is not applied to the new one.
  std::uint64_t generation = 0;
};

// The label the metrics count an image under: its OS's short id, or
// "unknown" (not identified, or not yet).
std::string os_label(const CatalogueEntry& entry);

class Catalogue {
 public:
  // Adds the image, or replaces the one at its URL path; returns the new generation.
  std::uint64_t put(ImageFacts image, std::optional<Identification> identification,
                    std::optional<Recipe> recipe = std::nullopt);
  // false when nothing was there.
  bool remove(std::string_view url_path);
  // Records what was found for generation `generation` of url_path; false
  // (and nothing changes) when the image was replaced or removed meanwhile.
  bool identified(std::string_view url_path, std::uint64_t generation, Identification identification,
                  std::optional<Recipe> recipe = std::nullopt);

  const CatalogueEntry* find(std::string_view url_path) const;
  // By URL path.
  std::vector<const CatalogueEntry*> entries() const;
  // Those still waiting for osinfo-db.
  std::vector<const CatalogueEntry*> unidentified() const;
  // Images per os_label(); a label that drops to none is absent.
  std::map<std::string, std::size_t> count_by_os() const;
  std::size_t size() const { return entries_.size(); }

 private:
  std::map<std::string, CatalogueEntry, std::less<>> entries_;
  std::uint64_t next_generation_ = 1;
};

}  // namespace pxed::osid
