#pragma once
// What a boot recipe may ask of an image: which files it holds and the text of
// a few small ones (boot menus). An interface so recipes are decided from an
// in-memory set of paths in tests and from an iso::Image in pxed. Paths are
// relative to the image's root, '/'-separated, without a leading '/'.
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pxed::osid {

// Boot menus are a few KiB; a "config" past this is not one we should parse.
inline constexpr std::size_t kMaxBootConfigBytes = 256 * 1024;

class ImageFiles {
 public:
  virtual ~ImageFiles() = default;
  // Whether path names a regular file (symlinks followed).
  virtual bool is_file(std::string_view path) const = 0;
  // The names in a directory ("" is the root); empty when there is none.
  virtual std::vector<std::string> list(std::string_view dir) const = 0;
  // A file's bytes when it is a file of at most max_bytes.
  virtual std::optional<std::string> read(std::string_view path, std::size_t max_bytes) const = 0;
};

// The path of a file as the image spells it, matching `path` exactly or else
// ignoring ASCII case component by component: Windows media and plain ISO 9660
// names differ in case from what installers' documentation says
// ("BOOT/BCD", "ISOLINUX/ISOLINUX.CFG"). "." and ".." are resolved first
// (nothing when ".." climbs out of the image).
std::optional<std::string> locate(const ImageFiles& files, std::string_view path);

// The first of `paths` the image holds, as the image spells it.
std::optional<std::string> locate_first(const ImageFiles& files, std::initializer_list<std::string_view> paths);

// An image as a map of paths to contents: what tests and callers that already
// know the files use. Directories exist implicitly.
class FileSet final : public ImageFiles {
 public:
  FileSet() = default;
  FileSet(std::initializer_list<std::string_view> paths);
  FileSet& add(std::string_view path, std::string contents = {});

  bool is_file(std::string_view path) const override;
  std::vector<std::string> list(std::string_view dir) const override;
  std::optional<std::string> read(std::string_view path, std::size_t max_bytes) const override;

 private:
  std::map<std::string, std::string, std::less<>> files_;
};

}  // namespace pxed::osid
