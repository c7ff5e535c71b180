#include "http/request_logic.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <ctime>
#include <cstdio>
#include <limits>

namespace pxed::http {
namespace {

constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::ranges::equal(a, b, [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// RFC 9110 §5.6.3: OWS is spaces and horizontal tabs.
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// 1*DIGIT, saturating at 2^64-1; nullopt for anything else (also empty).
std::optional<std::uint64_t> digits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    auto d = static_cast<std::uint64_t>(c - '0');
    v = v > (kMax - d) / 10 ? kMax : v * 10 + d;
  }
  return v;
}

// Strips W/ for the weak comparison of RFC 9110 §8.8.3.2.
std::string_view opaque(std::string_view tag) {
  tag = trim(tag);
  if (tag.starts_with("W/")) tag.remove_prefix(2);
  return tag;
}

constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct TypeByExtension {
  std::string_view extension;  // lower case, without the dot
  std::string_view type;
};

// Boot loaders are binary whatever their name; configs, scripts and answer
// files are text so a browser shows them and an installer that checks the type
// (anaconda's kickstart fetch, zypper's repomd.xml) is not handed a download.
constexpr TypeByExtension kContentTypes[] = {
    {"efi", "application/octet-stream"},  {"0", "application/octet-stream"},
    {"kpxe", "application/octet-stream"}, {"c32", "application/octet-stream"},
    {"iso", "application/x-iso9660-image"},
    {"cfg", "text/plain"},  {"txt", "text/plain"}, {"ipxe", "text/plain"},
    {"ks", "text/plain"},   {"seed", "text/plain"}, {"preseed", "text/plain"},
    {"conf", "text/plain"}, {"sh", "text/plain"},   {"yaml", "text/plain"},
    {"yml", "text/plain"},  {"treeinfo", "text/plain"},  // ".treeinfo": all extension
    {"xml", "text/xml"},    // repomd.xml, autounattend.xml, AutoYaST profiles
    {"html", "text/html"},  {"json", "application/json"},
};

// Text files that by convention have no extension: cloud-init's NoCloud seed
// (user-data, meta-data, ...) and pxelinux's per-machine configs
// (pxelinux.cfg/default, pxelinux.cfg/01-<mac>), decided by their folder.
constexpr std::string_view kTextNames[] = {"user-data", "meta-data", "vendor-data",
                                           "network-config"};
constexpr std::string_view kTextFolders[] = {"pxelinux.cfg"};
constexpr std::string_view kDefaultType = "application/octet-stream";

}  // namespace

std::string_view to_string(TargetError e) {
  switch (e) {
    case TargetError::bad_escape: return "bad-escape";
    case TargetError::nul_byte: return "nul-byte";
    case TargetError::not_origin_form: return "bad-target";
  }
  return "bad-target";
}

std::expected<std::string, TargetError> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\0') return std::unexpected(TargetError::nul_byte);
    if (c != '%') {
      out += c;
      continue;
    }
    if (i + 2 >= text.size()) return std::unexpected(TargetError::bad_escape);
    int hi = hex_value(text[i + 1]);
    int lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return std::unexpected(TargetError::bad_escape);
    char byte = static_cast<char>(hi << 4 | lo);
    if (byte == '\0') return std::unexpected(TargetError::nul_byte);
    out += byte;
    i += 2;
  }
  return out;
}

std::expected<std::string, TargetError> target_path(std::string_view target) {
  // Absolute-form (RFC 9112 §3.2.2): a server must accept it; the authority is ignored.
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() >= scheme.size() && iequals(target.substr(0, scheme.size()), scheme)) {
      auto rest = target.substr(scheme.size());
      auto slash = rest.find_first_of("/?#");
      target = slash == std::string_view::npos || rest[slash] != '/' ? std::string_view("/")
                                                                    : rest.substr(slash);
      break;
    }
  }
  if (!target.starts_with('/')) return std::unexpected(TargetError::not_origin_form);
  target = target.substr(0, target.find_first_of("?#"));
  return percent_decode(target);
}

std::optional<std::string_view> host_problem(unsigned version, std::size_t host_fields) {
  if (host_fields > 1) return "two-hosts";
  if (host_fields == 0 && version >= 11) return "no-host";
  return std::nullopt;
}

std::string query_of(std::string_view target) {
  target = target.substr(0, target.find('#'));
  auto mark = target.find('?');
  return mark == std::string_view::npos ? std::string() : std::string(target.substr(mark + 1));
}

std::string logged_target(std::string_view target) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, question + 1));
  std::string_view query = target.substr(question + 1);
  for (bool first = true; !query.empty() || first; first = false) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    if (!first) out += '&';
    out += pair.starts_with("token=") ? std::string("token=-") : std::string(pair);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

