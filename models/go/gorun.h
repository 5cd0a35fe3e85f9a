// GoRun: one run of the `go` model. The class is declared here and defined across files named after the
// runtime's own, so a reader can hold each next to its counterpart:
//   params.cpp   the parameters
//   proc.cpp     schedule, findRunnable, stealWork, wakep/startm/stopm, newproc, gopark/goready, injectglist;
//                its opening comment explains why an M's scheduling is a chain of CPU bursts
//   chan.cpp     channel send/receive/close, select, WaitGroup (chan.go, select.go, sema.go via sync)
//   sema.cpp     sync.Mutex: spinning, starvation mode, hand-off (sync/mutex.go, sema.go)
//   time.cpp     per-P timer heaps, time.Sleep (time.go)
//   netpoll.cpp  the netpoller: network waits, the blocking poller, netpollBreak; how arrivals enter
//                (accept listeners, keep-alive connections, generators)
//   sysmon.cpp   sysmon, retake, preemptone, asynchronous preemption by signal (proc.go, preempt.go, signal_unix.go)
//   syscall.cpp  entersyscall/exitsyscall, entersyscallblock, handoffp (proc.go)
//   fd.cpp       file descriptors against RLIMIT_NOFILE: accept4's EMFILE, net/http's back-off
//   mgc.cpp      the garbage collector (pacer.cpp: its arithmetic; gctrace.cpp: gctrace lines, counters.gc)
//   schedtrace.cpp  schedtrace and scheddetail lines, the summary's counters (proc.go schedtrace)
//   trace.cpp       the scheduler detail for Perfetto traces (RunOptions::scheduler_trace)
//   checkdead.cpp   how a run ends and what holds during it: invariants, checkdead, memory (the kernel's mm)
//                   and out_of_memory, thread exhaustion (checkmcount), starvation, the event loop
// Internal to models/go; the public entry point is proc.h.
#pragma once
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "models/go/pacer.h"
#include "models/go/runq.h"
#include "models/kernel/config.h"
#include "models/kernel/numa.h"
#include "models/kernel/sched.h"
#include "models/model.h"
#include "models/result.h"
#include "models/run/run_core.h"
#include "models/run/trace_events.h"
#include "models/scenario/scenario.h"
#include "models/workload/arrivals.h"
#include "models/workload/goroutines.h"
#include "models/workload/sync.h"
#include "sim/engine.h"
#include "sim/ring.h"
#include "sim/stats.h"

