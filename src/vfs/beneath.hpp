#pragma once
// The real directories of the tree (files.root, and [[files.mount]] dir = ...):
// every name is resolved by openat2(RESOLVE_BENEATH) on a directory descriptor
// taken before privileges are dropped, so neither "..", absolute symlinks nor
// symlinks that climb out can leave that directory.
#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include "vfs/file.hpp"
#include "vfs/types.hpp"

namespace pxed::vfs {

// Opens a directory to serve from (O_PATH|O_DIRECTORY|O_CLOEXEC); the errno otherwise.
std::expected<int, int> open_directory(const std::filesystem::path& dir);

// What the event loop does after a walk limited to the kernel's caches
// (openat2 RESOLVE_CACHED, Linux 5.12) failed with err.
enum class CachedWalk {
  answer,      // err is the name's answer (ENOENT, EXDEV, ...): as an uncached walk would say
  ask_worker,  // EAGAIN: the walk needs I/O (a cold dentry, NFS revalidation); a worker walks
  unsupported  // EINVAL: a kernel without RESOLVE_CACHED; every walk goes to a worker from now on
};
CachedWalk after_cached_walk(int err);

// rel is normalized (vfs::normalize) and not empty. Wait::no (the event
// loop's try) walks only through the kernel's caches and says would_block
// where that is not enough (or the kernel cannot tell).
std::expected<File, OpenError> open_file_beneath(int dirfd, const std::string& rel, Wait wait = Wait::yes);

// The entries of a directory ("" is dirfd's own): regular files and
// directories, and symlinks that resolve inside dirfd to one of those;
// anything else (FIFOs, sockets, devices, links that leave or dangle) is
// omitted, as open would refuse it anyway. Unsorted; at most kMaxListing.
std::expected<std::vector<DirEntry>, OpenError> list_beneath(int dirfd, const std::string& rel);

// Whether rel names a directory inside dirfd, without opening it for
// reading; Wait::no as open_file_beneath.
std::expected<bool, OpenError> is_directory_beneath(int dirfd, const std::string& rel, Wait wait = Wait::yes);

}  // namespace pxed::vfs
