#pragma once
// One read-only file tree: files.root, with ISO images and other directories
// mounted at paths in it. Real directories are opened through
// openat2(RESOLVE_BENEATH) on a descriptor taken before privileges are
// dropped (see beneath.hpp), images through our own reader (iso_mount.hpp).
// A name none of them holds may be a loader the system installed
// (system_files.hpp), and then a file generated for the machine that asks
// (generated.hpp): the user's own file always wins.
//
// Changed on one thread (the event loop's: the iso_dir watcher, reloads) and
// read on any: HTTP serves from loops of its own (docs/threads.md). A reader
// holds no Mount across calls; an open File holds its own descriptor. The
// generator and the observer are called with no lock held: they belong to
// the loop (the observer may be told from another thread: it must cope).
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <utility>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "vfs/file.hpp"
#include "vfs/generated.hpp"
#include "vfs/iso_mount.hpp"
#include "vfs/mount_table.hpp"
#include "vfs/system_files.hpp"
#include "vfs/types.hpp"

namespace pxed::iso {
class LookupBudget;
}

namespace pxed::vfs {

// What a worker found for one name (Tree::prefetch), for the loop's next
// open, is_directory or list of that same name. An image's directories go
// into the image's own cache, so nothing is carried for them; the answer of
// a real directory is carried here, because the kernel's caches that the
// worker's walk filled may be gone again (or never serve a cached walk:
// NFS, FUSE) by the time the loop asks.
struct Prefetched {
  std::string rel;  // normalized: the name these answers are for
  std::optional<std::expected<File, OpenError>> file;  // taken by the first open
  std::optional<std::expected<bool, OpenError>> directory;
  std::optional<std::expected<std::vector<DirEntry>, OpenError>> entries;  // taken by the first list
  // The system's file of that name, when the tree has none, and what the
  // system adds to that listing (system_files.hpp): walks of its own.
  std::optional<std::expected<File, OpenError>> system_file;
  std::optional<std::vector<DirEntry>> system_entries;
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

  // raw is what the client sent; it is normalized here (see path.hpp). A
  // file of the tree (root or mounts) wins; where there is none, the system's
  // file of that name (if any), then the generator's for `who` (if any).
  // Only not_found falls through: a name the tree has but refuses (a
  // directory, a link that leaves it) stays refused.
  // ahead: what a worker found for raw (prefetch), after would_block.
  // generate: no where the generator's state is not at hand (another
  // thread than the loop's): a name only it could make is not_found then,
  // and generates() tells the caller to ask again on the loop.
  enum class Generate { yes, no };
  std::expected<File, OpenError> open(std::string_view raw, const Requester& who,
                                      Prefetched* ahead = nullptr, Generate generate = Generate::yes) const;
  std::expected<File, OpenError> open(std::string_view raw) const { return open(raw, Requester{}); }

  // The provider of generated files; null: none. Swapped whole on reload:
  // transfers already running keep the File they opened.
  void set_generator(std::shared_ptr<const Generator> generator);
  bool generates() const;
  // Told of each successful open(raw, who) by a requester with an address.
  void set_observer(std::shared_ptr<const Observer> observer);

  // Loaders the system's packages installed, under the names their table
  // gives them (debian_loaders.hpp); null: none ([files] system_loaders = false).
  // Opened at start-up like the root, before privileges are dropped.
  void set_system_files(std::shared_ptr<const SystemFiles> files);

  // The entries of a directory: regular files and directories, and symlinks
  // that resolve inside the root (or the image, or the mounted directory) to
  // one of those; anything else (FIFOs, sockets, devices, links that leave
  // or dangle) is omitted, as open() would refuse it anyway. Sorted
  // directories first, then by name (bytewise); "." and ".." are not
  // included. "/" (or ".") is the root. A name that is a file, or missing,
  // is not_found. Mount points below it show as directories; the system's
  // files show where the tree has no entry of their name.
  std::expected<std::vector<DirEntry>, OpenError> list(std::string_view raw, Prefetched* ahead = nullptr) const;

  // Whether raw names a directory inside the root (the root itself included),
  // without opening it for reading: how a server tells "/sub" (redirect to
  // "/sub/") from a missing or special file after open() said not_a_file.
  std::expected<bool, OpenError> is_directory(std::string_view raw, Prefetched* ahead = nullptr) const;

  const std::filesystem::path& root() const { return root_; }

