#include "tftp/block_reader.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <vector>

namespace pxed::tftp {

std::expected<std::uint64_t, int> BlockReader::transfer_size(const vfs::File& file, Mode mode) {
  if (mode == Mode::octet) return file.size();
  std::array<std::byte, 64 * 1024> chunk{};
  std::uint64_t lf = 0;
  std::uint64_t cr = 0;
  std::uint64_t offset = 0;
  while (offset < file.size()) {
    auto got = file.read_at(chunk, offset);
    if (!got) return std::unexpected(got.error());
    if (*got == 0) break;  // the file shrank under us; size what is there
    auto view = std::span(chunk).first(*got);
    lf += static_cast<std::uint64_t>(std::ranges::count(view, std::byte{'\n'}));
    cr += static_cast<std::uint64_t>(std::ranges::count(view, std::byte{'\r'}));
    offset += *got;
  }
  return netascii_size(offset, lf, cr);
}

BlockReader::BlockReader(const vfs::File& file, Mode mode, std::uint32_t blksize)
    : file_(file), mode_(mode), blksize_(blksize) {
  if (mode_ == Mode::netascii) cursors_.emplace(1, NetasciiCursor{});
}

std::expected<std::size_t, int> BlockReader::read(std::uint64_t block, std::span<std::byte> out) {
  out = out.first(std::min<std::size_t>(out.size(), blksize_));
  if (mode_ == Mode::octet) return file_.read_at(out, (block - 1) * blksize_);

  auto it = cursors_.find(block);
  if (it == cursors_.end()) return std::unexpected(EINVAL);  // asked out of order: a bug, not a client fault
  auto cursor = it->second;
  // Each source byte yields at most two wire bytes, so half a block of source
  // always suffices; read a full block's worth to need fewer preads.
  std::vector<std::byte> source(blksize_);
  std::size_t written = 0;
  while (written < out.size()) {
    auto got = file_.read_at(source, cursor.source_offset);
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
