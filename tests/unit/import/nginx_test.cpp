#include "import/nginx.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "config/scratch.hpp"
#include "import/dnsmasq.hpp"

namespace pxed::import {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

struct Imported {
  std::string toml;
  std::vector<std::string> notes;
};

// dnsmasq.conf and nginx.conf (and what they include) in memory.
Imported import_both(const std::string& dnsmasq, const std::string& nginx, std::vector<LoopMount> loops = {},
                     std::map<std::string, std::string> more = {}) {
  more["/etc/dnsmasq.conf"] = dnsmasq;
  more["/etc/nginx/nginx.conf"] = nginx;
  ConfSources sources{[&](const std::string& path) -> std::expected<std::string, std::string> {
                        auto it = more.find(path);
                        if (it == more.end()) return std::unexpected(std::string("No such file or directory"));
                        return it->second;
                      },
                      [](const std::string&) -> std::expected<std::vector<std::string>, std::string> {
                        return std::unexpected(std::string("No such file or directory"));
                      }};
  auto result = import_dnsmasq(ImportInputs{"/etc/dnsmasq.conf", "/etc/nginx/nginx.conf", std::move(loops)}, sources);
  EXPECT_TRUE(result) << (result ? "" : result.error());
  Imported out;
  if (!result) return out;
  out.toml = result->toml;
  for (const auto& n : result->notes) out.notes.push_back(n.to_string());
  return out;
}

// The seed's stack (README "Moving from dnsmasq + nginx"): one tree served by
// dnsmasq's TFTP and by nginx, a CentOS image loop-mounted into it.
const char* kSeedDnsmasq = "interface=eth1\ndhcp-range=10.77.0.0,proxy\ndhcp-boot=lpxelinux.0\nenable-tftp\n"
                           "tftp-root=/srv/tftp\n";
const char* kSeedNginx =
    "events {}\n"
    "http {\n"
    "    server {\n"
    "        listen 80;\n"
    "        root /srv/tftp;\n"
    "        autoindex on;\n"
    "    }\n"
    "}\n";

TEST(NginxImport, TheSeedStackIsOneTreeWithItsLoopMountedImage) {
  auto out = import_both(kSeedDnsmasq, kSeedNginx,
                         {{"/srv/tftp/centos7", "/srv/iso/centos.iso", "/etc/fstab:9", false}});
  EXPECT_THAT(out.notes, IsEmpty());
  EXPECT_THAT(out.toml, HasSubstr("# pxed.toml written by `pxed import dnsmasq /etc/dnsmasq.conf --nginx "
                                  "/etc/nginx/nginx.conf`."));
  EXPECT_THAT(out.toml, HasSubstr("[files]\nroot = \"/srv/tftp\"\n[[files.mount]]\n"
                                  "# /srv/tftp/centos7 is /srv/iso/centos.iso mounted (/etc/fstab:9)\n"
                                  "at = \"/centos7\"\niso = \"/srv/iso/centos.iso\"\n"));
  EXPECT_THAT(out.toml, HasSubstr("[http]\nenabled = true\nlisten = \"0.0.0.0:80\"\n"));
}

TEST(NginxImport, AliasesAndLocationRootsBecomeMountsAndALoopMountedAliasItsImage) {
  auto out = import_both(kSeedDnsmasq,
                         "http { server {\n"
                         "  listen 10.77.0.1:8080; listen [::]:8080 ipv6only=on;\n"
                         "  root /srv/tftp;\n"
                         "  location /iso/ { alias /srv/iso/; }\n"
                         "  location ^~ /debian { alias /mnt/debian; }\n"
                         "  location /extra/ { root /srv/www; }\n"
                         "  location /same/ { alias /srv/tftp/same/; }\n"
                         "} }\n",
                         {{"/mnt/debian", "/srv/iso/debian-12.iso", "/proc/self/mountinfo", true},
                          {"/srv/iso/unpacked", "/srv/iso/alma.iso", "/etc/fstab:4", false}});
  EXPECT_THAT(out.notes, IsEmpty());
  EXPECT_THAT(out.toml, HasSubstr("listen = [\"10.77.0.1:8080\", \"[::]:8080\"]"));
  EXPECT_THAT(out.toml, HasSubstr("# /etc/nginx/nginx.conf:4: location /iso alias\nat = \"/iso\"\ndir = \"/srv/iso\"\n"));
  EXPECT_THAT(out.toml, HasSubstr("at = \"/debian\"\niso = \"/srv/iso/debian-12.iso\"\n"));
  EXPECT_THAT(out.toml, HasSubstr("at = \"/extra\"\ndir = \"/srv/www/extra\"\n"));
  // Beneath an alias: at its place under the alias's path.
  EXPECT_THAT(out.toml, HasSubstr("at = \"/iso/unpacked\"\niso = \"/srv/iso/alma.iso\"\n"));
  EXPECT_THAT(out.toml, Not(HasSubstr("at = \"/same\"")));
}

TEST(NginxImport, WhatPxedCannotDoIsNotedWithFileAndLine) {
  auto out = import_both(kSeedDnsmasq,
                         "http {\n"
                         "  server {\n"
                         "    listen 80 default_server;\n"
                         "    root /srv/tftp;\n"
                         "    index index.html;\n"
                         "    location / { try_files $uri $uri/ =404; }\n"
                         "    location /api/ { proxy_pass http://127.0.0.1:9000; }\n"
                         "    location ~ \\.php$ { fastcgi_pass unix:/run/php.sock; }\n"
                         "    location /private/ { auth_basic \"lab\"; auth_basic_user_file /etc/htpasswd; }\n"
                         "    rewrite ^/old/(.*)$ /new/$1 permanent;\n"
                         "    frobnicate on;\n"
                         "  }\n"
                         "  server { listen 443 ssl; server_name boot.example; root /srv/tftp; }\n"
                         "}\n");
  const std::string f = "/etc/nginx/nginx.conf:";
  EXPECT_THAT(out.notes,
              ElementsAre(f + "5: index index.html;: approximately: pxed answers a directory with its listing, not "
                              "with an index file: ask for index.html by name",
                          f + "7: proxy_pass http://127.0.0.1:9000;: not translated: pxed proxies nothing: it "
                              "serves files from its tree",
                          f + "8: location ~ \\.php$ {...}: not translated: a regular-expression location: pxed maps "
                              "paths to files by prefix only",
                          HasSubstr(f + "9: auth_basic lab;: not translated: pxed serves the tree to anyone"),
                          HasSubstr(f + "9: auth_basic_user_file /etc/htpasswd;: not translated"),
                          f + "10: rewrite ^/old/(.*)$ /new/$1 permanent;: not translated: pxed rewrites no paths: a "
                              "file is served at its place in the tree",
                          f + "11: frobnicate on;: not translated: pxed has no equivalent of frobnicate (in server)",
                          f + "13: server {...}: not translated: pxed serves one tree for every host name and address: "
                              "this server (server_name boot.example) is left out (the server at " + f +
                              "2 is the one imported)"));
  EXPECT_THAT(out.toml, HasSubstr("# /etc/nginx/nginx.conf:7: proxy_pass"));
}

// /etc/nginx/sites-available/default from Debian 12's nginx-common, its comments removed.
TEST(NginxImport, DebiansDefaultSiteAloneGivesTheRootAndBothListeners) {
  auto out = import_both("", "server {\n\tlisten 80 default_server;\n\tlisten [::]:80 default_server;\n"
                             "\troot /var/www/html;\n\tindex index.html index.htm index.nginx-debian.html;\n"
                             "\tserver_name _;\n\tlocation / {\n\t\ttry_files $uri $uri/ =404;\n\t}\n}\n");
  EXPECT_THAT(out.toml, HasSubstr("[files]\nroot = \"/var/www/html\"\n"));
  EXPECT_THAT(out.toml, HasSubstr("listen = [\"0.0.0.0:80\", \"[::]:80\"]"));
  EXPECT_THAT(out.notes, ElementsAre(HasSubstr("/etc/nginx/nginx.conf:5: index index.html index.htm "
                                               "index.nginx-debian.html;: approximately")));
}

TEST(NginxImport, ATftpRootApartFromNginxsRootIsNoted) {
  auto out = import_both(kSeedDnsmasq, "server { root /var/www/html; location /iso/ { alias /srv/iso/; } }\n");
  EXPECT_THAT(out.toml, HasSubstr("root = \"/srv/tftp\""));
  EXPECT_THAT(out.toml, HasSubstr("at = \"/iso\"\ndir = \"/srv/iso\""));
  EXPECT_THAT(out.notes, ElementsAre("/etc/nginx/nginx.conf:1: root /var/www/html;: not translated: pxed serves one "
                                     "tree over TFTP and HTTP, files.root = /srv/tftp (dnsmasq's tftp-root): the files "
                                     "under /var/www/html are not in it; move them there, or mount its folders with "
                                     "[[files.mount]] dir"));
}

TEST(NginxImport, ListenFormsNginxTakes) {
  auto out = import_both("", "server { root /srv; listen 8080; listen *:81; listen 10.0.0.1; listen [fd00::1]:82;\n"
                             "listen unix:/run/x.sock; listen boot.lan:80; listen 443 ssl; listen 99999; }\n");
  EXPECT_THAT(out.toml,
              HasSubstr("listen = [\"0.0.0.0:8080\", \"0.0.0.0:81\", \"10.0.0.1:80\", \"[fd00::1]:82\"]"));
  EXPECT_THAT(out.notes, ElementsAre(HasSubstr("listen unix:/run/x.sock;: not translated"),
                                     HasSubstr("listen boot.lan:80;: not translated: a host name"),
                                     HasSubstr("listen 443 ssl;: not translated: pxed serves plain HTTP only"),
                                     HasSubstr("listen 99999;: not translated: not a port number")));
}

TEST(NginxImport, APathThatIsNotUtf8IsNotedNotWritten) {
  // A Latin-1 directory name: pxed.toml is UTF-8, and a guessed encoding could name another directory.
  auto out = import_both("", "server { root /srv/tftp; location /caf\xe9/ { alias /srv/caf\xe9/; } }\n");
  EXPECT_THAT(out.toml, Not(HasSubstr("[[files.mount]]")));
  EXPECT_THAT(out.notes, ElementsAre(HasSubstr("/etc/nginx/nginx.conf:1: location /caf\xe9/ {...}: not translated: "
                                               "not UTF-8")));
}

TEST(NginxImport, NoServerBlockIsAnErrorNotAnEmptyTree) {
  std::map<std::string, std::string> files{{"/etc/dnsmasq.conf", ""},
                                           {"/etc/nginx/nginx.conf", "events {}\nhttp { include sites-enabled/*; }\n"}};
  ConfSources sources{[&](const std::string& path) -> std::expected<std::string, std::string> {
                        return files.at(path);
                      },
                      [](const std::string&) -> std::expected<std::vector<std::string>, std::string> { return {}; }};
  auto result = import_dnsmasq(ImportInputs{"/etc/dnsmasq.conf", "/etc/nginx/nginx.conf", {}}, sources);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error(), HasSubstr("/etc/nginx/nginx.conf: no server block"));
}

