#pragma once
// Every machine pxed has seen, and where its current boot has got to: the
// rows of /api/v1/machines, `pxed status` and the dashboard. Built from
// events alone (machine.stage marks the stages; DHCP answers give the
// address and firmware; transfers the last file and any failure), so it
// needs no store and costs nothing when nobody asks.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/net.hpp"
#include "events/bus.hpp"
#include "store/machine_store.hpp"

namespace pxed::api {

inline constexpr std::size_t kStages = 7;  // store::Stage dhcp .. done

struct MachineRow {
  core::Mac mac;
  std::string ip;                       // the address DHCP last gave or saw
  std::string arch;                     // the firmware of its last boot answer
  std::optional<store::Stage> stage;    // the furthest its current boot reached
  std::array<std::int64_t, kStages> reached_ms{};  // when it reached each stage this boot; 0: not yet
  std::uint64_t boots = 0;              // boots seen since pxed started
  std::int64_t first_ms = 0;
  std::int64_t last_ms = 0;
  std::string last_event;               // its latest event's name
  std::string last_file;                // the last file it asked for, over TFTP or HTTP
  std::string problem;                  // the last failed fetch this boot ("tftp.done file=... result=timeout")
};

class MachineTable : public events::Output {
 public:
  // capacity: rows kept; past it the machine heard from least recently goes.
  explicit MachineTable(std::size_t capacity = 65536) : capacity_(capacity) {}
  void publish(const events::Event& event) override;
  const MachineRow* find(const core::Mac& mac) const;
  std::vector<const MachineRow*> rows() const;  // the most recently heard first
  std::size_t size() const { return rows_.size(); }

 private:
  MachineRow& row_of(const core::Mac& mac, std::int64_t now_ms);
  std::size_t capacity_;
  std::map<core::Mac, MachineRow> rows_;
};

}  // namespace pxed::api
