#include "boot/inventory.hpp"

#include <algorithm>
#include <ctime>
#include <expected>

#include "boot/answers.hpp"

namespace pxed::boot {
namespace {

// "inventory.toml:19": a line of `file`, which is pxed.toml for [boot] and the
// inventory's own file for its items (the same file when it is inline).
std::string where(const std::filesystem::path& file, std::uint32_t line) {
  return file.filename().string() + ":" + std::to_string(line);
}

std::string machine_rule(const config::Config& cfg, const config::Machine& m) {
  std::string who = !m.name.empty() ? m.name : m.mac ? m.mac->to_string() : m.uuid->to_string();
  return "machine " + who + " (" + where(cfg.inventory.source, m.line) + ")";
}

std::string group_rule(const config::Config& cfg, const config::Group& g) {
  return (g.name.empty() ? std::string("group") : "group " + g.name) + " (" +
         where(cfg.inventory.source, g.line) + ")";
}

const config::Machine* machine_of(const ClientFacts& facts, const config::Inventory& inventory) {
  for (const auto& m : inventory.machines) {
    if (m.mac && *m.mac == facts.mac) return &m;
  }
  if (!facts.uuid) return nullptr;
  for (const auto& m : inventory.machines) {
    if (m.uuid && *m.uuid == *facts.uuid) return &m;
  }
  return nullptr;
}

// Where the machine is: its own address once known, else the relay that
// forwarded its request, else the segment it reached us on.
core::Ipv4 location_of(const ClientFacts& facts) {
  if (!facts.address.is_zero()) return facts.address;
  if (!facts.relay.is_zero()) return facts.relay;
  return facts.segment;
}

template <class List, class Pred>
bool any_or_empty(const List& list, Pred pred) {
  return list.empty() || std::ranges::any_of(list, pred);
}

void merge(config::Vars& into, const config::Vars& from) {
  for (const auto& [k, v] : from) into[k] = v;
}

BootEntry entry_of(const config::Profile* p, std::string_view name, const config::Vars& values) {
  BootEntry e;
  e.name = std::string(name);
  if (p == nullptr) {  // the built-in "local"
    e.kind = BootEntry::Kind::local;
    e.label = "Boot from local disk";
    return e;
  }
  e.label = p->label.empty() ? p->name : expand(p->label, values);
  switch (p->kind) {
    case config::ProfileKind::linux:
      e.kind = BootEntry::Kind::linux;
      e.kernel = expand(p->kernel, values);
      for (const auto& i : p->initrd) e.initrd.push_back(expand(i, values));
      e.append = expand(p->append, values);
      // The installer's own way to find this machine's answer files (boot/answers.hpp).
      if (auto answers = answer_arguments(*p, values); !answers.empty()) {
        e.append += (e.append.empty() ? "" : " ") + answers;
      }
      break;
    case config::ProfileKind::chain:
      e.kind = BootEntry::Kind::chain;
      e.chain = expand(p->chain, values);
      break;
    case config::ProfileKind::local:
    case config::ProfileKind::menu:   // plan_of never makes an entry of a menu
    case config::ProfileKind::image:  // nor of an image: image_entry does
      e.kind = BootEntry::Kind::local;
      break;
  }
  return e;
}

const ImageProfile* image_of(std::string_view profile, const Remembered* remembered) {
  if (remembered == nullptr || !profile.starts_with(config::kImagePrefix)) return nullptr;
  auto it = remembered->images.find(profile);
  return it == remembered->images.end() ? nullptr : &it->second;
}

// The image profile p stands for ("iso:<p.image>"), when p is of kind image.
std::string image_name(const config::Profile& p) { return std::string(config::kImagePrefix) + p.image; }

// Why this image gives the machine no entry; empty when it boots.
std::string unbootable(const ImageProfile& image, const ClientFacts& facts) {
  if (!image.unbootable.empty()) return image.unbootable;
  const bool bios = firmware_of(facts.arch) == Firmware::bios;
  if (image.firmware == ImageProfile::Firmware::bios && !bios) return "it boots BIOS machines only";
  if (image.firmware == ImageProfile::Firmware::efi && bios) return "it boots UEFI machines only";
  return {};
}

// The entry named `name` that boots `image_profile` ("iso:<image>") for this
// machine: the recipe's kernel, initrds and arguments, then a declared
// profile's own label and append, everything expanded for the machine; or why
// there is none.
std::expected<BootEntry, std::string> image_entry(std::string_view name, std::string_view image_profile,
                                                  const config::Profile* declared, const Remembered* remembered,
                                                  const ClientFacts& facts, const config::Vars& values) {
  const auto* image = image_of(image_profile, remembered);
  if (image == nullptr) {
    return std::unexpected("no image " + std::string(image_profile.substr(config::kImagePrefix.size())) +
                           " is served");
  }
  if (auto why = unbootable(*image, facts); !why.empty()) return std::unexpected(why);
  BootEntry e;
  e.name = std::string(name);
  e.label = image->label.empty() ? image->name : image->label;
  if (image->method == ImageProfile::Method::sanboot) {
    e.kind = BootEntry::Kind::sanboot;
    e.chain = expand(image->kernel, values);
    if (!image->memdisk.empty()) e.memdisk = expand(image->memdisk, values);
    if (declared != nullptr && !declared->label.empty()) e.label = expand(declared->label, values);
    return e;
  }
  if (image->method == ImageProfile::Method::wimboot) {
    e.kind = BootEntry::Kind::wimboot;
    e.kernel = expand(image->kernel, values);
    const bool bios = firmware_of(facts.arch) == Firmware::bios;
    for (const auto& f : image->files) {
      if (f.firmware == (bios ? ImageProfile::Firmware::efi : ImageProfile::Firmware::bios)) continue;
      e.initrd.push_back(expand(f.url, values));
      e.initrd_names.push_back(f.name);
    }
    if (declared != nullptr && !declared->label.empty()) e.label = expand(declared->label, values);
    return e;
  }
  e.kernel = expand(image->kernel, values);
  for (const auto& i : image->initrd) e.initrd.push_back(expand(i, values));
  e.append = expand(image->append, values);
  if (declared != nullptr) {
    if (!declared->label.empty()) e.label = expand(declared->label, values);
    // The profile's own arguments, then where its installer finds this machine's answer files.
    auto own = expand(declared->append, values);
    if (auto answers = answer_arguments(*declared, values); !answers.empty()) {
      own += (own.empty() ? "" : " ") + answers;
    }
    if (!own.empty()) {
      // Before "---": what follows it is for the installed system (casper, d-i).
      const auto dashes = e.append.find(" ---");
      if (dashes != std::string::npos) {
        e.append.insert(dashes, " " + own);
      } else {
        e.append += (e.append.empty() ? "" : " ") + own;
      }
    }
  }
  return e;
}

}  // namespace

bool group_matches(const config::GroupMatch& m, const ClientFacts& facts) {
  const auto location = location_of(facts);
  const auto firmware = std::string(to_string(firmware_of(facts.arch)));
  return any_or_empty(m.mac, [&](const config::MacPattern& p) { return p.matches(facts.mac); }) &&
         any_or_empty(m.subnet, [&](const core::Ipv4Network& n) { return n.contains(location); }) &&
         any_or_empty(m.relay, [&](const core::Ipv4Network& n) { return !facts.relay.is_zero() && n.contains(facts.relay); }) &&
         any_or_empty(m.arch, [&](const std::string& a) { return a == firmware; }) &&
         any_or_empty(m.vendor_class, [&](const std::string& v) { return facts.vendor_class.starts_with(v); }) &&
         any_or_empty(m.uuid, [&](const core::Uuid& u) { return facts.uuid && *facts.uuid == u; });
}

namespace {

std::string assigned_rule(const Assignment& a) {
  return "profile " + a.profile + " assigned " + (a.by == "api" ? "through the API" : "with pxed machines assign") +
         " at " + utc_time(a.at);
}

}  // namespace

bool assignable(std::string_view profile, const config::Config& cfg) {
  if (profile.starts_with(config::kImagePrefix)) {
    return profile.size() > config::kImagePrefix.size() && profile != config::kAllImages;
  }
  return profile == config::kLocalProfile || cfg.inventory.find_profile(profile) != nullptr;
}

Match match(const ClientFacts& facts, const config::Config& cfg, const Remembered* remembered) {
  Match m;
  m.machine = machine_of(facts, cfg.inventory);
  for (const auto& g : cfg.inventory.groups) {
    if (group_matches(g.match, facts)) {
      m.group = &g;
      break;
    }
  }
  if (m.machine != nullptr && !m.machine->profile.empty()) {
    m.profile = m.machine->profile;
    m.rule = machine_rule(cfg, *m.machine);
  } else if (m.group != nullptr) {
    m.profile = m.group->profile;
    m.rule = group_rule(cfg, *m.group);
    if (m.machine != nullptr) m.rule = machine_rule(cfg, *m.machine) + ", profile of " + m.rule;
  } else if (!cfg.boot.default_profile.empty()) {
    m.profile = cfg.boot.default_profile;
    m.rule = "[boot] default (" + where(cfg.source, cfg.boot.default_line) + ")";
    if (m.machine != nullptr) m.rule = machine_rule(cfg, *m.machine) + ", profile of " + m.rule;
    m.by_default = m.machine == nullptr;
  }
  const auto assigned = remembered != nullptr ? remembered->assigned.find(facts.mac) : Assignments::const_iterator{};
  if (remembered != nullptr && assigned != remembered->assigned.end()) {
    const auto& a = assigned->second;
    // A profile a reload took away no longer counts: the inventory's choice
    // stands, and the rule says why.
    if (assignable(a.profile, cfg)) {
      const std::string instead = m.rule.empty() ? "" : " (instead of " + m.profile + " by " + m.rule + ")";
      m.assigned = &a;
      m.profile = a.profile;
      m.rule = assigned_rule(a) + instead;
      m.by_default = false;
    } else if (!m.rule.empty()) {
      m.rule += " (" + assigned_rule(a) + " is ignored: no such profile in the inventory)";
    }
  }
  if (m.machine != nullptr && m.machine->once && !m.profile.empty()) {
    m.once = true;
    m.once_profile = m.profile;
    const core::Mac key = m.machine->mac.value_or(facts.mac);
    const auto* installed = remembered != nullptr ? &remembered->installed : nullptr;
    auto done = installed != nullptr ? installed->find(key) : Installed::const_iterator{};
    if (installed != nullptr && done != installed->end()) {
      m.installed_at = done->second;
      m.profile = std::string(config::kLocalProfile);
      m.rule += ", once: installed " + utc_time(done->second) + " -> local (pxed machines reinstall " +
                key.to_string() + " to install again)";
    } else {
      m.rule += ", once: install pending";
    }
  }
  if (!m.profile.empty()) m.declared = cfg.inventory.find_profile(m.profile);
  m.image = image_of(m.declared != nullptr && m.declared->kind == config::ProfileKind::image ? image_name(*m.declared)
                                                                                            : m.profile,
                     remembered);
  return m;
}

bool boots_locally(const Match& m) {
  if (m.profile == config::kLocalProfile) return true;
  return m.declared != nullptr && m.declared->kind == config::ProfileKind::local;
}

BootPlan decide(const ClientFacts& facts, const config::Config& cfg, const Context& context,
                const Remembered* remembered) {
  if (cfg.boot.local_by_firmware && !facts.boot_item && config::has_inventory(cfg)) {
    const auto m = match(facts, cfg, remembered);
    if (boots_locally(m)) {
      BootPlan plan;
      plan.none = true;
      plan.next_server = context.server;
      plan.reason = "profile " + m.profile + " by " + m.rule +
                    ": no boot offer ([boot] local_boot = \"next-device\"), the firmware boots its next device";
      return plan;
    }
  }
  return resolve(facts, cfg.boot, context);
}

std::string utc_time(std::int64_t unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return out;
}

namespace {

// A kernel or initrd as the plan names it, as a tree path: "/x/vmlinuz",
// "http://<us>/x/vmlinuz" and "x/vmlinuz" are all "x/vmlinuz". Another host's URL is nobody's here.
std::string tree_path(std::string_view ref, const Context& context) {
  if (!context.http_base.empty() && ref.starts_with(context.http_base)) ref.remove_prefix(context.http_base.size());
  if (ref.find("://") != std::string_view::npos) return {};
  ref = ref.substr(0, ref.find('?'));
  if (ref.starts_with("::")) ref.remove_prefix(2);
  while (ref.starts_with('/')) ref.remove_prefix(1);
  return std::string(ref);
}

bool names(std::string_view ref, std::string_view rel, const Context& context) {
  auto path = tree_path(ref, context);
  return !path.empty() && path == rel;
}

}  // namespace

Fetched fetched(std::string_view rel, const ClientFacts& facts, const config::Config& cfg, const Context& context,
                const Remembered* remembered) {
  const auto m = match(facts, cfg, remembered);
  // Every entry the machine's plan may offer: its kernel is the kernel step.
  const auto plan = plan_of(m, facts, context, cfg, remembered);
  for (const auto& e : plan.entries) {
    // memdisk is a sanboot entry's kernel step for pxelinux, the image its initrd.
    if (e.kind == BootEntry::Kind::sanboot && !e.memdisk.empty()) {
      if (names(e.memdisk, rel, context)) return Fetched::kernel;
      if (names(e.chain, rel, context)) return Fetched::initrd;
    }
    if (e.kind != BootEntry::Kind::linux && e.kind != BootEntry::Kind::wimboot) continue;
    if (names(e.kernel, rel, context)) return Fetched::kernel;
    for (const auto& i : e.initrd) {
      if (names(i, rel, context)) return Fetched::initrd;
    }
  }
  auto first = resolve(facts, cfg.boot, context);
  if (!first.none && names(first.file, rel, context)) return Fetched::loader;
  auto slash = rel.rfind('/');
  std::string_view base = slash == std::string_view::npos ? rel : rel.substr(slash + 1);
  if (rel.find("pxelinux.cfg/") != std::string_view::npos || base.starts_with("grub.cfg") || base.ends_with(".ipxe")) {
    return Fetched::config;
  }
  return Fetched::other;
}

config::Vars values_of(const Match& m, const ClientFacts& facts, const Context& context) {
  config::Vars values;
  if (m.declared != nullptr) merge(values, m.declared->vars);
  if (m.group != nullptr) merge(values, m.group->vars);
  if (m.machine != nullptr) merge(values, m.machine->vars);
  // The built-ins last: check refuses vars that would shadow them.
  values["server"] = context.server_text();
  values["http"] = context.http_base;
  values["mac"] = facts.mac.to_string();
  values["ip"] = facts.address.is_zero() ? "" : facts.address.to_string();
  values["name"] = m.machine != nullptr ? m.machine->name : "";
  values["uuid"] = facts.uuid ? facts.uuid->to_string() : "";
  values["arch"] = std::string(to_string(firmware_of(facts.arch)));
  // What an installer's last step calls to end a `once` install (app serves it).
  values["done_url"] = context.http_base + "/pxed/v1/done";
  return values;
}

std::string expand(std::string_view text, const config::Vars& values) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    auto open = text.find("${", i);
    auto close = open == std::string_view::npos ? open : text.find('}', open + 2);
    if (close == std::string_view::npos) {
      out.append(text.substr(i));
      break;
    }
    out.append(text.substr(i, open - i));
    auto value = values.find(text.substr(open + 2, close - open - 2));
    if (value != values.end()) {
      out += value->second;
    } else {
      out.append(text.substr(open, close - open + 1));
    }
    i = close + 1;
  }
  return out;
}