namespace gmpsim::models::go {

// runtime2.go (go1.26) G status, the subset modelled, with the runtime's values (scheddetail prints them).
// As in the runtime the status says who owns the goroutine's stack; changes go through casgstatus, which
// checks the old status in checked builds.
enum class GStatus : std::uint8_t {
  kIdle = 0,      // _Gidle: a record just (re)initialised by the goroutine table; newproc makes it runnable
  kRunnable = 1,  // _Grunnable: on a run queue (a P's runq or runnext, the global queue, a Gs list being
                  // injected) or just taken off one by an M that is about to execute it; runs no code,
                  // and nobody owns its stack
  kRunning = 2,   // _Grunning: m.curg of an M that holds a P; owns its stack; on no run queue
  kSyscall = 3,   // _Gsyscall: in a system call on its M; owns its stack; on no run queue. Its M may still
                  // have the P (go1.26 keeps it _Prunning), but the G does not own it: retake may take it
  kWaiting = 4,   // _Gwaiting: parked in the runtime (gopark); on no run queue, but recorded where its
                  // waker finds it (a channel's or Mutex's sudog queue, a WaitGroup, a P's timer heap, the
                  // netpoller) so it can be readied; its stack is not owned
  kDead = 6,      // _Gdead: exited; on a free list (p.gFree, sched.gFree) or being reused; the g and any
                  // stack belong to the M that freed or took it
};
// runtime2.go (go1.26) P status, the subset modelled.
enum class PStatus : std::uint8_t {
  kIdle = 0,     // _Pidle: runs neither user code nor the scheduler; owned by the idle list (pidle_) or by
                 // whoever moves it (handoffp -> startm keeps it off the list until its new M acquires it);
                 // its run queue is empty
  kRunning = 1,  // _Prunning: owned by the M in p.m, which runs user code or the scheduler with it; only
                 // that M changes it (releasep to idle, or a hand-off to another M: startlockedm), except
                 // while its M is in a syscall (P::in_syscall, go1.19's _Psyscall), when retake may take it
  kGcStop = 3,   // _Pgcstop: stopped for a stop-the-world (mgc.cpp); owned by the M that stops the world
};

// runtime2.go waitReason, the subset the workload steps produce; also the keys of parked-time reports.
enum class WaitReason : std::uint8_t { kNone, kChanReceive, kChanSend, kSelect, kMutex, kSleep, kIOWait, kWaitGroup, kGcCycle, kGcAssist, kCount };
const char* wait_reason_name(WaitReason r, bool old_names);

// Goroutine::flags layout: status (bits 0-3), wait reason (4-7), stack size as log2(size / stack_min)
// (8-12), listener goroutine (bit 13), generator goroutine (bit 14), preemption requested (bit 15, gp.preempt).
inline GStatus g_status(const Goroutine& g) { return static_cast<GStatus>(g.flags & 0xf); }
inline WaitReason g_reason(const Goroutine& g) { return static_cast<WaitReason>((g.flags >> 4) & 0xf); }
inline std::uint32_t g_stack_order(const Goroutine& g) { return (g.flags >> 8) & 0x1f; }
// Bits 13-14: 0 a workload goroutine, 1 a listener, 2 a generator, 3 a keep-alive connection.
enum class GRole : std::uint16_t { kWorkload = 0, kListener = 1, kGenerator = 2, kConnection = 3 };
inline GRole g_role(const Goroutine& g) { return static_cast<GRole>((g.flags >> 13) & 3); }
inline bool g_listener(const Goroutine& g) { return g_role(g) == GRole::kListener; }
inline bool g_generator(const Goroutine& g) { return g_role(g) == GRole::kGenerator; }
inline bool g_preempt(const Goroutine& g) { return (g.flags & (1u << 15)) != 0; }
inline void set_g_preempt(Goroutine& g, bool on) {
  g.flags = static_cast<std::uint16_t>(on ? g.flags | (1u << 15) : g.flags & ~(1u << 15));
}
// Goroutines the runtime model adds (a listener, a generator), not the workload's.
inline bool g_internal(const Goroutine& g) { return g_listener(g) || g_generator(g); }

// What an M does when its current CPU burst ends (or its thread wakes).
enum class Phase : std::uint8_t {
  kStart,       // its thread was woken (startm) or created (newm): acquirep(nextp), then schedule
  kSchedule,    // M0 at start: schedule
  kFindRunnable,  // paid for a recheck that found new work: findRunnable's `goto top`
  kExecute,     // paid the cost of picking m.curg: execute it
  kOverhead,    // paid runtime work inside the G (newproc, ...): run the pending compute
  kRunning,     // m.curg's compute step finished: continue its program
  kStealWork,   // paid for a stealWork round: stealWork_scan does it
  kStealWorkBackoff,  // woke from runqgrab's usleep(3): stealWork_backoff tries the victim's runnext
  kNetpollReturn,  // woke from the blocking netpoll (epoll_wait returned): netpoll_return
  kPreemptPoint,  // m.curg reached the preemption point after a cooperative request: gopreempt_m
  kEntersyscall,  // paid the syscall's entry: entersyscall enters the kernel
  kExitsyscall,   // the call returned (thread woke, or the cgo call's C code finished): exitsyscall
  kRawReturn,     // a raw syscall returned: the G goes on (its P was held throughout)
  kSysmon,        // sysmon woke from usleep (or deep sleep): one cycle
  kSysmonSleep,   // sysmon paid for its cycle: usleep
  kLockedWake,    // a locked M woken by startlockedm: acquire nextp and run its locked G
  kGcWork,        // a mark worker finished a quantum of mark work (gcDrain): gc_drain_done
  kAssist,        // m.curg finished the mark assist it owed (gcAssistAlloc): gc_assist_done, then its compute
  kBgSweep,       // the background sweeper finished a quantum on this otherwise idle P: findRunnable again
  kStwWait,       // the M stopping the world entered notetsleep's futex call, or woke (100 us, or the last P stopped)
  kForEachPWait,  // gcMarkDone's M entered forEachP's futex wait, or woke (100 us, or the last P ran the safe-point fn)
  kStwWork,       // the M that stopped the world did the phase's work: gc_stw_done
  kNewproc,       // m.curg's `go` statement ran (newproc1, malg when no dead G is free): newproc_done
  kMemStall,      // the thread slept in the kernel inside a fault (swap-in, reclaim write-back, memory.high
                  // throttling) with its G running and its P held: go on with what the fault interrupted
  kScavenge,      // the background scavenger finished a run (madvise of its quanta): release, sleep, schedule
  kGcSuspendWait,  // a mark worker spins in suspendG until the running goroutines it asked to stop have stopped
};

// The mark worker an M runs instead of a goroutine (gcMarkWorkerMode).
enum class WorkerMode : std::uint8_t { kNone, kDedicated, kFractional, kIdle };

constexpr std::int64_t kPageBytes = 4096;  // the kernel's page (first-touch faults)
// mheap.grow maps the heap in whole palloc chunks (pallocChunkPages x pageSize = 512 x 8 KiB): what it
// commits at a time (mem_linux.go sysMapOS: mmap PROT_READ|PROT_WRITE, MAP_FIXED|MAP_PRIVATE|MAP_ANON).
constexpr std::int64_t kHeapMapStep = std::int64_t{4} << 20;
// Mappings of a Go process at start (text, data, bss, the first arena and its metadata, vdso, stack): 28
// for a static go1.26.8 binary, 26 for go1.19.8, read from /proc/self/maps on the project's VM; 500 MiB of
// heap added 2 more, 100 000 goroutines none (stacks are heap spans).
constexpr std::int64_t kGoBaseMaps = 28;
constexpr std::int64_t kHeapBytesPerMap = std::int64_t{256} << 20;
constexpr std::int64_t kPthreadStack = std::int64_t{8} << 20;  // glibc's default: RLIMIT_STACK

// CPU time categories (kernel::BurstKind).
constexpr kernel::BurstKind kWork = 0, kSched = 1, kSpin = 2;

// Engine event kinds of this model; the kernel thread layer owns kThreadBase and up.
// kNumaScan comes after the kernel's kinds so that the numbering of the others (in every fingerprint) stays.
enum Ev : std::uint32_t { kArrival, kClientSubmit, kSample, kWarmupEnd, kSchedtrace, kNetReady, kSignal, kFdExhausted, kThreadBase = 8,
                          kNumaScan = kThreadBase + kernel::Kernel::kEventKinds, kScavengeWake };

// The collector's phase (mgc.go gcphase, with the stop-the-world steps around the mark).
enum class GcPhase : std::uint8_t { kOff, kSweepTerm, kMark, kMarkTerm };

// A runtime timer of time.Sleep: when it fires, goroutine g is readied (goroutineReady).
struct Timer {
  sim::Time when;
  std::uint32_t g;
  bool operator>(const Timer& o) const { return when != o.when ? when > o.when : g > o.g; }
};

struct P {
  PStatus status = PStatus::kIdle;
  std::uint32_t m = kNoG;
  LocalRunq runq;
  std::uint32_t schedtick = 0;
  GFreeList gfree;            // dead Gs this P can reuse (p.gFree)
  std::vector<Timer> timers;  // min-heap on `when` (p.timers)
  bool in_syscall = false;    // its M is in a syscall (go1.19: _Psyscall; go1.26: _Prunning, G in _Gsyscall)
  bool run_safe_point_fn = false;  // forEachP is waiting for this P's next scheduling point (runSafePointFn)
  std::uint32_t syscalltick = 0;
  // sysmontick: what retake saw last.
  std::uint32_t sm_schedtick = 0, sm_syscalltick = 0;
  sim::Time sm_schedwhen = 0, sm_syscallwhen = 0;
  sim::Time idle_since = 0;          // when it last went on the idle list (the GC CPU limiter's idle time)
  sim::Time idle_total = 0;          // time on the idle list before idle_since (timeseries pN_held)
  bool on_idle_list = false;
  sim::Time gc_fractional_time = 0;  // this cycle's fractional mark time (gcFractionalMarkTime)
  // The CPU that last accessed the line of runqhead/runqtail and that of runnext (0xffff: none yet); a
  // thief's runqgrab moves them to its CPU, and the owner's next access pays to bring them back.
  std::uint16_t runq_line_cpu = 0xffff, runnext_line_cpu = 0xffff;
  explicit P(std::uint32_t runq_size) : runq(runq_size) {}
  sim::Time next_timer() const { return timers.empty() ? 0 : timers.front().when; }
};

struct M {
  std::uint32_t p = kNoG, nextp = kNoG, curg = kNoG;
  bool spinning = false;
  bool was_spinning = false;  // the blocking poller: it was spinning before it dropped its P
  Phase phase = Phase::kStart;
  // stealWork position: round, the random coprime walk, and how many Ps this round has visited.
  std::uint32_t steal_round = 0, steal_pos = 0, steal_inc = 1, steal_seen = 0;
  std::uint8_t steal_pass = 0;  // runtime.numa.steal=node_first: 0 the thief's node, 1 the others
  std::uint32_t backoff_victim = kNoG;
  std::uint8_t mutex_spins = 0;   // active spins of the Lock the current G is in
  bool tight = false;             // the running compute is a tight loop (no preemption points)
  bool signal_pending = false;    // a SIGURG is on its way (signalPending)
  bool in_syscall = false;
  bool dead = false;              // its locked G exited: the thread is gone (mexit)
  std::uint32_t lockedg = kNoG;   // LockOSThread: the only G this M runs
  SyscallKind syscall_kind = SyscallKind::kBlocking;
  sim::Time syscall_time = 0;     // the current call's duration
  sim::Time burst_work = 0;       // work of the compute burst in progress
  sim::Time exec_at = 0;          // a fused execute (run.fuse_execute): when the decision's CPU ends
  sim::Time preempt_left = 0;     // work left after the cooperative preemption point
  sim::Time overhead = 0;         // runtime CPU work accumulated inside the running G (newproc, ...)
  sim::Time pending_compute = 0;  // compute to run after that overhead
  WorkerMode gc_worker = WorkerMode::kNone;  // a mark worker runs on this M's P
  sim::Time gc_chunk = 0;         // CPU of the mark quantum in progress
  std::uint32_t gc_suspend_waits = 0;  // suspendG: running goroutines this worker asked to stop, not yet stopped
  sim::Time gc_spin_from = 0;     // when its suspendG spin began (kGcSuspendWait)
  bool gc_holds_g = false;        // stopping the world with curg held (it allocated past the trigger)
  bool gc_preempt = false;        // the worker G's preempt flag: idle and fractional workers stop at it
  bool steal_fused = false;       // its burst is steal rounds steal_fuse_from..stealTries-1 run as one (GoRun::steal_fuse)
  std::uint8_t steal_fuse_from = 0;
  sim::Time steal_fuse_extra = 0;  // CPU before the first fused round (findRunnable's cost)
  sim::Time assist = 0;           // mark assist owed by curg: a burst before its next compute (compute_after_assist)
  double assist_debt = 0;         // the part of that debt no work was left for (ns of mark work): gcParkAssist
  sim::Time stall = 0;            // time its thread owes asleep in the kernel (faults): slept before the next burst
  sim::Time stall_burst = 0;      // the burst to run after the stall (mem_stall)
  Phase stall_next = Phase::kRunning;  // and its phase; kRunning: start_compute(stall_burst)
  kernel::BurstKind stall_kind = 0;
  std::int64_t spawn_left = 0;    // `go` statements of curg's spawn step still to run
  std::uint16_t spawn_cls = 0;    // their class
  // NUMA (numa.cpp): the running compute's duration over its local, uncontended one (0: not memory-bound),
  // and whether curg came from another CPU (its working set is refetched by its next memory-bound step).
  double numa_scale = 0;
  bool g_moved = false;
  std::uint16_t moved_from = 0xffff;  // the CPU curg last ran on, when g_moved (GoRun::kNoCpu: none)
  std::uint16_t aff_node = kernel::kNoNode16;  // runtime.numa.p_affinity: the node its thread is bound to
};

struct Params {
  std::uint32_t gomaxprocs, default_gomaxprocs, runq_size, global_check, steal_tries;
  bool gomaxprocs_set, updatemaxprocs;  // GOMAXPROCS given explicitly; sysmon re-reads the default
  sim::Time runnext_backoff, timer_slack;
  bool recheck_after_spinning, runnext, gosched_wakep;
  bool fuse_steal;  // run.fuse_steal_rounds (GoRun::steal_fuse)
  bool fuse_execute;  // run.fuse_execute (GoRun::fuse_execute)
  enum class Entry : std::uint8_t { kAccept, kGlobal, kGenerator, kNetpoll } arrivals;
  std::uint32_t connections;
  sim::Time cost_schedule, cost_newproc, cost_goexit, cost_steal, cost_global, cost_gopark, cost_goready;
  sim::Time cache_line = 0;  // kernel.cache_line_transfer
  std::uint32_t lines_newproc = 0, lines_execute = 0, lines_sync = 0, lines_runq = 0;
  sim::Time cost_g_cold = 0;       // runtime.cost.g_cold
  std::int64_t cache_reach = 0, g_cache_bytes = 0;  // kernel.cache_reach, runtime.mem.g_cache_bytes
  bool steal_node_first = false;  // runtime.numa.steal: node_first (a what-if)
  bool p_affinity = false;        // runtime.numa.p_affinity (a what-if)
  sim::Time cost_chan, cost_mutex, mutex_spin, mutex_starvation, cost_timer, cost_newstack, syscall, epoll_unit;
  std::uint32_t mutex_active_spin, netpoll_max_events, sysmon_idle_cycles;
  bool sysmon, asyncpreemptoff;
  sim::Time sysmon_min_delay, sysmon_max_delay, cost_sysmon, force_preempt, syscall_grace, sysmon_netpoll, forcegc_period;
  sim::Time preempt_spacing, starvation_limit, signal_ipi, signal_self, signal_blocked;
  double async_unsafe_fraction;
  double stack_copy_rate;
  kernel::KernelConfig kcfg;
  sim::Time thread_create;
  sim::Time schedtrace;
  bool scheddetail, old_trace_format;
  std::int64_t mem_g, mem_stack, mem_sudog, mem_m, mem_base, stack_guard;
  double heap_metadata;
  std::uint32_t max_threads;
  // The collector (mgc.cpp).
  PacerConfig pacer;
  bool gctrace, gc_idle_worker_cap, gc_assign_workers;
  sim::Time gc_quantum, cost_scan_g, cost_mark_object, cost_sweep_term, cost_mark_term, cost_sweep_span, cost_malloc;
  sim::Time page_release;  // kernel.page_release: MADV_DONTNEED of one 4 KiB page (the scavenger's quanta)
  double scan_ns_per_byte, stack_scan_ns_per_byte, malloc_ns_per_byte, stack_in_use, scan_fraction;
  sim::Time cost_mark_roots;
  bool gcshrinkstackoff, adaptivestackstart;
  std::int64_t heap_live0, heap_globals, heap_object_size;
  // The machine's memory (models/kernel/mm.h).
  kernel::MmParams mm;
  bool cgo, heap_thp;  // threads via pthread_create; the heap may use THP (vm.thp.enabled, runtime.disablethp)
  bool heap_thp_toggle;  // go1.19: MADV_NOHUGEPAGE on scavenged memory, MADV_HUGEPAGE when it is used again
  // File descriptors (fd.cpp): RLIMIT_NOFILE as set, and the soft limit after Go's init raised it.
  std::int64_t nofile_soft, nofile_hard, nofile;
  bool nofile_fail;            // rlimit.on_emfile: fail (the run ends) or retry (net/http's back-off)
  std::int64_t netpoll_fds;    // netpollinit: epoll fd + eventfd (go1.19: a pipe, 2)
  explicit Params(const Scenario& sc);
};

// One GODEBUG=gctrace=1 line as gcMarkTermination prints it (mgc.go, go1.19.8 and go1.26.8): cycle n
// started `at` ns after start; clock = sweep termination, mark, mark termination; cpu = sweep termination,
// assist, background (dedicated + fractional), idle, mark termination; heap = at start, at mark
// termination, marked.
std::string gctrace_format(std::uint32_t n, sim::Time at, int util, const sim::Time clock[3], const sim::Time cpu[5],
                           const std::int64_t heap[3], std::int64_t goal, std::int64_t stacks, std::int64_t globals,
                           std::uint32_t procs, bool forced);

class GoRun final : public kernel::ThreadOwner {
 public:
  explicit GoRun(const Scenario& sc);
  RunResult run(const RunOptions& options);

