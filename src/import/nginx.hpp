#pragma once
// `pxed import dnsmasq ... --nginx nginx.conf`: the part of an nginx
// configuration a boot server is: which directory it serves (root), which
// other directories appear where (location + alias or root), on which
// addresses (listen). Everything else an nginx site does (proxy_pass,
// rewrites, auth, TLS, the other server blocks) becomes a note with file:line.
// Pure: the directives come from read_nginx (nginx_conf.hpp).
#include <cstdint>
#include <string>
#include <vector>

#include "import/loop_mounts.hpp"
#include "import/nginx_conf.hpp"

namespace pxed::import {

// A [[files.mount]]: a directory (`dir`) or an ISO image (`iso`) at a path of the tree.
struct ImportedMount {
  std::string at;    // "/centos7"
  std::string dir;
  std::string iso;
  std::string from;  // a comment on where it came from: "nginx.conf:14: location /iso/ alias"
};

struct NginxSite {
  std::string root;       // the directory served at "/", normalized; empty: no server block at all
  std::string root_from;  // "file:line" of the root directive
  const NginxDirective* root_directive = nullptr;  // for a note about it
  std::vector<ImportedMount> mounts;               // from locations, directories only
  std::vector<std::string> listen;                 // "0.0.0.0:80", "[::]:80"; empty: pxed's default
};

// The site pxed takes the tree from: the server block that serves files
// (root, alias), the default_server first; the others are noted.
NginxSite translate_nginx(const std::vector<NginxDirective>& top, std::vector<Note>& notes);

// The tree's ISO mounts: a directory served at `at` that is a loop mount
// becomes its image; loop mounts beneath a served directory become images at
// their place in the tree. `root` is files.root (served at "/"); `mounts` are
// changed in place and grow.
void mount_loop_images(const std::string& root, std::vector<ImportedMount>& mounts,
                       const std::vector<LoopMount>& loops);

}  // namespace pxed::import
