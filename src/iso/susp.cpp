#include "iso/susp.hpp"

#include "iso/record.hpp"

namespace pxed::iso {
namespace {

bool signature_is(std::span<const std::byte> entry, char a, char b) {
  return byte_at(entry, 0) == static_cast<std::uint8_t>(a) &&
         byte_at(entry, 1) == static_cast<std::uint8_t>(b);
}

std::string text(std::span<const std::byte> in) {
  return {reinterpret_cast<const char*>(in.data()), in.size()};
}

// RRIP 4.1.5 TF flags; the stamps follow in this bit order.
constexpr std::uint8_t kTfCreation = 0x01;
constexpr std::uint8_t kTfModify = 0x02;
constexpr std::uint8_t kTfLongForm = 0x80;

// RRIP 4.1.3.1 SL component flags.
constexpr std::uint8_t kSlContinue = 0x01;
constexpr std::uint8_t kSlCurrent = 0x02;
constexpr std::uint8_t kSlParent = 0x04;
constexpr std::uint8_t kSlRoot = 0x08;
constexpr std::uint8_t kSlVolumeRoot = 0x10;

// RRIP 4.1.4 NM flags.
constexpr std::uint8_t kNmCurrent = 0x02;
constexpr std::uint8_t kNmParent = 0x04;

}  // namespace

std::optional<SharingProtocol> find_sharing_protocol(std::span<const std::byte> system_use) {
  // SUSP 5.3: "SP", length 7, version 1, check bytes 0xBE 0xEF, LEN_SKP.
  if (system_use.size() < 7 || !signature_is(system_use, 'S', 'P')) return std::nullopt;
  if (byte_at(system_use, 2) != 7 || byte_at(system_use, 4) != 0xBE ||
      byte_at(system_use, 5) != 0xEF)
    return std::nullopt;
  return SharingProtocol{byte_at(system_use, 6)};
}

std::expected<std::optional<Continuation>, std::string> RockRidge::parse(
    std::span<const std::byte> area) {
  std::optional<Continuation> next;
  std::size_t pos = 0;
  // SUSP 4: each entry is signature(2) length(1) version(1) data. Padding or
  // garbage after the last entry ends the area rather than failing the file.
  while (area.size() - pos >= 4) {
    const std::size_t length = byte_at(area, pos + 2);
    if (length < 4 || length > area.size() - pos) break;
    auto entry = area.subspan(pos, length);
    pos += length;
    if (signature_is(entry, 'S', 'T')) break;  // SUSP 5.4 terminator
    if (signature_is(entry, 'C', 'E') && length >= 28) {
      next = Continuation{le32(entry, 4), le32(entry, 12), le32(entry, 20)};
    } else if (signature_is(entry, 'N', 'M') && length >= 5) {
      if (auto ok = parse_name(entry); !ok) return std::unexpected(ok.error());
    } else if (signature_is(entry, 'S', 'L') && length >= 5) {
      if (auto ok = parse_symlink(entry); !ok) return std::unexpected(ok.error());
    } else if (signature_is(entry, 'P', 'X') && length >= 36) {
      mode_ = le32(entry, 4);
    } else if (signature_is(entry, 'T', 'F') && length >= 5) {
      parse_times(entry);
    } else if (signature_is(entry, 'C', 'L') && length >= 12) {
      child_link_ = le32(entry, 4);
    } else if (signature_is(entry, 'R', 'E')) {
      relocated_ = true;
    }
  }
  return next;
}

std::expected<void, std::string> RockRidge::parse_name(std::span<const std::byte> entry) {
  const std::uint8_t flags = byte_at(entry, 4);
  if ((flags & (kNmCurrent | kNmParent)) != 0) self_or_parent_ = true;
  if (!name_) name_.emplace();
  // NM CONTINUE (bit 0) only says more NM entries follow; appending covers both cases.
  *name_ += text(entry.subspan(5));
  if (name_->size() > kMaxRockRidgeName) return std::unexpected("Rock Ridge name too long");
  return {};
}

std::expected<void, std::string> RockRidge::parse_symlink(std::span<const std::byte> entry) {
  has_symlink_ = true;
  auto records = entry.subspan(5);
  std::size_t pos = 0;
  // RRIP 4.1.3.1: component records are flags(1) length(1) content.
  while (records.size() - pos >= 2) {
    const std::uint8_t flags = byte_at(records, pos);
    const std::size_t length = byte_at(records, pos + 1);
    if (length > records.size() - pos - 2) return std::unexpected("SL component runs past its entry");
    auto content = records.subspan(pos + 2, length);
    pos += 2 + length;
    std::string part;
    if ((flags & (kSlRoot | kSlVolumeRoot)) != 0) {
      symlink_absolute_ = true;
      symlink_components_.clear();
      symlink_glue_ = false;
      continue;
    }
    if ((flags & kSlCurrent) != 0) {
      part = ".";
    } else if ((flags & kSlParent) != 0) {
      part = "..";
    } else {
      part = text(content);
    }
    symlink_bytes_ += part.size() + 1;
    if (symlink_bytes_ > kMaxSymlinkTarget) return std::unexpected("symlink target too long");
    if (symlink_glue_ && !symlink_components_.empty()) {
      symlink_components_.back() += part;
    } else {
      symlink_components_.push_back(std::move(part));
    }
    symlink_glue_ = (flags & kSlContinue) != 0;
  }
  return {};
}

void RockRidge::parse_times(std::span<const std::byte> entry) {
  const std::uint8_t flags = byte_at(entry, 4);
  if ((flags & kTfModify) == 0) return;
  const std::size_t stamp = (flags & kTfLongForm) != 0 ? 17 : 7;
  const std::size_t at = 5 + ((flags & kTfCreation) != 0 ? stamp : 0);
  if (at + stamp > entry.size()) return;
  if (stamp == 17) {
    mtime_ = decode_long_time(entry.subspan(at).first<17>());
  } else {
    mtime_ = decode_record_time(entry.subspan(at).first<7>());
  }
}

std::optional<std::string> RockRidge::symlink_target() const {
  if (!has_symlink_) return std::nullopt;
  std::string target = symlink_absolute_ ? "/" : "";
  for (std::size_t i = 0; i < symlink_components_.size(); ++i) {
    if (i > 0) target += '/';
    target += symlink_components_[i];
  }
  return target;
}

}  // namespace pxed::iso