  // ---- no disk work on the event loop. Reading an image's directories can
  // take as long as the image makes it (a hostile one: minutes), and a walk
  // of a real directory waits for its disk on a cold dentry cache (or a
  // server, for NFS), so `serve` sets on_loop: open, list and is_directory
  // then read no image directory, only what the image's cache holds (a
  // lookup that would need more is over_budget), walk real directories only
  // through the kernel's caches (openat2 RESOLVE_CACHED; would_block where
  // that is not enough) and never list one (would_block: thousands of
  // fstatat). The services then run prefetch(raw) on a worker, which reads
  // what that name needs within one lookup's bound, and ask again with its
  // Prefetched. Commands without a loop (`iso ls`, `check`, tests) read as
  // they go.
  void set_on_loop(bool on) { on_loop_ = on; }
  // What the worker is asked to find: a file (and, when it is not one,
  // whether it is a directory: HTTP redirects those) or a listing.
  enum class Need { file, listing };
  // The work to run off the loop before open/list/is_directory(raw): null
  // when there is none (a bad path, the root or a mount point as a file).
  // Nothing of the Tree is touched by it, so it is safe on any thread; it
  // holds the image or directory it reads.
  using Prefetch = std::function<Prefetched(std::stop_token)>;
  Prefetch prefetch(std::string_view raw, Need need) const;

  // ---- mounts: `at` is a path in the tree ("/centos7"; not the root); the
  // longest mount point wins, and listing its parent shows it, whether or not
  // the directories on the way exist. Errors name the mount and what to fix.

  // The ISO 9660 image at image_path appears as the directory `at`. Done at
  // startup, before privileges are dropped; the image stays open.
  std::expected<void, std::string> add_iso_mount(std::string_view at,
                                                 const std::filesystem::path& image_path);
  // The directory dir appears at `at`, confined like the root: names are
  // resolved beneath it, symlinks that leave it are refused.
  std::expected<void, std::string> add_dir_mount(std::string_view at,
                                                 const std::filesystem::path& dir);
  // An empty directory at `at` (where images will appear later).
  std::expected<void, std::string> add_empty_directory(std::string_view at);

  // For the files.iso_dir watcher, on the io_context's thread: puts an opened
  // image at `at` (normalized, as normalize() returns it), replacing what
  // is there; removes a mount. Transfers already running keep their File.
  void put_image(std::string at, OpenedImage image);
  // The image file itself at `at` ("iso/debian-12.iso"), served whole.
  void put_image_file(std::string at, OpenedImage image);
  bool remove_mount(std::string_view at);
  bool has_mount(std::string_view at) const;
  // The image mounted exactly at `at` (as [[files.mount]] spells it: "/centos7"),
  // or null; for the image catalogue, which reads its descriptors' facts.
  std::shared_ptr<const iso::Image> image_at(std::string_view at) const;

 private:
  Tree(int dirfd, std::filesystem::path root);
  // The normalized, free mount point for `at`, or what is wrong with it.
  std::expected<std::string, std::string> mount_point(std::string_view at,
                                                      const std::string& where) const;
  // A file of the tree (root or mounts) at a normalized, non-empty name.
  // wait: whether a real directory's walk may wait for the disk.
  std::expected<File, OpenError> open_own(const std::string& rel, Prefetched* ahead, Wait wait) const;
  // Wait::no on the loop: real directories are walked only through the kernel's caches.
  Wait walk_wait() const { return on_loop_ ? Wait::no : Wait::yes; }
  // What one image lookup (or listing) on this thread may do; on the loop it reads nothing.
  iso::LookupBudget image_budget(std::size_t steps) const;
  std::expected<File, OpenError> open_generated(const Generator& generator, const std::string& rel,
                                                const Requester& who) const;
  std::expected<bool, OpenError> is_directory_own(const std::string& rel, const Mount* mount,
                                                  std::string_view inner, Prefetched* ahead) const;
  // The real directory that holds rel (the root, or a dir mount) and the
  // name inside it; null when rel is elsewhere (an image, an empty mount).
  std::pair<std::shared_ptr<const Descriptor>, std::string_view> real_directory(const std::string& rel) const;

  std::shared_ptr<const Descriptor> dirfd_;  // shared with workers' walks (prefetch)
  std::filesystem::path root_;
  MountTable mounts_;
  std::shared_ptr<const Generator> generator_;
  std::shared_ptr<const Observer> observer_;
  std::shared_ptr<const SystemFiles> system_;
  bool on_loop_ = false;
  // Guards mounts_, generator_, observer_ and system_; a pointer so the Tree moves.
  std::unique_ptr<std::shared_mutex> lock_ = std::make_unique<std::shared_mutex>();
};

}  // namespace pxed::vfs
