#include "boot/answers.hpp"

#include <algorithm>
#include <set>
#include <tuple>

namespace pxed::boot {
namespace {

// "52-54-00-12-34-56": no ':' to quote on any loader's command line.
std::string mac_segment(const core::Mac& mac) { return mac.to_pxelinux().substr(3); }

std::string value_of(const config::Vars& values, std::string_view name) {
  auto it = values.find(name);
  return it == values.end() ? std::string() : it->second;
}

// How each installer is told where its answers are, as data: {url} is the
// first answer file's URL, {dir} this machine's answers directory.
struct InstallerArguments {
  config::Installer installer;
  std::string_view arguments;
};
constexpr InstallerArguments kArguments[] = {
    // d-i: preseeding from the kernel command line; priority=critical asks only what the file leaves out.
    {config::Installer::debian_installer, "auto=true priority=critical url={url}"},
    {config::Installer::anaconda, "inst.ks={url}"},
    // cloud-init's NoCloud over HTTP: s= is a prefix it appends user-data and meta-data to.
    {config::Installer::subiquity, "autoinstall ds=nocloud-net;s={dir}"},
    {config::Installer::autoyast, "autoyast={url}"},
    // Windows Setup reads autounattend.xml from its media or wimboot's files: nothing to say here.
    {config::Installer::windows, ""},
};

std::string replace_all(std::string text, std::string_view what, std::string_view with) {
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size())) {
    text.replace(at, what.size(), with);
  }
  return text;
}

std::string who_of(const Match& m, const core::Mac& mac) {
  return m.machine != nullptr && !m.machine->name.empty() ? m.machine->name + " (" + mac.to_string() + ")"
                                                           : mac.to_string();
}

// Whether a and b are equal, in a time that depends only on their lengths.
bool equal_in_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string where(const config::Config& cfg, std::uint32_t line) {
  return cfg.inventory.source.filename().string() + ":" + std::to_string(line);
}

}  // namespace

std::string answers_dir_url(std::string_view http_base, const core::Mac& mac) {
  return std::string(http_base) + std::string(kAnswersPath) + mac_segment(mac) + "/";
}

std::string answer_url(std::string_view http_base, const core::Mac& mac, std::string_view name) {
  return answers_dir_url(http_base, mac) + std::string(name);
}

std::string answer_arguments(const config::Profile& profile, const config::Vars& values) {
  if (profile.answers.empty()) return {};
  auto mac = core::Mac::parse(value_of(values, "mac"));
  if (!mac || *mac == core::Mac{}) return {};  // a machine pxed cannot tell has no answers of its own
  const auto http = value_of(values, "http");
  for (const auto& a : kArguments) {
    if (a.installer != profile.installer) continue;
    auto text = replace_all(std::string(a.arguments), "{url}", answer_url(http, *mac, profile.answers.front().name));
    return replace_all(std::move(text), "{dir}", answers_dir_url(http, *mac));
  }
  return {};
}

std::optional<AnswerRequest> parse_answer_path(std::string_view path) {
  if (!path.starts_with(kAnswersPath)) return std::nullopt;
  path.remove_prefix(kAnswersPath.size());
  auto slash = path.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto mac = core::Mac::parse(path.substr(0, slash));
  auto name = path.substr(slash + 1);
  if (!mac || name.empty() || name.find('/') != std::string_view::npos) return std::nullopt;
  return AnswerRequest{*mac, std::string(name)};
}

const config::Profile* answer_profile(const Match& m, const config::Config& cfg) {
  const auto* p = cfg.inventory.find_profile(m.installed_at ? std::string_view(m.once_profile) : m.profile);
  if (p == nullptr) return nullptr;
  if (p->kind == config::ProfileKind::menu) {
    for (const auto& item : p->menu) {
      const auto* entry = cfg.inventory.find_profile(item);
      if (entry != nullptr && !entry->answers.empty()) return entry;
    }
    return nullptr;
  }
  return p->answers.empty() ? nullptr : p;
}

