#pragma once
// bench/storm's decisions without I/O: who each simulated machine is, what its
// firmware sends and asks for, the TFTP receiving side of one transfer, and the
// numbers a run reports. storm.cpp owns the sockets, timers and clocks.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/net.hpp"
#include "dhcp/packet.hpp"

namespace pxed::storm {

// The two firmware families a room of PCs mixes (RFC 4578 option 93 values).
enum class Firmware : std::uint8_t { bios = 0, uefi = 7 };

struct Machine {
  std::size_t index = 0;
  core::Mac mac;
  core::Uuid uuid;
  Firmware firmware = Firmware::bios;
};

// Machine `index` of a run: MAC 02:5x:..., a UUID from the index, and UEFI for
// uefi_percent of the machines, spread evenly (deterministic: the same machines
// meet every server).
Machine make_machine(std::size_t index, unsigned uefi_percent);

// PXE 2.1 §2.2.3: DISCOVER is sent four times, waiting 4, 8, 16 and 32 s.
// The same waits apply to the REQUEST.
inline constexpr std::array<std::chrono::seconds, 4> kDhcpTimeouts{
    std::chrono::seconds{4}, std::chrono::seconds{8}, std::chrono::seconds{16}, std::chrono::seconds{32}};

// "PXEClient:Arch:00007:UNDI:003016" (PXE 2.1 §2.2.5, option 60).
std::string vendor_class(Firmware firmware);

// DISCOVER and REQUEST as the machine's ROM builds them, relayed: hops 1 and
// giaddr set by the relay agent the machine sits behind (RFC 1542 §4.1.1).
dhcp::Packet discover(const Machine& m, std::uint32_t xid, core::Ipv4 giaddr, std::uint16_t secs);
dhcp::Packet request(const Machine& m, std::uint32_t xid, core::Ipv4 giaddr, std::uint16_t secs,
                     const dhcp::Packet& offer);

// A reply is ours when it answers our transaction for our hardware address.
bool answers(const dhcp::Packet& reply, const Machine& m, std::uint32_t xid, dhcp::MessageType type);

// ProxyDHCP beside a DHCP server that hands out the addresses (PXE 2.1 §2.2.5):
// the proxy's OFFER has no yiaddr and carries option 60 "PXEClient".
bool is_proxy_offer(const dhcp::Packet& offer);

// RFC 2131 §4.3.2: the client's REQUEST names the server it chose (option 54);
// an ACK or NAK from another server (a proxy answering the relayed REQUEST
// too) is not the answer, and an ACK without an address gives no lease.
bool from_chosen_server(const dhcp::Packet& reply, core::Ipv4 chosen);

// Where the machine takes its loader from after the DHCP server's ACK, given the
// proxy's OFFER. BIOS (a PXE 2.1 ROM): the offer's file when option 43 is absent
// or its discovery control (sub-option 6) has bit 3 ("use the file"), else boot
// server discovery on 4011 for the first menu item (sub-option 9; a menu of one
// item boots it at once). UEFI (EDK2): always asks the proxy on 4011
// (FIRMWARE.md 4: UEFI stacks ignore offers that bypass discovery), with the
// first menu item when there is a menu. The file and server come from the
// offer, or later from the 4011 ACK (boot_from_ack).
struct ProxyBoot {
  bool ask_boot_server = false;
  std::optional<std::uint16_t> boot_item;  // option 43 sub-option 71's type, layer 0
  std::string file;
  core::Ipv4 next_server;
};
ProxyBoot proxy_boot_of(const dhcp::Packet& proxy_offer, Firmware firmware, core::Ipv4 proxy_address);
// The file and server of a boot server's (4011) ACK; siaddr 0 means the proxy itself.
ProxyBoot boot_from_ack(const dhcp::Packet& ack, core::Ipv4 proxy_address);

// The REQUEST to a boot server on 4011 (PXE 2.1 §2.2.6): from the address the
// DHCP server gave (ciaddr), the PXE options, and option 43 sub-option 71 with
// the boot item when the proxy offered a menu.
dhcp::Packet boot_server_request(const Machine& m, std::uint32_t xid, core::Ipv4 ciaddr,
                                 std::optional<std::uint16_t> boot_item);

// pxelinux's lookup order (syslinux doc/pxelinux.txt): the UUID, 01-<mac>,
// the address in upper-case hex shortened one digit at a time, then default.
std::vector<std::string> pxelinux_config_names(const Machine& m, core::Ipv4 address);

// What a TFTP client asks for: RFC 2348 blksize (0: not asked, 512), RFC 7440
// windowsize (0: not asked, lock-step) and RFC 2349 tsize; firmware reads in
// octet mode, only the bad client of bad.hpp asks netascii (RFC 1350).
struct TftpAsk {
  std::uint16_t blksize = 0;
  std::uint16_t windowsize = 0;
  bool tsize = false;
  bool netascii = false;
};

// What each firmware asks: the ROM fetching its loader, then the loader
// fetching its configs, and how long it waits for a packet before sending
// its last one again. BIOS: an old PXE ROM's 512-byte lock-step, then
// lpxelinux with tsize and a blksize of 1408 (a choice: below an MTU of 1500
// with room for a VLAN tag); pxelinux.asm waits 12 ticks of 55 ms and tries
// 6 times (PKT_TIMEOUT, PKT_RETRY). UEFI: EDK2's MTFTP4 with blksize 1468 and
// windowsize 4 (PcdTftpWindowSize) after a tsize probe it aborts (FIRMWARE.md
// 18); it waits 4 s, 6 times (EDK2 values not yet checked against a capture);
// syslinux.efi's configs as EDK2 fetches them.
struct FirmwareTftp {
  TftpAsk loader;
  bool loader_tsize_probe = false;
  TftpAsk config;
  std::chrono::milliseconds timeout{0};
  unsigned tries = 0;
};
const FirmwareTftp& tftp_of(Firmware firmware);

enum class TftpState { waiting, receiving, done, not_found, failed };

// The receiving end of one TFTP read (RFC 1350, 2347-2349, 7440): bytes in,
// the packet to answer with out. The caller sends request(), then feeds every
// datagram from the server's port to on_packet and sends what it returns;
// after a timeout it sends last_sent() again.
class TftpReceiver {
 public:
  TftpReceiver(std::string filename, TftpAsk ask);
  const std::vector<std::byte>& request();
  // The answer to send (an ACK or an ERROR), empty when none is due.
  std::vector<std::byte> on_packet(std::span<const std::byte> datagram);
  const std::vector<std::byte>& last_sent() const { return last_sent_; }
  TftpState state() const { return state_; }
  std::uint64_t bytes() const { return bytes_; }
  std::uint16_t blksize() const { return blksize_; }
  std::uint16_t windowsize() const { return windowsize_; }
  std::optional<std::uint64_t> tsize() const { return tsize_; }
  const std::string& error() const { return error_; }

 private:
  std::vector<std::byte> ack(std::uint16_t block);
  std::vector<std::byte> on_data(std::uint16_t block, std::size_t payload);

  std::string filename_;
  TftpAsk ask_;
  TftpState state_ = TftpState::waiting;
  std::uint16_t blksize_ = 512;   // RFC 1350
  std::uint16_t windowsize_ = 1;  // RFC 7440 §4: no option, lock-step
  std::uint16_t expected_ = 1;    // next block, wraps to 0 (FIRMWARE.md 14)
  std::uint16_t in_window_ = 0;
  std::uint64_t bytes_ = 0;
  std::optional<std::uint64_t> tsize_;
  std::string error_;
  std::vector<std::byte> last_sent_;
};

// The nearest-rank percentile (p in 0..100) of `values`, which it sorts;
// nothing for none.
std::optional<double> percentile(std::vector<double>& values, double p);

}  // namespace pxed::storm
