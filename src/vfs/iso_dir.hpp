#pragma once
// files.iso_dir: every *.iso directly in one directory appears as
// /iso/<name without .iso>/ and follows the directory while pxed runs, as
// images arrive, are replaced and go. This is the pure half: which names are
// images, what an inotify read says, and whether a file needs (re)opening.
// The watcher in iso_dir_service.cpp does the I/O.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vfs/iso_mount.hpp"

namespace pxed::vfs {

// Where the images appear (normalized, as in the mount table: "/iso").
inline constexpr std::string_view kIsoDirMountPoint = "iso";

// "debian-12.iso" (or ".ISO") -> "debian-12". Nothing for other names,
// hidden files (".x.iso": editors' and rsync's temporaries), a bare ".iso",
// and names normalize() would not keep as one path segment.
std::optional<std::string> image_name_of(std::string_view file_name);
// "debian-12" -> "iso/debian-12", the mount point in the tree.
std::string iso_mount_point(std::string_view image_name);
// "debian-12" -> "iso/debian-12.iso", where the image file itself is served.
std::string iso_file_point(std::string_view image_name);

// One inotify(7) record: its mask and, for events in the directory, the name.
struct WatchEvent {
  int wd = -1;  // the watch it is about
  std::uint32_t mask = 0;
  std::string name;
};
// What one read() of an inotify descriptor returned. Every length is checked:
// a record cut short ends the list (the kernel never writes one).
std::vector<WatchEvent> decode_watch_events(std::span<const std::byte> buffer);

// The inotify events the watcher asks for on iso_dir.
std::uint32_t watch_mask();

// What the watcher does about one batch of events.
struct WatchPlan {
  bool directory_gone = false;  // iso_dir deleted, moved or unmounted: drop every image
  bool rescan_all = false;      // the event queue overflowed: look at every file again
  std::vector<std::string> files;  // image files to look at again, each once, in order
};
// Events of other watches (one the watcher removed and replaced) are ignored.
WatchPlan plan_for(std::span<const WatchEvent> events, int wd);

// What is known about each image file, so a repeated event about an
// unchanged file (a second close, a touch) neither reopens nor re-logs it.
class IsoDirState {
 public:
  enum class Step {
    keep,  // unchanged since we last opened it (or refused it)
    open,  // new or changed: open it and mount it (replacing the old one)
    drop,  // gone: unmount it if it is mounted
  };
  // now: the file's identity, or nothing if it is no longer there (or not a file).
  Step on_file(std::string_view file_name, const std::optional<FileIdentity>& now) const;

  void mounted(std::string file_name, const FileIdentity& identity);
  // A bad image: skipped until the file changes.
  void refused(std::string file_name, const FileIdentity& identity);
  void forget(std::string_view file_name);

  bool is_mounted(std::string_view file_name) const;
  // Known files (mounted or refused) in name order.
  std::vector<std::string> files() const;

 private:
  struct Known {
    FileIdentity identity;
    bool mounted = false;
  };
  std::map<std::string, Known, std::less<>> known_;
};

}  // namespace pxed::vfs
