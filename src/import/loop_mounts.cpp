#include "import/loop_mounts.hpp"

#include <algorithm>
#include <filesystem>

namespace pxed::import {
namespace {

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// fstab and mountinfo write a blank, tab, newline and backslash in a path as \ooo.
std::string unoctal(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto octal = [&](std::size_t at) { return at < s.size() && s[at] >= '0' && s[at] <= '7'; };
    if (s[i] == '\\' && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool image_type(std::string_view type) { return type == "iso9660" || type == "udf"; }

bool has_option(std::string_view options, std::string_view want) {
  while (!options.empty()) {
    const auto comma = options.find(',');
    const auto one = options.substr(0, comma);
    if (one == want || one.starts_with(std::string(want) + "=")) return true;
    if (comma == std::string_view::npos) break;
    options.remove_prefix(comma + 1);
  }
  return false;
}

template <class Each>
void each_line(std::string_view text, Each each) {
  std::uint32_t number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++number;
    each(line, number);
  }
}

}  // namespace

std::string normal_dir(std::string_view path) {
  if (!path.starts_with('/')) return {};
  auto normal = std::filesystem::path(path).lexically_normal().string();
  while (normal.size() > 1 && normal.ends_with('/')) normal.pop_back();
  return normal;
}

std::vector<LoopMount> loop_mounts_in_fstab(std::string_view text, const std::string& name) {
  std::vector<LoopMount> out;
  each_line(text, [&](std::string_view line, std::uint32_t number) {
    const auto f = fields(line);
    if (f.size() < 3 || f[0].starts_with('#')) return;
    const auto image = unoctal(f[0]);
    const std::string_view options = f.size() > 3 ? f[3] : std::string_view{};
    const bool looks_like_image = image.ends_with(".iso") || image.ends_with(".img");
    if (!image.starts_with('/') || !(has_option(options, "loop") || (looks_like_image && image_type(f[2])))) return;
    auto dir = normal_dir(unoctal(f[1]));
    if (dir.empty()) return;
    out.push_back({std::move(dir), image, name + ":" + std::to_string(number)});
  });
  return out;
}

std::vector<LoopMount> loop_mounts_in_mountinfo(
    std::string_view text, const std::string& name,
    const std::function<std::optional<std::string>(const std::string& loop)>& backing_file) {
  std::vector<LoopMount> out;
  each_line(text, [&](std::string_view line, std::uint32_t) {
    // id parent major:minor root mount-point options [optional...] - type source super-options
    const auto f = fields(line);
    const auto dash = std::ranges::find(f, std::string_view("-"));
    if (f.size() < 5 || dash == f.end() || f.end() - dash < 3) return;
    const auto type = *(dash + 1);
    const auto source = unoctal(*(dash + 2));
    if (!image_type(type) || !source.starts_with("/dev/loop")) return;
    auto image = backing_file(source.substr(5));
    if (!image || image->empty()) return;
    // sysfs adds " (deleted)" when the image was removed while mounted.
    if (image->ends_with(" (deleted)")) return;
    auto dir = normal_dir(unoctal(f[4]));
    if (dir.empty()) return;
    out.push_back({std::move(dir), std::move(*image), name, true});
  });
  return out;
}

const LoopMount* loop_mount_at(const std::vector<LoopMount>& mounts, std::string_view dir) {
  const LoopMount* found = nullptr;
  for (const auto& m : mounts) {
    if (m.dir != dir) continue;
    if (!found || m.live) found = &m;
  }
  return found;
}

}  // namespace pxed::import
