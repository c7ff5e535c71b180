#include "osid/boot_config.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace pxed::osid {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// The first word and what follows it, trimmed.
std::pair<std::string_view, std::string_view> split_word(std::string_view line) {
  line = trim(line);
  std::size_t end = 0;
  while (end < line.size() && !is_space(line[end])) ++end;
  return {line.substr(0, end), trim(line.substr(end))};
}

std::vector<std::string> split(std::string_view text, char sep) {
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

std::string directory_of(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
}

std::string joined(std::string_view dir, std::string_view name) {
  if (name.starts_with('/')) return std::string(name.substr(1));
  return dir.empty() ? std::string(name) : std::string(dir) + "/" + std::string(name);
}

std::string line_label(std::size_t number, std::string_view file) {
  return std::string(file) + ":" + std::to_string(number) + ": ";
}

// Words of an APPEND line, split off initrd= (syslinux loads those too) and
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

// ---- GRUB ----

struct Word {
  std::string text;
  bool bare = true;  // not quoted: '{', '}' and keywords count only bare
};

// GRUB's lexer in the small: words split at blanks, '...' literal, "..." and
// bare text with $name / ${name} expanded from `vars` (unknown ones kept as
// ${name}, so a rewrite can still see them), '\' escaping one character,
// '#' starting a comment at a word's start, ';' and newlines ending a
// statement.
class GrubLexer {
 public:
  GrubLexer(std::string_view text, const std::map<std::string, std::string>& vars) : text_(text), vars_(vars) {}

  // The next statement's words; false at the end of the text.
  bool next(std::vector<Word>& words, std::size_t& line) {
    words.clear();
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n' || c == ';') {
        if (c == '\n') ++line_;
        ++pos_;
        if (!words.empty()) break;
        continue;
      }
      if (is_space(c)) {
        ++pos_;
        continue;
      }
      if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
        continue;
      }
      if (words.empty()) line = line_;
      words.push_back(word());
    }
    return !words.empty() || pos_ < text_.size();
  }

 private:
  Word word() {
    Word w;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (is_space(c) || c == '\n' || c == ';') break;
      if (c == '\\' && pos_ + 1 < text_.size()) {
        if (text_[pos_ + 1] == '\n') ++line_;
        else w.text += text_[pos_ + 1];
        pos_ += 2;
      } else if (c == '\'') {
        w.bare = false;
        const auto end = text_.find('\'', pos_ + 1);
        const auto stop = end == std::string_view::npos ? text_.size() : end;
        w.text += text_.substr(pos_ + 1, stop - pos_ - 1);
        pos_ = stop + 1;
      } else if (c == '"') {
        w.bare = false;
        ++pos_;
        while (pos_ < text_.size() && text_[pos_] != '"') {
          if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) {
            w.text += text_[pos_ + 1];
            pos_ += 2;
          } else if (text_[pos_] == '$') {
            w.text += variable();
          } else {
            if (text_[pos_] == '\n') ++line_;
            w.text += text_[pos_++];
          }
        }
        ++pos_;
      } else if (c == '$') {
        w.text += variable();
      } else {
        w.text += c;
        ++pos_;
      }
    }
    return w;
  }

  // At a '$': the variable's value, or ${name} when unknown.
  std::string variable() {
    ++pos_;
    std::string name;
    if (pos_ < text_.size() && text_[pos_] == '{') {
      const auto end = text_.find('}', pos_);
      const auto stop = end == std::string_view::npos ? text_.size() : end;
      name = text_.substr(pos_ + 1, stop - pos_ - 1);
      pos_ = stop + 1;
    } else {
      while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
        name += text_[pos_++];
    }
    if (name.empty()) return "$";
    const auto it = vars_.find(name);
    return it != vars_.end() ? it->second : "${" + name + "}";
  }

  std::string_view text_;
  const std::map<std::string, std::string>& vars_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

// "(loop)/casper/vmlinuz" -> "/casper/vmlinuz": the device is the image.
std::string without_device(std::string_view path) {
  if (path.starts_with('(')) {
    const auto close = path.find(')');
    if (close != std::string_view::npos) path.remove_prefix(close + 1);
  }
  return std::string(path);
}

bool is_menu_option_with_value(std::string_view w) {
  return w == "--class" || w == "--users" || w == "--hotkey" || w == "--id" || w == "--source";
}

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

