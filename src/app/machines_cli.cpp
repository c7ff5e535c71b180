#include "app/machines_cli.hpp"

#include <signal.h>

#include <ctime>
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>

#include "app/pid_file.hpp"
#include "app/remembered.hpp"
#include "boot/inventory.hpp"
#include "core/time.hpp"
#include "store/machine_store.hpp"

namespace pxed::app {
namespace {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kBadInput = 2;

std::string when(std::int64_t t) { return t == 0 ? "-" : boot::utc_time(t); }

// The facts a record holds, as the inventory matches them.
boot::ClientFacts facts_of(const store::MachineRecord& r) {
  boot::ClientFacts f;
  f.mac = r.mac;
  f.uuid = core::Uuid::parse(r.uuid);
  f.vendor_class = r.vendor_class;
  f.address = core::Ipv4::parse(r.ip).value_or(core::Ipv4{});
  f.arch = boot::arch_of(r.arch);
  return f;
}

struct Row {
  store::MachineRecord record;
  bool seen = true;
  bool known = false;  // a [[machine]] or [[group]] names it
  std::string name, profile, rule, install;
  const boot::Assignment* assigned = nullptr;
};

// The running server keeps install states and assignments in memory: it reads them again on SIGHUP.
void tell_running_pxed(const config::Config& cfg, std::ostream& out, std::ostream& err) {
  if (auto pid = PidFile::running(cfg.server.state_dir / "pxed.pid")) {
    if (::kill(*pid, SIGHUP) == 0) {
      out << fmt::format("told the running pxed (pid {}) to read it\n", *pid);
    } else {
      err << fmt::format("could not signal pxed (pid {}): send it SIGHUP\n", *pid);
    }
  }
}

}  // namespace

int list_machines(const config::Config& cfg, bool json, std::ostream& out, std::ostream& err) {
  auto opened = store::MachineStore::open(cfg.server.state_dir, store::Access::reader);
  if (!opened) {
    err << opened.error() << '\n';
    return kFailed;
  }
  auto records = opened->machines();
  auto remembered = remembered_of(*opened);
  if (!records || !remembered) {
    err << (!records ? records.error() : remembered.error()) << '\n';
    return kFailed;
  }
  std::vector<Row> rows;
  std::map<core::Mac, bool> listed;
  auto describe = [&](Row row) {
    auto m = boot::match(facts_of(row.record), cfg, &*remembered);
    if (m.machine != nullptr) row.name = m.machine->name;
    row.known = m.machine != nullptr || m.group != nullptr;
    row.profile = m.profile.empty() ? "-" : m.profile;
    row.rule = m.rule.empty() ? "not in the inventory" : m.rule;
    if (m.once) row.install = m.installed_at ? "done " + when(*m.installed_at) : "pending";
    row.assigned = m.assigned;
    listed[row.record.mac] = true;
    rows.push_back(std::move(row));
  };
  for (auto& r : *records) describe(Row{std::move(r), true, false, {}, {}, {}, {}});
  // Known to the inventory but never seen: listed last, so nothing is hidden.
  for (const auto& m : cfg.inventory.machines) {
    if (!m.mac || listed.contains(*m.mac)) continue;
    store::MachineRecord r;
    r.mac = *m.mac;
    if (m.uuid) r.uuid = m.uuid->to_string();
    describe(Row{std::move(r), false, false, {}, {}, {}, {}});
  }
  // Assigned a profile before pxed saw them: listed too.
  for (const auto& [mac, a] : remembered->assigned) {
    if (listed.contains(mac)) continue;
    store::MachineRecord r;
    r.mac = mac;
    describe(Row{std::move(r), false, false, {}, {}, {}, {}});
  }
  if (json) {
    auto all = nlohmann::json::array();
    for (const auto& row : rows) {
      const auto& r = row.record;
      nlohmann::json j{{"mac", r.mac.to_string()}, {"name", row.name},         {"known", row.known},
                       {"seen", row.seen},         {"profile", row.profile},   {"rule", row.rule},
                       {"uuid", r.uuid},           {"arch", r.arch},           {"vendor_class", r.vendor_class},
                       {"ip", r.ip},               {"first_seen", r.first_seen}, {"last_seen", r.last_seen},
                       {"loader", r.loader},       {"config", r.config},       {"kernel", r.kernel},
                       {"initrd", r.initrd}};
      j["stage"] = row.seen ? nlohmann::json(std::string(store::to_string(r.stage))) : nlohmann::json(nullptr);
      j["stage_at"] = r.stage_at;
      j["serial"] = r.serial;
      j["manufacturer"] = r.manufacturer;
      j["product"] = r.product;
      j["install"] = row.install.empty() ? nlohmann::json(nullptr) : nlohmann::json(row.install);
      j["assigned"] = nullptr;
      if (row.assigned != nullptr) {
        j["assigned"] = {{"profile", row.assigned->profile}, {"at", row.assigned->at}, {"by", row.assigned->by}};
      }
      all.push_back(std::move(j));
    }
    out << all.dump(2) << '\n';
    return kOk;
  }
  out << fmt::format("{:17}  {:12}  {:15}  {:10}  {:9}  {:23}  {:14}  {}\n", "MAC", "NAME", "IP", "ARCH", "STAGE",
                     "LAST SEEN", "PROFILE", "INSTALL");
  for (const auto& row : rows) {
    const auto& r = row.record;
    out << fmt::format("{:17}  {:12}  {:15}  {:10}  {:9}  {:23}  {:14}  {}\n", r.mac.to_string(),
                       row.name.empty() ? "-" : row.name, r.ip.empty() ? "-" : r.ip, r.arch.empty() ? "-" : r.arch,
                       row.seen ? store::to_string(r.stage) : "-", row.seen ? when(r.last_seen) : "never seen",
                       row.profile, row.install.empty() ? "-" : row.install);
  }
  return kOk;
}

int reinstall_machine(const config::Config& cfg, const std::string& text, std::ostream& out, std::ostream& err) {
  auto mac = core::Mac::parse(text);
  if (!mac) {
    err << "MAC: expected 52:54:00:12:34:56, got " << text << '\n';
    return kBadInput;
  }
  const auto* machine = [&]() -> const config::Machine* {
    for (const auto& m : cfg.inventory.machines) {
      if (m.mac == mac) return &m;
    }
    return nullptr;
  }();
  auto opened = store::MachineStore::open(cfg.server.state_dir, store::Access::editor);
  if (!opened) {
    err << opened.error() << '\n';
    return kFailed;
  }
  if (auto cleared = opened->clear_install(*mac); !cleared) {
    err << cleared.error() << '\n';
    return kFailed;
  }
  out << fmt::format("{}{}: install pending; it boots {} next time\n", mac->to_string(),
                     machine && !machine->name.empty() ? " (" + machine->name + ")" : "",
                     machine && machine->once ? "profile " + (machine->profile.empty() ? std::string("of its rule") : machine->profile)
                                              : "as before (it is not a once machine in this config)");
  tell_running_pxed(cfg, out, err);
  return kOk;
}

int assign_profile(const config::Config& cfg, const std::string& text, const std::string& profile,
                   std::ostream& out, std::ostream& err) {
  auto mac = core::Mac::parse(text);
  if (!mac) {
    err << "MAC: expected 52:54:00:12:34:56, got " << text << '\n';
    return kBadInput;
  }
  if (!boot::assignable(profile, cfg)) {
    err << fmt::format("PROFILE: no profile {} in {}; known: {}\n", profile, cfg.inventory.source.string(),
                       cfg.inventory.profile_names());
    return kBadInput;
  }
  auto opened = store::MachineStore::open(cfg.server.state_dir, store::Access::editor);
  if (!opened) {
    err << opened.error() << '\n';
    return kFailed;
  }
  const auto now = core::unix_now();
  if (auto written = opened->assign(*mac, store::Assignment{profile, now, "cli"}); !written) {
    err << written.error() << '\n';
    return kFailed;
  }
  out << fmt::format("{}: profile {} assigned at {}; it boots that instead of the inventory's choice until "
                     "`pxed machines unassign {}`\n",
                     mac->to_string(), profile, boot::utc_time(now), mac->to_string());
  tell_running_pxed(cfg, out, err);
  return kOk;
}

int unassign_profile(const config::Config& cfg, const std::string& text, std::ostream& out, std::ostream& err) {
  auto mac = core::Mac::parse(text);
  if (!mac) {
    err << "MAC: expected 52:54:00:12:34:56, got " << text << '\n';
    return kBadInput;
  }
  auto opened = store::MachineStore::open(cfg.server.state_dir, store::Access::editor);
  if (!opened) {
    err << opened.error() << '\n';
    return kFailed;
  }
  auto removed = opened->unassign(*mac);
  if (!removed) {
    err << removed.error() << '\n';
    return kFailed;
  }
  out << fmt::format("{}: {}; it boots what the inventory gives it\n", mac->to_string(),
                     *removed ? "assignment removed" : "had no assigned profile");
  if (*removed) tell_running_pxed(cfg, out, err);
  return kOk;
}

}  // namespace pxed::app
