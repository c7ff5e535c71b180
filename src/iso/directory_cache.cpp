#include "iso/directory_cache.hpp"

#include <algorithm>

namespace pxed::iso {
namespace {

// Per entry: the struct, its heap parts, and a hash-free index slot.
std::size_t bytes_of(const Entry& e) {
  std::size_t n = sizeof(Entry) + sizeof(std::uint32_t) + e.name.capacity() +
                  e.extents.capacity() * sizeof(Extent);
  if (e.symlink_target) n += e.symlink_target->capacity();
  return n;
}

constexpr std::size_t kSlotOverhead = 128;  // list node, map node, control block

}  // namespace

Directory::Directory(std::vector<Entry> entries) : entries_(std::move(entries)) {
  by_name_.resize(entries_.size());
  for (std::size_t i = 0; i < entries_.size(); ++i) by_name_[i] = static_cast<std::uint32_t>(i);
  // Stable: among equal names the first record stays first, as a linear scan would find it.
  std::ranges::stable_sort(by_name_, {}, [this](std::uint32_t i) -> std::string_view {
    return entries_[i].name;
  });
  bytes_ = sizeof(Directory);
  for (const Entry& e : entries_) bytes_ += bytes_of(e);
}

const Entry* Directory::find(std::string_view name) const {
  auto it = std::ranges::lower_bound(by_name_, name, {}, [this](std::uint32_t i) -> std::string_view {
    return entries_[i].name;
  });
  if (it == by_name_.end() || entries_[*it].name != name) return nullptr;
  return &entries_[*it];
}

const Entry* Directory::find_ignoring_case(std::string_view name) const {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  auto same = [&](std::string_view a) {
    return a.size() == name.size() &&
           std::ranges::equal(a, name, [&](char x, char y) { return lower(x) == lower(y); });
  };
  // In record order, so the first of several spellings wins, as Windows would pick one.
  for (const Entry& e : entries_)
    if (same(e.name)) return &e;
  return nullptr;
}

std::optional<CachedDirectory> DirectoryCache::get(std::uint64_t key) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->value;
}

void DirectoryCache::put(std::uint64_t key, CachedDirectory value) {
  const std::size_t bytes =
      kSlotOverhead + (value ? (*value)->bytes() : value.error().capacity());
  std::lock_guard lock(mutex_);
  if (bytes > capacity_) return;
  if (auto it = index_.find(key); it != index_.end()) {
    bytes_ -= it->second->bytes;
    lru_.erase(it->second);
    index_.erase(it);
  }
  while (!lru_.empty() && bytes_ + bytes > capacity_) {
    bytes_ -= lru_.back().bytes;
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
  lru_.push_front(Slot{key, std::move(value), bytes});
  index_[key] = lru_.begin();
  bytes_ += bytes;
}

std::size_t DirectoryCache::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

std::size_t DirectoryCache::size() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

}  // namespace pxed::iso
