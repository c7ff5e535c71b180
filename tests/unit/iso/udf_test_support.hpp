#pragma once
// A small UDF image builder for the udf tests: one type 1 partition, its
// blocks handed out in order, descriptors sealed (checksum, CRC, location) as
// they are placed, so a test can write exactly the edge case it needs and
// then break one field. Real tools' images come from udf_tools_test.cpp.
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "iso/udf_descriptor.hpp"

namespace pxed::iso::testing {

inline void put16(std::span<std::byte> d, std::size_t at, std::uint16_t v) {
  d[at] = std::byte(v & 0xFF);
  d[at + 1] = std::byte(v >> 8);
}
inline void put32(std::span<std::byte> d, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) d[at + i] = std::byte((v >> (8 * i)) & 0xFF);
}
inline void put64(std::span<std::byte> d, std::size_t at, std::uint64_t v) {
  put32(d, at, static_cast<std::uint32_t>(v));
  put32(d, at + 4, static_cast<std::uint32_t>(v >> 32));
}
inline void append(std::vector<std::byte>& out, std::span<const std::byte> more) {
  out.insert(out.end(), more.begin(), more.end());
}

// ECMA-167 3/7.2: fills in the tag of `d` (the whole descriptor).
inline void seal(std::span<std::byte> d, std::uint16_t id, std::uint32_t location) {
  put16(d, 0, id);
  put16(d, 2, 2);
  put32(d, 12, location);
  put16(d, 10, static_cast<std::uint16_t>(d.size() - udf::kTagSize));
  put16(d, 8, udf::crc_itu_t(d.subspan(udf::kTagSize)));
  d[4] = std::byte(udf::tag_checksum(d));
}

// OSTA CS0 with compression id 8 (Latin-1 bytes) or 16 (UTF-16BE).
inline std::vector<std::byte> cs0_8(std::string_view latin1) {
  std::vector<std::byte> out{std::byte{8}};
  for (char c : latin1) out.push_back(std::byte(static_cast<unsigned char>(c)));
  return out;
}
inline std::vector<std::byte> cs0_16(std::u16string_view text) {
  std::vector<std::byte> out{std::byte{16}};
  for (char16_t c : text) {
    out.push_back(std::byte(c >> 8));
    out.push_back(std::byte(c & 0xFF));
  }
  return out;
}

inline std::vector<std::byte> short_ad(std::uint32_t length, std::uint32_t block,
                                       udf::ExtentType type = udf::ExtentType::recorded) {
  std::vector<std::byte> d(udf::kShortAdSize);
  put32(d, 0, (static_cast<std::uint32_t>(type) << 30) | length);
  put32(d, 4, block);
  return d;
}
inline std::vector<std::byte> long_ad(std::uint32_t length, std::uint32_t block, std::uint16_t partition = 0,
                                      udf::ExtentType type = udf::ExtentType::recorded) {
  std::vector<std::byte> d(udf::kLongAdSize);
  put32(d, 0, (static_cast<std::uint32_t>(type) << 30) | length);
  put32(d, 4, block);
  put16(d, 8, partition);
  return d;
}
inline std::vector<std::byte> extended_ad(std::uint32_t length, std::uint32_t recorded, std::uint32_t block) {
  std::vector<std::byte> d(udf::kExtendedAdSize);
  put32(d, 0, length);
  put32(d, 4, recorded);
  put32(d, 8, length);
  put32(d, 12, block);
  return d;
}

struct FileEntryOptions {
  std::uint8_t file_type = udf::kFileTypeRegular;
  std::uint64_t information_length = 0;
  udf::AllocationForm form = udf::AllocationForm::short_ad;
  std::vector<std::byte> descriptors;  // allocation descriptors, or the embedded data
  bool extended = false;               // an Extended File Entry (tag 266)
  std::uint32_t permissions = 0;
};

// 2024-05-06 07:08:09 UTC, the modification time of every built entry.
inline constexpr std::int64_t kBuiltMtime = 1714979289;

// memcpy that accepts an empty source: an empty vector's data() may be null,
// which memcpy must never get (UBSan reports it) even for zero bytes.
inline void copy_bytes(void* to, const void* from, std::size_t n) {
  if (n > 0) std::memcpy(to, from, n);
}

class UdfBuilder {
 public:
  static constexpr std::size_t kBlock = udf::kBlockSize;
  static constexpr std::uint32_t kPartitionStart = 257;

  // A partition_start below 257 builds a compact volume (fuzz seeds): its
  // descriptor sequences at 20 and 26 and its only anchor in the last block.
  explicit UdfBuilder(std::uint32_t partition_start = kPartitionStart)
      : partition_start_(partition_start), image_(std::size_t{partition_start} * kBlock) {}

