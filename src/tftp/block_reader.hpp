#pragma once
// Reads the payload of block N of a transfer from a file: a pread at
// (N-1)*blksize in octet mode; in netascii mode from a cursor remembered for
// each outstanding block, so a file is never read whole into memory.
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <span>

#include "tftp/netascii.hpp"
#include "tftp/packet.hpp"
#include "vfs/tree.hpp"

namespace pxed::tftp {

class BlockReader {
 public:
  // Size on the wire when it is known without reading the file: the file's
  // size in octet mode; nothing in netascii, whose encoding adds a byte per
  // CR and LF. Counting them meant reading the whole file on the event loop
  // before the first block (seconds for a 2 GiB file, every protocol
  // stalled), and a scan off the loop plus a cache would buy only a tsize
  // nobody uses: boot firmware asks in octet mode, dnsmasq and tftpd-hpa
  // never offer tsize for netascii, and RFC 2349 lets a server leave it out.
  // The transfer then streams and ends at the first short block.
  static std::optional<std::uint64_t> known_size(const vfs::File& file, Mode mode);

  BlockReader(const vfs::File& file, Mode mode, std::uint32_t blksize);

  // Fills out (blksize bytes, fewer for the last block). Blocks of a netascii
  // transfer must be read in order from the oldest unacknowledged one, which
  // is how the session asks for them.
  // Wait::no reads only from the page cache (EAGAIN otherwise: see vfs::Wait).
  std::expected<std::size_t, int> read(std::uint64_t block, std::span<std::byte> out,
                                       vfs::Wait wait = vfs::Wait::yes);

  // Drops netascii cursors for blocks the client has acknowledged.
  void forget_before(std::uint64_t block);

 private:
  const vfs::File& file_;
  Mode mode_;
  std::uint32_t blksize_;
  std::map<std::uint64_t, NetasciiCursor> cursors_;  // block -> where it starts
};

}  // namespace pxed::tftp
