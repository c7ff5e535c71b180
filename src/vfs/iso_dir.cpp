#include "vfs/iso_dir.hpp"

#include <sys/inotify.h>

#include <algorithm>
#include <cstring>

#include "vfs/path.hpp"

namespace pxed::vfs {
namespace {

constexpr std::string_view kSuffix = ".iso";

bool ends_with_iso(std::string_view name) {
  if (name.size() < kSuffix.size()) return false;
  auto tail = name.substr(name.size() - kSuffix.size());
  return std::ranges::equal(tail, kSuffix, [](char a, char b) {
    return (a >= 'A' && a <= 'Z' ? a - 'A' + 'a' : a) == b;
  });
}

// The events that mean "look at this file again". CREATE is left out: a copy
// is created empty and would be refused before its IN_CLOSE_WRITE arrives.
constexpr std::uint32_t kFileEvents = IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM;
// The directory itself went away; IN_IGNORED follows when the kernel drops the watch.
constexpr std::uint32_t kGoneEvents = IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT | IN_IGNORED;

}  // namespace

std::optional<std::string> image_name_of(std::string_view file_name) {
  if (!ends_with_iso(file_name) || file_name.starts_with('.')) return std::nullopt;
  std::string name(file_name.substr(0, file_name.size() - kSuffix.size()));
  // The name becomes a path segment seen through normalize(): a backslash
  // would split it, and a NUL, "." or ".." could never be asked for.
  auto normalized = normalize(name);
  if (!normalized || *normalized != name || name.find('/') != std::string::npos) return std::nullopt;
  return name;
}

std::string iso_mount_point(std::string_view image_name) {
  return std::string(kIsoDirMountPoint) + "/" + std::string(image_name);
}

std::string iso_file_point(std::string_view image_name) { return iso_mount_point(image_name) + ".iso"; }

std::vector<WatchEvent> decode_watch_events(std::span<const std::byte> buffer) {
  std::vector<WatchEvent> events;
  std::size_t pos = 0;
  // inotify(7): struct inotify_event { int wd; uint32_t mask, cookie, len; char name[len]; },
  // the name NUL-padded to len.
  while (buffer.size() - pos >= sizeof(inotify_event)) {
    inotify_event header{};
    std::memcpy(&header, buffer.data() + pos, sizeof header);
    pos += sizeof header;
    if (header.len > buffer.size() - pos) break;
    const char* name = reinterpret_cast<const char*>(buffer.data() + pos);
    events.push_back(WatchEvent{header.wd, header.mask, std::string(name, ::strnlen(name, header.len))});
    pos += header.len;
  }
  return events;
}

std::uint32_t watch_mask() {
  // ONLYDIR: a path that is not (or no longer) a directory fails instead of
  // watching a file. EXCL_UNLINK: no events for names already unlinked.
  return kFileEvents | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK;
}

WatchPlan plan_for(std::span<const WatchEvent> events, int wd) {
  WatchPlan plan;
  for (const WatchEvent& e : events) {
    // inotify(7): an overflow record has wd -1 and belongs to every watch.
    if ((e.mask & IN_Q_OVERFLOW) != 0) plan.rescan_all = true;
    if (e.wd != wd) continue;
    if ((e.mask & kGoneEvents) != 0 && e.name.empty()) plan.directory_gone = true;
    if ((e.mask & kFileEvents) == 0 || e.name.empty() || (e.mask & IN_ISDIR) != 0) continue;
    if (!image_name_of(e.name)) continue;
    // Only where it is now matters: the watcher looks at the file, not at the
    // event, so a MOVED_FROM then MOVED_TO of one name is one look.
    if (std::ranges::find(plan.files, e.name) == plan.files.end()) plan.files.push_back(e.name);
  }
  return plan;
}

IsoDirState::Step IsoDirState::on_file(std::string_view file_name,
                                       const std::optional<FileIdentity>& now) const {
  auto it = known_.find(file_name);
  if (!now) return it == known_.end() ? Step::keep : Step::drop;
  if (it != known_.end() && it->second.identity == *now) return Step::keep;
  return Step::open;
}

void IsoDirState::mounted(std::string file_name, const FileIdentity& identity) {
  known_.insert_or_assign(std::move(file_name), Known{identity, true});
}

void IsoDirState::refused(std::string file_name, const FileIdentity& identity) {
  known_.insert_or_assign(std::move(file_name), Known{identity, false});
}

void IsoDirState::forget(std::string_view file_name) {
  if (auto it = known_.find(file_name); it != known_.end()) known_.erase(it);
}

bool IsoDirState::is_mounted(std::string_view file_name) const {
  auto it = known_.find(file_name);
  return it != known_.end() && it->second.mounted;
}

std::vector<std::string> IsoDirState::files() const {
  std::vector<std::string> out;
  out.reserve(known_.size());
  for (const auto& [name, known] : known_) out.push_back(name);
  return out;
}

}  // namespace pxed::vfs
