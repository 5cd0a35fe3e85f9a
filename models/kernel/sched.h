// Kernel: the Linux fair scheduling class under the runtime models' threads. Every OS thread of the
// simulated process (the Go model's Ms and sysmon, Boost.Fiber's workers) and of the background processes
// on the machine runs through it. The names follow kernel/sched/fair.c so that the code can be read beside
// the kernel's: enqueue_task_fair, pick_next_entity, update_curr, place_entity, check_preempt_wakeup_fair,
// select_task_rq_fair, sched_balance_newidle, throttle_cfs_rq, do_sched_cfs_period_timer.
//
// Structure (models/kernel/README.md has the full design note):
//   - A thread is a sched_entity with a weight from its nice value (sched_prio_to_weight). It belongs to a
//     group: each process is a cgroup of its own, as systemd and container runtimes place them.
//   - Per CPU, a root cfs_rq holds one group entity per group with runnable threads on that CPU; the group's
//     per-CPU cfs_rq holds its threads. A group entity's weight is the group's cpu.weight shares split by
//     where its runnable load is (calc_group_shares). One level of groups.
//   - Pick policy: EEVDF (Linux 6.6+: lag, eligibility, earliest virtual deadline, RUN_TO_PARITY) or CFS
//     (<= 6.5: smallest vruntime, sched_slice from sched_latency, wake-up preemption past
//     wakeup_granularity).
//   - Slices end at a tick (no HRTICK) unless hrtick is set; the tick is not an event per CPU per tick: the
//     next instant a tick would act is computed (the running entity's vruntime grows linearly) and one
//     event per CPU is armed for the first tick at or after it.
//   - cgroup v2 CPU bandwidth (cpu.max, cpu.max.burst) as Documentation/scheduler/sched-bwc.rst has it: a
//     global pool per period, per-CPU runtime pulled in bandwidth slices, throttling until the period timer
//     refills the pool; cpu.stat counters.
//   - Placement and balance: a waking thread goes to its previous CPU if idle; else wake_affine chooses between
//     the waker's CPU and the previous one, and select_idle_sibling tries that target, the previous CPU, the
//     recently used one, then scans for an idle CPU as deeply as the LLC's utilization allows (SIS_UTIL), else
//     stays on the target; a CPU going idle pulls the longest-waiting thread that is not cache hot from the
//     busiest CPU; a periodic balance evens run-queue lengths of busy CPUs.
//
// A thread is Blocked, Waking (a wake-up is on its way: futex wake -> running takes `wake_latency`),
// Runnable (queued) or Running. A running thread does bursts of CPU work (run_for); a burst's remaining work
// only shrinks while the thread holds a CPU. When a burst completes, the owner's on_burst_done(tid) gives
// the thread another burst or blocks it. Background processes' threads are owned by the Kernel itself.
// Event kinds kind_base .. kind_base + kEventKinds - 1 belong to the Kernel; the owner forwards them to handle().
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/check.h"
#include "sim/dist.h"
#include "sim/engine.h"
#include "sim/rng.h"
#include "sim/stats.h"

