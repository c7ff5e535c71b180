#pragma once
// ImageFiles over an ISO 9660 or UDF image as iso::Image reads it: what
// recipe_for asks of a real image. Reads through the ReadAt given, so it is as
// pure as the reader handed in (a test's memory, pxed's pread on a worker).
#include "iso/image.hpp"
#include "osid/image_files.hpp"

namespace pxed::osid {

class IsoImageFiles final : public ImageFiles {
 public:
  // `image` must outlive this; `read` reads the same image's bytes.
  IsoImageFiles(const iso::Image& image, iso::ReadAt read) : image_(image), read_(std::move(read)) {}

  bool is_file(std::string_view path) const override;
  std::vector<std::string> list(std::string_view dir) const override;
  std::optional<std::string> read(std::string_view path, std::size_t max_bytes) const override;

 private:
  const iso::Image& image_;
  iso::ReadAt read_;
};

}  // namespace pxed::osid
