#pragma once
// GET /pxed/v1/answers/<mac>/<file> on [http] listen: a machine's answer
// file, rendered for it (boot/answers.hpp decides), to the machine itself or
// to a request bearing the API's token. Glue: who asked comes from the
// sightings (the address's lease or DHCP request), the answer from boot, and
// every request is an answer.* event (answer.refused a warning).
#include <memory>
#include <optional>
#include <vector>

#include "api/token.hpp"
#include "boot/inventory.hpp"
#include "boot/sightings.hpp"
#include "config/config.hpp"
#include "config/secrets.hpp"
#include "http/routes.hpp"

namespace pxed::events {
class Bus;
}

namespace pxed::app {

class AnswerFiles {
 public:
  // token: the API's, or null (then only the machines themselves get theirs).
  // secrets: [server] secrets_file's, read before privileges dropped (kept over reloads).
  AnswerFiles(const boot::Sightings& sightings, events::Bus& bus, std::shared_ptr<const api::Token> token,
              std::shared_ptr<const config::Secrets> secrets)
      : sightings_(sightings), bus_(bus), token_(std::move(token)), secrets_(std::move(secrets)) {}

  // The snapshot decisions are made with; swapped on reload. remembered: the
  // machine store's install states and assignments, or null.
  void use(std::shared_ptr<const config::Config> config, const boot::Remembered* remembered);

  // nullopt for a path that is not an answer file's (then 404).
  std::optional<http::Answer> answer(const http::Call& call) const;

  // A machine's values as its answer files see them, its secrets left out:
  // what [server] done_hook's record carries (app/done_hook.hpp).
  config::Vars values_for(const core::Mac& mac) const;

 private:
  const boot::Sightings& sightings_;
  events::Bus& bus_;
  std::shared_ptr<const api::Token> token_;
  std::shared_ptr<const config::Secrets> secrets_;
  std::shared_ptr<const config::Config> config_;
  const boot::Remembered* remembered_ = nullptr;
};

// Every answer file's problems (boot::answer_problems) as config errors:
// `pxed check` prints them, serve refuses to start with them, a reload keeps
// the last good inventory.
std::vector<config::ConfigError> answer_errors(const config::Config& cfg, const config::Secrets* secrets);

}  // namespace pxed::app
