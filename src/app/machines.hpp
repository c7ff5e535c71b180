#pragma once
// What pxed remembers of machines, wired to the event loop: every machine that
// asked (store::MachineStore, written on a worker thread, never on the loop),
// the step of its boot each fetched file is (boot::fetched), and `once`
// installs: the done call an installer makes at its end, and what the
// inventory decides with (boot::Remembered: install states and profiles
// assigned by hand, owned here, read on the loop's thread). The API's
// writes (api::Changes) land here too.
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "api/changes.hpp"
#include "app/loop_relay.hpp"
#include "boot/inventory.hpp"
#include "boot/sightings.hpp"
#include "config/config.hpp"
#include "http/routes.hpp"
#include "vfs/generated.hpp"

namespace boost::asio {
class io_context;
}

namespace pxed::events {
class Bus;
}

namespace pxed::app {

inline constexpr std::string_view kDonePath = "/pxed/v1/done";

class Machines : public api::Changes {
 public:
  Machines(boost::asio::io_context& io, std::filesystem::path state_dir, const boot::Sightings& sightings,
           events::Bus& bus);
  ~Machines() override;
  Machines(const Machines&) = delete;
  Machines& operator=(const Machines&) = delete;

  // Opens the store and reads the install states; before privileges drop.
  std::expected<void, std::string> open();

  // Also when the store could not be opened: the images are there then too.
  const boot::Remembered& remembered() const;
  // The images served now, as iso:<name> profiles (the catalogue's, on each change).
  void set_images(boot::Images images);
  // The snapshot decisions are made with; swapped on reload.
  void use(std::shared_ptr<const config::Config> config);
  // Reads install states and assignments again (off the loop; `pxed machines
  // reinstall` or `assign`, then SIGHUP).
  void reload_remembered();

  // A DHCP request showed this machine.
  void seen(const boot::Sighting& sighting);
  // The tree opened a file for this requester.
  void opened(std::string_view rel, const vfs::Requester& who, const vfs::File& file);
  // GET /pxed/v1/done[?mac=M] from the machine itself.
  std::optional<http::Answer> action(const http::Call& call);

  // api::Changes: the API's reinstall, done, assign and unassign.
  void apply(api::Change change, Done done) override;
  api::Boot boot_of(const core::Mac& mac) const override;

 private:
  void record_hardware(const boot::Sighting* seen, std::string_view query);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Hands the tree's opens to Machines, on the loop's thread: an open on one of
// HTTP's own loops goes through the relay (Machines reads only the name and
// who asked, so the File stays with the transfer).
class MachineObserver : public vfs::Observer {
 public:
  MachineObserver(Machines& machines, LoopRelay& relay) : machines_(machines), relay_(relay) {}
  void opened(std::string_view rel, const vfs::Requester& who, const vfs::File& file) const override {
    if (relay_.on_loop()) return machines_.opened(rel, who, file);
    relay_.run([&machines = machines_, rel = std::string(rel), who] { machines.opened(rel, who, vfs::File{}); });
  }

 private:
  Machines& machines_;
  LoopRelay& relay_;
};

}  // namespace pxed::app
