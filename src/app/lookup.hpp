#pragma once
// `pxed lookup`: what a machine boots and why, without the machine. It runs
// the code a boot runs (boot::resolve for DHCP, the tree and its generated
// files for every name the loader asks) on facts given on the command line.
#include <iosfwd>
#include <string>

#include "config/config.hpp"

namespace pxed::app {

struct LookupArgs {
  std::string mac;
  std::string arch = "bios";  // a name (bios, efi32, efi64, arm64, efi64-http) or an option 93 number
  std::string server;          // empty: tftp.listen's or http.listen's address, else 10.0.0.1
  std::string ip;             // the machine's address (a lease, or the other server's)
  std::string uuid;           // option 97
  std::string loader;         // pxelinux, syslinux-efi, grub, ipxe; empty: from the boot file
  bool ipxe = false;
  bool http_client = false;
  int boot_item = -1;
};

inline constexpr int kLookupAnswer = 0;
inline constexpr int kLookupNothing = 1;
inline constexpr int kLookupBadInput = 2;

int lookup(const config::Config& cfg, const LookupArgs& args, std::ostream& out, std::ostream& err);

}  // namespace pxed::app
