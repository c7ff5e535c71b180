#include "osid/database.hpp"

#include <algorithm>
#include <charconv>
#include <pugixml.hpp>

namespace pxed::osid {
namespace {

// The untranslated text of the first `name` child: osinfo-db repeats <name>
// and <vendor> once per language with xml:lang.
std::string untranslated(const pugi::xml_node& parent, const char* name) {
  for (auto child : parent.children(name))
    if (!child.attribute("xml:lang")) return child.text().as_string();
  return {};
}

std::optional<Pattern> pattern_of(const pugi::xml_node& iso, const char* name, const std::string& where,
                                  std::vector<LoadProblem>& problems) {
  auto node = iso.child(name);
  if (!node) return std::nullopt;
  Pattern pattern{node.text().as_string(), nullptr};
  try {
    pattern.regex = std::make_shared<const std::regex>(pattern.text, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    problems.push_back({where, std::string(name) + " /" + pattern.text + "/ does not compile: " + e.what() +
                                   "; that rule never matches"});
  }
  return pattern;
}

MediaRule media_of(const pugi::xml_node& node, std::size_t number, const std::string& where,
                   std::vector<LoadProblem>& problems) {
  MediaRule rule;
  rule.number = number;
  rule.arch = node.attribute("arch").as_string("all");
  rule.variant = node.child("variant").attribute("id").as_string();
  rule.installer = std::string_view(node.attribute("installer").as_string("true")) != "false";
  rule.live = std::string_view(node.attribute("live").as_string("false")) == "true";
  rule.kernel = node.child("kernel").text().as_string();
  rule.initrd = node.child("initrd").text().as_string();
  const auto iso = node.child("iso");
  if (!iso) return rule;
  const std::string rule_where = where + " media #" + std::to_string(number);
  rule.volume_id = pattern_of(iso, "volume-id", rule_where, problems);
  rule.system_id = pattern_of(iso, "system-id", rule_where, problems);
  rule.publisher_id = pattern_of(iso, "publisher-id", rule_where, problems);
  rule.application_id = pattern_of(iso, "application-id", rule_where, problems);
  if (auto size = iso.child("volume-size")) {
    const std::string_view text = size.text().as_string();
    std::uint64_t bytes = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), bytes);
    if (ec == std::errc{} && end == text.data() + text.size() && bytes > 0) {
      rule.volume_size = bytes;
    } else {
      problems.push_back({rule_where, "volume-size \"" + std::string(text) + "\" is not a byte count; ignored"});
    }
  }
  return rule;
}

Os os_of(const pugi::xml_node& node, std::string_view source, std::vector<LoadProblem>& problems) {
  Os os;
  os.id = node.attribute("id").as_string();
  os.short_id = node.child("short-id").text().as_string();
  os.name = untranslated(node, "name");
  os.version = node.child("version").text().as_string();
  os.vendor = untranslated(node, "vendor");
  os.family = node.child("family").text().as_string();
  os.distro = node.child("distro").text().as_string();
  os.codename = node.child("codename").text().as_string();
  os.release_status = node.child("release-status").text().as_string();
  os.source = std::string(source);
  std::size_t number = 0;
  const std::string where = os.source + " " + os.id;
  for (auto media : node.children("media")) os.media.push_back(media_of(media, ++number, where, problems));
  return os;
}

// A second <os> of an id adds to the first, as libosinfo's loader does: a
// value it gives replaces the earlier one, its media come after the earlier
// ones. osinfo-db itself splits OSes this way (microsoft.com/win-10.d/ adds
// drivers to win-10.xml), and a later directory updates the system's entry.
void merge(Os& into, Os&& from) {
  for (auto field : {&Os::short_id, &Os::name, &Os::version, &Os::vendor, &Os::family, &Os::distro,
                     &Os::codename, &Os::release_status}) {
    if (!(from.*field).empty()) into.*field = std::move(from.*field);
  }
  if (!from.media.empty()) into.source = std::move(from.source);
  for (auto& rule : from.media) {
    rule.number = into.media.size() + 1;
    into.media.push_back(std::move(rule));
  }
}

}  // namespace

bool Pattern::search(std::string_view field) const {
  return regex != nullptr && std::regex_search(field.begin(), field.end(), *regex);
}

void Database::add_document(std::string_view xml, std::string_view source) {
  pugi::xml_document doc;
  // The data's own entities (&#xB370;) and nothing more: osinfo-db has no DTD.
  const auto parsed = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) {
    problems_.push_back({std::string(source), std::string("not XML: ") + parsed.description() + " at byte " +
                                                  std::to_string(parsed.offset)});
    return;
  }
  const auto root = doc.child("libosinfo");
  if (!root) {
    problems_.push_back({std::string(source), "no <libosinfo> root element"});
    return;
  }
  for (auto node : root.children("os")) {
    Os os = os_of(node, source, problems_);
    if (os.id.empty()) {
      problems_.push_back({std::string(source), "an <os> without an id; skipped"});
      continue;
    }
    auto same = std::find_if(oses_.begin(), oses_.end(), [&](const Os& o) { return o.id == os.id; });
    if (same != oses_.end()) {
      merge(*same, std::move(os));
    } else {
      oses_.push_back(std::move(os));
    }
  }
}

std::size_t Database::media_count() const {
  std::size_t n = 0;
  for (const auto& os : oses_) n += os.media.size();
  return n;
}

}  // namespace pxed::osid