  // ---- kernel thread layer callback: the M's burst ended (or its thread just got a CPU) ----
  void on_burst_done(std::uint32_t tid) override;

  // ---- advance() hooks, called while cur_m_ runs its G (chan.cpp, sema.cpp, time.cpp, netpoll.cpp) ----
  // A spawn step is `count` go statements run one after another on this M (newproc_begin/newproc_done):
  // each new G exists only once its statement has run, and the spawner's CPU pays for every one.
  bool on_spawn(std::uint16_t cls, std::int64_t count) {
    if (count <= 0) return false;
    ms_[cur_m_].spawn_cls = cls;
    ms_[cur_m_].spawn_left = count;
    return true;
  }
  void on_span(std::uint32_t span, sim::Time begin, std::uint8_t slot) {
    core_.stats.span_done(span, begin, span_now());
    const std::uint32_t g = ms_[cur_m_].curg;
    if (g < gc_.span_head.size() && gc_.span_head[g] != kNone32) gc_span_free(g, slot);
  }
  // A span's clock: now, or inside a fused execute (fuse_execute) the instant the decision's CPU ends, which
  // the G does not owe to a span boundary as long as it is all it owes (no malloc since, no assist or stall).
  sim::Time span_now() const { return fused_prefix_only(ms_[cur_m_]) ? ms_[cur_m_].exec_at : core_.engine.now(); }
  bool fused_prefix_only(const M& m) const {
    return starting(m) && m.overhead == m.exec_at - core_.engine.now() && m.assist == 0 && m.stall == 0;
  }
  bool owes_cpu() const {
    const M& m = ms_[cur_m_];
    return (m.overhead > 0 || m.assist > 0 || m.stall > 0) && !fused_prefix_only(m);
  }
  void on_alloc(std::int64_t bytes, const AllocSpec& spec, sim::Time lifetime);
  bool on_gc();
  void on_stack(std::int64_t depth);
  std::uint32_t on_make(ObjKind kind, std::int64_t capacity);
  void on_release(ObjKind kind, std::uint32_t id) { core_.sync.release(kind, id); }
  void on_wg_add(std::uint32_t wg, std::int64_t delta);
  SyncStep on_sync(std::uint32_t g, OpCode code, std::uint32_t obj);
  SyncStep on_select(std::uint32_t g, std::uint32_t index);
  void on_sleep(std::uint32_t g, sim::Time d);
  void on_net_wait(std::uint32_t g, sim::Time d);
  void on_syscall(SyscallKind kind) { ms_[cur_m_].syscall_kind = kind; }
  void on_lock_thread(bool lock);
  void on_touch(std::int64_t bytes);  // the G reads `bytes` of the long-lived heap (swapped pages fault in)
  sim::Time on_file(bool write, std::int64_t bytes);  // read(2)/write(2) through the page cache: the call's duration

  void dispatch(const sim::Event& ev);

 private:
  // ---- RunCore's hooks (models/run/run_core.h; proc.cpp, checkdead.cpp) ----
  friend class models::RunCore;
  void start();
  // Events that are the program's, not observation nor a sleeping sysmon (which never ends on its own).
  std::size_t work_pending() const {
    return core_.program_events() - ks_.daemon_pending() - (sysmon_ != kNoG && ks_.sleeping(sysmon_) ? 1 : 0);
  }
  std::string stopped_detail() const;
  Outcome adjust_outcome(Outcome o) const;
  void on_warmup_end();
  void finish(RunResult& r, sim::Time end);

