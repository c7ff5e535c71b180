#include "api/machine_table.hpp"

#include <algorithm>

namespace pxed::api {
namespace {

using events::Kind;

bool boot_answer(Kind kind) {
  return kind == Kind::dhcp_offer || kind == Kind::dhcp_ack || kind == Kind::dhcp_proxy_offer ||
         kind == Kind::dhcp_proxy_ack || kind == Kind::dhcp_pxe_ack;
}

}  // namespace

MachineRow& MachineTable::row_of(const core::Mac& mac, std::int64_t now_ms) {
  auto it = rows_.find(mac);
  if (it != rows_.end()) return it->second;
  if (rows_.size() >= capacity_ && capacity_ > 0) {
    rows_.erase(std::ranges::min_element(rows_, {}, [](const auto& kv) { return kv.second.last_ms; }));
  }
  MachineRow row;
  row.mac = mac;
  row.first_ms = now_ms;
  return rows_.emplace(mac, std::move(row)).first->second;
}

void MachineTable::publish(const events::Event& e) {
  if (!e.mac || e.level == events::Level::debug) return;
  // A dashboard open on a machine must not make the machine look busy.
  if (e.kind == Kind::http_request && e.find("route") != nullptr) return;
  auto& row = row_of(*e.mac, e.time_ms);
  row.last_ms = e.time_ms;
  row.last_event = std::string(e.name());
  // Beside another DHCP server no answer of ours names the address: its fetches come from it.
  if (!e.client.is_zero()) row.ip = e.client.to_string();
  if (boot_answer(e.kind)) {
    if (auto ip = e.text("ip"); !ip.empty()) row.ip = std::string(ip);
    if (auto arch = e.text("arch"); !arch.empty()) row.arch = std::string(arch);
  } else if (e.kind == Kind::machine_stage) {
    auto stage = store::stage_named(e.text("stage"));
    if (!stage) return;
    // A firmware's DHCP again after the loader: a new boot (an installer's own
    // DHCP is no PXE request and marks no stage).
    if (*stage == store::Stage::dhcp && (row.stage != store::Stage::dhcp || row.boots == 0)) {
      row.reached_ms = {};
      row.problem.clear();
      ++row.boots;
      row.stage = stage;
    } else if (!row.stage || *stage > *row.stage) {
      row.stage = stage;
    }
    auto& when = row.reached_ms[static_cast<std::size_t>(*stage)];
    if (when == 0) when = e.time_ms;
  } else if (e.kind == Kind::tftp_done) {
    row.last_file = std::string(e.text("file"));
    // The TFTP service says which ends are failures (a UEFI size probe is none): warn.
    if (e.level >= events::Level::warn) row.problem = "tftp " + row.last_file + ": " + std::string(e.text("result"));
  } else if (e.kind == Kind::http_request) {
    row.last_file = std::string(e.text("path"));
    if (auto status = e.integer("status"); status >= 400) {
      row.problem = "http " + row.last_file + ": " + std::to_string(status);
    }
  }
}

const MachineRow* MachineTable::find(const core::Mac& mac) const {
  auto it = rows_.find(mac);
  return it == rows_.end() ? nullptr : &it->second;
}

std::vector<const MachineRow*> MachineTable::rows() const {
  std::vector<const MachineRow*> out;
  out.reserve(rows_.size());
  for (const auto& [mac, row] : rows_) out.push_back(&row);
  std::ranges::sort(out, [](const MachineRow* a, const MachineRow* b) {
    return a->last_ms != b->last_ms ? a->last_ms > b->last_ms : a->mac < b->mac;
  });
  return out;
}

}  // namespace pxed::api
