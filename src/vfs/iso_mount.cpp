#include "vfs/iso_mount.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <system_error>

#include "iso/image.hpp"

namespace pxed::vfs {
namespace {

// A link that climbs out of the image or loops is refused like a link out of
// files.root (TFTP access violation, HTTP 404 logged as a warning); a missing
// name, a dangling link and an unreadable directory record all read as missing.
OpenError open_error_of(iso::LookupError e) {
  switch (e) {
    case iso::LookupError::outside_image:
    case iso::LookupError::too_many_links:
      return OpenError::outside_root;
    case iso::LookupError::not_found:
    case iso::LookupError::not_a_directory:
    case iso::LookupError::bad_image:
      return OpenError::not_found;
    case iso::LookupError::over_budget:
      return OpenError::over_budget;
  }
  return OpenError::not_found;
}

std::string errno_text(int err) { return std::generic_category().message(err); }

}  // namespace

std::expected<OpenedImage, std::string> open_image(int dirfd, const std::filesystem::path& path) {
  int raw = -1;
  // O_NONBLOCK: a FIFO named *.iso must not hang the server waiting for a writer.
  do {
    raw = ::openat(dirfd, path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  } while (raw < 0 && errno == EINTR);
  if (raw < 0) return std::unexpected(errno_text(errno));
  auto fd = std::make_shared<const Descriptor>(raw);
  struct stat st{};
  if (::fstat(fd->get(), &st) != 0) return std::unexpected(errno_text(errno));
  if (!S_ISREG(st.st_mode)) return std::unexpected(std::string("not a regular file"));
  int flags = ::fcntl(fd->get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd->get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return std::unexpected(errno_text(errno));
  }
  iso::ReadAt read = [fd](std::span<std::byte> out, std::uint64_t offset) {
    return pread_full(fd->get(), out, offset);
  };
  auto image = iso::Image::open(std::move(read), static_cast<std::uint64_t>(st.st_size));
  if (!image) return std::unexpected(image.error());
  FileIdentity identity{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
                        static_cast<std::uint64_t>(st.st_size),
                        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
                            st.st_mtim.tv_nsec};
  return OpenedImage{std::move(fd), std::make_shared<const iso::Image>(std::move(*image)), identity};
}

std::expected<File, OpenError> open_member(const OpenedImage& image, std::string_view inner,
                                           iso::LookupBudget& budget) {
  if (inner.empty()) return std::unexpected(OpenError::not_a_file);  // the mount point
  auto entry = image.image->resolve(inner, iso::FollowLast::yes, budget);
  if (!entry) return std::unexpected(open_error_of(entry.error().error));
  if (entry->directory) return std::unexpected(OpenError::not_a_file);
  std::vector<Extent> extents;
  extents.reserve(entry->extents.size());
  for (const auto& e : entry->extents) extents.push_back(Extent{e.offset, e.length});
  return File{image.fd, std::move(extents), entry->mtime * 1'000'000'000};
}

std::expected<std::vector<DirEntry>, OpenError> list_members(const iso::Image& image,
                                                             std::string_view inner,
                                                             iso::LookupBudget& budget) {
  // One budget for the listing and every link it shows: a directory of
  // links into a loop must not cost a full lookup's bound per link.
  auto dir = image.resolve(inner, iso::FollowLast::yes, budget);
  if (!dir) return std::unexpected(open_error_of(dir.error().error));
  if (!dir->directory) return std::unexpected(OpenError::not_found);
  auto members = image.list(inner, budget);
  if (!members) return std::unexpected(open_error_of(members.error().error));
  const std::string prefix = inner.empty() ? std::string() : std::string(inner) + "/";
  std::vector<DirEntry> entries;
  for (auto& m : *members) {
    if (m.symlink_target) {
      // Shown as its target, resolved from the link's own directory; a link
      // that leads nowhere (or out of the image) is not advertised.
      auto target = image.resolve(prefix + m.name, iso::FollowLast::yes, budget);
      if (!target && target.error().error == iso::LookupError::over_budget) {
        return std::unexpected(OpenError::over_budget);
      }
      if (!target) continue;
      entries.push_back(DirEntry{std::move(m.name), target->directory,
                                 target->directory ? 0 : target->size, target->mtime});
    } else {
      entries.push_back(DirEntry{std::move(m.name), m.directory, m.directory ? 0 : m.size, m.mtime});
    }
    if (entries.size() >= kMaxListing) break;
  }
  return entries;
}

std::expected<bool, OpenError> member_is_directory(const iso::Image& image, std::string_view inner,
                                                   iso::LookupBudget& budget) {
  if (inner.empty()) return true;
  auto entry = image.resolve(inner, iso::FollowLast::yes, budget);
  if (!entry) return std::unexpected(open_error_of(entry.error().error));
  return entry->directory;
}

void prefetch_member(const iso::Image& image, std::string_view inner, iso::LookupBudget& budget) {
  // A directory is listed (HTTP shows it), links in it resolved; a file's
  // path is walked. Both leave their directories in the cache.
  if (member_is_directory(image, inner, budget).value_or(false)) (void)list_members(image, inner, budget);
}

}  // namespace pxed::vfs
