#include "tftp/block_reader.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <vector>

namespace pxed::tftp {

std::optional<std::uint64_t> BlockReader::known_size(const vfs::File& file, Mode mode) {
  if (mode == Mode::octet) return file.size();
  return std::nullopt;
}

BlockReader::BlockReader(const vfs::File& file, Mode mode, std::uint32_t blksize)
    : file_(file), mode_(mode), blksize_(blksize) {
  if (mode_ == Mode::netascii) cursors_.emplace(1, NetasciiCursor{});
}

std::expected<std::size_t, int> BlockReader::read(std::uint64_t block, std::span<std::byte> out,
                                                  vfs::Wait wait) {
  out = out.first(std::min<std::size_t>(out.size(), blksize_));
  if (mode_ == Mode::octet) return file_.read_at(out, (block - 1) * blksize_, wait);

  auto it = cursors_.find(block);
  if (it == cursors_.end()) return std::unexpected(EINVAL);  // asked out of order: a bug, not a client fault
  auto cursor = it->second;
  // Each source byte yields at most two wire bytes, so half a block of source
  // always suffices; read a full block's worth to need fewer preads.
  std::vector<std::byte> source(blksize_);
  std::size_t written = 0;
  while (written < out.size()) {
    auto got = file_.read_at(source, cursor.source_offset, wait);
    if (!got) return std::unexpected(got.error());
    auto produced = netascii_encode(cursor, std::span(source).first(*got), out.subspan(written));
    written += produced;
    if (*got == 0 && !cursor.has_pending) break;  // end of file
    if (produced == 0 && *got == 0) break;
  }
  cursors_.insert_or_assign(block + 1, cursor);
  return written;
}

void BlockReader::forget_before(std::uint64_t block) {
  cursors_.erase(cursors_.begin(), cursors_.lower_bound(block));
}

}  // namespace pxed::tftp
