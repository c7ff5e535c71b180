#pragma once
// A machine's answer files: where each is served, the kernel arguments that
// point its installer there, what it holds for that machine, and who may
// fetch it. Pure: app hands in who asked (the MAC its source address maps
// to, whether it bore the API's token) and serves what comes back.
//
//   ${http}/pxed/v1/answers/52-54-00-12-34-56/preseed.cfg
//
// Only the machine itself (its address maps to that MAC: pxed's lease, or
// what its DHCP request showed), a request bearing the machine's own token
// (its answers_token secret) or the API's token gets the file; everyone else
// gets 404, as if it did not exist, and a warning event.
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "boot/inventory.hpp"
#include "boot/template.hpp"
#include "config/config.hpp"
#include "config/secrets.hpp"

namespace pxed::boot {

inline constexpr std::string_view kAnswersPath = "/pxed/v1/answers/";

// "/pxed/v1/answers/" + "52-54-00-12-34-56/" (the directory cloud-init's s= names).
std::string answers_dir_url(std::string_view http_base, const core::Mac& mac);
std::string answer_url(std::string_view http_base, const core::Mac& mac, std::string_view name);

// What the installer the profile boots needs on its command line to fetch its
// answers: "auto=true priority=critical url=...", "inst.ks=...",
// "autoinstall ds=nocloud-net;s=.../", "autoyast=..."; "" without answer files
// (or for Windows, whose setup finds autounattend.xml itself). values: values_of's.
std::string answer_arguments(const config::Profile& profile, const config::Vars& values);

struct AnswerRequest {
  core::Mac mac;
  std::string name;
};
// path decoded and normalized ("/pxed/v1/answers/52-54-00-12-34-56/ks.cfg"); nullopt: not one.
std::optional<AnswerRequest> parse_answer_path(std::string_view path);

// The profile whose answer files a machine gets: the one it boots, or for a
// `once` machine already installed, the one it installed with; a menu's
// entries are searched in order. Null when none has answer files.
const config::Profile* answer_profile(const Match& m, const config::Config& cfg);
const config::AnswerTemplate* find_answer(const config::Profile& profile, std::string_view name);

// The values a template sees: values_of's (built-ins, then vars with machine >
// group > profile), plus "profile", "group" (its name), "answers_url" (this
// machine's answers directory), "installer", "serial", "manufacturer" and "product".
// Secrets (config/secrets.hpp) win over vars of the same name. serial,
// manufacturer and product are the machine's SMBIOS as iPXE reported them
// (from remembered), empty when it did not.
config::Vars answer_values(const Match& m, const ClientFacts& facts, const Context& context,
                           const config::Secrets* secrets = nullptr, const Remembered* remembered = nullptr);

// The secrets that apply to this machine: [vars], then its profile's, its
// group's, its own (by name, then by MAC), each over the one before.
config::Vars secrets_of(const Match& m, const ClientFacts& facts, const config::Secrets& secrets);

// The file for that machine, or every problem (file:line).
std::expected<std::string, std::vector<TemplateError>> render_answer(const config::AnswerTemplate& answer,
                                                                     const config::Vars& values);

// Who asked, as app found out.
struct AnswerAsker {
  std::optional<core::Mac> mac;  // the MAC its source address maps to; nullopt: nobody known there
  std::string how;               // "lease", "proxy", ... for the reason
  bool bearer = false;           // it bore the API's token (Authorization: Bearer)
  // A token it presented (Authorization: Bearer, or ?token=): opens this
  // machine's files when it is the machine's answers_token secret.
  std::string token;
};

// The secret that opens one machine's answer files to whoever presents it.
inline constexpr std::string_view kAnswersToken = "answers_token";

struct AnswerReply {
  unsigned status = 404;
  std::string body;
  std::string content_type = "text/plain";
  std::string reason;  // access log and the event: "answer", "answer-refused", "answer-not-found", "answer-failed"
  std::string why;     // one line for the event: who, which file, by which rule
  bool refused = false;  // someone else's file: warn
};

// The answer to GET path for this asker; `facts` are what pxed knows of the
// machine the path names (its sighting, else its MAC alone).
AnswerReply answer_reply(const AnswerRequest& request, const AnswerAsker& asker, const ClientFacts& facts,
                         const config::Config& cfg, const Context& context, const Remembered* remembered = nullptr,
                         const config::Secrets* secrets = nullptr);

// Every problem `pxed check` and serve find in the inventory's answer files:
// each template rendered for every [[machine]] that boots its profile (by MAC
// or UUID), and for each [[group]] and the profile itself with their vars.
// Problems are reported once per file, line and message.
std::vector<TemplateError> answer_problems(const config::Config& cfg, const config::Secrets* secrets = nullptr);

}  // namespace pxed::boot
