#pragma once
// One read-only file tree. Opening goes through openat2(RESOLVE_BENEATH) on a
// directory fd taken before privileges are dropped, so neither "..", absolute
// symlinks nor symlinks that climb out can leave the root.
#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vfs/file.hpp"

namespace pxed::iso {
class Image;
}

namespace pxed::vfs {

enum class OpenError { bad_path, not_found, outside_root, not_a_file, permission, io };

std::string_view to_string(OpenError e);

// One name in a directory listing. A symlink is listed as what it points to
// (a directory or a file, with that one's size and mtime).
struct DirEntry {
  std::string name;
  bool directory = false;
  std::uint64_t size = 0;  // 0 for directories
  std::int64_t mtime_seconds = 0;
};

// A listing stops after this many entries (in readdir order, so which ones is
// unspecified): a directory of a million files must not cost a million
// fstatats and a body of hundreds of megabytes per request.
inline constexpr std::size_t kMaxListing = 10000;

class Tree {
 public:
  // Opens the root directory (O_PATH|O_DIRECTORY). Error text says what to fix.
  static std::expected<Tree, std::string> open_root(const std::filesystem::path& root);

  Tree(Tree&&) noexcept;
  Tree& operator=(Tree&&) noexcept;
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;
  ~Tree();

  // raw is what the client sent; it is normalized here (see path.hpp).
  std::expected<File, OpenError> open(std::string_view raw) const;

  // The entries of a directory: regular files and directories, and symlinks
  // that resolve inside the root to one of those; anything else (FIFOs,
  // sockets, devices, links that leave the root or dangle) is omitted, as
  // open() would refuse it anyway. Sorted directories first, then by name
  // (bytewise); "." and ".." are not included. "/" (or ".") is the root.
  // A name that is a file, or missing, is not_found.
  std::expected<std::vector<DirEntry>, OpenError> list(std::string_view raw) const;

  // Whether raw names a directory inside the root (the root itself included),
  // without opening it for reading: how a server tells "/sub" (redirect to
  // "/sub/") from a missing or special file after open() said not_a_file.
  std::expected<bool, OpenError> is_directory(std::string_view raw) const;

  const std::filesystem::path& root() const { return root_; }

  // Makes the ISO 9660 image at image_path appear as the directory `at`
  // ("/centos7"; not the root): longest mount point wins, and listing the
  // parent shows it. Done at startup, before privileges are dropped; the image
  // stays open. Inside a mount, symlinks are not followed (not_found).
  std::expected<void, std::string> add_iso_mount(std::string_view at,
                                                 const std::filesystem::path& image_path);

 private:
  struct Mount {
    std::string at;  // normalized, never empty: "centos7" or "os/centos7"
    std::shared_ptr<const Descriptor> image_fd;
    std::shared_ptr<const iso::Image> image;
  };
  Tree(int dirfd, std::filesystem::path root);
  // The mount holding rel (normalized) and the path inside it, if any.
  std::pair<const Mount*, std::string_view> mount_of(std::string_view rel) const;
  // Names of mount points that sit directly (or through missing directories) under rel.
  std::vector<std::string> mount_children(std::string_view rel) const;

  int dirfd_ = -1;
  std::filesystem::path root_;
  std::vector<Mount> mounts_;
};

}  // namespace pxed::vfs
