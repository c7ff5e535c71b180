#pragma once
// Files made for the machine that asks: a loader's config (pxelinux.cfg/...,
// grub.cfg, boot.ipxe) is rendered from the inventory when the tree holds no
// file of that name. vfs only defines the seam; app hands in the provider
// (boot's renderers), so vfs never includes boot.
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "core/net.hpp"
#include "vfs/file.hpp"

namespace pxed::vfs {

// Who sent a request, as the file services know it.
struct Requester {
  core::Ipv4 address;     // the request's source address; zero when unknown (a test, lookup)
  core::Ipv4 local;       // our address it reached: ${server} in what is generated
  std::string query;      // an HTTP request's query string ("mac=...&uuid=..."); empty over TFTP
  std::string protocol;   // "tftp" or "http", for the provider's reasons
  // Our address as the client reached it, as a URL writes a host ("10.77.0.1",
  // "[fd00::1]"; empty: `local`), and the port (HTTP's listener; 0 over TFTP):
  // ${http} in what is generated for a client that came over IPv6 or to a
  // second listen address.
  std::string local_host{};
  std::uint16_t local_port = 0;
};

// A provider's answer for one name.
struct Generation {
  std::string content;
  std::string why;  // for the log and lookup: "for db-03 (by address, lease)"
  // Normalized names of the user's own files that win over this one: the
  // more specific names of the same loader's lookup ("pxelinux.cfg/01-<mac>"
  // when asked for pxelinux.cfg/<uuid>). When the tree holds any of them,
  // this name is not found and the loader goes on to the user's file.
  std::vector<std::string> yield_to;
};

class Generator {
 public:
  virtual ~Generator() = default;
  // rel is normalized (vfs::normalize: no leading '/'). nullopt: nothing is
  // generated at this name (the loader is told "not found").
  virtual std::optional<Generation> generate(std::string_view rel, const Requester& who) const = 0;
};

// Told of every file the tree opened for someone (a tree file or a generated
// one), so app can follow each machine's boot: loader, config, kernel, initrd.
// Called on the io_context's thread; must not block.
class Observer {
 public:
  virtual ~Observer() = default;
  virtual void opened(std::string_view rel, const Requester& who, const File& file) const = 0;
};

// Content as a File (a sealed memfd): TFTP preads it and HTTP sendfile()s it
// like any file, with its size known before the first block.
std::expected<File, int> file_of(std::string_view content);

}  // namespace pxed::vfs
