#pragma once
// The system calls pxed refuses itself once its sockets are bound and root is
// gone: what dist/pxed.service's SystemCallFilter=~@privileged @resources does
// under systemd, for a pxed started anywhere else, plus what a network daemon
// never needs (mount, ptrace, exec, namespaces, kernel keys, bpf, ...).
// A refused call returns EPERM instead of killing pxed: a call we did not
// foresee shows up as an error in a log line, not as a crashed boot server.
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace pxed::app {

// When a call is refused: always, or only with the arguments that matter.
enum class DenyWhen {
  always,
  namespace_flags,  // clone with a CLONE_NEW* flag; threads still start
  new_limit,        // prlimit64 setting a limit; glibc's getrlimit reads through it
  other_family,     // socket outside AF_UNIX, AF_INET, AF_INET6, AF_NETLINK (the unit's list)
};

struct Denial {
  std::string_view syscall;
  DenyWhen when = DenyWhen::always;
  int error = 0;  // the errno the call returns
};

struct FilterOptions {
  // No server.user: pxed stays root, and writes in a state dir that belongs to
  // someone else as that owner (store/state_file.hpp: setfsuid, and fchown
  // for SQLite's -wal as root), so those stay allowed.
  bool still_root = false;
};

// Every refusal, in the order the filter adds them; names the running kernel's
// architecture does not have (chown32 on x86-64) are skipped when applied.
std::vector<Denial> denied_syscalls(const FilterOptions& options);

// Loads the filter into every thread of the process (SCMP_FLTATR_CTL_TSYNC)
// and sets no_new_privs. An error says what libseccomp or the kernel refused;
// nothing is loaded then.
std::expected<void, std::string> apply_syscall_filter(const FilterOptions& options);

}  // namespace pxed::app