namespace gmpsim::models::kernel {

struct NumaTopology;

// 128-bit intermediates for load-weighted vruntime sums, as the kernel uses s64 with care (a GCC/Clang extension).
__extension__ typedef __int128 i128;

enum class Policy : std::uint8_t { kEevdf, kCfs };

// When a CPU takes the scheduling-clock tick (Documentation/timers/no_hz.rst): kIdle (CONFIG_NO_HZ_IDLE, the
// default): not while idle; kFull (nohz_full=): not while it has a single runnable task either; kOff
// (CONFIG_HZ_PERIODIC): always, idle or not.
enum class NoHz : std::uint8_t { kIdle, kFull, kOff };

struct SchedParams {
  Policy policy = Policy::kEevdf;
  sim::Time wake_latency = 2600;         // futex wake -> thread running (kernel.futex_wake)
  sim::Time tick = 4'000'000;            // 1/HZ
  sim::Time idle_exit = 0;               // extra wake latency onto a halted CPU (kernel.idle_exit)
  sim::Time idle_poll = 0;               // an idle CPU polls this long before it halts (kernel.idle_poll)
  sim::Time base_slice = 1'400'000;      // EEVDF slice / CFS min_granularity, already scaled for the CPUs
  sim::Time sched_latency = 12'000'000;  // CFS target period, scaled
  sim::Time wakeup_granularity = 2'000'000;  // CFS, scaled
  int nr_latency = 8;                    // CFS: the period stretches beyond this many tasks
  bool run_to_parity = true;             // EEVDF: the running entity keeps the CPU until its slice is used
  bool delay_dequeue = false;            // EEVDF (6.12+): an ineligible sleeper stays queued until picked
  bool hrtick = false;                   // slices end exactly, not at the next tick
  sim::Time bandwidth_slice = 5'000'000; // sched_cfs_bandwidth_slice_us
  sim::Time balance_interval = 32'000'000;  // periodic balance of busy CPUs
  NoHz nohz = NoHz::kIdle;               // kernel.nohz
  sim::Time tick_cost = 0;               // kernel.tick_cost: CPU time of one tick's handler (< tick)
  sim::Time context_switch = 0;          // kernel.context_switch: CPU time of switching a thread in
  sim::Time wake_ipi = 0;                // kernel.wake_ipi: the waker's CPU to wake a thread onto an idle CPU
  bool sis_util = true;                  // kernel.sis_util: the idle-CPU scan's depth falls with the LLC's utilization
  sim::Time migration_cost = 500'000;    // kernel.sched_migration_cost: a thread that ran this recently is cache hot
  // kernel.wake_pack_hot, kernel.wake_pack: the chance that a thread woken by a thread running on its previous
  // CPU stays queued there although another CPU idles (a cache-hot wakee; any other). 0 in mainline Linux.
  double wake_pack_hot = 0, wake_pack = 0;
  // kernel.wake_pack_remote: the chance that a thread whose previous CPU idles, woken by a thread running on
  // another CPU, is queued on the waker's CPU instead. 0 in mainline Linux.
  double wake_pack_remote = 0;
};

// Effective value of a fair-class tunable for `ncpu` CPUs: kernel/sched/fair.c get_update_sysctl_factor's
// 1 + ilog2(min(ncpu, 8)) under the default SCHED_TUNABLESCALING_LOG.
inline sim::Time scale_for_cpus(sim::Time base, std::size_t ncpu) {
  std::size_t n = ncpu < 8 ? ncpu : 8, log2 = 0;
  while (n > 1) n >>= 1, ++log2;
  return base * static_cast<sim::Time>(1 + log2);
}

// A cgroup's CPU controller settings (Documentation/admin-guide/cgroup-v2.rst, "CPU").
struct GroupSpec {
  std::string name;
  sim::Time quota = -1;          // cpu.max $MAX; -1 = "max"
  sim::Time period = 100'000'000;  // cpu.max $PERIOD
  sim::Time burst = 0;           // cpu.max.burst
  std::uint32_t weight = 100;    // cpu.weight, 1..10000
  std::vector<std::uint32_t> cpus;  // cpuset.cpus (effective); empty = every CPU
  // The root cgroup: its threads compete one for one with other groups' entities, so its entity on a CPU
  // weighs the sum of its threads' weights there (no shares to split). It has no limits.
  bool root = false;
  // Group 0 only: the CPU affinity (sched_setaffinity) the simulated process's threads start with, machine CPU
  // indices within `cpus`; empty = all of `cpus`. numactl --cpunodebind sets it: it binds the process's
  // threads, not the cgroup, which the root cgroup's other processes may share.
  std::vector<std::uint32_t> affinity;
};

// A background process: `threads` threads of the given nice value in group `group`, each alternating a CPU
// burst and a sleep drawn from the distributions (ns).
struct ProcessSpec {
  std::string name;
  std::uint32_t group = 0;
  std::uint32_t threads = 1;
  int nice = 0;
  sim::Dist burst, sleep;
  std::int64_t memory = 0;  // anonymous memory it holds (the memory model, mm.h)
};

// What a burst's CPU time is counted as, for utilization reports. kOther is background processes' time.
using BurstKind = std::uint8_t;
inline constexpr BurstKind kOther = 7;

class ThreadOwner {
 public:
  // The thread is running and has no burst: give it one (run_for) or block it.
  virtual void on_burst_done(std::uint32_t tid) = 0;

 protected:
  ~ThreadOwner() = default;
};

// sched_prio_to_weight (kernel/sched/core.c): the load weight of nice -20..19; nice 0 is 1024.
std::uint32_t nice_to_weight(int nice);

class Kernel {
 public:
  enum class State : std::uint8_t { kBlocked, kWaking, kRunnable, kRunning };
  enum EventKind : std::uint32_t { kBurstDone = 0, kWakeDone = 1, kTickCheck = 2, kSleepDone = 3, kPeriodTimer = 4,
                                   kSlackTimer = 5, kBalance = 6, kMigrationStop = 7 };
  static constexpr std::uint32_t kEventKinds = 8;
  static constexpr std::uint32_t kNone = 0xffffffffu;
  static constexpr std::uint32_t kKthread = 0xfffffffeu;  // Thread::proc of a kernel thread
  // wake()'s waker for a timer's expiry: the hrtimer interrupt runs on the CPU that armed it, the sleeper's
  // previous CPU, and interrupts whatever runs there.
  static constexpr std::uint32_t kTimerIrq = 0xfffffffdu;
  static constexpr std::size_t kMaxKinds = 8;
  static constexpr std::uint32_t kBgBit = 0x40000000u;  // background processes' thread ids

  // Group 0 is the simulated process; `groups` may add others for background processes.
  Kernel(sim::Engine& engine, ThreadOwner& owner, std::size_t ncpu, const SchedParams& params, std::uint32_t kind_base,
         std::vector<GroupSpec> groups = {GroupSpec{}});

