#pragma once
// The config names loaders ask for, and what pxed generates at each. pxelinux
// and syslinux.efi ask pxelinux.cfg/<uuid>, 01-<mac>, the hex IP shortened one
// digit at a time, then default; GRUB grub.cfg-01-<mac>, grub.cfg-<HEX...>,
// then grub.cfg; iPXE a boot.ipxe (or autoexec.ipxe) script. A machine's own
// config is answered at the first name pxed can tie to it; a user's file in
// the tree, at that name or at a more specific one later in the same order,
// wins. Pure: sightings and the config come in, text goes out.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "boot/inventory.hpp"
#include "boot/render.hpp"
#include "boot/sightings.hpp"
#include "config/config.hpp"
#include "core/net.hpp"

namespace pxed::boot {

struct ConfigName {
  enum class Key { uuid, mac, ip, fixed };
  Loader loader = Loader::pxelinux;  // pxelinux stands for syslinux.efi too: same names
  std::string dir;                   // what comes before the loader's names: "", "debian-installer/amd64/"
  Key key = Key::fixed;
  core::Mac mac;
  core::Uuid uuid;
  std::string hex;                   // Key::ip: 1..8 upper-case hex digits
};

// rel is normalized (no leading '/'). nullopt: not a name pxed generates.
std::optional<ConfigName> parse_config_name(std::string_view rel);

// Every name a loader asks, in its order, with dir in front. uuid: pxelinux only.
std::vector<std::string> asked_names(Loader loader, std::string_view dir, const core::Mac& mac,
                                     const std::optional<core::Uuid>& uuid, core::Ipv4 address);

// A request for a generated file, as the file services know it.
struct Asker {
  core::Ipv4 address;  // source address; zero: unknown
  core::Ipv4 local;    // our address it reached
  std::string query;   // HTTP query string: iPXE's "mac=${mac}&uuid=${uuid}"
  // The kernel's neighbour table's MAC for `address`, the last resort when no
  // DHCP exchange showed who has it (app reads /proc/net/arp).
  std::optional<core::Mac> neighbour;
  Reached reached{};   // our address and port as the request reached them: ${http}
};

// The MAC /proc/net/arp holds for address (complete entries only).
std::optional<core::Mac> neighbour_in(std::string_view arp_table, core::Ipv4 address);

struct ConfigFile {
  std::string content;
  std::string why;                    // "for db-03 (by address, lease): machine db-03 (pxed.toml:19) -> profile x"
  std::vector<std::string> yield_to;  // user files that win (vfs::Generation::yield_to)
  Loader loader = Loader::pxelinux;
  ClientFacts facts;                  // the machine it was made for
  Match match;
};

// What pxed generates at rel for who asks, or nullopt (not found).
std::optional<ConfigFile> config_file(std::string_view rel, const Asker& asker, const config::Config& cfg,
                                      const Sightings& sightings, const Remembered* remembered = nullptr);

// One parameter of a query string ("mac=52%3A54..."), %XX decoded; empty when absent.
std::string query_value(std::string_view query, std::string_view key);

// The machine behind a request: from the name itself, iPXE's query, then the
// source address; how it is known ("by name", "by address, lease", ...).
struct Identified {
  ClientFacts facts;
  std::string how;
};
std::optional<Identified> identify(const ConfigName& name, const Asker& asker, const config::Config& cfg,
                                   const Sightings& sightings);

}  // namespace pxed::boot
