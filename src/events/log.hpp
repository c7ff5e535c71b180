#pragma once
// The log output: one line per event on stderr, key=value text or one JSON
// object per line (journald and log shippers read either).
#include <iosfwd>
#include <memory>
#include <string_view>

#include "events/bus.hpp"

namespace pxed::events {

enum class LogFormat { text, json };

class Log : public Output {
 public:
  // threshold: a [server] log_level (trace debug info warn error critical off).
  // Lines go to `to` when given (tests), else to stderr.
  Log(LogFormat format, std::string_view threshold, std::ostream* to = nullptr);
  ~Log() override;
  void publish(const Event& event) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pxed::events
