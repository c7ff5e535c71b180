#pragma once
// An open file as extents of a descriptor: a plain file is one extent of its
// own descriptor, a member of an ISO image is the image's extents that hold it.
// TFTP reads through read_at; HTTP sendfile()s each extent.
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace pxed::vfs {

// A run of bytes of a file at `offset` in its descriptor: a plain file is one
// extent {0, size}; an ISO member is its extents inside the image.
struct Extent {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  bool operator==(const Extent&) const = default;
};

// Owns one descriptor; shared, so a File opened from an ISO image keeps the
// image open after the Tree drops or replaces its mount.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor();
  int get() const { return fd_; }

 private:
  int fd_;
};

// Whether a read may wait for the disk. Wait::no (the event loop's try)
// reads only what the page cache holds and fails with EAGAIN otherwise
// (preadv2 RWF_NOWAIT), so the caller can hand the read to a worker.
enum class Wait { yes, no };

// Reads out.size() bytes of fd at offset, fewer only at its end; bytes read or an errno.
std::expected<std::size_t, int> pread_full(int fd, std::span<std::byte> out, std::uint64_t offset,
                                           Wait wait = Wait::yes);

// An open regular file, or a file inside an ISO image: a descriptor and the
// extents of it that hold the file's bytes, in file order. Move-only.
class File {
 public:
  File() = default;
  // A plain file: takes ownership of fd; one extent {0, size}.
  File(int fd, std::uint64_t size);
  // A plain file whose mtime the caller already knows (from its fstat).
  File(int fd, std::uint64_t size, std::int64_t mtime_ns);
  // A member of an image: extents are offsets inside the image descriptor.
  File(std::shared_ptr<const Descriptor> image, std::vector<Extent> extents, std::int64_t mtime_ns);
  File(File&&) noexcept;
  File& operator=(File&&) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File();

  std::uint64_t size() const { return size_; }
  // The descriptor the extents point into (the image's, for an ISO member).
  int fd() const { return fd_ ? fd_->get() : -1; }
  std::span<const Extent> extents() const { return extents_; }
  // Modification time in nanoseconds since the epoch: the file's at open, or
  // the ISO entry's (never the image file's).
  std::int64_t mtime_ns() const { return mtime_ns_; }
  // Reads up to out.size() bytes at a logical offset, across extents; fewer
  // only at the end of the file. Returns bytes read or an errno value.
  std::expected<std::size_t, int> read_at(std::span<std::byte> out, std::uint64_t offset,
                                          Wait wait = Wait::yes) const;

  // Empty for a file of the tree; for a generated one, why and for whom it was
  // made ("for db-03 (by address, lease)"), so the log says which kind was served.
  const std::string& generated() const { return generated_; }
  void set_generated(std::string why) { generated_ = std::move(why); }
  // Empty for a file of the tree; for one the system's packages installed and
  // the tree lacked (system_files.hpp), the path it was served from
  // ("/usr/lib/PXELINUX/lpxelinux.0"), so the log says which was served.
  const std::string& system() const { return system_; }
  void set_system(std::string path) { system_ = std::move(path); }

 private:
  std::shared_ptr<const Descriptor> fd_;
  std::vector<Extent> extents_;
  std::uint64_t size_ = 0;
  std::int64_t mtime_ns_ = 0;
  bool plain_ = true;  // a whole file of its own, not extents inside an image
  std::string generated_;
  std::string system_;
};

}  // namespace pxed::vfs
