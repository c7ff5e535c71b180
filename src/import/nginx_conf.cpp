#include "import/nginx_conf.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <set>

namespace pxed::import {
namespace {

// nginx has no include depth limit of its own (a loop ends when it runs out of
// files); ours ends loops that a set of open paths misses when paths are spelled apart.
constexpr int kMaxNginxIncludeDepth = 16;
constexpr int kMaxNginxFilesRead = 1000;
// Deeper than any real configuration (http > server > location > nested location
// > if); bounds the recursion a hostile file could ask for.
constexpr int kMaxBlockDepth = 32;

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// A word as written, escapes removed as ngx_conf_read_token removes them:
// \" \' \\ lose their backslash, \t \r \n become the control character, any
// other backslash stays.
std::string unescape(std::string_view raw) {
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size()) {
      switch (raw[i + 1]) {
        case '"': case '\'': case '\\': out += raw[++i]; continue;
        case 't': out += '\t'; ++i; continue;
        case 'r': out += '\r'; ++i; continue;
        case 'n': out += '\n'; ++i; continue;
        default: break;
      }
    }
    out += raw[i];
  }
  return out;
}

class Parser {
 public:
  Parser(std::string_view text, const std::string& file) : text_(text), file_(file) {}

  std::expected<std::vector<NginxDirective>, std::string> run() {
    std::vector<NginxDirective> top;
    if (auto r = block(top, 0); !r) return std::unexpected(r.error());
    return top;
  }

 private:
  std::string_view text_;
  const std::string& file_;
  std::size_t pos_ = 0;
  std::uint32_t line_ = 1;

  std::string error(std::string what) const { return file_ + ":" + std::to_string(line_) + ": " + what; }

  char advance() {
    const char c = text_[pos_++];
    if (c == '\n') ++line_;
    return c;
  }

  // Reads directives until the '}' that closes this block (depth > 0) or the end (depth 0).
  std::expected<void, std::string> block(std::vector<NginxDirective>& out, int depth) {
    if (depth > kMaxBlockDepth) return std::unexpected(error("blocks nested deeper than " + std::to_string(kMaxBlockDepth)));
    NginxDirective current;
    current.file = file_;
    for (;;) {
      while (pos_ < text_.size() && blank(text_[pos_])) advance();
      if (pos_ >= text_.size()) {
        if (!current.args.empty()) return std::unexpected(error("unexpected end of file, expecting \";\" or \"}\""));
        if (depth > 0) return std::unexpected(error("unexpected end of file, expecting \"}\""));
        return {};
      }
      const char c = text_[pos_];
      if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') advance();
      } else if (c == ';' || c == '{') {
        advance();
        if (current.args.empty()) return std::unexpected(error(std::string("unexpected \"") + c + "\""));
        if (c == '{') {
          current.has_block = true;
          if (auto r = block(current.block, depth + 1); !r) return r;
        }
        out.push_back(std::move(current));
        current = NginxDirective{};
        current.file = file_;
      } else if (c == '}') {
        advance();
        if (!current.args.empty() || depth == 0) return std::unexpected(error("unexpected \"}\""));
        return {};
      } else {
        if (current.args.empty()) current.line = line_;
        auto w = word();
        if (!w) return std::unexpected(w.error());
        current.args.push_back(std::move(*w));
      }
    }
  }

  std::expected<std::string, std::string> word() {
    const char quote = text_[pos_] == '"' || text_[pos_] == '\'' ? text_[pos_] : '\0';
    if (quote) advance();
    const std::size_t start = pos_;
    bool variable = false;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\\' && pos_ + 1 < text_.size()) {
        advance();
        advance();
        variable = false;
        continue;
      }
      if (quote) {
        if (c == quote) {
          auto w = unescape(text_.substr(start, pos_ - start));
          advance();
          // nginx: a closing quote must be followed by a blank, ';', '{' or ')'.
          if (pos_ < text_.size() && !blank(text_[pos_]) && text_[pos_] != ';' && text_[pos_] != '{' &&
              text_[pos_] != ')') {
            return std::unexpected(error(std::string("unexpected \"") + text_[pos_] + "\""));
          }
          return w;
        }
      } else if (c == '{' && variable) {
        // ${name}: a variable, not a block.
      } else if (blank(c) || c == ';' || c == '{') {
        break;
      }
      variable = c == '$';
      advance();
    }
    if (quote) return std::unexpected(error("unexpected end of file, expecting a closing quote"));
    return unescape(text_.substr(start, pos_ - start));
  }
};

