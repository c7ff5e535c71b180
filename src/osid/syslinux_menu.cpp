// syslinux's config language as isolinux.cfg and syslinux.cfg use it (boot_config.hpp).
#include <algorithm>

#include "osid/boot_config.hpp"
#include "osid/menu_text.hpp"

namespace pxed::osid {
namespace {

using namespace menu_text;

// BOOT_IMAGE= (a loader sets it itself).
void take_initrd_args(std::string& args, std::vector<std::string>& initrd) {
  std::string kept;
  std::string_view rest = args;
  while (true) {
    auto [word, after] = split_word(rest);
    if (word.empty()) break;
    rest = after;
    if (lower(word).starts_with("initrd=")) {
      for (auto& one : split(word.substr(7), ',')) initrd.push_back(std::move(one));
    } else if (!word.starts_with("BOOT_IMAGE=")) {
      if (!kept.empty()) kept += ' ';
      kept += word;
    }
  }
  args = std::move(kept);
}

// syslinux decides a file's type by its extension (doc/syslinux.txt, KERNEL).
bool is_syslinux_module(std::string_view kernel) {
  const std::string name = lower(kernel.substr(kernel.rfind('/') + 1));
  for (std::string_view ext : {".c32", ".com", ".cbt", ".0", ".bin", ".bs", ".bss", ".img"})
    if (name.ends_with(ext)) return true;
  return name == "memdisk";
}

// Menu text without syslinux's hotkey marks ("^Install").
std::string menu_text(std::string_view text) {
  std::string out;
  for (char c : trim(text))
    if (c != '^') out += c;
  return out;
}

struct SyslinuxLabel {
  std::string label, title, kernel, append;
  std::vector<std::string> initrd;
  bool has_append = false;
  bool menu_default = false;
  std::string not_linux;  // why it is not a Linux entry, "" when it is one
  std::string where;
};

class SyslinuxParser {
 public:
  SyslinuxParser(const IncludeReader& include, BootConfig& out) : include_(include), out_(out) {}

  void parse(std::string_view text, std::string_view file, std::size_t depth) {
    seen_.emplace_back(file);
    std::size_t number = 0;
    bool in_text = false;
    for (auto raw : split_lines(text)) {
      ++number;
      const auto line = trim(raw);
      if (line.empty() || line.starts_with('#')) continue;
      auto [word, rest] = split_word(line);
      const std::string key = lower(word);
      if (in_text) {
        if (key == "endtext") in_text = false;
        continue;
      }
      const std::string where = line_label(number, file);
      if (key == "label") {
        SyslinuxLabel label;
        label.label = std::string(split_word(rest).first);
        label.where = where;
        labels_.push_back(std::move(label));
      } else if (key == "menu") {
        auto [sub, value] = split_word(rest);
        const std::string what = lower(sub);
        if (what == "label" && current()) current()->title = menu_text(value);
        else if (what == "default" && current()) current()->menu_default = true;
        else if (what == "include") include(split_word(value).first, where, depth);
      } else if (key == "kernel" || key == "linux") {
        if (!current()) continue;
        current()->kernel = std::string(split_word(rest).first);
        if (key == "kernel" && is_syslinux_module(current()->kernel))
          current()->not_linux = "KERNEL " + current()->kernel + " is a syslinux module or boot sector";
      } else if (key == "com32" || key == "boot" || key == "bss" || key == "pxe" || key == "fdimage" ||
                 key == "comboot" || key == "localboot") {
        if (current()) current()->not_linux = std::string(word) + " is not a Linux kernel";
      } else if (key == "append") {
        if (current()) {
          current()->append = std::string(rest);
          current()->has_append = true;
        } else {
          global_append_ = std::string(rest);
        }
      } else if (key == "initrd") {
        if (current())
          for (auto& one : split(rest, ',')) current()->initrd.push_back(std::move(one));
      } else if (key == "default") {
        default_line_ = std::string(rest);
      } else if (key == "ontimeout") {
        ontimeout_ = std::string(split_word(rest).first);
      } else if (key == "include" || (key == "config" && labels_.empty())) {
        // CONFIG before any label hands over to another file: read as if included.
        include(split_word(rest).first, where, depth);
      } else if (key == "text") {
        in_text = lower(split_word(rest).first) == "help";
      }
    }
  }

