// The go model's parameters, read once from the resolved scenario's typed values (see
// models/scenario/params.cpp for each key's meaning and source).
#include <algorithm>
#include <cmath>

#include "models/go/gorun.h"
#include "models/input/units.h"
#include "models/kernel/config.h"

namespace gmpsim::models::go {

Params::Params(const Scenario& sc) {
  auto dur = [&](const char* key) { return sc.duration(key); };
  auto integer = [&](const char* key) { return static_cast<std::uint32_t>(sc.integer(key)); };
  auto flag = [&](const char* key) { return sc.flag(key); };
  auto bytes = [&](const char* key) { return sc.bytes(key); };
  kcfg = kernel::kernel_config(sc);
  // defaultGOMAXPROCS (proc.go, go1.25+): the CPUs of the affinity mask (getproccount: the cpuset, within
  // numactl --cpunodebind's nodes), lowered to the cgroup CPU limit rounded up, at least 2
  // (adjustCgroupGOMAXPROCS), unless GODEBUG=containermaxprocs=0.
  // go1.19 takes the CPU count only. automaxprocs sets GOMAXPROCS explicitly at start-up to floor(limit), >= 1.
  const kernel::GroupSpec& cg = kcfg.groups[0];
  const auto ncpu = static_cast<std::uint32_t>(!cg.affinity.empty() ? cg.affinity.size()
                                               : cg.cpus.empty()      ? sc.machine.cpus.size()
                                                                      : cg.cpus.size());
  const double limit = kernel::cgroup_cpu_limit(cg);
  default_gomaxprocs = ncpu;
  if (flag("runtime.containermaxprocs") && limit > 0) {
    const auto lim = static_cast<std::uint32_t>(std::max(2.0, std::ceil(limit)));
    default_gomaxprocs = std::min(default_gomaxprocs, lim);
  }
  gomaxprocs = integer("runtime.gomaxprocs");
  gomaxprocs_set = gomaxprocs != 0;
  if (!gomaxprocs_set && flag("runtime.automaxprocs") && limit > 0) {
    gomaxprocs = static_cast<std::uint32_t>(std::max(1.0, std::floor(limit)));
    gomaxprocs_set = true;  // runtime.GOMAXPROCS(n) disables the runtime's own updates
  }
  if (gomaxprocs == 0) gomaxprocs = default_gomaxprocs;
  updatemaxprocs = flag("runtime.updatemaxprocs");
  runq_size = integer("runtime.runq_size");
  if ((runq_size & (runq_size - 1)) != 0) throw ScenarioError("runtime.runq_size", "must be a power of two (the runtime indexes the ring with a mask)");
  // Every P's ring is allocated up front (4 bytes a slot): refuse what the simulator cannot hold.
  if (const double ring_bytes = 4.0 * static_cast<double>(runq_size) * gomaxprocs;
      sc.run.max_memory > 0 && ring_bytes > static_cast<double>(sc.run.max_memory)) {
    throw ScenarioError("runtime.runq_size", std::to_string(gomaxprocs) + " Ps with " + std::to_string(runq_size) + "-slot run queues need " +
                                                 format_bytes(static_cast<std::int64_t>(ring_bytes)) + " of simulator memory, over run.max_memory (" +
                                                 format_bytes(sc.run.max_memory) + "); use a smaller ring (Go's is 256) or raise run.max_memory");
  }
  global_check = integer("runtime.global_runq_check_period");
  steal_tries = integer("runtime.steal_tries");
  fuse_steal = flag("run.fuse_steal_rounds");
  fuse_execute = flag("run.fuse_execute");
  runnext_backoff = dur("runtime.runnext_steal_backoff");
  recheck_after_spinning = flag("runtime.recheck_after_spinning");
  runnext = flag("runtime.runnext");
  gosched_wakep = flag("runtime.gosched_wakep");
  const std::string& entry = sc.text("runtime.arrivals");
  arrivals = entry == "accept" ? Entry::kAccept : entry == "generator" ? Entry::kGenerator
           : entry == "netpoll" ? Entry::kNetpoll : Entry::kGlobal;
  connections = integer("runtime.connections");
  cost_gopark = dur("runtime.cost.gopark");
  cost_goready = dur("runtime.cost.goready");
  cost_schedule = dur("runtime.cost.schedule");
  cost_newproc = dur("runtime.cost.newproc");
  cost_goexit = dur("runtime.cost.goexit");
  cost_steal = dur("runtime.cost.steal");
  cost_global = dur("runtime.cost.global_runq");
  cost_chan = dur("runtime.cost.chan");
  cache_line = dur("kernel.cache_line_transfer");
  lines_newproc = integer("runtime.cache_lines.newproc");
  lines_execute = integer("runtime.cache_lines.execute");
  lines_sync = integer("runtime.cache_lines.sync");
  lines_runq = integer("runtime.cache_lines.runq");
  cost_g_cold = dur("runtime.cost.g_cold");
  cache_reach = bytes("kernel.cache_reach");
  g_cache_bytes = bytes("runtime.mem.g_cache_bytes");
  steal_node_first = sc.text("runtime.numa.steal") == "node_first";
  p_affinity = sc.flag("runtime.numa.p_affinity");
  cost_mutex = dur("runtime.cost.mutex");
  mutex_spin = dur("runtime.mutex_spin");
  mutex_active_spin = integer("runtime.mutex_active_spin");
  mutex_starvation = dur("runtime.mutex_starvation");
  cost_timer = dur("runtime.cost.timer");
  netpoll_max_events = integer("runtime.netpoll_max_events");
  stack_guard = bytes("runtime.stack_guard");
  cost_newstack = dur("runtime.cost.newstack");
  stack_copy_rate = sc.number("runtime.stack_copy_rate");
  syscall = dur("kernel.syscall");
  sysmon = flag("runtime.sysmon");
  asyncpreemptoff = flag("runtime.asyncpreemptoff");
  sysmon_min_delay = dur("runtime.sysmon_min_delay");
  sysmon_max_delay = dur("runtime.sysmon_max_delay");
  sysmon_idle_cycles = integer("runtime.sysmon_idle_cycles");
  cost_sysmon = dur("runtime.cost.sysmon");
  force_preempt = dur("runtime.force_preempt");
  syscall_grace = dur("runtime.syscall_grace");
  sysmon_netpoll = dur("runtime.sysmon_netpoll");
  forcegc_period = dur("runtime.forcegc_period");
  preempt_spacing = dur("runtime.preempt_point_spacing");
  starvation_limit = dur("runtime.starvation_limit");
  async_unsafe_fraction = sc.number("runtime.async_unsafe_fraction");
  signal_ipi = dur("kernel.signal_ipi");
  signal_self = dur("kernel.signal_self");
  signal_blocked = dur("kernel.signal_blocked");
  epoll_unit = dur("kernel.epoll_timeout_unit");
  mem_g = bytes("runtime.mem.g_struct");
  mem_stack = bytes("runtime.mem.stack_min");
  mem_sudog = bytes("runtime.mem.sudog");
  mem_m = bytes("runtime.mem.m");
  mem_base = bytes("runtime.mem.base");
  heap_metadata = sc.number("runtime.mem.heap_metadata");
  max_threads = integer("runtime.max_threads");
  if (max_threads < 1) throw ScenarioError("runtime.max_threads", "must be at least 1");
  schedtrace = dur("runtime.schedtrace");
  scheddetail = flag("runtime.scheddetail");
  old_trace_format = sc.text("runtime.schedtrace_format") == "go1.19";
  timer_slack = sc.kernel.timer_slack;
  // The collector.
  const std::string& gogc = sc.text("runtime.gogc");
  if (gogc == "off") {
    pacer.gogc = -1;
  } else {
    char* end = nullptr;
    const long v = std::strtol(gogc.c_str(), &end, 10);
    if (gogc.empty() || *end != '\0' || v < 0 || v > 1'000'000) {
      throw ScenarioError("runtime.gogc", "expected a percentage such as 100 (0 to 1000000) or off, got `" + gogc + "`");
    }
    pacer.gogc = static_cast<int>(v);
  }
  const std::string& memlimit = sc.text("runtime.gomemlimit");
  if (memlimit != "off") {
    try {
      pacer.memory_limit = parse_bytes(memlimit);
    } catch (const UnitError& e) {
      throw ScenarioError("runtime.gomemlimit", std::string(e.what()) + " (a size such as 512MiB, or off)");
    }
    if (pacer.memory_limit <= 0) throw ScenarioError("runtime.gomemlimit", "must be a positive size such as 512MiB, or off");
  }
  pacer.pi_controller = sc.text("runtime.gc_cons_mark") == "pi_controller";
  pacer.headroom_percent = static_cast<int>(sc.integer("runtime.gc_limit_headroom_percent"));
  gctrace = flag("runtime.gctrace");
  gc_idle_worker_cap = flag("runtime.gc_idle_worker_cap");
  gc_assign_workers = flag("runtime.gc_assign_workers");
  gc_quantum = dur("runtime.gc_drain_quantum");
  cost_scan_g = dur("runtime.cost.gc_scan_g");
  cost_sweep_term = dur("runtime.cost.gc_sweep_term");
  cost_mark_term = dur("runtime.cost.gc_mark_term");
  cost_sweep_span = dur("runtime.cost.gc_sweep_span");
  cost_malloc = dur("runtime.cost.malloc");
  scan_ns_per_byte = static_cast<double>(dur("runtime.cost.gc_scan_kib")) / 1024.0;
  stack_scan_ns_per_byte = static_cast<double>(dur("runtime.cost.gc_scan_stack_kib")) / 1024.0;
  cost_mark_roots = dur("runtime.cost.gc_mark_roots");
  malloc_ns_per_byte = static_cast<double>(dur("runtime.cost.malloc_kib")) / 1024.0;
  stack_in_use = sc.number("runtime.gc_stack_in_use");
  gcshrinkstackoff = flag("runtime.gcshrinkstackoff");
  adaptivestackstart = flag("runtime.adaptivestackstart");
  scan_fraction = sc.number("workload.heap.scan_fraction");
  heap_live0 = bytes("workload.heap.live");
  heap_globals = bytes("workload.heap.globals");
  heap_object_size = bytes("workload.heap.object_size");
  cost_mark_object = dur("runtime.cost.gc_mark_object");
  page_release = dur("kernel.page_release");
  thread_create = sc.kernel.thread_create;
  mm = kernel::mm_params(sc);
  cgo = flag("runtime.cgo");
  // The heap's THP eligibility. go1.19 marks MADV_HUGEPAGE only the huge-page-aligned interior of a span it
  // reuses (mem_linux.go sysUsedOS -> sysHugePageOS): small-object spans never; go1.21.1+ marks nothing.
  // So `madvise` leaves the heap on small pages for both; `always` gives it huge pages unless
  // GODEBUG=disablethp=1 (go1.21.6+) marks it MADV_NOHUGEPAGE.
  const bool disablethp = flag("runtime.disablethp");
  if (disablethp && sc.text("runtime.version") == "go1.19") {
    throw ScenarioError("runtime.disablethp", "GODEBUG=disablethp exists from go1.21.6; runtime.version is go1.19");
  }
  heap_thp = mm.thp == kernel::ThpEnabled::kAlways && !disablethp;
  // go1.19's mem_linux.go: sysUnusedOS (the scavenger) marks what it releases MADV_NOHUGEPAGE, so khugepaged
  // leaves it alone, and sysUsedOS marks whole huge pages of memory used again MADV_HUGEPAGE, so under
  // `madvise` too a reused range faults huge pages. go1.21.1+ dropped both (mem_linux.go: no hugepage calls).
  heap_thp_toggle = sc.text("runtime.version") == "go1.19";
  // RLIMIT_NOFILE (fd.cpp). setrlimit(2) refuses a soft limit above the hard one (EINVAL).
  nofile_soft = sc.integer("rlimit.nofile");
  nofile_hard = sc.integer("rlimit.nofile_hard");
  if (nofile_soft > nofile_hard) {
    throw ScenarioError("rlimit.nofile", "the soft limit " + std::to_string(nofile_soft) + " is above the hard limit rlimit.nofile_hard (" +
                                             std::to_string(nofile_hard) + "); setrlimit(2) refuses that (EINVAL): lower it or raise rlimit.nofile_hard");
  }
  nofile_fail = sc.text("rlimit.on_emfile") == "fail";
  // Go raises the soft limit to the hard one at init (go.dev/issue/46279). go1.19.8 (os/rlimit.go): when
  // Cur != Max, Cur = Max. go1.26.8 (syscall/rlimit.go): when Max > 0 and Cur < Max-1,
  // Cur = Max - 1 (one below, so that a later prlimit to Max by another process can be told apart).
  // adjustFileLimit is a no-op on Linux in both.
  const bool go119 = sc.text("runtime.version") == "go1.19";
  nofile = nofile_soft;
  if (flag("runtime.raise_nofile")) {
    if (go119) {
      nofile = nofile_hard;
    } else if (nofile_hard > 0 && nofile_soft < nofile_hard - 1) {
      nofile = nofile_hard - 1;
    }
  }
  // netpollinit (runtime/netpoll_epoll.go): epoll_create1 and, for netpollBreak, an eventfd (go1.26.8)
  // or a non-blocking pipe, two fds (go1.19.8).
  netpoll_fds = go119 ? 3 : 2;
}

}  // namespace gmpsim::models::go
