#include "osid/identify.hpp"

#include <array>
#include <string_view>

namespace pxed::osid {
namespace {

// The rule's fields against the descriptor's, in the order reasons name them.
struct FieldRule {
  std::string_view name;
  const std::optional<Pattern>& pattern;
  const std::string& value;
};

std::array<FieldRule, 4> fields_of(const MediaRule& rule, const iso::VolumeInfo& volume) {
  return {{{"volume-id", rule.volume_id, volume.volume_id},
           {"system-id", rule.system_id, volume.system_id},
           {"publisher-id", rule.publisher_id, volume.publisher_id},
           {"application-id", rule.application_id, volume.application_id}}};
}

bool names_anything(const MediaRule& rule) {
  return rule.volume_id || rule.system_id || rule.publisher_id || rule.application_id || rule.volume_size;
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string where(const Os& os, const MediaRule& rule) {
  return os.id + " media #" + std::to_string(rule.number) + ", " + os.source;
}

// "" when the rule matches, else the first field that does not.
std::string mismatch(const MediaRule& rule, const iso::VolumeInfo& volume) {
  for (const auto& f : fields_of(rule, volume)) {
    if (!f.pattern) continue;
    if (f.value.empty()) return std::string(f.name) + " is empty, the rule wants /" + f.pattern->text + "/";
    if (!f.pattern->search(f.value))
      return std::string(f.name) + " " + quoted(f.value) + " !~ /" + f.pattern->text + "/";
  }
  if (rule.volume_size && *rule.volume_size != volume.volume_size)
    return "volume-size " + std::to_string(volume.volume_size) + " != " + std::to_string(*rule.volume_size);
  return {};
}

std::string matched_because(const MediaRule& rule, const iso::VolumeInfo& volume) {
  std::string because;
  for (const auto& f : fields_of(rule, volume)) {
    if (!f.pattern) continue;
    if (!because.empty()) because += ", ";
    because += std::string(f.name) + " " + quoted(f.value) + " ~ /" + f.pattern->text + "/";
  }
  if (rule.volume_size) {
    if (!because.empty()) because += ", ";
    because += "volume-size = " + std::to_string(*rule.volume_size);
  }
  return because;
}

OsMatch match_of(const Os& os, const MediaRule& rule) {
  return OsMatch{os.id,   os.short_id,  os.name,      os.version,    os.vendor,    os.family,
                 os.distro, rule.arch, rule.variant, rule.installer, rule.live,    rule.kernel,
                 rule.initrd, os.source, rule.number};
}

bool is_rolling(const Os& os) { return os.release_status == "rolling"; }

}  // namespace

Identification identify(const Database& db, const iso::VolumeInfo& volume) {
  Identification result;
  if (db.oses().empty()) {
    result.reason = "no osinfo-db entries loaded" +
                    (db.origin().empty() ? std::string() : " from " + db.origin()) +
                    " (install osinfo-db: apt-get install osinfo-db)";
    return result;
  }
  // libosinfo refuses such media too ("insufficient metadata"): every rule
  // but a handful leans on the volume id.
  if (volume.volume_id.empty()) {
    result.reason = "the primary volume descriptor has no volume id";
    return result;
  }
  const Os* chosen_os = nullptr;
  const MediaRule* chosen_rule = nullptr;
  // The nearest miss: a rule whose volume-id matched but another field did
  // not says more than "nothing matched". The longest such pattern is the
  // most specific ("CentOS 7 x86_64" rather than CentOS 6's "CentOS").
  std::string near_miss;
  std::size_t near_miss_length = 0;
  // Two passes: a specific release first, rolling catch-alls only after.
  for (const bool rolling_pass : {false, true}) {
    for (const Os& os : db.oses()) {
      if (is_rolling(os) != rolling_pass) continue;
      for (const MediaRule& rule : os.media) {
        if (!names_anything(rule)) continue;
        const std::string why_not = mismatch(rule, volume);
        if (!why_not.empty()) {
          if (rule.volume_id && rule.volume_id->text.size() > near_miss_length &&
              rule.volume_id->search(volume.volume_id)) {
            near_miss = "nearest: " + where(os, rule) + " matches the volume-id but " + why_not;
            near_miss_length = rule.volume_id->text.size();
          }
          continue;
        }
        if (chosen_os == nullptr) {
          chosen_os = &os;
          chosen_rule = &rule;
        } else if (&os != chosen_os &&
                   (result.also_matched.empty() || result.also_matched.back() != os.id)) {
          result.also_matched.push_back(os.id);
        }
      }
    }
  }
  if (chosen_os == nullptr) {
    result.reason = "no osinfo-db media rule matches volume-id " + quoted(volume.volume_id) +
                    " system-id " + quoted(volume.system_id) + " publisher-id " +
                    quoted(volume.publisher_id) + " application-id " + quoted(volume.application_id) +
                    " (" + std::to_string(db.media_count()) + " rules of " + std::to_string(db.oses().size()) +
                    " OSes" + (db.origin().empty() ? std::string() : " in " + db.origin()) + ")";
    if (!near_miss.empty()) result.reason += "; " + near_miss;
    return result;
  }
  result.os = match_of(*chosen_os, *chosen_rule);
  result.reason = matched_because(*chosen_rule, volume) + " (" + where(*chosen_os, *chosen_rule) + ")";
  return result;
}

}  // namespace pxed::osid
