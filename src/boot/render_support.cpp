#include "boot/render_support.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace pxed::boot::render_detail {
namespace {

bool is_ascii_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_id_char(unsigned char c) { return is_ascii_alnum(c) || c == '_' || c == '.' || c == '-'; }

// The id a name gives before it is made unique: runs of other bytes become
// one '-', then leading '-'/'.' and trailing '-' go.
std::string id_of(std::string_view name) {
  std::string id;
  for (unsigned char c : name) {
    if (is_id_char(c)) {
      id += static_cast<char>(c);
    } else if (!id.empty() && id.back() != '-') {
      id += '-';
    }
  }
  auto first = id.find_first_not_of("-.");
  if (first == std::string::npos) return {};
  id.erase(0, first);
  while (!id.empty() && id.back() == '-') id.pop_back();
  return id;
}

// RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
bool is_scheme(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s.front()))) return false;
  return std::ranges::all_of(s, [](unsigned char c) { return is_ascii_alnum(c) || c == '+' || c == '-' || c == '.'; });
}

}  // namespace

std::string one_line(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) c = ' ';
  }
  return out;
}

std::string trimmed(std::string_view text) {
  auto line = one_line(text);
  auto first = line.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  return line.substr(first, line.find_last_not_of(' ') - first + 1);
}

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  auto line = one_line(text);
  std::size_t pos = 0;
  while (pos < line.size()) {
    auto start = line.find_first_not_of(' ', pos);
    if (start == std::string::npos) break;
    auto end = line.find(' ', start);
    if (end == std::string::npos) end = line.size();
    out.push_back(line.substr(start, end - start));
    pos = end;
  }
  return out;
}

std::vector<std::string> entry_ids(const std::vector<BootEntry>& entries) {
  std::vector<std::string> ids;
  std::set<std::string> taken;  // lower case: loaders differ on case, so no two may differ only by it
  for (std::size_t i = 0; i < entries.size(); ++i) {
    auto base = id_of(entries[i].name);
    if (base.empty()) base = "entry-" + std::to_string(i + 1);
    auto id = base;
    for (int n = 2; taken.contains(lower_ascii(id)); ++n) id = base + "-" + std::to_string(n);
    taken.insert(lower_ascii(id));
    ids.push_back(std::move(id));
  }
  return ids;
}

std::size_t default_index(const RenderPlan& plan) {
  return plan.default_entry < plan.entries.size() ? plan.default_entry : 0;
}

std::chrono::seconds menu_timeout(const RenderPlan& plan) {
  return std::clamp(plan.timeout, std::chrono::seconds{0}, kMaxMenuTimeout);
}

std::optional<Url> parse_url(std::string_view ref) {
  auto colon = ref.find("://");
  if (colon == std::string_view::npos || !is_scheme(ref.substr(0, colon))) return std::nullopt;
  Url url;
  url.scheme = lower_ascii(ref.substr(0, colon));
  auto rest = ref.substr(colon + 3);
  if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  auto end_of_authority = rest.find_first_of("/?");
  url.authority = std::string(rest.substr(0, end_of_authority));
  if (end_of_authority == std::string_view::npos) return url;
  rest = rest.substr(end_of_authority);
  auto question = rest.find('?');
  url.path = std::string(rest.substr(0, question));
  if (question != std::string_view::npos) url.query = std::string(rest.substr(question));
  return url;
}

std::string tree_path(std::string_view ref) {
  auto first = ref.find_first_not_of('/');
  return "/" + std::string(first == std::string_view::npos ? std::string_view{} : ref.substr(first));
}

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view last_segment(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string percent_encode(std::string_view text, bool (*keep)(unsigned char)) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (keep(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    }
  }
  return out;
}

bool is_unreserved(unsigned char c) { return is_ascii_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

bool is_visible_ascii(unsigned char c) { return c > 0x20 && c < 0x7f; }

}  // namespace pxed::boot::render_detail
