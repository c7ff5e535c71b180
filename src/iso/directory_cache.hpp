#pragma once
// Parsed directories of one image, kept so that opening a file does not read
// and parse every directory on its path again: a TFTP or HTTP open walks from
// the root each time, and a listing resolves each symlink it shows the same way.
// Bounded by an estimate of the memory held; the least recently used go first.
#include <cstddef>
#include <cstdint>
#include <expected>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "iso/entry.hpp"

namespace pxed::iso {

// One directory's entries, in record order, with a by-name index.
class Directory {
 public:
  explicit Directory(std::vector<Entry> entries);
  const std::vector<Entry>& entries() const { return entries_; }
  // The first record with that name (images may repeat one), or null.
  const Entry* find(std::string_view name) const;
  // ASCII case folded, a linear scan: the fallback when find() has no exact match.
  const Entry* find_ignoring_case(std::string_view name) const;
  // What keeping it costs, roughly: the entries, their names, targets and extents.
  std::size_t bytes() const { return bytes_; }

 private:
  std::vector<Entry> entries_;
  std::vector<std::uint32_t> by_name_;  // indexes into entries_, sorted by name, stable
  std::size_t bytes_ = 0;
};

// A directory that could not be read is remembered too: a hostile image must
// not make every request re-read (up to kMaxDirectoryBytes of) a bad extent.
using CachedDirectory = std::expected<std::shared_ptr<const Directory>, std::string>;

// Keyed by the byte offset of the directory's extent, which names it uniquely
// in one image. Thread-safe (a mutex), though pxed calls it from one thread.
class DirectoryCache {
 public:
  explicit DirectoryCache(std::size_t capacity_bytes) : capacity_(capacity_bytes) {}

  std::optional<CachedDirectory> get(std::uint64_t key);
  // Larger than the whole capacity (or capacity 0): not kept.
  void put(std::uint64_t key, CachedDirectory value);

  std::size_t bytes() const;
  std::size_t size() const;
  std::size_t capacity() const { return capacity_; }

 private:
  struct Slot {
    std::uint64_t key;
    CachedDirectory value;
    std::size_t bytes;
  };
  mutable std::mutex mutex_;
  std::list<Slot> lru_;  // most recently used first
  std::unordered_map<std::uint64_t, std::list<Slot>::iterator> index_;
  std::size_t capacity_;
  std::size_t bytes_ = 0;
};

}  // namespace pxed::iso