  // ---- proc.cpp ----
  std::uint32_t create(std::uint16_t cls, sim::Time start, std::uint32_t client, std::uint32_t p, std::uint32_t parent);
  void inject(std::uint32_t g) { globrunqput(globq_g(g), g); }
  void startIdle(std::size_t n, std::uint32_t who = kNoG) {
    for (; n > 0 && !pidle_.empty(); --n) startm(kNoG, false, who);
  }
  // parent: the G whose local objects the new one inherits (kNone32: none, e.g. the listener's handlers).
  std::uint32_t newproc(std::uint32_t mi, std::uint16_t cls, sim::Time start, std::uint32_t client, std::uint32_t parent,
                        bool paid = false);
  void newproc_begin(std::uint32_t mi);
  void newproc_done(std::uint32_t mi);
  sim::Time malg_cost(std::uint32_t mi);  // a new g and its stack: two mallocs and the first touch of their memory
  void goready(std::uint32_t mi, std::uint32_t g, bool next = true);
  void gopark(std::uint32_t mi, WaitReason reason);
  void execute(std::uint32_t mi, sim::Time at);
  bool fuse_execute(std::uint32_t mi) const;
  // The M is still paying the decision that picked curg (a fused execute): the runtime has not run execute
  // yet, so mp.curg is not set and neither preemptone nor a stack scan sees the G as running.
  bool starting(const M& m) const { return core_.engine.now() < m.exec_at; }
  void continue_g(std::uint32_t mi);
  void goexit0(std::uint32_t mi);
  sim::Time take_overhead(std::uint32_t mi) {
    const sim::Time o = ms_[mi].overhead;
    ms_[mi].overhead = 0;
    return o;
  }
  // An M's scheduling, as continuations (the table at the top of proc.cpp gives the order).
  void schedule(std::uint32_t mi, sim::Time prior = 0);
  void findRunnable(std::uint32_t mi, sim::Time prior = 0);
  void schedule_execute(std::uint32_t mi, std::uint32_t gp, bool inherit, sim::Time cost);
  void stealWork(std::uint32_t mi, sim::Time extra);
  void stealWork_scan(std::uint32_t mi);
  void stealWork_backoff(std::uint32_t mi);
  void steal_draw(std::uint32_t mi);  // a round's random start and coprime stride (stealWork)
  bool steal_fuse(std::uint32_t mi, sim::Time extra);  // the rounds to come as one burst, when they cannot find a G
  // After each event: fused rounds whose outcome the event may change (a G queued, runnext set, a stop of
  // the world) go back to round-by-round bursts from the round in progress.
  void steal_unfuse_check() {
    if (!fused_.empty() && steal_epoch_ != fused_epoch_) [[unlikely]] steal_unfuse();
  }
  void steal_unfuse();
  void findRunnable_idle(std::uint32_t mi, sim::Time carried);
  sim::Time sched_lock(std::uint32_t who);
  std::uint32_t newm();
  void stopm(std::uint32_t mi);
  // who: the M that wakes the thread (kNoG: none, e.g. sysmon or an event), which pays kernel.wake_ipi.
  void startm(std::uint32_t pp, bool spinning, std::uint32_t who = kNoG);
  // Wakes thread tid (ending its sleep if it sleeps); the M `who` (kNoG: none) pays the IPI in its overhead.
  void wake_thread(std::uint32_t tid, sim::Time extra, std::uint32_t who) {
    const std::uint32_t waker = who == kNoG ? kernel::Kernel::kNone : who;
    const sim::Time ipi = ks_.interrupt_sleep(tid, waker) + ks_.wake(tid, extra, waker);
    if (who != kNoG) ms_[who].overhead += ipi;
  }
  // curg stops inside a compute step with `left` of it undone (local time: its memory cost is set again
  // where it resumes); execute runs the rest first.
  void keep_compute(std::uint32_t mi, sim::Time left, bool tight) {
    M& m = ms_[mi];
    if (left > 0 && m.numa_scale > 0) left = std::max<sim::Time>(1, sim::draw_to_time(static_cast<double>(left) / m.numa_scale));
    m.numa_scale = 0;
    if (left <= 0) return;
    if (resume_.size() <= m.curg) resume_.resize(core_.gt.capacity(), 0);
    resume_[m.curg] = tight ? -left : left;
  }
  void wakep(std::uint32_t who);
  void resetspinning(std::uint32_t mi);
  void acquirep(std::uint32_t mi, std::uint32_t p);
  std::uint32_t releasep(std::uint32_t mi);
  void pidleput(std::uint32_t p, std::uint32_t who);  // who: the M putting it (kNoG: none)
  std::uint32_t pidleget();
  void pidle_left(std::uint32_t p);  // P p leaves the idle list: its idle time for pN_held
  void injectglist(std::uint32_t mi, std::vector<std::uint32_t>& gs);
  void start_arrivals();
  void casgstatus(std::uint32_t g, GStatus oldval, GStatus newval);
  // ---- trace.cpp: scheduler detail for the Perfetto writer (RunOptions::scheduler_trace) ----
  bool detail_ = false;      // emit the kTrace* detail records (trace_events.h)
  bool trace_heap_ = false;  // the run allocates: heap and GC counters exist
  std::vector<std::uint32_t> tr_m_, tr_p_, tr_cpu_, tr_mg_, tr_pm_;  // states last emitted
  std::vector<std::int64_t> tr_runq_;
  std::int64_t tr_ctr_[kTcCounters] = {};
  bool tr_started_ = false;
  void trace_scan();  // after each event: emits the Ms', Ps', CPUs' and counters' changes
  void trace_g(std::uint32_t g, GStatus status) {
    if (detail_) [[unlikely]] trace_g_slow(g, status);
  }
  void trace_g_slow(std::uint32_t g, GStatus status);
  void trace(std::uint32_t kind, std::uint32_t a, std::uint32_t b, std::uint32_t c) {
    if (detail_) [[unlikely]] core_.engine.tracer().emit({core_.engine.now(), kind, a, b, c});
  }
  void record_unpark(std::uint32_t g);  // time parked, by wait reason
  void set_reason(std::uint32_t g, WaitReason r);

  // ---- chan.cpp ----
  void ready_woken(std::uint32_t mi, bool closing);

  // ---- sema.cpp ----
  SyncStep mutex_lock(std::uint32_t g, std::uint32_t obj);
  SyncStep mutex_unlock(std::uint32_t g, std::uint32_t obj);

  // ---- time.cpp ----
  // timers.check: runs P p's expired timers on M mi (their Gs go to mi's P); returns how many ran.
  std::uint32_t check_timers(std::uint32_t mi, std::uint32_t p);
  sim::Time earliest_timer() const;  // over every P; 0 = none
  void wakeNetPoller(std::uint32_t who, sim::Time when);

  // ---- netpoll.cpp ----
  bool netpoll_any_waiters() const { return netpoll_waiters_ > 0; }
  // netpoll(0): the Gs whose I/O is ready, at most netpoll_max_events.
  void netpoll_collect(std::vector<std::uint32_t>& out);
  bool netpoll_nonblocking(std::uint32_t mi, sim::Time& cost);  // findRunnable step 5
  bool netpoll_block(std::uint32_t mi, sim::Time poll_until);   // step 14: become the blocking poller
  void netpoll_return(std::uint32_t mi);
  void netpollBreak(std::uint32_t who);  // who: the M that writes the wake-up fd (kNoG: none)
  void net_ready(std::uint32_t g);
  void listener_step(std::uint32_t mi);
  void accept_arrival(std::uint16_t cls, sim::Time at, std::uint32_t client);
  void generator_step(std::uint32_t mi);
  void connection_arrival(std::uint16_t cls, sim::Time at, std::uint32_t client);
  bool connection_next(std::uint32_t mi);  // a connection finished a request: the next one, or park
  void sleep_until(std::uint32_t mi, std::uint32_t g, sim::Time when);

  // ---- fd.cpp: file descriptors against RLIMIT_NOFILE ----
  void fd_start();                                   // the process's own fds, the keep-alive connections
  bool fd_accept(std::uint32_t mi);                  // accept4 found a connection: false on EMFILE
  void fd_opened(std::uint32_t g);                   // the handler g holds the connection's fd
  void fd_exit(std::uint32_t g) {                    // goexit0: the handler returned, the connection closes
    if (g < fd_held_.size() && fd_held_[g] != 0) {
      fd_held_[g] = 0;
      --fds_open_;
    }
  }
  Json fds_json() const;

