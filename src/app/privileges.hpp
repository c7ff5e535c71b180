#pragma once
#include <expected>
#include <string>

namespace pxed::app {

// After every privileged socket is bound: switch to `user` (its uid, gid and
// only its primary group) with an empty capability bounding set, and make
// sure root cannot be regained. An empty user keeps the current identity
// (e.g. run unprivileged with CAP_NET_BIND_SERVICE from the systemd unit);
// root then only empties its bounding set.
std::expected<void, std::string> drop_privileges(const std::string& user);

}  // namespace pxed::app
