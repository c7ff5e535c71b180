#pragma once
// Which profile the inventory gives a machine, and the rule that says so:
// its [[machine]], else the first [[group]] whose match holds (file order),
// else [boot] default. Then the profile with every ${...} expanded for that
// machine, as the plan a loader's config is rendered from. Pure.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "boot/boot.hpp"
#include "boot/render.hpp"
#include "config/config.hpp"

namespace pxed::boot {

// `once` machines whose install reported done, and when (Unix seconds): they
// boot "local" until asked to install again. The store keeps it; app hands it in.
using Installed = std::map<core::Mac, std::int64_t>;

// A profile given to one machine by hand (the API's PUT .../profile, `pxed
// machines assign`): it takes the place of the inventory's choice until
// unassigned; `once` still applies to it.
struct Assignment {
  std::string profile;
  std::int64_t at = 0;  // Unix seconds
  std::string by;       // "api" or "cli"
};
using Assignments = std::map<core::Mac, Assignment>;

// An image pxed serves, as the profile "iso:<name>": its boot entry as the
// image's recipe gives it (osid::recipe_for), URLs starting with ${http}, so
// each machine gets the address it reached us at.
struct ImageProfile {
  std::string name;   // "debian-12" (files.iso_dir) or "centos7" (a mount at /centos7)
  std::string label;  // what menus show: "Debian 12 (installer)"
  std::string kernel;
  std::vector<std::string> initrd;
  std::string append;
  // Empty: it boots. Else why it has no entry ("identified only by iPXE's
  // sanboot", "osinfo-db is still loading"): menus leave it out and say so.
  std::string unbootable;
  enum class Firmware { any, bios, efi };
  Firmware firmware = Firmware::any;  // memdisk is BIOS only
  // sanboot: iPXE boots the image itself as a disk (kernel is the image's URL);
  // the other loaders list it with the reason, or boot it with memdisk.
  // wimboot: iPXE loads wimboot (kernel) with the image's Windows boot files
  // (files); the other loaders list it with the reason.
  enum class Method { linux, sanboot, wimboot };
  Method method = Method::linux;
  std::string rule;                   // the recipe's rule: "casper", "anaconda", ...
  // wimboot: each file by the name wimboot knows it by, for which firmware.
  struct NamedFile {
    std::string url;
    std::string name;  // "bootmgr", "BCD", "boot.sdi", "boot.wim", ...
    Firmware firmware = Firmware::any;
    bool operator==(const NamedFile&) const = default;
  };
  std::vector<NamedFile> files;
  // sanboot of a small image: memdisk's URL, so pxelinux on BIOS (which
  // cannot sanboot) loads the image with it; empty: not offered.
  std::string memdisk;
};
// By profile name: "iso:debian-12".
using Images = std::map<std::string, ImageProfile, std::less<>>;

// SMBIOS's serial, manufacturer and product, as iPXE reported them ([boot]
// ipxe's default URL asks): answer files see them as {{serial}}, ...
struct Hardware {
  std::string serial, manufacturer, product;
};

// What pxed knows beyond the config that changes a machine's boot, handed to
// every decision: from the machine store, install states, profiles assigned
// by hand and hardware iPXE reported; from the image catalogue, the images it serves.
struct Remembered {
  Installed installed;
  Assignments assigned;
  std::map<core::Mac, Hardware> hardware;  // answer files' values, not decisions
  Images images;
};

struct Match {
  std::string profile;                       // empty: nothing names this machine
  const config::Profile* declared = nullptr; // null for the built-in "local"
  const config::Machine* machine = nullptr;
  const config::Group* group = nullptr;
  // Why, with file:line: "machine db-03 (pxed.toml:19)", "group office (pxed.toml:30)",
  // "[boot] default (pxed.toml:4)".
  std::string rule;
  bool by_default = false;  // only [boot] default applies
  // A `once` machine: its profile until the install reports done, then local.
  bool once = false;
  std::optional<std::int64_t> installed_at;  // once and done: boots "local"
  std::string once_profile;                  // what a reinstall would boot
  const Assignment* assigned = nullptr;      // assigned by hand, and the profile it names exists
  const ImageProfile* image = nullptr;       // an "iso:<name>" profile of an image served now
};

// facts.mac, uuid, arch, vendor class, address (else relay, else segment) are
// matched; a profile assigned to facts.mac takes the place of what they choose.
Match match(const ClientFacts& facts, const config::Config& cfg, const Remembered* remembered = nullptr);

// Whether a profile may be assigned to a machine by hand: one the inventory
// declares (menus too), the built-in "local", or an image's "iso:<name>"
// (images come and go while pxed runs: one not served boots as plan_of says).
bool assignable(std::string_view profile, const config::Config& cfg);

// Whether the profile the match names boots the machine's own disk.
bool boots_locally(const Match& m);

// The DHCP answer with the inventory's say: a machine whose profile is local
// gets no boot offer when [boot] local_boot = "next-device" (plan.none; its
// firmware moves on to its next boot device); everyone else gets resolve()'s.
// A 4011 request names a menu item the machine chose: that is resolve's.
BootPlan decide(const ClientFacts& facts, const config::Config& cfg, const Context& context,
                const Remembered* remembered = nullptr);

// "2026-12-06 21:02:05 UTC" for reasons and lookup.
std::string utc_time(std::int64_t unix_seconds);

// Which step of its boot a machine took by fetching rel (normalized, no
// leading '/'): its first loader, a loader config, its profile's kernel or
// initrd; anything else is `other` (an installer fetching its packages).
enum class Fetched { loader, config, kernel, initrd, other };
Fetched fetched(std::string_view rel, const ClientFacts& facts, const config::Config& cfg, const Context& context,
                const Remembered* remembered = nullptr);

// Whether a group's match holds for these facts (every key given; any value of a list).
bool group_matches(const config::GroupMatch& match, const ClientFacts& facts);

// The machine's values for ${...}: server, http, mac, ip, name, uuid, arch, then
// the profile's vars, overridden by the group's, overridden by the machine's.
config::Vars values_of(const Match& m, const ClientFacts& facts, const Context& context);

// "${name}" replaced by its value; unknown names stay as written (iPXE scripts
// use ${...} of their own).
std::string expand(std::string_view text, const config::Vars& values);

// The profile as a loader will render it: entries, default and timeout, with
// comments saying for whom and by which rule. An image profile boots its
// recipe; one not served (or that cannot boot this firmware) boots local, and
// the comments say why. A menu's "iso:<name>" items are the images served now
// (kAllImages: all of them), those that cannot boot left out with a comment.
RenderPlan plan_of(const Match& m, const ClientFacts& facts, const Context& context,
                   const config::Config& cfg, const Remembered* remembered = nullptr);

}  // namespace pxed::boot
