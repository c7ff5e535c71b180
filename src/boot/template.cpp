#include "boot/template.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <kainjow/mustache.hpp>
#include <set>

namespace pxed::boot {
namespace {

namespace mustache = kainjow::mustache;

std::uint32_t line_at(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<std::uint32_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct Tag {
  enum class Type { variable, section, close, comment, partial };
  Type type = Type::variable;
  std::string name;
  std::size_t offset = 0;
};

// The tags written with the default delimiters, in order. A set-delimiter tag
// ({{=<% %>=}}) ends the scan: what follows is checked as it renders.
struct Scan {
  std::vector<Tag> tags;
  bool complete = true;
};

Scan scan(std::string_view text) {
  Scan out;
  for (std::size_t at = text.find("{{"); at != std::string_view::npos; at = text.find("{{", at)) {
    const bool triple = text.substr(at).starts_with("{{{");
    const std::string_view end = triple ? "}}}" : "}}";
    const auto begin = at + (triple ? 3 : 2);
    const auto close = text.find(end, begin);
    if (close == std::string_view::npos) break;  // the parser reports it
    auto inside = trim(text.substr(begin, close - begin));
    at = close + end.size();
    Tag tag{Tag::Type::variable, {}, at};
    tag.offset = begin;
    if (!triple && !inside.empty()) {
      switch (inside.front()) {
        case '#':
        case '^': tag.type = Tag::Type::section; inside.remove_prefix(1); break;
        case '/': tag.type = Tag::Type::close; inside.remove_prefix(1); break;
        case '!': tag.type = Tag::Type::comment; break;
        case '>': tag.type = Tag::Type::partial; inside.remove_prefix(1); break;
        case '&': inside.remove_prefix(1); break;
        case '=': out.complete = false; return out;
        default: break;
      }
    }
    tag.name = std::string(trim(inside));
    out.tags.push_back(std::move(tag));
  }
  return out;
}

// kainjow says "Unclosed section \"x\" at 123" (a byte offset): the line instead.
TemplateError parse_error(std::string_view file, std::string_view text, const std::string& message) {
  TemplateError e{std::string(file), 0, message, false};
  const auto at = message.rfind(" at ");
  if (at == std::string::npos) return e;
  std::size_t offset = 0;
  const char* first = message.data() + at + 4;
  const char* last = message.data() + message.size();
  if (auto [ptr, ec] = std::from_chars(first, last, offset); ec == std::errc{} && ptr == last) {
    e.line = line_at(text, offset);
    e.message = message.substr(0, at);
  }
  for (auto& ch : e.message) {
    if (ch == '"') ch = '\'';
  }
  e.message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(e.message[0])));
  return e;
}

// Looks names up as kainjow's own context does, and remembers those nothing
// had: a variable a template needs and the machine lacks.
class Recording : public mustache::basic_context<std::string> {
 public:
  explicit Recording(const mustache::data* root) : inner_(root) {}
  void push(const mustache::data* data) override { inner_.push(data); }
  void pop() override { inner_.pop(); }
  const mustache::data* get(const std::string& name) const override {
    const auto* found = inner_.get(name);
    if (found == nullptr) missing_.insert(name);
    return found;
  }
  const mustache::data* get_partial(const std::string& name) const override { return inner_.get_partial(name); }
  const std::set<std::string>& missing() const { return missing_; }

 private:
  mustache::context<std::string> inner_;
  mutable std::set<std::string> missing_;
};

}  // namespace

std::string TemplateError::to_string() const {
  return line == 0 ? file + ": " + message : file + ":" + std::to_string(line) + ": " + message;
}

Escape escape_for(std::string_view file) {
  auto dot = file.rfind('.');
  if (dot == std::string_view::npos) return Escape::none;
  std::string ext(file.substr(dot + 1));
  std::ranges::transform(ext, ext.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return ext == "xml" ? Escape::xml : Escape::none;
}

std::vector<std::string> names_used(std::string_view text) {
  std::set<std::string> names;
  for (const auto& tag : scan(text).tags) {
    if ((tag.type == Tag::Type::variable || tag.type == Tag::Type::section) && tag.name != ".") names.insert(tag.name);
  }
  return {names.begin(), names.end()};
}

std::expected<std::string, std::vector<TemplateError>> render_template(std::string_view file, std::string_view text,
                                                                       const config::Vars& values) {
  const std::string source(text);
  mustache::mustache tmpl{source};
  if (!tmpl.is_valid()) return std::unexpected(std::vector{parse_error(file, text, tmpl.error_message())});
  std::vector<TemplateError> errors;
  const auto scanned = scan(text);
  std::set<std::string> sections;
  std::set<std::string> reported;
  for (const auto& tag : scanned.tags) {
    const auto line = line_at(text, tag.offset);
    if (tag.type == Tag::Type::partial) {
      errors.push_back({std::string(file), line, "{{>" + tag.name + "}}: partials are not supported; write the text in"});
    } else if (tag.type == Tag::Type::section) {
      sections.insert(tag.name);
    } else if (tag.type == Tag::Type::variable && tag.name != "." && !values.contains(tag.name) &&
               reported.insert(tag.name).second) {
      errors.push_back({std::string(file), line,
                        "unknown variable {{" + tag.name + "}}: not a built-in, nor in the vars of this machine, "
                        "its group or its profile",
                        true});
    }
  }
  mustache::data data{mustache::data::type::object};
  // An empty value is false to a section, as a missing one is.
  for (const auto& [name, value] : values) data.set(name, value.empty() ? mustache::data{false} : mustache::data{value});
  if (escape_for(file) == Escape::xml) {
    tmpl.set_custom_escape(mustache::html_escape<std::string>);  // & < > " ': XML's five entities
  } else {
    tmpl.set_custom_escape([](const std::string& s) { return s; });
  }
  Recording context{&data};
  std::string out = tmpl.render(context);
  if (!tmpl.is_valid()) errors.push_back(parse_error(file, text, tmpl.error_message()));
  if (!scanned.complete) {
    // Past a set-delimiter tag the scan saw nothing: what rendering missed is unknown.
    for (const auto& name : context.missing()) {
      if (sections.contains(name) || reported.contains(name)) continue;
      auto at = text.find(name);
      errors.push_back({std::string(file), at == std::string_view::npos ? 0 : line_at(text, at),
                        "unknown variable " + name + " (after a set-delimiter tag)", true});
    }
  }
  if (!errors.empty()) {
    std::ranges::stable_sort(errors, {}, &TemplateError::line);
    return std::unexpected(std::move(errors));
  }
  return out;
}

}  // namespace pxed::boot
