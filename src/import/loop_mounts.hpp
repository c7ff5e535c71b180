#pragma once
// Which directories are ISO images mounted with `mount -o loop`: the old stack
// served an image's files through such a mount under nginx's root, where pxed
// mounts the image file itself ([[files.mount]] iso). Read from /etc/fstab (the
// mounts the machine makes at boot) and /proc/self/mountinfo (the mounts it has
// now, whose /dev/loopN names its image in /sys/block/loopN/loop/backing_file).
// Pure: the caller reads those files.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pxed::import {

struct LoopMount {
  std::string dir;     // the mount point, normalized: "/srv/tftp/centos7"
  std::string image;   // the image file: "/srv/iso/CentOS-7-x86_64-Minimal-2009.iso"
  std::string origin;  // where it was read: "/etc/fstab:12" or "/proc/self/mountinfo"
  bool live = false;   // mounted now (mountinfo), not only in fstab
};

// fstab(5) lines whose options hold `loop` (the image is the first field), or
// whose first field is a *.iso / *.img file with type iso9660 or udf. Fields
// use fstab's octal escapes (\040 for a blank).
std::vector<LoopMount> loop_mounts_in_fstab(std::string_view text, const std::string& name);

// proc(5) mountinfo lines of type iso9660 or udf mounted from /dev/loopN; the
// image is what `backing_file("loop3")` says (sysfs), or the line is left out.
std::vector<LoopMount> loop_mounts_in_mountinfo(
    std::string_view text, const std::string& name,
    const std::function<std::optional<std::string>(const std::string& loop)>& backing_file);

// The mount at `dir` (both normalized, no trailing slash), if any; a live
// mount (mountinfo) wins over fstab when both name the directory.
const LoopMount* loop_mount_at(const std::vector<LoopMount>& mounts, std::string_view dir);

// "/srv/tftp/./centos7/" -> "/srv/tftp/centos7"; "" for a relative path.
std::string normal_dir(std::string_view path);

}  // namespace pxed::import