RangeSelection select_range(std::string_view header, std::uint64_t size) {
  const RangeSelection whole{RangeOutcome::whole, {0, size}};
  header = trim(header);
  auto eq = header.find('=');
  if (eq == std::string_view::npos || !iequals(trim(header.substr(0, eq)), "bytes")) return whole;
  auto spec = trim(header.substr(eq + 1));
  if (spec.find(',') != std::string_view::npos) return whole;  // several ranges
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  auto first_text = spec.substr(0, dash);
  auto last_text = spec.substr(dash + 1);
  const RangeSelection unsatisfiable{RangeOutcome::unsatisfiable, {}};

  if (first_text.empty()) {  // suffix: the last n bytes
    auto n = digits(last_text);
    if (!n) return whole;
    if (*n == 0 || size == 0) return unsatisfiable;
    auto length = std::min(*n, size);
    return {RangeOutcome::partial, {size - length, length}};
  }
  auto first = digits(first_text);
  if (!first) return whole;
  std::uint64_t last = kMax;
  if (!last_text.empty()) {
    auto l = digits(last_text);
    if (!l || *l < *first) return whole;  // RFC 9110 §14.1.1: invalid, so ignored
    last = *l;
  }
  if (*first >= size) return unsatisfiable;
  last = std::min(last, size - 1);
  return {RangeOutcome::partial, {*first, last - *first + 1}};
}

std::string content_range(const ByteRange& range, std::uint64_t size) {
  return "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last()) + "/" +
         std::to_string(size);
}

std::string unsatisfied_range(std::uint64_t size) { return "bytes */" + std::to_string(size); }

std::string make_etag(std::uint64_t size, std::chrono::nanoseconds mtime) {
  char text[48];
  std::snprintf(text, sizeof text, "\"%llx-%llx\"", static_cast<unsigned long long>(size),
                static_cast<unsigned long long>(mtime.count()));
  return text;
}

std::string format_http_date(std::chrono::sys_seconds t) {
  std::time_t tt = t.time_since_epoch().count();
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char text[64];
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                kDays[static_cast<std::size_t>(tm.tm_wday)].data(), tm.tm_mday,
                kMonths[static_cast<std::size_t>(tm.tm_mon)].data(), tm.tm_year + 1900, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
  return text;
}

std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text) {
  // "Sun, 06 Nov 1994 08:49:37 GMT": fixed width, 29 characters.
  text = trim(text);
  if (text.size() != 29 || text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  if (std::ranges::find(kDays, text.substr(0, 3)) == kDays.end()) return std::nullopt;
  auto month = std::ranges::find(kMonths, text.substr(8, 3));
  if (month == kMonths.end()) return std::nullopt;
  auto number = [&](std::size_t at, std::size_t n) -> std::optional<unsigned> {
    auto v = digits(text.substr(at, n));
    return v ? std::optional<unsigned>(static_cast<unsigned>(*v)) : std::nullopt;
  };
  auto day = number(5, 2), year = number(12, 4), hour = number(17, 2), minute = number(20, 2),
       second = number(23, 2);
  if (!day || !year || !hour || !minute || !second || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  using namespace std::chrono;
  year_month_day ymd{std::chrono::year(static_cast<int>(*year)),
                     std::chrono::month(static_cast<unsigned>(month - kMonths.begin()) + 1),
                     std::chrono::day(*day)};
  if (!ymd.ok()) return std::nullopt;
  return sys_days(ymd) + hours(*hour) + minutes(*minute) + seconds(std::min(*second, 59u));
}

bool not_modified(std::string_view if_none_match, std::string_view if_modified_since,
                  std::string_view etag, std::chrono::sys_seconds last_modified) {
  if (!trim(if_none_match).empty()) {
    if (trim(if_none_match) == "*") return true;
    std::string_view list = if_none_match;
    while (!list.empty()) {
      auto comma = list.find(',');
      if (opaque(list.substr(0, comma)) == opaque(etag)) return true;
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
    return false;
  }
  auto since = parse_http_date(if_modified_since);
  return since && last_modified <= *since;
}

bool if_range_allows(std::string_view if_range, std::string_view etag,
                     std::chrono::sys_seconds last_modified) {
  if_range = trim(if_range);
  if (if_range.empty()) return true;
  if (if_range.starts_with('"')) return if_range == etag;  // strong comparison
  auto date = parse_http_date(if_range);
  return date && *date == last_modified;
}

std::string_view content_type(std::string_view path) {
  auto slash = path.find_last_of('/');
  auto name = path.substr(slash + 1);
  auto folder = slash == std::string_view::npos ? std::string_view{} : path.substr(0, slash);
  folder = folder.substr(folder.find_last_of('/') + 1);
  for (auto text_folder : kTextFolders) {
    if (iequals(folder, text_folder)) return "text/plain";
  }
  for (auto text_name : kTextNames) {
    if (iequals(name, text_name)) return "text/plain";
  }
  auto dot = name.find_last_of('.');
  if (dot == std::string_view::npos) return kDefaultType;
  auto extension = name.substr(dot + 1);
  for (const auto& entry : kContentTypes) {
    if (iequals(entry.extension, extension)) return entry.type;
  }
  return kDefaultType;
}

}  // namespace pxed::http
