#include "osid/image_files.hpp"

#include <algorithm>
#include <set>

namespace pxed::osid {
namespace {

std::string_view trim_slashes(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return path;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](unsigned char x, unsigned char y) {
    auto lower = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; };
    return lower(x) == lower(y);
  });
}

// "isolinux/../boot//vmlinuz" -> "boot/vmlinuz": menus name files relative
// to their folder, and the URL made of the answer must not climb. Nothing
// when ".." leaves the image.
std::optional<std::string> lexically_normal(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
    } else {
      parts.push_back(part);
    }
  }
  std::string out;
  for (const auto part : parts) out += (out.empty() ? "" : "/") + std::string(part);
  return out;
}

}  // namespace

namespace {

constexpr int kMaxListings = 64;

// path (normalized) as the listings spell each component, ending at a file:
// the exact name first where a directory holds it, then each name equal
// ignoring case. An image may hold both ISOLINUX/ and isolinux/ with different
// files, so a component that leads nowhere is tried in its other spellings;
// budget bounds the listings a hostile image can make this read.
std::optional<std::string> spelled_as_listed(const ImageFiles& files, const std::string& found,
                                             std::string_view path, int& budget) {
  while (path.starts_with('/')) path.remove_prefix(1);
  if (path.empty()) return files.is_file(found) ? std::optional(found) : std::nullopt;
  const auto slash = path.find('/');
  const std::string_view part = path.substr(0, slash);
  const std::string_view rest = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
  if (--budget < 0) return std::nullopt;
  const auto names = files.list(found);
  const auto below = [&](const std::string& name) {
    return spelled_as_listed(files, found.empty() ? name : found + "/" + name, rest, budget);
  };
  if (std::ranges::find(names, part) != names.end()) {
    if (auto spelled = below(std::string(part))) return spelled;
  }
  for (const auto& name : names) {
    if (name == part || !equal_ignoring_case(name, part)) continue;
    if (auto spelled = below(name)) return spelled;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> locate(const ImageFiles& files, std::string_view raw) {
  const auto normal = lexically_normal(raw);
  if (!normal || normal->empty()) return std::nullopt;
  std::string_view path = *normal;
  // UDF and Joliet images answer a name in any case (iso::Image::resolve):
  // spell it as the image does all the same, for URLs and for wimboot.
  int budget = kMaxListings;
  if (auto spelled = spelled_as_listed(files, "", path, budget)) return spelled;
  if (files.is_file(path)) return std::string(path);
  return std::nullopt;
}

std::optional<std::string> locate_first(const ImageFiles& files, std::initializer_list<std::string_view> paths) {
  for (const auto path : paths) {
    if (path.empty()) continue;
    if (auto found = locate(files, path)) return found;
  }
  return std::nullopt;
}

FileSet::FileSet(std::initializer_list<std::string_view> paths) {
  for (const auto path : paths) add(path);
}

FileSet& FileSet::add(std::string_view path, std::string contents) {
  files_.insert_or_assign(std::string(trim_slashes(path)), std::move(contents));
  return *this;
}

bool FileSet::is_file(std::string_view path) const { return files_.contains(trim_slashes(path)); }

std::vector<std::string> FileSet::list(std::string_view dir) const {
  dir = trim_slashes(dir);
  const std::string prefix = dir.empty() ? std::string() : std::string(dir) + "/";
  std::set<std::string> names;
  for (auto it = files_.lower_bound(prefix); it != files_.end() && it->first.starts_with(prefix); ++it) {
    const std::string_view rest = std::string_view(it->first).substr(prefix.size());
    names.emplace(rest.substr(0, rest.find('/')));
  }
  return {names.begin(), names.end()};
}

std::optional<std::string> FileSet::read(std::string_view path, std::size_t max_bytes) const {
  const auto it = files_.find(trim_slashes(path));
  if (it == files_.end() || it->second.size() > max_bytes) return std::nullopt;
  return it->second;
}

}  // namespace pxed::osid
