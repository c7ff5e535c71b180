#pragma once
// dnsmasq's configuration syntax, read as dnsmasq reads it: one option a line
// (`name=value` or a bare flag), `#` comments, quoted values, and the files
// conf-file and conf-dir pull in. Pure: the caller hands in how to read a file
// and list a directory, so tests need no files and `pxed import` owns the I/O.
#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace pxed::import {

// What `pxed import` could not say in pxed.toml, or said only approximately.
struct Note {
  enum class Kind { untranslated, approximate };
  std::string file;
  std::uint32_t line = 0;
  std::string option;  // "dhcp-option=42,10.0.0.1", as written
  Kind kind = Kind::untranslated;
  std::string why;

  // "dnsmasq.conf:12: dhcp-option=42,10.0.0.1: not translated: pxed sends no NTP server"
  std::string to_string() const;
};

struct ConfLine {
  std::string file;
  std::uint32_t line = 0;
  std::string name;   // "dhcp-range"
  std::string value;  // everything after '=', comments removed, quotes kept
  bool has_value = false;

  std::string text() const { return has_value ? name + "=" + value : name; }
};

struct ConfSources {
  // The whole file, or why it cannot be read.
  std::function<std::expected<std::string, std::string>(const std::string& path)> read_file;
  // The names of the regular files directly in a directory, or why it cannot be listed.
  std::function<std::expected<std::vector<std::string>, std::string>(const std::string& dir)> list_dir;
};

// Every option line of `path` and the files it includes, in dnsmasq's order
// (an included file's lines where its conf-file/conf-dir stood). Only `path`
// itself being unreadable is an error; an include that cannot be read, or that
// loops, becomes a note and the rest is read.
std::expected<std::vector<ConfLine>, std::string> read_conf(const std::string& path, const ConfSources& sources,
                                                            std::vector<Note>& notes);

// The comma-separated arguments of a value, with quotes and dnsmasq's
// backslash escapes inside them removed, and blanks around each trimmed:
// `x86PC,"Boot, then install",pxelinux` -> {"x86PC", "Boot, then install", "pxelinux"}.
std::vector<std::string> split_args(std::string_view value);

// Which files of a conf-dir dnsmasq reads, in the order it reads them, given
// the option's filters (",.bak" skips names ending in .bak; ",*.conf" reads only
// names ending in .conf); names ending in ~, starting with '.' or starting and
// ending with '#' are always skipped.
std::vector<std::string> conf_dir_files(std::vector<std::string> names, const std::vector<std::string>& filters);

}  // namespace pxed::import
