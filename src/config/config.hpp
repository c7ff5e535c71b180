#pragma once
// The typed configuration. load() is the only way in: every key is checked for
// name, type and range, and every problem names file, line and key.
#include <array>
#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/net.hpp"

namespace pxed::config {

struct Endpoint {
  std::string address = "0.0.0.0";  // IPv4 dotted quad, or IPv6 without brackets ("fd00::1", "::")
  std::uint16_t port = 0;
  bool is_v6() const { return address.find(':') != std::string::npos; }
  bool operator==(const Endpoint&) const = default;
};

// "10.77.0.1:69", "[fd00::1]:69": as pxed.toml writes it and the log says it.
std::string to_string(const Endpoint& e);
// Whether binding both would collide: one port, one address family, and the
// same address or a wildcard (0.0.0.0, ::) on either side. IPv6 sockets are
// IPv6-only, so "::" and "0.0.0.0" do not collide.
bool overlaps(const Endpoint& a, const Endpoint& b);

enum class LogFormat { text, json };

struct Server {
  std::filesystem::path state_dir = "/var/lib/pxed";
  std::string user;                     // empty: keep the current user
  std::vector<std::string> interfaces;  // DHCP only; empty: none
  std::string log_level = "info";       // trace debug info warn error critical off
  LogFormat log_format = LogFormat::text;
  // Once bound: refuse the system calls a boot server never makes (app/sandbox.hpp).
  bool sandbox = true;
  // The file holding the inventory ([[profile]], [[group]], [[machine]] and
  // nothing else); empty: they are in this file. Never both.
  std::filesystem::path inventory;
  // Secret values for answer-file templates (password hashes, keys): a file
  // only root (or pxed's starting user) may read, read once before privileges
  // drop, never logged (config/secrets.hpp). Empty: none.
  std::filesystem::path secrets_file;
  // Where pxed POSTs a JSON record when a machine reports its install done
  // (for a CMDB or monitoring): "http://A.B.C.D[:PORT]/path", no DNS, no TLS,
  // one try (app/done_hook.hpp). Empty: none.
  std::string done_hook;
  // Event loops serving HTTP connections; 0: one per core this process may
  // run on. 1: HTTP shares the one loop DHCP and TFTP run on (docs/threads.md).
  unsigned threads = 0;
};

// done_hook's parts; nullopt when the text is not such a URL.
struct HookTarget {
  core::Ipv4 address;
  std::uint16_t port = 80;
  std::string target;  // "/path?query", at least "/"
};
std::optional<HookTarget> parse_hook_url(std::string_view url);

// [[files.mount]]: an ISO image's tree, or a directory, appears at `at` for
// every protocol. Exactly one of iso and dir is set.
struct Mount {
  std::string at;              // "/centos7": absolute, normalized, never "/"
  std::filesystem::path iso;   // an existing regular file (an ISO 9660 image)
  std::filesystem::path dir;   // an existing directory
  std::uint32_t line = 0;      // of its [[files.mount]], for messages about it
};

struct Files {
  std::filesystem::path root;  // required when any file service is enabled
  std::vector<Mount> mounts;
  // Every *.iso directly in it appears as /iso/<name>/, followed while pxed
  // runs; empty: none. An existing directory.
  std::filesystem::path iso_dir;
  // Where the tree has no file of the name, serve the loader the system's
  // packages installed (pxelinux, syslinux-efi, ipxe, shim-signed,
  // grub-efi-amd64-signed) under its usual name: vfs/debian_loaders.hpp.
  bool system_loaders = true;
};

// Ports first..last, both included.
struct PortRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
};

