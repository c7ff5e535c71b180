#pragma once
// nginx's configuration syntax, read as nginx reads it (ngx_conf_file.c):
// directives of words ending in ';', blocks in '{' '}', '#' comments, single
// and double quotes with backslash escapes, and `include` with glob patterns.
// Pure: the caller hands in how to read a file and list a directory
// (ConfSources, shared with the dnsmasq side), so tests need no files.
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "import/dnsmasq_conf.hpp"

namespace pxed::import {

struct NginxDirective {
  std::string file;
  std::uint32_t line = 0;
  std::vector<std::string> args;  // args[0] is the name, quotes and escapes removed
  bool has_block = false;
  std::vector<NginxDirective> block;

  const std::string& name() const { return args.front(); }
  // "alias /srv/iso/;" or "location /iso/ {...}": how a note quotes it.
  std::string text() const;
};

// One file's directives, includes left as they stand. A syntax error names
// file and line as nginx -t would: "nginx.conf:7: unexpected \"}\"".
std::expected<std::vector<NginxDirective>, std::string> parse_nginx(std::string_view text, const std::string& file);

// `path` and every file its includes name, includes replaced by the included
// files' directives where they stood. Relative include paths are relative to
// the directory of `path`, as nginx takes them relative to the directory of
// its -c file. A pattern with * ? or [ that matches nothing includes nothing,
// as in nginx; a plain path that cannot be read, a loop or a syntax error in
// an included file becomes a note and the rest is read. Only `path` itself
// unreadable or malformed is an error.
std::expected<std::vector<NginxDirective>, std::string> read_nginx(const std::string& path,
                                                                   const ConfSources& sources,
                                                                   std::vector<Note>& notes);

// The files an include pattern names, in nginx's order (glob(3), sorted), given
// the names in the pattern's directory. Only the last component may hold a
// pattern; '*' and '?' do not match a leading '.'.
std::vector<std::string> glob_names(std::string_view pattern, const std::vector<std::string>& names);

bool has_glob(std::string_view path);

}  // namespace pxed::import
