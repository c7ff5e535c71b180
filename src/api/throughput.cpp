#include "api/throughput.hpp"

#include <nlohmann/json.hpp>

namespace pxed::api {
namespace {

std::uint64_t bytes_of(const events::Event& e) {
  const auto n = e.integer("bytes");
  return n > 0 ? static_cast<std::uint64_t>(n) : 0;
}

}  // namespace

void Throughput::add(Ring& ring, std::int64_t second, std::uint64_t bytes) {
  auto& slot = ring[static_cast<std::size_t>(second) % kTrafficSeconds];
  if (slot.second != second) slot = TrafficSecond{.second = second};
  slot.bytes += bytes;
  ++slot.transfers;
}

void Throughput::publish(const events::Event& e) {
  if (e.kind == events::Kind::tftp_done) {
    add(tftp_, e.time_ms / 1000, bytes_of(e));
  } else if (e.kind == events::Kind::http_request && e.find("route") == nullptr) {
    add(http_, e.time_ms / 1000, bytes_of(e));
  }
}

std::string Throughput::json(std::int64_t now_ms) const {
  const std::int64_t now = now_ms / 1000;
  auto series = [&](const Ring& ring) {
    nlohmann::json bytes = nlohmann::json::array();
    nlohmann::json transfers = nlohmann::json::array();
    for (std::int64_t s = now - static_cast<std::int64_t>(kTrafficSeconds) + 1; s <= now; ++s) {
      const auto& slot = ring[static_cast<std::size_t>(s) % kTrafficSeconds];
      bytes.push_back(slot.second == s ? slot.bytes : 0);
      transfers.push_back(slot.second == s ? slot.transfers : 0);
    }
    return nlohmann::json{{"bytes", std::move(bytes)}, {"transfers", std::move(transfers)}};
  };
  return nlohmann::json{{"now_ms", now_ms}, {"seconds", kTrafficSeconds}, {"tftp", series(tftp_)},
                        {"http", series(http_)}}
      .dump();
}

}  // namespace pxed::api
