// Image::read_directory: one directory extent -> its entries, with Rock Ridge
// or Joliet names and multi-extent files joined.
#include <algorithm>

#include "iso/image.hpp"
#include "iso/record.hpp"
#include "iso/susp.hpp"
#include "iso/udf.hpp"

namespace pxed::iso {
namespace {

constexpr std::uint32_t kDefaultDirectoryMode = 0040555;
constexpr std::uint32_t kDefaultFileMode = 0100444;

// A name becomes a path component in vfs: anything that could step outside
// its directory or be misread by C APIs is dropped, whatever the image says.
bool usable_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

bool same_identifier(std::span<const std::byte> a, std::span<const std::byte> b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

}  // namespace

// RRIP 4.1.5.1: CL names the block of the moved directory; its first record,
// ".", gives the directory's extent and size.
std::expected<Extent, std::string> Image::relocated_directory(std::uint32_t block) const {
  auto sector = read(std::uint64_t{block} * kSectorSize, kSectorSize);
  if (!sector) return std::unexpected("relocated directory: " + sector.error());
  const std::size_t length = std::to_integer<std::uint8_t>((*sector)[0]);
  if (length < kMinRecordLength) return std::unexpected("relocated directory has no \".\" record");
  auto self = decode_record(std::span<const std::byte>(*sector).first(length));
  if (!self || !self->is_self() || !self->is_directory())
    return std::unexpected("relocated directory has no \".\" record");
  const std::uint64_t offset = self->data_offset();
  if (offset > image_size_ || self->data_length > image_size_ - offset)
    return std::unexpected("relocated directory lies outside the image");
  return Extent{offset, self->data_length};
}

std::expected<std::vector<Entry>, std::string> Image::read_directory(const Entry& dir) const {
  if (udf_) return udf_->read_directory(dir);
  if (dir.extents.empty() || dir.size == 0) return std::vector<Entry>{};
  if (dir.size > kMaxDirectoryBytes) return std::unexpected("directory larger than 64 MiB");
  auto bytes = read(dir.extents[0].offset, dir.size);
  if (!bytes) return std::unexpected(bytes.error());
  const std::span<const std::byte> data(*bytes);

  std::vector<Entry> entries;
  std::optional<Entry> pending;  // a multi-extent file still collecting extents
  std::span<const std::byte> pending_identifier;
  std::size_t records = 0;
  std::size_t continuations = 0;
  std::size_t pos = 0;
  while (pos < data.size()) {
    // ECMA-119 6.8.1.1: records never cross a sector; a zero length byte pads to the next one.
    const std::size_t sector_end = std::min(data.size(), (pos / kSectorSize + 1) * kSectorSize);
    const std::size_t length = std::to_integer<std::uint8_t>(data[pos]);
    if (length == 0) {
      pos = sector_end;
      continue;
    }
    if (length < kMinRecordLength || length > sector_end - pos)
      return std::unexpected("bad directory record length at byte " + std::to_string(pos));
    auto record = decode_record(data.subspan(pos, length));
    pos += length;
    if (!record) return std::unexpected(record.error());
    if (++records > kMaxEntriesPerDirectory) return std::unexpected("too many directory records");
    if (record->is_self() || record->is_parent()) continue;

    const std::uint64_t offset = record->data_offset();
    const std::uint64_t size = record->data_length;
    if (size > 0 && (offset > image_size_ || size > image_size_ - offset))
      return std::unexpected("extent of a record at byte " + std::to_string(pos - length) +
                             " lies outside the image");

    // ECMA-119 6.5.1: a multi-extent file is consecutive records with one
    // identifier, all but the last flagged "not final"; names come from the first.
    if (pending) {
      if (!same_identifier(record->identifier, pending_identifier))
        return std::unexpected("multi-extent file '" + pending->name + "' lacks its final record");
      if (size > 0) pending->extents.push_back({offset, size});
      pending->size += size;
      if (!record->not_final()) {
        entries.push_back(std::move(*pending));
        pending.reset();
      }
      continue;
    }
    // Associated files (resource forks) are hidden, as Linux's isofs does by default.
    if ((record->flags & kFlagAssociated) != 0) continue;

    RockRidge rock_ridge;
    if (naming_ == Naming::rock_ridge && record->system_use.size() > susp_skip_) {
      auto area = record->system_use.subspan(susp_skip_);
      std::vector<std::byte> continued;
      for (std::size_t chain = 0;; ++chain) {
        auto next = rock_ridge.parse(area);
        if (!next) return std::unexpected(next.error());
        if (!*next) break;
        // SUSP 5.1: a continuation area lies within one logical block (Linux's isofs agrees).
        if (chain >= kMaxContinuationChain || ++continuations > kMaxContinuationsPerDirectory)
          return std::unexpected("too many SUSP continuation areas");
        if (std::uint64_t{(*next)->offset} + (*next)->length > kSectorSize)
          return std::unexpected("SUSP continuation area crosses its block");
        auto read_area = read(std::uint64_t{(*next)->block} * kSectorSize + (*next)->offset,
                              (*next)->length);
        if (!read_area) return std::unexpected("SUSP continuation: " + read_area.error());
        continued = std::move(*read_area);
        area = continued;
      }
    }
    if (rock_ridge.names_self_or_parent() || rock_ridge.relocated()) continue;

    Entry entry;
    if (naming_ == Naming::rock_ridge && rock_ridge.name()) {
      entry.name = *rock_ridge.name();
    } else if (naming_ == Naming::joliet) {
      entry.name = joliet_name(record->identifier);
    } else {
      entry.name = plain_name(record->identifier);
    }
    if (!usable_name(entry.name)) continue;
    entry.directory = record->is_directory();
    entry.size = size;
    if (size > 0) entry.extents.push_back({offset, size});
    entry.symlink_target = rock_ridge.symlink_target();
    entry.mode = rock_ridge.mode().value_or(entry.directory ? kDefaultDirectoryMode
                                                            : kDefaultFileMode);
    entry.mtime = rock_ridge.mtime().value_or(record->recorded);
    if (rock_ridge.child_link()) {
      if (++continuations > kMaxContinuationsPerDirectory)
        return std::unexpected("too many relocated directories");
      auto moved = relocated_directory(*rock_ridge.child_link());
      if (!moved) return std::unexpected("'" + entry.name + "': " + moved.error());
      entry.directory = true;
      entry.size = moved->length;
      entry.extents.clear();
      if (moved->length > 0) entry.extents.push_back(*moved);
      entry.mode = (entry.mode & 07777) | 0040000;  // the placeholder's PX may say "file"
    }

    if (record->not_final()) {
      if (entry.directory) return std::unexpected("directory '" + entry.name + "' flagged multi-extent");
      pending = std::move(entry);
      pending_identifier = record->identifier;
      continue;
    }
    entries.push_back(std::move(entry));
  }
  if (pending) return std::unexpected("multi-extent file '" + pending->name + "' lacks its final record");
  return entries;
}

}  // namespace pxed::iso
