#include "app/machines.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <map>
#include <vector>

#include "app/remembered.hpp"
#include "boot/config_files.hpp"
#include "core/time.hpp"
#include "events/bus.hpp"
#include "store/machine_store.hpp"

namespace pxed::app {
namespace asio = boost::asio;

namespace {


std::optional<store::Stage> stage_of(boot::Fetched what) {
  switch (what) {
    case boot::Fetched::loader: return store::Stage::loader;
    case boot::Fetched::config: return store::Stage::config;
    case boot::Fetched::kernel: return store::Stage::kernel;
    case boot::Fetched::initrd: return store::Stage::initrd;
    case boot::Fetched::other: break;
  }
  return std::nullopt;
}

}  // namespace

struct Machines::Impl {
  Impl(asio::io_context& io_, std::filesystem::path dir, const boot::Sightings& s, events::Bus& bus_)
      : io(io_), state_dir(std::move(dir)), sightings(s), bus(bus_) {}
  ~Impl() { writer.join(); }  // a write in flight finishes before the store closes

  asio::io_context& io;
  std::filesystem::path state_dir;
  const boot::Sightings& sightings;
  events::Bus& bus;
  std::shared_ptr<const config::Config> config;
  std::optional<store::MachineStore> store;  // touched only on the writer thread once open
  boot::Remembered remembered;               // the loop's
  std::map<core::Mac, store::Stage> stages;  // the step each machine reached in this run
  std::vector<store::Observation> queue;
  bool flushing = false;
  asio::thread_pool writer{1};

  // The timeline's marks: the API and dashboard follow machines by these.
  void reached(const core::Mac& mac, store::Stage stage, std::string_view path) {
    // Once per stage: a firmware's DISCOVER, REQUEST and 4011 request are one
    // "dhcp", pxelinux's dozen config names one "config".
    auto [it, fresh] = stages.try_emplace(mac, stage);
    if (!fresh && it->second == stage) return;
    it->second = stage;
    events::Event e{events::Kind::machine_stage};
    e.about(mac).add("stage", store::to_string(stage));
    if (!path.empty()) e.add("path", path);
    bus.emit(std::move(e));
  }

  void store_failed(const std::string& error) {
    bus.emit(events::Event{events::Kind::machines_store_failed}.add("error", error));
  }

  void observe(store::Observation o) {
    if (!store) return;
    queue.push_back(std::move(o));
    flush();
  }

  // One batch in flight at a time; what arrives meanwhile goes in the next.
  void flush() {
    if (flushing || queue.empty()) return;
    flushing = true;
    auto batch = std::make_shared<std::vector<store::Observation>>(std::move(queue));
    queue.clear();
    asio::post(writer, [this, batch] {
      auto written = store->observe(*batch);
      asio::post(io, [this, written = std::move(written)] {
        flushing = false;
        if (!written) store_failed(written.error());
        flush();
      });
    });
  }