RenderPlan plan_of(const Match& m, const ClientFacts& facts, const Context& context, const config::Config& cfg,
                   const Remembered* remembered) {
  RenderPlan plan;
  plan.bios = firmware_of(facts.arch) == Firmware::bios;
  plan.server = context.server.is_zero() ? "" : context.server.to_string();
  plan.http_base = context.http_base;
  const auto values = values_of(m, facts, context);
  const bool unknown = m.machine == nullptr && facts.mac == core::Mac{};
  const std::string who = m.machine != nullptr && !m.machine->name.empty() ? m.machine->name
                          : unknown                                      ? "a machine pxed cannot tell"
                                                                         : facts.mac.to_string();
  plan.title = unknown ? "pxed" : "pxed: " + who;
  plan.comments.push_back("for " + who + " (" + std::string(to_string(firmware_of(facts.arch))) + "): " + m.rule +
                          " -> profile " + m.profile);
  const bool declared_image = m.declared != nullptr && m.declared->kind == config::ProfileKind::image;
  if (m.profile.starts_with(config::kImagePrefix) || declared_image) {
    // The image's own entry; an image not served, or that cannot boot this
    // machine, boots its disk rather than leave it at a loader's error.
    auto entry = image_entry(m.profile, declared_image ? image_name(*m.declared) : m.profile, m.declared, remembered,
                             facts, values);
    if (entry) {
      plan.entries.push_back(std::move(*entry));
    } else {
      plan.comments.push_back(m.profile + " cannot boot here: " + entry.error() + "; booting the local disk");
      plan.entries.push_back(entry_of(nullptr, config::kLocalProfile, values));
    }
    return plan;
  }
  if (m.declared == nullptr || m.declared->kind != config::ProfileKind::menu) {
    plan.entries.push_back(entry_of(m.declared, m.profile, values));
    return plan;
  }
  const auto& menu = *m.declared;
  // An image's entry, or a comment saying why it is left out.
  auto add_image = [&](const std::string& name, std::string_view image, const config::Profile* declared) {
    auto entry = image_entry(name, image, declared, remembered, facts, values);
    if (!entry) {
      plan.comments.push_back(name + " left out: " + entry.error());
      return;
    }
    plan.entries.push_back(std::move(*entry));
    if (name == menu.menu_default) plan.default_entry = plan.entries.size() - 1;
  };
  for (const auto& item : menu.menu) {
    if (item == config::kAllImages) {
      if (remembered == nullptr) continue;
      for (const auto& [name, image] : remembered->images) add_image(name, name, nullptr);
      continue;
    }
    if (item.starts_with(config::kImagePrefix)) {
      add_image(item, item, nullptr);
      continue;
    }
    const auto* p = cfg.inventory.find_profile(item);
    // One level of menu: every loader's menu syntax is flat.
    if (p != nullptr && p->kind == config::ProfileKind::menu) continue;
    if (p != nullptr && p->kind == config::ProfileKind::image) {
      add_image(item, image_name(*p), p);
      continue;
    }
    plan.entries.push_back(entry_of(p, item, values));
    if (item == menu.menu_default) plan.default_entry = plan.entries.size() - 1;
  }
  if (plan.entries.empty()) {
    // Only images, none of them served: a menu with nothing to choose would hang.
    plan.comments.push_back("no entry of menu " + m.profile + " can boot here; booting the local disk");
    plan.entries.push_back(entry_of(nullptr, config::kLocalProfile, values));
  }
  plan.timeout = menu.timeout;
  if (!menu.label.empty()) plan.title = expand(menu.label, values);
  return plan;
}

}  // namespace pxed::boot
