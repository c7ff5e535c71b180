#pragma once
// Boot traffic of the last minute, a bucket a second per protocol, summed
// here once for every viewer: a dashboard reads 60 numbers per protocol
// instead of following every transfer's event (a busy installer makes
// thousands a second, and each viewer would format and send each one).
#include <array>
#include <cstdint>
#include <string>

#include "events/bus.hpp"

namespace pxed::api {

inline constexpr std::size_t kTrafficSeconds = 60;

// Bytes and transfers ended in one second.
struct TrafficSecond {
  std::int64_t second = 0;  // Unix seconds; older than the window: empty
  std::uint64_t bytes = 0;
  std::uint64_t transfers = 0;
};

class Throughput : public events::Output {
 public:
  // tftp.done and the tree's http.request (not the API's own, which carry `route`).
  void publish(const events::Event& event) override;
  // {"now_ms":..,"seconds":60,"tftp":{"bytes":[60 numbers, oldest first],"transfers":[..]},"http":{..}}
  std::string json(std::int64_t now_ms) const;

 private:
  using Ring = std::array<TrafficSecond, kTrafficSeconds>;
  static void add(Ring& ring, std::int64_t second, std::uint64_t bytes);
  Ring tftp_{};
  Ring http_{};
};

}  // namespace pxed::api
