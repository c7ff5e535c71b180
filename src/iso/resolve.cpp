// Image::resolve and what is built on it: walking a path through the cached
// directories, following Rock Ridge symlinks without ever leaving the image.
#include <algorithm>
#include <vector>

#include "iso/image.hpp"

namespace pxed::iso {
namespace {

// A link may add up to kMaxSymlinkTarget bytes of components per hop; this
// caps what a hostile chain can queue up (40 hops of "a/a/a/...").
constexpr std::size_t kMaxPendingComponents = 8192;

// Image::directory's errors when the budget, not the image, stopped it.
constexpr std::string_view kOverBudget = "over the lookup budget";
constexpr std::string_view kTooLargeToKeep = "directory too large for the directory cache";

bool over_budget(const CachedDirectory& listing) {
  return !listing && (listing.error() == kOverBudget || listing.error() == kTooLargeToKeep);
}

std::string shown(std::string_view path) { return path.empty() ? "/" : std::string(path); }

LookupFailure failure(LookupError error, std::string_view path, std::string_view what) {
  return {error, shown(path) + ": " + std::string(what)};
}

// Pushes the components of `path` so that the first one is popped first.
// Returns false past kMaxPendingComponents.
bool push_components(std::vector<std::string>& pending, std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    const std::size_t end = std::min(path.find('/', pos), path.size());
    if (end > pos) parts.emplace_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  if (pending.size() + parts.size() > kMaxPendingComponents) return false;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) pending.emplace_back(*it);
  return true;
}

}  // namespace

std::string_view to_string(LookupError e) {
  switch (e) {
    case LookupError::not_found: return "not-found";
    case LookupError::not_a_directory: return "not-a-directory";
    case LookupError::outside_image: return "outside-image";
    case LookupError::too_many_links: return "too-many-links";
    case LookupError::bad_image: return "bad-image";
    case LookupError::over_budget: return "over-budget";
  }
  return "unknown";
}

bool LookupBudget::read(std::uint64_t bytes) {
  if (stop_.stop_requested()) return false;
  if (bytes > max_read_bytes_ - std::min(bytes_read_, max_read_bytes_)) return false;
  bytes_read_ += bytes;
  return true;
}

const std::shared_ptr<const Directory>* LookupBudget::seen(std::uint64_t key) const {
  for (const auto& [k, dir] : seen_)
    if (k == key) return &dir;
  return nullptr;
}

void LookupBudget::remember(std::uint64_t key, std::shared_ptr<const Directory> dir) {
  // A few directories per lookup: a vector beats a map. Bounded by the
  // steps, since each step looks at one directory.
  seen_.emplace_back(key, std::move(dir));
}

CachedDirectory Image::directory(const Entry& dir, LookupBudget& budget) const {
  if (dir.extents.empty() || dir.size == 0) {
    return std::make_shared<const Directory>(std::vector<Entry>{});
  }
  // One extent names one directory: relocated (RRIP CL) and moved copies included.
  const std::uint64_t key = dir.extents[0].offset;
  if (const auto* seen = budget.seen(key)) return *seen;
  auto hit = cache_->get(key);
  CachedDirectory value;
  if (hit) {
    value = std::move(*hit);
  } else {
    if (!budget.read(dir.size)) return std::unexpected(std::string(kOverBudget));
    if (auto entries = read_directory(dir)) {
      auto parsed = std::make_shared<const Directory>(std::move(*entries));
      if (cache_->capacity() > 0 && parsed->bytes() > cache_->capacity()) {
        // Too large to keep: remembered as such, so later lookups refuse at
        // once instead of reading it again each time (a hostile image's
        // way to keep the workers busy). This lookup still uses it.
        cache_->put(key, std::unexpected(std::string(kTooLargeToKeep)));
        budget.remember(key, parsed);
        return parsed;
      }
      value = std::move(parsed);
    } else {
      value = std::unexpected(std::move(entries.error()));
    }
    cache_->put(key, value);
  }
  if (value) budget.remember(key, *value);
  return value;
}

