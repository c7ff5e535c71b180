#pragma once
// osinfo-db (the OS database virt-install and GNOME Boxes use) as a value:
// every OS with the media rules that recognise its ISO images. The data stays
// the distribution's: pxed reads the installed XML (updatable with
// `osinfo-db-import`) and keeps only what identification needs.
// Parsing is pure (XML text in, values out); load.hpp reads the files.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pxed::osid {

// One <iso> child such as <volume-id>: a regular expression searched for
// anywhere in the descriptor's field, as libosinfo's osinfo_media_matches()
// does with GRegex. `regex` is null when ECMAScript cannot compile the
// pattern; such a rule never matches and the load reports it.
struct Pattern {
  std::string text;
  std::shared_ptr<const std::regex> regex;
  bool search(std::string_view field) const;
};

// One <media> of an OS: what a matching image is and where its kernel is.
struct MediaRule {
  std::size_t number = 0;  // 1-based among the OS's <media>, for reasons
  std::string arch;        // osinfo's names: x86_64, i686, aarch64, ..., or "all"
  std::string variant;     // the first <variant id>, "" when none
  // osinfo's defaults: media is an installer unless installer="false", live
  // only when live="true" (Ubuntu's desktop image is both).
  bool installer = true;
  bool live = false;
  std::optional<Pattern> volume_id;
  std::optional<Pattern> system_id;
  std::optional<Pattern> publisher_id;
  std::optional<Pattern> application_id;
  std::optional<std::uint64_t> volume_size;  // exact bytes
  std::string kernel;  // paths inside the image, "" when the entry names none
  std::string initrd;
};

// One <os>. family and distro are osinfo's own words (family "linux",
// "winnt", "freebsd", ...; distro "debian", "ubuntu", "fedora", "rhel",
// "centos", "opensuse", "alpinelinux", "win", ...): the network-boot
// recipes key on them.
struct Os {
  std::string id;        // "http://ubuntu.com/ubuntu/22.04"
  std::string short_id;  // the first <short-id>: "ubuntu22.04"
  std::string name;      // the untranslated <name>
  std::string version;
  std::string vendor;
  std::string family;
  std::string distro;
  std::string codename;
  std::string release_status;  // "" when absent (released); "rolling" rules match last
  std::string source;          // the file its media came from, for reasons
  std::vector<MediaRule> media;
};

// A file, a pattern or a value osinfo wrote that pxed could not use: the rest
// of the database still loads.
struct LoadProblem {
  std::string source;
  std::string message;
};

class Database {
 public:
  // Parses one osinfo-db XML document (a file under os/). Every <os> in it
  // is added; one with an id already present is merged into it, as
  // libosinfo's loader does: its values replace the earlier ones, its media
  // are added after the earlier ones.
  // A document that is not XML, or has no <libosinfo> root, adds nothing
  // and is listed in problems().
  void add_document(std::string_view xml, std::string_view source);
  // A file the loader could not read.
  void add_problem(LoadProblem problem) { problems_.push_back(std::move(problem)); }

  const std::vector<Os>& oses() const { return oses_; }
  const std::vector<LoadProblem>& problems() const { return problems_; }
  std::size_t media_count() const;
  // Where it was read from ("/usr/share/osinfo, /etc/osinfo"), for messages.
  const std::string& origin() const { return origin_; }
  void set_origin(std::string origin) { origin_ = std::move(origin); }

 private:
  std::vector<Os> oses_;
  std::vector<LoadProblem> problems_;
  std::string origin_;
};

}  // namespace pxed::osid