const config::AnswerTemplate* find_answer(const config::Profile& profile, std::string_view name) {
  auto it = std::ranges::find(profile.answers, name, &config::AnswerTemplate::name);
  return it == profile.answers.end() ? nullptr : &*it;
}

config::Vars secrets_of(const Match& m, const ClientFacts& facts, const config::Secrets& secrets) {
  config::Vars out = secrets.all;
  const auto add = [&](const std::map<std::string, config::Vars, std::less<>>& from, std::string_view key) {
    if (key.empty()) return;
    if (auto it = from.find(key); it != from.end()) {
      for (const auto& [k, v] : it->second) out[k] = v;
    }
  };
  if (m.declared != nullptr) add(secrets.profile, m.declared->name);
  if (m.group != nullptr) add(secrets.group, m.group->name);
  if (m.machine != nullptr) add(secrets.machine, m.machine->name);
  if (facts.mac != core::Mac{}) add(secrets.machine, facts.mac.to_string());
  return out;
}

config::Vars answer_values(const Match& m, const ClientFacts& facts, const Context& context,
                           const config::Secrets* secrets, const Remembered* remembered) {
  auto values = values_of(m, facts, context);
  if (secrets != nullptr) {
    for (auto& [k, v] : secrets_of(m, facts, *secrets)) values[k] = std::move(v);
  }
  values["profile"] = m.declared != nullptr ? m.declared->name : m.profile;
  values["group"] = m.group != nullptr ? m.group->name : "";
  values["answers_url"] = answers_dir_url(context.http_base, facts.mac);
  values["installer"] = m.declared != nullptr ? std::string(config::to_string(m.declared->installer)) : "";
  const Hardware* hardware = nullptr;
  if (remembered != nullptr) {
    if (auto it = remembered->hardware.find(facts.mac); it != remembered->hardware.end()) hardware = &it->second;
  }
  values["serial"] = hardware != nullptr ? hardware->serial : "";
  values["manufacturer"] = hardware != nullptr ? hardware->manufacturer : "";
  values["product"] = hardware != nullptr ? hardware->product : "";
  return values;
}

std::expected<std::string, std::vector<TemplateError>> render_answer(const config::AnswerTemplate& answer,
                                                                     const config::Vars& values) {
  return render_template(answer.path.string(), answer.text, values);
}

