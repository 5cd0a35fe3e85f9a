#include "validation/calibrate/host.h"

#include <sched.h>

#include <cctype>
#include <cstdlib>
#include <ctime>
#include <sstream>

#include "validation/calibrate/benchmarks.h"

namespace gmpsim::calibrate {

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::string cpu_model() {
  std::istringstream in(read_text_file("/proc/cpuinfo"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) return trim(line.substr(line.find(':') + 1));
  }
  return "unknown";
}

// v2 cpu.max (Documentation/admin-guide/cgroup-v2.rst), else the v1 cpu controller's cpu.cfs_quota_us and
// cpu.cfs_period_us (Documentation/scheduler/sched-bwc.rst): the project's VMs have the cpu controller on
// v1 (host.cgroup_cpu_limit in validation/results/host.yaml).
std::string cgroup_cpu_limit() {
  std::istringstream in(read_text_file("/proc/self/cgroup"));
  std::string v2_path, v1_path;
  for (std::string line; std::getline(in, line);) {
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (line.rfind("0::", 0) == 0) v2_path = path;
    std::istringstream cs(controllers);
    for (std::string c; std::getline(cs, c, ',');) {
      if (c == "cpu") v1_path = path;
    }
  }
  for (const std::string& dir : {"/sys/fs/cgroup" + v2_path, std::string("/sys/fs/cgroup")}) {
    const std::string max = trim(read_text_file(dir + "/cpu.max"));
    if (!max.empty()) return max + " (cgroup v2 " + dir + "/cpu.max)";
  }
  for (const std::string& dir : {"/sys/fs/cgroup/cpu" + v1_path, std::string("/sys/fs/cgroup/cpu")}) {
    const std::string quota = trim(read_text_file(dir + "/cpu.cfs_quota_us"));
    const std::string period = trim(read_text_file(dir + "/cpu.cfs_period_us"));
    if (!quota.empty()) return (quota == "-1" ? "max" : quota) + " " + period + " (cgroup v1 " + dir + ", us)";
  }
  return "unavailable (no cpu.max or cpu.cfs_quota_us readable)";
}

int kernel_hz(const std::string& release) {
  std::istringstream in(read_text_file("/boot/config-" + release));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("CONFIG_HZ=", 0) == 0) return std::atoi(line.c_str() + 10);
  }
  return 0;
}

int allowed_cpu_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  return sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 0;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace gmpsim::calibrate
