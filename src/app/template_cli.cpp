#include "app/template_cli.hpp"

#include <fmt/format.h>
#include <ostream>

#include "app/remembered.hpp"
#include "boot/answers.hpp"
#include "config/secrets.hpp"
#include "store/machine_store.hpp"

namespace pxed::app {
namespace {

// Where machines reach pxed when --server does not say (as lookup): a listen
// address that is not the wildcard, else a placeholder.
std::string default_server(const config::Config& cfg) {
  for (const auto* listen : {&cfg.tftp.listen, &cfg.http.listen}) {
    if (listen->address != "0.0.0.0") return listen->address;
  }
  return "10.0.0.1";
}

std::string source_of(std::string_view name, const boot::Match& m, const config::Vars& secret) {
  if (secret.contains(name)) return "secret";
  if (m.machine != nullptr && m.machine->vars.contains(name)) return "machine";
  if (m.group != nullptr && m.group->vars.contains(name)) return "group";
  if (m.declared != nullptr && m.declared->vars.contains(name)) return "profile";
  return "built-in";
}

}  // namespace

int render_template_cli(const config::Config& cfg, const TemplateArgs& args, std::ostream& out, std::ostream& err) {
  auto mac = core::Mac::parse(args.mac);
  auto server = core::Ipv4::parse(args.server.empty() ? default_server(cfg) : args.server);
  auto ip = args.ip.empty() ? std::optional<core::Ipv4>(core::Ipv4{}) : core::Ipv4::parse(args.ip);
  auto uuid = args.uuid.empty() ? std::optional<core::Uuid>{} : core::Uuid::parse(args.uuid);
  if (!mac || !server || !ip || (!args.uuid.empty() && !uuid)) {
    err << (!mac ? "--mac: expected 52:54:00:12:34:56\n" : "") << (!server ? "--server: expected an IPv4 address\n" : "")
        << (!ip ? "--ip: expected an IPv4 address\n" : "")
        << (!args.uuid.empty() && !uuid ? "--uuid: expected 8-4-4-4-12 hex digits\n" : "");
    return kTemplateProblem;
  }
  boot::ClientFacts facts;
  facts.mac = *mac;
  facts.uuid = uuid;
  facts.address = *ip;
  facts.segment = *server;
  const auto context = boot::context_for(cfg.http, *server);
  // Install states and assignments as the serving pxed recorded them (when this user may read its store).
  boot::Remembered remembered;
  if (auto store = store::MachineStore::open(cfg.server.state_dir, store::Access::reader)) {
    if (auto read = remembered_of(*store)) remembered = std::move(*read);
  }
  auto m = boot::match(facts, cfg, &remembered);
  const auto* profile = boot::answer_profile(m, cfg);
  out << fmt::format("machine      {} -> profile {} by {}\n",
                     m.machine != nullptr && !m.machine->name.empty() ? m.machine->name + " (" + mac->to_string() + ")"
                                                                       : mac->to_string(),
                     m.profile.empty() ? "(none)" : m.profile, m.rule.empty() ? "no rule" : m.rule);
  if (profile == nullptr) {
    err << fmt::format("{} has no answer files: its profile names none (answer = \"templates/...\" in a [[profile]])\n",
                       mac->to_string());
    return kTemplateNone;
  }
  std::vector<const config::AnswerTemplate*> files;
  for (const auto& a : profile->answers) {
    if (args.name.empty() || a.name == args.name) files.push_back(&a);
  }
  if (files.empty()) {
    std::string names;
    for (const auto& a : profile->answers) names += (names.empty() ? "" : ", ") + a.name;
    err << fmt::format("profile {} has no answer file named {}; it has {}\n", profile->name, args.name, names);
    return kTemplateNone;
  }
  m.declared = profile;
  // Secrets as serve reads them, when this user may read the file; hidden unless asked.
  config::Secrets secrets;
  if (auto read = config::read_secrets(cfg); read) {
    secrets = std::move(*read);
  } else {
    for (const auto& e : read.error()) err << e.to_string() << " (rendering without secrets)\n";
  }
  const auto secret = boot::secrets_of(m, facts, secrets);
  auto values = boot::answer_values(m, facts, context, &secrets, &remembered);
  if (!args.show_secrets) {
    for (const auto& [name, value] : secret) values[name] = std::string(kHidden);
  }
  const auto arguments = boot::answer_arguments(*profile, values);
  out << fmt::format("installer    {}{}\n", config::to_string(profile->installer).empty() ? "(none)" : config::to_string(profile->installer),
                     arguments.empty() ? "" : ", told on its command line: " + arguments);
  int status = kTemplateRendered;
  for (const auto* a : files) {
    out << fmt::format("\nfile         {} (profile {}, {}:{})\nserved at    {}\n", a->path.string(), profile->name,
                       cfg.inventory.source.filename().string(), a->line,
                       boot::answer_url(context.http_base, *mac, a->name));
    const auto names = boot::names_used(a->text);
    if (!names.empty()) out << "variables\n";
    for (const auto& name : names) {
      auto it = values.find(name);
      out << (it == values.end() ? fmt::format("  {:<22} (unknown)\n", name)
                                 : fmt::format("  {:<22} = {:<30} ({})\n", name, it->second, source_of(name, m, secret)));
    }
    auto rendered = boot::render_answer(*a, values);
    if (!rendered) {
      for (const auto& e : rendered.error()) err << e.to_string() << '\n';
      status = kTemplateProblem;
      continue;
    }
    out << "---\n" << *rendered;
    if (!rendered->empty() && !rendered->ends_with('\n')) out << '\n';
    out << "---\n";
  }
  return status;
}

}  // namespace pxed::app