AnswerReply answer_reply(const AnswerRequest& request, const AnswerAsker& asker, const ClientFacts& facts,
                         const config::Config& cfg, const Context& context, const Remembered* remembered,
                         const config::Secrets* secrets) {
  AnswerReply r;
  const std::string file = mac_segment(request.mac) + "/" + request.name;
  const bool own = asker.mac && *asker.mac == request.mac;
  auto m = match(facts, cfg, remembered);
  bool machine_token = false;
  if (!own && !asker.bearer && !asker.token.empty() && secrets != nullptr) {
    auto with_profile = m;
    if (const auto* p = answer_profile(m, cfg)) with_profile.declared = p;
    const auto own_secrets = secrets_of(with_profile, facts, *secrets);
    auto token = own_secrets.find(kAnswersToken);
    machine_token = token != own_secrets.end() && equal_in_constant_time(asker.token, token->second);
  }
  if (!own && !asker.bearer && !machine_token) {
    // 404, not 403: a stranger learns nothing, not even that the machine has answers.
    r.body = "not found\n";
    r.reason = "answer-refused";
    r.refused = true;
    r.why = "answers of " + request.mac.to_string() + " asked by " +
            (asker.mac ? "another machine, " + asker.mac->to_string() + " (" + asker.how + ")"
                       : std::string("an address pxed cannot tie to a machine")) +
            (asker.token.empty() ? ", without a token" : ", with a token that is not its own");
    return r;
  }
  const auto* profile = answer_profile(m, cfg);
  const auto* answer = profile != nullptr ? find_answer(*profile, request.name) : nullptr;
  const std::string by = own             ? "the machine itself (" + asker.how + ")"
                         : machine_token ? std::string("a request with the machine's answers_token")
                                         : std::string("a request with the API's token");
  if (answer == nullptr) {
    r.body = "not found\n";
    r.reason = "answer-not-found";
    r.why = file + " for " + who_of(m, request.mac) + ", asked by " + by + ": " +
            (profile == nullptr ? "profile " + (m.profile.empty() ? std::string("(none)") : m.profile) +
                                      " has no answer files"
                                : "profile " + profile->name + " has no answer file named " + request.name);
    return r;
  }
  m.declared = profile;  // a menu's entry, or what a done machine installed with: its vars count
  auto values = answer_values(m, facts, context, secrets, remembered);
  auto rendered = render_answer(*answer, values);
  if (!rendered) {
    r.status = 500;
    r.body = "pxed could not render this answer file; its log says why\n";
    r.reason = "answer-failed";
    r.why = file + " for " + who_of(m, request.mac) + ": " + rendered.error().front().to_string();
    return r;
  }
  r.status = 200;
  r.body = std::move(*rendered);
  r.content_type = escape_for(request.name) == Escape::xml ? "application/xml" : "text/plain";
  r.reason = "answer";
  r.why = file + " for " + who_of(m, request.mac) + ", asked by " + by + ": profile " + profile->name + " (" +
          where(cfg, profile->line) + ") by " + m.rule;
  return r;
}

std::vector<TemplateError> answer_problems(const config::Config& cfg, const config::Secrets* secrets) {
  std::vector<TemplateError> out;
  std::set<std::tuple<std::string, std::uint32_t, std::string>> seen;
  const auto check = [&](const config::Profile& p, const Match& m, const ClientFacts& facts, bool syntax_only) {
    const Context context{core::Ipv4{}, "http://pxed.invalid"};
    const auto values = answer_values(m, facts, context, secrets);
    for (const auto& a : p.answers) {
      auto rendered = render_answer(a, values);
      if (rendered) continue;
      for (auto& e : rendered.error()) {
        if (syntax_only && e.unknown_variable) continue;
        if (seen.emplace(e.file, e.line, e.message).second) out.push_back(std::move(e));
      }
    }
  };
  // Every [[machine]] as it boots: its profile (or its group's, or the default) with its vars.
  for (const auto& machine : cfg.inventory.machines) {
    ClientFacts facts;
    facts.mac = machine.mac.value_or(core::Mac{});
    facts.uuid = machine.uuid;
    auto m = match(facts, cfg);
    if (const auto* p = answer_profile(m, cfg)) {
      m.declared = p;
      check(*p, m, facts, false);
    }
  }
  // Machines the inventory does not list: a group's, or the default's, with those vars only.
  for (const auto& group : cfg.inventory.groups) {
    Match m;
    m.group = &group;
    m.profile = group.profile;
    m.declared = cfg.inventory.find_profile(group.profile);
    if (const auto* p = answer_profile(m, cfg)) {
      m.declared = p;
      check(*p, m, ClientFacts{}, false);
    }
  }
  if (!cfg.boot.default_profile.empty()) {
    Match m;
    m.profile = cfg.boot.default_profile;
    m.declared = cfg.inventory.find_profile(m.profile);
    if (const auto* p = answer_profile(m, cfg)) {
      m.declared = p;
      check(*p, m, ClientFacts{}, false);
    }
  }
  // Every template's own syntax, used by anyone yet or not (`pxed machines assign` may name any profile).
  for (const auto& p : cfg.inventory.profiles) {
    if (p.answers.empty()) continue;
    Match m;
    m.profile = p.name;
    m.declared = &p;
    check(p, m, ClientFacts{}, true);
  }
  return out;
}

}  // namespace pxed::boot