  // ---- sysmon.cpp ----
  void sysmon_start();
  void sysmon_cycle(std::uint32_t mi);
  void sysmon_sleep(std::uint32_t mi);
  void sysmon_wake(std::uint32_t who);  // notewakeup(&sched.sysmonnote) by M `who` in entersyscall/exitsyscall
  std::uint32_t retake(sim::Time now);
  void preemptone(std::uint32_t p);
  void preemptM(std::uint32_t mi);
  void signal_delivered(std::uint32_t mi);
  void gopreempt_m(std::uint32_t mi, sim::Time left, sim::Time prior, bool async);
  void start_compute(std::uint32_t mi, sim::Time work, bool tight, sim::Time runtime = 0);

  // ---- syscall.cpp (and LockOSThread) ----
  void stoplockedm(std::uint32_t mi);
  void startlockedm(std::uint32_t mi, std::uint32_t gp, sim::Time cost);
  void locked_wake(std::uint32_t mi);
  void mexit(std::uint32_t mi);
  void entersyscall(std::uint32_t mi);
  void exitsyscall(std::uint32_t mi);
  void handoffp(std::uint32_t p, std::uint32_t who = kNoG);

  // ---- mgc.cpp: the garbage collector ----
  bool gc_poll(std::uint32_t mi);  // a pending gcStart or gcMarkDone taken up by M mi; true if it took the M
  void gcStart(std::uint32_t mi);
  void stopTheWorld(std::uint32_t mi, GcPhase why);
  void preemptall();
  void stw_wait(std::uint32_t mi);
  void gcMarkDone(std::uint32_t mi);     // forEachP, then the mark-termination stop-the-world
  void forEachP_wait(std::uint32_t mi);
  // who: the M that ran the function for P p (kNoG: none), which pays the IPI of waking forEachP's caller.
  void runSafePointFn_slow(std::uint32_t p, std::uint32_t who);
  // At M mi's scheduling points (schedule, findRunnable, entersyscall), and for a P going idle (pidleput:
  // findRunnable runs it before it drops its P).
  void runSafePointFn(std::uint32_t mi) {
    if (gc_.ragged) runSafePointFn_slow(ms_[mi].p, mi);
  }
  void stw_stopped(std::uint32_t mi);
  void gc_stw_done(std::uint32_t mi);
  void startTheWorld(std::uint32_t mi);
  void gcstopm(std::uint32_t mi);
  // A P reached _Pgcstop: stopwait--, and at zero the M `who` wakes the stopper (notewakeup).
  void gc_p_stopped(std::uint32_t p, std::uint32_t who = kNoG);
  void gcMarkStart();
  void gcMarkTermination();
  bool findRunnableGCWorker(std::uint32_t mi, sim::Time cost);
  bool gc_idle_worker(std::uint32_t mi, sim::Time cost);
  void gc_drain(std::uint32_t mi, sim::Time extra);
  void gc_drain_done(std::uint32_t mi);
  void notetsleep(std::uint32_t mi, bool& entering, bool& sleeping);  // stw_wait, forEachP_wait
  void gc_drain_next(std::uint32_t mi);  // after a quantum (and any suspendG wait): drain on, or leave the mark
  void gc_suspend_spun(std::uint32_t mi);  // kGcSuspendWait's burst ended: spin on, or gc_drain_next
  void gc_worker_time(std::uint32_t mi, sim::Time t);  // t of the worker's time in the mark, by its mode
  void gc_worker_stop(std::uint32_t mi);
  // markroot's stack jobs: the mark work up to `after` ns of the pool covers these allgs; the running
  // goroutines among them are stopped (suspendG) for M mi, which waits for them when `wait`.
  void gc_scan_stacks(std::uint32_t mi, double after, bool wait);
  void suspendG(std::uint32_t mi, std::uint32_t p, bool wait);
  // Goroutine g leaves _Grunning: if suspendG was waiting for it, the wait ends. Returns the M that asked
  // (kNoG: none); when g stopped at the request (gopreempt_m: preemptPark), that M resumes it (resumeG).
  std::uint32_t suspend_resolve(std::uint32_t g);
  void resumeG(std::uint32_t mi, std::uint32_t g);  // ready(gp, 0, true) on M mi's P, after the scan
  void compute_after_assist(std::uint32_t mi, sim::Time compute, bool tight);
  // What a goroutine's program allocated with `lives: exit` is garbage once the program ends: when the
  // goroutine exits, or when a connection's goroutine finishes a request (its handler returned); so is
  // what its spans still hold (`lives: span`, a program that exits inside a span).
  void gc_program_done(std::uint32_t gp) {
    if (gp < gc_.g_bytes.size() && gc_.g_bytes[gp].bytes != 0) {
      gc_.reachable -= gc_.g_bytes[gp].bytes;
      gc_.reachable_objects -= gc_.g_bytes[gp].objects;
      gc_.g_bytes[gp] = {};
    }
    if (gp < gc_.span_head.size() && gc_.span_head[gp] != kNone32) gc_span_free(gp, 0);
  }
  // `lives: span`: what goroutine g allocated inside the span at `slot` (and deeper) is garbage when it ends.
  void gc_span_alloc(std::uint32_t g, std::uint32_t slot, std::int64_t bytes, std::int64_t objects);
  void gc_span_free(std::uint32_t g, std::uint32_t slot);
  void gc_assist_done(std::uint32_t mi);
  bool gcParkAssist(std::uint32_t mi, sim::Time compute, bool tight);
  std::size_t assists_parked() const { return gc_.assist_queue.size() - gc_.assist_head; }
  void gcFlushBgCredit(std::uint32_t mi, double work);
  void gcWakeAllAssists(std::uint32_t mi);
  bool gc_bgsweep(std::uint32_t mi, sim::Time extra);  // findRunnable with nothing to run: a quantum of background sweeping
  bool gc_bgscavenge(std::uint32_t mi, sim::Time cost);  // findRunnable: the scavenger's run, when it is due
  void gc_scavenge_done(std::uint32_t mi);
  void gc_scavenge_arm(sim::Time at);  // the scavenger's timer: ready it (and wake an idle P) at `at`
  void gc_scavenge_wake();
  sim::Time gcAssistAlloc(std::int64_t bytes);
  void gc_update_trigger();
  void gc_limiter_update();
  void gc_collect_expired();
  std::int64_t gc_non_heap() const;
  std::int64_t gc_stack_scan() const;
  void gc_shrink_stacks();
  void gcComputeStartingStackSize();
  void set_stack_order(std::uint32_t g, std::uint32_t order);
  void gctrace_line();           // gctrace.cpp
  Json gc_json(sim::Time end) const;

  // ---- schedtrace.cpp ----
  std::size_t runnable() const;
  std::size_t running() const;
  void schedtrace();
  Json counters(sim::Time end) const;

  // ---- checkdead.cpp ----
  void check_invariants() const;
  std::int64_t memory_bytes() const;
  std::int64_t runtime_metadata() const {
    return prm_.mem_base + static_cast<std::int64_t>(prm_.heap_metadata * static_cast<double>(gc_.heap_sys));
  }
  void check_memory();
  // First touch of `pages` new pages of the heap by M mi: the kernel's cost (returned: CPU on the M) and
  // any sleep (m.stall). mm_charged_ follows.
  sim::Time mm_fault(std::uint32_t mi, std::int64_t pages);
  kernel::MmCost heap_fault(std::int64_t pages);
  void mm_settle();  // after a call into mm_: the process's failure (mm_failed), background processes killed
  void mm_failed();  // the kernel refused a mapping or OOM-killed the process: the run ends
  // A burst for M mi, after the sleep it owes in the kernel (m.stall) if any.
  void mem_stall(std::uint32_t mi, Phase next, sim::Time burst, kernel::BurstKind kind);
  Json memory_json() const;
  std::uint64_t asleep() const;  // live Gs that only another goroutine could wake (checkdead)