struct Tftp {
  bool enabled = true;
  Endpoint listen{"0.0.0.0", 69};
  std::vector<Endpoint> listen_also;  // listen = [a, b, ...]: the addresses after the first
  // Where each transfer's own port comes from (RFC 1350 §4): unset, any
  // ephemeral port; set, only these, so a firewall opens 69 and this range.
  std::optional<PortRange> port_range;
  // Every transfer answered from the listening port itself (69): the only way
  // through a NAT or a container's port mapping that forwards 69 alone.
  // Transfers are told apart by the client's address and port.
  bool single_port = false;
  std::uint32_t blksize_max = 1468;   // RFC 2348 8..65464; also capped by the interface MTU
  std::uint16_t windowsize_max = 16;  // RFC 7440 1..65535
  std::uint32_t max_transfers = 1000; // concurrent; beyond it new requests are dropped unanswered (firmware retries)
  // Concurrent transfers of one client (its address): one machine, or a forged
  // source, cannot take every slot. A firmware fetches one file at a time, but
  // one that gives up and asks again leaves transfers that linger until
  // idle_timeout, so the share has room for many.
  std::uint32_t max_transfers_per_client = 64;
  std::chrono::milliseconds retransmit_min{2};    // adaptive RTO floor
  // RTO ceiling (a client's timeout option lowers it). Backoff must be able to
  // outlast client timeouts: atftp re-ACKs only after seconds of silence.
  std::chrono::milliseconds retransmit_max{5000};
  std::chrono::milliseconds idle_timeout{20000};  // give up after this long without progress
};

struct Http {
  bool enabled = false;  // off unless asked for, so existing configs keep their meaning
  Endpoint listen{"0.0.0.0", 80};
  std::vector<Endpoint> listen_also;  // listen = [a, b, ...]: the addresses after the first
  // Beyond it a new connection gets 503 and is closed. 4096: a room of 1,000+ machines each holds
  // one keep-alive connection while it fetches its kernel and initrd (bench/RESULTS.md, boot storm).
  std::uint32_t max_connections = 4096;
  // Open connections of one client address: installers open a few in parallel,
  // a web proxy in front of many machines more; a slowloris no more than this.
  std::uint32_t max_connections_per_client = 128;
  // A client must finish its request headers this long after it starts them
  // (slowloris); a keep-alive connection may sit idle idle_timeout between requests.
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};
  std::uint32_t max_header_bytes = 8192;  // request line + headers; more gets 431
  // How clients reach us, e.g. "http://10.77.0.1" (no trailing slash). Empty: "http://" +
  // the address of the interface the client's request arrived on (+ ":port" unless 80).
  std::string base_url;
};

// Every address a service listens on: listen, then listen_also.
template <class Section>
std::vector<Endpoint> listen_addresses(const Section& s) {
  std::vector<Endpoint> out{s.listen};
  out.insert(out.end(), s.listen_also.begin(), s.listen_also.end());
  return out;
}

// [api]: the JSON API, /healthz and /readyz (docs/api.md), on the HTTP
// listener or on an address of its own.
struct Api {
  bool enabled = true;              // with [http] on; off: those paths are the tree's again
  std::uint32_t history = 10000;    // events kept for /api/v1/events and the timelines
  std::uint32_t max_streams = 256;  // open /api/v1/events/stream connections
  // A file only root (or pxed's starting user) may read, holding the bearer
  // token writes need; read before privileges drop. Empty: writes answer 403.
  std::filesystem::path token_file;
  // The API, metrics and dashboard on this address and not on [http] listen
  // (which may face the boot network). Unset: on [http] listen.
  std::optional<Endpoint> listen;
};

enum class DhcpMode { off, proxy, full };
enum class RelayPolicy { routed, listed, any };

// [[dhcp.subnet.reservation]]: this MAC always gets this address.
struct Reservation {
  core::Mac mac;
  core::Ipv4 ip;
  std::string hostname;  // option 12, optional
};

// [[dhcp.subnet]]: full mode hands out addresses from range_first..range_last.
struct Subnet {
  core::Ipv4Network network;
  core::Ipv4 range_first, range_last;  // inside network, first <= last
  std::optional<core::Ipv4> router;    // option 3
  std::vector<core::Ipv4> dns;         // option 6
  std::string domain;                  // option 15
  std::chrono::seconds lease_time{12 * 3600};  // option 51
  std::vector<Reservation> reservations;
};

