#include "app/sandbox.hpp"

#include <sched.h>
#include <seccomp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <memory>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

namespace pxed::app {
namespace {

// systemd 252's @privileged and @resources, expanded (`systemd-analyze
// syscall-filter @privileged @resources`), so a pxed outside systemd refuses
// what the unit refuses.
constexpr std::string_view kPrivileged[] = {
    // @chown (fchown: see FilterOptions)
    "chown", "chown32", "fchown32", "fchownat", "lchown", "lchown32",
    // @clock
    "adjtimex", "clock_adjtime", "clock_adjtime64", "clock_settime", "clock_settime64", "settimeofday",
    // @module, @raw-io, @reboot, @swap
    "delete_module", "finit_module", "init_module", "ioperm", "iopl", "pciconfig_iobase", "pciconfig_read",
    "pciconfig_write", "s390_pci_mmio_read", "s390_pci_mmio_write", "kexec_file_load", "kexec_load", "reboot",
    "swapoff", "swapon",
    // the rest of @privileged (setfsuid: see FilterOptions)
    "_sysctl", "acct", "bpf", "capset", "chroot", "fanotify_init", "fanotify_mark", "nfsservctl",
    "open_by_handle_at", "pivot_root", "quotactl", "quotactl_fd", "setdomainname", "setfsuid32", "setgroups",
    "setgroups32", "sethostname", "setresuid", "setresuid32", "setreuid", "setreuid32", "setuid", "setuid32",
    "vhangup",
    // @resources; its setrlimit is not how glibc sets limits: prlimit64 below
    "ioprio_set", "mbind", "migrate_pages", "move_pages", "nice", "sched_setaffinity", "sched_setattr",
    "sched_setparam", "sched_setscheduler", "set_mempolicy", "set_mempolicy_home_node", "setpriority",
    "setrlimit",
};

// Never needed once serving: the group ids go with the user ids; the rest is
// attack surface a boot server has no use for (pxed never execs a program).
constexpr std::string_view kNeverNeeded[] = {
    "setgid", "setgid32", "setregid", "setregid32", "setresgid", "setresgid32", "setfsgid32",
    "mount", "umount", "umount2", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
    "mount_setattr", "unshare", "setns",
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd",
    "execve", "execveat",
    "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key", "lookup_dcookie", "syslog",
    "personality", "modify_ldt", "uselib", "vm86", "vm86old", "mknod", "mknodat",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
};

// CLONE_NEWTIME is left out: clone(2) reads that bit as part of the exit signal.
constexpr unsigned long kNamespaceFlags[] = {CLONE_NEWNS,  CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
                                             CLONE_NEWUSER, CLONE_NEWPID,   CLONE_NEWNET};

// The families the unit's RestrictAddressFamilies leaves; all others refused.
constexpr int kFamilies[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};

struct FilterDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};

int add_rules(scmp_filter_ctx ctx, int nr, const Denial& d) {
  const auto action = SCMP_ACT_ERRNO(static_cast<std::uint32_t>(d.error));
  switch (d.when) {
    case DenyWhen::always:
      return seccomp_rule_add(ctx, action, nr, 0);
    case DenyWhen::namespace_flags:
      for (unsigned long flag : kNamespaceFlags) {
        if (int rc = seccomp_rule_add(ctx, action, nr, 1, SCMP_A0_64(SCMP_CMP_MASKED_EQ, flag, flag)); rc < 0) return rc;
      }
      return 0;
    case DenyWhen::new_limit:
      return seccomp_rule_add(ctx, action, nr, 1, SCMP_A2_64(SCMP_CMP_NE, 0));
    case DenyWhen::other_family: {
      // The kernel reads the family as an int: compare 32 bits, or a garbage
      // upper half would slip past. Refuse each gap between the allowed ones.
      int next = 0;
      for (int allowed : kFamilies) {
        for (int f = next; f < allowed; ++f) {
          if (int rc = seccomp_rule_add(ctx, action, nr, 1, SCMP_A0_32(SCMP_CMP_EQ, static_cast<std::uint32_t>(f))); rc < 0) return rc;
        }
        next = allowed + 1;
      }
      return seccomp_rule_add(ctx, action, nr, 1, SCMP_A0_32(SCMP_CMP_GE, static_cast<std::uint32_t>(next)));
    }
  }
  return -EINVAL;
}

}  // namespace

std::vector<Denial> denied_syscalls(const FilterOptions& options) {
  std::vector<Denial> out;
  for (auto name : kPrivileged) out.push_back({name, DenyWhen::always, EPERM});
  for (auto name : kNeverNeeded) out.push_back({name, DenyWhen::always, EPERM});
  if (!options.still_root) {
    for (auto name : {"setfsuid", "setfsgid", "fchown"}) out.push_back({name, DenyWhen::always, EPERM});
  }
  out.push_back({"clone", DenyWhen::namespace_flags, EPERM});
  // clone3 passes its flags in memory a filter cannot read: ENOSYS makes glibc
  // start threads with clone, whose flags it can.
  out.push_back({"clone3", DenyWhen::always, ENOSYS});
  out.push_back({"prlimit64", DenyWhen::new_limit, EPERM});
  out.push_back({"socket", DenyWhen::other_family, EPERM});
  return out;
}

std::expected<void, std::string> apply_syscall_filter(const FilterOptions& options) {
  std::unique_ptr<void, FilterDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return std::unexpected("seccomp_init failed");
  // Every thread (the worker pool already runs), and calls made through
  // another architecture's numbers (int 0x80) are refused whole, not let by.
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_TSYNC, 1); rc < 0) {
    return std::unexpected(fmt::format("seccomp: cannot filter every thread: {}", std::strerror(-rc)));
  }
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(EPERM)); rc < 0) {
    return std::unexpected(fmt::format("seccomp: cannot set the foreign-architecture action: {}", std::strerror(-rc)));
  }
  for (const auto& d : denied_syscalls(options)) {
    const int nr = seccomp_syscall_resolve_name(std::string(d.syscall).c_str());
    if (nr < 0) continue;  // not a system call on this architecture
    if (int rc = add_rules(ctx.get(), nr, d); rc < 0) {
      return std::unexpected(fmt::format("seccomp: cannot refuse {}: {}", d.syscall, std::strerror(-rc)));
    }
  }
#if defined(__SANITIZE_ADDRESS__)
  // LeakSanitizer stops the world with ptrace at exit, which the filter
  // refuses: in a sanitizer build the leak check runs now, once, instead
  // (AddressSanitizer's other checks stay on to the end).
  __lsan_do_leak_check();
#endif
  if (int rc = seccomp_load(ctx.get()); rc < 0) {
    return std::unexpected(fmt::format("seccomp: the kernel refused the filter: {}", std::strerror(-rc)));
  }
  return {};
}

}  // namespace pxed::app
