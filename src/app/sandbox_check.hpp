#pragma once
// `pxed serve --check-sandbox`: do to this process what serve does once its
// sockets are bound (switch to server.user with an empty bounding set, then
// the syscall filter), without binding or serving, and show what is left:
// capabilities, no_new_privs, the seccomp mode, and calls the filter must
// refuse, made for real from here.
#include <iosfwd>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace pxed::app {

struct ProbeResult {
  std::string call;        // "unshare(0)"
  std::string unfiltered;  // what the kernel answers without the filter
  int expected_error = 0;  // the filter's answer: EPERM (ENOSYS for clone3)
  int error = 0;           // what came back; 0: the call succeeded
  bool held() const { return error == expected_error; }
};

// Makes each probe call in this process. Every one is harmless when let through.
std::vector<ProbeResult> probe_denied_calls();

// Prints the report; 0 when the sandbox holds (filter loaded, every probe
// refused, no_new_privs set), 1 when it does not or server.user cannot be switched to.
int check_sandbox(const config::Config& cfg, std::ostream& out, std::ostream& err);

}  // namespace pxed::app
