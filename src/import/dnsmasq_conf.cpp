#include "import/dnsmasq_conf.hpp"

#include <algorithm>
#include <set>

namespace pxed::import {
namespace {

// dnsmasq refuses deeper nesting too; a limit also ends a loop through
// conf-dir, which a set of open files would miss when paths are spelled apart.
constexpr int kMaxIncludeDepth = 16;
// Includes may branch (a conf-dir in each file of a conf-dir): a bound on the
// files read in all keeps a configuration that fans out from taking forever.
constexpr int kMaxFilesRead = 1000;

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

// dnsmasq starts a comment at a '#' outside quotes that begins the line or
// follows a blank, so "tftp-root=/srv/#tftp" keeps its '#'.
std::string_view strip_comment(std::string_view line) {
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\\' && quoted) {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == '#' && !quoted && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
      return line.substr(0, i);
    }
  }
  return line;
}

bool ends_with(std::string_view s, std::string_view suffix) { return s.ends_with(suffix); }

struct Reader {
  const ConfSources& sources;
  std::vector<Note>& notes;
  std::vector<ConfLine> lines;
  std::set<std::string> open;  // the include chain now being read
  int files_read = 1;

  void include_failed(const ConfLine& at, const std::string& why) {
    notes.push_back({at.file, at.line, at.text(), Note::Kind::untranslated, why});
  }

  void read_text(const std::string& path, std::string_view text, int depth) {
    std::uint32_t number = 0;
    while (!text.empty()) {
      const auto end = text.find('\n');
      auto raw = text.substr(0, end);
      text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
      ++number;
      auto line = trim(strip_comment(raw));
      if (line.empty()) continue;
      ConfLine l{path, number, {}, {}, false};
      if (auto eq = line.find('='); eq != std::string_view::npos) {
        l.name = std::string(trim(line.substr(0, eq)));
        l.value = std::string(trim(line.substr(eq + 1)));
        l.has_value = true;
      } else {
        l.name = std::string(line);
      }
      if (l.name == "conf-file") {
        include_file(l, l.value, depth);
      } else if (l.name == "conf-dir") {
        include_dir(l, depth);
      } else {
        lines.push_back(std::move(l));
      }
    }
  }

  void include_file(const ConfLine& at, const std::string& path, int depth) {
    if (path.empty()) return include_failed(at, "names no file");
    if (path == "-") return include_failed(at, "reads standard input, which pxed import does not");
    if (depth >= kMaxIncludeDepth || open.contains(path)) {
      return include_failed(at, "includes " + path + " again (a loop): read once, not again here");
    }
    if (files_read >= kMaxFilesRead) {
      return include_failed(at, "includes more than " + std::to_string(kMaxFilesRead) + " files in all: " + path +
                                    " and the rest not read");
    }
    ++files_read;
    auto text = sources.read_file(path);
    if (!text) return include_failed(at, "cannot read " + path + ": " + text.error());
    open.insert(path);
    read_text(path, *text, depth + 1);
    open.erase(path);
  }

  void include_dir(const ConfLine& at, int depth) {
    auto args = split_args(at.value);
    if (args.empty() || args.front().empty()) return include_failed(at, "names no directory");
    auto dir = args.front();
    args.erase(args.begin());
    auto names = sources.list_dir(dir);
    if (!names) return include_failed(at, "cannot list " + dir + ": " + names.error());
    const std::string prefix = dir.ends_with('/') ? dir : dir + "/";
    for (const auto& name : conf_dir_files(std::move(*names), args)) include_file(at, prefix + name, depth);
  }
};

}  // namespace

std::string Note::to_string() const {
  return file + ":" + std::to_string(line) + ": " + option + ": " +
         (kind == Kind::untranslated ? "not translated: " : "approximately: ") + why;
}

std::vector<std::string> split_args(std::string_view value) {
  std::vector<std::string> args;
  std::string current;
  bool quoted = false;
  bool any = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (quoted && c == '\\' && i + 1 < value.size()) {
      const char next = value[++i];
      // dnsmasq's escapes inside quotes: \t \n \r \e \b, else the character itself.
      switch (next) {
        case 't': current += '\t'; break;
        case 'n': current += '\n'; break;
        case 'r': current += '\r'; break;
        case 'e': current += '\x1b'; break;
        case 'b': current += '\b'; break;
        default: current += next;
      }
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      args.emplace_back(trim(current));
      current.clear();
    } else {
      current += c;
    }
    any = true;
  }
  if (any) args.emplace_back(trim(current));
  return args;
}


std::vector<std::string> conf_dir_files(std::vector<std::string> names, const std::vector<std::string>& filters) {
  std::vector<std::string> only;
  std::vector<std::string> skip;
  for (const auto& f : filters) {
    if (f.starts_with('*')) {
      only.push_back(f.substr(1));
    } else if (!f.empty()) {
      skip.push_back(f);
    }
  }
  std::erase_if(names, [&](const std::string& n) {
    if (n.empty() || n.ends_with('~') || n.starts_with('.')) return true;
    if (n.size() >= 2 && n.starts_with('#') && n.ends_with('#')) return true;
    if (std::ranges::any_of(skip, [&](const auto& s) { return ends_with(n, s); })) return true;
    return !only.empty() && std::ranges::none_of(only, [&](const auto& s) { return ends_with(n, s); });
  });
  std::ranges::sort(names);
  return names;
}

std::expected<std::vector<ConfLine>, std::string> read_conf(const std::string& path, const ConfSources& sources,
                                                            std::vector<Note>& notes) {
  auto text = sources.read_file(path);
  if (!text) return std::unexpected(path + ": " + text.error());
  Reader reader{sources, notes, {}, {path}};
  reader.read_text(path, *text, 0);
  return std::move(reader.lines);
}

}  // namespace pxed::import