std::expected<Entry, LookupFailure> Image::resolve(std::string_view path, FollowLast follow) const {
  LookupBudget budget;
  return resolve(path, follow, budget);
}

std::expected<Entry, LookupFailure> Image::resolve(std::string_view path, FollowLast follow,
                                                   LookupBudget& budget) const {
  auto fail = [path](LookupError error, std::string_view what) {
    return std::unexpected(failure(error, path, what));
  };
  if (path.size() > kMaxPathLength) return fail(LookupError::not_found, "path too long");
  // The directories from the root to where the walk is: ".." pops one.
  std::vector<Entry> stack{root_};
  std::vector<std::string> pending;  // components still to walk, the next one last
  push_components(pending, path);
  std::size_t hops = 0;
  while (!pending.empty()) {
    if (!budget.step()) return fail(LookupError::over_budget, "lookup takes too many steps");
    std::string component = std::move(pending.back());
    pending.pop_back();
    // "file/." and "file/.." fail as they do in a kernel.
    if (!stack.back().directory) return fail(LookupError::not_a_directory, "not a directory");
    if (component == ".") continue;
    if (component == "..") {
      if (stack.size() == 1) return fail(LookupError::outside_image, "a link leads outside the image");
      stack.pop_back();
      continue;
    }
    if (stack.size() > kMaxPathDepth) return fail(LookupError::not_found, "path too deep");
    auto listing = directory(stack.back(), budget);
    if (over_budget(listing)) return fail(LookupError::over_budget, listing.error());
    if (!listing) return fail(LookupError::bad_image, listing.error());
    const Entry* found = (*listing)->find(component);
    // Windows-made file systems (UDF, Joliet) name files case-insensitively, and
    // Windows loaders ask for "\Boot\BCD" where the media say "boot/bcd"
    // (dnsmasq's --tftp-lowercase answers the same need). An exact name still wins.
    if (found == nullptr && (naming_ == Naming::udf || naming_ == Naming::joliet))
      found = (*listing)->find_ignoring_case(component);
    if (found == nullptr) return fail(LookupError::not_found, "no such file or directory");
    if (found->symlink_target && (!pending.empty() || follow == FollowLast::yes)) {
      if (++hops > kMaxSymlinkHops) return fail(LookupError::too_many_links, "too many levels of symbolic links");
      const std::string& target = *found->symlink_target;
      if (target.empty()) return fail(LookupError::not_found, "empty symlink");
      // RRIP 4.1.3.1: ROOT (and VOLUME ROOT) components make the target
      // absolute; inside an image that is the image's own root, never the host's.
      if (target.starts_with('/')) stack.resize(1);
      if (!push_components(pending, target)) return fail(LookupError::too_many_links, "symlink chain too long");
      continue;
    }
    stack.push_back(*found);
  }
  return std::move(stack.back());
}

std::expected<Entry, std::string> Image::stat(std::string_view path) const {
  auto entry = resolve(path, FollowLast::no);
  if (!entry) return std::unexpected(std::move(entry.error().message));
  return std::move(*entry);
}

std::expected<std::vector<Entry>, std::string> Image::list(std::string_view dir_path) const {
  LookupBudget budget;
  auto entries = list(dir_path, budget);
  if (!entries) return std::unexpected(std::move(entries.error().message));
  return std::move(*entries);
}

std::expected<std::vector<Entry>, LookupFailure> Image::list(std::string_view dir_path,
                                                             LookupBudget& budget) const {
  auto dir = resolve(dir_path, FollowLast::yes, budget);
  if (!dir) return std::unexpected(std::move(dir.error()));
  if (!dir->directory) return std::unexpected(failure(LookupError::not_a_directory, dir_path, "not a directory"));
  auto listing = directory(*dir, budget);
  if (over_budget(listing)) return std::unexpected(failure(LookupError::over_budget, dir_path, listing.error()));
  if (!listing) return std::unexpected(failure(LookupError::bad_image, dir_path, listing.error()));
  return (*listing)->entries();
}

}  // namespace pxed::iso
