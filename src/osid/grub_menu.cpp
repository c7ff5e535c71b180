// GRUB's config language as grub.cfg and loopback.cfg on ISO images use it (boot_config.hpp).
#include <algorithm>
#include <cctype>
#include <map>

#include "osid/boot_config.hpp"
#include "osid/menu_text.hpp"

namespace pxed::osid {
namespace {

using namespace menu_text;


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
