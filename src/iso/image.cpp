#include "iso/image.hpp"

#include <algorithm>

#include "iso/record.hpp"
#include "iso/susp.hpp"
#include "iso/udf.hpp"

namespace pxed::iso {
namespace {

// ECMA-119 8.1.1 volume descriptor types.
constexpr std::uint8_t kPrimaryDescriptor = 1;
constexpr std::uint8_t kSupplementaryDescriptor = 2;
constexpr std::uint8_t kTerminatorDescriptor = 255;
// ECMA-119 6.2.1: the first 16 sectors are the system area.
constexpr std::uint64_t kFirstDescriptorSector = 16;

bool has_standard_identifier(std::span<const std::byte> descriptor) {
  // ECMA-119 8.1.2: "CD001" at bytes 1..5.
  constexpr std::string_view kCd001 = "CD001";
  for (std::size_t i = 0; i < kCd001.size(); ++i)
    if (byte_at(descriptor, 1 + i) != static_cast<std::uint8_t>(kCd001[i])) return false;
  return true;
}

// Joliet spec: the SVD's escape sequences (bytes 88..119) name UCS-2 level 1..3.
bool is_joliet(std::span<const std::byte> descriptor) {
  if (byte_at(descriptor, 88) != '%' || byte_at(descriptor, 89) != '/') return false;
  const std::uint8_t level = byte_at(descriptor, 90);
  return level == '@' || level == 'C' || level == 'E';
}

std::string trim_right(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

std::string field(std::span<const std::byte> descriptor, std::size_t offset, std::size_t length) {
  return trim_right(std::string(reinterpret_cast<const char*>(descriptor.data()) + offset, length));
}

// ECMA-119 8.4 byte positions (BP - 1) of the primary volume descriptor.
VolumeInfo volume_info_of(std::span<const std::byte> primary) {
  VolumeInfo info;
  info.system_id = field(primary, 8, 32);
  info.volume_id = field(primary, 40, 32);
  info.volume_set_id = field(primary, 190, 128);
  info.publisher_id = field(primary, 318, 128);
  info.data_preparer_id = field(primary, 446, 128);
  info.application_id = field(primary, 574, 128);
  info.volume_size = std::uint64_t{le32(primary, 80)} * le16(primary, 128);
  return info;
}

}  // namespace

std::string_view to_string(Naming naming) {
  switch (naming) {
    case Naming::rock_ridge: return "rock-ridge";
    case Naming::joliet: return "joliet";
    case Naming::plain: return "iso9660";
    case Naming::udf: return "udf";
  }
  return "unknown";
}

std::expected<std::vector<std::byte>, std::string> read_exact(const ReadAt& read,
                                                              std::uint64_t image_size,
                                                              std::uint64_t offset,
                                                              std::uint64_t length) {
  if (offset > image_size || length > image_size - offset)
    return std::unexpected("extent at byte " + std::to_string(offset) + " lies outside the image");
  std::vector<std::byte> out(static_cast<std::size_t>(length));
  std::size_t done = 0;
  while (done < out.size()) {
    auto got = read(std::span(out).subspan(done), offset + done);
    if (!got) return std::unexpected("read at byte " + std::to_string(offset + done) +
                                     " failed: errno " + std::to_string(got.error()));
    if (*got == 0) return std::unexpected("image ends early at byte " + std::to_string(offset + done));
    done += std::min(*got, out.size() - done);
  }
  return out;
}

std::expected<std::vector<std::byte>, std::string> Image::read(std::uint64_t offset,
                                                               std::uint64_t length) const {
  return read_exact(read_, image_size_, offset, length);
}

std::expected<Entry, std::string> Image::directory_root(std::span<const std::byte> descriptor) const {
  // ECMA-119 8.4.18: the root's record is the 34 bytes at 156.
  auto record = decode_record(descriptor.subspan(156, kMinRecordLength));
  if (!record) return std::unexpected("bad root directory record: " + record.error());
  if (!record->is_directory()) return std::unexpected("root directory record is not a directory");
  const std::uint64_t offset = record->data_offset();
  if (offset > image_size_ || record->data_length > image_size_ - offset)
    return std::unexpected("root directory lies outside the image");
  Entry root;
  root.directory = true;
  root.size = record->data_length;
  if (root.size > 0) root.extents.push_back({offset, root.size});
  root.mode = 0040555;
  root.mtime = record->recorded;
  return root;
}

struct Image::Descriptors {
  std::optional<std::vector<std::byte>> primary;
  std::optional<std::vector<std::byte>> joliet;
};

// ECMA-119 8.1: the descriptor set from sector 16 up to its terminator.
std::expected<Image::Descriptors, std::string> Image::read_descriptors() const {
  Descriptors found;
  for (std::size_t i = 0; i < kMaxVolumeDescriptors; ++i) {
    const std::uint64_t sector = kFirstDescriptorSector + i;
    auto descriptor = read(sector * kSectorSize, kSectorSize);
    if (!descriptor)
      return std::unexpected(i == 0 ? "not an ISO 9660 image: too small"
                                    : "no volume descriptor set terminator: " + descriptor.error());
    if (!has_standard_identifier(*descriptor))
      return std::unexpected("not an ISO 9660 image: no CD001 at sector " + std::to_string(sector));
    switch (byte_at(*descriptor, 0)) {
      case kPrimaryDescriptor:
        if (!found.primary) found.primary = std::move(*descriptor);
        break;
      case kSupplementaryDescriptor:
        if (!found.joliet && is_joliet(*descriptor)) found.joliet = std::move(*descriptor);
        break;
      case kTerminatorDescriptor:
        return found;
      default:
        break;  // boot records (El Torito) and partitions do not name files
    }
  }
  return std::unexpected("no volume descriptor set terminator in the first 64");
}

std::expected<Image, std::string> Image::open(ReadAt read, std::uint64_t image_size,
                                              std::size_t directory_cache_bytes) {
  Image image(std::move(read), image_size, directory_cache_bytes);
  // UDF first, as blkid and mount choose it: on Windows media and other
  // bridge images the ISO 9660 tree is a stub. A broken UDF volume falls back
  // to ISO 9660; the error names both when neither opens.
  std::string udf_error;
  if (has_udf_recognition(image.read_, image_size)) {
    auto udf = UdfVolume::open(image.read_, image_size);
    if (udf) {
      image.naming_ = Naming::udf;
      image.root_ = udf->root();
      image.volume_id_ = std::string(udf->volume_id());
      image.udf_ = std::make_shared<const UdfVolume>(std::move(*udf));
      // A bridge image's ISO 9660 side still says what the volume is (the
      // osinfo-db rules for Windows media read it); a pure UDF one has none.
      if (auto descriptors = image.read_descriptors(); descriptors && descriptors->primary)
        image.volume_info_ = volume_info_of(*descriptors->primary);
      return image;
    }
    udf_error = "UDF: " + udf.error();
  }
  auto iso = open_iso9660(std::move(image));
  if (!iso && !udf_error.empty()) return std::unexpected(udf_error + "; ISO 9660: " + iso.error());
  return iso;
}

std::expected<Image, std::string> Image::open_iso9660(Image image) {
  auto descriptors = image.read_descriptors();
  if (!descriptors) return std::unexpected(descriptors.error());
  auto& primary = descriptors->primary;
  auto& joliet = descriptors->joliet;
  if (!primary) return std::unexpected("not an ISO 9660 image: no primary volume descriptor");
  // ECMA-119 8.4.12: logical block size; every image we meet uses the sector size.
  if (le16(*primary, 128) != kSectorSize)
    return std::unexpected("unsupported logical block size " + std::to_string(le16(*primary, 128)));

  auto root = image.directory_root(*primary);
  if (!root) return std::unexpected(root.error());
  image.root_ = std::move(*root);
  image.volume_info_ = volume_info_of(*primary);
  image.volume_id_ = image.volume_info_->volume_id;

  // RRIP 1.12 / SUSP 5.3: Rock Ridge announces itself with SP in the root's "." record.
  if (!image.root_.extents.empty()) {
    auto first = image.read(image.root_.extents[0].offset,
                            std::min<std::uint64_t>(image.root_.size, kSectorSize));
    if (!first) return std::unexpected(first.error());
    const std::size_t length = first->empty() ? 0 : byte_at(*first, 0);
    if (length >= kMinRecordLength && length <= first->size()) {
      auto self = decode_record(std::span(*first).first(length));
      if (self && self->is_self()) {
        if (auto sp = find_sharing_protocol(self->system_use)) {
          image.naming_ = Naming::rock_ridge;
          image.susp_skip_ = sp->skip;
          return image;
        }
      }
    }
  }
  if (joliet) {
    auto joliet_root = image.directory_root(*joliet);
    if (!joliet_root) return std::unexpected("Joliet: " + joliet_root.error());
    image.root_ = std::move(*joliet_root);
    image.naming_ = Naming::joliet;
    auto id = joliet_name(std::span(*joliet).subspan(40, 32));
    image.volume_id_ = trim_right(std::move(id));
  }
  return image;
}

}  // namespace pxed::iso