  // Partition-relative blocks, handed out in order from 2 (0: the file set
  // descriptor, 1: spare for tests).
  std::uint32_t allocate(std::size_t blocks) {
    const std::uint32_t first = next_;
    next_ += static_cast<std::uint32_t>(blocks);
    ensure(partition_offset(next_));
    return first;
  }
  std::uint64_t partition_offset(std::uint32_t block) const {
    return (std::uint64_t{partition_start_} + block) * kBlock;
  }
  std::span<std::byte> block(std::uint32_t b) { return std::span(image_).subspan(partition_offset(b), kBlock); }
  std::vector<std::byte>& image() { return image_; }

  std::uint32_t add_data(std::string_view data) {
    const std::uint32_t first = allocate(std::max<std::size_t>(1, (data.size() + kBlock - 1) / kBlock));
    copy_bytes(image_.data() + partition_offset(first), data.data(), data.size());
    return first;
  }

  // Places a (Extended) File Entry at `at` (or a new block); returns its block.
  std::uint32_t add_entry(const FileEntryOptions& o, std::optional<std::uint32_t> at = std::nullopt) {
    const std::uint32_t b = at ? *at : allocate(1);
    std::vector<std::byte> d(kBlock);
    const std::size_t fixed = o.extended ? 216 : 176;
    d[16 + 11] = std::byte(o.file_type);
    put16(d, 16 + 4, 4);  // strategy 4
    put16(d, 16 + 18, static_cast<std::uint16_t>(o.form));
    put32(d, 44, o.permissions);
    put64(d, 56, o.information_length);
    write_timestamp(std::span(d).subspan(o.extended ? 92 : 84, 12));
    put32(d, fixed - 4, static_cast<std::uint32_t>(o.descriptors.size()));
    copy_bytes(d.data() + fixed, o.descriptors.data(), o.descriptors.size());
    d.resize(fixed + o.descriptors.size());
    seal(d, o.extended ? 266 : 261, b);
    copy_bytes(block(b).data(), d.data(), d.size());
    return b;
  }

  // A regular file with its data in one extent.
  std::uint32_t add_file(std::string_view data) {
    const std::uint32_t at = add_data(data);
    FileEntryOptions o;
    o.information_length = data.size();
    o.descriptors = short_ad(static_cast<std::uint32_t>(data.size()), at);
    return add_entry(o);
  }

  static std::vector<std::byte> fid(std::span<const std::byte> name, std::uint32_t icb,
                                    std::uint8_t characteristics = 0, std::uint16_t partition = 0) {
    const std::size_t used = udf::kFidFixedSize + name.size();
    std::vector<std::byte> d(used);
    d[18] = std::byte(characteristics);
    d[19] = std::byte(name.size());
    auto ad = long_ad(kBlock, icb, partition);
    copy_bytes(d.data() + 20, ad.data(), ad.size());
    copy_bytes(d.data() + udf::kFidFixedSize, name.data(), name.size());
    seal(d, 257, 0);
    d.resize((used + 3) & ~std::size_t{3});
    return d;
  }
  static std::vector<std::byte> fid(std::string_view name, std::uint32_t icb, std::uint8_t characteristics = 0,
                                    std::uint16_t partition = 0) {
    return fid(cs0_8(name), icb, characteristics, partition);
  }