TEST(NginxImport, AMalformedNginxFileIsAnError) {
  std::map<std::string, std::string> files{{"/etc/dnsmasq.conf", ""}, {"/etc/nginx/nginx.conf", "http {\n"}};
  ConfSources sources{[&](const std::string& path) -> std::expected<std::string, std::string> {
                        return files.at(path);
                      },
                      [](const std::string&) -> std::expected<std::vector<std::string>, std::string> { return {}; }};
  auto result = import_dnsmasq(ImportInputs{"/etc/dnsmasq.conf", "/etc/nginx/nginx.conf", {}}, sources);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), "/etc/nginx/nginx.conf:2: unexpected end of file, expecting \"}\"");
}

TEST(NginxImport, TheOutputIsWhatPxedsConfigReads) {
  config::Scratch scratch;
  const auto root = scratch.root().string();
  const auto iso_dir = (scratch.dir() / "iso").string();
  std::filesystem::create_directories(iso_dir);
  std::ofstream(scratch.dir() / "centos.iso") << "not really an image";
  auto out = import_both("enable-tftp\ntftp-root=" + root + "\n",
                         "server { listen 127.0.0.1:8080; root " + root + "; location /iso/ { alias " + iso_dir +
                             "; } }\n",
                         {{root + "/centos7", (scratch.dir() / "centos.iso").string(), "/etc/fstab:1", false}});
  EXPECT_THAT(out.notes, IsEmpty());
  auto cfg = scratch.parse(out.toml);
  ASSERT_TRUE(cfg) << config::describe(config::errors_of(cfg)) << "\n" << out.toml;
  EXPECT_TRUE(cfg->http.enabled);
  EXPECT_EQ(cfg->http.listen.port, 8080);
  ASSERT_EQ(cfg->files.mounts.size(), 2u);
  EXPECT_EQ(cfg->files.mounts[0].at, "/iso");
  EXPECT_EQ(cfg->files.mounts[1].at, "/centos7");
  EXPECT_EQ(cfg->files.mounts[1].iso, scratch.dir() / "centos.iso");
}

}  // namespace
}  // namespace pxed::import