  // Background processes: their threads are created and start running at once (call before the run). Also
  // seeds the kernel's own random draws (kernel.wake_pack).
  void start_processes(const std::vector<ProcessSpec>& procs, const sim::RngStreams& streams);

  // The machine's NUMA nodes: placement and balancing look within a node first (balance.cpp). One node (the
  // default) changes nothing. Call before the run.
  void set_topology(const NumaTopology& topo);
  std::size_t nodes() const { return numa_ ? node_cpus_.size() : 1; }
  std::uint32_t node_of(std::uint32_t cpu) const { return numa_ ? cpu_node_[cpu] : 0; }

  // A new thread of the simulated process (group 0), Blocked until wake()d; it starts with the process's
  // affinity (GroupSpec::affinity).
  std::uint32_t create_thread(int nice = 0);
  // sched_setaffinity(2) of one thread: it may run only on `cpus` (machine CPU indices) within its group's
  // cpuset; empty = the whole cpuset. Takes effect at once, as __set_cpus_allowed_ptr does: a queued thread
  // outside the new mask is moved to a CPU of it (move_queued_task), a running one is pushed off its CPU
  // (the stopper's migration_cpu_stop), a thread whose wake-up is on its way is placed again when it lands,
  // a blocked one wakes inside the mask.
  // A running thread is pushed off by an event at the same instant (the stopper runs after the caller's
  // system call returns), so the owner may call this from on_burst_done.
  void set_affinity(std::uint32_t tid, const std::vector<std::uint32_t>& cpus);
  // numa_preferred_nid: the node whose idle CPUs a waking thread tries first when its previous CPU is busy;
  // kNoNode (the default) = the previous CPU's node.
  static constexpr std::uint32_t kNoNode = 0xffffu;
  void set_preferred_node(std::uint32_t tid, std::uint32_t node);
  // A kernel thread (kswapd) in the root cgroup, Blocked until wake()d; `owner` gives it bursts. Its events
  // are the kernel's own (is_daemon_event), like background processes'.
  std::uint32_t create_kthread(ThreadOwner& owner);
  // The OOM killer ended background process `proc`: its threads stop when their current burst or sleep ends.
  void kill_process(std::uint32_t proc);
  sim::Time now() const { return engine_.now(); }

  // futex wake: the thread is placed on a CPU now (select_task_rq_fair) and queued there after
  // wake_latency, plus idle_exit when that CPU is idle and has halted (idle for longer than idle_poll).
  // Waking a thread that is not blocked is a no-op. `extra` adds to the latency (creating the thread).
  // Returns the CPU time the wake costs the waker (thread `waker`) beyond its system call: kernel.wake_ipi
  // when the thread goes to an idle CPU other than the waker's, which only an IPI brings out of idle
  // (ttwu_queue_wakelist -> send_call_function_single_ipi); 0 otherwise, or with no waker (a timer).
  sim::Time wake(std::uint32_t tid, sim::Time extra = 0, std::uint32_t waker = kNone);
  // A thread already running when the simulation starts: queued now.
  void start_now(std::uint32_t tid);
  // nanosleep: the running thread blocks and is woken after `d`, then the usual wake latency. A timer's
  // expiry wakes it from its previous CPU (kTimerIrq); `timer` false for a blocking call that some other
  // event (a device) ends, which wakes it with no waker.
  void sleep(std::uint32_t tid, sim::Time d, bool timer = true);
  // Ends a sleep early (a signal, an fd becoming ready); no-op when the thread is not sleeping. Returns
  // what the wake costs `waker`, as wake() does.
  sim::Time interrupt_sleep(std::uint32_t tid, std::uint32_t waker = kNone);
  // The running thread blocks: it leaves its CPU now. Any unfinished burst is dropped.
  void block(std::uint32_t tid);
  // Gives the thread a burst of `work` ns of CPU, started now if it is running, else when it next runs.
  // (Inline with the burst's end in handle(): the path of most events.)
  // `prefix` ns of `prefix_kind` come first (the owner's runtime work before its program's, one event
  // for both): only the CPU accounting by kind tells them apart.
  void run_for(std::uint32_t tid, sim::Time work, BurstKind kind = 0, sim::Time prefix = 0, BurstKind prefix_kind = 0) {
    Thread& t = thr(tid);
    GMPSIM_CHECK(t.remaining == 0 && !t.burst.valid(), "Kernel::run_for: a burst is already in progress");
    GMPSIM_CHECK(kind < kMaxKinds && prefix_kind < kMaxKinds, "Kernel::run_for: burst kind out of range");
    t.remaining = prefix + work;
    t.kind = kind;
    t.prefix = prefix;
    t.prefix_kind = prefix_kind;
    if (t.state == State::kRunning) start_burst(tid);
  }
  // Stops the thread's burst now and returns the work left; the thread keeps its CPU without a burst.
  // `prefix_left`, when given, receives how much of that is still the burst's prefix.
  sim::Time interrupt(std::uint32_t tid, sim::Time* prefix_left = nullptr);

