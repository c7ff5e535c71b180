#pragma once
// Files the system's packages install (boot loaders: debian_loaders.hpp),
// served under fixed names of the tree when the tree has none of that name.
// The tree looks here only after files.root and its mounts said not_found, and
// before generated files (tree.hpp).
//
// Confined like files.root: every directory of the table is opened (O_PATH)
// when the table is opened, before privileges are dropped, and a name is
// resolved beneath that directory (openat2 RESOLVE_BENEATH, beneath.hpp).
// Only names the table matches are ever looked up, so nothing else of the
// system — /boot's kernels, another file of /usr/lib — can be reached.
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vfs/file.hpp"
#include "vfs/types.hpp"

namespace pxed::vfs {

// One row of a table: a name (or a pattern of names) of the tree and where
// the system keeps the file.
struct SystemSource {
  // A normalized tree name, "lpxelinux.0", "efi64/syslinux.efi"; or a pattern
  // with one '*' in its last segment, "*.c32", "efi64/*.e64": '*' stands for
  // one or more bytes other than '/'.
  std::string_view tree;
  std::string_view dir;      // absolute: "/usr/lib/PXELINUX"
  // The name in dir; empty: the tree name's last segment (for a pattern, the
  // name asked). "shimx64.efi.signed" serves the tree's "shimx64.efi".
  std::string_view file;
  std::string_view package;  // what installs it: "pxelinux", for `pxed check`
};

// The first row of table whose tree name or pattern matches rel (normalized),
// whether or not its file exists. nullptr: no row.
const SystemSource* source_of(std::span<const SystemSource> table, std::string_view rel);
// Where that row keeps rel (which it matches): "/usr/lib/shim/shimx64.efi.signed".
std::string system_path(const SystemSource& source, std::string_view rel);

class SystemFiles {
 public:
  // Opens every distinct directory of the table now. A directory that cannot
  // be opened (its package is not installed) leaves its names not found.
  static SystemFiles open(std::span<const SystemSource> table);

  // The file of rel (normalized, not empty): not_found when no row matches,
  // the row's directory is missing, or the file is not in it; other errors as
  // open_file_beneath. The File says where it came from (File::system()).
  // Wait::no as open_file_beneath: the event loop's try.
  std::expected<File, OpenError> open(std::string_view rel, Wait wait = Wait::yes) const;

  // What the system adds to the tree's directory rel ("" is the root): the
  // files of rows in it that exist, and directories leading to rows below it;
  // unsorted (the tree merges them into its own listing and sorts).
  std::vector<DirEntry> list(std::string_view rel) const;
  // Whether rel ("" the root) is a directory of some row whose directory exists.
  bool is_directory(std::string_view rel) const;

  // The packages whose directories were found, each once, in table order: for the start-up log.
  std::vector<std::string> packages() const;

 private:
  struct Row {
    std::string tree;
    std::string dir;
    std::string file;
    std::string package;
    std::shared_ptr<const Descriptor> fd;  // null: the directory is missing
  };
  // The row for rel and the name to open beneath its directory.
  std::optional<std::pair<const Row*, std::string>> find(std::string_view rel) const;

  std::vector<Row> rows_;
};

}  // namespace pxed::vfs