BootConfig parse_grub(std::string_view text, std::string_view path) {
  BootConfig out;
  out.source = std::string(path);
  std::map<std::string, std::string> vars;
  GrubLexer lexer(text, vars);

  enum class Block { entry, submenu, other };
  std::vector<Block> blocks;
  struct Pending {
    ConfigEntry entry;
    std::string not_linux;
    std::size_t line = 0;
  };
  std::optional<Pending> pending;
  std::size_t top_level_items = 0;
  std::vector<std::size_t> item_of_entry;  // out.entries[i] is in top-level item item_of_entry[i]
  std::string default_spec;

  std::vector<Word> words;
  std::size_t line = 0;
  while (lexer.next(words, line)) {
    if (words.empty()) continue;
    const std::string where = line_label(line, path);
    const std::string& key = words[0].text;
    const bool opens = words.back().bare && words.back().text == "{";
    if (key == "}" && words[0].bare) {
      if (blocks.empty()) {
        out.problems.push_back(where + "'}' closes no block");
        continue;
      }
      if (blocks.back() == Block::entry && pending) {
        if (pending->entry.kernel.empty() && pending->not_linux.empty())
          pending->not_linux = "no linux line";
        if (pending->not_linux.empty()) {
          out.entries.push_back(std::move(pending->entry));
          item_of_entry.push_back(top_level_items - 1);
        } else {
          out.problems.push_back(line_label(pending->line, path) + "menuentry \"" + pending->entry.title +
                                 "\": " + pending->not_linux);
        }
        pending.reset();
      }
      blocks.pop_back();
      continue;
    }
    if ((key == "menuentry" || key == "submenu") && words[0].bare) {
      std::string title;
      for (std::size_t i = 1; i < words.size(); ++i) {
        if (words[i].bare && is_menu_option_with_value(words[i].text)) {
          ++i;
        } else if (!(words[i].bare && (words[i].text.starts_with("--") || words[i].text == "{"))) {
          title = words[i].text;
          break;
        }
      }
      if (!opens) {
        out.problems.push_back(where + key + " \"" + title + "\" has no '{' on its line");
        continue;
      }
      if (blocks.empty()) ++top_level_items;
      if (key == "menuentry") {
        if (pending) out.problems.push_back(where + "menuentry inside menuentry \"" + pending->entry.title + "\"");
        pending.emplace();
        pending->entry.title = title;
        pending->line = line;
        blocks.push_back(Block::entry);
      } else {
        blocks.push_back(Block::submenu);
      }
      continue;
    }
    if (opens) {  // function bodies and the like: read past them
      blocks.push_back(Block::other);
      continue;
    }
    if (key == "set" && words.size() >= 2) {
      const auto eq = words[1].text.find('=');
      if (eq == std::string::npos) continue;
      const std::string name = words[1].text.substr(0, eq);
      const std::string value = words[1].text.substr(eq + 1);
      if (name == "default" && blocks.empty()) default_spec = value;
      else vars[name] = value;
      continue;
    }
    if (!pending) continue;
    if (key == "linux" || key == "linuxefi" || key == "linux16" || key == "linux32" || key == "kernel") {
      if (words.size() < 2) {
        out.problems.push_back(where + key + " names no file");
        continue;
      }
      pending->entry.kernel = without_device(words[1].text);
      std::string args;
      for (std::size_t i = 2; i < words.size(); ++i) args += (args.empty() ? "" : " ") + words[i].text;
      pending->entry.args = std::move(args);
    } else if (key == "initrd" || key == "initrdefi" || key == "initrd16" || key == "initrd32") {
      pending->entry.initrd.clear();
      for (std::size_t i = 1; i < words.size(); ++i) pending->entry.initrd.push_back(without_device(words[i].text));
    } else if (key == "chainloader" || key == "multiboot" || key == "multiboot2" || key == "appleloader") {
      pending->not_linux = key + " is not a Linux kernel";
    }
  }
  if (!blocks.empty()) out.problems.push_back(std::string(path) + ": a block is not closed at the end");

  // `set default` as GRUB reads it: a number counts top-level items (a
  // submenu is one), "N>M" goes into a submenu; otherwise a title or id.
  out.default_because = "first entry";
  if (!default_spec.empty() && !out.entries.empty()) {
    const std::string first = default_spec.substr(0, default_spec.find('>'));
    const bool number = !first.empty() && std::ranges::all_of(first, [](char c) { return c >= '0' && c <= '9'; });
    if (number && first.size() < 6) {
      const auto n = static_cast<std::size_t>(std::stoul(first));
      const auto it = std::ranges::find(item_of_entry, n);
      if (it != item_of_entry.end()) {
        out.default_entry = static_cast<std::size_t>(it - item_of_entry.begin());
        out.default_because = "set default=" + default_spec;
      } else {
        out.default_because = "set default=" + default_spec + " names no Linux entry; first entry";
      }
    } else {
      const auto it = std::ranges::find(out.entries, default_spec, &ConfigEntry::title);
      if (it != out.entries.end()) {
        out.default_entry = static_cast<std::size_t>(it - out.entries.begin());
        out.default_because = "set default=\"" + default_spec + "\"";
      } else {
        out.default_because = "set default=" + default_spec + " is not an entry's title; first entry";
      }
    }
  }
  return out;
}

}  // namespace pxed::osid