  void handle(const sim::Event& ev) {
    if (ev.kind == kind_base_ + kBurstDone && (ev.arg & kBgBit) == 0) {  // a program thread's burst ended
      Thread& t = threads_[ev.arg];
      t.burst = {};
      charge(t);
      GMPSIM_CHECK(t.remaining == 0, "Kernel: burst done with work left");
      owner_.on_burst_done(ev.arg);
      return;
    }
    handle_other(ev);
  }
  // Events that are the kernel's own (tick checks, bandwidth timers, balancing) or background processes':
  // they do not count as the simulated program's activity or pending work.
  bool is_daemon_event(const sim::Event& ev) const {
    const std::uint32_t k = ev.kind - kind_base_;
    return k == kTickCheck || k == kPeriodTimer || k == kSlackTimer || k == kBalance || k == kMigrationStop ||
           (ev.arg & kBgBit) != 0;
  }
  std::size_t daemon_pending() const { return daemon_pending_; }

  State state(std::uint32_t tid) const { return thr(tid).state; }
  bool sleeping(std::uint32_t tid) const { return thr(tid).sleep_timer.valid(); }
  std::uint32_t cpu_of(std::uint32_t tid) const { return thr(tid).cpu; }
  // The CPU the thread runs or waits on, else the one it last ran on (kNone before it first ran).
  std::uint32_t last_cpu(std::uint32_t tid) const { return thr(tid).cpu != kNone ? thr(tid).cpu : thr(tid).prev_cpu; }
  std::uint32_t running_on(std::uint32_t cpu) const { return cpus_[cpu].curr; }
  std::size_t threads() const { return threads_.size(); }
  std::size_t cpus() const { return cpus_.size(); }
  // Involuntary switches: a running thread put back on its run queue (slice end, wake-up preemption,
  // throttling).
  std::uint64_t preemptions() const { return preemptions_; }
  std::uint64_t switches() const { return switches_; }
  sim::Time switch_time() const { return switch_time_; }  // kernel.context_switch paid so far
  std::uint64_t wake_ipis() const { return wake_ipis_; }   // wakes that cost their waker kernel.wake_ipi
  // CPU time (ns) charged to bursts of `kind` so far, on all CPUs.
  sim::Time busy(BurstKind kind) const { return busy_[kind]; }
  // CPU time of `kind` on CPU c up to `now` (>= the engine's time), counting the burst in progress.
  sim::Time busy_on(std::uint32_t c, BurstKind kind, sim::Time now) const;
  // The CPUs the simulated process may run on (its cpuset, within its affinity), in increasing order.
  const std::vector<std::uint32_t>& process_cpus() const { return process_cpus_; }

  // Counters for the summary: context switches, migrations, and per group cpu.stat and CPU time.
  nlohmann::ordered_json report(sim::Time now) const;
  // The simulated process's CPU bandwidth periods, one row per period timer (empty without a quota).
  struct PeriodRow {
    sim::Time end = 0, usage = 0, throttled_time = 0;  // throttled_time: cumulative, all CPUs
    bool throttled = false;
  };
  const std::vector<PeriodRow>& periods() const { return periods_; }
  // Checks the run queues' bookkeeping (GMPSIM_CHECK builds).
  void check_invariants() const;