  void step(const core::Mac& mac, store::Stage stage, std::string path) {
    reached(mac, stage, path);
    store::Observation o;
    o.mac = mac;
    o.at = core::unix_now();
    o.stage = stage;
    o.path = std::move(path);
    observe(std::move(o));
  }
};

Machines::Machines(asio::io_context& io, std::filesystem::path state_dir, const boot::Sightings& sightings,
                   events::Bus& bus)
    : impl_(std::make_unique<Impl>(io, std::move(state_dir), sightings, bus)) {}

Machines::~Machines() = default;

std::expected<void, std::string> Machines::open() {
  std::error_code ec;
  std::filesystem::create_directories(impl_->state_dir, ec);
  if (ec) return std::unexpected("machines: cannot create state_dir " + impl_->state_dir.string() + ": " + ec.message());
  auto opened = store::MachineStore::open(impl_->state_dir);
  if (!opened) return std::unexpected("machines: " + opened.error());
  auto remembered = remembered_of(*opened);
  if (!remembered) return std::unexpected("machines: " + remembered.error());
  remembered->images = std::move(impl_->remembered.images);
  impl_->remembered = std::move(*remembered);
  impl_->store.emplace(std::move(*opened));
  return {};
}

const boot::Remembered& Machines::remembered() const { return impl_->remembered; }

void Machines::use(std::shared_ptr<const config::Config> config) { impl_->config = std::move(config); }

void Machines::set_images(boot::Images images) { impl_->remembered.images = std::move(images); }

void Machines::reload_remembered() {
  if (!impl_->store) return;
  asio::post(impl_->writer, [impl = impl_.get()] {
    auto remembered = remembered_of(*impl->store);
    asio::post(impl->io, [impl, remembered = std::move(remembered)]() mutable {
      if (!remembered) return impl->store_failed(remembered.error());
      remembered->images = std::move(impl->remembered.images);  // the catalogue's, not the store's
      impl->remembered = std::move(*remembered);
    });
  });
}

void Machines::seen(const boot::Sighting& s) {
  const auto& f = s.facts;
  store::Observation o{.mac = f.mac, .at = s.at, .uuid = f.uuid ? f.uuid->to_string() : "",
                       .arch = f.arch ? std::string(boot::to_string(boot::firmware_of(f.arch))) : "",
                       .vendor_class = f.vendor_class, .ip = f.address.is_zero() ? "" : f.address.to_string(),
                       .stage = std::nullopt, .path = {}, .serial = {}, .manufacturer = {}, .product = {}};
  // A firmware's PXE request starts a boot; an installer's or a loader's own DHCP does not.
  if ((f.pxe_client || f.http_client) && f.arch) {
    o.stage = store::Stage::dhcp;
    impl_->reached(f.mac, store::Stage::dhcp, {});
  }
  impl_->observe(std::move(o));
}

void Machines::opened(std::string_view rel, const vfs::Requester& who, const vfs::File&) {
  const auto* seen = impl_->sightings.by_address(who.address);
  record_hardware(seen, who.query);
  if (seen == nullptr || !impl_->config) return;
  const auto& cfg = *impl_->config;
  auto what = boot::fetched(rel, seen->facts, cfg, boot::context_for(cfg.http, who.local, {who.local_host, who.local_port}),
                           &impl_->remembered);
  if (auto stage = stage_of(what)) return impl_->step(seen->facts.mac, *stage, std::string(rel));
  // Past its initrd, what a machine fetches is its installer at work: one record, not one per package.
  auto it = impl_->stages.find(seen->facts.mac);
  if (it != impl_->stages.end() && it->second == store::Stage::initrd) impl_->step(seen->facts.mac, store::Stage::installer, {});
}

// iPXE fills in SMBIOS's serial, manufacturer and product in its script's URL
// ([boot] ipxe's default asks for them). They are recorded for the machine the
// request comes from; a query naming another machine's MAC records nothing.
void Machines::record_hardware(const boot::Sighting* seen, std::string_view query) {
  store::Observation o;
  o.serial = boot::query_value(query, "serial");
  o.manufacturer = boot::query_value(query, "manufacturer");
  o.product = boot::query_value(query, "product");
  if (o.serial.empty() && o.manufacturer.empty() && o.product.empty()) return;
  auto named = core::Mac::parse(boot::query_value(query, "mac"));
  if (seen != nullptr && named && *named != seen->facts.mac) return;
  if (seen == nullptr && !named) return;
  o.mac = seen != nullptr ? seen->facts.mac : *named;
  o.at = core::unix_now();
  // Answer files see them at once, before the store has them.
  auto& hardware = impl_->remembered.hardware[o.mac];
  if (!o.serial.empty()) hardware.serial = o.serial;
  if (!o.manufacturer.empty()) hardware.manufacturer = o.manufacturer;
  if (!o.product.empty()) hardware.product = o.product;
  impl_->observe(std::move(o));
}

std::optional<http::Answer> Machines::action(const http::Call& call) {
  if (call.path != kDonePath) return std::nullopt;
  const auto& who = call.who;
  const auto answer = [](unsigned status, std::string body, std::string reason) {
    return http::Answer{.status = status, .body = std::move(body), .content_type = "text/plain",
                        .reason = std::move(reason), .feed = nullptr};
  };
  const auto* seen = impl_->sightings.by_address(who.address);
  if (seen == nullptr) {
    return answer(403,
                              "pxed cannot tell which machine has address " + who.address.to_string() +
                                  ": the done call must come from the installing machine itself\n",
                              "done-unknown-address");
  }
  const core::Mac mac = seen->facts.mac;
  if (auto asked = boot::query_value(call.query, "mac"); !asked.empty() && core::Mac::parse(asked) != mac) {
    return answer(403, "this address belongs to " + mac.to_string() + ", not " + asked + "\n",
                              "done-other-machine");
  }
  const auto now = core::unix_now();
  auto m = impl_->config ? boot::match(seen->facts, *impl_->config, &impl_->remembered) : boot::Match{};
  const std::string who_text = m.machine != nullptr && !m.machine->name.empty()
                                   ? m.machine->name + " (" + mac.to_string() + ")"
                                   : mac.to_string();
  impl_->step(mac, store::Stage::done, {});
  events::Event e{events::Kind::machine_done};
  e.about(mac).from(who.address).add("ip", who.address.to_string());
  if (m.machine != nullptr && !m.machine->name.empty()) e.add("name", m.machine->name);
  if (!m.once) {
    e.add("once", false);
    impl_->bus.emit(e);
    return answer(200,
                  "pxed: " + who_text + " reported done; it is not a once machine, so it boots " +
                      (m.profile.empty() ? "as before" : "profile " + m.profile) + " next time\n",
                  "done");
  }
  impl_->remembered.installed[mac] = now;
  e.add("once", true).add("next", "local");
  impl_->bus.emit(e);
  if (impl_->store) {
    asio::post(impl_->writer, [impl = impl_.get(), mac, now] {
      auto written = impl->store->set_install(mac, store::Install{store::InstallState::done, now});
      if (!written) asio::post(impl->io, [impl, error = written.error()] { impl->store_failed(error); });
    });
  }
  return answer(200,
                "pxed: " + who_text + " installed at " + boot::utc_time(now) +
                    "; it boots from its disk until `pxed machines reinstall " + mac.to_string() + "`\n",
                "done");
}

namespace {

events::Kind kind_of(api::Action action) {
  switch (action) {
    case api::Action::reinstall: return events::Kind::machine_reinstall;
    case api::Action::done: return events::Kind::machine_done;
    case api::Action::assign: return events::Kind::machine_assign;
    case api::Action::unassign: return events::Kind::machine_unassign;
  }
  return events::Kind::machine_done;
}

// What the machine's own DHCP showed, when pxed saw it; else its MAC alone
// (enough for a [[machine]] and an assignment, not for a group by subnet).
boot::ClientFacts facts_for(const boot::Sightings& sightings, const core::Mac& mac) {
  if (const auto* seen = sightings.by_mac(mac)) return seen->facts;
  boot::ClientFacts facts;
  facts.mac = mac;
  return facts;
}

}  // namespace

api::Boot Machines::boot_of(const core::Mac& mac) const {
  api::Boot b;
  if (auto it = impl_->remembered.assigned.find(mac); it != impl_->remembered.assigned.end()) {
    b.assigned = it->second.profile;
    b.assigned_at = it->second.at;
    b.assigned_by = it->second.by;
  }
  if (!impl_->config) return b;
  const auto m = boot::match(facts_for(impl_->sightings, mac), *impl_->config, &impl_->remembered);
  b.profile = m.profile;
  b.rule = m.rule;
  return b;
}

// The store is written on the writer thread; what the loop decides with
// changes only once the write is on disk, so a machine never boots by a
// change a crash would forget.
void Machines::apply(api::Change change, Done done) {
  auto* impl = impl_.get();
  const auto mac = change.mac;
  if (!impl->store || !impl->config) {
    return done(std::unexpected(api::Refused{api::Refused::Why::store, "pxed keeps no machine store"}));
  }
  const auto& cfg = *impl->config;
  if (change.action == api::Action::assign && !boot::assignable(change.profile, cfg)) {
    return done(std::unexpected(api::Refused{
        api::Refused::Why::unknown_profile,
        "no profile " + change.profile + " in " + cfg.inventory.source.filename().string() + "; known: " +
            cfg.inventory.profile_names()}));
  }
  const auto m = boot::match(facts_for(impl->sightings, mac), cfg, &impl->remembered);
  // Marking done means something only for a machine pxed knows of; the rest may be named in advance.
  const bool known_here = m.machine != nullptr || impl->sightings.by_mac(mac) != nullptr || impl->stages.contains(mac);
  const auto now = core::unix_now();
  asio::post(impl->writer, [this, impl, change, done = std::move(done), known_here, once = m.once, now]() mutable {
    std::expected<void, std::string> written;
    bool known = known_here;
    switch (change.action) {
      case api::Action::reinstall: written = impl->store->clear_install(change.mac); break;
      case api::Action::assign:
        written = impl->store->assign(change.mac, store::Assignment{change.profile, now, "api"});
        break;
      case api::Action::unassign: {
        auto removed = impl->store->unassign(change.mac);
        if (!removed) written = std::unexpected(removed.error());
        break;
      }
      case api::Action::done: {
        if (!known) {
          auto recorded = impl->store->has_machine(change.mac);
          if (!recorded) written = std::unexpected(recorded.error());
          else known = *recorded;
        }
        if (written && known && once) {
          written = impl->store->set_install(change.mac, store::Install{store::InstallState::done, now});
        }
        break;
      }
    }
    asio::post(impl->io, [this, impl, change, done = std::move(done), written, known, once, now] {
      if (!written) {
        impl->store_failed(written.error());
        return done(std::unexpected(api::Refused{api::Refused::Why::store, written.error()}));
      }
      if (change.action == api::Action::done && !known) {
        return done(std::unexpected(api::Refused{
            api::Refused::Why::unknown_machine,
            "pxed never saw " + change.mac.to_string() + " and no [[machine]] names it: nothing to mark done"}));
      }
      auto& r = impl->remembered;
      std::string note;
      switch (change.action) {
        case api::Action::reinstall:
          r.installed.erase(change.mac);
          note = "install pending: a once machine installs again at its next boot";
          break;
        case api::Action::done:
          if (once) r.installed[change.mac] = now;
          impl->step(change.mac, store::Stage::done, {});
          note = once ? "installed: it boots from its disk until reinstalled"
                      : "not a once machine: it boots as before";
          break;
        case api::Action::assign:
          r.assigned[change.mac] = boot::Assignment{change.profile, now, "api"};
          note = "it boots profile " + change.profile + " until the assignment is removed";
          break;
        case api::Action::unassign:
          r.assigned.erase(change.mac);
          note = "it boots what the inventory gives it";
          break;
      }
      events::Event e{kind_of(change.action)};
      e.about(change.mac).add("action", api::to_string(change.action)).add("by", "api");
      if (change.action == api::Action::assign) e.add("profile", change.profile);
      if (change.action == api::Action::done) e.add("once", once);
      impl->bus.emit(std::move(e));
      done(api::Changed{boot_of(change.mac), std::move(note)});
    });
  });
}

}  // namespace pxed::app