struct Dhcp {
  DhcpMode mode = DhcpMode::off;
  // full mode: answer only PXE / UEFI HTTP boot clients (option 60 PXEClient/HTTPClient)
  // and stay silent to everything else on the network.
  bool pxe_only = false;
  std::vector<Subnet> subnets;  // full mode: at least one
  // Declined addresses (DHCPDECLINE: someone else answers ARP for them) are not offered
  // again for this long.
  std::chrono::seconds decline_quarantine{3600};
  // Leases are written to disk in batches; an ACK waits at most this long for its batch.
  std::chrono::milliseconds commit_interval{2};
  // A DECLINE quarantines an address only while its client holds fewer than this many
  // quarantined addresses, and its subnet fewer than this percent of its range (at least
  // one address): one client cannot take the pool out of service with forged DECLINEs.
  std::uint32_t decline_max_per_client = 2;
  std::uint32_t decline_max_percent = 10;
  // Addresses newly tied to a client (an offer of an address it held no claim to, or a
  // binding of a free one; renewals do not count) per second: on one interface, and for one
  // client. 0: no limit. A flood of new clients slows down instead of draining the pool.
  // 200: 1,000 machines powered on at once behind one interface are bound in ~5 s, well inside
  // PXE's DHCP retries (4+8+16+32 s); at 20 they took 50 s (bench/RESULTS.md, boot storm).
  std::uint32_t interface_bindings_per_second = 200;
  std::uint32_t client_bindings_per_second = 2;
  // Answers per second to one client, in every mode (dhcp::AnswerBudget): a client
  // flooding requests is answered this often and costs the others a decode per packet.
  // 0: no limit.
  std::uint32_t client_answers_per_second = 10;
  // Which relayed requests (giaddr set) are believed. routed: giaddr in the arrival
  // interface's own subnet always; giaddr elsewhere only when unicast to us from an address
  // outside giaddr's subnet (or giaddr itself), as relay agents forward. listed: only from
  // relay_agents. any: every one, as before.
  RelayPolicy relay_policy = RelayPolicy::routed;
  std::vector<core::Ipv4Network> relay_agents;  // with relay_policy = listed
};

// One entry of a PXE boot menu (option 43 sub-option 9), as dnsmasq's pxe-service.
struct BootMenuItem {
  std::string label;                // what the user sees, e.g. "Install Debian"
  std::string file;                 // boot file; empty: boot from local disk
  std::optional<core::Ipv4> server; // another boot server's address; empty: us
};

struct BootMenu {
  std::string prompt = "Press F8 for boot menu";  // option 43 sub-option 10
  std::chrono::seconds timeout{5};                // 0 boots the first item at once; 255: wait
  std::vector<BootMenuItem> items;
};

// What each firmware gets first. File names are TFTP paths in [files] root; a value
// starting with http:// or https:// is a URL. "${server}" is replaced by the address
// the client reached us at, "${http}" by [http] base_url (or its default).
struct BootChoice {
  std::string bios;   // arch 0: e.g. "lpxelinux.0" or "undionly.kpxe"
  std::string efi32;  // arch 6
  std::string efi64;  // arch 7 and 9: e.g. "ipxe.efi", "syslinux.efi", "grubx64.efi"
  std::string arm64;  // arch 11
  std::string ipxe;   // a client already running iPXE: a script URL, never iPXE again
  std::string http;   // UEFI HTTP boot (arch 16, vendor class HTTPClient): a URL
};

// [[boot.host]]: a per-MAC override of any BootChoice key (empty keys fall back to [boot]).
struct BootHost {
  core::Mac mac;
  BootChoice choice;
};

