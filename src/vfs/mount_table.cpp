#include "vfs/mount_table.hpp"

#include <algorithm>

namespace pxed::vfs {

void MountTable::put(std::string at, Mount mount) {
  mounts_.insert_or_assign(std::move(at), std::move(mount));
}

bool MountTable::remove(std::string_view at) {
  auto it = mounts_.find(at);
  if (it == mounts_.end()) return false;
  mounts_.erase(it);
  return true;
}

std::pair<const Mount*, std::string_view> MountTable::find(std::string_view rel) const {
  if (mounts_.empty() || rel.empty()) return {nullptr, {}};
  // rel itself, then each parent: "a/b/c", "a/b", "a".
  std::string_view candidate = rel;
  for (;;) {
    if (auto it = mounts_.find(candidate); it != mounts_.end()) {
      std::string_view inner = rel.substr(candidate.size());
      if (inner.starts_with('/')) inner.remove_prefix(1);
      return {&it->second, inner};
    }
    const auto slash = candidate.rfind('/');
    if (slash == std::string_view::npos) return {nullptr, {}};
    candidate = candidate.substr(0, slash);
  }
}

std::vector<std::string> MountTable::children(std::string_view rel) const {
  std::vector<std::string> names;
  const std::string prefix = rel.empty() ? std::string() : std::string(rel) + "/";
  // Every key below rel sorts in one run starting at the prefix.
  for (auto it = mounts_.lower_bound(prefix); it != mounts_.end(); ++it) {
    std::string_view rest = it->first;
    if (!rest.starts_with(prefix)) break;
    rest.remove_prefix(prefix.size());
    std::string name{rest.substr(0, rest.find('/'))};
    if (name.empty()) continue;
    // "a", "a-b", "a/b" sort in that order: "a" comes twice, not in a row.
    if (std::ranges::find(names, name) == names.end()) names.push_back(std::move(name));
  }
  return names;
}

std::int64_t MountTable::newest_mtime_ns(std::string_view rel) const {
  std::int64_t newest = 0;
  // rel itself and every key under rel + "/" sort in one run from rel; keys
  // such as "a-b" between "a" and "a/" are skipped, not a stop.
  const std::string below = std::string(rel) + "/";
  for (auto it = mounts_.lower_bound(rel); it != mounts_.end(); ++it) {
    std::string_view key = it->first;
    if (!key.starts_with(rel)) break;
    if (key != rel && !key.starts_with(below)) continue;
    newest = std::max(newest, it->second.mtime_ns);
  }
  return newest;
}

}  // namespace pxed::vfs
