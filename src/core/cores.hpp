#pragma once
// How many cores this process may run on: its CPU affinity (taskset,
// systemd's CPUAffinity=, a container's cpuset), not the machine's count.

namespace pxed::core {

// At least 1.
unsigned usable_cores();

}  // namespace pxed::core
