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

namespace pxed::vfs {

enum class OpenError { bad_path, not_found, outside_root, not_a_file, permission, io };

std::string_view to_string(OpenError e);

// An open regular file. Move-only; closes its descriptor. Later an ISO member
// is a list of (fd, offset, length) extents behind the same interface.
class File {
 public:
  File() = default;
  File(int fd, std::uint64_t size);
  File(File&&) noexcept;
  File& operator=(File&&) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File();

  std::uint64_t size() const { return size_; }
  int fd() const { return fd_; }
  // Reads up to out.size() bytes at offset; fewer only at the end of the file.
  // Returns bytes read or an errno value.
  std::expected<std::size_t, int> read_at(std::span<std::byte> out, std::uint64_t offset) const;

 private:
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

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

  const std::filesystem::path& root() const { return root_; }

 private:
  Tree(int dirfd, std::filesystem::path root) : dirfd_(dirfd), root_(std::move(root)) {}
  int dirfd_ = -1;
  std::filesystem::path root_;
};

}  // namespace pxed::vfs
