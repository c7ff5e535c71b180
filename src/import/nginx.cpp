// nginx's server, location, root, alias and listen in pxed's terms: one tree
// ([files] root and [[files.mount]]) served on [http] listen.
#include "import/nginx.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <set>
#include <string_view>

#include "core/net.hpp"
#include "core/utf8.hpp"

namespace pxed::import {
namespace {

using Kind = Note::Kind;

// Debian's nginx is built with --prefix=/usr/share/nginx: a relative root, and
// the root of a server that names none ("html"), are under it.
constexpr std::string_view kDebianPrefix = "/usr/share/nginx/";

// How nginx runs, or what pxed does anyway: nothing to write, nothing to say.
constexpr std::string_view kSilent[] = {
    "user", "worker_processes", "worker_connections", "worker_rlimit_nofile", "worker_cpu_affinity", "pid",
    "error_log", "load_module", "daemon", "master_process", "env", "pcre_jit", "thread_pool", "timer_resolution",
    "sendfile", "tcp_nopush", "tcp_nodelay", "keepalive_timeout", "keepalive_requests", "types_hash_max_size",
    "types_hash_bucket_size", "server_names_hash_bucket_size", "server_names_hash_max_size",
    "variables_hash_max_size", "variables_hash_bucket_size", "map_hash_max_size", "map_hash_bucket_size",
    "types", "default_type", "access_log", "log_format", "open_log_file_cache", "gzip", "gzip_vary",
    "gzip_proxied", "gzip_comp_level", "gzip_buffers", "gzip_http_version", "gzip_types", "gzip_min_length",
    "gzip_disable", "ssl_protocols", "ssl_prefer_server_ciphers", "ssl_ciphers", "ssl_session_cache",
    "ssl_session_timeout", "ssl_session_tickets", "ssl_dhparam", "ssl_ecdh_curve", "server_tokens", "charset",
    "source_charset", "client_body_temp_path", "proxy_temp_path", "fastcgi_temp_path", "uwsgi_temp_path",
    "scgi_temp_path", "etag", "if_modified_since", "open_file_cache", "open_file_cache_valid",
    "open_file_cache_min_uses", "open_file_cache_errors", "output_buffers", "aio", "directio",
    "sendfile_max_chunk", "client_max_body_size", "client_body_buffer_size", "client_header_buffer_size",
    "client_body_timeout", "send_timeout", "reset_timedout_connection", "autoindex_exact_size",
    "autoindex_localtime", "autoindex_format", "msie_padding", "resolver", "resolver_timeout",
    "server_name_in_redirect", "port_in_redirect", "absolute_redirect", "lingering_close", "lingering_time",
    "lingering_timeout", "max_ranges", "log_not_found", "log_subrequest", "ignore_invalid_headers",
    "underscores_in_headers", "merge_slashes", "multi_accept", "accept_mutex", "use"};

struct Known {
  std::string_view name;
  std::string_view why;
};
constexpr std::string_view kNoProxy = "pxed proxies nothing: it serves files from its tree";
constexpr std::string_view kNoAuth =
    "pxed serves the tree to anyone who reaches [http] listen (answer files only to their machine): limit "
    "listen, or use a firewall";
constexpr std::string_view kNoTls = "pxed serves plain HTTP only (firmware and loaders fetch over HTTP)";
constexpr Known kUntranslatable[] = {
    {"proxy_pass", kNoProxy}, {"fastcgi_pass", kNoProxy}, {"uwsgi_pass", kNoProxy}, {"scgi_pass", kNoProxy},
    {"grpc_pass", kNoProxy}, {"memcached_pass", kNoProxy}, {"upstream", kNoProxy}, {"stream", kNoProxy},
    {"mail", "pxed serves no mail"}, {"rewrite", "pxed rewrites no paths: a file is served at its place in the tree"},
    {"return", "pxed answers with files, not with fixed replies or redirects"},
    {"error_page", "pxed's error replies are its own"}, {"auth_basic", kNoAuth}, {"auth_basic_user_file", kNoAuth},
    {"auth_request", kNoAuth}, {"satisfy", kNoAuth}, {"allow", kNoAuth}, {"deny", kNoAuth},
    {"ssl_certificate", kNoTls}, {"ssl_certificate_key", kNoTls}, {"ssl", kNoTls}, {"http2", kNoTls},
    {"limit_rate", "pxed does not slow transfers down"},
    {"limit_conn", "pxed limits connections per client with [http] max_connections_per_client"},
    {"limit_conn_zone", "pxed limits connections per client with [http] max_connections_per_client"},
    {"limit_req", "pxed limits connections per client with [http] max_connections_per_client"},
    {"limit_req_zone", "pxed limits connections per client with [http] max_connections_per_client"},
    {"add_header", "pxed sends its own headers (ETag, Last-Modified, Content-Type by extension)"},
    {"expires", "pxed sends its own headers (ETag, Last-Modified, Content-Type by extension)"},
    {"if", "pxed has no conditions on requests"}, {"set", "pxed has no variables"},
    {"map", "pxed has no variables"}, {"geo", "pxed has no variables"},
    {"sub_filter", "pxed serves files as they are"}, {"ssi", "pxed serves files as they are"},
    {"dav_methods", "pxed's tree is read-only"}, {"create_full_put_path", "pxed's tree is read-only"},
};

std::string where(const NginxDirective& d) { return d.file + ":" + std::to_string(d.line); }

bool has_variable(std::string_view s) { return s.find('$') != std::string_view::npos; }

bool is_ipv6(const std::string& s) {
  std::array<unsigned char, 16> buf{};
  return inet_pton(AF_INET6, s.c_str(), buf.data()) == 1;
}

std::optional<std::uint16_t> port_of(std::string_view s) {
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9' || v > 65535) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (s.empty() || v < 1 || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

class NginxTranslator {
 public:
  explicit NginxTranslator(std::vector<Note>& notes) : notes_(notes) {}

  NginxSite run(const std::vector<NginxDirective>& top) {
    find_non_utf8(top);
    // The servers, wherever they stand: in http (a whole nginx.conf), or at
    // the top (a site file from sites-available, which nginx.conf includes in http).
    std::vector<const NginxDirective*> servers;
    for (const auto& d : top) {
      if (skip(d)) continue;
      if (d.name() == "http" && d.has_block) {
        for (const auto& s : d.block) {
          if (s.name() == "server" && s.has_block && !skip(s)) servers.push_back(&s);
        }
      } else if (d.name() == "server" && d.has_block) {
        servers.push_back(&d);
      }
    }
    const NginxDirective* chosen = choose(servers);
    std::string http_root;
    for (const auto& d : top) {
      if (skip(d)) continue;
      if (d.name() == "http" && d.has_block) {
        for (const auto& h : d.block) {
          if (skip(h) || (h.name() == "server" && h.has_block)) continue;
          if (h.name() == "root") http_root = root_of(h);
          else other(h, "http");
        }
      } else if (d.name() == "server" && d.has_block) {
        continue;
      } else if (d.name() == "events" && d.has_block) {
        continue;
      } else {
        other(d, "main");
      }
    }
    if (!chosen) return std::move(site_);
    site_.root = http_root;
    server(*chosen);
    for (const auto* s : servers) {
      if (s == chosen) continue;
      untranslated(*s, "pxed serves one tree for every host name and address: this server" + names_of(*s) +
                           " is left out (the server at " + where(*chosen) + " is the one imported)");
    }
    if (site_.root.empty()) {
      site_.root = std::string(kDebianPrefix) + "html";
      approximate(*chosen, "names no root: nginx served its prefix's html, " + site_.root +
                               " as Debian builds it; files.root says so, check it");
    }
    return std::move(site_);
  }

 private:
  std::vector<Note>& notes_;
  NginxSite site_;
  std::set<const NginxDirective*> non_utf8_;  // left out, with what they hold

  // pxed.toml is UTF-8 throughout, and guessing an encoding could change a path.
  void find_non_utf8(const std::vector<NginxDirective>& directives) {
    for (const auto& d : directives) {
      if (std::ranges::all_of(d.args, [](const std::string& a) { return core::valid_utf8(a); })) {
        find_non_utf8(d.block);
      } else {
        non_utf8_.insert(&d);
        untranslated(d, "not UTF-8, which pxed.toml is: write it in UTF-8 (iconv -f latin1 -t utf-8)");
      }
    }
  }
  bool skip(const NginxDirective& d) const { return non_utf8_.contains(&d); }

  void note(const NginxDirective& d, Kind kind, std::string why) {
    notes_.push_back({d.file, d.line, d.text(), kind, std::move(why)});
  }
  void untranslated(const NginxDirective& d, std::string why) { note(d, Kind::untranslated, std::move(why)); }
  void approximate(const NginxDirective& d, std::string why) { note(d, Kind::approximate, std::move(why)); }

  static bool serves_files(const NginxDirective& d) {
    return std::ranges::any_of(d.block, [](const NginxDirective& c) {
      return c.name() == "root" || c.name() == "alias" || (c.has_block && serves_files(c));
    });
  }

  static bool is_default(const NginxDirective& server) {
    return std::ranges::any_of(server.block, [](const NginxDirective& c) {
      return c.name() == "listen" && std::ranges::find(c.args, "default_server") != c.args.end();
    });
  }

  // A server that serves files beats one that only proxies; the default_server
  // (nginx's answer to a request for no known name) beats the others.
  static const NginxDirective* choose(const std::vector<const NginxDirective*>& servers) {
    const NginxDirective* best = nullptr;
    int best_score = -1;
    for (const auto* s : servers) {
      const int score = (serves_files(*s) ? 2 : 0) + (is_default(*s) ? 1 : 0);
      if (score > best_score) best = s, best_score = score;
    }
    return best;
  }

  static std::string names_of(const NginxDirective& server) {
    for (const auto& c : server.block) {
      if (c.name() == "server_name" && c.args.size() > 1) {
        std::string out = " (server_name";
        for (std::size_t i = 1; i < c.args.size(); ++i) out += " " + c.args[i];
        return out + ")";
      }
    }
    return {};
  }

  // A root or alias directory, or "" after a note on why not.
  std::string directory_of(const NginxDirective& d) {
    if (d.args.size() != 2) {
      untranslated(d, "takes one directory");
      return {};
    }
    const auto& path = d.args[1];
    if (has_variable(path)) {
      untranslated(d, "a path with variables: pxed serves one fixed directory per mount");
      return {};
    }
    if (!path.starts_with('/')) {
      auto full = normal_dir(std::string(kDebianPrefix) + path);
      approximate(d, "a relative path, taken under nginx's prefix as Debian builds it: " + full);
      return full;
    }
    return normal_dir(path);
  }

  std::string root_of(const NginxDirective& d) {
    auto dir = directory_of(d);
    if (!dir.empty()) {
      site_.root_from = where(d);
      site_.root_directive = &d;
    }
    return dir;
  }

  void server(const NginxDirective& s) {
    // nginx merges a block's root into its locations wherever it stands in the block.
    for (const auto& d : s.block) {
      if (d.name() == "root" && !skip(d)) site_.root = root_of(d);
    }
    for (const auto& d : s.block) {
      if (skip(d)) continue;
      const auto& n = d.name();
      if (n == "listen") listen(d);
      else if (n == "root" || n == "server_name") continue;
      else if (n == "location" && d.has_block) location(d, site_.root);
      else common(d, "/");
    }
  }

  void listen(const NginxDirective& d) {
    if (d.args.size() < 2) return untranslated(d, "names no address");
    for (std::size_t i = 2; i < d.args.size(); ++i) {
      const auto& p = d.args[i];
      if (p == "ssl" || p == "http2" || p == "quic" || p == "http3") return untranslated(d, std::string(kNoTls));
      if (p == "proxy_protocol") return untranslated(d, "pxed reads no PROXY protocol header");
      if (p == "ipv6only=off") approximate(d, "pxed's IPv6 listeners take IPv6 only: listen on 0.0.0.0 too for IPv4");
    }
    const auto& a = d.args[1];
    if (a.starts_with("unix:")) return untranslated(d, "pxed listens on IP addresses only");
    std::string host;
    std::string port = "80";
    if (a.starts_with('[')) {
      const auto close = a.find(']');
      if (close == std::string::npos) return untranslated(d, "not an address nginx accepts");
      host = a.substr(1, close - 1);
      if (close + 1 < a.size()) {
        if (a[close + 1] != ':') return untranslated(d, "not an address nginx accepts");
        port = a.substr(close + 2);
      }
      if (!is_ipv6(host)) return untranslated(d, "not an IPv6 address");
    } else if (auto colon = a.rfind(':'); colon != std::string::npos) {
      host = a.substr(0, colon);
      port = a.substr(colon + 1);
    } else if (std::ranges::all_of(a, [](char c) { return c >= '0' && c <= '9'; })) {
      port = a;
    } else {
      host = a;
    }
    if (host.empty() || host == "*") host = "0.0.0.0";
    if (!host.contains(':') && !core::Ipv4::parse(host)) {
      return untranslated(d, "a host name: pxed listens on addresses, write the address in [http] listen");
    }
    if (!port_of(port)) return untranslated(d, "not a port number: " + port);
    auto endpoint = (host.contains(':') ? "[" + host + "]" : host) + ":" + std::to_string(*port_of(port));
    if (std::ranges::find(site_.listen, endpoint) == site_.listen.end()) site_.listen.push_back(endpoint);
  }

  // A location's prefix as a path of the tree: "/iso/" -> "/iso"; "" when it
  // is not a plain prefix (after a note).
  std::string prefix_of(const NginxDirective& d) {
    if (d.args.size() == 3 && d.args[1] == "^~") return normal_dir(d.args[2]);
    if (d.args.size() != 2) {
      const auto& m = d.args.size() > 1 ? d.args[1] : std::string();
      if (m == "~" || m == "~*") {
        untranslated(d, "a regular-expression location: pxed maps paths to files by prefix only");
      } else if (m == "=") {
        untranslated(d, "an exact-match location: pxed has no rules for single paths");
      } else {
        untranslated(d, "not a location pxed import reads");
      }
      return {};
    }
    if (d.args[1].starts_with('@')) {
      untranslated(d, "a named location: pxed has no internal redirects");
      return {};
    }
    auto prefix = normal_dir(d.args[1]);
    if (prefix.empty()) untranslated(d, "not a path");
    return prefix;
  }

  void location(const NginxDirective& loc, const std::string& inherited_root) {
    auto prefix = prefix_of(loc);
    if (prefix.empty()) return;
    std::string root = inherited_root;
    for (const auto& d : loc.block) {
      if (d.name() != "root" || skip(d)) continue;
      auto dir = directory_of(d);
      if (dir.empty()) continue;
      root = dir;
      if (prefix == "/") {
        site_.root = dir;
        site_.root_from = where(d);
        site_.root_directive = &d;
      } else if (dir != inherited_root) {
        add_mount(d, prefix, normal_dir(dir + prefix), "root");
      }
    }
    for (const auto& d : loc.block) {
      if (skip(d)) continue;
      const auto& n = d.name();
      if (n == "root") {
        continue;
      } else if (n == "alias") {
        auto dir = directory_of(d);
        if (dir.empty()) continue;
        add_mount(d, prefix, dir, "alias");
      } else if (n == "location" && d.has_block) {
        location(d, root);
      } else {
        common(d, prefix);
      }
    }
  }

  void add_mount(const NginxDirective& d, const std::string& prefix, const std::string& dir, std::string_view how) {
    if (prefix == "/") {
      site_.root = dir;
      site_.root_from = where(d);
      site_.root_directive = &d;
      return;
    }
    site_.mounts.push_back({prefix, dir, {}, where(d) + ": location " + prefix + " " + std::string(how)});
  }

  // Directives of a server or location that are neither listen nor root nor alias.
  void common(const NginxDirective& d, const std::string& prefix) {
    const auto& n = d.name();
    if (n == "autoindex") {
      if (d.args.size() == 2 && d.args[1] == "off") {
        approximate(d, "pxed lists every directory that has no file of the name asked (nginx answered 403)");
      }
    } else if (n == "index") {
      approximate(d, "pxed answers a directory with its listing, not with an index file: ask for " +
                         (d.args.size() > 1 ? d.args[1] : std::string("the file")) + " by name");
    } else if (n == "try_files") {
      const bool plain = d.args.size() >= 3 && d.args[1] == "$uri" && d.args.back() == "=404" &&
                         (d.args.size() == 3 || (d.args.size() == 4 && d.args[2] == "$uri/"));
      if (!plain) untranslated(d, "pxed serves the file at the path asked, or 404: no fallbacks");
    } else {
      other(d, prefix == "/" ? "server" : "location " + prefix);
    }
  }

  void other(const NginxDirective& d, const std::string& context) {
    const auto& n = d.name();
    if (std::ranges::find(kSilent, n) != std::end(kSilent)) return;
    if (auto it = std::ranges::find(kUntranslatable, n, &Known::name); it != std::end(kUntranslatable)) {
      return untranslated(d, std::string(it->why));
    }
    untranslated(d, "pxed has no equivalent of " + n + " (in " + context + ")");
  }
};

}  // namespace

NginxSite translate_nginx(const std::vector<NginxDirective>& top, std::vector<Note>& notes) {
  return NginxTranslator(notes).run(top);
}

void mount_loop_images(const std::string& root, std::vector<ImportedMount>& mounts,
                       const std::vector<LoopMount>& loops) {
  // A location serving a directory the root already serves at the same path adds nothing.
  std::erase_if(mounts, [&](const ImportedMount& m) { return !root.empty() && m.dir == normal_dir(root + m.at); });
  for (auto& m : mounts) {
    if (m.dir.empty()) continue;
    if (const auto* loop = loop_mount_at(loops, m.dir)) {
      m.from += "; " + m.dir + " is " + loop->image + " mounted (" + loop->origin + ")";
      m.iso = loop->image;
      m.dir.clear();
    }
  }
  // Loop mounts beneath a served directory: the root at "/", each directory mount at its path.
  std::vector<std::pair<std::string, std::string>> served;  // (directory, its path in the tree)
  if (!root.empty()) served.emplace_back(root, "");
  for (const auto& m : mounts) {
    if (!m.dir.empty()) served.emplace_back(m.dir, m.at);
  }
  for (const auto& loop : loops) {
    for (const auto& [dir, at] : served) {
      if (!loop.dir.starts_with(dir + "/")) continue;
      auto path = at + loop.dir.substr(dir.size());
      if (std::ranges::find(mounts, path, &ImportedMount::at) != mounts.end()) break;
      mounts.push_back({path, {}, loop.image, loop.dir + " is " + loop.image + " mounted (" + loop.origin + ")"});
      break;
    }
  }
}

}  // namespace pxed::import
