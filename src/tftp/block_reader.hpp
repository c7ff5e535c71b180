#pragma once
// Reads the payload of block N of a transfer from a file: a pread at
// (N-1)*blksize in octet mode; in netascii mode from a cursor remembered for
// each outstanding block, so a file is never read whole into memory.
#include <cstdint>
#include <expected>
#include <map>
#include <span>

#include "tftp/netascii.hpp"
#include "tftp/packet.hpp"
#include "vfs/tree.hpp"

namespace pxed::tftp {

class BlockReader {
 public:
  // Size on the wire: the file size, or for netascii its encoded size (one
  // streaming pass over the file). Errors are errno values.
  static std::expected<std::uint64_t, int> transfer_size(const vfs::File& file, Mode mode);

  BlockReader(const vfs::File& file, Mode mode, std::uint32_t blksize);

  // Fills out (blksize bytes, fewer for the last block). Blocks of a netascii
  // transfer must be read in order from the oldest unacknowledged one, which
  // is how the session asks for them.
  std::expected<std::size_t, int> read(std::uint64_t block, std::span<std::byte> out);

  // Drops netascii cursors for blocks the client has acknowledged.
  void forget_before(std::uint64_t block);

 private:
  const vfs::File& file_;
  Mode mode_;
  std::uint32_t blksize_;
  std::map<std::uint64_t, NetasciiCursor> cursors_;  // block -> where it starts
};

}  // namespace pxed::tftp
