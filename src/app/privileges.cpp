#include "app/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace pxed::app {
namespace {

// Nothing pxed runs later may gain a capability back (it never execs, but a
// compromised process might): empty the bounding set while CAP_SETPCAP is
// ours. It does not touch the permitted set, so setuid still works after;
// outside systemd this is what the unit's CapabilityBoundingSet does.
std::expected<void, std::string> empty_bounding_set() {
  for (int cap = 0; ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; ++cap) {
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      return std::unexpected(fmt::format("cannot drop capability {} from the bounding set: {}", cap, std::strerror(errno)));
    }
  }
  return {};
}

}  // namespace

std::expected<void, std::string> drop_privileges(const std::string& user) {
  if (user.empty()) {
    // Root that stays root keeps its permitted set, for the state dir's owner
    // switch (store/state_file.hpp), but not the bounding set. Best effort: a
    // container's root may lack CAP_SETPCAP, and it ran without this before;
    // `pxed serve --check-sandbox` shows what is left.
    if (::geteuid() == 0) (void)empty_bounding_set();
    return {};
  }
  errno = 0;
  const passwd* pw = ::getpwnam(user.c_str());
  if (!pw) {
    return std::unexpected(fmt::format("server.user: no such user \"{}\"{}", user,
                                       errno ? fmt::format(" ({})", std::strerror(errno)) : ""));
  }
  if (::geteuid() != 0) {
    if (pw->pw_uid == ::geteuid()) return {};
    return std::unexpected(fmt::format("server.user = \"{}\": switching user needs root; "
                                       "leave server.user empty when running unprivileged", user));
  }
  if (auto emptied = empty_bounding_set(); !emptied) return emptied;
  // Order matters: groups and gid while still root, uid last.
  if (::setgroups(0, nullptr) != 0 || ::setgid(pw->pw_gid) != 0 || ::setuid(pw->pw_uid) != 0) {
    return std::unexpected(fmt::format("cannot switch to user \"{}\": {}", user, std::strerror(errno)));
  }
  if (pw->pw_uid != 0 && ::setuid(0) == 0) {
    return std::unexpected("privilege drop failed: root could be regained");
  }
  ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  return {};
}

}  // namespace pxed::app
