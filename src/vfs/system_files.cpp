#include "vfs/system_files.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "vfs/beneath.hpp"

namespace pxed::vfs {
namespace {

struct Split {
  std::string_view dir;   // "" at the root
  std::string_view base;
};

Split split(std::string_view path) {
  auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return {{}, path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

// Whether base (one segment) fits a last segment of a table: the same name,
// or '*' standing for at least one byte.
bool fits(std::string_view pattern, std::string_view base) {
  auto star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == base;
  auto head = pattern.substr(0, star);
  auto tail = pattern.substr(star + 1);
  return base.size() > head.size() + tail.size() && base.starts_with(head) && base.ends_with(tail);
}

// The name in the row's directory for rel, when the row's tree name matches it.
std::optional<std::string> name_in_dir(std::string_view tree, std::string_view file, std::string_view rel) {
  auto pattern = split(tree);
  auto asked = split(rel);
  if (pattern.dir != asked.dir || !fits(pattern.base, asked.base)) return std::nullopt;
  return std::string(file.empty() ? asked.base : file);
}

}  // namespace

const SystemSource* source_of(std::span<const SystemSource> table, std::string_view rel) {
  for (const auto& row : table) {
    if (name_in_dir(row.tree, row.file, rel)) return &row;
  }
  return nullptr;
}

std::string system_path(const SystemSource& source, std::string_view rel) {
  return std::string(source.dir) + "/" + name_in_dir(source.tree, source.file, rel).value_or("");
}

SystemFiles SystemFiles::open(std::span<const SystemSource> table) {
  SystemFiles files;
  std::map<std::string, std::shared_ptr<const Descriptor>, std::less<>> opened;
  for (const auto& source : table) {
    Row row{std::string(source.tree), std::string(source.dir), std::string(source.file),
            std::string(source.package), nullptr};
    auto it = opened.find(row.dir);
    if (it == opened.end()) {
      auto fd = open_directory(row.dir);
      it = opened.emplace(row.dir, fd ? std::make_shared<const Descriptor>(*fd) : nullptr).first;
    }
    row.fd = it->second;
    files.rows_.push_back(std::move(row));
  }
  return files;
}

std::optional<std::pair<const SystemFiles::Row*, std::string>> SystemFiles::find(std::string_view rel) const {
  for (const auto& row : rows_) {
    if (auto name = name_in_dir(row.tree, row.file, rel)) return std::pair{&row, std::move(*name)};
  }
  return std::nullopt;
}

std::expected<File, OpenError> SystemFiles::open(std::string_view rel, Wait wait) const {
  auto found = find(rel);
  if (!found || !found->first->fd) return std::unexpected(OpenError::not_found);
  const auto& [row, name] = *found;
  // name is one segment ("..", "." and "/" never get this far: vfs::normalize
  // refuses or drops them), and RESOLVE_BENEATH still keeps a symlink of the
  // package's directory from leading out of it.
  auto file = open_file_beneath(row->fd->get(), name, wait);
  if (file) file->set_system(row->dir + "/" + name);
  return file;
}

std::vector<DirEntry> SystemFiles::list(std::string_view rel) const {
  std::vector<DirEntry> entries;
  auto add = [&](DirEntry e) {
    if (std::ranges::find(entries, e.name, &DirEntry::name) == entries.end()) entries.push_back(std::move(e));
  };
  for (const auto& row : rows_) {
    if (!row.fd) continue;
    auto pattern = split(row.tree);
    if (pattern.dir == rel) {
      if (pattern.base.find('*') == std::string_view::npos) {
        // One name: open it as a request would, so only what open() serves is listed.
        if (auto file = open(row.tree)) {
          add(DirEntry{std::string(pattern.base), false, file->size(), file->mtime_ns() / 1'000'000'000});
        }
        continue;
      }
      auto listed = list_beneath(row.fd->get(), "");
      if (!listed) continue;
      for (auto& e : *listed) {
        if (!e.directory && fits(pattern.base, e.name)) add(std::move(e));
      }
      continue;
    }
    // A row deeper down: its first directory below rel shows as a directory.
    std::string_view below = pattern.dir;
    if (!rel.empty()) {
      if (!below.starts_with(rel) || below.size() <= rel.size() || below[rel.size()] != '/') continue;
      below.remove_prefix(rel.size() + 1);
    }
    if (!below.empty()) add(DirEntry{std::string(below.substr(0, below.find('/'))), true, 0, 0});
  }
  return entries;
}

bool SystemFiles::is_directory(std::string_view rel) const {
  if (rel.empty()) return true;
  return std::ranges::any_of(rows_, [&](const Row& row) {
    std::string_view dir = split(row.tree).dir;
    return row.fd && dir.starts_with(rel) && (dir.size() == rel.size() || dir[rel.size()] == '/');
  });
}

std::vector<std::string> SystemFiles::packages() const {
  std::vector<std::string> names;
  for (const auto& row : rows_) {
    if (row.fd && std::ranges::find(names, row.package) == names.end()) names.push_back(row.package);
  }
  return names;
}

}  // namespace pxed::vfs