std::string quote_if_needed(const std::string& s) {
  if (!s.empty() && std::ranges::none_of(s, [](char c) { return blank(c) || c == ';' || c == '{' || c == '"'; })) {
    return s;
  }
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string nginx_dir_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

struct NginxReader {
  const ConfSources& sources;
  std::vector<Note>& notes;
  std::string base;             // the -c file's directory, for relative includes
  std::set<std::string> open;   // the include chain being read
  int files_read = 1;

  void note(const NginxDirective& at, std::string why) {
    notes.push_back({at.file, at.line, at.text(), Note::Kind::untranslated, std::move(why)});
  }

  // Replaces every include in `in` (at any depth) by what it includes.
  std::vector<NginxDirective> expand(std::vector<NginxDirective> in, int depth) {
    std::vector<NginxDirective> out;
    for (auto& d : in) {
      if (d.name() != "include") {
        d.block = expand(std::move(d.block), depth);
        out.push_back(std::move(d));
        continue;
      }
      if (d.args.size() != 2 || d.has_block) {
        note(d, "include takes one file or pattern");
        continue;
      }
      std::string pattern = d.args[1];
      if (!pattern.starts_with('/')) pattern = base + pattern;
      for (auto& path : paths_of(d, pattern)) {
        for (auto& included : include(d, path, depth)) out.push_back(std::move(included));
      }
    }
    return out;
  }

  std::vector<std::string> paths_of(const NginxDirective& at, const std::string& pattern) {
    if (!has_glob(pattern)) return {pattern};
    const auto dir = nginx_dir_of(pattern);
    if (has_glob(dir)) {
      note(at, "a pattern in a directory name is not read by pxed import; name the files");
      return {};
    }
    auto names = sources.list_dir(dir.empty() ? "." : dir.size() > 1 ? dir.substr(0, dir.size() - 1) : dir);
    // nginx: a pattern that matches nothing (or a missing directory) includes nothing.
    if (!names) return {};
    std::vector<std::string> paths;
    for (auto& n : glob_names(pattern.substr(dir.size()), *names)) paths.push_back(dir + n);
    return paths;
  }

  std::vector<NginxDirective> include(const NginxDirective& at, const std::string& path, int depth) {
    if (depth >= kMaxNginxIncludeDepth || open.contains(path)) {
      note(at, "includes " + path + " again (a loop): read once, not again here");
      return {};
    }
    if (files_read >= kMaxNginxFilesRead) {
      note(at, "includes more than " + std::to_string(kMaxNginxFilesRead) + " files in all: " + path + " and the rest not read");
      return {};
    }
    ++files_read;
    auto text = sources.read_file(path);
    if (!text) {
      note(at, "cannot read " + path + ": " + text.error());
      return {};
    }
    auto parsed = parse_nginx(*text, path);
    if (!parsed) {
      note(at, "not read: " + parsed.error());
      return {};
    }
    open.insert(path);
    auto out = expand(std::move(*parsed), depth + 1);
    open.erase(path);
    return out;
  }
};

}  // namespace

std::string NginxDirective::text() const {
  std::string out;
  for (const auto& a : args) out += (out.empty() ? "" : " ") + quote_if_needed(a);
  return out + (has_block ? " {...}" : ";");
}

std::expected<std::vector<NginxDirective>, std::string> parse_nginx(std::string_view text, const std::string& file) {
  return Parser(text, file).run();
}

bool has_glob(std::string_view path) { return path.find_first_of("*?[") != std::string_view::npos; }

std::vector<std::string> glob_names(std::string_view pattern, const std::vector<std::string>& names) {
  const std::string p(pattern);
  std::vector<std::string> out;
  for (const auto& n : names) {
    if (fnmatch(p.c_str(), n.c_str(), FNM_PERIOD) == 0) out.push_back(n);
  }
  std::ranges::sort(out);
  return out;
}

std::expected<std::vector<NginxDirective>, std::string> read_nginx(const std::string& path,
                                                                   const ConfSources& sources,
                                                                   std::vector<Note>& notes) {
  auto text = sources.read_file(path);
  if (!text) return std::unexpected(path + ": " + text.error());
  auto parsed = parse_nginx(*text, path);
  if (!parsed) return std::unexpected(parsed.error());
  NginxReader reader{sources, notes, nginx_dir_of(path), {path}};
  return reader.expand(std::move(*parsed), 0);
}

}  // namespace pxed::import
