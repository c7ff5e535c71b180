#pragma once
// The API's writes to one machine (docs/api.md): what they ask and what comes
// of them. app implements Changes (app::Machines): it owns the machine store,
// writes it on its writer thread and answers back on the loop. The API only
// checks who asks and what the request says.
#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <string_view>

#include "core/net.hpp"

namespace pxed::api {

enum class Action { reinstall, done, assign, unassign };
std::string_view to_string(Action action);

struct Change {
  Action action = Action::reinstall;
  core::Mac mac;
  std::string profile;  // assign only
};

// What a machine boots, as the inventory decides with what the store remembers.
struct Boot {
  std::string profile;  // empty: nothing names it
  std::string rule;     // why, as `pxed lookup` says it
  std::string assigned;  // a profile assigned by hand, or empty
  std::int64_t assigned_at = 0;  // Unix seconds
  std::string assigned_by;       // "api" or "cli"
};

struct Changed {
  Boot boot;         // after the change
  std::string note;  // one sentence for people: what the change means for its next boot
};

struct Refused {
  enum class Why { unknown_profile, unknown_machine, store } why;
  std::string what;  // for the answer's "error"
};

class Changes {
 public:
  using Done = std::function<void(std::expected<Changed, Refused>)>;
  virtual ~Changes() = default;
  // Called on the loop; done is called on the loop too, once the change is on
  // disk (or refused), maybe before apply returns.
  virtual void apply(Change change, Done done) = 0;
  // What the machine boots now (the loop's copy of the store; no disk).
  virtual Boot boot_of(const core::Mac& mac) const = 0;
};

}  // namespace pxed::api
