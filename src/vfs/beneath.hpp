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

// rel is normalized (vfs::normalize) and not empty.
std::expected<File, OpenError> open_file_beneath(int dirfd, const std::string& rel);

// The entries of a directory ("" is dirfd's own): regular files and
// directories, and symlinks that resolve inside dirfd to one of those;
// anything else (FIFOs, sockets, devices, links that leave or dangle) is
// omitted, as open would refuse it anyway. Unsorted; at most kMaxListing.
std::expected<std::vector<DirEntry>, OpenError> list_beneath(int dirfd, const std::string& rel);

// Whether rel names a directory inside dirfd, without opening it for reading.
std::expected<bool, OpenError> is_directory_beneath(int dirfd, const std::string& rel);

}  // namespace pxed::vfs