  const Params prm_;
  RunCore core_;
  kernel::Kernel ks_;
  kernel::Mm mm_;
  // NUMA (numa.cpp, models/kernel/numa.h). Off (no per-G state, no costs) on one node without memory-bound
  // steps, so such runs are what they were before the model existed.
  const kernel::NumaTopology& topo_;  // prm_.kcfg.topology, the one the kernel layer has
  kernel::NumaMemory numa_mem_;
  kernel::NumaBandwidth numa_bw_;
  bool numa_ = false;
  std::vector<std::uint8_t> g_node_;  // per G: the node its stack is on
  std::vector<kernel::NumaStream> numa_streams_;  // by M: its memory traffic while its memory-bound compute runs
  kernel::NumaCosts numa_costs_;
  std::uint64_t numa_cross_steals_ = 0, numa_cross_executes_ = 0;
  // Automatic NUMA balancing (task_numa_work, do_numa_page): pages marked for hinting faults, the period.
  bool numa_balancing_ = false;
  double numa_marked_ = 0, numa_fault_carry_ = 0;
  sim::Time numa_scan_period_ = 0, numa_hint_fault_ = 0, numa_page_copy_ = 0;
  std::vector<double> numa_access_;  // heap traffic by accessing node since the last scan
  std::uint64_t numa_scans_ = 0, numa_hint_faults_ = 0, numa_hint_faults_local_ = 0, numa_pages_migrated_ = 0;
  std::uint64_t numa_period_faults_ = 0, numa_period_local_ = 0;
  std::vector<double> numa_group_faults_;  // hinting faults by the page's node, halved at each scan
  std::uint16_t numa_preferred_ = kernel::kNoNode16;  // the numa_group's preferred node
  std::uint64_t numa_preferred_changes_ = 0;
  void numa_init();
  // The node M mi runs on; where main is (the process's first CPU) for a thread not placed yet, or no M.
  std::uint16_t node_of_m(std::uint32_t mi) const {
    const std::uint32_t cpu = mi < ms_.size() ? ks_.cpu_of(mi) : kernel::Kernel::kNone;
    return topo_.node_of(cpu < topo_.cpu_node.size() ? cpu : ks_.process_cpus().front());
  }
  std::uint16_t node_of_p(std::uint32_t p) const;
  std::uint16_t home_node(std::uint32_t p) const {  // runtime.numa.p_affinity: Ps split over the nodes in order
    return static_cast<std::uint16_t>(static_cast<std::size_t>(p) * topo_.nodes() / prm_.gomaxprocs);
  }
  std::vector<std::vector<std::uint32_t>> numa_home_cpus_;  // per node: its CPUs in the process's cpuset
  void numa_acquirep(std::uint32_t mi, std::uint32_t p);
  // A compute step of curg on M mi that states its memory behaviour: its duration here (and its traffic).
  sim::Time numa_compute(std::uint32_t mi, const MemorySpec& spec, sim::Time local);
  const MemorySpec* numa_spec(std::uint32_t gp) const;  // the memory spec of the compute step gp is in
  void numa_stream_end(std::uint32_t mi) { numa_bw_.end(numa_streams_[mi]); }
  void numa_heap(std::int64_t bytes, std::uint32_t mi);  // heap pages first touched (or released: < 0)
  void numa_new_g(std::uint32_t g, std::uint32_t mi);    // a new G's stack, placed by the M that made it
  void numa_scan();
  Json numa_json() const;
  std::int64_t mm_charged_ = 0;   // pages of memory_bytes() given to mm_ (faulted in)
  bool pthread_failed_ = false;  // a cgo thread's stack mapping was refused (vm.max_map_count, the commit limit)
  std::int64_t mm_mapped_ = 0;    // bytes the runtime has mapped read-write (committed), in heap-growth steps
  std::int64_t mm_released_ = 0;  // pages the scavenger gave back and the heap has not used again (go1.19's toggle)
  bool oom_killed_ = false;
  sim::Rng steal_rng_, select_rng_;
  std::vector<P> ps_;
  // One bit per P (64 a word), kept in step with its state, so that scans over all Ps (stealWork's rounds,
  // checkRunqsNoP, the earliest timer) visit only the Ps that can matter, in the runtime's order: a G in
  // its ring, a G in runnext (LocalRunq::track), timers on its heap (time.cpp).
  std::vector<std::uint64_t> runq_mask_, runnext_mask_, timer_mask_;
  // Fused steal rounds (steal_fuse): the Ms running them, and the count of run queues turning non-empty,
  // runnext being set and stops of the world, as it was when they were last checked.
  std::uint64_t steal_epoch_ = 0, fused_epoch_ = 0;
  std::vector<std::uint32_t> fused_;
  static constexpr std::int32_t kFuseCreditMax = 64;
  std::int32_t fuse_credit_ = 0;  // fused runs that ended uncut (+1) against cuts (-1): whether fusing pays here
  std::uint32_t fuse_probe_ = 0;  // spins seen while it does not (one in 32 fuses anyway, to find out again)
  static bool bit(const std::vector<std::uint64_t>& mask, std::uint32_t p) { return (mask[p >> 6] >> (p & 63)) & 1; }
  void set_timer_bit(std::uint32_t p) {
    const std::uint64_t b = std::uint64_t{1} << (p & 63);
    timer_mask_[p >> 6] = ps_[p].timers.empty() ? timer_mask_[p >> 6] & ~b : timer_mask_[p >> 6] | b;
  }
  std::vector<sim::Time> p_idle_at_sample_;  // each P's idle time at the last timeseries sample
  std::vector<M> ms_;  // reserved for max_threads up front: Ms are created while references to others are live
  GlobalRunq global_;
  // runtime.numa.global_runq=per_node (a what-if): one global queue per node (then global_ stays empty). A G
  // goes to its stack's node's queue, a local queue's overflow to the M's node's; an M takes from its node's
  // queue first, then the others nearest first.
  std::vector<GlobalRunq> gq_;
  std::uint16_t globq_node(std::uint32_t mi) const {
    if (mi == kNoG) return 0;
    return prm_.p_affinity && ms_[mi].p != kNoG ? home_node(ms_[mi].p) : node_of_m(mi);
  }
  GlobalRunq& globq(std::uint32_t mi) { return gq_.empty() ? global_ : gq_[globq_node(mi)]; }
  GlobalRunq& globq_g(std::uint32_t g) { return gq_.empty() ? global_ : gq_[g < g_node_.size() ? g_node_[g] : 0]; }
  bool globq_empty() const {
    if (gq_.empty()) return global_.empty();
    for (const GlobalRunq& q : gq_) {
      if (!q.empty()) return false;
    }
    return true;
  }
  std::size_t globq_size() const {
    std::size_t n = global_.size();
    for (const GlobalRunq& q : gq_) n += q.size();
    return n;
  }
  GlobalRunq& globq_take(std::uint32_t mi) {  // the queue an M takes from (not all empty)
    if (gq_.empty()) return global_;
    const std::uint16_t own = globq_node(mi);
    for (std::uint16_t n : topo_.fallback[own]) {
      if (gq_[n].empty()) continue;
      ++(n == own ? numa_gq_local_ : numa_gq_remote_);
      return gq_[n];
    }
    return gq_[0];
  }
  std::uint64_t numa_gq_local_ = 0, numa_gq_remote_ = 0, numa_gq_routed_ = 0;
  GFreeList gfree_global_;  // sched.gFree
  std::vector<std::uint32_t> pidle_, midle_;  // idle P and M lists, LIFO
  std::vector<std::uint32_t> coprimes_;
  std::uint32_t nmspinning_ = 0, peak_spinning_ = 0;
  std::uint32_t cur_m_ = kNoG;
  WaitReason park_reason_ = WaitReason::kNone;  // set by the hook that parks the running G
  std::vector<SyncObjects::Wake> woken_;
  std::vector<std::uint32_t> objects_, order_, glist_;
  std::vector<std::string> schedtrace_;
  std::uint64_t allgs_ = 0, peak_parked_ = 0;
  std::int64_t extra_stack_bytes_ = 0, peak_memory_ = 0;  // stack beyond stack_min held by live Gs
  sim::Time lock_free_at_ = 0, lock_wait_ = 0;
  std::uint32_t lock_owner_ = kNoG;
  std::uint64_t lock_acquires_ = 0;
  bool oom_ = false, threads_exhausted_ = false;
  std::string oom_detail_;
  std::uint64_t steal_rounds_ = 0, steals_ = 0, stolen_gs_ = 0, runnext_steals_ = 0, runnext_hits_ = 0,
                global_takes_ = 0, global_overflow_ = 0, stack_growths_ = 0;

