#include "http/listing.hpp"

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace pxed::http {
namespace {

constexpr std::string_view kHex = "0123456789ABCDEF";

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string entry_mtime(const vfs::DirEntry& e) {
  return format_utc(std::chrono::sys_seconds(std::chrono::seconds(e.mtime_seconds)));
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string percent_encode_segment(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (unreserved(c)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

std::string percent_encode_path(std::string_view path) {
  std::string out;
  for (;;) {
    auto slash = path.find('/');
    out += percent_encode_segment(path.substr(0, slash));
    if (slash == std::string_view::npos) return out;
    out += '/';
    path.remove_prefix(slash + 1);
  }
}

std::string format_utc(std::chrono::sys_seconds t) {
  auto day = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day ymd{day};
  std::chrono::hh_mm_ss hms{t - day};
  std::array<char, 40> text{};
  std::snprintf(text.data(), text.size(), "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return text.data();
}

bool wants_json(std::string_view accept) {
  constexpr std::string_view kJson = "application/json";
  if (accept.size() < kJson.size()) return false;
  for (std::size_t at = 0; at + kJson.size() <= accept.size(); ++at) {
    bool same = true;
    for (std::size_t i = 0; same && i < kJson.size(); ++i) same = ascii_lower(accept[at + i]) == kJson[i];
    if (same) return true;
  }
  return false;
}

std::string directory_location(std::string_view dir) {
  if (dir.empty()) return "/";
  return "/" + percent_encode_path(dir) + "/";
}

std::string render_listing_html(std::string_view dir, std::span<const vfs::DirEntry> entries) {
  const std::string title = html_escape("Index of /" + std::string(dir) + (dir.empty() ? "" : "/"));
  std::string out;
  out.reserve(512 + entries.size() * 160);
  out += "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>";
  out += title;
  out += "</title>\n</head>\n<body>\n<h1>";
  out += title;
  out += "</h1>\n<table>\n<tr><th>Name</th><th>Size</th><th>Modified</th></tr>\n";
  if (!dir.empty()) out += "<tr><td><a href=\"../\">../</a></td><td>-</td><td></td></tr>\n";
  for (const auto& e : entries) {
    const std::string slash = e.directory ? "/" : "";
    // Relative hrefs stay right under any prefix a proxy mounts us at.
    out += "<tr><td><a href=\"";
    out += html_escape(percent_encode_segment(e.name) + slash);
    out += "\">";
    out += html_escape(e.name + slash);
    out += "</a></td><td>";
    out += e.directory ? std::string("-") : std::to_string(e.size);
    out += "</td><td>";
    out += entry_mtime(e);
    out += "</td></tr>\n";
  }
  out += "</table>\n</body>\n</html>\n";
  return out;
}

std::string render_listing_json(std::span<const vfs::DirEntry> entries) {
  auto list = nlohmann::json::array();
  for (const auto& e : entries) {
    list.push_back({{"name", e.name},
                    {"type", e.directory ? "directory" : "file"},
                    {"size", e.size},
                    {"mtime", entry_mtime(e)}});
  }
  // replace: a name in another encoding must not throw out of the renderer.
  return list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace pxed::http
