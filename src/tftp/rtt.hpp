#pragma once
// Retransmission timeout from measured round trips (RFC 6298's estimator).
// Lock-step TFTP stalls for a whole timeout on every lost packet; a fixed
// 1-2 s timer (tftpd-hpa, dnsmasq) turns 1% loss into minutes per big file.
#include <algorithm>
#include <optional>

#include "core/time.hpp"

namespace pxed::tftp {

class RttEstimator {
 public:
  RttEstimator(core::Duration min, core::Duration max, core::Duration initial)
      : min_(min), max_(std::max(min, max)), rto_(std::clamp(initial, min_, max_)) {}

  void sample(core::Duration rtt) {
    if (!srtt_) {
      srtt_ = rtt;
      rttvar_ = rtt / 2;
    } else {
      auto delta = *srtt_ > rtt ? *srtt_ - rtt : rtt - *srtt_;
      rttvar_ = (3 * rttvar_ + delta) / 4;
      srtt_ = (7 * *srtt_ + rtt) / 8;
    }
    rto_ = std::clamp(*srtt_ + 4 * rttvar_, min_, max_);
  }

  // Exponential backoff after a timeout (RFC 6298 §5.5).
  void back_off() { rto_ = std::min(rto_ * 2, max_); }

  core::Duration rto() const { return rto_; }
  std::optional<core::Duration> srtt() const { return srtt_; }

 private:
  core::Duration min_;
  core::Duration max_;
  core::Duration rto_;
  std::optional<core::Duration> srtt_;
  core::Duration rttvar_{};
};

}  // namespace pxed::tftp