  // Blocking and waking.
  std::uint64_t sleeping_ = 0;              // Gs parked in time.Sleep (their timers are on some P)
  std::uint64_t timers_run_ = 0, timers_stolen_ = 0;
  sim::LogHistogram sleep_lateness_;        // actual minus requested sleep, measured window
  std::vector<sim::LogHistogram> sleep_lateness_class_;  // the same by class (empty until a class sleeps)
  struct ParkedTime {
    std::uint64_t count = 0;
    sim::Time total = 0;
  };
  std::vector<ParkedTime> parked_time_;  // [class * kCount + reason]
  std::vector<sim::Time> sleep_requested_;  // per G id: requested wake time (time.Sleep)
  std::vector<sim::Time> mutex_wait_start_; // per G id: when its current Lock first parked (-1: none)
  std::uint64_t mutex_starvations_ = 0, mutex_handoffs_ = 0, mutex_spins_ = 0;

  // sysmon and preemption.
  std::uint32_t sysmon_ = kNoG;             // sysmon's M
  std::uint64_t sysmon_idle_ = 0;           // uneventful cycles (idle)
  sim::Time sysmon_delay_ = 0;              // its current usleep, in ns
  bool sysmon_wait_ = false;                // in deep sleep (sched.sysmonwait)
  bool sysmon_syscall_wake_ = false;        // the deep sleep was ended by a syscall
  sim::Time last_gomaxprocs_check_ = 0, last_forcegc_ = 0;
  sim::LogHistogram sysmon_sleeps_;         // each usleep's requested delay
  std::vector<sim::Time> sysmon_first_sleeps_;  // the first 64 delays, to show the back-off
  sim::Rng preempt_rng_;
  std::vector<sim::Time> resume_;           // per G: compute left when preempted (negative: a tight loop)
  std::vector<std::int64_t> spawn_resume_;  // per G: go statements of its spawn step left when preempted
  std::int64_t fresh_g_bytes_ = 0;          // g structs and stacks malg has allocated (first-touch faults)
  // Cache lines between CPUs: the CPU that last wrote each G (its g and stack) and each object (WaitGroup,
  // channel, mutex, by kind and id); kNoCpu before any. An M on another CPU pays for the lines it touches.
  static constexpr std::uint16_t kNoCpu = 0xffff;
  std::vector<std::uint16_t> g_cpu_;
  std::vector<std::uint16_t> obj_cpu_[3];
  std::uint64_t line_transfers_ = 0;
  // Goroutines out of cache (data caches and TLB): g_clock_ counts the G touches that bring a G's lines in
  // (newproc, execute); g_touch_ holds each G's clock at its last touch (its exit refreshes it). A G whose
  // last touch is more than g_cache_capacity_ touches back (kernel.cache_reach / runtime.mem.g_cache_bytes other
  // Gs) has left the cache: newproc or execute pays runtime.cost.g_cold instead of line transfers.
  std::vector<std::uint32_t> g_touch_;
  std::uint32_t g_clock_ = 0;
  std::uint32_t g_cache_capacity_ = 0;
  std::uint64_t g_cold_touches_ = 0;
  sim::Time touch(std::uint16_t& owner, std::uint32_t mi, std::uint32_t lines) {
    const auto cpu = static_cast<std::uint16_t>(ks_.cpu_of(mi));
    const bool moved = owner != kNoCpu && owner != cpu;
    const std::uint16_t prev = owner;
    owner = cpu;
    if (!moved) return 0;
    line_transfers_ += lines;
    if (numa_ && !topo_.same_socket(topo_.node_of(prev), topo_.node_of(cpu))) {  // the line crosses sockets
      return static_cast<sim::Time>(std::llround(static_cast<double>(prm_.cache_line * lines) * topo_.line_remote));
    }
    return prm_.cache_line * lines;
  }
  sim::Time touch_g(std::uint32_t g, std::uint32_t mi, std::uint32_t lines) {
    if (g_cpu_.size() <= g) g_cpu_.resize(std::max<std::size_t>(core_.gt.capacity(), g + 1), kNoCpu);
    if (prm_.cost_g_cold > 0) {
      if (g_touch_.size() <= g) g_touch_.resize(g_cpu_.size(), 0);
      const std::uint32_t last = g_touch_[g];
      g_touch_[g] = ++g_clock_ == 0 ? ++g_clock_ : g_clock_;  // 0 is "never touched" (a fresh G)
      // Unsigned difference: right across the clock's wrap for any distance below 2^32 touches.
      if (last != 0 && g_clock_ - last > g_cache_capacity_) {
        ++g_cold_touches_;
        g_cpu_[g] = static_cast<std::uint16_t>(ks_.cpu_of(mi));  // refetched from memory, not from another CPU
        return prm_.cost_g_cold;
      }
    }
    return touch(g_cpu_[g], mi, lines);
  }
  // goexit0 writes the G's status and free-list link: its lines are as recent as the exit.
  void touch_g_exit(std::uint32_t g) {
    if (g < g_touch_.size()) g_touch_[g] = g_clock_ == 0 ? 1 : g_clock_;
  }
  // Run-queue lines (proc.go runqput, runqget; runtime2.go p: runqhead and runqtail share a line, runnext is
  // 2 KiB further on). The owner's operation on P p's queue through runnext (`next`) or through the ring,
  // from M mi: it pays for a line a thief's runqgrab took since (a locked CAS, or the store that the next
  // locked instruction waits for). The thief's own misses are in runtime.cost.steal; steal_line moves the line.
  sim::Time touch_runq(std::uint32_t p, std::uint32_t mi, bool next) {
    if (prm_.lines_runq == 0) return 0;
    return touch(next ? ps_[p].runnext_line_cpu : ps_[p].runq_line_cpu, mi, prm_.lines_runq);
  }
  // runqput(pp, gp, next): with next, runnext takes gp and its old occupant goes to the ring's tail.
  sim::Time touch_runqput(std::uint32_t p, std::uint32_t mi, bool next) {
    if (!next) return touch_runq(p, mi, false);
    const bool kicks = ps_[p].runq.runnext != kNoG;
    return touch_runq(p, mi, true) + (kicks ? touch_runq(p, mi, false) : 0);
  }
  void steal_line(std::uint32_t victim, std::uint32_t mi, bool next) {
    (next ? ps_[victim].runnext_line_cpu : ps_[victim].runq_line_cpu) = static_cast<std::uint16_t>(ks_.cpu_of(mi));
  }
  sim::Time touch_obj(ObjKind kind, std::uint32_t id, std::uint32_t mi) {
    std::vector<std::uint16_t>& v = obj_cpu_[static_cast<std::size_t>(kind)];
    if (v.size() <= id) v.resize(std::max<std::size_t>(64, 2 * (static_cast<std::size_t>(id) + 1)), kNoCpu);
    return touch(v[id], mi, prm_.lines_sync);
  }
  std::uint64_t sysmon_cycles_ = 0, sysmon_deep_sleeps_ = 0, sysmon_netpolls_ = 0, gomaxprocs_checks_ = 0, gomaxprocs_changes_ = 0,
                forcegc_checks_ = 0, preempt_requests_ = 0, preempt_coop_ = 0, preempt_async_ = 0,
                preempt_unsafe_ = 0, signals_sent_ = 0, retakes_ = 0, handoffs_ = 0, syscalls_ = 0,
                syscall_fast_exits_ = 0, syscall_slow_exits_ = 0;
  std::vector<std::uint32_t> lockedm_;     // per G: the M it is locked to (kNoG: none)
  std::uint64_t locked_handoffs_ = 0, threads_exited_ = 0, nmidlelocked_ = 0;
  bool starved_ = false;
  std::string starved_detail_;

