#pragma once
// Who else learns of the images files.iso_dir serves, and what they learn on
// the way. app hands in osid's catalogue through this: vfs never includes
// osid, so dependencies keep pointing down (as with the generated-file
// provider).
#include <filesystem>
#include <functional>
#include <string_view>

#include "vfs/iso_mount.hpp"

namespace pxed::events {
struct Event;
}

namespace pxed::vfs {

class ImageObserver {
 public:
  virtual ~ImageObserver() = default;
  // What to do on the loop once the image is served; it may add fields to
  // the image's iso.added or iso.replaced event before it is emitted.
  using Served = std::function<void(events::Event&)>;
  // On the worker that opened the image (inline at start-up), right after
  // its volume descriptors were read: work that must stay off the loop. It
  // touches nothing of the tree, and runs concurrently with the loop.
  // name: "debian-12"; at: the normalized mount point ("iso/debian-12").
  virtual Served study(std::string_view name, std::string_view at, const std::filesystem::path& file,
                       const OpenedImage& image) const = 0;
  // On the loop: the image at `at` is no longer served.
  virtual void gone(std::string_view at) = 0;
};

}  // namespace pxed::vfs
