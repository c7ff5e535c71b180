#pragma once
// Where mounted images and directories sit in the tree. Keyed by the
// normalized mount point ("centos7", "iso/debian-12"): finding the mount of a
// path costs one map lookup per path segment, however many images there are.
//
// Not synchronized: the tree is read and changed on the one thread that runs
// the io_context (TFTP, HTTP and the iso_dir watcher). Nothing may keep a
// Mount pointer across a suspension point; an open File holds its own
// descriptor, which is what lets a transfer outlive a replaced image.
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vfs/file.hpp"
#include "vfs/iso_mount.hpp"

namespace pxed::vfs {

struct Mount {
  enum class Kind {
    image,      // an ISO image's tree
    directory,  // a directory of the host, confined like files.root
    empty,      // an empty directory: files.iso_dir's "/iso" before any image arrives
    file,       // an image file itself (files.iso_dir's /iso/<name>.iso): casper's url=,
                // dracut's root=live: and iPXE's sanboot fetch the whole image
  };
  Kind kind = Kind::empty;
  OpenedImage image;                            // Kind::image and Kind::file
  std::shared_ptr<const Descriptor> directory;  // Kind::directory: O_PATH
  // When what it shows last changed, for listings of its parent: the image
  // file's mtime, a directory's at mount time; 0 for Kind::empty.
  std::int64_t mtime_ns = 0;
};

class MountTable {
 public:
  // at is normalized and not empty.
  bool contains(std::string_view at) const { return mounts_.find(at) != mounts_.end(); }
  // Adds a mount, or replaces the one at the same point.
  void put(std::string at, Mount mount);
  bool remove(std::string_view at);
  std::size_t size() const { return mounts_.size(); }

  // The mount holding rel (normalized; "" is the root) and the path inside
  // it (""= the mount point): the longest mount point that is rel or a
  // parent of it. {nullptr, {}} when rel is outside every mount.
  std::pair<const Mount*, std::string_view> find(std::string_view rel) const;
  // Names of mount points that sit directly (or through directories that
  // need not exist) under rel, each once.
  std::vector<std::string> children(std::string_view rel) const;
  // The newest mtime_ns of the mount at rel and every mount below it: the
  // date a listing gives a mount point (or a directory on the way to one),
  // so an image added today does not show as 1970. 0 when none has one.
  std::int64_t newest_mtime_ns(std::string_view rel) const;

 private:
  std::map<std::string, Mount, std::less<>> mounts_;
};

}  // namespace pxed::vfs
