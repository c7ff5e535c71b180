#pragma once
// [server] done_hook: when a machine reports its install done (machine.done,
// from the installer's call or the API), pxed POSTs one JSON record to the
// URL, for a CMDB or the monitoring system: the machine's MAC, name, address,
// profile, whether it was a once install, and its values (built-ins and vars;
// never a secret). One try, 5 s at most, on the event loop (asynchronous: no
// boot waits for it); the answer is a machine.hook or machine.hook_failed
// event. A command is not offered: the sandbox refuses exec once pxed serves.
#include <functional>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "events/bus.hpp"

namespace boost::asio {
class io_context;
}

namespace pxed::app {

// The record, from the machine.done event and the machine's values. Pure.
std::string done_hook_payload(const events::Event& done, const config::Vars& values);

class DoneHook : public events::Output {
 public:
  // values: the machine's values as its answer files see them, secrets left out.
  using Values = std::function<config::Vars(const core::Mac&)>;
  DoneHook(boost::asio::io_context& io, events::Bus& bus, config::HookTarget target, std::string url, Values values);
  void publish(const events::Event& event) override;

 private:
  boost::asio::io_context& io_;
  events::Bus& bus_;
  config::HookTarget target_;
  std::string url_;
  Values values_;
};

}  // namespace pxed::app
