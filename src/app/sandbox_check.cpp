#include "app/sandbox_check.hpp"

#include <linux/reboot.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <ostream>

#include "app/privileges.hpp"
#include "app/sandbox.hpp"

namespace pxed::app {
namespace {

// A call made through syscall(2), so glibc neither emulates nor skips it.
ProbeResult probe(std::string call, std::string unfiltered, int expected_error, long (*make)()) {
  errno = 0;
  const long rc = make();
  return ProbeResult{std::move(call), std::move(unfiltered), expected_error, rc < 0 ? errno : 0};
}

std::string error_name(int error) {
  if (error == 0) return "allowed";
  const char* name = strerrorname_np(error);
  return name ? name : std::to_string(error);
}

// libcap's text ("=" is the empty set, "=ep" every capability).
std::string process_capabilities() {
  cap_t caps = cap_get_proc();
  if (!caps) return fmt::format("unknown ({})", std::strerror(errno));
  char* text = cap_to_text(caps, nullptr);
  std::string out = text ? text : "unknown";
  cap_free(text);
  cap_free(caps);
  return out == "=" ? "none" : out;
}

std::string bounding_set() {
  std::string out;
  for (cap_value_t cap = 0; cap < cap_max_bits(); ++cap) {
    if (cap_get_bound(cap) != 1) continue;
    char* name = cap_to_name(cap);
    out += (out.empty() ? "" : ",") + std::string(name ? name : std::to_string(cap));
    cap_free(name);
  }
  return out.empty() ? "none" : out;
}

}  // namespace

std::vector<ProbeResult> probe_denied_calls() {
  std::vector<ProbeResult> out;
  out.push_back(probe("unshare(0)", "succeeds, changes nothing", EPERM, [] { return ::syscall(SYS_unshare, 0); }));
  out.push_back(probe("setns(-1, 0)", "EBADF", EPERM, [] { return ::syscall(SYS_setns, -1, 0); }));
  out.push_back(probe("clone(CLONE_NEWUSER|CLONE_FS)", "EINVAL, a pair the kernel refuses", EPERM, [] {
    const long rc = ::syscall(SYS_clone, CLONE_NEWUSER | CLONE_FS, 0, 0, 0, 0);
    if (rc == 0) ::_exit(0);  // never expected: a child must not run the rest of the check
    return rc;
  }));
  out.push_back(probe("mount(NULL, NULL, NULL, 0, NULL)", "EFAULT", EPERM,
                      [] { return ::syscall(SYS_mount, nullptr, nullptr, nullptr, 0, nullptr); }));
  out.push_back(probe("ptrace(PTRACE_PEEKUSER, self)", "ESRCH", EPERM,
                      [] { return ::syscall(SYS_ptrace, PTRACE_PEEKUSER, ::getpid(), 0, 0); }));
  out.push_back(probe("execve(NULL, NULL, NULL)", "EFAULT", EPERM,
                      [] { return ::syscall(SYS_execve, nullptr, nullptr, nullptr); }));
  out.push_back(probe("perf_event_open(NULL, ...)", "EFAULT", EPERM,
                      [] { return ::syscall(SYS_perf_event_open, nullptr, 0, -1, -1, 0); }));
  out.push_back(probe("reboot(bad magic)", "EINVAL as root, EPERM otherwise; never reboots", EPERM,
                      [] { return ::syscall(SYS_reboot, 0, 0, LINUX_REBOOT_CMD_CAD_OFF, nullptr); }));
  out.push_back(probe("setuid(own uid)", "succeeds, changes nothing", EPERM,
                      [] { return ::syscall(SYS_setuid, ::getuid()); }));
  out.push_back(probe("setpriority(own nice)", "succeeds, changes nothing", EPERM, [] {
    errno = 0;
    const int nice = ::getpriority(PRIO_PROCESS, 0);
    return errno ? -1L : ::syscall(SYS_setpriority, PRIO_PROCESS, 0, nice);
  }));
  out.push_back(probe("prlimit64(RLIMIT_NOFILE, as it is)", "succeeds, changes nothing", EPERM, [] {
    rlimit now{};
    if (::getrlimit(RLIMIT_NOFILE, &now) != 0) return -1L;
    return ::syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &now, nullptr);
  }));
  out.push_back(probe("socket(AF_PACKET, SOCK_DGRAM)", "a packet socket as root, EPERM otherwise", EPERM, [] {
    const long fd = ::syscall(SYS_socket, AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) ::close(static_cast<int>(fd));
    return fd < 0 ? fd : 0L;
  }));
  out.push_back(probe("clone3(NULL, 0)", "EINVAL", ENOSYS, [] { return ::syscall(SYS_clone3, nullptr, 0); }));
  return out;
}

int check_sandbox(const config::Config& cfg, std::ostream& out, std::ostream& err) {
  if (auto dropped = drop_privileges(cfg.server.user); !dropped) {
    err << dropped.error() << '\n';
    return 1;
  }
  const FilterOptions options{.still_root = ::geteuid() == 0};
  std::string filter = "off (server.sandbox = false)";
  bool loaded = false;
  if (cfg.server.sandbox) {
    auto applied = apply_syscall_filter(options);
    loaded = applied.has_value();
    filter = loaded ? "loaded" : "not loaded: " + applied.error();
  }
  const int seccomp_mode = ::prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
  const bool no_new_privs = ::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
  std::size_t refused = 0;
  for (const auto& d : denied_syscalls(options)) {
    refused += seccomp_syscall_resolve_name(std::string(d.syscall).c_str()) >= 0 ? 1 : 0;
  }
  out << fmt::format("what `pxed serve -c {}` leaves itself once bound (nothing bound here)\n",
                     cfg.source.string());
  out << fmt::format("user           uid={} gid={}{}\n", ::getuid(), ::getgid(),
                     cfg.server.user.empty() ? " (server.user empty: unchanged)"
                                             : fmt::format(" (server.user = \"{}\")", cfg.server.user));
  out << fmt::format("capabilities   {}\n", process_capabilities());
  out << fmt::format("bounding set   {}\n", bounding_set());
  out << fmt::format("no_new_privs   {}\n", no_new_privs ? "set" : "not set");
  out << fmt::format("seccomp        mode {} ({}), filter {}{}\n", seccomp_mode,
                     seccomp_mode == 2 ? "filter" : seccomp_mode == 0 ? "none" : "?", filter,
                     loaded ? fmt::format(": {} system calls refused", refused) : "");
  if (options.still_root && loaded) {
    out << "still root     setfsuid, setfsgid and fchown stay allowed (state dir files are written as the "
           "directory's owner); set server.user to drop root and them\n";
  }
  bool held = loaded && seccomp_mode == 2 && no_new_privs;
  out << (loaded ? "probes, made from this process after the filter:\n" : "probes, made from this process:\n");
  for (const auto& p : probe_denied_calls()) {
    held = held && p.held();
    out << fmt::format("  {:<36} {:<8} {:<8} (unfiltered: {})\n", p.call, error_name(p.error),
                       p.held() ? "refused" : "NOT REFUSED", p.unfiltered);
  }
  out << (held ? "sandbox holds\n" : "sandbox does NOT hold\n");
  return held ? 0 : 1;
}

}  // namespace pxed::app
