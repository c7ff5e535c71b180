#pragma once
// Which port a transfer answers from when [tftp] port_range is set: a firewall
// then opens 69 and that range only. Pure bookkeeping; the service binds.
//
// Ports are handed out round-robin, never the one just given back first: a
// late packet of a finished transfer (a client's last ACK retransmitted)
// must not land in the next transfer on the same port (RFC 1350 §4: the port
// is the transfer's identifier).
#include <cstdint>
#include <optional>
#include <vector>

namespace pxed::tftp {

class PortPool {
 public:
  // first <= last; both are in the pool.
  PortPool(std::uint16_t first, std::uint16_t last);

  // A port no transfer of ours holds, after the one handed out last; nullopt
  // when every port of the range is held. The caller binds it: when another
  // process holds it, the caller calls take() again and give_back()s it.
  std::optional<std::uint16_t> take();
  // The port's transfer ended (or its bind failed): the port may be handed out again.
  void give_back(std::uint16_t port);

  std::uint32_t size() const { return static_cast<std::uint32_t>(held_.size()); }
  std::uint32_t held() const { return held_count_; }

 private:
  std::uint16_t first_;
  std::vector<bool> held_;      // by port - first_
  std::uint32_t next_ = 0;      // where the next search starts
  std::uint32_t held_count_ = 0;
};

}  // namespace pxed::tftp