 private:
  struct Entity {
    std::int64_t vruntime = 0;    // virtual runtime: ns of CPU x 1024 / weight
    std::int64_t deadline = 0;    // EEVDF virtual deadline
    std::int64_t vlag = 0;        // EEVDF lag saved at dequeue; RUN_TO_PARITY: == deadline while protected
    sim::Time sum_exec = 0, prev_sum_exec = 0;  // CPU time, and its value when last picked (CFS)
    std::uint32_t weight = 1024;
    std::uint32_t rq = kNone;     // the cfs_rq it is queued on (while on_rq)
    bool on_rq = false;
    bool initial = true;          // never enqueued (PLACE_DEADLINE_INITIAL / START_DEBIT)
    bool relative = false;        // CFS: vruntime is relative to the min_vruntime of last_rq (migrating)
    bool delayed = false;         // DELAY_DEQUEUE: its thread sleeps, the entity stays queued (sched_delayed)
    std::uint32_t last_rq = 0xffffffffu;  // the queue it was last dequeued from
  };
  struct Thread {
    Entity se;
    State state = State::kBlocked;
    BurstKind kind = 0;
    BurstKind prefix_kind = 0;       // the kind of the burst's first `prefix` ns (run_for)
    std::uint32_t group = 0;
    std::uint32_t cpu = kNone;       // CPU it runs on, or is queued on
    std::uint32_t prev_cpu = kNone;  // where it last ran (wake placement)
    std::uint32_t proc = kNone;      // background process index, or kNone
    sim::Time remaining = 0, burst_since = 0;
    sim::Time prefix = 0;            // of `remaining`, what is still the burst's prefix
    sim::Time last_ran = 0;          // when it last left a CPU (the balance takes the longest-waiting)
    sim::Time runnable_since = 0;    // when it last became runnable (woken onto a queue, or preempted)
    sim::EventId burst, sleep_timer;
    bool bg_sleeping = false;        // background thread: its last phase was a sleep
    bool timer_sleep = true;         // its sleep ends by a timer's interrupt (Kernel::sleep)
    ThreadOwner* kowner = nullptr;   // a kernel thread's owner (create_kthread)
    bool burst_ticked = false;       // the burst in progress pays the tick's cost (tick_charged at its start)
    sim::Time switch_left = 0;       // kernel.context_switch still owed for the switch that put it on its CPU
    bool reaffine = false;           // its affinity changed while its wake-up was on its way
    std::uint16_t preferred_node = kNoNode;  // numa_preferred_nid
    std::uint32_t recent_used_cpu = kNone;   // p->recent_used_cpu: the previous CPU of its last wake-up's search
    std::vector<std::uint64_t> affinity;     // sched_setaffinity within the cpuset, a bitmask; empty = the cpuset
  };
  struct CfsRq {
    std::vector<std::uint32_t> queued;  // entity ids waiting (not curr); threads are ids < kGroupBit
    std::uint32_t curr = kNone;         // entity running from this queue
    std::uint32_t nr = 0;               // queued + curr
    std::uint32_t ndelayed = 0;         // of `queued`, sleepers' delayed entities (not runnable)
    std::uint64_t load = 0;             // their weights
    std::int64_t min_vruntime = 0;
    // CPU bandwidth (group queues): local runtime, throttling
    sim::Time runtime_remaining = 0;
    sim::Time throttled_clock = 0;
    bool throttled = false;
  };
  struct Group {
    GroupSpec spec;
    std::uint64_t shares = 1024;    // cpu.weight in load units
    std::uint64_t load = 0;         // runnable weight on all CPUs (tg->load_avg, taken instantaneous)
    // cfs_bandwidth
    sim::Time runtime = 0, runtime_snap = 0;
    bool period_active = false, idle = false, slack_armed = false;
    sim::Time next_period = 0, usage_at_period = 0;
    std::vector<std::uint32_t> throttled_rqs;  // in throttle order
    std::uint64_t nr_periods = 0, nr_throttled = 0, nr_bursts = 0;
    sim::Time throttled_time = 0, burst_time = 0, usage = 0;
    std::vector<std::uint32_t> cpus;  // cpuset, sorted
    std::vector<bool> allowed;
    std::vector<std::uint64_t> allowed_mask;  // the cpuset as a bitmask (64 CPUs a word)
    bool limited() const { return spec.quota >= 0; }
  };
  struct Cpu {
    std::uint32_t curr = kNone;     // running thread
    std::uint32_t h_nr_running = 0; // runnable threads queued here (running included, throttled excluded)
    std::uint32_t ttwu_pending = 0; // wake-ups on their way here (the CPU is not available_idle_cpu)
    sim::Time exec_start = 0;       // update_curr's last accounting
    sim::Time idle_since = 0;
    sim::EventId check;             // the armed tick check
    sim::Time check_at = 0;
    // PELT utilization of the CPU's root cfs_rq (util_avg, 0..1024) as of util_at, and whether a thread has
    // run on it since then (see pelt_util).
    double util = 0;
    sim::Time util_at = 0;
    bool util_running = false;
  };
  static constexpr std::uint32_t kGroupBit = 0x80000000u;

  // entity ids: a thread id, or kGroupBit | (group * ncpu + cpu)
  // thread ids: the owner's, in creation order, or kBgBit | i for background process threads
  Thread& thr(std::uint32_t id) { return id & kBgBit ? bg_[id & ~kBgBit] : threads_[id]; }
  const Thread& thr(std::uint32_t id) const { return id & kBgBit ? bg_[id & ~kBgBit] : threads_[id]; }
  Entity& ent(std::uint32_t id) { return id & kGroupBit ? gse_[id & ~kGroupBit] : thr(id).se; }
  const Entity& ent(std::uint32_t id) const { return id & kGroupBit ? gse_[id & ~kGroupBit] : thr(id).se; }
  std::uint32_t root_rq(std::uint32_t cpu) const { return cpu; }
  std::uint32_t group_rq(std::uint32_t g, std::uint32_t cpu) const { return static_cast<std::uint32_t>(cpus_.size() * (1 + g) + cpu); }
  std::uint32_t group_se(std::uint32_t g, std::uint32_t cpu) const { return kGroupBit | static_cast<std::uint32_t>(g * cpus_.size() + cpu); }
  std::uint32_t cpu_of_rq(std::uint32_t rq) const { return static_cast<std::uint32_t>(rq % cpus_.size()); }
  std::uint32_t group_of_rq(std::uint32_t rq) const { return static_cast<std::uint32_t>(rq / cpus_.size() - 1); }

