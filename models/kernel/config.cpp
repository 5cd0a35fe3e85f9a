#include "models/kernel/config.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "models/input/errors.h"
#include "models/input/units.h"
#include "models/workload/program.h"

namespace gmpsim::models::kernel {

namespace {

constexpr std::uint32_t kNoGroup = 0xffffffffu;

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// A process is in a cgroup of its own when any of its cgroup keys is given (a container, a systemd unit
// with CPU settings), else in the root cgroup with every other such process.
bool has_own_cgroup(const Scenario& sc, const std::string& prefix) {
  for (const char* k : {"cpu.max", "cpu.max_burst", "cpu.weight", "cpuset.cpus"}) {
    const ResolvedValue* v = sc.find(prefix + k);
    if (v != nullptr && v->origin != "default") return true;
  }
  return false;
}

GroupSpec read_group(const Scenario& sc, const std::string& prefix, const std::string& name) {
  GroupSpec g;
  g.name = name;
  parse_cpu_max(sc.text(prefix + "cpu.max"), prefix + "cpu.max", g.quota, g.period);
  g.burst = sc.duration(prefix + "cpu.max_burst");
  g.weight = static_cast<std::uint32_t>(sc.integer(prefix + "cpu.weight"));
  g.cpus = parse_cpuset(sc.text(prefix + "cpuset.cpus"), prefix + "cpuset.cpus", sc.machine.cpus);
  if (g.burst > 0 && g.quota < 0) {
    throw ScenarioError(prefix + "cpu.max_burst", "a burst needs a quota: set " + prefix + "cpu.max too");
  }
  if (g.burst > 0 && linux_version_code(sc.text("kernel.version")) < 5014) {
    throw ScenarioError(prefix + "cpu.max_burst", "cpu.max.burst exists from Linux 5.14; kernel.version is " +
                                                      sc.text("kernel.version"));
  }
  return g;
}

}  // namespace

void parse_cpu_max(const std::string& text, const std::string& key, sim::Time& quota, sim::Time& period) {
  std::istringstream in(text);
  std::string max, per, extra;
  in >> max >> per;
  const std::string hint = "expected \"$MAX $PERIOD\" in microseconds as the kernel's cpu.max has it, e.g. "
                           "\"max 100000\" (no limit) or \"50000 100000\" (half a CPU), not \"" + text + "\"";
  if (max.empty() || (in >> extra)) throw ScenarioError(key, hint);
  if (per.empty()) per = "100000";  // writing only $MAX keeps the period (cgroup-v2.rst)
  if (!all_digits(per)) throw ScenarioError(key, hint);
  const long long p = std::stoll(per);
  // cgroup-v2.rst and tg_set_cfs_bandwidth: period 1 ms .. 1 s, quota at least 1 ms.
  if (p < 1000 || p > 1000000) throw ScenarioError(key, "the period must be 1000..1000000 us (1 ms to 1 s), not " + per);
  period = static_cast<sim::Time>(p) * 1000;
  if (max == "max") {
    quota = -1;
    return;
  }
  if (!all_digits(max)) throw ScenarioError(key, hint);
  const long long q = std::stoll(max);
  if (q < 1000) throw ScenarioError(key, "the quota must be at least 1000 us (1 ms), not " + max);
  quota = static_cast<sim::Time>(q) * 1000;
}

std::vector<std::uint32_t> parse_id_list(const std::string& text, const std::string& key, const std::string& form,
                                         const std::function<std::uint32_t(long)>& index) {
  auto end = [&](const std::string& id) {
    if (!all_digits(id) || id.size() > 9) throw ScenarioError(key, "expected " + form + ", not \"" + text + "\"");
    return index(std::stol(id));
  };
  std::vector<std::uint32_t> out;
  std::istringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    const auto dash = part.find('-');
    if (dash == std::string::npos) {
      out.push_back(end(part));
      continue;
    }
    const std::uint32_t a = end(part.substr(0, dash)), b = end(part.substr(dash + 1));
    if (b < a) throw ScenarioError(key, "range " + part + " runs backwards");
    for (std::uint32_t c = a; c <= b; ++c) out.push_back(c);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::uint32_t> parse_cpuset(const std::string& text, const std::string& key, const std::vector<int>& machine_cpus) {
  if (text.empty()) return {};
  return parse_id_list(text, key, "CPU ids and ranges like \"0-3,6\"", [&](long c) {
    const auto it = std::find(machine_cpus.begin(), machine_cpus.end(), c);
    if (it == machine_cpus.end()) throw ScenarioError(key, "CPU " + std::to_string(c) + " is not one of machine.cpus");
    return static_cast<std::uint32_t>(it - machine_cpus.begin());
  });
}

void add_kernel_counters(const Kernel& ks, sim::Time end, nlohmann::ordered_json& c) {
  nlohmann::ordered_json k = ks.report(end);
  nlohmann::ordered_json cg = k["cgroups"].begin().value();  // the simulated process's (group 0)
  if (!ks.periods().empty()) {
    nlohmann::ordered_json t = nlohmann::ordered_json::array(), use = nlohmann::ordered_json::array(),
                           thr = nlohmann::ordered_json::array(), thr_us = nlohmann::ordered_json::array();
    for (const Kernel::PeriodRow& r : ks.periods()) {
      t.push_back(sim::to_seconds(r.end));
      use.push_back(r.usage / 1000);
      thr.push_back(r.throttled);
      thr_us.push_back(r.throttled_time / 1000);
    }
    cg["periods"] = {{"end_s", t}, {"usage_usec", use}, {"throttled", thr}, {"throttled_usec_total", thr_us}};
  }
  c["kernel"] = std::move(k);
  c["cgroup"] = std::move(cg);
}

double cgroup_cpu_limit(const GroupSpec& g) {
  return g.quota < 0 ? 0.0 : static_cast<double>(g.quota) / static_cast<double>(g.period);
}

KernelConfig kernel_config(const Scenario& sc) {
  KernelConfig k;
  const std::size_t ncpu = sc.machine.cpus.size();
  SchedParams& p = k.params;
  p.policy = sc.text("kernel.sched_policy") == "cfs" ? Policy::kCfs : Policy::kEevdf;
  p.wake_latency = sc.kernel.futex_wake;
  p.tick = static_cast<sim::Time>(1e9 / sc.kernel.hz);
  p.idle_exit = sc.duration("kernel.idle_exit");
  p.idle_poll = sc.duration("kernel.idle_poll");
  p.base_slice = scale_for_cpus(sc.duration("kernel.base_slice"), ncpu);
  p.sched_latency = scale_for_cpus(sc.duration("kernel.sched_latency"), ncpu);
  p.wakeup_granularity = scale_for_cpus(sc.duration("kernel.wakeup_granularity"), ncpu);
  p.nr_latency = static_cast<int>(sc.integer("kernel.nr_latency"));
  p.run_to_parity = sc.flag("kernel.run_to_parity");
  p.delay_dequeue = sc.flag("kernel.delay_dequeue");
  p.hrtick = sc.flag("kernel.hrtick");
  const std::string nohz = sc.text("kernel.nohz");
  p.nohz = nohz == "full" ? NoHz::kFull : nohz == "off" ? NoHz::kOff : NoHz::kIdle;
  p.tick_cost = sc.duration("kernel.tick_cost");
  p.context_switch = sc.duration("kernel.context_switch");
  p.wake_ipi = sc.duration("kernel.wake_ipi");
  p.sis_util = sc.flag("kernel.sis_util");
  p.migration_cost = sc.duration("kernel.sched_migration_cost");
  p.wake_pack_hot = sc.number("kernel.wake_pack_hot");
  p.wake_pack = sc.number("kernel.wake_pack");
  p.wake_pack_remote = sc.number("kernel.wake_pack_remote");
  if (p.tick_cost >= p.tick) {
    throw ScenarioError("kernel.tick_cost", "the tick's handler must take less than a tick (1/kernel.hz = " +
                                                std::to_string(p.tick / 1000) + " us), not " +
                                                std::to_string(p.tick_cost / 1000) + " us");
  }
  p.bandwidth_slice = sc.duration("kernel.bandwidth_slice");
  p.balance_interval = static_cast<sim::Time>(ncpu) * 1'000'000 * sc.integer("kernel.balance_busy_factor");

  GroupSpec root;
  root.name = "/";
  root.root = true;
  std::uint32_t root_index = 0;
  if (has_own_cgroup(sc, "cgroup.")) {
    k.groups.push_back(read_group(sc, "cgroup.", "process"));
    root_index = kNoGroup;
  } else {
    k.groups.push_back(root);
  }
  for (const std::string& name : sc.machine.processes) {
    const std::string base = "machine.processes." + name + ".";
    if (name == "process") throw ScenarioError(base, "`process` names the simulated process; choose another name");
    ProcessSpec ps;
    ps.name = name;
    if (!has_own_cgroup(sc, base + "cgroup.")) {
      if (root_index == kNoGroup) {
        root_index = static_cast<std::uint32_t>(k.groups.size());
        k.groups.push_back(root);
      }
      ps.group = root_index;
    } else {
      ps.group = static_cast<std::uint32_t>(k.groups.size());
      k.groups.push_back(read_group(sc, base + "cgroup.", name));
    }
    ps.threads = static_cast<std::uint32_t>(sc.integer(base + "threads"));
    ps.nice = static_cast<int>(sc.integer(base + "nice"));
    ps.burst = parse_dist(sc.find(base + "burst")->node, base + "burst");
    ps.sleep = parse_dist(sc.find(base + "sleep")->node, base + "sleep");
    ps.memory = sc.bytes(base + "memory");
    k.processes.push_back(std::move(ps));
  }
  if (root_index == kNoGroup) k.groups.push_back(root);  // kernel threads (kswapd) run in the root cgroup
  k.topology = numa_topology(sc);
  // numactl --cpunodebind: sched_setaffinity of the process to the nodes' CPUs, within its cpuset. The
  // affinity binds the process's threads only, not a root cgroup it may share with other processes.
  const std::vector<std::uint32_t> bind = cpunodebind_cpus(sc, k.topology);
  if (!bind.empty()) {
    GroupSpec& process = k.groups[0];
    for (std::uint32_t c : bind) {
      if (process.cpus.empty() || std::binary_search(process.cpus.begin(), process.cpus.end(), c)) process.affinity.push_back(c);
    }
    if (process.affinity.empty()) {
      throw ScenarioError("numactl.cpunodebind", "binds the process to node(s) " + sc.text("numactl.cpunodebind") +
                                                     ", whose CPUs are all outside cgroup.cpuset.cpus (" + sc.text("cgroup.cpuset.cpus") +
                                                     "): the process could run nowhere (sched_setaffinity fails with EINVAL)");
    }
  }
  return k;
}

std::int64_t parse_memory_limit(const std::string& text, const std::string& key) {
  if (text == "max") return -1;
  if (all_digits(text)) return std::stoll(text);  // the kernel's files take plain bytes
  try {
    return parse_bytes(text);
  } catch (const UnitError&) {
    throw ScenarioError(key, "expected bytes (\"512MiB\", \"1073741824\") or max, as the cgroup v2 file takes, not \"" + text + "\"");
  }
}

MmParams mm_params(const Scenario& sc) {
  MmParams p;
  p.memory = sc.bytes("machine.memory");
  p.page_cache = sc.bytes("machine.page_cache");
  if (p.page_cache > p.memory) {
    throw ScenarioError("machine.page_cache", "the page cache cannot be larger than machine.memory");
  }
  p.overcommit_memory = static_cast<int>(sc.integer("vm.overcommit_memory"));
  p.overcommit_ratio = static_cast<int>(sc.integer("vm.overcommit_ratio"));
  p.overcommit_kbytes = sc.integer("vm.overcommit_kbytes");
  p.admin_reserve_kbytes = sc.integer("vm.admin_reserve_kbytes");
  p.user_reserve_kbytes = sc.integer("vm.user_reserve_kbytes");
  p.cap_sys_admin = sc.flag("vm.cap_sys_admin");
  p.swappiness = static_cast<int>(sc.integer("vm.swappiness"));
  const std::string& mfk = sc.text("vm.min_free_kbytes");
  if (mfk == "auto") {
    p.min_free_kbytes = -1;
  } else if (all_digits(mfk)) {
    p.min_free_kbytes = std::stoll(mfk);
    // A reserve as large as the memory would leave nothing to allocate (the kernel lets root write it and
    // then OOM-kills everything): refused here.
    if (p.min_free_kbytes * 1024 >= p.memory) {
      throw ScenarioError("vm.min_free_kbytes", "must be smaller than machine.memory (" + std::to_string(p.memory / 1024) + " kB)");
    }
  } else {
    throw ScenarioError("vm.min_free_kbytes", "expected kilobytes as the sysctl takes them (e.g. 67584) or auto, not \"" + mfk + "\"");
  }
  p.watermark_scale_factor = static_cast<int>(sc.integer("vm.watermark_scale_factor"));
  p.max_map_count = sc.integer("vm.max_map_count");
  const std::string& thp = sc.text("vm.thp.enabled");
  p.thp = thp == "always" ? ThpEnabled::kAlways : thp == "madvise" ? ThpEnabled::kMadvise : ThpEnabled::kNever;
  const std::string& defrag = sc.text("vm.thp.defrag");
  p.defrag = defrag == "always"          ? ThpDefrag::kAlways
             : defrag == "defer"         ? ThpDefrag::kDefer
             : defrag == "defer+madvise" ? ThpDefrag::kDeferMadvise
             : defrag == "madvise"       ? ThpDefrag::kMadvise
                                         : ThpDefrag::kNever;
  p.max_ptes_none = static_cast<int>(sc.integer("vm.thp.max_ptes_none"));
  p.khugepaged_pages_to_scan = sc.integer("vm.thp.pages_to_scan");
  p.khugepaged_sleep = sc.duration("vm.thp.scan_sleep");
  p.compact = sc.duration("vm.thp.compaction_cost");
  p.swap_size = sc.bytes("vm.swap.size");
  p.swap_read = sc.duration("vm.swap.read_latency");
  p.swap_write = sc.duration("vm.swap.write_latency");
  p.reclaim_file = sc.duration("vm.reclaim_cost.file");
  p.reclaim_anon = sc.duration("vm.reclaim_cost.anon");
  p.fault = sc.duration("kernel.page_fault");
  p.fault_huge = sc.duration("kernel.page_fault_huge");
  p.memory_max = parse_memory_limit(sc.text("cgroup.memory.max"), "cgroup.memory.max");
  p.memory_high = parse_memory_limit(sc.text("cgroup.memory.high"), "cgroup.memory.high");
  p.swap_max = parse_memory_limit(sc.text("cgroup.memory.swap.max"), "cgroup.memory.swap.max");
  if (p.memory_max >= 0 && p.memory_max < 2 * kHugePages * kPage) {
    throw ScenarioError("cgroup.memory.max", "a limit under 4 MiB leaves a Go process nothing to start with; give at least 4MiB or max");
  }
  p.file_set = sc.bytes("workload.files.size");
  p.file_cached = sc.bytes("workload.files.cached");
  if (p.file_cached > p.file_set) {
    throw ScenarioError("workload.files.cached", "cannot be more than workload.files.size (" + std::to_string(p.file_set) + " bytes)");
  }
  if (p.page_cache + p.file_cached > p.memory) {
    throw ScenarioError("workload.files.cached", "with machine.page_cache it is more than machine.memory");
  }
  p.page_copy = sc.duration("kernel.page_copy");
  p.disk_read = sc.duration("machine.disk.read_latency");
  p.disk_bandwidth = sc.bytes("machine.disk.bandwidth");
  p.dirty_ratio = static_cast<int>(sc.integer("vm.dirty_ratio"));
  p.dirty_background_ratio = static_cast<int>(sc.integer("vm.dirty_background_ratio"));
  p.dirty_bytes = sc.bytes("vm.dirty_bytes");
  p.dirty_background_bytes = sc.bytes("vm.dirty_background_bytes");
  p.dirty_expire = sc.integer("vm.dirty_expire_centisecs") * 10'000'000;
  p.tick = static_cast<sim::Time>(1e9 / sc.kernel.hz);
  return p;
}

}  // namespace gmpsim::models::kernel