struct Boot {
  BootChoice choice;  // the keys of [boot] itself
  // What pxed uses for a key [boot] leaves out, when the config has an
  // inventory (has_inventory): the system's loaders, chaining to the configs
  // pxed generates. Kept apart from `choice` so every answer can say which it
  // used ("[boot] bios (default)"). Set by load(); empty without an inventory.
  BootChoice defaults;
  std::optional<BootMenu> menu;
  std::vector<BootHost> hosts;
  // The profile of machines no [[machine]] or [[group]] names; empty: none
  // (they get their first loader and no generated config). "local" is built in.
  std::string default_profile;
  std::uint32_t default_line = 0;  // where [boot] default was written, for lookup and errors
  // How a machine whose profile is local boots its disk: its loader does it
  // (LOCALBOOT, exit), or DHCP makes it no boot offer and the firmware moves
  // on to its next boot device ([boot] local_boot = "next-device").
  bool local_by_firmware = false;
};

// ---- The inventory: [[profile]], [[group]], [[machine]]. Values keep the
// user's "${server}", "${http}", "${mac}", "${ip}", "${name}", "${uuid}",
// "${arch}" and "${<var>}"; boot expands them per machine. A machine's vars
// win over its group's, a group's over its profile's.
using Vars = std::map<std::string, std::string, std::less<>>;

// The built-in profile that boots the machine's own disk; never declared.
inline constexpr std::string_view kLocalProfile = "local";
// "iso:<image>": an image pxed serves (files.iso_dir, or a [[files.mount]]
// image named by its mount point), booted as its recipe says; images come
// and go while pxed runs, so a name is checked when a machine boots.
inline constexpr std::string_view kImagePrefix = "iso:";
// In a menu: every image served that can boot the machine, by name.
inline constexpr std::string_view kAllImages = "iso:*";

enum class ProfileKind {
  linux,  // kernel + initrd + append
  chain,  // another loader: a file in the tree or a URL
  local,  // the machine's own disk (a declared profile with local = true)
  menu,   // a choice among other profiles, a default and a timeout
  image,  // an image's own entry (iso:<image>) with the profile's append added
};

// [[profile]] answer: a file the installer fetches (kickstart, preseed, ...),
// a Mustache template rendered per machine (boot/template.hpp) and served at
// ${http}/pxed/v1/answers/<mac>/<name> to that machine alone (boot/answers.hpp).
struct AnswerTemplate {
  std::string name;            // its name in the URL: the file's, "preseed.cfg"
  std::filesystem::path path;  // where it was read from, as errors name it
  std::string text;            // read with the config, so a reload reads it again
  std::uint32_t line = 0;      // where answer was written
};

// Which installer a profile's answer files are for: what tells it where they are.
enum class Installer { none, debian_installer, anaconda, subiquity, autoyast, windows };

// "debian-installer", "anaconda", "subiquity", "autoyast", "windows" ("" for none).
std::string_view to_string(Installer installer);
std::optional<Installer> installer_named(std::string_view name);
// By an answer file's usual name: preseed*.cfg, ks*.cfg / *kickstart*,
// user-data, autoinst*.xml / autoyast*, autounattend.xml / unattend.xml.
Installer installer_of_file(std::string_view file_name);

struct Profile {
  std::string name;        // unique; not "local"
  std::uint32_t line = 0;  // where its [[profile]] starts
  ProfileKind kind = ProfileKind::linux;
  std::string label;       // what menus show; empty: the name
  // linux: paths in the tree (ISO mounts included) or http(s):// URLs
  std::string kernel;
  std::vector<std::string> initrd;
  std::string append;
  std::string chain;               // chain: a loader file in the tree or a URL
  std::string image;               // image: the image's name, as in "iso:<name>"
  std::vector<std::string> menu;   // menu: profile names ("local" allowed), in order
  std::string menu_default;        // menu: one of `menu`; empty: the first
  std::chrono::seconds timeout{10};  // menu: then the default boots; 0 waits for a choice
  Vars vars;
  // linux: answer files, the first being the one the installer is pointed at;
  // installer: written, or told by the first file's name (preseed.cfg, ks.cfg, ...).
  std::vector<AnswerTemplate> answers;
  Installer installer = Installer::none;
};

