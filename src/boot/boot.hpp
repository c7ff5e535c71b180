#pragma once
// The one place that decides what a machine boots. DHCP (full, proxy, 4011)
// describes the client as ClientFacts; resolve() answers with a BootPlan.
// Pure: no sockets, no clock, no files.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/net.hpp"

namespace pxed::boot {

// RFC 4578 §2.1 + IANA "Processor Architecture Types" (option 93). 7 and 9 are
// both x86-64 EFI in practice (RFC 4578 errata swapped them): FIRMWARE.md 23.
enum class Firmware { bios, efi32, efi64, arm32_efi, arm64_efi, efi64_http, arm64_http, unknown };
Firmware firmware_of(std::optional<std::uint16_t> arch);
std::string_view to_string(Firmware f);  // "bios", "efi64", ... for logs
// The first option 93 code of the firmware so named (to_string's names): what a
// stored "efi64" stands for when the machine is matched again.
std::optional<std::uint16_t> arch_of(std::string_view firmware_name);

// What a DHCP request tells us about the machine that sent it.
struct ClientFacts {
  core::Mac mac;
  std::optional<std::uint16_t> arch;            // option 93 (first value)
  std::optional<core::Uuid> uuid;               // option 97 after its type byte 0
  std::string vendor_class;                     // option 60, e.g. "PXEClient:Arch:00007:UNDI:003016"
  std::vector<std::string> user_classes;        // option 77 (RFC 3004, or iPXE's bare string)
  bool ipxe = false;         // user class "iPXE" or option 175 present: already running iPXE
  bool pxe_client = false;   // option 60 starts with "PXEClient"
  bool http_client = false;  // option 60 starts with "HTTPClient": UEFI HTTP boot
  core::Ipv4 address;        // the client's address if known (ciaddr / yiaddr / requested)
  core::Ipv4 relay;          // giaddr of a relayed request; zero when not relayed
  core::Ipv4 segment;        // our address on the interface the request arrived on
  std::optional<std::uint16_t> boot_item;  // PXE option 43 sub-option 71 type (a menu choice)
};

// Where the client reached us: fills ${server} and ${http}.
struct Context {
  core::Ipv4 server;      // our address on the client's segment (siaddr, option 54)
  std::string http_base;  // "http://10.77.0.1" (config base_url or derived)
  // ${server} for a client that reached us over IPv6, as a URL writes it
  // ("[fd00::1]"); empty: `server`.
  std::string server_host{};

  std::string server_text() const { return server_host.empty() ? server.to_string() : server_host; }
};

// Where a request for a generated file reached us when `local` (IPv4) does not
// say it all: the host as a URL writes it ("[fd00::1]", "10.77.0.3") and the
// port (0: not an HTTP request).
struct Reached {
  std::string host;
  std::uint16_t port = 0;
};

// ${server} is `local` (over IPv6: reached.host); ${http} is [http] base_url, or http://host[:port] with
// the host the client reached (reached.host, else local) and the port it
// reached (reached.port, else the port of the [http] listen entry that serves
// that host: its own address, else its family's wildcard, else the first).
Context context_for(const config::Http& http, core::Ipv4 local, const Reached& reached = {});

struct MenuEntry {
  std::uint16_t type = 0;  // PXE boot server type: 0 local boot, 0x8000+ ours
  std::string label;
  std::optional<core::Ipv4> server;  // empty: us
};

struct BootPlan {
  // Nothing to boot: unknown firmware, or no file configured for it. DHCP still
  // answers in full mode (an address), proxy mode stays silent.
  bool none = false;
  std::string file;          // TFTP path or http(s):// URL for the `file` field / option 67
  core::Ipv4 next_server;    // siaddr: the TFTP server (us)
  std::string vendor_class;  // echo in option 60: "PXEClient" or "HTTPClient"
  // A PXE menu to offer instead of a file (BIOS PXE clients only, more than one
  // item: FIRMWARE.md 4; everyone else gets the file straight away).
  std::vector<MenuEntry> menu;
  std::string prompt;
  std::uint8_t menu_timeout = 0;
  std::string reason;  // why, for logs and `pxed lookup`: "efi64 from [boot] efi64"
};

BootPlan resolve(const ClientFacts& facts, const config::Boot& boot, const Context& context);

}  // namespace pxed::boot
