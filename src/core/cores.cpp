#include "core/cores.hpp"

#include <sched.h>

#include <thread>

namespace pxed::core {

unsigned usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) {
    if (const int n = CPU_COUNT(&set); n > 0) return static_cast<unsigned>(n);
  }
  // More than CPU_SETSIZE cores, or no affinity to read: what the machine has.
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? n : 1;
}

}  // namespace pxed::core
