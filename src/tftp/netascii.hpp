#pragma once
// RFC 1350 netascii on the wire: LF -> CR LF, CR -> CR NUL (RFC 764).
// The encoding grows the data, so block N's source offset is not (N-1)*blksize;
// a Cursor records where a block starts in the source, including half of a
// CR pair that did not fit in the previous block.
#include <cstddef>
#include <cstdint>
#include <span>

namespace pxed::tftp {

struct NetasciiCursor {
  std::uint64_t source_offset = 0;
  std::byte pending{0};  // second byte of a CR pair still owed
  bool has_pending = false;
};

// Encodes from `source` (the file bytes at cursor.source_offset) into `out`,
// advancing the cursor. Returns bytes written; stops when out is full or the
// source is used up.
std::size_t netascii_encode(NetasciiCursor& cursor, std::span<const std::byte> source, std::span<std::byte> out);

// Size on the wire of a file whose bytes include `lf` LFs and `cr` CRs.
inline std::uint64_t netascii_size(std::uint64_t size, std::uint64_t lf, std::uint64_t cr) { return size + lf + cr; }

}  // namespace pxed::tftp