  // fair.c, one cfs_rq
  static std::int64_t calc_delta_fair(sim::Time delta, std::uint32_t weight) {
    if (weight == 1024) return delta;
    constexpr std::int64_t kSafe = std::int64_t{1} << 52;  // delta * 1024 fits in 64 bits
    if (delta < kSafe && delta > -kSafe) return delta * 1024 / weight;
    return static_cast<std::int64_t>(static_cast<i128>(delta) * 1024 / weight);
  }
  void weighted_vruntime(const CfsRq& rq, i128& sum, std::uint64_t& load) const;
  std::int64_t avg_vruntime(const CfsRq& rq) const;
  bool entity_eligible(const CfsRq& rq, const Entity& se) const;
  void update_min_vruntime(CfsRq& rq);
  std::uint32_t pick_eevdf(const CfsRq& rq) const;
  std::uint32_t pick_cfs(const CfsRq& rq) const;
  std::uint32_t pick_next_entity(const CfsRq& rq) const;
  std::int64_t leftmost_vruntime(const CfsRq& rq) const;
  void place_entity(std::uint32_t rq, Entity& se, bool initial);
  void update_entity_lag(const CfsRq& rq, Entity& se);
  void enqueue_entity(std::uint32_t rq, std::uint32_t id);
  void dequeue_entity(std::uint32_t rq, std::uint32_t id, bool sleep);
  void set_next_entity(CfsRq& rq, std::uint32_t id);
  void put_prev_entity(CfsRq& rq);
  sim::Time sched_slice_cfs(std::uint32_t thread) const;

  // the CPU
  bool update_curr(std::uint32_t cpu);
  void update_cfs_group(std::uint32_t g, std::uint32_t cpu);
  void enqueue_task(std::uint32_t tid, std::uint32_t cpu);
  void dequeue_task(std::uint32_t tid, bool sleep);
  bool delay_dequeue_task(std::uint32_t tid);       // DELAY_DEQUEUE's choice at a sleep; true if delayed
  void finish_delayed_dequeue(std::uint32_t tid, bool tail = true);  // the delayed entity leaves its queue
  void group_rq_shrank(std::uint32_t g, std::uint32_t cpu);         // after an entity left group g's queue there
  void requeue_delayed(std::uint32_t tid);          // its thread wakes while the entity is still queued
  void check_preempt_wakeup(std::uint32_t cpu, std::uint32_t tid);
  bool enqueue_on_idle(std::uint32_t tid, std::uint32_t cpu);
  bool dequeue_alone(std::uint32_t tid);
  void dequeue_only_entity(std::uint32_t rqi, Entity& se);
  void place_on_empty(std::uint32_t rqi, Entity& se);
  void schedule(std::uint32_t cpu, bool preempt);
  void switch_to(std::uint32_t cpu, std::uint32_t tid);
  void arm_tick_check(std::uint32_t cpu);
  sim::Time next_tick_at(sim::Time t) const;
  void tick_check(std::uint32_t cpu);
  std::uint32_t select_task_rq(std::uint32_t tid, std::uint32_t waker = kNone);
  std::uint32_t wake_affine(std::uint32_t tid, std::uint32_t this_cpu, std::uint32_t prev);
  std::uint32_t select_idle_sibling(Thread& t, std::uint32_t prev, std::uint32_t target, const std::uint64_t* allowed);
  // SIS_UTIL: how many CPUs select_idle_cpu may scan (sd_llc_shared->nr_idle_scan), refreshed once a tick.
  std::uint32_t nr_idle_scan();
  // PELT (kernel/sched/pelt.c): a CPU's util_avg now, a geometric average of the time it ran a thread with a
  // half-life of 32 periods of 1024 us.
  double pelt_util(std::uint32_t cpu) const;
  static double pelt_decay(sim::Time d);
  void pelt_switch(std::uint32_t cpu, bool running) {
    Cpu& c = cpus_[cpu];
    c.util = pelt_util(cpu);
    c.util_at = engine_.now();
    c.util_running = running;
  }
  // task_hot: the thread left a CPU less than sched_migration_cost ago, so its cache is still warm there.
  bool task_hot(const Thread& t) const { return t.prev_cpu != kNone && engine_.now() - t.last_ran < p_.migration_cost; }
  // The CPUs a thread may run on: its affinity, or its group's cpuset.
  const std::uint64_t* allowed_mask(const Thread& t) const {
    return t.affinity.empty() ? groups_[t.group].allowed_mask.data() : t.affinity.data();
  }
  static bool in_mask(const std::uint64_t* mask, std::uint32_t cpu) { return (mask[cpu >> 6] >> (cpu & 63)) & 1; }
  std::uint32_t first_idle_wrap(std::uint32_t start, const std::uint64_t* allowed, const std::uint64_t* node) const;
  std::uint32_t allowed_between(std::uint32_t from, std::uint32_t to, const std::uint64_t* allowed) const;
  std::uint32_t select_idle_node(const Thread& t, const std::uint64_t* allowed) const;
  std::uint32_t least_loaded(const std::uint64_t* allowed) const;
  bool available_idle_cpu(std::uint32_t cpu) const { return (idle_mask_[cpu >> 6] >> (cpu & 63)) & 1; }
  // Keeps idle_mask_ in step after a change of the CPU's curr, h_nr_running or ttwu_pending.
  void update_idle(std::uint32_t cpu) {
    const Cpu& c = cpus_[cpu];
    const std::uint64_t bit = std::uint64_t{1} << (cpu & 63);
    if (c.curr == kNone && c.h_nr_running == 0 && c.ttwu_pending == 0) {
      idle_mask_[cpu >> 6] |= bit;
    } else {
      idle_mask_[cpu >> 6] &= ~bit;
    }
    if ((c.curr != kNone) != c.util_running) pelt_switch(cpu, c.curr != kNone);
  }
  void add_nr_running(std::uint32_t cpu, std::int64_t n);
  bool sched_balance_newidle(std::uint32_t cpu);
  bool newidle_numa(std::uint32_t cpu);
  // The longest-waiting thread of `from` that may move to `to`; cache-hot threads only when `hot_ok`.
  std::uint32_t longest_waiting(std::uint32_t from, std::uint32_t to, bool hot_ok) const;
  void rebalance_domains();
  void balance_cpus(const std::vector<std::uint32_t>& cpus, std::uint32_t& nr_balance_failed);
  bool detach_one(std::uint32_t from, std::uint32_t to, std::uint64_t imbalance, std::uint32_t& nr_balance_failed,
                  std::uint32_t cache_nice_tries);
  // A node's load as update_sg_lb_stats sums it (run counts and instantaneous load, not PELT).
  struct NodeStats {
    std::uint64_t load = 0;       // cpu_load summed
    std::uint32_t nr = 0;         // runnable threads (sum_h_nr_running)
    std::uint32_t idle = 0;       // idle CPUs
    std::uint32_t busiest = kNone;  // its CPU with the most load among those with a waiting thread
    std::uint64_t avg_load(std::size_t ncpu) const { return load / ncpu; }
  };
  NodeStats node_stats(std::uint32_t node) const;
  std::uint64_t numa_imbalance(std::uint32_t src, const NodeStats& b, std::uint32_t dst, const NodeStats& l) const;
  void balance_numa();
  std::uint64_t h_load(std::uint32_t tid) const;
  std::uint64_t cpu_load(std::uint32_t cpu) const;
  void arm_balance();
  void migrate(std::uint32_t tid, std::uint32_t to);
  void move_off(std::uint32_t tid);

