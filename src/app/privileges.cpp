#include "app/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace pxed::app {

std::expected<void, std::string> drop_privileges(const std::string& user) {
  if (user.empty()) return {};
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
  // Nothing pxed runs later may gain a capability back (it never execs, but a
  // compromised process might): empty the bounding set while CAP_SETPCAP is
  // ours. It does not touch the permitted set, so setuid below still works;
  // outside systemd this is what the unit's CapabilityBoundingSet does.
  for (int cap = 0; ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; ++cap) {
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      return std::unexpected(fmt::format("cannot drop capability {} from the bounding set: {}", cap, std::strerror(errno)));
    }
  }
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
