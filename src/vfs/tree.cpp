#include "vfs/tree.hpp"

#include <fcntl.h>  // AT_FDCWD
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <system_error>
#include <utility>

#include "iso/image.hpp"
#include "vfs/beneath.hpp"
#include "vfs/path.hpp"

namespace pxed::vfs {
namespace {

// Directories first, then by name (bytewise).
bool listed_before(const DirEntry& a, const DirEntry& b) {
  if (a.directory != b.directory) return a.directory;
  return a.name < b.name;
}

// Entries [0, sorted) are in order already (a worker sorted a real
// directory's listing): only the few names added after them are sorted, then
// merged in, so the loop does linear work on a listing of thousands.
void sort_listing(std::vector<DirEntry>& entries, std::size_t sorted = 0) {
  sorted = std::min(sorted, entries.size());
  auto middle = entries.begin() + static_cast<std::ptrdiff_t>(sorted);
  std::sort(middle, entries.end(), listed_before);
  std::inplace_merge(entries.begin(), middle, entries.end(), listed_before);
}

}  // namespace

std::string_view to_string(OpenError e) {
  switch (e) {
    case OpenError::bad_path: return "bad-path";
    case OpenError::not_found: return "not-found";
    case OpenError::outside_root: return "outside-root";
    case OpenError::not_a_file: return "not-a-file";
    case OpenError::permission: return "permission";
    case OpenError::io: return "io";
    case OpenError::over_budget: return "over-budget";
    case OpenError::would_block: return "would-block";
  }
  return "unknown";
}

std::expected<Tree, std::string> Tree::open_root(const std::filesystem::path& root) {
  if (root.empty()) {
    return std::unexpected(std::string{"files.root is empty: set it to the directory to serve"});
  }
  auto fd = open_directory(root);
  if (!fd) {
    return std::unexpected("files.root " + root.string() + ": " +
                           std::generic_category().message(fd.error()));
  }
  return Tree{*fd, root};
}

Tree::Tree(int dirfd, std::filesystem::path root)
    : dirfd_(std::make_shared<const Descriptor>(dirfd)), root_(std::move(root)) {}

iso::LookupBudget Tree::image_budget(std::size_t steps) const {
  return iso::LookupBudget(steps, on_loop_ ? 0 : iso::kMaxLookupReadBytes);
}

std::pair<std::shared_ptr<const Descriptor>, std::string_view> Tree::real_directory(const std::string& rel) const {
  auto [mount, inner] = mounts_.find(rel);
  if (mount == nullptr) return {dirfd_, rel};
  if (mount->kind == Mount::Kind::directory) return {mount->directory, inner};
  return {nullptr, {}};
}

Tree::Prefetch Tree::prefetch(std::string_view raw, Need need) const {
  auto rel = normalize(raw);
  if (!rel) return nullptr;
  std::shared_lock reading(*lock_);
  auto [mount, inner] = mounts_.find(*rel);
  if (mount != nullptr && mount->kind == Mount::Kind::image) {
    return [image = mount->image.image, inner = std::string(inner)](std::stop_token stop) {
      iso::LookupBudget budget(iso::kMaxListingSteps);
      budget.stop_when(std::move(stop));
      prefetch_member(*image, inner, budget);
      return Prefetched{};  // the image's cache holds what was read
    };
  }
  auto real = real_directory(*rel);
  // The root and mount points are directories the tree knows without a walk.
  if (real.first == nullptr || (need == Need::file && real.second.empty())) return nullptr;
  // The system's files are set at start-up and never change: safe to read from a worker.
  return [dir = real.first, name = std::string(real.second), rel = *rel, need, system = system_](std::stop_token) {
    Prefetched found{.rel = rel, .file = {}, .directory = {}, .entries = {}, .system_file = {}, .system_entries = {}};
    if (need == Need::listing) {
      found.entries = list_beneath(dir->get(), name);
      if (*found.entries) sort_listing(**found.entries);  // here, not on the loop: thousands of names
      if (system && system->is_directory(rel)) found.system_entries = system->list(rel);
      return found;
    }
    found.file = open_file_beneath(dir->get(), name);
    if (!*found.file && found.file->error() == OpenError::not_a_file) {
      found.directory = is_directory_beneath(dir->get(), name);
    }
    if (!*found.file && found.file->error() == OpenError::not_found && system) found.system_file = system->open(rel);
    return found;
  };
}

Tree::Tree(Tree&& other) noexcept = default;
Tree& Tree::operator=(Tree&& other) noexcept = default;
Tree::~Tree() = default;

std::expected<std::string, std::string> Tree::mount_point(std::string_view at,
                                                          const std::string& where) const {
  auto rel = normalize(at);
  if (!rel) return std::unexpected(where + ": at: " + std::string(to_string(rel.error())));
  if (rel->empty()) return std::unexpected(where + ": at must not be the root \"/\"");
  if (mounts_.contains(*rel)) return std::unexpected(where + ": /" + *rel + " is already mounted");
  return std::move(*rel);
}

std::expected<void, std::string> Tree::add_iso_mount(std::string_view at,
                                                     const std::filesystem::path& image_path) {
  const std::string where = "files.mount at=" + std::string(at) + " iso=" + image_path.string();
  std::unique_lock writing(*lock_);  // at start-up: nothing else reads yet
  auto rel = mount_point(at, where);
  if (!rel) return std::unexpected(rel.error());
  auto image = open_image(AT_FDCWD, image_path);
  if (!image) return std::unexpected(where + ": " + image.error());
  const auto mtime_ns = image->identity.mtime_ns;
  mounts_.put(std::move(*rel), Mount{Mount::Kind::image, std::move(*image), nullptr, mtime_ns});
  return {};
}

std::shared_ptr<const iso::Image> Tree::image_at(std::string_view at) const {
  auto rel = normalize(at);
  if (!rel || rel->empty()) return nullptr;
  std::shared_lock reading(*lock_);
  auto [mount, inner] = mounts_.find(*rel);
  if (mount == nullptr || !inner.empty() || mount->kind != Mount::Kind::image) return nullptr;
  return mount->image.image;
}

std::expected<void, std::string> Tree::add_dir_mount(std::string_view at,
                                                     const std::filesystem::path& dir) {
  const std::string where = "files.mount at=" + std::string(at) + " dir=" + dir.string();
  std::unique_lock writing(*lock_);  // at start-up: nothing else reads yet
  auto rel = mount_point(at, where);
  if (!rel) return std::unexpected(rel.error());
  auto fd = open_directory(dir);
  if (!fd) return std::unexpected(where + ": " + std::generic_category().message(fd.error()));
  // At start-up, off the loop: the date its mount point lists with.
  struct stat st {};
  const std::int64_t mtime_ns = ::fstat(*fd, &st) == 0 ? st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec : 0;
  mounts_.put(std::move(*rel),
              Mount{Mount::Kind::directory, {}, std::make_shared<const Descriptor>(*fd), mtime_ns});
  return {};
}

std::expected<void, std::string> Tree::add_empty_directory(std::string_view at) {
  std::unique_lock writing(*lock_);
  auto rel = mount_point(at, std::string("directory ").append(at));
  if (!rel) return std::unexpected(rel.error());
  mounts_.put(std::move(*rel), Mount{});
  return {};
}

void Tree::put_image(std::string at, OpenedImage image) {
  const auto mtime_ns = image.identity.mtime_ns;
  std::unique_lock writing(*lock_);
  mounts_.put(std::move(at), Mount{Mount::Kind::image, std::move(image), nullptr, mtime_ns});
}

void Tree::put_image_file(std::string at, OpenedImage image) {
  const auto mtime_ns = image.identity.mtime_ns;
  std::unique_lock writing(*lock_);
  mounts_.put(std::move(at), Mount{Mount::Kind::file, std::move(image), nullptr, mtime_ns});
}

bool Tree::remove_mount(std::string_view at) {
  std::unique_lock writing(*lock_);
  return mounts_.remove(at);
}

bool Tree::has_mount(std::string_view at) const {
  std::shared_lock reading(*lock_);
  return mounts_.contains(at);
}

void Tree::set_generator(std::shared_ptr<const Generator> generator) {
  std::unique_lock writing(*lock_);
  generator_ = std::move(generator);
}

bool Tree::generates() const {
  std::shared_lock reading(*lock_);
  return generator_ != nullptr;
}

void Tree::set_observer(std::shared_ptr<const Observer> observer) {
  std::unique_lock writing(*lock_);
  observer_ = std::move(observer);
}

void Tree::set_system_files(std::shared_ptr<const SystemFiles> files) {
  std::unique_lock writing(*lock_);
  system_ = std::move(files);
}

std::expected<File, OpenError> Tree::open(std::string_view raw, const Requester& who, Prefetched* ahead,
                                          Generate generate) const {
  auto rel = normalize(raw);
  if (!rel) return std::unexpected(OpenError::bad_path);
  // The root is a directory: asking for it is asking for a listing.
  if (rel->empty()) return std::unexpected(OpenError::not_a_file);
  std::shared_lock reading(*lock_);
  const auto generator = generate == Generate::yes ? generator_ : nullptr;
  const auto observer = observer_;
  auto file = open_own(*rel, ahead, walk_wait());
  if (!file && file.error() == OpenError::not_found && system_) {
    auto system = ahead && ahead->rel == *rel && ahead->system_file ? std::move(*std::exchange(ahead->system_file, {}))
                                                                     : system_->open(*rel, walk_wait());
    if (system || system.error() != OpenError::not_found) {
      file = std::move(system);
    } else if (system_->is_directory(*rel)) {
      // "efi64" of a root without it: a directory of the system's, as HTTP must know to redirect.
      file = std::unexpected(OpenError::not_a_file);
    }
  }
  reading.unlock();
  if (!file && file.error() == OpenError::not_found && generator) file = open_generated(*generator, *rel, who);
  if (file && observer && !who.address.is_zero()) observer->opened(*rel, who, *file);
  return file;
}

std::expected<File, OpenError> Tree::open_own(const std::string& rel, Prefetched* ahead, Wait wait) const {
  if (ahead && ahead->rel == rel && ahead->file) {
    auto file = std::move(*ahead->file);
    ahead->file.reset();
    return file;
  }
  auto [mount, inner] = mounts_.find(rel);
  if (mount == nullptr) return open_file_beneath(dirfd_->get(), rel, wait);
  if (mount->kind == Mount::Kind::file) {
    // The whole image: one extent of the descriptor it was opened with, no walk.
    if (!inner.empty()) return std::unexpected(OpenError::not_found);
    const auto& id = mount->image.identity;
    return File{mount->image.fd, {Extent{0, id.size}}, id.mtime_ns};
  }
  if (inner.empty()) return std::unexpected(OpenError::not_a_file);  // the mount point
  switch (mount->kind) {
    case Mount::Kind::image: {
      auto budget = image_budget(iso::kMaxLookupSteps);
      return open_member(mount->image, inner, budget);
    }
    case Mount::Kind::directory: return open_file_beneath(mount->directory->get(), std::string(inner), wait);
    case Mount::Kind::empty:
    case Mount::Kind::file: break;
  }
  return std::unexpected(OpenError::not_found);
}

std::expected<File, OpenError> Tree::open_generated(const Generator& generator, const std::string& rel,
                                                    const Requester& who) const {
  auto generation = generator.generate(rel, who);
  if (!generation) return std::unexpected(OpenError::not_found);
  std::shared_lock reading(*lock_);
  for (const auto& name : generation->yield_to) {
    auto normalized = normalize(name);
    // Still a waiting walk on the loop: these are names the loader asked a
    // moment ago (its lookup order), so the kernel's caches hold them.
    if (normalized && !normalized->empty() && open_own(*normalized, nullptr, Wait::yes)) {
      return std::unexpected(OpenError::not_found);
    }
  }
  auto file = file_of(generation->content);
  if (!file) return std::unexpected(OpenError::io);
  file->set_generated(std::move(generation->why));
  return std::move(*file);
}

std::expected<std::vector<DirEntry>, OpenError> Tree::list(std::string_view raw, Prefetched* ahead) const {
  auto rel = normalize(raw);
  if (!rel) return std::unexpected(OpenError::bad_path);
  std::shared_lock reading(*lock_);
  auto [mount, inner] = mounts_.find(*rel);
  std::expected<std::vector<DirEntry>, OpenError> entries;
  auto real = real_directory(*rel);
  std::size_t sorted = 0;
  if (real.first != nullptr && ahead && ahead->rel == *rel && ahead->entries) {
    entries = std::move(*ahead->entries);
    ahead->entries.reset();
    if (entries) sorted = entries->size();
  } else if (real.first != nullptr && on_loop_) {
    // A listing is a readdir and an fstatat per name (thousands): never on the loop.
    entries = std::unexpected(OpenError::would_block);
  } else if (real.first != nullptr) {
    entries = list_beneath(real.first->get(), std::string(real.second));
  } else if (mount->kind == Mount::Kind::image) {
    auto budget = image_budget(iso::kMaxListingSteps);
    entries = list_members(*mount->image.image, inner, budget);
  } else if (mount->kind == Mount::Kind::file) {
    entries = std::unexpected(OpenError::not_found);  // a file lists as nothing, as a plain one does
  } else if (!inner.empty()) {
    entries = std::unexpected(OpenError::not_found);
  }
  // The system's files fill in names the tree lacks, in a directory of the
  // tree or one only the system has ("efi64" of an empty root).
  if (system_ && (entries || entries.error() == OpenError::not_found) && system_->is_directory(*rel)) {
    if (!entries) entries.emplace();
    auto system = ahead && ahead->rel == *rel && ahead->system_entries ? std::move(*std::exchange(ahead->system_entries, {}))
                                                                        : system_->list(*rel);
    for (auto& e : system) {
      if (std::ranges::find(*entries, e.name, &DirEntry::name) == entries->end()) entries->push_back(std::move(e));
    }
  }
  // Mount points below rel show as directories, over whatever shares their
  // name, even where the directories leading to them do not exist.
  auto children = mounts_.children(*rel);
  if (!children.empty()) {
    if (!entries && entries.error() != OpenError::not_found) return entries;
    if (!entries) entries.emplace();
    for (auto& name : children) {
      const auto before = entries->size();
      std::erase_if(*entries, [&](const DirEntry& e) { return e.name == name; });
      sorted -= std::min(sorted, before - entries->size());  // erasing keeps the rest in order
      const std::string at = rel->empty() ? name : *rel + "/" + name;
      const auto [child, rest] = mounts_.find(at);
      if (child != nullptr && rest.empty() && child->kind == Mount::Kind::file) {
        const auto& id = child->image.identity;
        entries->push_back(DirEntry{std::move(name), false, id.size, id.mtime_ns / 1'000'000'000});
      } else {
        entries->push_back(DirEntry{std::move(name), true, 0, mounts_.newest_mtime_ns(at) / 1'000'000'000});
      }
    }
  }
  if (entries) sort_listing(*entries, sorted);
  return entries;
}

std::expected<bool, OpenError> Tree::is_directory(std::string_view raw, Prefetched* ahead) const {
  auto rel = normalize(raw);
  if (!rel) return std::unexpected(OpenError::bad_path);
  if (rel->empty()) return true;
  std::shared_lock reading(*lock_);
  auto [mount, inner] = mounts_.find(*rel);
  if (mount != nullptr && mount->kind == Mount::Kind::file) {
    if (inner.empty()) return false;
    return std::unexpected(OpenError::not_found);
  }
  if (mount != nullptr && inner.empty()) return true;
  if (!mounts_.children(*rel).empty()) return true;  // on the way to a mount point
  auto own = is_directory_own(*rel, mount, inner, ahead);
  if (own || own.error() != OpenError::not_found || !system_) return own;
  if (system_->is_directory(*rel)) return true;
  if (system_->open(*rel)) return false;
  return own;
}

std::expected<bool, OpenError> Tree::is_directory_own(const std::string& rel, const Mount* mount,
                                                      std::string_view inner, Prefetched* ahead) const {
  if (ahead && ahead->rel == rel && ahead->directory) return *ahead->directory;
  if (mount == nullptr) return is_directory_beneath(dirfd_->get(), rel, walk_wait());
  switch (mount->kind) {
    case Mount::Kind::image: {
      auto budget = image_budget(iso::kMaxLookupSteps);
      return member_is_directory(*mount->image.image, inner, budget);
    }
    case Mount::Kind::directory: return is_directory_beneath(mount->directory->get(), std::string(inner), walk_wait());
    case Mount::Kind::empty:
    case Mount::Kind::file: break;
  }
  return std::unexpected(OpenError::not_found);
}

}  // namespace pxed::vfs