  // bandwidth
  bool account_cfs_rq_runtime(std::uint32_t rq, sim::Time delta);
  bool assign_cfs_rq_runtime(std::uint32_t rq);
  void throttle_cfs_rq(std::uint32_t rq);
  void unthrottle_cfs_rq(std::uint32_t rq);
  void return_cfs_rq_runtime(std::uint32_t rq);
  void start_cfs_bandwidth(std::uint32_t g);
  void do_sched_cfs_period_timer(std::uint32_t g);
  void distribute_cfs_runtime(std::uint32_t g);

  sim::EventId schedule_daemon(sim::Time at, sim::Band band, std::uint32_t kind, std::uint32_t arg);
  void cancel_daemon(sim::EventId& id);

  void handle_other(const sim::Event& ev);

  // bursts
  void start_burst(std::uint32_t tid) {
    if (p_.tick_cost != 0) [[unlikely]] {
      start_ticked_burst(tid);
      return;
    }
    Thread& t = thr(tid);  // burst_ticked stays false without a tick cost
    t.burst_since = engine_.now();
    const sim::Time len = t.switch_left + t.remaining;  // the switch's kernel time comes first
    t.burst = tid & kBgBit ? schedule_daemon(engine_.now() + len, sim::kBandDefault, kBurstDone, tid)
                           : engine_.schedule_in(len, sim::kBandDefault, kind_base_ + kBurstDone, tid);
  }
  void start_ticked_burst(std::uint32_t tid);
  void charge(Thread& t) {
    const sim::Time ran = engine_.now() - t.burst_since;
    if (ran <= 0) return;
    group_busy_[t.group] += ran;
    sim::Time work = ran;
    if (t.burst_ticked) {  // the ticks' handlers took part of the time
      const sim::Time stolen = tick_time_until(engine_.now()) - tick_time_until(t.burst_since);
      work -= stolen;
      tick_time_ += stolen;
    }
    if (t.switch_left > 0) [[unlikely]] {  // the switch that brought it here is paid first
      const sim::Time paid = std::min(work, t.switch_left);
      t.switch_left -= paid;
      switch_time_ += paid;
      work -= paid;
    }
    // The busy time by kind: a prefix's share is its progress (the tick and switch go with the rest).
    sim::Time first = 0;
    if (t.prefix > 0) [[unlikely]] {
      first = std::min(work, t.prefix);
      t.prefix -= first;
      busy_[t.prefix_kind] += first;
      busy_cpu_[t.cpu * kMaxKinds + t.prefix_kind] += first;
    }
    busy_[t.kind] += ran - first;
    busy_cpu_[t.cpu * kMaxKinds + t.kind] += ran - first;
    t.remaining -= work;
    t.burst_since = engine_.now();
  }
  // The tick's cost (kernel.tick_cost): ticks at multiples of 1/HZ, each handler taking the CPU for tick_cost
  // from the tick on. Handler time in [0, x) on a CPU that takes every tick:
  sim::Time tick_time_until(sim::Time x) const {
    return x / p_.tick * p_.tick_cost + std::min(x % p_.tick, p_.tick_cost);
  }
  // When `work` ns of progress started at `from` end on such a CPU (the inverse of x - tick_time_until(x)).
  sim::Time ticked_end(sim::Time from, sim::Time work) const;
  // Whether a burst starting now on the thread's CPU pays the tick's cost: the tick runs on a busy CPU,
  // except under NO_HZ_FULL with a single runnable task and no CPU bandwidth limit (sched_can_stop_tick).
  bool tick_charged(const Thread& t) const {
    if (p_.tick_cost == 0) return false;
    if (p_.nohz != NoHz::kFull) return true;
    return cpus_[t.cpu].h_nr_running >= 2 || groups_[t.group].limited();
  }
  void retick(std::uint32_t cpu);
  void cancel_burst(Thread& t);
  void background_next(std::uint32_t tid);

