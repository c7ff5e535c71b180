#pragma once
// Every machine that asked, known to the inventory or not, and the install
// state of `once` machines: SQLite in WAL mode in server.state_dir
// (machines.sqlite3). Sightings are a record for people (`pxed machines`):
// batched, synchronous=NORMAL. An install state decides what a machine boots
// next: written with synchronous=FULL, durable when set_install returns.
// A profile assigned by hand is durable the same way.
// Readers (the CLI) may open it while pxed runs; one writer (pxed) at a time.
#include <cstdint>
#include <expected>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/net.hpp"

namespace pxed::store {

// The steps of one boot, in order; a new DHCP exchange starts the next boot at `dhcp`.
enum class Stage : std::uint8_t { dhcp, loader, config, kernel, initrd, installer, done };
std::string_view to_string(Stage stage);
std::optional<Stage> stage_named(std::string_view name);

// What one request showed: empty fields leave what the store knew.
struct Observation {
  core::Mac mac;
  std::int64_t at = 0;  // Unix seconds
  std::string uuid, arch, vendor_class, ip;
  std::optional<Stage> stage;
  std::string path;     // the file fetched at that stage (loader, config, kernel, initrd)
  std::string serial, manufacturer, product;  // SMBIOS, as iPXE reported them
};

struct MachineRecord {
  core::Mac mac;
  std::string uuid, arch, vendor_class, ip;
  std::int64_t first_seen = 0, last_seen = 0;
  std::string loader, config, kernel, initrd;  // the last file fetched at each stage
  Stage stage = Stage::dhcp;
  std::int64_t stage_at = 0;
  std::string serial, manufacturer, product;
  bool operator==(const MachineRecord&) const = default;
};

enum class InstallState : std::uint8_t { pending = 1, done = 2 };
std::string_view to_string(InstallState state);

struct Install {
  InstallState state = InstallState::pending;
  std::int64_t at = 0;  // Unix seconds of the change
  bool operator==(const Install&) const = default;
};

// A profile given to one machine by hand (the API's PUT .../profile or `pxed
// machines assign`): it wins over the inventory's choice until unassigned.
struct Assignment {
  std::string profile;
  std::int64_t at = 0;  // Unix seconds of the assignment
  std::string by;       // "api" or "cli": lookup says which
  bool operator==(const Assignment&) const = default;
};

// server: the one pxed that serves (takes the directory's lock; a second is refused).
// reader: the CLI beside it (never creates the file). editor: the CLI changing an
// install state beside a running pxed: no lock, SQLite's own locking orders the writes.
enum class Access : std::uint8_t { server, reader, editor };

class MachineStore {
 public:
  // Opens or creates <dir>/machines.sqlite3; errors name the file.
  static std::expected<MachineStore, std::string> open(const std::filesystem::path& dir, Access access = Access::server);
  ~MachineStore();
  MachineStore(MachineStore&&) noexcept;
  MachineStore& operator=(MachineStore&&) noexcept;

  // Folds the observations into their machines' rows in one transaction.
  std::expected<void, std::string> observe(std::span<const Observation> observations);
  // Newest first (last_seen, then MAC).
  std::expected<std::vector<MachineRecord>, std::string> machines();
  // Whether this machine was ever recorded.
  std::expected<bool, std::string> has_machine(const core::Mac& mac);

  std::expected<void, std::string> set_install(const core::Mac& mac, Install install);
  // Forgets the state: the machine's `once` starts over as pending.
  std::expected<void, std::string> clear_install(const core::Mac& mac);
  std::expected<std::map<core::Mac, Install>, std::string> installs();

  // Durable when they return, as set_install: a machine's next boot depends on them.
  std::expected<void, std::string> assign(const core::Mac& mac, const Assignment& assignment);
  // Whether the machine had an assignment to remove.
  std::expected<bool, std::string> unassign(const core::Mac& mac);
  std::expected<std::map<core::Mac, Assignment>, std::string> assignments();

 private:
  struct Impl;
  explicit MachineStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pxed::store