  // The netpoller.
  bool netpoll_inited_ = false;
  std::uint64_t netpoll_waiters_ = 0;        // Gs parked in the netpoller (netpollWaiters)
  sim::Ring<std::uint32_t> net_ready_;       // Gs whose I/O is ready and that no netpoll has returned
  sim::Time lastpoll_ = 1;                   // sched.lastpoll; 0 while an M blocks in netpoll
  sim::Time poll_until_ = 0;                 // sched.pollUntil of the blocking poller
  std::uint32_t poller_ = kNoG;              // the M blocked in netpoll
  bool poller_broken_ = false;               // netpollBreak already sent (netpollWakeSig)
  std::uint64_t netpolls_ = 0, netpoll_blocking_ = 0, netpoll_breaks_ = 0, netpoll_ready_gs_ = 0;
  // accept arrivals: per class, the listener G and the backlog of connections (arrival time, client).
  struct Listener {
    std::uint32_t g = kNoG;
    bool in_netpoll = false;  // parked waiting for a connection
    bool accepting = false;   // its accept4 syscall is under way (a burst)
    struct Conn {
      sim::Time at;
      std::uint32_t client;
    };
    sim::Ring<Conn> backlog;
    sim::Time temp_delay = 0;  // net/http Server.Serve's tempDelay: the back-off after EMFILE
  };
  std::vector<Listener> listeners_;  // by class; g == kNoG for classes without open or closed arrivals
  std::vector<sim::Time> generator_due_;  // generator mode, by class: its next arrival (-1: none left)
  // netpoll mode: keep-alive connections, each a goroutine serving its requests one after another.
  struct Connection {
    std::uint32_t g = kNoG;
    bool in_netpoll = false;
    bool serving = false;  // running the program for a request
    sim::Ring<Listener::Conn> requests;
  };
  std::vector<Connection> conns_;
  std::vector<std::uint32_t> conn_first_;  // by class: index of its first connection in conns_
  std::vector<std::uint32_t> conn_of_g_;   // G id -> index in conns_
  std::vector<std::uint32_t> conn_open_;   // by class: keep-alive connections accepted (runtime.connections unless EMFILE)

  // File descriptors (fd.cpp).
  std::int64_t fds_base_ = 0, fds_open_ = 0, fds_peak_ = 0;  // the process's own; open now (with them); the peak
  std::vector<std::uint8_t> fd_held_;      // per G id: a handler holding an accepted connection's fd
  std::uint64_t emfile_ = 0, emfile_retries_ = 0, conns_unaccepted_ = 0;
  sim::Time emfile_backoff_ = 0;           // time listeners slept in Serve's back-off
  bool fd_exhausted_ = false;              // rlimit.on_emfile fail: accept4 failed with EMFILE
  std::string fd_detail_;
  sim::Rng conn_rng_;

  // The collector (mgc.go work and gcController; pacer.h). Heap sizes in bytes, scan work in bytes
  // (the runtime's units), mark work in the pool as CPU ns.
  struct Gc {
    explicit Gc(const PacerConfig& c) : pacer(c) {}
    GcPacer pacer;
    GcCpuLimiter limiter;
    GcPhase phase = GcPhase::kOff;
    bool enabled = true;                 // GOGC != off or a memory limit: the heap triggers cycles
    std::int64_t heap_live = 0;          // heapLive: marked at the last cycle plus allocated since
    std::int64_t reachable = 0, reachable_objects = 0;  // what the program can still reach now
    std::int64_t heap_rss = 0, heap_sys = 0, scavenged = 0, heap_peak = 0;
    std::int64_t trigger = kNoLimit, goal = kNoLimit;
    // The background scavenger (mgcscavenge.go bgscavenge): the retained heap it works down to
    // (gcPaceScavenger), when its pacing sleep ends, the bytes of the run in progress, its CPU.
    std::int64_t scav_goal = kNoLimit, scav_run = 0;
    sim::Time scav_due = 0, scav_cpu = 0;
    std::uint64_t scav_runs = 0;
    bool scav_armed = false;  // its timer (kScavengeWake) is set
    struct Reach {
      std::int64_t bytes = 0, objects = 0;
    };
    std::vector<Reach> g_bytes;          // per G id: what it allocated and keeps until it exits
    // `lives: span`: per G id the top of a stack of (span slot, reach) in span_pool (kNone32: none), one
    // entry per span level that allocated, innermost on top (spans nest); freed entries are chained on
    // span_free. Empty unless a program has such a step.
    struct SpanReach {
      Reach reach;
      std::uint32_t slot = 0, next = kNone32;
    };
    std::vector<std::uint32_t> span_head;
    std::vector<SpanReach> span_pool;
    std::uint32_t span_free = kNone32;
    // Stacks: per G id the depth its last `stack` step declared (0: none), their sum over live Gs, and the
    // starting stack of recycled Gs as log2(size / stack_min) (startingStackSize).
    std::vector<std::int32_t> stack_depth;
    std::int64_t depth_sum = 0;
    std::uint64_t depth_count = 0, shrinks = 0;
    std::uint32_t starting_order = 0;
    struct Timed {
      sim::Time until;
      std::int64_t bytes, objects;
      bool operator>(const Timed& o) const { return until > o.until; }
    };
    std::vector<Timed> timed;            // min-heap: objects with a lifetime
    // The cycle in progress.
    std::int64_t marked_at_start = 0, objects_at_start = 0, alloc_black = 0, heap_scan = 0, stack_scan = 0;
    double pool_ns = 0, pool_total_ns = 0, ns_per_unit = 0, units_total = 0, units_done = 0, bg_credit_ns = 0;
    std::uint32_t in_flight = 0, idle_workers = 0, max_idle_workers = 0;
    int dedicated_needed = 0;
    double fractional_goal = 0;
    bool time_trigger = false, user_forced = false;
    sim::Time mark_start = 0, assist_time = 0, dedicated_time = 0, fractional_time = 0, idle_time = 0;
    sim::Time sweep_left = 0;             // unswept spans' CPU
    double sweep_ns_per_byte = 0;         // proportional sweep (sweepPagesPerByte)
    // Requests taken up by the next M at a scheduling point.
    bool start_requested = false, mark_done_requested = false;
    // Stop-the-world.
    bool waiting = false;                 // sched.gcwaiting
    std::uint32_t stopwait = 0, stw_m = kNoG;
    bool stw_sleeping = false;
    bool stw_entering = false;  // stw_wait: in notetsleep's futex call, not yet asleep
    // gcMarkDone's forEachP ragged barrier: every P passes a scheduling point before mark termination.
    bool ragged = false, ragged_sleeping = false;
    bool ragged_entering = false;  // forEachP_wait: in notetsleep's futex call, not yet asleep
    std::uint32_t ragged_m = kNoG, safe_point_wait = 0;
    sim::Time ragged_start = 0;
    GcPhase stw_for = GcPhase::kOff;
    sim::Time stw_start = 0;
    std::vector<std::uint32_t> stopped;   // Ps in _Pgcstop
    // gctrace's times and sizes (work.tSweepTerm ...; heap0/1/2).
    sim::Time t_sweep_term = 0, t_mark = 0, t_mark_term = 0, t_end = 0, stw1_cpu = 0;
    std::int64_t heap0 = 0, heap1 = 0, heap2 = 0, last_goal = 0;
    std::uint32_t stwprocs = 0;
    // runtime.GC callers: (G, the cycle count they wait for).
    std::vector<std::pair<std::uint32_t, std::uint32_t>> waiters;
    // work.assistQueue: goroutines parked in gcParkAssist with the mark work (ns) they still owe, in order;
    // background work pays them off first (gcFlushBgCredit), the end of the mark readies the rest.
    std::vector<std::pair<std::uint32_t, double>> assist_queue;
    std::size_t assist_head = 0;
    std::uint64_t assist_parks = 0;
    // markroot's stack jobs (gcMarkRootPrepare: one per G of allgs at the mark's start, after the fixed
    // roots), as a position along the pool: the next G's index, and the pool's ns per G.
    std::uint32_t stack_roots = 0, stack_next = 0;
    double stack_ns_per_g = 0;
    // suspendG: goroutines asked to stop for their stack scan, with the M that asked (and waits, when a
    // worker); the Gs it stopped and the worker time spent waiting.
    struct Suspend {
      std::uint32_t g, by;
      bool wait;
    };
    std::vector<Suspend> suspends;
    std::uint64_t suspended = 0, suspend_requests = 0;
    sim::Time suspend_wait = 0;
    // Totals.
    std::uint32_t cycles = 0, forced = 0, time_cycles = 0;
    sim::Time total_pause = 0, total_gc_cpu = 0, total_assist = 0, total_dedicated = 0, total_fractional = 0, total_idle = 0;
    sim::Time total_bgsweep = 0;          // the background sweeper's CPU (bgsweep), not GC CPU in GCCPUFraction
    sim::Time cum_idle = 0, cum_assist = 0, limiter_last = 0, limiter_idle_at = 0, limiter_assist_at = 0, last_end = 0;
    sim::LogHistogram pause_sweep_term, pause_mark_term, ttsp, cycle_wall;
    std::uint64_t assists = 0;
    std::vector<std::string> trace;
  } gc_;
};

}  // namespace gmpsim::models::go
