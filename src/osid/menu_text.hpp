#pragma once
// Text helpers the syslinux and GRUB menu parsers share. Internal to
// src/osid/*_menu.cpp; callers use boot_config.hpp.
#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pxed::osid::menu_text {

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// The first word and what follows it, trimmed.
inline std::pair<std::string_view, std::string_view> split_word(std::string_view line) {
  line = trim(line);
  std::size_t end = 0;
  while (end < line.size() && !is_space(line[end])) ++end;
  return {line.substr(0, end), trim(line.substr(end))};
}

inline std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto at = text.find(sep);
    const auto part = trim(text.substr(0, at));
    if (!part.empty()) out.emplace_back(part);
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return out;
}

inline std::string directory_of(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
}

inline std::string joined(std::string_view dir, std::string_view name) {
  if (name.starts_with('/')) return std::string(name.substr(1));
  return dir.empty() ? std::string(name) : std::string(dir) + "/" + std::string(name);
}

inline std::string line_label(std::size_t number, std::string_view file) {
  return std::string(file) + ":" + std::to_string(number) + ": ";
}

// Words of an APPEND line, split off initrd= (syslinux loads those too) and

}  // namespace pxed::osid::menu_text