  sim::Engine& engine_;
  ThreadOwner& owner_;
  SchedParams p_;
  std::uint32_t kind_base_;
  std::vector<Thread> threads_;  // the owner's
  std::vector<Thread> bg_;       // background processes'
  std::vector<Cpu> cpus_;
  // available_idle_cpu as a bitmask (64 CPUs a word): no curr, no runnable thread, no wake-up on its way.
  std::vector<std::uint64_t> idle_mask_;
  std::vector<CfsRq> rqs_;     // [cpu] root queues, then [ncpu * (1 + g) + cpu] group queues
  std::vector<Entity> gse_;    // [g * ncpu + cpu] group entities
  std::vector<Group> groups_;
  struct Process {
    ProcessSpec spec;
    sim::Rng rng;
    bool killed = false;
  };
  std::vector<Process> procs_;
  sim::Time busy_[kMaxKinds] = {};
  std::vector<sim::Time> busy_cpu_;  // [cpu * kMaxKinds + kind]
  std::vector<sim::Time> group_busy_;  // CPU time per group, as bursts are charged (cpu.stat usage_usec)
  sim::EventId balance_;
  sim::Time balance_at_ = 0;
  std::vector<PeriodRow> periods_;
  std::size_t daemon_pending_ = 0;
  std::uint32_t overloaded_ = 0;         // CPUs with two or more runnable threads (rd->overload)
  std::uint32_t nr_balance_failed_ = 0;  // sd->nr_balance_failed of the one domain (one node)
  std::uint64_t preemptions_ = 0, switches_ = 0, migrations_ = 0, wakeup_preemptions_ = 0;
  std::vector<std::uint32_t> all_cpus_;     // 0 .. ncpu - 1
  std::vector<std::uint32_t> process_cpus_;  // the cpuset of group 0 within its affinity
  std::vector<std::uint64_t> process_affinity_;  // GroupSpec::affinity of group 0 as a bitmask; empty = none
  // NUMA (set_topology with two nodes or more; numa_ false leaves every path as it was)
  bool numa_ = false;
  std::vector<std::uint16_t> cpu_node_;
  std::vector<std::vector<std::uint32_t>> node_cpus_;
  std::vector<std::vector<std::uint64_t>> node_mask_;
  std::vector<std::vector<std::uint16_t>> node_order_;  // per node: every node by distance, itself first
  std::vector<std::uint32_t> node_balance_failed_;      // the node domains' nr_balance_failed
  std::uint32_t numa_balance_failed_ = 0;               // the NUMA domain's
  std::uint32_t imb_numa_nr_ = 1;                       // sd->imb_numa_nr of the NUMA domain
  std::uint64_t migrations_cross_node_ = 0, wakeups_cross_node_ = 0;
  sim::Time tick_time_ = 0;  // the ticks' handler time charged to running threads (kernel.tick_cost)
  sim::Time switch_time_ = 0;  // context switches' kernel time charged to the threads switched in
  std::uint64_t wake_ipis_ = 0;  // wakes that cost their waker kernel.wake_ipi
  std::uint32_t nr_idle_scan_ = 0;     // sd_llc_shared->nr_idle_scan of the one LLC
  sim::Time nr_idle_scan_at_ = -1;     // when it was last computed
  // Wake-ups placed on the waker's CPU by wake_affine; on a busy CPU while an allowed one idled
  // (select_idle_sibling's scan cut short); kept behind their waker by kernel.wake_pack.
  std::uint64_t wakeups_affine_ = 0, wakeups_stacked_ = 0, wakeups_packed_ = 0;
  std::uint64_t delayed_dequeues_ = 0;  // sleeps whose entity DELAY_DEQUEUE kept queued
  sim::LogHistogram run_delay_;  // the program's threads' waits from runnable to running
  sim::Rng pack_rng_;  // kernel.wake_pack's draws (stream "kernel.wake_pack")
};

}  // namespace gmpsim::models::kernel
