#include "app/sandbox.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "app/sandbox_check.hpp"

namespace pxed::app {
namespace {

bool always_denied(const std::vector<Denial>& list, std::string_view name) {
  return std::ranges::any_of(list, [&](const Denial& d) { return d.syscall == name && d.when == DenyWhen::always; });
}

bool listed(const std::vector<Denial>& list, std::string_view name) {
  return std::ranges::any_of(list, [&](const Denial& d) { return d.syscall == name; });
}

TEST(SyscallFilter, RefusesWhatTheUnitsPrivilegedAndResourcesSetsRefuse) {
  // `systemd-analyze syscall-filter @privileged @resources` on Debian 12 (systemd 252).
  constexpr std::string_view kSystemd[] = {
      "chown", "chown32", "fchown", "fchown32", "fchownat", "lchown", "lchown32", "adjtimex", "clock_adjtime",
      "clock_adjtime64", "clock_settime", "clock_settime64", "settimeofday", "delete_module", "finit_module",
      "init_module", "ioperm", "iopl", "pciconfig_iobase", "pciconfig_read", "pciconfig_write",
      "s390_pci_mmio_read", "s390_pci_mmio_write", "kexec_file_load", "kexec_load", "reboot", "swapoff", "swapon",
      "_sysctl", "acct", "bpf", "capset", "chroot", "fanotify_init", "fanotify_mark", "nfsservctl",
      "open_by_handle_at", "pivot_root", "quotactl", "quotactl_fd", "setdomainname", "setfsuid", "setfsuid32",
      "setgroups", "setgroups32", "sethostname", "setresuid", "setresuid32", "setreuid", "setreuid32", "setuid",
      "setuid32", "vhangup", "ioprio_set", "mbind", "migrate_pages", "move_pages", "nice", "sched_setaffinity",
      "sched_setattr", "sched_setparam", "sched_setscheduler", "set_mempolicy", "set_mempolicy_home_node",
      "setpriority", "setrlimit"};
  const auto list = denied_syscalls({.still_root = false});
  for (auto name : kSystemd) EXPECT_TRUE(always_denied(list, name)) << name;
}

TEST(SyscallFilter, RootThatStaysRootKeepsOnlyTheStateDirOwnerCalls) {
  const auto dropped = denied_syscalls({.still_root = false});
  const auto root = denied_syscalls({.still_root = true});
  for (auto name : {"setfsuid", "setfsgid", "fchown"}) {
    EXPECT_TRUE(always_denied(dropped, name)) << name;
    EXPECT_FALSE(listed(root, name)) << name;
  }
  EXPECT_EQ(dropped.size() - root.size(), 3u);
}

TEST(SyscallFilter, NeverRefusesWhatServingNeeds) {
  // Files, sockets, the loop, threads, signals, SQLite, inotify, the
  // page-cache probes, and the filter's own calls.
  constexpr std::string_view kNeeded[] = {
      "read", "write", "openat", "openat2", "close", "pread64", "preadv2", "pwrite64", "sendfile", "mincore",
      "fstat", "newfstatat", "statx", "fcntl", "fsync", "fdatasync", "rename", "unlink", "mmap", "munmap",
      "mremap", "madvise", "ftruncate", "getdents64", "readlinkat", "bind", "listen", "accept4", "connect",
      "sendto", "sendmsg", "sendmmsg", "recvfrom", "recvmsg", "setsockopt", "getsockopt", "ioctl",
      "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "eventfd2", "timerfd_create",
      "timerfd_settime", "inotify_init1", "inotify_add_watch", "inotify_rm_watch", "futex", "set_robust_list",
      "rseq", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "tgkill", "getpid", "gettid", "prctl",
      "seccomp", "clock_gettime", "clock_nanosleep", "getrandom", "exit", "exit_group", "getpriority",
      "pipe2", "dup3", "kill"};
  for (bool still_root : {false, true}) {
    const auto list = denied_syscalls({.still_root = still_root});
    for (auto name : kNeeded) EXPECT_FALSE(listed(list, name)) << name;
    // Only with the arguments that matter: threads start, limits are read, IPv4 sockets open.
    for (auto name : {"clone", "prlimit64", "socket"}) EXPECT_FALSE(always_denied(list, name)) << name;
  }
}

// In a child, so the test binary stays unfiltered: 0 when every probe is
// refused and a thread, a file and a UDP socket still work.
int filtered_child() {
  if (auto applied = apply_syscall_filter({.still_root = ::geteuid() == 0}); !applied) return 10;
  for (const auto& p : probe_denied_calls()) {
    if (!p.held()) return 11;
  }
  int ran = 0;
  std::thread([&] { ran = 1; }).join();
  if (ran != 1) return 12;
  const int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 13;
  ::close(fd);
  const int udp = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (udp < 0) return 14;
  ::close(udp);
  return 0;
}

TEST(SyscallFilter, RefusesEveryProbeWithEpermAndStillServesInAChild) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(filtered_child());
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10 no filter, 11 a probe let through, 12 no thread, 13 no open, 14 no socket";
}

TEST(SyscallFilter, WithoutTheFilterTheProbesAreNotRefused) {
  // The probes tell a filtered process from an unfiltered one: none of them
  // answers EPERM (or ENOSYS) on its own, whoever runs the tests.
  if (::prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 0) GTEST_SKIP() << "the tests already run under a seccomp filter";
  for (const auto& p : probe_denied_calls()) {
    if (p.call.starts_with("socket(AF_PACKET") || p.call.starts_with("reboot")) continue;  // EPERM unprivileged
    EXPECT_FALSE(p.held()) << p.call;
  }
}

}  // namespace
}  // namespace pxed::app
