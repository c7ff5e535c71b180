#pragma once
// What pxed-storm tells: one Result per machine, summed into the key=value
// lines bench/storm.sh reads (and people can), and one CSV line per machine.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pxed::storm {

// One machine's path through the boot, times in ms from its power-on (-1: not reached).
struct Result {
  bool done = false;
  std::string failed;  // "<stage>: why", empty while it runs or when done
  double start_ms = 0;  // its power-on, from the run's start
  double dhcp_ms = -1, offer_ms = -1, ack_ms = -1, loader_ms = -1, config_ms = -1, kernel_ms = -1,
         initrd_ms = -1, total_ms = -1;
  // Beside a DHCP server (--proxy): the proxy's OFFER and its 4011 ACK answer times.
  double proxy_ms = -1, boot_server_ms = -1;
  unsigned discovers = 0, requests = 0, naks = 0, tftp_retransmits = 0, config_lookups = 0, config_misses = 0;
  std::uint64_t http_bytes = 0;
};

// "storm clients= done= failed= wall_ms=", one "stage name= n= p50_ms= p99_ms= max_ms=" per
// stage (nearest rank, over the machines that reached it), "counts ...", and one
// "failure stage= count= first=" per stage machines failed at. The wall time is when the
// last machine that finished had its last file, from the run's start.
std::string report_text(const std::vector<Result>& results);

// A header, then index, MAC, arch, each time and count, and the failure, per machine.
std::string csv_text(const std::vector<Result>& results, unsigned uefi_percent);

}  // namespace pxed::storm
