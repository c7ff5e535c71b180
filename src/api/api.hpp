#pragma once
// The JSON API (docs/api.md): /api/v1/... and /healthz, /readyz, answered
// from the history, the machine table and the live stream, request in and
// answer out; http_service writes what this returns. Reads are open (on the
// address they are served on); writes to a machine need the bearer token and
// answer later, once Changes has put them on disk.
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>

#include "api/changes.hpp"
#include "api/history.hpp"
#include "api/machine_table.hpp"
#include "api/stream.hpp"
#include "api/throughput.hpp"
#include "api/token.hpp"
#include "config/config.hpp"
#include "store/lease_store.hpp"
#include "http/routes.hpp"

namespace pxed::api {

inline constexpr std::string_view kPrefix = "/api/";
inline constexpr std::size_t kMaxPage = 1000;
inline constexpr std::size_t kTimelineEvents = 200;

// A machine the inventory names by MAC: listed from the start, before it ever
// asks, so a room's machines that never booted are the rows that stand out.
struct KnownMachine {
  core::Mac mac;
  std::string name;  // [[machine]] name, or empty
};
// The inventory's [[machine]] entries that have a MAC, in file order (a UUID
// alone names no row: the machine table is keyed by MAC).
std::vector<KnownMachine> known_machines(const config::Inventory& inventory);

struct Sources {
  const History& history;
  const MachineTable& machines;
  Stream& stream;
  std::function<bool()> ready;  // every service started (readyz)
  // Full mode's subnets and the leases bound now; empty: no DHCP server here.
  std::vector<config::Subnet> subnets = {};
  std::function<std::vector<store::Lease>()> leases = {};
  // Every image served, as a JSON array (docs/api.md): app builds it from
  // osid's catalogue, so api stays off osid. Empty: nothing is served.
  std::function<nlohmann::json()> images = {};
  // The last minute's boot traffic (/api/v1/traffic); null: not served.
  const Throughput* traffic = nullptr;
  // Unix milliseconds now; empty: the system clock.
  std::function<std::int64_t()> clock = {};
  // Where writes go; null: no machine store, writes answer 503.
  Changes* changes = nullptr;
  // Null: writes are off ([api] token_file unset) and answer 403.
  std::shared_ptr<const Token> token = nullptr;
  // The inventory's machines now (swapped on reload, read on the loop); null: none.
  const std::vector<KnownMachine>* known = nullptr;
};

class Api {
 public:
  explicit Api(Sources sources) : sources_(std::move(sources)) {}
  std::optional<http::Answer> answer(const http::Call& call) const;
  // /api/, /healthz and /readyz, for http::Service.
  http::Routes routes() const;

 private:
  std::optional<http::Answer> read(const http::Call& call) const;
  http::Answer leases() const;
  std::int64_t now_ms() const;
  // /api/v1/machines/{mac}/{reinstall,done,profile} (api/machine_writes.cpp).
  http::Answer change(const http::Call& call, std::string_view mac_text, std::string_view action) const;
  std::optional<http::Answer> refuse_writer(const http::Call& call) const;
  Sources sources_;
};

}  // namespace pxed::api
