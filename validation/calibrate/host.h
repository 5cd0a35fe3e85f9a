// The host fingerprint a profile records (host: in the profile), read from /proc, /sys and /boot.
#pragma once
#include <string>

namespace gmpsim::calibrate {

// s without leading and trailing white space.
std::string trim(std::string s);
// /proc/cpuinfo's first "model name"; "unknown" when none.
std::string cpu_model();
// The CPU bandwidth limit of this process's cgroup, with the file it came from.
std::string cgroup_cpu_limit();
// CONFIG_HZ from the kernel's config where a distribution installs it; 0 when not readable.
int kernel_hz(const std::string& release);
// CPUs this process may run on (sched_getaffinity); 0 when unknown.
int allowed_cpu_count();
// Now, as 2026-01-31T12:00:00Z.
std::string utc_now();

}  // namespace gmpsim::calibrate