// "52:54:00:*" (a prefix of whole octets, then *), or a full MAC.
struct MacPattern {
  core::Mac mac;
  std::uint8_t octets = 6;  // how many leading octets must match
  std::string text;         // as written, for lookup
  bool matches(const core::Mac& m) const;
};

// What a [[group]] matches; every key given must match (and), a list matches
// any of its values (or). An empty match matches every machine.
struct GroupMatch {
  std::vector<MacPattern> mac;
  std::vector<core::Ipv4Network> subnet;  // the client's address (or the relay's, or ours)
  std::vector<core::Ipv4Network> relay;   // giaddr of a relayed request
  std::vector<std::string> arch;          // firmware names: bios efi32 efi64 arm32_efi arm64_efi efi64_http arm64_http
  std::vector<std::string> vendor_class;  // prefixes of option 60, e.g. "PXEClient:Arch:00007"
  std::vector<core::Uuid> uuid;
};

struct Group {
  std::string name;        // optional, for lookup and logs; empty: "group at line N"
  std::uint32_t line = 0;
  GroupMatch match;
  std::string profile;     // required
  Vars vars;
};

struct Machine {
  std::optional<core::Mac> mac;    // at least one of mac and uuid
  std::optional<core::Uuid> uuid;
  std::string name;                // unique when set; used in ${name} and logs
  std::uint32_t line = 0;
  std::string profile;             // empty: its group's, or the default
  bool once = false;               // boot the profile until the install reports done, then local
  Vars vars;
};

struct Inventory {
  // The file its tables were read from, named as errors name it: Config::source,
  // or the file [server] inventory names ("inventory.toml", "/etc/pxed/inventory.toml").
  // Its items' lines are lines of this file.
  std::filesystem::path source;
  std::vector<Profile> profiles;
  std::vector<Group> groups;    // first match in file order
  std::vector<Machine> machines;
  const Profile* find_profile(std::string_view name) const;
  // "local, install, rescue": what a refused profile name could have been.
  std::string profile_names() const;
};

struct Config;
// Whether the config describes machines: a [[profile]], [[group]], [[machine]]
// or [boot] default. Then pxed generates the loaders' configs, and [boot] keys
// left out get defaults (Boot::defaults).
bool has_inventory(const Config& cfg);

struct Config {
  std::filesystem::path source;  // the file it was read from
  // Every file it was read from, for a watcher: source first, then the
  // inventory's file when it has its own. Named as errors name them (relative
  // to where pxed started when source is). (`files` is the [files] section.)
  std::vector<std::filesystem::path> sources;
  Server server;
  Files files;
  Tftp tftp;
  Http http;
  Api api;
  Dhcp dhcp;
  Boot boot;
  Inventory inventory;
  // The line of every key read from `source`, dotted ("boot.bios"), for checks
  // after parsing (`pxed check` looking for the files the config names).
  std::map<std::string, std::uint32_t, std::less<>> lines;
};

struct ConfigError {
  std::string file;
  std::uint32_t line = 0;  // 0 when the problem has no line (missing file, missing key)
  std::string key;         // dotted, e.g. "tftp.blksize_max"
  std::string message;

  // "pxed.toml:14: tftp.blksize_max: must be 8..65464 (RFC 2348), got 70000"
  std::string to_string() const;
};

// Reads and validates a TOML file. On failure returns every problem found,
// sorted by line, not just the first one.
std::expected<Config, std::vector<ConfigError>> load(const std::filesystem::path& path);

// Same, from text already in memory; `name` is what errors call the file. An
// inventory file named by [server] inventory is read from disk either way.
std::expected<Config, std::vector<ConfigError>> parse(std::string_view text, const std::string& name);

}  // namespace pxed::config
