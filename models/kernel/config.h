// The kernel layer's configuration read from a scenario: the scheduler's policy and constants (kernel.*),
// the simulated process's cgroup (cgroup.*) and the background processes (machine.processes.*).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "models/kernel/mm.h"
#include "models/kernel/numa.h"
#include "models/kernel/sched.h"
#include "models/scenario/scenario.h"

namespace gmpsim::models::kernel {

struct KernelConfig {
  SchedParams params;
  std::vector<GroupSpec> groups;       // [0] the simulated process, then one per background process
  std::vector<ProcessSpec> processes;
  NumaTopology topology;               // machine.numa.*: give it to the Kernel with set_topology
};

// numactl --cpunodebind becomes group 0's affinity (GroupSpec::affinity), within its cpuset.
KernelConfig kernel_config(const Scenario& sc);

// cpu.max text ("max 100000", "50000 100000") as quota (-1 = max) and period in ns; throws a ScenarioError
// naming `key`.
void parse_cpu_max(const std::string& text, const std::string& key, sim::Time& quota, sim::Time& period);
// cpuset.cpus text ("0-3,6") as machine CPU indices; throws a ScenarioError naming `key`.
// Ids and inclusive ranges as the kernel's list files take them ("0-3,6"): each end is checked and mapped to an
// index by `index` (which throws naming the key) and a range covers the indices between its ends; sorted,
// without repeats. `form` describes the form for the error message. Throws a ScenarioError naming `key`.
std::vector<std::uint32_t> parse_id_list(const std::string& text, const std::string& key, const std::string& form,
                                         const std::function<std::uint32_t(long)>& index);
std::vector<std::uint32_t> parse_cpuset(const std::string& text, const std::string& key, const std::vector<int>& machine_cpus);

// Adds the kernel's counters to a model's: `kernel` (policy, switches, migrations, every cgroup's cpu.stat)
// and `cgroup`, the simulated process's cpu.stat with its per-period series when it has a quota.
void add_kernel_counters(const Kernel& ks, sim::Time end, nlohmann::ordered_json& counters);

// The memory model's settings: machine.memory, machine.page_cache, vm.*, cgroup.memory.*, the fault costs.
MmParams mm_params(const Scenario& sc);
// A cgroup v2 memory file's value: bytes ("512MiB", "1073741824") or "max" (-1); throws naming `key`.
std::int64_t parse_memory_limit(const std::string& text, const std::string& key);

// The CPU limit of the process's cgroup in CPUs (quota / period), or 0 without one.
double cgroup_cpu_limit(const GroupSpec& g);

}  // namespace gmpsim::models::kernel
