#include "models/scenario/params.h"

#include <sstream>

#include "models/scenario/catalog.h"

namespace gmpsim::models {
namespace {

constexpr double kNs = 1;
constexpr double kHour = 3600e9;

// The table. Each source cell says where its default comes from: the Go runtime source (file, function or
// constant, Go version), the kernel source or documentation, Boost.Fiber at boost-1.74.0, a measurement on
// the project's 2-vCPU VM (the committed calibrations are under validation/results/), or that it is an estimate.
const ParamSpec kParams[] = {
    // ---- scenario ----
    {"description", ParamType::kString, "\"\"", "Free text shown in reports.", "-"},

    // ---- machine ----
    {"machine.cpus", ParamType::kCpuSet, "4",
     "CPUs of the machine: a count (ids 0..n-1) or a list of CPU ids.", "chosen default: a small server",
     "", "", 1, 4096},
    {"machine.memory", ParamType::kBytes, "16GiB", "Physical memory of the machine.", "chosen default", "", "",
     1, 1e18},
    {"machine.numa.nodes", ParamType::kNumaNodes, "[]",
     "NUMA nodes as lists of CPU ids, a partition of machine.cpus; [] means one node holding every CPU.",
     "Linux default for a single-socket machine"},
    {"machine.numa.preset", ParamType::kEnum, "none",
     "A machine shape: its node and socket count and the latency and bandwidth keys below (a key given in the "
     "scenario still wins). xeon-2s: two Intel Xeon sockets, a node each; epyc-nps2 and epyc-nps4: one AMD EPYC "
     "socket in NPS2 (two nodes) or NPS4 (four); epyc-2s: two EPYC sockets in NPS1; epyc-2s-nps4: two in NPS4 "
     "(eight nodes). The CPUs split into contiguous equal nodes unless machine.numa.nodes lists them.",
     "xeon-2s: Intel MLC v3.10 on a 2-socket Ice Lake SP (github.com/gjbex/Code-optimization info/icelake_mlc.txt): "
     "89/143 ns, 175.7 GB/s a node, 55.7 GB/s across; epyc-*: estimates (models/kernel/README.md#numa)",
     "", "none|xeon-2s|epyc-nps2|epyc-nps4|epyc-2s|epyc-2s-nps4"},
    {"machine.numa.sockets", ParamType::kInt, "1",
     "Sockets the nodes are split over (in order, equally): nodes on one socket are `near`, on two `remote`.",
     "-", "", "", 1, 16},
    {"machine.numa.latency.local", ParamType::kDuration, "90ns",
     "Idle load-to-use latency of DRAM on the CPU's own node.",
     "Intel MLC idle latency, 2-socket Xeon: 80.8 ns (Cascade Lake), 89.2 ns (Ice Lake) "
     "(github.com/gjbex/Code-optimization info/*_mlc.txt)", "", "", 1, 1e6},
    {"machine.numa.latency.near", ParamType::kDuration, "105ns",
     "Latency of DRAM on another node of the same socket (AMD EPYC NPS2/NPS4 quadrants).",
     "estimate: another quadrant of the EPYC I/O die is 10-20 % slower than the local one", "", "", 1, 1e6},
    {"machine.numa.latency.remote", ParamType::kDuration, "140ns",
     "Latency of DRAM on a node of another socket.",
     "Intel MLC idle latency, 2-socket Xeon: 140.4 ns (Cascade Lake), 142.7 ns (Ice Lake) "
     "(github.com/gjbex/Code-optimization info/*_mlc.txt)", "", "", 1, 1e6},
    {"machine.numa.bandwidth", ParamType::kBytes, "110GB",
     "Bytes per second one node's memory controllers serve, all CPUs reading (past it, memory time queues).",
     "Intel MLC bandwidth matrix, read-only, local: 113 GB/s (Cascade Lake), 175.7 GB/s (Ice Lake) a node",
     "", "", 1, 1e15},
    {"machine.numa.link_bandwidth", ParamType::kBytes, "34GB",
     "Bytes per second between two sockets each way (UPI, xGMI): remote reads share it.",
     "Intel MLC bandwidth matrix, read-only, node 0 <- node 1: 34.3 GB/s (Cascade Lake), 55.7 GB/s (Ice Lake)",
     "", "", 1, 1e15},
    {"machine.numa.core_bandwidth", ParamType::kBytes, "12GB",
     "Bytes per second one core streams from local memory: the traffic a memory-bound step puts on its node "
     "while it runs.",
     "estimate: one Xeon core sustains 10-15 GB/s (line fill buffers x 64 B / latency)", "", "", 1, 1e15},
    {"machine.numa.llc_refetch", ParamType::kFloat, "0.25",
     "Cost of refetching a goroutine's working set after it moved to another CPU of the same node, relative to "
     "refetching it from DRAM (the node's shared last-level cache still holds most of it); across nodes it is "
     "refetched from memory. 1 where the LLC is per core complex (AMD EPYC: several per node).",
     "estimate: an LLC hit of ~20-25 ns against 89 ns DRAM on Ice Lake SP (Intel MLC idle latency)", "", "", 0, 1},
    {"machine.numa.line_ratio", ParamType::kFloat, "2.0",
     "Cost of a cache line moved between CPUs of two sockets, relative to two CPUs of one socket "
     "(kernel.cache_line_transfer).",
     "Intel MLC cache-to-cache HITM latency, Ice Lake SP: 64.2 ns local socket, 127.1 ns remote (1.98x); "
     "Cascade Lake 49.3 / 114.1 ns", "go", "", 1, 100},
    {"machine.processes.*.threads", ParamType::kInt, "1",
     "Threads of a background process (a neighbour sharing the CPUs), each alternating a CPU burst and a sleep.",
     "-", "", "", 1, 100000},
    {"machine.processes.*.nice", ParamType::kInt, "0", "Nice value of the process's threads (load weight).",
     "kernel/sched/core.c sched_prio_to_weight", "", "", -20, 19},
    {"machine.processes.*.burst", ParamType::kDist, "",
     "CPU time of each burst of a thread (a duration or a distribution).", "-", "", "", 0, 1e18, "", true},
    {"machine.processes.*.sleep", ParamType::kDist, "0s",
     "Sleep after each burst (0s: always runnable, a CPU hog).", "-", "", "", 0, 1e18},
    {"machine.processes.*.memory", ParamType::kBytes, "0B",
     "Anonymous memory the background process holds (committed and resident from the start; it competes for "
     "RAM with the simulated process, can be swapped out and OOM-killed).", "-", "go", "", 0, 1e18},
    {"machine.page_cache", ParamType::kBytes, "0B",
     "Clean page cache at start (files other processes read): the first thing reclaim takes.", "-", "go", "", 0, 1e18},
    {"machine.processes.*.cgroup.cpu.max", ParamType::kString, "max 100000",
     "The background process's cgroup cpu.max (same form as cgroup.cpu.max). Setting any of its cgroup keys gives "
     "it a cgroup of its own; without, its threads compete one for one in the root cgroup.",
     "Documentation/admin-guide/cgroup-v2.rst, CPU"},
    {"machine.processes.*.cgroup.cpu.max_burst", ParamType::kDuration, "0s",
     "The process's cgroup cpu.max.burst.", "Documentation/admin-guide/cgroup-v2.rst, CPU", "", "", 0, 1e18},
    {"machine.processes.*.cgroup.cpu.weight", ParamType::kInt, "100", "The process's cgroup cpu.weight.",
     "Documentation/admin-guide/cgroup-v2.rst, CPU: default 100, range 1-10000", "", "", 1, 10000},
    {"machine.processes.*.cgroup.cpuset.cpus", ParamType::kString, "\"\"",
     "CPUs the process may run on (cpuset.cpus form, e.g. \"0-1,3\"); empty = every CPU.",
     "Documentation/admin-guide/cgroup-v2.rst, Cpuset"},

    // ---- cgroup (the simulated process's own) ----
    {"cgroup.cpu.max", ParamType::kString, "max 100000",
     "CPU bandwidth limit of the process's cgroup: \"$MAX $PERIOD\" in microseconds, $MAX a number or max "
     "(\"50000 100000\" = half a CPU).",
     "Documentation/admin-guide/cgroup-v2.rst, CPU: cpu.max default \"max 100000\"; "
     "Documentation/scheduler/sched-bwc.rst"},
    {"cgroup.cpu.max_burst", ParamType::kDuration, "0s",
     "cpu.max.burst: unused quota that may carry over to the next period (Linux 5.14+).",
     "Documentation/admin-guide/cgroup-v2.rst, CPU: cpu.max.burst default 0; sched-bwc.rst \"Burst feature\"",
     "", "", 0, 1e18},
    {"cgroup.cpu.weight", ParamType::kInt, "100",
     "cpu.weight: the process's share of CPU against sibling cgroups. Setting any cgroup key puts the process in a "
     "cgroup of its own (a container); without, it shares the root cgroup with background processes that set none.",
     "Documentation/admin-guide/cgroup-v2.rst, CPU: default 100, range 1-10000", "", "", 1, 10000},
    {"cgroup.cpuset.cpus", ParamType::kString, "\"\"",
     "CPUs the process may run on (\"0-1,3\"); empty = every CPU. Go counts them as its CPUs (sched_getaffinity).",
     "Documentation/admin-guide/cgroup-v2.rst, Cpuset"},

    {"cgroup.cpuset.mems", ParamType::kString, "\"\"",
     "Memory nodes the process may allocate on (\"0-1\"); empty = every node. Its memory policy applies within them.",
     "Documentation/admin-guide/cgroup-v2.rst, Cpuset: cpuset.mems"},
    {"numactl.membind", ParamType::kString, "\"\"",
     "numactl --membind: allocate only on these nodes (\"0\", \"0,1\", \"all\"), nearest the toucher first.",
     "numactl(8); mm/mempolicy.c MPOL_BIND"},
    {"numactl.interleave", ParamType::kString, "\"\"",
     "numactl --interleave: pages round-robin over these nodes (\"all\" or a list).",
     "numactl(8); mm/mempolicy.c MPOL_INTERLEAVE"},
    {"numactl.preferred", ParamType::kString, "\"\"",
     "numactl --preferred: allocate on this node while it has memory, then fall back by distance.",
     "numactl(8); mm/mempolicy.c MPOL_PREFERRED"},
    {"numactl.cpunodebind", ParamType::kString, "\"\"",
     "numactl --cpunodebind: run only on the CPUs of these nodes (intersected with cgroup.cpuset.cpus). Go "
     "counts them as its CPUs.",
     "numactl(8); sched_setaffinity(2)"},

    {"cgroup.memory.max", ParamType::kString, "max",
     "memory.max of the process's cgroup: bytes (\"512MiB\") or max. Over it the group reclaims its own pages "
     "(to swap if it may); when nothing is left, the memcg OOM killer ends the process (outcome oom_killed).",
     "Documentation/admin-guide/cgroup-v2.rst, Memory: memory.max default max; mm/memcontrol.c try_charge_memcg",
     "go"},
    {"cgroup.memory.high", ParamType::kString, "max",
     "memory.high: over it, each charge reclaims the excess and then sleeps a penalty growing with the square of "
     "the overage (at most 2 s), the process never killed for it.",
     "Documentation/admin-guide/cgroup-v2.rst, Memory; mm/memcontrol.c mem_cgroup_handle_over_high, "
     "calculate_high_delay", "go"},
    {"cgroup.memory.swap.max", ParamType::kString, "max",
     "memory.swap.max: swap the group may use (bytes or max).",
     "Documentation/admin-guide/cgroup-v2.rst, Memory: memory.swap.max default max", "go"},

    // ---- vm: the kernel's memory management (sysctl vm.*, THP, the swap device) ----
    {"vm.overcommit_memory", ParamType::kInt, "0",
     "0: heuristic (refuse one mapping larger than RAM + swap), 1: never refuse, 2: refuse when Committed_AS "
     "would exceed CommitLimit. A refused heap mapping is Go's `fatal error: runtime: out of memory`.",
     "Documentation/admin-guide/sysctl/vm.rst overcommit_memory (default 0); Documentation/mm/overcommit-accounting.rst; "
     "mm/util.c __vm_enough_memory", "go", "", 0, 2},
    {"vm.overcommit_ratio", ParamType::kInt, "50",
     "Mode 2: CommitLimit = RAM x ratio / 100 + swap (unless vm.overcommit_kbytes).",
     "vm.rst overcommit_ratio (default 50); mm/util.c vm_commit_limit", "go", "", 0, 10000},
    {"vm.overcommit_kbytes", ParamType::kInt, "0",
     "Mode 2: CommitLimit = this + swap instead of the ratio (0: use the ratio).",
     "vm.rst overcommit_kbytes (default 0)", "go", "", 0, 1e15},
    {"vm.admin_reserve_kbytes", ParamType::kInt, "8192",
     "Mode 2: kept back from a process without CAP_SYS_ADMIN (vm.cap_sys_admin false).",
     "vm.rst admin_reserve_kbytes: min(3 % of free pages, 8 MiB) at boot (mm/util.c init_admin_reserve)", "go", "", 0, 1e15},
    {"vm.user_reserve_kbytes", ParamType::kInt, "131072",
     "Mode 2: kept back from each process, at most 1/32 of its size.",
     "vm.rst user_reserve_kbytes: min(3 % of the process size, 128 MiB) (mm/util.c init_user_reserve)", "go", "", 0, 1e15},
    {"vm.cap_sys_admin", ParamType::kBool, "false",
     "The simulated process has CAP_SYS_ADMIN (root in a privileged container): mode 2 lets it use the admin reserve.",
     "mm/util.c __vm_enough_memory", "go"},
    {"vm.swappiness", ParamType::kInt, "60",
     "Relative cost of swapping anonymous pages against dropping page cache (0-200). 0 does not disable swap: "
     "global reclaim still swaps when page cache is nearly gone; a cgroup's own reclaim (memory.max) does not.",
     "vm.rst swappiness (default 60, range 0-200 since 5.8); mm/vmscan.c get_scan_count", "go", "", 0, 200},
    {"vm.min_free_kbytes", ParamType::kString, "auto",
     "Free memory the kernel keeps: the min watermark; low and high are above it (vm.watermark_scale_factor). "
     "auto: sqrt(RAM_kB x 16) within [128 kB, 256 MiB], raised by khugepaged when THP is on.",
     "mm/page_alloc.c calculate_min_free_kbytes, __setup_per_zone_wmarks; mm/khugepaged.c "
     "set_recommended_min_free_kbytes (67584 kB on the project's 24 GiB VM, THP madvise)", "go"},
    {"vm.watermark_scale_factor", ParamType::kInt, "10",
     "Gap between the watermarks in 1/10000 of memory (when larger than min/4): how early kswapd wakes and how far "
     "it reclaims.", "vm.rst watermark_scale_factor (default 10, range 1-3000)", "go", "", 1, 3000},
    {"vm.max_map_count", ParamType::kInt, "65530",
     "Mappings a process may have. Go's goroutines take none; cgo threads (runtime.cgo) take two each.",
     "vm.rst max_map_count (DEFAULT_MAX_MAP_COUNT = 65530)", "go,boost-fiber-ws", "", 1, 2147483647},
    {"vm.thp.enabled", ParamType::kEnum, "always",
     "Transparent huge pages: always, madvise (only MADV_HUGEPAGE ranges) or never. A 2 MiB fault replaces 512 small "
     "ones and makes the whole 2 MiB resident.",
     "Documentation/admin-guide/mm/transhuge.rst; Debian's kernels: CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS", "go",
     "always|madvise|never"},
    {"vm.thp.defrag", ParamType::kEnum, "madvise",
     "Whether a huge-page fault with memory short stalls in direct compaction (always; madvise, defer+madvise: for "
     "MADV_HUGEPAGE ranges) or falls back to small pages (defer, never).",
     "transhuge.rst /sys/kernel/mm/transparent_hugepage/defrag (default madvise)", "go",
     "always|defer|defer+madvise|madvise|never"},
    {"vm.thp.max_ptes_none", ParamType::kInt, "511",
     "khugepaged collapses a 2 MiB range with at most this many unmapped pages, filling them (RSS grows).",
     "transhuge.rst khugepaged/max_ptes_none (default HPAGE_PMD_NR - 1 = 511)", "go", "", 0, 511},
    {"vm.thp.pages_to_scan", ParamType::kInt, "4096", "Pages khugepaged scans per wake-up.",
     "transhuge.rst khugepaged/pages_to_scan (default 8 x 512)", "go", "", 1, 1e9},
    {"vm.thp.scan_sleep", ParamType::kDuration, "10s", "khugepaged's sleep between scans.",
     "transhuge.rst khugepaged/scan_sleep_millisecs (default 10000)", "go", "", 0, 1e13},
    {"vm.thp.compaction_cost", ParamType::kDuration, "500us",
     "CPU of direct compaction for one huge page when memory is short and defrag stalls.",
     "estimate: migrating up to 512 pages at ~1 us each (mm/compaction.c); not measured", "go", "", 0, 1e10},
    {"vm.swap.size", ParamType::kBytes, "0B", "Swap space (0: no swap device: anonymous memory is never reclaimed).",
     "-", "go", "", 0, 1e18},
    {"vm.swap.read_latency", ParamType::kDuration, "100us",
     "One swap-in read: the wait of a major fault on a swapped-out page.",
     "estimate for a datacenter NVMe SSD (4 KiB random read ~80-100 us at queue depth 1); use the target's device",
     "go", "", 0, 1e10},
    {"vm.swap.write_latency", ParamType::kDuration, "200us",
     "Write-back of a batch of swapped-out pages: what the reclaiming thread (or kswapd) waits for per batch.",
     "estimate for an NVMe SSD; use the target's device", "go", "", 0, 1e10},
    {"vm.dirty_ratio", ParamType::kInt, "20",
     "Dirty page cache, as % of free + file pages, at which a writer waits for writeback (balance_dirty_pages).",
     "vm.rst dirty_ratio (default 20); mm/page-writeback.c domain_dirty_limits", "go", "", 0, 100},
    {"vm.dirty_background_ratio", ParamType::kInt, "10",
     "Dirty page cache, as % of free + file pages, above which the flusher writes back in the background.",
     "vm.rst dirty_background_ratio (default 10)", "go", "", 0, 100},
    {"vm.dirty_bytes", ParamType::kBytes, "0B", "The dirty limit in bytes; when set it replaces vm.dirty_ratio.",
     "vm.rst dirty_bytes (default 0)", "go", "", 0, 1e18},
    {"vm.dirty_background_bytes", ParamType::kBytes, "0B",
     "The background writeback threshold in bytes; when set it replaces vm.dirty_background_ratio.",
     "vm.rst dirty_background_bytes (default 0)", "go", "", 0, 1e18},
    {"vm.dirty_expire_centisecs", ParamType::kInt, "3000",
     "Dirty pages older than this (hundredths of a second) are written back whatever the thresholds.",
     "vm.rst dirty_expire_centisecs (default 3000)", "go", "", 0, 1e9},
    {"machine.disk.read_latency", ParamType::kDuration, "100us",
     "One read request to the disk holding the process's files (file_read steps that miss the page cache).",
     "estimate for a datacenter NVMe SSD (4 KiB random read ~80-100 us at queue depth 1); use the target's device",
     "go", "", 0, 1e10},
    {"machine.disk.bandwidth", ParamType::kBytes, "500MiB",
     "Bytes per second the disk reads or writes back (the transfer after a read's latency; the flusher's pace, "
     "and so the pace balance_dirty_pages gives writers).",
     "estimate for a cloud block volume (gp3 to io2: 125-1000 MB/s); use the target's device", "go", "", 1, 1e15},
    {"kernel.numa_balancing", ParamType::kBool, "true",
     "Automatic NUMA balancing (on machines with more than one node): the kernel samples the process's pages "
     "with hinting faults and migrates pages toward the node that uses them.",
     "Documentation/admin-guide/sysctl/kernel.rst numa_balancing; Debian's CONFIG_NUMA_BALANCING_DEFAULT_ENABLED=y",
     "go"},
    {"kernel.numa_balancing_scan_delay", ParamType::kDuration, "1s",
     "Delay before the first scan of a process's memory.",
     "Documentation/admin-guide/sysctl/kernel.rst numa_balancing_scan_delay_ms: 1000", "go", "", 0, 1e13},
    {"kernel.numa_balancing_scan_period_min", ParamType::kDuration, "1s",
     "Shortest period between scans (the period doubles while scans find pages already local).",
     "Documentation/admin-guide/sysctl/kernel.rst numa_balancing_scan_period_min_ms: 1000", "go", "", 1e6, 1e13},
    {"kernel.numa_balancing_scan_period_max", ParamType::kDuration, "60s",
     "Longest period between scans.",
     "Documentation/admin-guide/sysctl/kernel.rst numa_balancing_scan_period_max_ms: 60000", "go", "", 1e6, 1e13},
    {"kernel.numa_balancing_scan_size", ParamType::kBytes, "256MiB",
     "Memory one scan marks for hinting faults.",
     "Documentation/admin-guide/sysctl/kernel.rst numa_balancing_scan_size_mb: 256", "go", "", 4096, 1e15},
    {"kernel.numa_hint_fault", ParamType::kDuration, "1us",
     "CPU time of one NUMA hinting fault (a minor fault on a PROT_NONE PTE) without the migration.",
     "estimate: a minor fault without zeroing, well under kernel.page_fault", "go", "", 0, 1e9},
    {"kernel.page_copy", ParamType::kDuration, "400ns",
     "Kernel CPU to copy one 4 KiB page between the page cache and the process (read(2), write(2)).",
     "estimate: copy_page_to_iter at ~10 GB/s; `gmpsim calibrate` measures it (pread of a cached file, "
     "validation/calibrate)", "go", "", 0, 1e9},
    {"vm.reclaim_cost.file", ParamType::kDuration, "1us",
     "Kernel CPU to reclaim one clean page-cache page (LRU scan, unmap, free).",
     "estimate (mm/vmscan.c shrink_folio_list); not measured on the project's VM", "go", "", 0, 1e9},
    {"vm.reclaim_cost.anon", ParamType::kDuration, "4us",
     "Kernel CPU to reclaim one anonymous page to swap (unmap, swap slot, submit write).",
     "estimate (mm/vmscan.c shrink_folio_list, add_to_swap, pageout); not measured on the project's VM", "go", "", 0, 1e9},

    // ---- rlimit: the process's resource limits (getrlimit(2), setrlimit(2)) ----
    {"rlimit.nofile", ParamType::kInt, "1024",
     "Soft RLIMIT_NOFILE the process starts with (ulimit -n): no fd at or above it is handed out, so accept4 "
     "fails with EMFILE once this many fds are open (the process's own and one per open connection). Go's init "
     "raises it toward rlimit.nofile_hard unless runtime.raise_nofile is false.",
     "include/uapi/linux/fs.h INR_OPEN_CUR = 1024, the soft limit init starts with and systemd keeps "
     "(DefaultLimitNOFILE=1024:524288, systemd >= 240); getrlimit(2)", "go", "", 0, 2147483584},
    {"rlimit.nofile_hard", ParamType::kInt, "524288",
     "Hard RLIMIT_NOFILE: the ceiling of the soft limit (at least rlimit.nofile), what Go's init raises the soft "
     "limit to.",
     "systemd >= 240 (NEWS v240; systemd-system.conf(5) DefaultLimitNOFILE=1024:524288); the kernel's own "
     "default for init is INR_OPEN_MAX = 4096 (include/uapi/linux/fs.h); at most fs.nr_open (1048576 by "
     "default, fs/file.c)", "go", "", 0, 2147483584},
    {"rlimit.on_emfile", ParamType::kEnum, "retry",
     "What the server does when accept4 fails with EMFILE. retry = net/http's Server.Serve: sleep 5 ms, doubling "
     "up to 1 s while it keeps failing, and accept again; the connection waits in the listen backlog; fail = "
     "the run ends with outcome too_many_open_files (a server that exits on an Accept error).",
     "net/http server.go Server.Serve (tempDelay; EMFILE is Temporary: syscall Errno.Temporary)", "go", "retry|fail"},

    // ---- runtime (the model) ----
    {"runtime.model", ParamType::kEnum, "fifo", "Scheduler model to simulate (see `gmpsim models`).",
     "models/registry.cpp", "", "@models"},
    {"runtime.version", ParamType::kString, "\"\"",
     "Version profile of the model (e.g. go1.19); empty selects the model's newest profile.",
     "models/registry.cpp"},

    // ---- runtime: the go model (proc.go pinned to go1.26.8; go1.19.8 differences in its profile) ----
    {"runtime.gomaxprocs", ParamType::kInt, "0",
     "Number of Ps; 0 means the runtime's default: the CPUs of the process's cpuset, and with "
     "runtime.containermaxprocs the cgroup CPU limit rounded up (at least 2) when that is lower.",
     "proc.go schedinit: procs = defaultGOMAXPROCS(numCPUStartup) unless GOMAXPROCS is set, go1.26 "
     "(procs := ncpu in go1.19); ncpu is the sched_getaffinity count (os_linux.go getproccount)", "go", "", 0, 65536},
    {"runtime.containermaxprocs", ParamType::kBool, "true",
     "The default GOMAXPROCS follows the cgroup CPU bandwidth limit (cgroup.cpu.max): ceil(quota/period), at "
     "least 2, never above the CPU count (GODEBUG=containermaxprocs).",
     "runtime/cgroup_linux.go and proc.go defaultGOMAXPROCS / adjustCgroupGOMAXPROCS (go1.25+; go.dev/blog/"
     "container-aware-gomaxprocs); absent in go1.19", "go"},
    {"runtime.automaxprocs", ParamType::kBool, "false",
     "Set GOMAXPROCS at start-up as go.uber.org/automaxprocs does: floor(quota/period), at least 1 (overrides "
     "the default; an explicit runtime.gomaxprocs wins).",
     "github.com/uber-go/automaxprocs internal/runtime/cpu_quota_linux.go CPUQuotaToGOMAXPROCS (math.Floor, "
     "minimum 1)", "go"},
    {"runtime.updatemaxprocs", ParamType::kBool, "true",
     "sysmon re-reads the default GOMAXPROCS once a second when GOMAXPROCS was not set (GODEBUG=updatemaxprocs).",
     "proc.go sysmon -> sysmonUpdateGOMAXPROCS (go1.25+); absent in go1.19", "go"},
    {"runtime.arrivals", ParamType::kEnum, "accept",
     "How open-loop and closed-loop requests enter the runtime. accept = net/http's shape: a listener goroutine "
     "parked in the netpoller is readied, accepts and starts the handler with `go`, so the handler lands in the "
     "listener P's runnext; global = straight onto the global run queue, then wakep (as injectglist does "
     "without a P; for comparison with fifo); generator = a goroutine per open-loop class sleeps until each "
     "arrival (time.Sleep, with its timer granularity) and starts the handler with `go` (closed-loop clients "
     "then enter as with global); netpoll = keep-alive connections: runtime.connections goroutines per class, "
     "each parked in the netpoller and readied when a request arrives on it, serving its requests one after "
     "another (the class's program once per request; closed-loop client i uses connection i mod N). Initial "
     "populations always enter through the global queue.",
     "net/http Server.Serve and conn.serve; proc.go injectglist; time.go", "go", "accept|global|generator|netpoll"},
    {"runtime.connections", ParamType::kInt, "64",
     "Keep-alive connections per class when runtime.arrivals is netpoll; a request goes to one at random.",
     "chosen default: a connection pool of a load balancer in front", "go", "", 1, 1e7},
    {"runtime.raise_nofile", ParamType::kBool, "true",
     "Go's init raises the soft RLIMIT_NOFILE: go1.26 to the hard limit minus one when it is lower than that, "
     "go1.19 to the hard limit; false models a process that set it back (syscall.Setrlimit) or a runtime without it.",
     "syscall/rlimit.go init (go1.26.8: Cur = Max - 1 when Cur < Max - 1); os/rlimit.go init (go1.19.8: Cur = Max "
     "when Cur != Max); go.dev/issue/46279", "go"},
    {"runtime.runq_size", ParamType::kInt, "256", "Slots of each P's local run queue.",
     "runtime2.go: runq [256]guintptr", "go", "", 2, 1 << 20},
    {"runtime.global_runq_check_period", ParamType::kInt, "61",
     "findRunnable takes one G from the global queue when schedtick is a multiple of this.",
     "proc.go findRunnable: pp.schedtick%61 == 0", "go", "", 1, 1e9},
    {"runtime.steal_tries", ParamType::kInt, "4", "Rounds of stealWork over all Ps; runnext only in the last.",
     "proc.go stealWork: const stealTries = 4", "go", "", 1, 1000},
    {"runtime.runnext_steal_backoff", ParamType::kDuration, "3us",
     "usleep before stealing a running P's runnext (plus the kernel's timer slack).",
     "proc.go runqgrab: usleep(3)", "go", "", 0, 1e9},
    {"runtime.recheck_after_spinning", ParamType::kBool, "true",
     "After a spinning M drops its P, recheck the global queue before parking (needspinning era).",
     "proc.go findRunnable: \"Check global and P runqueues again\" after dropping spinning (go1.21+); absent "
     "in go1.19", "go"},
    {"runtime.runnext", ParamType::kBool, "true",
     "Use runnext for goroutines started or readied by a running goroutine (false: local queue tail).",
     "proc.go runqput(pp, gp, next=true); an ablation switch", "go"},
    {"runtime.gosched_wakep", ParamType::kBool, "true", "runtime.Gosched calls wakep after queueing the G globally.",
     "proc.go goschedImpl: globrunqput, then wakep() if mainStarted, go1.26; go1.19 goes to schedule() "
     "without wakep", "go"},
    {"runtime.cost.gopark", ParamType::kDuration, "80ns", "CPU time of gopark/park_m before schedule runs.",
     "validation/results/go1.26.yaml: park_ready fitted 122 ns on go1.26.8 (validation/go/pingpong round trips "
     "and streams), 2/3 of it gopark = 82 ns; go1.19.yaml: 52 ns", "go", "", 0, 1e9},
    {"runtime.cost.goready", ParamType::kDuration, "40ns", "CPU time of goready (runqput into runnext, wakep check).",
     "validation/results/go1.26.yaml: park_ready fitted 122 ns on go1.26.8, 1/3 of it goready = 41 ns; "
     "go1.19.yaml: 26 ns", "go", "", 0, 1e9},
    {"runtime.schedtrace", ParamType::kDuration, "0s",
     "Print scheduler state lines in the format of GODEBUG=schedtrace at this interval (0 = off). Unlike the "
     "real setting it only observes: nothing in the run changes.", "proc.go schedtrace", "go", "", 0, 1e18},
    {"runtime.scheddetail", ParamType::kBool, "false", "With schedtrace, the GODEBUG=scheddetail=1 variant (P, M and G lines).",
     "proc.go schedtrace(detailed)", "go"},
    {"runtime.schedtrace_format", ParamType::kEnum, "go1.26",
     "Which runtime's schedtrace lines to print: go1.26 (with needspinning and schedticks) or go1.19 (without them, "
     "-1 for a missing M or P).", "proc.go schedtrace at go1.19.8 and go1.26.8", "go", "go1.19|go1.26"},
    {"runtime.mem.g_struct", ParamType::kBytes, "448B",
     "Heap bytes of one runtime.g (its malloc size class); g structs are never freed.",
     "sizeof(runtime.g) = 456 B on go1.26.8 linux/amd64 (DWARF; sizeof_test.go TestSizeof: 448 + xRegPerG) -> "
     "size class 480 (internal/runtime/gc/sizeclasses.go), one class above this default; 392 B on go1.19.8 -> 416",
     "go", "", 1, 1e9},
    {"runtime.mem.stack_min", ParamType::kBytes, "2KiB", "Initial goroutine stack; dead Gs keep theirs on the free lists.",
     "stack.go fixedStack = stackMin 2048 + stackSystem 0 on Linux, go1.26 (_FixedStack, go1.19)", "go", "", 1, 1e9},
    {"runtime.mem.sudog", ParamType::kBytes, "112B", "Heap bytes of the sudog a parked goroutine holds.",
     "sizeof(runtime.sudog) = 104 B on go1.26.8 (sizeof_test.go TestSizeof) -> size class 112 "
     "(internal/runtime/gc/sizeclasses.go); 88 B on go1.19.8 -> 96", "go", "", 0, 1e9},
    {"runtime.mem.m", ParamType::kBytes, "50KiB", "Bytes per M: m struct, g0 stack and the 32 KiB gsignal stack.",
     "proc.go allocm: runtime.m 1824 B on go1.26.8 (DWARF; -> 2 KiB class) + g0 malg(16384) (8192 on go1.19.8); "
     "os_linux.go mpreinit: gsignal malg(32 * 1024)", "go", "", 0, 1e12},
    {"runtime.mem.base", ParamType::kBytes, "5MiB",
     "Memory the runtime maps besides heap objects, stacks, g structs and Ms: heap arena metadata, span "
     "structures, mcaches, GC work buffers (part of /memory/classes/total; what GOMEMLIMIT counts too).",
     "validation/go/README.md, gcalloc and gcmemlimit on go1.26.8: /memory/classes/total minus released, less "
     "the peak HeapAlloc, is 6.5-11.6 MB for 36-192 MB heaps: ~5.3 MB plus 3.2 % of the heap", "go", "", 0, 1e15},
    {"runtime.mem.heap_metadata", ParamType::kFloat, "0.032",
     "Runtime memory per byte of mapped heap (pointer bitmaps, span metadata), beside runtime.mem.base.",
     "validation/go/README.md, gcalloc and gcmemlimit (the fit beside runtime.mem.base); mbitmap.go: one "
     "pointer bit per 8-byte word is 1/64 of a scannable span", "go", "", 0, 1},
    {"runtime.cgo", ParamType::kBool, "false",
     "The program uses cgo: the runtime creates its threads with pthread_create, each with an 8 MiB stack "
     "mapping (committed) and a guard page: two mappings per thread against vm.max_map_count.",
     "runtime/cgo/gcc_linux_amd64.c (pthread_create); glibc allocate_stack (default stack = RLIMIT_STACK 8 MiB, "
     "guard page); without cgo, newosproc's clone uses a g0 stack from the Go heap", "go"},
    {"runtime.disablethp", ParamType::kBool, "false",
     "GODEBUG=disablethp=1 (go1.21.6+): the heap is marked MADV_NOHUGEPAGE, so THP `always` gives it small pages.",
     "runtime/mem_linux.go sysNoHugePageOS, runtime/runtime1.go debug.disablethp (go1.21.6+)", "go"},
    {"runtime.max_threads", ParamType::kInt, "10000",
     "Most Ms (OS threads) the runtime may create; one more ends the run with thread_exhaustion.",
     "proc.go schedinit: sched.maxmcount = 10000 (debug.SetMaxThreads)", "go", "", 1, 1e7},
    {"runtime.cost.schedule", ParamType::kDuration, "60ns",
     "CPU time of one pass through schedule/findRunnable that finds local work, plus execute and gogo.",
     "validation/results/go1.26.yaml: schedule fitted 63 ns on go1.26.8 (go.gosched, validation/go/gosched); "
     "go1.19.yaml: 58 ns", "go", "", 0, 1e9},
    {"runtime.cost.newproc", ParamType::kDuration, "250ns", "CPU time of `go f()` (newproc, runqput, wakep check).",
     "validation/results/go1.26.yaml: newproc fitted 236 ns on go1.26.8 (go.spawn_create, validation/go/spawn); "
     "go1.19.yaml: 203 ns; runtime/proc_test.go BenchmarkCreateGoroutines (go f() + run + exit per op): "
     "270 ns -cpu 1, 325 ns -cpu 2 on go1.19.8, the project's 2-vCPU VM", "go", "", 0, 1e9},
    {"runtime.cost.goexit", ParamType::kDuration, "100ns", "CPU time of goexit0 (gdestroy, gfput).",
     "validation/results/go1.26.yaml: goexit fitted 103 ns on go1.26.8 (go.spawn_total = newproc + schedule + "
     "goexit); go1.19.yaml: 79 ns", "go", "", 0, 1e9},
    {"runtime.cost.steal", ParamType::kDuration, "40ns",
     "CPU time to look at one victim P in a stealWork round (load head/tail, CAS on success).",
     "estimate: two cache misses on another P's runq; `gmpsim calibrate --runtime go` does not fit it "
     "(validation/results/host.yaml sets Boost.Fiber's steal, 156 ns)", "go", "", 0, 1e9},
    {"runtime.cache_lines.newproc", ParamType::kInt, "2",
     "Coherence misses newproc waits for when it reuses a dead G that exited on another CPU: each paid as "
     "kernel.cache_line_transfer. Counted are the accesses that stall (a load whose address comes from the "
     "previous miss, a locked instruction, which also drains the stores before it); plain stores to other "
     "lines retire through the store buffer and independent loads overlap. The calibrated "
     "runtime.cost.newproc is the same work on lines already in the spawner's cache.",
     "proc.go gfget and newproc1, go1.26.8, over runtime2.go's g (456 B): gfget's pop reads gp.schedlink "
     "(line 2; its refill from sched.gFree is a chain of such loads, one per G), then casgstatus's CAS on "
     "gp.atomicstatus (line 2) waits for the stores to sched, gopc, startpc and the stack's top (lines 0-1, 4, "
     "6) to drain: 2. validation/go/spawn on the project's VM: -procs 2 costs 290-345 ns a go statement "
     "against 149 ns (runtime.cost.newproc) at -procs 1, about 2 x 79 ns (kernel.cache_line_transfer)",
     "go", "", 0, 64},
    {"runtime.cache_lines.execute", ParamType::kInt, "2",
     "Coherence misses execute and gogo wait for when an M starts a G another CPU wrote last (it was created "
     "or ran there), each paid as kernel.cache_line_transfer; counted as for runtime.cache_lines.newproc.",
     "proc.go execute and asm_amd64.s gogo, go1.26.8: the store to gp.m (line 0) and casgstatus's CAS on "
     "gp.atomicstatus (line 2) overlap and complete with the CAS (1); gogo's loads of gp.sched (line 1) come "
     "after the locked CAS (1): 2", "go", "", 0, 64},
    {"runtime.cache_lines.sync", ParamType::kInt, "1",
     "Coherence misses of an operation on a WaitGroup, a channel's hchan (lock and counts) or a Mutex another "
     "CPU operated on last: paid as kernel.cache_line_transfer each.",
     "sync/waitgroup.go (state atomic.Uint64), chan.go hchan (qcount, sendx, recvx, lock in its first 64 B), "
     "sync/mutex.go (state int32): one locked instruction on one line each", "go", "", 0, 64},
    {"runtime.cache_lines.runq", ParamType::kInt, "1",
     "Coherence misses a P's owner waits for on its run queue when a thief on another CPU took from it since "
     "the owner's last access (runqgrab's CAS on runqhead, or on a stolen runnext): runqput, runqget and "
     "newproc's put pay kernel.cache_line_transfer each. The thief's own misses are runtime.cost.steal. "
     "0 turns the mechanism off.",
     "proc.go runqput/runqget/runqgrab and runtime2.go p, go1.26.8: runqhead and runqtail share a line, "
     "runnext lies 2 KiB further on; runqput loads runqhead and stores runqtail (the next locked "
     "instruction waits for that store), runqget and runnext's put are a CAS: 1 per line",
     "go", "", 0, 64},
    {"runtime.cost.g_cold", ParamType::kDuration, "280ns",
     "Extra CPU time of newproc reusing, or execute starting, a G that has left the caches (more than "
     "kernel.cache_reach / runtime.mem.g_cache_bytes other Gs touched since): its g and stack top come from "
     "memory, through page walks for pages the TLB no longer maps. Replaces the line transfers of that touch. "
     "0 turns the mechanism off.",
     "validation/results/go1.26.yaml: fitted g_cold 280 ns on go1.26.8 (go.spawn_cold: validation/go/spawn "
     "-procs 1 -warm -batch 100000, GOGC=off, against go.spawn_total at -batch 200, two cold touches per "
     "goroutine); go1.19.yaml: 317 ns",
     "go", "", 0, 1e9},
    {"runtime.mem.g_cache_bytes", ParamType::kBytes, "640B",
     "Cache a goroutine occupies when newproc or execute touches it: its g and the lines at its stack's top "
     "(kernel.cache_reach / this is how many other Gs may be touched before a G is out of cache).",
     "runtime2.go g: 456 B on go1.26.8 (a 480 B size class, 8 lines) + gostartcallfn's frame and the "
     "goroutine's first frame at the stack's top (2 lines): 10 lines of 64 B", "go", "", 64, 1e9},
    {"runtime.numa.steal", ParamType::kEnum, "any",
     "NOT IN ANY GO RELEASE (a what-if): any is Go's stealWork, a random order over every P; node_first tries "
     "the Ps whose M runs on the thief's node before the others, as Vyukov's NUMA-aware scheduler design proposes.",
     "proc.go stealWork (go1.26.8); D. Vyukov, \"NUMA-aware scheduler for Go\" (2014), never implemented",
     "go", "any|node_first"},
    {"runtime.numa.global_runq", ParamType::kEnum, "one",
     "NOT IN ANY GO RELEASE (a what-if): one global run queue (Go), or one per node (per_node): an M takes from "
     "its node's queue first.",
     "proc.go globrunqput/globrunqget (go1.26.8); Vyukov's design (2014)", "go", "one|per_node"},
    {"runtime.numa.p_affinity", ParamType::kBool, "false",
     "NOT IN ANY GO RELEASE (a what-if): Ps are split over the nodes in order and an M holding a P runs only on "
     "that P's node (sched_setaffinity on acquirep).",
     "Vyukov's design (2014): per-node Ps and Ms", "go"},
    {"runtime.cost.chan", ParamType::kDuration, "25ns",
     "CPU time of one channel operation (lock, queue check, copy, unlock), beside gopark/goready.",
     "validation/results/go1.26.yaml: chan fitted 33 ns on go1.26.8 (go.chan_rtt, go.chan_stream4/64, "
     "validation/go/pingpong); go1.19.yaml: 27 ns; runtime/chan_test.go BenchmarkChanSync: 309 ns -cpu 1, "
     "224 ns -cpu 2 on go1.19.8, the project's 2-vCPU VM", "go", "", 0, 1e9},
    {"runtime.cost.mutex", ParamType::kDuration, "20ns", "CPU time of an uncontended sync.Mutex Lock or Unlock (a CAS).",
     "estimate: one atomic on a cache-resident line; `gmpsim calibrate` does not fit it", "go", "", 0, 1e9},
    {"runtime.mutex_spin", ParamType::kDuration, "100ns",
     "One active spin of a contended sync.Mutex Lock: procyield(active_spin_cnt = 30) PAUSE instructions.",
     "internal/sync/mutex.go runtime_doSpin -> proc.go internal_sync_runtime_doSpin: procyield(active_spin_cnt), "
     "active_spin_cnt = 30 (lock_spinbit.go), go1.26 (PAUSE ~3-140 cycles by CPU)", "go", "", 0, 1e9},
    {"runtime.mutex_active_spin", ParamType::kInt, "4", "Most active spins of a contended Lock before it parks.",
     "proc.go internal_sync_runtime_canSpin: i >= active_spin (4, lock_spinbit.go) stops, go1.26", "go", "", 0, 1000},
    {"runtime.mutex_starvation", ParamType::kDuration, "1ms",
     "A sync.Mutex waiter that waited longer switches the mutex to starvation mode (direct hand-off).",
     "internal/sync/mutex.go starvationThresholdNs = 1e6, go1.26 (sync/mutex.go in go1.19)", "go", "", 0, 1e12},
    {"runtime.cost.timer", ParamType::kDuration, "50ns", "CPU time to run one expired timer (siftdown, goroutineReady).",
     "estimate; `gmpsim calibrate` does not fit it", "go", "", 0, 1e9},
    {"runtime.netpoll_max_events", ParamType::kInt, "128", "Events one netpoll call returns at most.",
     "netpoll_epoll.go netpoll: var events [128]linux.EpollEvent, go1.26", "go", "", 1, 1e6},
    {"runtime.stack_guard", ParamType::kBytes, "928B",
     "Stack kept free below the frame (stackGuard); a stack grows when depth + this no longer fits.",
     "stack.go stackGuard = stackNosplit 800 + stackSystem 0 + abi.StackSmall 128 = 928 on linux/amd64, go1.26 "
     "(_StackGuard = 928, go1.19)", "go", "", 0, 1e9},
    {"runtime.cost.newstack", ParamType::kDuration, "500ns",
     "Fixed CPU time of one stack growth (morestack, newstack, stackalloc, frame adjustment).",
     "estimate, not fitted by `gmpsim calibrate`; runtime/proc_test.go BenchmarkStackGrowth: ~0.95 us/op on "
     "go1.19.8, the project's 2-vCPU VM, mostly its 10 recursive 1 KiB frames: a goroutine's stack grows only "
     "in its first ops", "go", "", 0, 1e9},
    {"runtime.stack_copy_rate", ParamType::kFloat, "0.05",
     "CPU ns per byte of used stack copied on growth (copystack memmove).", "estimate: ~20 GB/s memmove", "go", "", 0, 1e6},
    {"runtime.sysmon", ParamType::kBool, "true",
     "Run sysmon: the M without a P that retakes Ps from syscalls, preempts long-running goroutines and polls "
     "the network when nobody has for 10 ms (false: an ablation switch; nothing is ever preempted).",
     "proc.go sysmon", "go"},
    {"runtime.sysmon_min_delay", ParamType::kDuration, "20us", "sysmon's sleep while it finds work (usleep, plus timer slack).",
     "proc.go sysmon: delay = 20 when idle == 0", "go", "", 1, 1e12},
    {"runtime.sysmon_max_delay", ParamType::kDuration, "10ms", "Cap of sysmon's doubling sleep.",
     "proc.go sysmon: if delay > 10*1000 { delay = 10 * 1000 }", "go", "", 1, 1e12},
    {"runtime.sysmon_idle_cycles", ParamType::kInt, "50", "Uneventful sysmon cycles before its sleep starts doubling.",
     "proc.go sysmon: else if idle > 50 { delay *= 2 }", "go", "", 0, 1e9},
    {"runtime.cost.sysmon", ParamType::kDuration, "1us", "CPU time of one sysmon cycle (nanotime, retake's scan of every P).",
     "estimate; `gmpsim calibrate` does not fit it", "go", "", 0, 1e9},
    {"runtime.force_preempt", ParamType::kDuration, "10ms",
     "A goroutine (or runnext chain) running this long on one schedtick is preempted by sysmon's retake.",
     "proc.go forcePreemptNS = 10 * 1000 * 1000", "go", "", 1, 1e15},
    {"runtime.syscall_grace", ParamType::kDuration, "10ms",
     "retake leaves a P in a syscall alone this long when its run queue is empty and a P is idle or an M spins.",
     "proc.go retake: pd.syscallwhen+10*1000*1000 > now", "go", "", 0, 1e15},
    {"runtime.sysmon_netpoll", ParamType::kDuration, "10ms", "sysmon polls the network when nobody has for this long.",
     "proc.go sysmon: lastpoll+10*1000*1000 < now", "go", "", 0, 1e15},
    {"runtime.forcegc_period", ParamType::kDuration, "2min",
     "sysmon starts a GC cycle when none has run for this long (forcegc), and sleeps at most half of it with "
     "every P idle.",
     "proc.go forcegcperiod = 2 * 60 * 1e9", "go", "", 1, 1e18},
    // ---- the garbage collector (models/go/mgc.cpp, pacer.cpp) ----
    {"runtime.gogc", ParamType::kString, "100",
     "GOGC: heap growth over the live heap (and stacks and globals) that triggers a cycle, in percent, or off.",
     "mgcpacer.go readGOGC: default 100", "go"},
    {"runtime.gomemlimit", ParamType::kString, "off",
     "GOMEMLIMIT: the soft memory limit (a size such as 512MiB, or off); the heap goal keeps total runtime "
     "memory under it, until the GC CPU limiter gives up at ~50 % GC CPU.",
     "mgcpacer.go readGOMEMLIMIT: default math.MaxInt64 (off); proposal 48409", "go"},
    {"runtime.gctrace", ParamType::kBool, "false",
     "GODEBUG=gctrace=1: one line per cycle in the runtime's format, to stderr and gctrace.txt with --out "
     "(observes only).", "mgc.go gcMarkTermination, debug.gctrace", "go"},
    {"runtime.gc_cons_mark", ParamType::kEnum, "max_of_5",
     "How endCycle smooths the measured cons/mark ratio that sets the trigger: the maximum over the last 5 "
     "cycles (go1.21+) or go1.19's PI controller.",
     "mgcpacer.go endCycle: lastConsMark [4] (go1.26.8); consMarkController kp 0.9, ti 4.0 (go1.19.8)", "go",
     "max_of_5|pi_controller"},
    {"runtime.gc_limit_headroom_percent", ParamType::kInt, "3",
     "Headroom the memory-limit heap goal leaves below GOMEMLIMIT, in percent (at least 1 MiB); 0 = a fixed "
     "1 MiB (go1.19).",
     "mgcpacer.go memoryLimitHeapGoalHeadroomPercent = 3 (go1.26.8); memoryLimitHeapGoalHeadroom = 1 << 20 "
     "(go1.19.8)", "go", "", 0, 100},
    {"runtime.gc_idle_worker_cap", ParamType::kBool, "true",
     "At most GOMAXPROCS minus the dedicated workers run idle-priority mark workers (false: every idle P may).",
     "mgcpacer.go startCycle setMaxIdleMarkWorkers, go1.20+; go1.19.8 has no cap", "go"},
    {"runtime.gc_assign_workers", ParamType::kBool, "true",
     "Starting the world during a mark phase hands dedicated and fractional workers to idle Ps and starts Ms "
     "for them (false: they wait for an M to find them in findRunnable).",
     "proc.go procresize assignWaitingGCWorker (go1.26.8); absent in go1.19.8", "go"},
    {"runtime.gcshrinkstackoff", ParamType::kBool, "false",
     "GODEBUG=gcshrinkstackoff=1: stack scanning never halves a stack that uses less than a quarter of it.",
     "mgcmark.go scanstack -> shrinkstack (stack.go), go1.19.8 and go1.26.8", "go"},
    {"runtime.adaptivestackstart", ParamType::kBool, "true",
     "GODEBUG=adaptivestackstart: each cycle sets the starting stack size to the average scanned stack plus "
     "stackGuard (a power of two); recycled goroutines (gfget) get it.",
     "stack.go gcComputeStartingStackSize; runtime1.go debug.adaptivestackstart = 1 (go1.19.8, go1.26.8)", "go"},
    {"runtime.gc_drain_quantum", ParamType::kDuration, "50us",
     "Mark work a worker does between its checks for preemption, a stop-the-world and (idle workers) runnable "
     "goroutines.",
     "modelling grain: mgcmark.go gcDrain checks between work buffers, a few us apart", "go", "", 1000, 1e12},
    {"runtime.gc_stack_in_use", ParamType::kFloat, "0.1",
     "Fraction of a minimum stack in use (hi - sp) that stack scanning reads and the pacer counts, for "
     "goroutines without a `stack` step.",
     "validation/go/README.md, gcstack: go1.26.8's gctrace prints 2 MB stacks for 10k goroutines parked in a "
     "channel receive, ~200 B each", "go", "", 0, 1},
    {"runtime.cost.gc_scan_kib", ParamType::kDuration, "5us",
     "CPU time of scanning 1 KiB (128 words) of pointers in the heap or globals (scanobject: findObject and "
     "greyobject for each pointer word).",
     "validation/report.md (make validate, 2026-12-07, idle VM), mark CPU per cycle (gctrace's assist, "
     "background and idle figures: metric mark_cpu_mean_s) of the calibration case go-gc-alloc-ptr, 64 MiB of "
     "1 KiB objects full of random pointers (8 Mi pointer words): go1.26.8 327 ms less "
     "runtime.cost.gc_mark_roots, 39.0 ns a word; go1.19.8 174 ms, 20.7 ns (2.65 us/KiB, its profile)",
     "go", "", 0, 1e9},
    {"runtime.cost.gc_scan_stack_kib", ParamType::kDuration, "3us",
     "CPU time of scanning 1 KiB of a goroutine's stack in use (scanstack: its frames, their stack maps and "
     "pointer slots).",
     "the rate the model charged for all scanning before the heap's was measured apart (validation/report.md, "
     "2026-12-06); the go-gc-stack cases cannot separate it from runtime.cost.gc_scan_g (every parked goroutine "
     "there holds the same ~200 B), which is fitted beside it", "go", "", 0, 1e9},
    {"runtime.cost.gc_mark_object", ParamType::kDuration, "0ns",
     "CPU time of marking one reachable object beyond the pointer word that reaches it (the mark bit, "
     "queueing an object with pointers).",
     "validation/report.md (make validate, 2026-12-07, idle VM), calibration case go-gc-alloc-gogc100: 64 Ki "
     "pointer-free 1 KiB objects, each reached by the pointer word of one slice header; mark CPU per cycle "
     "2.67 ms on go1.26.8 less runtime.cost.gc_mark_roots is 38.6 ns an object, no more than its pointer word "
     "(39.0 ns, runtime.cost.gc_scan_kib): greyobject's mark covers it; go1.19.8 1.84 ms, 26.5 - 20.7 = "
     "5.8 ns (6 ns, its profile)", "go", "", 0, 1e9},
    {"runtime.cost.gc_scan_g", ParamType::kDuration, "370ns",
     "Fixed CPU time of one goroutine's stack root (markroot, suspendG, scanstack's frame walk), paid every "
     "cycle for every goroutine ever created (allgs), live or dead.",
     "validation/report.md (make validate, 2026-12-07, idle VM), calibration case go-gc-stack-100k: mark CPU "
     "per cycle less runtime.cost.gc_mark_roots is 0.956 us per parked goroutine on go1.26.8, less its ~200 B "
     "of stack at runtime.cost.gc_scan_stack_kib (0.586 us): 0.37 us; go1.19.8 1.494 us: 0.9 us (its "
     "profile). The held-out 10k and 300k cases give 0.71/0.93 us (go1.26.8) and 1.20/1.71 us (go1.19.8)",
     "go", "", 0, 1e9},
    {"runtime.cost.gc_mark_roots", ParamType::kDuration, "135us",
     "Mark CPU of a cycle beyond its goroutines, objects and pointer words: the data and BSS segments, span "
     "specials, the per-P work buffers, the workers' start and the mark's end (markroot's fixed jobs, "
     "gcMarkDone's flushes).",
     "validation/report.md (make validate, 2026-12-07, idle VM), calibration case go-gc-stack-0 (no parked "
     "goroutines, a few KiB of heap, GOMAXPROCS 2): mark CPU per cycle 136 us on go1.26.8 (129-167 over 5 "
     "runs), 109 us on go1.19.8 (its profile)", "go", "", 0, 1e9},
    {"runtime.cost.gc_sweep_term", ParamType::kDuration, "10us",
     "CPU time of sweep termination with the world stopped (finishsweep_m, clearpools, startCycle).",
     "estimate; validation/go/README.md, gcstack: go1.19.8's sweep-termination clock has a median of 13-40 us "
     "(including the time to stop the world), go1.26.8's 53-300 us, growing with the goroutines for reasons "
     "the model does not have", "go", "", 0, 1e9},
    {"runtime.cost.gc_mark_term", ParamType::kDuration, "4us",
     "CPU time of mark termination with the world stopped (gcMarkTermination, flushing every P's caches).",
     "validation/go/README.md, gcstack: mark termination's gctrace clock has a median of 1-6 us on the project's "
     "2-vCPU VM, go1.19.8 and go1.26.8", "go", "", 0, 1e9},
    {"runtime.cost.gc_sweep_span", ParamType::kDuration, "100ns",
     "CPU time of sweeping one 8 KiB span, paid by allocating goroutines in proportion (deductSweepCredit) and "
     "the rest by the goroutine that starts the next cycle.",
     "estimate; mgcsweep.go sweepone", "go", "", 0, 1e9},
    {"runtime.cost.malloc", ParamType::kDuration, "20ns",
     "CPU time of one small allocation on mallocgc's fast path (mcache, no refill).",
     "estimate: runtime BenchmarkMalloc8/16 ~10-25 ns", "go", "", 0, 1e9},
    {"runtime.cost.malloc_kib", ParamType::kDuration, "170ns",
     "CPU time per KiB allocated beyond the per-object fast path: zeroing memory the last cycle freed, which is "
     "out of cache (memclrNoHeapPointers), and an mcache refill for each span it fills (mcache.refill -> "
     "mcentral.cacheSpan, sweeping the span). Memory the heap never used is zero already (allocNeedsZero): "
     "allocations that extend the heap do not pay it.",
     "validation/report.md (make validate, 2026-12-06, idle VM), calibration case go-gc-alloc-gogc100: span alloc "
     "(64 x 1 KiB []byte, each written once) has a median of 12.5 us on go1.26.8 and 13.8 us on go1.19.8; less "
     "64 x runtime.cost.malloc that is ~175 ns per KiB. A hot-cache memclr alone would be ~40 ns (25 GB/s)",
     "go", "", 0, 1e9},
    {"runtime.asyncpreemptoff", ParamType::kBool, "false",
     "GODEBUG=asyncpreemptoff=1: no SIGURG; tight loops (step tight_loop) then never yield.",
     "runtime/preempt.go, GODEBUG asyncpreemptoff", "go"},
    {"runtime.preempt_point_spacing", ParamType::kDuration, "1us",
     "Work between function-call preemption points inside a compute step (where a cooperative request is seen).",
     "estimate: every non-inlined Go function's prologue compares sp with stackguard0, which preemptone sets to "
     "stackPreempt (runtime/stack.go, proc.go preemptone), and Go code makes such calls every few hundred ns; "
     "the validation probes' work loops call time.Since each turn (~50 ns). 10 us before 2026-12: it made "
     "the stop-the-world wait for a running request 5 us on average, the gc-alloc cases' mark-termination "
     "pause 14-24 us against 4-5 us real (validation/report.md). tight_loop steps have none",
     "go", "", 0, 1e15},
    {"runtime.async_unsafe_fraction", ParamType::kFloat, "0",
     "Chance that a preemption signal lands on an unsafe point of the goroutine's own code (a tight_loop: "
     "compute steps are stopped at their calls first); nothing happens and sysmon tries again 10 ms later. "
     "The compiler marks as unsafe only atomic sequences such as the write barrier (a pointer store while the "
     "collector marks) and nosplit functions, so a call-free loop of non-pointer work has none: set the share "
     "of a loop's time spent in such sequences for a loop that stores pointers.",
     "preempt.go isAsyncSafePoint (\"Unsafe-point marked by compiler. This includes atomic sequences (e.g., "
     "write barrier) and nosplit functions\"), go1.26. 0.02 before 2026-12-07, an estimate: validation/go's "
     "sleepspin (`for { sink++ }` preempted 100 times a run, 5 runs) never needed a second signal (p99 20.7-21.4 ms "
     "real, 30 ms simulated with 0.02: validation/report.md)", "go", "", 0, 1},
    {"runtime.starvation_limit", ParamType::kDuration, "5s",
     "End the run with outcome starved when a P has run one schedtick this long while goroutines wait "
     "(only possible without preemption: asyncpreemptoff and tight loops, or sysmon off).",
     "gmpsim's no-progress guard (a real program would hang)", "go", "", 1, 1e18},
    {"runtime.cost.global_runq", ParamType::kDuration, "50ns",
     "Hold time of sched.lock per operation (global run queue, idle P list); waiting Ms spin until it is free.",
     "estimate: lock + unlock + list ops; validation/results/go1.26.yaml fits 12 ns (runtime.lock_queue_op: "
     "std::mutex + deque push/pop, validation/calibrate/README.md)", "go", "", 0, 1e9},

    // ---- kernel ----
    {"kernel.profile", ParamType::kString, "host-vm",
     "Kernel profile: a built-in name (host-vm, bare-metal) or the path of a profile YAML file.",
     "built-in profiles: kernel_profile_list in models/scenario/params.cpp; profile files: `gmpsim calibrate` "
     "(validation/calibrate/README.md)"},
    {"kernel.hz", ParamType::kFrequency, "250Hz", "Scheduler tick rate (CONFIG_HZ).",
     "kernel/Kconfig.hz: default HZ_250; Debian bookworm's amd64 configs (linux-config-6.1) set CONFIG_HZ=250", "go,boost-fiber-ws", "", 1, 10000},
    {"kernel.timer_slack", ParamType::kDuration, "50us",
     "Timer slack of threads: timed sleeps may fire up to this much late.",
     "prctl(2) PR_SET_TIMERSLACK: init's default 50000 ns, inherited; validation/results/host.yaml: 50000 ns",
     "go,boost-fiber-ws", "", 0, 1e9},
    {"kernel.futex_wake", ParamType::kDuration, "2600ns",
     "Latency from futex wake to the woken thread running (one way).",
     "half the 5.2 us p50 round trip of a two-thread futex ping-pong (a one-off run on the project's 2-vCPU VM, "
     "same p50 on one CPU); validation/results/host.yaml: 33 us for a wake across CPUs (kernel.futex_wake), "
     "~3 us (p10 of the ping-pong) for one onto the waker's CPU", "go,boost-fiber-ws", "", 0, 1e9},
    {"kernel.thread_create", ParamType::kDuration, "23600ns", "Cost of creating an OS thread (clone).",
     "pthread_create + pthread_join p50 23.6 us (a one-off run on the project's 2-vCPU VM); "
     "validation/results/host.yaml: 69 us (p10 41 us, kernel.thread_create_join)", "go", "", 0, 1e9},
    {"kernel.idle_exit", ParamType::kDuration, "40us",
     "Extra latency of waking a thread onto an idle CPU that has halted: the IPI and the CPU's exit from idle.",
     "nanosleep(10-100 us) with 1 ns timer slack overshoots by ~41 us (a one-off run on the project's 2-vCPU VM; "
     "30-61 us in validation/results/host.yaml, kernel.nanosleep_overshoot_slack1ns.*); `gmpsim calibrate` "
     "measures a futex wake after 1 ms idle minus one after 25 us: 12.5 us in validation/results/host.yaml",
     "go,boost-fiber-ws", "", 0, 1e9},
    {"kernel.idle_poll", ParamType::kDuration, "200us",
     "How long an idle CPU polls before it halts: a wake landing sooner costs no kernel.idle_exit.",
     "KVM halt polling (kvm.halt_poll_ns: KVM_HALT_POLL_NS_DEFAULT 200000 on x86, arch/x86/include/asm/kvm_host.h; "
     "Documentation/virt/kvm/halt-polling.rst) and a guest's cpuidle-haltpoll "
     "(Documentation/virt/guest-halt-polling.rst); `gmpsim calibrate` finds the knee: in "
     "validation/results/host.yaml a wake across CPUs takes 33 us after 25 us idle, 38 us after 200 us, 46 us "
     "after 1 ms (knee 200-400 us: 283 us)", "go,boost-fiber-ws", "", 0, 1e9},
    {"kernel.syscall", ParamType::kDuration, "1400ns",
     "CPU time of a cheap system call (entry + exit): epoll_wait(0), accept4, a write to the netpoll wake-up fd.",
     "getppid 1.2-1.6 us (a one-off run on the project's 2-vCPU VM); validation/results/host.yaml: 253 ns "
     "(syscall(SYS_getppid) in batches of 1000)", "go", "", 0, 1e9},
    {"kernel.epoll_timeout_unit", ParamType::kDuration, "1ms",
     "Resolution of epoll_wait's timeout: Go rounds a shorter wait up to one unit and truncates longer ones.",
     "epoll_wait(2) takes milliseconds; netpoll_epoll.go netpoll(delay)", "go", "", 1, 1e9},
    {"kernel.version", ParamType::kString, "6.18",
     "Linux version (MAJOR.MINOR): selects kernel.sched_policy, kernel.base_slice, kernel.delay_dequeue and "
     "kernel.sis_util (a layer under the kernel profile; each can be set on its own).",
     "uname -r of the project's VMs: 6.18; kernel/sched/fair.c history (EEVDF from 6.6, 0.70 ms slice from 6.15)",
     "go,boost-fiber-ws"},
    {"kernel.sched_policy", ParamType::kEnum, "eevdf",
     "Pick policy of the fair class: eevdf (Linux 6.6+: eligibility and earliest virtual deadline) or cfs "
     "(up to 6.5: smallest vruntime, sched_latency periods, wake-up preemption past wakeup_granularity).",
     "kernel/sched/fair.c pick_eevdf (6.6+), pick_next_entity (5.15); Documentation/scheduler/sched-eevdf.rst",
     "go,boost-fiber-ws", "eevdf|cfs"},
    {"kernel.base_slice", ParamType::kDuration, "700us",
     "Base slice of the fair class (EEVDF's request size; CFS's min_granularity) before scaling by "
     "1 + log2(min(CPUs, 8)); slices end at a tick unless kernel.hrtick.",
     "kernel/sched/fair.c sysctl_sched_base_slice = 700000 ns since Linux 6.15 (750000 in 6.6-6.14, and "
     "sysctl_sched_min_granularity before); unreadable on the project's VMs (debugfs locked down)",
     "go,boost-fiber-ws", "", 1000, 1e9},
    {"kernel.sched_latency", ParamType::kDuration, "6ms",
     "CFS target period before scaling by 1 + log2(min(CPUs, 8)) (cfs only).",
     "kernel/sched/fair.c (5.15) sysctl_sched_latency = 6000000ULL", "go,boost-fiber-ws", "", 1000, 1e10},
    {"kernel.wakeup_granularity", ParamType::kDuration, "1ms",
     "CFS: a waking thread preempts the running one only when it trails it by more than this (scaled like "
     "sched_latency; cfs only).",
     "kernel/sched/fair.c (5.15) sysctl_sched_wakeup_granularity = 1000000UL, wakeup_preempt_entity",
     "go,boost-fiber-ws", "", 0, 1e10},
    {"kernel.nr_latency", ParamType::kInt, "8",
     "CFS: beyond this many runnable threads the period grows to threads x min_granularity (cfs only).",
     "kernel/sched/fair.c (5.15) sched_nr_latency = 8", "go,boost-fiber-ws", "", 1, 1000},
    {"kernel.run_to_parity", ParamType::kBool, "true",
     "EEVDF RUN_TO_PARITY: the running thread keeps the CPU until its slice is used, even against an earlier "
     "deadline.", "kernel/sched/features.h SCHED_FEAT(RUN_TO_PARITY, true) (6.6+)", "go,boost-fiber-ws"},
    {"kernel.delay_dequeue", ParamType::kBool, "true",
     "EEVDF DELAY_DEQUEUE with DELAY_ZERO: a thread that blocks while not eligible keeps its entity queued (in "
     "the queue's average and its picks) until a pick selects it, then leaves with zero lag; woken before, it "
     "runs where it waits. The average it holds gives threads that sleep beside it a positive lag, so their "
     "wake-ups preempt the thread running. Set by kernel.version (6.12+).",
     "kernel/sched/features.h SCHED_FEAT(DELAY_DEQUEUE, true), SCHED_FEAT(DELAY_ZERO, true); fair.c "
     "dequeue_entity, requeue_delayed_entity, pick_next_entity (Linux 6.12, \"sched/fair: Implement delayed "
     "dequeue\")", "go,boost-fiber-ws"},
    {"kernel.sis_util", ParamType::kBool, "true",
     "SIS_UTIL: a waking thread whose previous CPU is busy looks for an idle CPU among fewer CPUs as the "
     "LLC's utilization (PELT util_avg) grows, and among none above 85 % of 100/117 squared (60 % on 2 CPUs): "
     "it then waits on the busy CPU it was placed on until a tick's balance or slice end. Off: every CPU is "
     "scanned (before 5.19 SIS_PROP limited the scan by the CPU's average idle time, not modelled).",
     "kernel/sched/features.h SCHED_FEAT(SIS_UTIL, true) and fair.c update_idle_cpu_scan, select_idle_cpu "
     "(Linux 5.19+, commit 70fb5ccf2ebb); perf sched on the project's 2-vCPU VM (validation/fidelity.md): "
     "half the run-queue waits over 0.5 ms of a GOMAXPROCS=2 service had the other CPU idle throughout",
     "go,boost-fiber-ws"},
    {"kernel.sched_migration_cost", ParamType::kDuration, "500us",
     "A thread that left a CPU less than this ago is cache hot: a newly idle CPU does not pull it, and a "
     "periodic balance only after the domain failed more than cache_nice_tries (1) times.",
     "kernel/sched/fair.c sysctl_sched_migration_cost = 500000UL, task_hot, can_migrate_task "
     "(/sys/kernel/debug/sched/migration_cost_ns)", "go,boost-fiber-ws", "", 0, 1e10},
    {"kernel.wake_pack_hot", ParamType::kFloat, "0",
     "Chance that a cache-hot thread (it left its CPU less than kernel.sched_migration_cost ago) woken by a "
     "thread running on that same CPU stays queued there behind its waker although another CPU idles. 0 in "
     "mainline Linux, whose select_idle_sibling takes the idle CPU; the project's VM kernel packs wake-ups "
     "onto busy vCPUs (the host-vm profile: 0.93).",
     "mainline kernel/sched/fair.c select_idle_sibling: 0. `gmpsim calibrate` measures it (bench_wake_pack: a "
     "thread asleep 100 us woken by one spinning on its previous CPU): 0.90-0.96 on the project's 2-vCPU VM "
     "(Linux 6.18.44-fc booted with sched_vcpu_pack=15, a patch outside mainline); validation/tools/wake_pack.py "
     "reads it from perf sched of a Go service there: 227 of 227 such wake-ups stayed", "go,boost-fiber-ws", "", 0, 1},
    {"kernel.wake_pack", ParamType::kFloat, "0",
     "As kernel.wake_pack_hot, for a wakee that is not cache hot (the host-vm profile: 0.33).",
     "mainline: 0. `gmpsim calibrate` (bench_wake_pack, asleep 3 ms): 0.30-0.35 on the project's VM; "
     "validation/tools/wake_pack.py on Go programs there reads far more (2026-12-07): 0.97-0.98 of a cold Go "
     "thread's wake-ups (and 0.77-0.79 of a hot one's) on the calibration-set gc-alloc probe, 0.88-0.90 on the "
     "overprocs probe, which the Go profiles (validation/results/go1.*.yaml) carry", "go,boost-fiber-ws", "", 0, 1},
    {"kernel.wake_pack_remote", ParamType::kFloat, "0",
     "Chance that a thread whose previous CPU idles, woken by a thread running on another CPU, is queued on "
     "the waker's CPU behind it instead of running on its idle previous CPU. 0 in mainline Linux "
     "(wake_affine_idle and select_idle_sibling keep an idle previous CPU); the project's VM kernel packs "
     "such wake-ups onto the busy vCPU too, which keeps a program's threads together on one vCPU.",
     "mainline kernel/sched/fair.c wake_affine_idle, select_idle_sibling: 0. validation/tools/wake_pack.py "
     "reads it from perf sched of a Go service on the project's 2-vCPU VM (Linux 6.18.44-fc, sched_vcpu_pack=15)",
     "go,boost-fiber-ws", "", 0, 1},
    {"kernel.hrtick", ParamType::kBool, "false",
     "HRTICK: a slice ends exactly when used instead of at the next tick.",
     "kernel/sched/features.h SCHED_FEAT(HRTICK, false)", "go,boost-fiber-ws"},
    {"kernel.nohz", ParamType::kEnum, "idle",
     "When a CPU takes the scheduling-clock tick: idle (CONFIG_NO_HZ_IDLE: not while idle), full (nohz_full=: "
     "not while it has a single runnable task and no CPU bandwidth limit either; the tick restarts when a second "
     "task is queued there) or off (CONFIG_HZ_PERIODIC: every tick, idle or not; an idle CPU polls again after "
     "each tick before it halts). Matters with kernel.tick_cost > 0.",
     "Documentation/timers/no_hz.rst (CONFIG_HZ_PERIODIC, CONFIG_NO_HZ_IDLE, CONFIG_NO_HZ_FULL); "
     "kernel/sched/core.c sched_can_stop_tick (nr_running > 1, cfs_task_bw_constrained, Linux 6.6+); "
     "Debian's kernels: CONFIG_NO_HZ_IDLE", "go,boost-fiber-ws", "idle|full|off"},
    {"kernel.tick_cost", ParamType::kDuration, "0ns",
     "CPU time of one tick's handler, charged to the thread running when it fires (its CPU time grows, its "
     "work does not): hz x tick_cost per second on a CPU that takes the tick. Must be shorter than 1/hz.",
     "0: the costs fitted by `gmpsim calibrate` were measured with the tick running, so they include it. "
     "`gmpsim calibrate`'s tick benchmark (kernel.tick_gap: a pinned thread spinning on the clock) on the "
     "project's 2-vCPU VM: ~1030 gaps per second at 1 ms phase (this guest ticks at 1000 Hz), median 8.5 us "
     "(p10 4.3-5.6 us, p90 13-14 us; the timer interrupt's VM exit included)",
     "go,boost-fiber-ws", "", 0, 1e9},
    {"kernel.context_switch", ParamType::kDuration, "1200ns",
     "CPU time of switching a CPU to a thread (__schedule, switch_to, the return to user space; a blocking "
     "futex wait's own entry included), charged to the thread switched in, before its work, and so to its "
     "cgroup's quota. Part of kernel.futex_wake's latency: a wake waits futex_wake minus this, then pays this.",
     "kernel/sched/core.c __schedule: pick_next_task_fair's set_next_entity starts the next task's exec_start "
     "before context_switch. A one-CPU futex ping-pong on the project's 2-vCPU VM: round trip p10 5.3 us, half "
     "2.65 us, less a 1.4 us getppid (kernel.syscall): ~1.2 us (`gmpsim calibrate --quick` on the same VM, loaded: 2.2 us, with its batched getppid at 0.19 us); bare metal 1.2-1.5 us a switch with its "
     "syscalls (E. Bendersky, \"Measuring context switching and memory overheads for Linux threads\", 2018). "
     "`gmpsim calibrate` measures it (kernel.futex_rtt_1cpu)",
     "go,boost-fiber-ws", "", 0, 1e9},
    {"kernel.page_release", ParamType::kDuration, "1us",
     "CPU time of giving one 4 KiB anonymous page back with madvise(MADV_DONTNEED): unmapping it, freeing "
     "it and its share of the TLB flush (the Go scavenger's 64 KiB quanta; each call also pays kernel.syscall).",
     "estimate: mm/madvise.c madvise_dontneed_single_vma -> zap_page_range_single; the Go runtime assumes "
     "~10 us a page, \"somewhat pessimistic\" (mgcscavenge.go scavengeQuantum's comment, go1.26.8), and the "
     "TLB flush's IPIs cost more on a VM than on bare metal", "go", "", 0, 1e9},
    {"kernel.bandwidth_slice", ParamType::kDuration, "5ms",
     "Runtime a CPU's run queue takes from its cgroup's quota pool at a time.",
     "Documentation/scheduler/sched-bwc.rst: sched_cfs_bandwidth_slice_us, default 5 ms", "go,boost-fiber-ws",
     "", 1000, 1e10},
    {"kernel.balance_busy_factor", ParamType::kInt, "16",
     "Busy CPUs balance their run queues every (CPUs x 1 ms) x this factor.",
     "kernel/sched/topology.c sd_init: min_interval = sd_weight (ms), busy_factor = 16", "go,boost-fiber-ws",
     "", 1, 1000},
    // Measured by `gmpsim calibrate` (validation/calibrate/README.md).
    {"kernel.page_fault", ParamType::kDuration, "13us", "First-touch fault of a 4 KiB anonymous page (trap, zeroing, PTE).",
     "11-16 us per page (a one-off run on the project's 2-vCPU VM); validation/results/host.yaml: 2.8 us "
     "(kernel.page_fault_4k, MADV_NOHUGEPAGE)", "boost-fiber-ws,go", "", 0, 1e9},
    {"kernel.cache_reach", ParamType::kBytes, "6MiB",
     "Bytes of recently used goroutine state (runtime.mem.g_cache_bytes per G) that stay fast to reach again: "
     "the smaller of what the last-level cache keeps for the process and what the second-level TLB maps (a "
     "G's g and stack lie on different 4 KiB pages). Per NUMA node. Beyond it a G's next newproc or execute "
     "pays runtime.cost.g_cold.",
     "second-level TLB reach: 1536 entries x 4 KiB = 6 MiB (Intel Skylake-SP to Sapphire Rapids STLB), 2048 = "
     "8 MiB (AMD Zen 3/4), below their L3 (1.25-2 MiB per core; 32 MiB per Zen CCD). gmpsim calibrate --runtime "
     "go: the batch size of validation/go/spawn -procs 1 at which a goroutine's cost is halfway from cached "
     "to cold, x runtime.mem.g_cache_bytes (4.2-4.8 MB on the project's VM, 32 MiB of L3)",
     "go", "", 4096, 1e15},
    {"kernel.cache_line_transfer", ParamType::kDuration, "70ns",
     "Time of an access to a cache line another CPU wrote last (a coherence miss: the line moves between the "
     "CPUs' caches). A hardware cost, measured with the host's other costs.",
     "gmpsim calibrate: kernel.cache_line_handoff, two threads pinned to two CPUs handing a line back and forth "
     "(one way, the core-to-core latency): 70 ns on the project's 2-vCPU VM", "go", "", 0, 1e7},
    {"kernel.page_fault_huge", ParamType::kDuration, "121us", "First-touch fault of a 2 MiB transparent huge page.",
     "MADV_HUGEPAGE populate ~121 us per 2 MiB (a one-off run on the project's 2-vCPU VM); "
     "validation/results/host.yaml: 210 us (kernel.page_fault_2m)", "go", "", 0, 1e9},
    {"kernel.signal_ipi", ParamType::kDuration, "49us",
     "Signal to a thread running on another CPU, send to handler (the IPI path of Go's async preemption).",
     "tgkill to a thread spinning on the other vCPU, p50 49 us (a one-off run on the project's 2-vCPU VM); "
     "validation/results/host.yaml: 17 us (kernel.signal_spinning)", "go", "", 0, 1e9},
    {"kernel.signal_self", ParamType::kDuration, "3800ns",
     "Signal handler run on the receiving thread: sigframe, handler, sigreturn (CPU time of that thread).",
     "tgkill(self) -> handler p50 3.8 us (a one-off run on the project's 2-vCPU VM); validation/results/host.yaml "
     "measurements: 4.0 us (kernel.signal_self)", "go", "", 0, 1e9},
    {"kernel.signal_blocked", ParamType::kDuration, "4400ns",
     "Signal to a thread blocked in a system call, send to handler (the call restarts afterwards).",
     "tgkill to a thread in pause(), p50 4.4 us (a one-off run on the project's 2-vCPU VM); "
     "validation/results/host.yaml measurements: 10.7 us (kernel.signal_blocked)", "go", "", 0, 1e9},
    {"kernel.timer_latency", ParamType::kDuration, "41us",
     "Timer expiry to the sleeping thread running, beyond the timer slack (hrtimer + idle exit).",
     "nanosleep 10-100 us overshoot with 1 ns timer slack, +41 us (a one-off run on the project's 2-vCPU VM); "
     "validation/results/host.yaml: 49 us (kernel.timer_latency)", "-", "", 0, 1e9},

    // ---- the boost-fiber-ws model (Boost.Fiber 1.74 work_stealing; models/fiber/README.md) ----
    // Cost names match what `gmpsim calibrate` writes under runtime: {boost-fiber-ws: ...}
    // (validation/calibrate/README.md), so a calibrated profile applies as it is.
    {"fiber.threads", ParamType::kInt, "0",
     "Worker threads of the work_stealing pool; 0 means one per machine CPU (numa_work_stealing: one per CPU the "
     "process may use).",
     "boost/fiber/algo/work_stealing.hpp work_stealing(thread_count, suspend) and libs/fiber/examples/"
     "work_stealing.cpp, boost-1.74.0: one thread per CPU, no more with suspend=false (idle threads spin, "
     "boostorg/fiber#203)",
     "boost-fiber-ws", "", 0, 65536},
    {"fiber.idle", ParamType::kEnum, "spin",
     "What an idle worker thread does: spin (suspend=false: loop in the dispatcher at 100 % CPU, trying to steal) or "
     "suspend (wait on its condition variable; woken only by fibers readied for it from other threads or by its "
     "own timers, never by work queued on other threads: boostorg/fiber#327).",
     "boost/fiber/algo/work_stealing.hpp work_stealing(std::uint32_t, bool suspend = false); "
     "libs/fiber/src/algo/work_stealing.cpp suspend_until and notify, boost-1.74.0",
     "boost-fiber-ws", "spin|suspend"},
    {"fiber.algorithm", ParamType::kEnum, "work_stealing",
     "The scheduling algorithm of the worker threads: work_stealing (algo::work_stealing: steal from random other "
     "threads) or numa_work_stealing (numa::algo::work_stealing: each thread pinned to one CPU, one per CPU the "
     "process may use when fiber.threads is 0; an empty queue steals from random threads of its own NUMA node "
     "first, then from random threads of the other nodes). A what-if on Debian: it ships the headers but not "
     "libboost_fiber_numa (a link error), so it cannot be calibrated or validated there.",
     "boost/fiber/numa/algo/work_stealing.hpp and libs/fiber/src/numa/algo/work_stealing.cpp (pick_next, "
     "numa::pin_thread), boost-1.74.0",
     "boost-fiber-ws", "work_stealing|numa_work_stealing"},
    {"fiber.cost.switch", ParamType::kDuration, "63ns",
     "CPU time of resuming a fiber (context switch and ready-queue pop); switching into the dispatcher is free.",
     "this_fiber::yield() between 2 fibers, 63.5 ns (a one-off run on the project's 2-vCPU VM, Boost 1.74); "
     "validation/results/host.yaml: switch fitted 60 ns (fiber.yield2, fiber.yield16)", "boost-fiber-ws", "", 0, 1e9},
    {"fiber.cost.spawn", ParamType::kDuration, "150ns",
     "CPU time of fibers::fiber(fn) with launch::post: stack and context, push to the creating thread's queue.",
     "estimate: a share of create+join, ~345 ns = spawn + exit + park + ready + 2 switches (a one-off run on the "
     "project's 2-vCPU VM); validation/results/host.yaml: spawn fitted 49 ns (fiber.spawn)",
     "boost-fiber-ws", "", 0, 1e9},
    {"fiber.cost.exit", ParamType::kDuration, "50ns", "CPU time of a fiber's termination (terminate, release).",
     "estimate: a share of create+join (~345 ns, a one-off run on the project's 2-vCPU VM); "
     "validation/results/host.yaml: exit fitted 172 ns (fiber.run_exit, fiber.create_join)", "boost-fiber-ws", "", 0, 1e9},
    {"fiber.cost.park", ParamType::kDuration, "10ns",
     "CPU time of suspending a fiber on a wait queue, beyond the switch to the next one.",
     "estimate: the calibration fit's increment beyond the switch, often 0 (validation/calibrate/README.md)",
     "boost-fiber-ws", "", 0, 1e9},
    {"fiber.cost.ready", ParamType::kDuration, "30ns",
     "CPU time of readying a fiber on the waker's own thread (context::schedule -> awakened, push to the queue).",
     "estimate: a share of an unbuffered_channel round trip, 305 ns = 2 switches + 2 parks + 2 readies + 4 chan "
     "ops (a one-off run on the project's 2-vCPU VM); validation/results/host.yaml: ready fitted 14 ns (fiber.notify)",
     "boost-fiber-ws", "", 0, 1e9},
    {"fiber.cost.chan_op", ParamType::kDuration, "30ns",
     "CPU time of one channel push, pop or close (spinlock, slot or ring update), beside park and ready.",
     "unbuffered_channel round trip 305 ns, buffered_channel(2) 409 ns, 4 ops each (a one-off run on the project's "
     "2-vCPU VM); validation/results/host.yaml: chan_op fitted 34 ns (fiber.chan_rtt, fiber.chan_rtt_buffered)",
     "boost-fiber-ws", "", 0, 1e9},
    {"fiber.cost.remote_wake", ParamType::kDuration, "800ns",
     "CPU time of readying a fiber attached to another thread (schedule_from_remote: spinlock, remote list, notify); "
     "a suspended target also pays the kernel wake latency.",
     "buffered_channel round trip 7.3 us across 2 threads vs 0.41 us on one (a one-off run on the project's 2-vCPU "
     "VM): ~3.4 us per remote wake, less kernel.futex_wake (2.6 us); validation/results/host.yaml: remote_wake "
     "fitted 179 ns with spinning dispatchers (fiber.chan_rtt_threads_spin)",
     "boost-fiber-ws", "", 0, 1e9},
    {"fiber.cost.steal", ParamType::kDuration, "70ns",
     "CPU time of one steal() attempt on a random other thread (its queue spinlock, the head check, attach).",
     "a yield costs 138-163 ns under work_stealing(2) vs 63.5 ns under round_robin (a one-off run on the project's "
     "2-vCPU VM); validation/results/host.yaml: steal 156 ns (fiber.steal_latency)",
     "boost-fiber-ws", "", 0, 1e9},
    {"fiber.cost.lock", ParamType::kDuration, "20ns",
     "CPU time of an uncontended fibers::mutex lock or unlock (spinlock-protected owner and wait queue); a "
     "WaitGroup step (mutex + condition_variable) pays two.",
     "estimate: one atomic on a cache-resident line; `gmpsim calibrate` does not fit it", "boost-fiber-ws", "", 0, 1e9},
    {"fiber.listener_cost", ParamType::kDuration, "0ns",
     "CPU time a thread outside the pool (a listener or load generator) spends per open-loop arrival it hands "
     "over; it runs on the machine's CPUs beside the workers. 0: hand-overs are free.",
     "gmpsim-fiberrun reports its generator's CPU per arrival (generator.cpu_ns / arrivals): 7-10 us on the "
     "project's VMs; `gmpsim validate` sets it per real run", "boost-fiber-ws", "", 0, 1e9},
    {"fiber.stack_fault_pages", ParamType::kFloat, "1.0",
     "Pages of a new stack (pooled_fixedsize_stack, 128 KiB) the fiber's first run faults in, each a first-touch "
     "fault of kernel.page_fault on the thread that runs it. Only stacks beyond the most fibers alive so far are "
     "new; released ones are reused.",
     "gmpsim calibrate: fiber.storm_cold_faults_per_fiber - fiber.storm_cold_create_faults_per_fiber (getrusage "
     "over a 10 000-fiber cold storm): 1.0 of 3.64 on the project's 2-vCPU VM, Boost 1.74", "boost-fiber-ws", "", 0, 64},
    {"fiber.stack_fault_pages_create", ParamType::kFloat, "2.64",
     "Pages of a new stack faulted in while the creating thread builds the fiber (the pool carving a new block, the "
     "context record at the stack's top, create_fiber's first jump into it): paid by the creating thread, one "
     "fiber after another.",
     "gmpsim calibrate: fiber.storm_cold_create_faults_per_fiber (getrusage over the creation loop of a 10 000-fiber "
     "cold storm): 2.64 on the project's 2-vCPU VM, Boost 1.74; boost/fiber/context.hpp "
     "make_worker_context_with_properties, boost/context/fiber_fcontext.hpp create_fiber", "boost-fiber-ws", "", 0, 64},
    {"fiber.stack_allocator", ParamType::kEnum, "fixedsize",
     "The boost::context stack allocator of every fiber, which decides the mappings stacks take against "
     "vm.max_map_count: fixedsize (std::malloc: glibc serves the stacks allocated before the first one is freed by "
     "mmap, then from its heap; few mappings), protected (mmap plus an mprotect'ed guard page: two mappings per live "
     "stack) or pooled (boost::pool blocks of 32, 64, 128, ... stacks: one mapping per block at most). Past the limit "
     "the allocator throws std::bad_alloc: outcome out_of_memory. protected also maps every stack afresh, so each "
     "new fiber pays the fresh-stack faults.",
     "boost/context/fixedsize_stack.hpp (std::malloc unless BOOST_CONTEXT_USE_MAP_STACK, defined only on OpenBSD: "
     "boost/context/detail/config.hpp), posix/protected_fixedsize_stack.hpp, pooled_fixedsize_stack.hpp, Boost 1.74 "
     "(boost::fibers::fixedsize_stack is the default); maps counted from /proc/self/maps with 10 000 live fibers "
     "(models/fiber/README.md)", "boost-fiber-ws", "fixedsize|protected|pooled"},
    {"fiber.stack_size", ParamType::kBytes, "128KiB",
     "Size of a fiber's stack (the allocator's argument); protected adds a guard page. Reported as stack_bytes_peak (the most fibers alive at once times the mapped size).",
     "boost::context::stack_traits::default_size() = 131072 on Linux (libs/context/src/posix/stack_traits.cpp, "
     "Boost 1.74; printed by a program linked with libboost_context)", "boost-fiber-ws", "", 16384, 1e12},
    {"fiber.cost.storm_working_set", ParamType::kDuration, "0ns",
     "Extra CPU time of a fiber's first run on a fresh stack (cache and TLB misses of a large spawn storm).",
     "validation/calibrate/README.md: fitted from fiber.storm_warm; 0 while a storm fits in cache", "boost-fiber-ws", "", 0, 1e9},

    // ---- run ----
    {"run.duration", ParamType::kDuration, "10s",
     "Simulated time to run; the run also ends earlier when no work remains.", "chosen default", "", "", 1,
     1e6 * kHour},
    {"run.warmup", ParamType::kDuration, "0s",
     "Initial period excluded from statistics (must be shorter than run.duration).", "chosen default", "", "",
     0, 1e6 * kHour},
    {"run.seed", ParamType::kInt, "1", "Master seed of every random stream.", "-", "", "", 0, 9.2e18},
    {"run.sample_interval", ParamType::kDuration, "10ms", "Interval of the rows of timeseries.csv.",
     "chosen default", "", "", 1000 * kNs, 1e6 * kHour},
    {"run.max_events", ParamType::kInt, "0",
     "Stop with outcome time_limit after this many events (0 = no limit).", "-", "", "", 0, 9.2e18},
    {"run.max_memory", ParamType::kBytes, "4GiB",
     "Most memory the simulator itself may use for the run (goroutine records, pending events, the time series; "
     "not the simulated machine's memory): a scenario that needs more is refused before it runs when the need is "
     "known (time series, closed-loop clients, run queues), and a run that grows past it stops with outcome "
     "sim_memory_limit. 0 = no limit.", "chosen default: well under the memory of a laptop", "", "", 0, 1e18},
    {"run.wall_limit", ParamType::kDuration, "0s",
     "Stop with outcome time_limit after this much host (wall-clock) time; 0 = no limit. Not reproducible.",
     "-", "", "", 0, 1e6 * kHour},
    {"run.fuse_steal_rounds", ParamType::kBool, "true",
     "Simulator shortcut of the go model: a spinning M's steal rounds that cannot find a goroutine (no other run "
     "queue holds one) run as one CPU burst, cut back to a burst per round when a goroutine is queued, a runnext "
     "set or the world stopped meanwhile, so every scan that could see a change happens when it would: the same "
     "behaviour with fewer events (up to a fifth fewer on many Ps). false: a burst per round, to compare.",
     "models/go/proc.cpp steal_fuse", "go"},
    {"run.fuse_execute", ParamType::kBool, "true",
     "Simulator shortcut of the go model: when the goroutine an M picks starts with a compute step, the CPU of "
     "the scheduling decision (findRunnable's pick, execute, the lines of a G last run elsewhere) is the first "
     "part of that compute's burst, as the runtime work before a compute is: one event instead of two. The "
     "goroutine is running from the decision on (a stop or preemption request in that window is honoured at "
     "the compute's first call) and its wait is measured to the decision's end, as before. false: a burst "
     "for the decision, to compare.",
     "models/go/proc.cpp fuse_execute", "go"},
    {"run.confidence", ParamType::kFloat, "0.99", "Level of the batch-means confidence intervals.", "-", "",
     "", 0.5, 0.9999},

    // ---- workload: global objects, goroutine classes ----
    {"workload.files.size", ParamType::kBytes, "0B",
     "The files the program's file_read steps read at random offsets (a data set, an index); 0 with file_read "
     "steps is an error.", "-", "go", "", 0, 1e18},
    {"workload.files.cached", ParamType::kBytes, "0B",
     "How much of workload.files.size is in the page cache at the start (0: a cold cache; the size: warm).", "-",
     "go", "", 0, 1e18},
    {"workload.heap.live", ParamType::kBytes, "0B",
     "Long-lived heap present from the start (caches, tables): marked every GC cycle.", "-", "go", "", 0, 1e18},
    {"workload.heap.globals", ParamType::kBytes, "0B",
     "Scannable global variables (data and bss): scanned every cycle and counted in the heap goal.", "-", "go",
     "", 0, 1e18},
    {"workload.heap.object_size", ParamType::kBytes, "1KiB",
     "Mean size of the objects of workload.heap.live: each is marked every cycle (runtime.cost.gc_mark_object).",
     "-", "go", "", 1, 1e15},
    {"workload.heap.scan_fraction", ParamType::kFloat, "1",
     "Fraction of heap bytes that hold pointers and must be scanned (0 for []byte buffers, 1 for pointer-rich "
     "structures).", "-", "go", "", 0, 1},
    {"workload.channels", ParamType::kChannels, "{}",
     "Global channels and their capacities (0 = unbuffered), e.g. {jobs: 0, results: 16}. Channels made by a "
     "goroutine (step make) are local to it and its spawned goroutines.", "-"},
    {"workload.classes.*.arrivals.process", ParamType::kEnum, "none",
     "How goroutines of this class arrive: none (only spawned), initial (a population at t=0), poisson, "
     "constant, onoff (bursty Poisson), closed (clients with think time), trace (recorded arrival times).",
     "-", "", "none|initial|poisson|constant|onoff|closed|trace"},
    {"workload.classes.*.arrivals.count", ParamType::kInt, "1", "Goroutines started at t=0.", "-", "", "", 0,
     1e9, "process=initial"},
    {"workload.classes.*.arrivals.rate", ParamType::kRate, "",
     "Arrival rate (during on periods for onoff). At most 10^9/s: one arrival a nanosecond, the clock's resolution "
     "(faster arrivals would pile up at one instant).", "-", "", "", 0, 1e9, "process=poisson|constant|onoff", true},
    {"workload.classes.*.arrivals.on", ParamType::kDist, "", "Length of on periods (onoff).", "-", "", "", 0,
     1e300, "process=onoff", true},
    {"workload.classes.*.arrivals.off", ParamType::kDist, "", "Length of off periods (onoff).", "-", "", "",
     0, 1e300, "process=onoff", true},
    {"workload.classes.*.arrivals.file", ParamType::kString, "",
     "Recorded arrival times (trace): a text file, one time from t = 0 per line, ascending, as a duration "
     "(1500us) or integer nanoseconds; # starts a comment. A relative path is looked up beside the scenario.",
     "-", "", "", 0, 0, "process=trace", true},
    {"kernel.wake_ipi", ParamType::kDuration, "7us",
     "CPU time a wake costs the waker beyond its system call when the woken thread goes to an idle CPU other "
     "than the waker's: the IPI that brings that CPU out of idle (on a VM whose guest halts, a VM exit on the "
     "sender). Charged to the M that wakes another M's thread (startm from wakep, handoffp, injectglist, "
     "startTheWorld, sysmon), to the M whose gcstopm wakes the one stopping the world, whose safe-point "
     "function wakes forEachP's caller, whose entersyscall/exitsyscall wakes sysmon, whose startlockedm wakes "
     "a locked M, or whose netpollBreak wakes the blocking poller; in boost-fiber-ws to the worker whose "
     "schedule_from_remote wakes a suspended worker. Timers, fds and the fiber listener have no waker to charge.",
     "kernel/sched/core.c try_to_wake_up -> ttwu_queue_wakelist -> send_call_function_single_ipi (no IPI when "
     "the idle CPU polls: set_nr_if_polling). The FUTEX_WAKE that wakes a thread sleeping on another, idle CPU "
     "takes 7.3 us (p10 7.1, p90 7.6 us) against 0.34 us with no waiter on the project's 2-vCPU VM (a one-off "
     "C program, 400 wakes after 20-200 us idle; the guest halts: cpuidle haltpoll with guest_halt_poll_ns=0); "
     "`gmpsim calibrate` measures it (kernel.futex_wake_syscall_idle). Bare metal: the sender's side of an IPI "
     "to an idle CPU is ~1600-2000 cycles (V. Pallipadi, LKML 2012-02-06, \"Extend mwait idle to optimize away "
     "IPIs when possible\"), ~0.7 us",
     "go,boost-fiber-ws", "", 0, 1e9},
    {"workload.classes.*.arrivals.clients", ParamType::kInt, "", "Number of closed-loop clients.", "-", "",
     "", 1, 1e9, "process=closed", true},
    {"workload.classes.*.arrivals.think", ParamType::kDist, "0s",
     "Think time of a closed-loop client between a reply and its next request.", "-", "", "", 0, 1e300,
     "process=closed"},
    {"workload.classes.*.program", ParamType::kProgram, "[]",
     "Steps each goroutine of the class runs, in order (see Workload language).", "-"},
};

const std::vector<Profile>& kernel_profile_list() {
  static const std::vector<Profile> profiles = {
      {"host-vm",
       "One-off measurements on the project's 2-vCPU Firecracker VM (Linux 6.18 guest, AMD EPYC); "
       "`gmpsim calibrate` measures them again (validation/results/host.yaml).",
       {{"kernel.hz", "250Hz"}, {"kernel.timer_slack", "50us"}, {"kernel.futex_wake", "2600ns"},
        {"kernel.thread_create", "23600ns"}, {"kernel.syscall", "1400ns"}, {"kernel.idle_exit", "40us"},
        {"kernel.context_switch", "1200ns"}, {"kernel.wake_ipi", "7us"},
        // the VM kernel's packing of wake-ups onto busy vCPUs (gmpsim calibrate's bench_wake_pack)
        {"kernel.wake_pack_hot", "0.93"}, {"kernel.wake_pack", "0.33"},
        // /sys/kernel/mm/transparent_hugepage/enabled on the project's VM
        {"vm.thp.enabled", "madvise"},
        // gmpsim calibrate --runtime go's knee on the project's VM: 4.2-4.8 MB on go1.19.8 and go1.26.8
        // (validation/results/go1.*.yaml)
        {"kernel.cache_reach", "4608KiB"}}},
      {"bare-metal",
       "Estimates for a bare-metal x86-64 server, not measured by the project: a futex context switch "
       "~1.2-1.5 us between pinned threads (E. Bendersky, \"Measuring context switching and memory overheads "
       "for Linux threads\", 2018), thread creation ~10-20 us, a syscall ~0.1 us, no halt polling.",
       {{"kernel.hz", "250Hz"}, {"kernel.timer_slack", "50us"}, {"kernel.futex_wake", "1500ns"},
        {"kernel.thread_create", "15us"}, {"kernel.syscall", "100ns"}, {"kernel.idle_exit", "2us"},
        {"kernel.context_switch", "1200ns"},  // Bendersky's 1.2-1.5 us less the 0.1 us syscall
        {"kernel.wake_ipi", "700ns"},         // an IPI's sending side, ~1600-2000 cycles (LKML 2012)
        {"kernel.page_release", "250ns"},     // estimate: a few hundred ns a page without a hypervisor
        {"kernel.idle_poll", "0ns"},  // no hypervisor: every idle CPU is in some C-state; idle_exit is its exit
        // Estimates, not measured: a 4 KiB fault ~0.5-1 us, a 2 MiB fault mostly zeroing, signals and IPIs
        // a few us, hrtimer wake-ups a few us.
        {"kernel.page_fault", "1us"}, {"kernel.page_fault_huge", "60us"}, {"kernel.signal_ipi", "5us"},
        {"kernel.signal_self", "1500ns"}, {"kernel.signal_blocked", "2us"}, {"kernel.timer_latency", "5us"}}},
  };
  return profiles;
}

bool used_by_model(const ParamSpec& p, std::string_view model) {
  if (model.empty() || p.used_by.empty()) return true;
  std::string_view list = p.used_by;
  while (!list.empty()) {
    const auto comma = list.find(',');
    if (list.substr(0, comma) == model) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

std::string used_by_text(const ParamSpec& p) {
  if (p.used_by.empty()) return "all";
  if (p.used_by == "-") return "none (recorded only)";
  return std::string(p.used_by);
}

std::string choices_text(const ParamSpec& p) {
  if (p.choices == "@models") {
    std::string out;
    for (const ModelInfo& m : model_catalog()) out += std::string(out.empty() ? "" : "|") + std::string(m.name);
    return out;
  }
  return std::string(p.choices);
}

}  // namespace

const char* param_type_name(ParamType t) {
  switch (t) {
    case ParamType::kInt: return "int";
    case ParamType::kFloat: return "float";
    case ParamType::kBool: return "bool";
    case ParamType::kString: return "string";
    case ParamType::kEnum: return "enum";
    case ParamType::kDuration: return "duration";
    case ParamType::kBytes: return "bytes";
    case ParamType::kRate: return "rate";
    case ParamType::kFrequency: return "frequency";
    case ParamType::kCpuSet: return "cpus";
    case ParamType::kNumaNodes: return "numa nodes";
    case ParamType::kDist: return "distribution";
    case ParamType::kProgram: return "program";
    case ParamType::kChannels: return "channels";
  }
  return "?";
}

std::span<const ParamSpec> param_table() { return kParams; }

const ParamSpec* find_param(std::string_view key_pattern) {
  for (const ParamSpec& p : kParams) {
    if (p.key == key_pattern) return &p;
  }
  return nullptr;
}

std::string key_pattern(std::string_view key) {
  for (std::string_view prefix : {std::string_view("workload.classes."), std::string_view("machine.processes.")}) {
    if (key.substr(0, prefix.size()) != prefix) continue;
    std::string_view rest = key.substr(prefix.size());
    const auto dot = rest.find('.');
    if (dot == std::string_view::npos) return std::string(prefix) + "*";
    return std::string(prefix) + "*" + std::string(rest.substr(dot));
  }
  return std::string(key);
}

std::span<const Profile> kernel_profiles() { return kernel_profile_list(); }

const Profile* find_kernel_profile(std::string_view name) {
  for (const Profile& p : kernel_profile_list()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::string params_markdown() {
  std::ostringstream os;
  os << "| key | type | default | used by | description | source of default |\n";
  os << "|---|---|---|---|---|---|\n";
  for (const ParamSpec& p : kParams) {
    std::string type = param_type_name(p.type);
    if (p.type == ParamType::kEnum) type += ": " + choices_text(p);
    std::string doc(p.doc);
    if (!p.only_when.empty()) doc += " Only with " + std::string(p.only_when) + ".";
    if (p.required) doc += " Required there.";
    os << "| `" << p.key << "` | " << type << " | " << (p.default_text.empty() ? "—" : "`" + std::string(p.default_text) + "`")
       << " | " << used_by_text(p) << " | " << doc << " | " << p.source << " |\n";
  }
  os << "\nKernel profiles (`kernel.profile`):\n\n";
  for (const Profile& prof : kernel_profile_list()) {
    os << "- `" << prof.name << "`: " << prof.doc << " Values:";
    for (auto& [k, v] : prof.values) os << " `" << k << "=" << v << "`";
    os << "\n";
  }
  return os.str();
}

std::string params_text(std::string_view model) {
  std::ostringstream os;
  for (const ParamSpec& p : kParams) {
    if (!used_by_model(p, model)) continue;
    os << p.key << "  (" << param_type_name(p.type);
    if (p.type == ParamType::kEnum) os << ": " << choices_text(p);
    os << ", default " << (p.default_text.empty() ? "none" : std::string(p.default_text)) << ")";
    if (!model.empty() || !p.used_by.empty()) os << "  [used by: " << used_by_text(p) << "]";
    os << "\n    " << p.doc;
    if (!p.only_when.empty()) os << " Only with " << p.only_when << (p.required ? "; required there." : ".");
    os << "\n    source: " << p.source << "\n";
  }
  return os.str();
}

}  // namespace gmpsim::models
