#include "app/answer_files.hpp"

#include <algorithm>
#include <cctype>

#include "boot/answers.hpp"
#include "boot/config_files.hpp"
#include "events/bus.hpp"

namespace pxed::app {
namespace {

constexpr std::string_view kBearer = "bearer ";

}  // namespace

void AnswerFiles::use(std::shared_ptr<const config::Config> config, const boot::Remembered* remembered) {
  config_ = std::move(config);
  remembered_ = remembered;
}

std::optional<http::Answer> AnswerFiles::answer(const http::Call& call) const {
  auto request = boot::parse_answer_path(call.path);
  if (!request || !config_) return std::nullopt;
  boot::AnswerAsker asker;
  if (const auto* seen = sightings_.by_address(call.who.address)) {
    asker.mac = seen->facts.mac;
    asker.how = seen->how;
  }
  asker.bearer = token_ != nullptr && !call.authorization.empty() && token_->admits(call.authorization);
  // A machine's own token, for an installer that cannot send a header: ?token=.
  if (auto query = boot::query_value(call.query, "token"); !query.empty()) {
    asker.token = std::move(query);
  } else if (call.authorization.size() > kBearer.size() &&
             std::ranges::equal(call.authorization.substr(0, kBearer.size()), kBearer, [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == b;  // RFC 9110 §11.1: the scheme in any case
             })) {
    asker.token = std::string(call.authorization.substr(kBearer.size()));
  }
  // What DHCP showed of the machine the path names (its address, arch, UUID), else its MAC alone.
  boot::ClientFacts facts;
  if (const auto* named = sightings_.by_mac(request->mac)) {
    facts = named->facts;
  } else {
    facts.mac = request->mac;
  }
  if (asker.mac == request->mac && facts.address.is_zero()) facts.address = call.who.address;
  const auto context = boot::context_for(config_->http, call.who.local, {call.who.local_host, call.who.local_port});
  auto reply = boot::answer_reply(*request, asker, facts, *config_, context, remembered_, secrets_.get());
  const auto kind = reply.status == 200   ? events::Kind::answer_served
                    : reply.status == 500 ? events::Kind::answer_failed
                                          : events::Kind::answer_refused;
  events::Event e{kind};
  e.about(request->mac).from(call.who.address).add("ip", call.who.address.to_string()).add("file", request->name);
  e.add("status", reply.status);
  if (asker.bearer) e.add("by", "token");
  e.add("why", reply.why);
  bus_.emit(std::move(e));
  return http::Answer{.status = reply.status, .body = std::move(reply.body),
                      .content_type = std::move(reply.content_type), .reason = std::move(reply.reason),
                      .feed = nullptr};
}

config::Vars AnswerFiles::values_for(const core::Mac& mac) const {
  if (!config_) return {};
  boot::ClientFacts facts;
  if (const auto* seen = sightings_.by_mac(mac)) {
    facts = seen->facts;
  } else {
    facts.mac = mac;
  }
  auto m = boot::match(facts, *config_, remembered_);
  if (const auto* p = boot::answer_profile(m, *config_)) m.declared = p;  // what it installed with
  return boot::answer_values(m, facts, boot::context_for(config_->http, facts.segment), nullptr, remembered_);
}

std::vector<config::ConfigError> answer_errors(const config::Config& cfg, const config::Secrets* secrets) {
  std::vector<config::ConfigError> out;
  for (auto& e : boot::answer_problems(cfg, secrets)) out.push_back({std::move(e.file), e.line, "", std::move(e.message)});
  return out;
}

}  // namespace pxed::app
