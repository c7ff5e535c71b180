#pragma once
// `pxed template render -c F --mac M [NAME]`: what a machine's answer file
// says, rendered as pxed would serve it, with every variable it uses and
// where each value comes from (the machine's vars, its group's, its
// profile's, a secret, or built in). Secrets print as <secret> unless
// --show-secrets. No server is needed.
#include <iosfwd>
#include <string>

#include "config/config.hpp"

namespace pxed::app {

struct TemplateArgs {
  std::string mac;
  std::string name;    // an answer file's name ("preseed.cfg"); empty: every one the machine has
  std::string ip;      // the machine's address; empty: none known
  std::string uuid;
  std::string server;  // pxed's address as the machine sees it; empty: as lookup picks it
  bool show_secrets = false;  // else values from [server] secrets_file print as kHidden
};

inline constexpr std::string_view kHidden = "<secret>";

inline constexpr int kTemplateRendered = 0;
inline constexpr int kTemplateNone = 1;      // the machine has no such answer file
inline constexpr int kTemplateProblem = 2;   // bad input, or the template does not render

int render_template_cli(const config::Config& cfg, const TemplateArgs& args, std::ostream& out, std::ostream& err);

}  // namespace pxed::app