  void finish() {
    const SyslinuxLabel* chosen = nullptr;
    std::string because;
    const std::string default_label(split_word(default_line_).first);
    auto by_label = [&](std::string_view name) -> const SyslinuxLabel* {
      for (const auto& l : labels_)
        if (l.label == name) return &l;
      for (const auto& l : labels_)
        if (lower(l.label) == lower(name)) return &l;
      return nullptr;
    };
    for (const auto& l : labels_)
      if (l.menu_default && !chosen) chosen = &l, because = "MENU DEFAULT on label " + l.label;
    if (!chosen && !default_label.empty() && (chosen = by_label(default_label)))
      because = "DEFAULT " + default_label;
    if (!chosen && !ontimeout_.empty() && (chosen = by_label(ontimeout_))) because = "ONTIMEOUT " + ontimeout_;

    for (const auto& l : labels_) {
      if (l.kernel.empty() && l.not_linux.empty()) {
        out_.problems.push_back(l.where + "label " + l.label + " names no kernel");
        continue;
      }
      if (!l.not_linux.empty()) {
        out_.problems.push_back(l.where + "label " + l.label + ": " + l.not_linux);
        continue;
      }
      ConfigEntry entry;
      entry.title = l.title.empty() ? l.label : l.title;
      entry.kernel = l.kernel;
      entry.initrd = l.initrd;
      entry.args = l.has_append ? l.append : global_append_;
      take_initrd_args(entry.args, entry.initrd);
      if (&l == chosen) {
        out_.default_entry = out_.entries.size();
        out_.default_because = because;
      }
      out_.entries.push_back(std::move(entry));
    }
    // The old form without labels: DEFAULT is a kernel and its arguments.
    if (labels_.empty() && !default_label.empty() && !is_syslinux_module(default_label)) {
      ConfigEntry entry;
      entry.title = default_label;
      entry.kernel = default_label;
      entry.args = std::string(split_word(default_line_).second);
      if (entry.args.empty()) entry.args = global_append_;
      take_initrd_args(entry.args, entry.initrd);
      out_.entries.push_back(std::move(entry));
      out_.default_because = "DEFAULT names a kernel";
    }
    if (out_.default_because.empty() && !out_.entries.empty()) {
      out_.default_because = chosen ? "the default (" + because + ") is not a Linux entry; first Linux entry"
                                    : "first Linux entry";
    }
  }

 private:
  static std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
      const auto nl = text.find('\n');
      lines.push_back(text.substr(0, nl));
      if (nl == std::string_view::npos) break;
      text.remove_prefix(nl + 1);
    }
    return lines;
  }

  SyslinuxLabel* current() { return labels_.empty() ? nullptr : &labels_.back(); }

  void include(std::string_view name, const std::string& where, std::size_t depth) {
    if (name.empty()) return;
    const std::string path = joined(out_.directory, name);
    if (depth >= kMaxIncludeDepth) {
      out_.problems.push_back(where + "INCLUDE " + path + " nests deeper than " + std::to_string(kMaxIncludeDepth));
      return;
    }
    if (std::ranges::find(seen_, path) != seen_.end()) {
      out_.problems.push_back(where + "INCLUDE " + path + " was read already");
      return;
    }
    const auto text = include_ ? include_(path) : std::nullopt;
    if (!text) {
      out_.problems.push_back(where + "INCLUDE " + path + ": not in the image");
      return;
    }
    parse(*text, path, depth + 1);
  }

  const IncludeReader& include_;
  BootConfig& out_;
  std::vector<SyslinuxLabel> labels_;
  std::vector<std::string> seen_;
  std::string default_line_, ontimeout_, global_append_;
};


}  // namespace

BootConfig parse_syslinux(std::string_view text, std::string_view path, const IncludeReader& include) {
  BootConfig out;
  out.source = std::string(path);
  out.directory = directory_of(path);
  SyslinuxParser parser(include, out);
  parser.parse(text, path, 0);
  parser.finish();
  return out;
}


}  // namespace pxed::osid