  // A directory holding `fids` (after its parent entry), in a data block or embedded.
  std::uint32_t add_directory(const std::vector<std::vector<std::byte>>& fids, bool embedded = false) {
    std::vector<std::byte> data = fid(std::span<const std::byte>{}, 0, udf::kFidParent | udf::kFidDirectory);
    for (const auto& f : fids) append(data, f);
    FileEntryOptions o;
    o.file_type = udf::kFileTypeDirectory;
    o.information_length = data.size();
    if (embedded) {
      o.form = udf::AllocationForm::embedded;
      o.descriptors = data;
    } else {
      const std::uint32_t at =
          add_data(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
      o.descriptors = short_ad(static_cast<std::uint32_t>(data.size()), at);
    }
    return add_entry(o);
  }

  // Writes the recognition sequence, the anchor, both descriptor sequences
  // and the file set descriptor naming `root_icb`; returns the image.
  // metadata: the LVD gets a second map, a UDF 2.50 metadata partition whose
  // metadata file covers the whole physical partition (block n there is block
  // n here); the file set and root are then addressed through it (reference 1).
  std::vector<std::byte> finish(std::uint32_t root_icb, std::uint32_t block_size = kBlock,
                                bool metadata = false) {
    if (metadata) {
      metadata_file_ = allocate(1);
      FileEntryOptions o;
      o.file_type = 250;
      o.information_length = std::uint64_t{next_} * kBlock;
      o.descriptors = short_ad(next_ * static_cast<std::uint32_t>(kBlock), 0);
      add_entry(o, metadata_file_);
    }
    ensure(partition_offset(next_) + kBlock);  // a trailing block, so N-1 is past the data
    const char* vrs[] = {"BEA01", "NSR03", "TEA01"};
    for (int i = 0; i < 3; ++i) {
      auto d = std::span(image_).subspan((16 + i) * kBlock, kBlock);
      d[0] = std::byte{0};
      copy_bytes(d.data() + 1, vrs[i], 5);
      d[6] = std::byte{1};
    }
    std::vector<std::byte> anchor(512);
    const bool compact = partition_start_ < kPartitionStart;
    const std::uint32_t main = compact ? 20 : 32;
    const std::uint32_t reserve = compact ? 26 : 48;
    const auto anchor_at = compact ? static_cast<std::uint32_t>(image_.size() / kBlock - 1) : 256u;
    put32(anchor, 16, (compact ? 6 : 16) * kBlock);
    put32(anchor, 20, main);
    put32(anchor, 24, (compact ? 6 : 16) * kBlock);
    put32(anchor, 28, reserve);
    seal(anchor, 2, anchor_at);
    copy_bytes(image_.data() + std::size_t{anchor_at} * kBlock, anchor.data(), anchor.size());
    for (std::uint32_t base : {main, reserve}) write_sequence(base, block_size);
    std::vector<std::byte> fsd(512);
    auto root = long_ad(kBlock, root_icb, metadata ? 1 : 0);
    copy_bytes(fsd.data() + 400, root.data(), root.size());
    seal(fsd, 256, 0);
    copy_bytes(block(0).data(), fsd.data(), fsd.size());
    return image_;
  }

  // Re-seals a descriptor of `length` bytes at a partition block after a test changed it.
  void reseal(std::uint32_t b, std::size_t length) {
    auto d = block(b).first(length);
    seal(d, static_cast<std::uint16_t>(std::to_integer<std::uint8_t>(d[0]) | (std::to_integer<std::uint8_t>(d[1]) << 8)), b);
  }

 private:
  void ensure(std::uint64_t size) {
    if (image_.size() < size) image_.resize(size);
  }
  static void write_timestamp(std::span<std::byte> t) {
    put16(t, 0, 0x1000);  // type 1, offset 0 minutes
    put16(t, 2, 2024);
    t[4] = std::byte{5};
    t[5] = std::byte{6};
    t[6] = std::byte{7};
    t[7] = std::byte{8};
    t[8] = std::byte{9};
  }
  void write_sequence(std::uint32_t base, std::uint32_t block_size) {
    std::vector<std::byte> pvd(512);
    const char id[] = "BUILT";
    pvd[24] = std::byte{8};
    copy_bytes(pvd.data() + 25, id, 5);
    pvd[24 + 31] = std::byte{6};
    seal(pvd, 1, base);
    std::vector<std::byte> pd(512);
    put32(pd, 188, partition_start_);
    put32(pd, 192, static_cast<std::uint32_t>(image_.size() / kBlock - partition_start_ - 1));
    seal(pd, 5, base + 1);
    std::vector<std::byte> lvd(metadata_file_ ? 510 : 446);
    lvd[84] = std::byte{8};
    copy_bytes(lvd.data() + 85, "TestUDF", 7);
    lvd[84 + 127] = std::byte{8};
    put32(lvd, 212, block_size);
    auto fsd = long_ad(kBlock, 0, metadata_file_ ? 1 : 0);
    copy_bytes(lvd.data() + 248, fsd.data(), fsd.size());
    put32(lvd, 264, metadata_file_ ? 70 : 6);
    put32(lvd, 268, metadata_file_ ? 2 : 1);
    lvd[440] = std::byte{1};
    lvd[441] = std::byte{6};
    put16(lvd, 442, 1);
    if (metadata_file_) {
      // OSTA UDF 2.2.10 metadata partition map.
      auto map = std::span(lvd).subspan(446, 64);
      map[0] = std::byte{2};
      map[1] = std::byte{64};
      copy_bytes(map.data() + 5, "*UDF Metadata Partition", 23);
      put16(map, 36, 1);
      put16(map, 38, 0);
      put32(map, 40, *metadata_file_);
      put32(map, 44, *metadata_file_);
      put32(map, 48, 0xFFFFFFFF);
    }
    seal(lvd, 6, base + 2);
    std::vector<std::byte> td(512);
    seal(td, 8, base + 3);
    for (auto* d : {&pvd, &pd, &lvd, &td}) {
      const std::size_t at = (base + (d == &pvd ? 0 : d == &pd ? 1 : d == &lvd ? 2 : 3)) * kBlock;
      copy_bytes(image_.data() + at, d->data(), d->size());
    }
  }

  std::uint32_t partition_start_;
  std::optional<std::uint32_t> metadata_file_;
  std::vector<std::byte> image_;
  std::uint32_t next_ = 2;
};

}  // namespace pxed::iso::testing
