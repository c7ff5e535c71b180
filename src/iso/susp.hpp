#pragma once
// System Use Sharing Protocol (SUSP 1.12) entries and the Rock Ridge (RRIP
// 1.12) ones we use: SP, CE, ST, NM, SL, PX, TF, CL, RE. Pure: the caller reads any
// continuation area (CE) from the image and feeds it back in.
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace pxed::iso {

// Longer names or link targets than any filesystem produces mean a hostile image.
inline constexpr std::size_t kMaxRockRidgeName = 1024;
inline constexpr std::size_t kMaxSymlinkTarget = 4096;

// SUSP 5.1 CE: where the System Use field continues.
struct Continuation {
  std::uint32_t block = 0;
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
};

// SUSP 5.3 SP: present at the start of the root's "." record on Rock Ridge images.
struct SharingProtocol {
  std::uint8_t skip = 0;  // bytes to skip at the start of every other System Use field
};
std::optional<SharingProtocol> find_sharing_protocol(std::span<const std::byte> system_use);

// What the Rock Ridge entries of one directory record say, merged across its
// System Use field and continuation areas.
class RockRidge {
 public:
  // Merges the entries of one area. Returns the CE to follow next, if any.
  std::expected<std::optional<Continuation>, std::string> parse(std::span<const std::byte> area);

  const std::optional<std::string>& name() const { return name_; }
  bool names_self_or_parent() const { return self_or_parent_; }  // NM CURRENT/PARENT
  std::optional<std::string> symlink_target() const;
  const std::optional<std::uint32_t>& mode() const { return mode_; }
  const std::optional<std::int64_t>& mtime() const { return mtime_; }
  // RRIP 4.1.5: a directory moved out of a deep path (mkisofs relocation).
  // CL marks the placeholder file standing where it belongs and names the
  // block of its real directory; RE marks the moved copy, which is not listed.
  const std::optional<std::uint32_t>& child_link() const { return child_link_; }
  bool relocated() const { return relocated_; }

 private:
  std::expected<void, std::string> parse_name(std::span<const std::byte> entry);
  std::expected<void, std::string> parse_symlink(std::span<const std::byte> entry);
  void parse_times(std::span<const std::byte> entry);

  std::optional<std::string> name_;
  bool self_or_parent_ = false;
  bool has_symlink_ = false;
  bool symlink_absolute_ = false;
  bool symlink_glue_ = false;  // last component had CONTINUE: the next one extends it
  std::vector<std::string> symlink_components_;
  std::size_t symlink_bytes_ = 0;
  std::optional<std::uint32_t> mode_;
  std::optional<std::int64_t> mtime_;
  std::optional<std::uint32_t> child_link_;
  bool relocated_ = false;
};

}  // namespace pxed::iso
