// The `go` model's scheduler core: proc.go's schedule, findRunnable, stealWork, the spinning-M protocol,
// newproc/goexit, gopark/goready and injectglist. Blocking objects, timers and the netpoller live in the
// files named after their runtime counterparts (see gorun.h).
//
// An M's scheduling as a chain of CPU bursts.
// In the runtime, schedule and findRunnable are one loop on the M's g0 stack: look at the P's timers and
// queues, the global queue and the netpoller, steal, and at last park the thread. That loop takes time,
// and the time is what this model is about: a searching M holds a CPU that goroutines cannot use (Ms can
// outnumber CPUs, and other threads share them), the G it finds starts only when the search is over, and
// while it searches the other Ms keep filling and draining the queues it is about to look at. So here an
// M's scheduling is a chain of continuations (schedule, findRunnable, stealWork, stealWork_scan, ...).
// Each stage takes its decisions at one instant, from the state at that instant, and then pays their CPU
// cost as a burst on the M's thread through the kernel thread layer (models/kernel/threads.h); when the
// burst ends, on_burst_done runs the stage the M's Phase names. A burst progresses only while the thread
// holds a CPU, so the kernel can slice a searching M away like any thread, and the stages that really
// sleep (runqgrab's usleep(3), the blocking netpoll, stopm's futex wait) block the thread and are woken
// with the kernel's latencies.
//
// What is abstracted. Scheduler state changes only at stage boundaries, one M at a time, so no M ever sees
// a half-done update: the CAS on a run queue's head and its retry loops (runqget, runqgrab), casgstatus's
// loop, the atomic counters (nmspinning, npidle) and the #StoreLoad ordering the spinning protocol relies
// on all become plain updates. Their CPU is inside runtime.cost.*, fitted to whole operations
// (validation/calibrate/README.md), and the races they guard show only at the grain of a stage: two Ms
// can pick the same victim a burst apart and the second find it empty. The race detector's scheduler
// randomisation (runqput skipping runnext under -race) is not modelled: this is a release build. sched.lock
// is a hold time with spinning waiters, not lock2's spin, osyield and futex sleep. The trace reader, the
// finalizer and cleanup goroutines and safe-point functions are not modelled, so findRunnable's checks for
// them are absent; its GC checks (gcstopm, findRunnableGCWorker, idle marking) are in mgc.cpp.
//
// Rejected designs.
//   - One instantaneous findRunnable with a fixed cost. An M would become spinning and give it up at the
//     same instant, so wakep, which starts an M only while none spins, would never see a spinner and would
//     start an M for every readied G: the thread churn that spinning exists to avoid. All steal rounds
//     would see one instant's queues, work readied during a search could not be found by it, and the
//     runnext back-off, a real sleep, would have no place.
//   - A thread (or a stackful coroutine) per M running proc.go's loop, with real context switches. It would
//     read most like the runtime, but every burst would cost the host a switch, and the run would depend
//     on host scheduling unless every switch were serialised; golden fingerprints need determinism.
//   - Each atomic operation as a step of its own. Events per scheduling would grow by an order of
//     magnitude, and outcomes would hinge on nanosecond orderings (cache-line transfers) that no
//     measurement here can calibrate: precision the model could not back.
//
// findRunnable's order (proc.go, go1.26). Step numbers in this directory's comments refer to this table.
//   step  proc.go landmark                                                 here
//    0    schedule: mp.lockedg != 0 -> stoplockedm                         schedule -> stoplockedm (syscall.cpp)
//    1a   findRunnable, top: sched.gcwaiting -> gcstopm                    findRunnable -> gcstopm (mgc.cpp)
//    1    pp.timers.check                                                  findRunnable -> check_timers (time.cpp)
//    1b   findRunnableGCWorker: a dedicated or fractional mark worker      findRunnableGCWorker (mgc.cpp)
//    2    "Check the global runnable queue once in a while": schedtick%61  findRunnable (globrunqget)
//    3    "local runq": runqget, runnext first                             findRunnable (runq.cpp)
//    4    "global runq": globrunqgetbatch                                  findRunnable
//    5    "Poll network.": netpoll(0) with waiters and lastpoll != 0       netpoll_nonblocking (netpoll.cpp)
//    6    "Spinning Ms": 2*nmspinning < gomaxprocs-npidle, becomeSpinning  findRunnable -> stealWork
//    7    stealWork: stealTries rounds over stealOrder, runqsteal from     stealWork, stealWork_scan
//         Ps not in idlepMask
//    8    stealWork, last round (stealTimersOrRunNextG): p2.timers.check,  stealWork_scan
//         then runqget on our P
//    9    runqgrab: a running victim's runnext, after usleep(3)            stealWork_scan -> stealWork_backoff
//   10    stealWork's newWork (a timer ran): goto top                      stealWork_scan -> findRunnable
//   10b   idle-time marking (gcController.addIdleMarkWorker)             findRunnable_idle -> gc_idle_worker
//   10c   the background sweeper (mgcsweep.go bgsweep, a G in the runtime) findRunnable_idle -> gc_bgsweep
//   (1c)  the background scavenger (mgcscavenge.go bgscavenge), once its     findRunnable -> gc_bgscavenge
//         timer readied it into runnext
//   11    "return P and block": under sched.lock, globrunqgetbatch         findRunnable_idle
//   12    releasep, pidleput                                               findRunnable_idle
//   13    "Delicate dance": drop nmspinning, recheck the global queue and  findRunnable_idle -> findRunnable
//         checkRunqsNoP; with work, acquirep, becomeSpinning (here both
//         go back to the top)
//   14    "Poll network until next timer.": netpoll(delay) by the M that   netpoll_block, netpoll_return
//         swapped lastpoll to 0, else netpollBreak a poller that sleeps    (netpoll.cpp)
//         past pollUntil; on return, acquirep and goto top
//   15    stopm; goto top                                                  stopm
//   then  schedule, after findRunnable: resetspinning, startlockedm,       schedule_execute, then execute
//         execute
#include "models/go/proc.h"

#include <algorithm>
#include <memory>
#include <numeric>

#include "models/go/gorun.h"
#include "models/run/run_loop.h"
#include "models/input/units.h"
#include "models/run/trace_events.h"

namespace gmpsim::models::go {

GoRun::GoRun(const Scenario& sc)
    : prm_(sc), core_(sc, {kArrival, kClientSubmit, kSample, kWarmupEnd}),
      ks_(core_.engine, *this, sc.machine.cpus.size(), prm_.kcfg.params, kThreadBase, prm_.kcfg.groups),
      mm_(prm_.mm, core_.streams.stream("kernel.mm")), topo_(prm_.kcfg.topology),
      numa_mem_(topo_, kernel::mem_policy(sc, topo_)), numa_bw_(topo_), steal_rng_(core_.streams.stream("go.steal")),
      select_rng_(core_.streams.stream("go.select")), preempt_rng_(core_.streams.stream("go.preempt")),
      conn_rng_(core_.streams.stream("go.connections")), gc_(prm_.pacer) {
  ks_.set_topology(prm_.kcfg.topology);
  for (std::uint32_t i = 0; i < prm_.gomaxprocs; ++i) ps_.emplace_back(prm_.runq_size);
  const std::size_t words = (prm_.gomaxprocs + 63) / 64;
  runq_mask_.assign(words, 0);
  runnext_mask_.assign(words, 0);
  timer_mask_.assign(words, 0);
  for (std::uint32_t i = 0; i < prm_.gomaxprocs; ++i) {  // ps_ is never resized again: the words stay put
    ps_[i].runq.track(&runq_mask_[i >> 6], &runnext_mask_[i >> 6], std::uint64_t{1} << (i & 63), &steal_epoch_);
  }
  ms_.reserve(prm_.max_threads);
  // kernel.cache_reach is per NUMA node (one LLC each, kernel/numa.h): Gs spread over the nodes share the sum.
  g_cache_capacity_ = static_cast<std::uint32_t>(std::clamp<std::int64_t>(
      prm_.cache_reach * static_cast<std::int64_t>(std::max<std::size_t>(1, topo_.nodes())) / std::max<std::int64_t>(1, prm_.g_cache_bytes),
      1, std::int64_t{1} << 31));
  // stealOrder (randomOrder.reset): the strides coprime with GOMAXPROCS.
  for (std::uint32_t c = 1; c <= prm_.gomaxprocs; ++c) {
    if (std::gcd(c, prm_.gomaxprocs) == 1) coprimes_.push_back(c);
  }
  core_.stats.set_busy_source([this](std::size_t cpu, CpuUse use, sim::Time now) {
    const auto c = static_cast<std::uint32_t>(cpu);
    if (use == CpuUse::kOther) return ks_.busy_on(c, kernel::kOther, now);
    return ks_.busy_on(c, use == CpuUse::kGoroutines ? kWork : use == CpuUse::kRuntime ? kSched : kSpin, now);
  });
  parked_time_.resize(core_.wl.classes.size() * static_cast<std::size_t>(WaitReason::kCount));
  // Threads (Ms alive, and idle ones on midle) and each P's share of the interval held by an M, off the
  // idle list (running Gs, the scheduler, spinning, a syscall, a GC stop), over time.
  {
    std::vector<std::string> names = {"threads", "threads_idle"};
    for (std::uint32_t p = 0; p < prm_.gomaxprocs; ++p) names.push_back("p" + std::to_string(p) + "_held");
    p_idle_at_sample_.assign(prm_.gomaxprocs, 0);
    core_.stats.add_columns(std::move(names), [this](sim::Time now, sim::Time interval, double* out) {
      out[0] = static_cast<double>(ms_.size() - threads_exited_);
      out[1] = static_cast<double>(midle_.size());
      for (std::size_t p = 0; p < ps_.size(); ++p) {
        const sim::Time idle = ps_[p].idle_total + (ps_[p].on_idle_list ? now - ps_[p].idle_since : 0);
        out[2 + p] = 1.0 - static_cast<double>(idle - p_idle_at_sample_[p]) / static_cast<double>(interval);
        p_idle_at_sample_[p] = idle;
      }
    });
  }
  // The heap over time, when there is one (runtime/metrics names in the README).
  bool allocates = prm_.heap_live0 > 0;
  for (const GoroutineClass& c : core_.wl.classes) allocates = allocates || c.program.has(OpCode::kAlloc);
  trace_heap_ = allocates;
  if (allocates) {
    core_.stats.add_columns({"heap_live_bytes", "heap_goal_bytes", "heap_rss_bytes", "gc_cycles"}, [this](sim::Time, sim::Time, double* out) {
      out[0] = static_cast<double>(gc_.heap_live);
      out[1] = gc_.goal == kNoLimit ? 0.0 : static_cast<double>(gc_.goal);
      out[2] = static_cast<double>(gc_.heap_rss);
      out[3] = static_cast<double>(gc_.cycles);
    });
  }
  listeners_.resize(core_.wl.classes.size());
  generator_due_.assign(core_.wl.classes.size(), 0);
  for (const GoroutineClass& c : core_.wl.classes) {
    if (c.program.has(OpCode::kFileRead) && prm_.mm.file_set == 0) {
      throw ScenarioError("workload.files.size", "class `" + c.name + "` has file_read steps but its files have no size; set "
                                                 "workload.files.size (e.g. 4GiB) and how much is cached (workload.files.cached)");
    }
  }
  mm_.attach(ks_);
  for (std::uint32_t i = 0; i < prm_.kcfg.processes.size(); ++i) {
    const kernel::ProcessSpec& ps = prm_.kcfg.processes[i];
    if (ps.memory > 0) mm_.add_owner(ps.name, ps.memory, i);
  }
  numa_init();
}

RunResult GoRun::run(const RunOptions& options) {
  detail_ = options.scheduler_trace && !options.observers.empty();
  return core_.execute(*this, options);
}

void GoRun::start() {
  // procresize: P0 goes to M0, which runs; the other Ps are idle, P1 on top of the idle list.
  for (std::uint32_t p = prm_.gomaxprocs; p-- > 1;) pidleput(p, kNoG);
  const std::uint32_t m0 = newm();
  acquirep(m0, 0);
  ms_[m0].phase = Phase::kSchedule;
  if (prm_.sysmon) sysmon_start();
  start_arrivals();
  gc_.enabled = prm_.pacer.gogc >= 0 || prm_.pacer.memory_limit != kNoLimit;
  gc_.heap_live = gc_.reachable = gc_.heap_rss = gc_.heap_sys = gc_.heap_peak = prm_.heap_live0;
  gc_.reachable_objects = prm_.heap_live0 / prm_.heap_object_size;
  gc_.limiter.reset_capacity(static_cast<int>(prm_.gomaxprocs));
  gc_update_trigger();
  if (gc_.enabled && gc_.heap_live >= gc_.trigger) gc_.start_requested = true;
  // The process as exec left it: the binary's and the runtime's mappings, then what it holds at t = 0
  // (check_memory maps and faults it in; its cost is the start-up's, not counted).
  if (!mm_.map(0, 0, kGoBaseMaps)) mm_failed();
  check_memory();
  if (oom_) core_.stopped_at_start = true;  // the live heap did not fit: killed or refused while it was built
  for (M& m : ms_) m.stall = 0;
  ks_.start_now(m0);  // the process's main thread is running at t = 0
  ks_.start_processes(prm_.kcfg.processes, core_.streams);
  if (prm_.schedtrace > 0) core_.observe_at(0, kSchedtrace);
  if (numa_balancing_) core_.observe_at(core_.sc.duration("kernel.numa_balancing_scan_delay"), kNumaScan);
}

void GoRun::on_warmup_end() {
  sleep_lateness_.clear();
  for (sim::LogHistogram& h : sleep_lateness_class_) h.clear();
  for (ParkedTime& t : parked_time_) t = {};
}

void GoRun::finish(RunResult& r, sim::Time end) {
  r.model_counters = counters(end);
  r.model_counters["memory"] = memory_json();
  r.schedtrace = std::move(schedtrace_);
  r.gctrace = std::move(gc_.trace);
}

void GoRun::on_burst_done(std::uint32_t tid) {
  M& m = ms_[tid];
  if (numa_) numa_stream_end(tid);  // a memory-bound compute's traffic ends with its burst
  switch (m.phase) {
    case Phase::kStart:
      if (m.nextp != kNoG) {
        acquirep(tid, m.nextp);
        m.nextp = kNoG;
      }
      schedule(tid);
      break;
    case Phase::kSchedule: schedule(tid); break;
    case Phase::kFindRunnable: findRunnable(tid); break;
    case Phase::kExecute: execute(tid, core_.engine.now()); break;
    case Phase::kOverhead: compute_after_assist(tid, m.pending_compute, m.tight); break;
    case Phase::kAssist: gc_assist_done(tid); break;
    case Phase::kBgSweep: findRunnable(tid); break;
    case Phase::kScavenge: gc_scavenge_done(tid); break;
    case Phase::kRunning: continue_g(tid); break;
    case Phase::kStealWork: stealWork_scan(tid); break;
    case Phase::kStealWorkBackoff: stealWork_backoff(tid); break;
    case Phase::kNetpollReturn: netpoll_return(tid); break;
    case Phase::kPreemptPoint: gopreempt_m(tid, m.preempt_left, 0, false); break;
    case Phase::kEntersyscall: entersyscall(tid); break;
    case Phase::kExitsyscall: exitsyscall(tid); break;
    case Phase::kRawReturn: continue_g(tid); break;
    case Phase::kMemStall:
      if (m.stall_next == Phase::kRunning) {
        start_compute(tid, m.stall_burst, m.tight);
      } else {
        m.phase = m.stall_next;
        ks_.run_for(tid, m.stall_burst, m.stall_kind);
      }
      break;
    case Phase::kSysmon: sysmon_cycle(tid); break;
    case Phase::kSysmonSleep: sysmon_sleep(tid); break;
    case Phase::kLockedWake: locked_wake(tid); break;
    case Phase::kGcWork: gc_drain_done(tid); break;
    case Phase::kGcSuspendWait: gc_suspend_spun(tid); break;
    case Phase::kStwWait: stw_wait(tid); break;
    case Phase::kForEachPWait: forEachP_wait(tid); break;
    case Phase::kStwWork: gc_stw_done(tid); break;
    case Phase::kNewproc: newproc_done(tid); break;
  }
}

void GoRun::dispatch(const sim::Event& ev) {
  if (ev.kind == kSchedtrace || ev.kind == kNumaScan || ev.kind == kScavengeWake) {  // RunCore handles the other observations
    --core_.observers_pending;
  } else if (!(ev.kind >= kThreadBase && (ks_.is_daemon_event(ev) || ev.arg == sysmon_))) {
    core_.last_activity = ev.time;  // sysmon's own cycles, the kernel's and other processes' are not the program's activity
  }
  switch (ev.kind) {
    case kArrival: {
      const auto cls = static_cast<std::uint16_t>(ev.arg);
      if (prm_.arrivals == Params::Entry::kNetpoll) {
        connection_arrival(cls, ev.time, kNone32);
      } else if (prm_.arrivals == Params::Entry::kAccept) {
        accept_arrival(cls, ev.time, kNone32);
      } else {
        inject(create(cls, ev.time, kNone32, kNoG, kNone32));
        startIdle(1);
      }
      core_.arrivals.next_arrival(cls, ev.time);
      break;
    }
    case kClientSubmit:
      if (prm_.arrivals == Params::Entry::kNetpoll) {
        connection_arrival(static_cast<std::uint16_t>(ev.arg), ev.time, ev.arg2);
      } else if (prm_.arrivals == Params::Entry::kAccept) {
        accept_arrival(static_cast<std::uint16_t>(ev.arg), ev.time, ev.arg2);
      } else {
        inject(create(static_cast<std::uint16_t>(ev.arg), ev.time, ev.arg2, kNoG, kNone32));
        startIdle(1);
      }
      break;
    case kNetReady: net_ready(ev.arg); break;
    case kSignal: signal_delivered(ev.arg); break;
    case kFdExhausted: core_.engine.stop(); break;  // fd.cpp: no fd for the listener or a connection at start
    case kNumaScan: numa_scan(); break;
    case kScavengeWake: gc_scavenge_wake(); break;
    case kSchedtrace:
      schedtrace();
      if (work_pending() > 0 && ev.time + prm_.schedtrace <= core_.sc.run.duration) core_.observe_at(ev.time + prm_.schedtrace, kSchedtrace);
      break;
    default: ks_.handle(ev); break;
  }
  steal_unfuse_check();
  if (detail_) [[unlikely]] trace_scan();
}

// casgstatus: the runtime's CAS from oldval loops while the GC holds the G in a _Gscan state and throws
// on a wrong old status; here nothing else can hold the G, so the CAS is a store, and the old status is
// checked (in checked builds) as the throw would.
void GoRun::casgstatus(std::uint32_t g, GStatus oldval, GStatus newval) {
  Goroutine& gr = core_.gt[g];
  GMPSIM_CHECK(g_status(gr) == oldval, "casgstatus: goroutine " + std::to_string(g) + " has status " +
                                           std::to_string(static_cast<int>(g_status(gr))) + ", not " +
                                           std::to_string(static_cast<int>(oldval)));
  gr.flags = static_cast<std::uint16_t>((gr.flags & ~0xfu) | static_cast<std::uint16_t>(newval));
  // suspendG's loop sees a goroutine it asked to stop park, enter a syscall, yield or exit: it scans the
  // stack as it is, and has nothing to resume (gopreempt_m resolves a stop at the request before this).
  if (oldval == GStatus::kRunning && !gc_.suspends.empty()) [[unlikely]] suspend_resolve(g);
  trace_g(g, newval);  // as the runtime's tracer, which records status changes in casgstatus (go1.22+ traceGoStatus)
}
void GoRun::set_reason(std::uint32_t g, WaitReason r) {
  Goroutine& gr = core_.gt[g];
  gr.flags = static_cast<std::uint16_t>((gr.flags & ~0xf0u) | (static_cast<std::uint16_t>(r) << 4));
}

// ---- goroutines ----

// newproc1: a dead G from P's free list (gfget; the global list refills it), else a new one. Without a P
// (arrivals from outside) only the global list is used. Local objects are inherited from `parent`.
std::uint32_t GoRun::create(std::uint16_t cls, sim::Time start, std::uint32_t client, std::uint32_t p, std::uint32_t parent) {
  core_.stats.created(cls);
  GFreeList none;
  const std::uint32_t reuse = gfget(p == kNoG ? none : ps_[p].gfree, gfree_global_);
  const std::uint32_t g = reuse == kNoG ? core_.gt.create(cls, start, client) : core_.gt.revive(reuse, cls, start, client);
  // gfget: a recycled G runs on a stack of startingStackSize (malg(stackMin) for a new one).
  if (reuse != kNoG && gc_.starting_order > 0) set_stack_order(g, gc_.starting_order);
  if (core_.gt.capacity() > allgs_) {  // a new g (and stack): allgs only grows
    allgs_ = core_.gt.capacity();
    check_memory();
  }
  if (reuse == kNoG) numa_new_g(g, p != kNoG ? ps_[p].m : kNoG);  // a reused G keeps its stack, and its node
  casgstatus(g, GStatus::kIdle, GStatus::kRunnable);  // the table hands out a cleared record (_Gidle)
  core_.gt[g].ready_at = core_.engine.now();
  init_locals(core_.wl, core_.gt, g, parent, [this](ObjKind k, std::uint32_t id) { core_.sync.retain(k, id); });
  core_.engine.tracer().emit({core_.engine.now(), kTraceGoCreate, g, cls, 0});
  core_.stats.live_changed(core_.engine.now(), core_.gt.live());
  return g;
}

// newproc: the new G goes to the spawner P's runnext (its old runnext to the tail), then wakep. `paid`:
// the caller already ran newproc's CPU on this M (a spawn step); otherwise it is owed as overhead.
std::uint32_t GoRun::newproc(std::uint32_t mi, std::uint16_t cls, sim::Time start, std::uint32_t client, std::uint32_t parent,
                             bool paid) {
  M& m = ms_[mi];
  const std::uint64_t allgs = allgs_;
  const std::uint32_t g = create(cls, start, client, m.p, parent);
  m.overhead += touch_runqput(m.p, mi, prm_.runnext);  // lines a thief took since this P's last put
  const std::uint32_t moved = runqput(ps_[m.p].runq, globq(mi), g, prm_.runnext);
  if (!paid) m.overhead += prm_.cost_newproc + (allgs_ > allgs ? malg_cost(mi) : 0);
  m.overhead += touch_g(g, mi, prm_.lines_newproc);  // a dead G that exited on another CPU
  if (moved > 0) m.overhead += sched_lock(mi);  // runqputslow takes sched.lock
  global_overflow_ += moved;
  wakep(mi);
  return g;
}

// malg(stackMin) when gfget finds no dead G: new(g) and stackalloc, and the first touch of their memory
// (fresh g structs and stacks are laid out one after another in fresh spans: a fault per 4 KiB page).
sim::Time GoRun::malg_cost(std::uint32_t mi) {
  const std::int64_t before = fresh_g_bytes_ / kPageBytes;
  fresh_g_bytes_ += prm_.mem_g + prm_.mem_stack;
  return 2 * prm_.cost_malloc + mm_fault(mi, fresh_g_bytes_ / kPageBytes - before);
}

// A spawn step's go statements, one at a time on the spawner's M: newproc runs (the CPU, with what the G
// owes from before: wakep's futex, an assist), then the G exists (newproc_done). Whether malg is needed is
// decided when the statement starts, from the free lists then.
void GoRun::newproc_begin(std::uint32_t mi) {
  M& m = ms_[mi];
  const bool fresh = ps_[m.p].gfree.gs.empty() && gfree_global_.gs.empty();  // gfget will find no dead G
  sim::Time cost = take_overhead(mi) + prm_.cost_newproc + (fresh ? malg_cost(mi) : 0);
  if (m.assist > 0) {
    cost += m.assist;
    m.assist = 0;
  }
  m.phase = Phase::kNewproc;
  ks_.run_for(mi, cost, kSched);
}

// The statement ran: the G exists and is runnable. The next statement of the step follows, unless curg was
// asked to stop (a function call is a preemption point: it yields with the rest of its step pending).
void GoRun::newproc_done(std::uint32_t mi) {
  M& m = ms_[mi];
  const std::uint32_t gp = m.curg;
  newproc(mi, m.spawn_cls, core_.engine.now(), kNone32, gp, true);
  if (--m.spawn_left <= 0) {
    continue_g(mi);
    return;
  }
  if (g_preempt(core_.gt[gp])) {
    if (spawn_resume_.size() <= gp) spawn_resume_.resize(core_.gt.capacity(), 0);
    spawn_resume_[gp] = m.spawn_left;
    m.spawn_left = 0;
    gopreempt_m(mi, 0, 0, false);
    return;
  }
  newproc_begin(mi);
}

// goready: a parked G becomes runnable in the readier P's runnext, then wakep. Time parked is recorded by
// the reason it waited for.
void GoRun::record_unpark(std::uint32_t g) {
  const Goroutine& gr = core_.gt[g];
  if (gr.ready_at < core_.sc.run.warmup || g_internal(gr)) return;
  ParkedTime& t = parked_time_[gr.cls * static_cast<std::size_t>(WaitReason::kCount) + static_cast<std::size_t>(g_reason(gr))];
  ++t.count;
  t.total += core_.engine.now() - gr.ready_at;
}

// goready puts g in runnext (ready(gp, next=true)); next=false is ready(gp, 0, false): the queue's tail.
void GoRun::goready(std::uint32_t mi, std::uint32_t g, bool next) {
  M& m = ms_[mi];
  Goroutine& gr = core_.gt[g];
  record_unpark(g);
  casgstatus(g, GStatus::kWaiting, GStatus::kRunnable);
  gr.ready_at = core_.engine.now();
  core_.engine.tracer().emit({core_.engine.now(), kTraceGoUnpark, g, gr.cls, 0});
  if (detail_) [[unlikely]] {
    trace(kTraceWake, g, m.curg, mi);  // the writer shows the waker on mi now: the scan re-sends mi's state after
    if (mi < tr_m_.size()) tr_m_[mi] = kTraceNone;
  }
  m.overhead += touch_runqput(m.p, mi, prm_.runnext && next);
  const std::uint32_t moved = runqput(ps_[m.p].runq, globq(mi), g, prm_.runnext && next);
  m.overhead += prm_.cost_goready + (moved > 0 ? sched_lock(mi) : 0);
  global_overflow_ += moved;
  wakep(mi);
}

// gopark: m.curg (Grunning -> Gwaiting) stops; ready_at holds when it parked until goready.
void GoRun::gopark(std::uint32_t mi, WaitReason reason) {
  M& m = ms_[mi];
  const std::uint32_t gp = m.curg;
  set_reason(gp, reason);  // before the status: the trace records the reason with it
  casgstatus(gp, GStatus::kRunning, GStatus::kWaiting);
  core_.gt[gp].ready_at = core_.engine.now();
  if (core_.sync.sudogs.live() > peak_parked_) {
    peak_parked_ = core_.sync.sudogs.live();
    check_memory();
  }
  core_.engine.tracer().emit({core_.engine.now(), kTraceGoPark, gp, core_.gt[gp].cls, 0});
  m.curg = kNoG;
  schedule(mi, take_overhead(mi) + prm_.cost_gopark);
}

// execute: m.curg starts running (Grunnable -> Grunning) at `at`: now, or, fused with its first compute
// (schedule_execute), when the decision's CPU, which the compute's burst pays first, is over.
void GoRun::execute(std::uint32_t mi, sim::Time at) {
  M& m = ms_[mi];
  Goroutine& g = core_.gt[m.curg];
  casgstatus(m.curg, GStatus::kRunnable, GStatus::kRunning);
  set_g_preempt(g, false);  // execute: gp.preempt = false
  if (!g_internal(g)) core_.stats.waited(g.cls, g.ready_at, at);
  if (g_reason(g) == WaitReason::kSleep && !g_internal(g)) {  // back from time.Sleep: lateness = start - requested wake time
    const sim::Time want = sleep_requested_[m.curg];
    if (want >= core_.sc.run.warmup) {
      sleep_lateness_.record(at - want);
      if (sleep_lateness_class_.empty()) sleep_lateness_class_.resize(core_.wl.classes.size());
      sleep_lateness_class_[g.cls].record(at - want);
    }
    set_reason(m.curg, WaitReason::kNone);
  }
  core_.engine.tracer().emit({core_.engine.now(), kTraceGoStart, m.curg, g.cls, ks_.cpu_of(mi)});
  continue_g(mi);
}

// Runs m.curg's program up to its next compute step, a park, or its exit.
void GoRun::continue_g(std::uint32_t mi) {
  const std::uint32_t gp = ms_[mi].curg;
  if (g_internal(core_.gt[gp])) {
    if (g_listener(core_.gt[gp])) listener_step(mi); else generator_step(mi);
    return;
  }
  if (g_role(core_.gt[gp]) == GRole::kConnection && !conns_[conn_of_g_[gp]].serving) {  // woken for a request
    connection_next(mi);
    return;
  }
  if (!resume_.empty() && gp < resume_.size() && resume_[gp] != 0) {  // preempted inside a compute step
    const sim::Time left = resume_[gp];
    resume_[gp] = 0;
    ms_[mi].numa_scale = 0;
    const MemorySpec* spec = numa_ && left > 0 ? numa_spec(gp) : nullptr;  // its rest costs what memory costs here
    start_compute(mi, left < 0 ? -left : spec != nullptr ? numa_compute(mi, *spec, left) : left, left < 0);
    return;
  }
  if (!spawn_resume_.empty() && gp < spawn_resume_.size() && spawn_resume_[gp] != 0) {  // preempted inside a spawn step
    const Program& prog = core_.wl.classes[core_.gt[gp].cls].program;
    ms_[mi].spawn_cls = static_cast<std::uint16_t>(prog.ops[core_.gt[gp].pc - 1].a);
    ms_[mi].spawn_left = spawn_resume_[gp];
    spawn_resume_[gp] = 0;
    newproc_begin(mi);
    return;
  }
  if (g_preempt(core_.gt[gp])) {  // a step boundary is a function call: a pending request is honoured here
    gopreempt_m(mi, 0, 0, false);
    return;
  }
  const std::uint16_t cls = core_.gt[gp].cls;
  sim::Time compute = 0;
  cur_m_ = mi;
  ms_[mi].numa_scale = 0;
  park_reason_ = WaitReason::kNone;
  const StepKind step = advance(core_.wl, core_.gt, gp, span_now(), core_.compute_rng[cls], compute, *this);
  M& m = ms_[mi];
  if (m.assist > 0 && step != StepKind::kCompute && step != StepKind::kTightCompute) {
    // A mark assist before a step that is not a compute is runtime work of that step (a compute's assist is
    // a burst of its own first: compute_after_assist). If it took the last of the mark's work, the mark ends.
    m.overhead += m.assist;
    m.assist = 0;
    if (gc_.pool_ns <= 0 && gc_.in_flight == 0 && gc_.phase == GcPhase::kMark) gc_.mark_done_requested = true;
  }
  switch (step) {
    case StepKind::kGosched:  // goschedImpl: Grunning -> Grunnable, global queue tail, (wakep), schedule
      casgstatus(gp, GStatus::kRunning, GStatus::kRunnable);
      core_.gt[gp].ready_at = core_.engine.now();
      globrunqput(globq_g(gp), gp);
      m.curg = kNoG;
      if (prm_.gosched_wakep) wakep(mi);
      schedule(mi, take_overhead(mi) + sched_lock(mi));
      return;
    case StepKind::kYield: {  // goyield_m: Grunning -> Grunnable, this P's local tail, schedule
      casgstatus(gp, GStatus::kRunning, GStatus::kRunnable);
      core_.gt[gp].ready_at = core_.engine.now();
      LocalRunq& q = ps_[m.p].runq;
      const std::uint32_t moved = q.full() ? runqputslow(q, globq(mi), gp) : (q.push_tail(gp), 0u);
      global_overflow_ += moved;
      m.curg = kNoG;
      schedule(mi, take_overhead(mi) + (moved > 0 ? sched_lock(mi) : 0));
      return;
    }
    case StepKind::kPark: gopark(mi, park_reason_); return;
    case StepKind::kSpawn: newproc_begin(mi); return;  // m.assist went to m.overhead above
    case StepKind::kCompute:
    case StepKind::kTightCompute:
      m.tight = step == StepKind::kTightCompute;
      if (numa_ && step == StepKind::kCompute) {
        if (const MemorySpec* spec = numa_spec(gp)) compute = numa_compute(mi, *spec, compute);
      }
      if (gc_.start_requested || gc_.mark_done_requested) {  // this G allocated past the trigger, or finished the mark
        m.pending_compute = compute;
        if (gc_poll(mi)) return;
      }
      if (m.overhead > 0 && m.assist == 0 && m.assist_debt == 0 && m.stall == 0) {
        // The runtime work of the steps before (malloc, a channel operation) and the compute as one burst,
        // the former accounted as runtime CPU (start_compute's prefix); with an assist or a fault's stall
        // in between, two. (A memory-bound compute's traffic then spans the runtime work too: ns of µs.)
        start_compute(mi, compute, m.tight, take_overhead(mi));
      } else if (m.overhead > 0) {
        m.pending_compute = compute;
        m.phase = Phase::kOverhead;
        ks_.run_for(mi, m.overhead, kSched);
        m.overhead = 0;
      } else {
        compute_after_assist(mi, compute, m.tight);
      }
      return;
    case StepKind::kSyscall:
      ++syscalls_;
      m.syscall_time = compute;
      m.phase = Phase::kEntersyscall;
      ks_.run_for(mi, take_overhead(mi) + prm_.syscall, kSched);
      return;
    case StepKind::kExit:
      if (g_role(core_.gt[gp]) == GRole::kConnection && connection_next(mi)) return;
      goexit0(mi);
      return;
    case StepKind::kRunaway:
      core_.runaway = gp;
      core_.engine.stop();
      return;
  }
}

// goexit0: the G is dead; the M pays for the exit and schedules again. gfput keeps its g and a standard
// stack for reuse; a grown stack is freed.
void GoRun::goexit0(std::uint32_t mi) {
  M& m = ms_[mi];
  const std::uint32_t gp = m.curg;
  Goroutine& g = core_.gt[gp];
  core_.stats.exited(g.cls, g.start, core_.engine.now());
  core_.engine.tracer().emit({core_.engine.now(), kTraceGoEnd, gp, g.cls, ks_.cpu_of(mi)});
  const std::uint32_t client = g.client;
  const std::uint16_t cls = g.cls;
  if (const std::uint32_t order = g_stack_order(g); order > 0) {
    extra_stack_bytes_ -= (prm_.mem_stack << order) - prm_.mem_stack;
  }
  gc_program_done(gp);
  if (gp < gc_.stack_depth.size() && gc_.stack_depth[gp] != 0) {
    gc_.depth_sum -= gc_.stack_depth[gp];
    --gc_.depth_count;
    gc_.stack_depth[gp] = 0;
  }
  release_locals(core_.wl, core_.gt, gp, [this](ObjKind k, std::uint32_t id) { core_.sync.release(k, id); });
  fd_exit(gp);  // a handler's connection closes (fd.cpp)
  casgstatus(gp, GStatus::kRunning, GStatus::kDead);
  touch_g_exit(gp);
  core_.gt.retire(gp);
  gfput(ps_[m.p].gfree, gfree_global_, gp);
  core_.stats.live_changed(core_.engine.now(), core_.gt.live());
  if (client != kNone32) core_.arrivals.next_submit(cls, client, core_.engine.now());
  m.curg = kNoG;
  if (m.lockedg == gp) {  // Go 1.10+: exiting while locked terminates the thread
    lockedm_[gp] = kNoG;
    m.lockedg = kNoG;
    mexit(mi);
    return;
  }
  schedule(mi, take_overhead(mi) + prm_.cost_goexit);
}

// The stack step: the goroutine's frames now need `depth` bytes. newstack doubles the stack until depth
// plus stackGuard fits and copies the used part each time (copystack).
void GoRun::on_stack(std::int64_t depth) {
  M& m = ms_[cur_m_];
  Goroutine& g = core_.gt[m.curg];
  // The depth stays until the next stack step: stack scanning reads it, and shrinks what it leaves unused.
  if (gc_.stack_depth.size() <= m.curg) gc_.stack_depth.resize(std::max<std::size_t>(core_.gt.capacity(), m.curg + 1), 0);
  std::int32_t& d = gc_.stack_depth[m.curg];
  if (d == 0) ++gc_.depth_count;
  gc_.depth_sum += depth - d;
  d = static_cast<std::int32_t>(depth);
  std::uint32_t order = g_stack_order(g);
  const std::uint32_t before = order;
  sim::Time cost = 0;
  while ((prm_.mem_stack << order) < depth + prm_.stack_guard) {
    const std::int64_t used = std::min<std::int64_t>(depth, prm_.mem_stack << order);
    cost += prm_.cost_newstack + static_cast<sim::Time>(prm_.stack_copy_rate * static_cast<double>(used));
    ++order;
    ++stack_growths_;
  }
  if (order == before) return;
  GMPSIM_REQUIRE(order < 32, "stack order overflow");
  set_stack_order(m.curg, order);
  m.overhead += cost;
  check_memory();
}

// ---- schedule, findRunnable, stealWork (proc.go, go1.26): steps as in the table at the top ----

// schedule: a locked M runs only its own G and waits for it (stoplockedm); any other M looks for work.
// `prior` is CPU work the M did just before (goexit0, gopark, newproc inside the G): it is paid in the
// same burst as the decision, which saves an event per scheduling. (An M that finds nothing parks at
// once and does not pay it.)
void GoRun::schedule(std::uint32_t mi, sim::Time prior) {
  runSafePointFn(mi);
  if (ms_[mi].lockedg != kNoG) {  // step 0
    stoplockedm(mi);
    return;
  }
  findRunnable(mi, prior);
}

// findRunnable, steps 1-6: what the M can take without stealing, then the decision to spin.
void GoRun::findRunnable(std::uint32_t mi, sim::Time prior) {
  M& m = ms_[mi];
  GMPSIM_CHECK(m.lockedg == kNoG, "findRunnable: a locked M looks for work");
  runSafePointFn(mi);
  // 1a: a stop-the-world is waiting for this P (gcstopm); a cycle to start or a mark to end (mgc.cpp).
  if (gc_.waiting) {
    gcstopm(mi);
    return;
  }
  if (gc_.start_requested || gc_.mark_done_requested) {
    m.overhead += prior;
    if (gc_poll(mi)) return;
    prior = take_overhead(mi);
  }
  P& pp = ps_[m.p];
  sim::Time cost = prm_.cost_schedule + prior;
  std::uint32_t gp = kNoG;
  bool inherit = false;
  // 1: run this P's expired timers; their Gs land in our runnext.
  if (!pp.timers.empty() && pp.timers.front().when <= core_.engine.now()) cost += prm_.cost_timer * check_timers(mi, m.p);
  // 1b: a dedicated or fractional mark worker comes before any goroutine (findRunnableGCWorker).
  if (gc_.phase == GcPhase::kMark && findRunnableGCWorker(mi, cost)) return;
  // 1c: the background scavenger, readied when its pacing sleep ended (a goroutine in the runtime, put in
  // runnext by the timer that readied it: it runs at this P's next scheduling point).
  if (gc_.scav_due <= core_.engine.now() && gc_bgscavenge(mi, cost)) return;
  // 2: every 61st schedtick, one G from the global queue first, for fairness.
  if (pp.schedtick % prm_.global_check == 0 && !globq_empty()) {
    gp = globrunqget(globq_take(mi));
    cost += sched_lock(mi);
    ++global_takes_;
  }
  // 3: the local queue, runnext first.
  if (gp == kNoG) {
    const RunqGet r = runqget(pp.runq);
    gp = r.g;
    inherit = r.inherit_time;
    if (inherit) ++runnext_hits_;
    if (gp != kNoG) cost += touch_runq(m.p, mi, inherit);
  }
  // 4: a batch from the global queue.
  if (gp == kNoG && !globq_empty()) {
    gp = globrunqgetbatch(globq_take(mi), pp.runq, prm_.runq_size / 2, prm_.gomaxprocs);
    cost += sched_lock(mi);
    if (pp.runq.size() > 0) cost += touch_runq(m.p, mi, false);  // the rest of the batch went to the ring
    ++global_takes_;
  }
  if (gp != kNoG) {
    schedule_execute(mi, gp, inherit, cost);
    return;
  }
  // 5: a non-blocking netpoll, when goroutines wait on the network and nobody is blocked polling.
  if (netpoll_nonblocking(mi, cost)) return;
  // 6: spin and steal, within the limit on spinning Ms.
  if (m.spinning || 2 * nmspinning_ < prm_.gomaxprocs - pidle_.size()) {
    if (!m.spinning) {
      m.spinning = true;
      ++nmspinning_;
      peak_spinning_ = std::max(peak_spinning_, nmspinning_);
    }
    m.steal_round = 0;
    stealWork(mi, cost);
    return;
  }
  findRunnable_idle(mi, cost - prm_.cost_schedule);
}

// The rest of proc.go schedule once findRunnable has a G: a spinning M stops spinning (resetspinning
// wakes another), a G locked to another M goes to that M (startlockedm), else the M pays for the
// decision and executes gp.
void GoRun::schedule_execute(std::uint32_t mi, std::uint32_t gp, bool inherit, sim::Time cost) {
  M& m = ms_[mi];
  if (m.spinning) resetspinning(mi);
  if (!lockedm_.empty() && gp < lockedm_.size() && lockedm_[gp] != kNoG && lockedm_[gp] != mi) {
    startlockedm(mi, gp, cost);
    return;
  }
  m.curg = gp;
  if (!inherit) ++ps_[m.p].schedtick;
  m.phase = Phase::kExecute;
  if (numa_) {  // its cache stayed on the CPU it last ran on
    const std::uint16_t last = gp < g_cpu_.size() ? g_cpu_[gp] : kNoCpu, here = static_cast<std::uint16_t>(ks_.cpu_of(mi));
    m.g_moved = last != kNoCpu && last != here;
    m.moved_from = last;
    if (m.g_moved && topo_.node_of(last) != topo_.node_of(here)) ++numa_cross_executes_;
  }
  cost += touch_g(gp, mi, prm_.lines_execute);  // created or last run on another CPU
  if (fuse_execute(mi)) {
    // The decision's CPU is the first part of the G's first compute burst (start_compute's runtime prefix):
    // one event instead of two. The G is _Grunning from the decision on; its wait ends, as measured, when
    // the decision's CPU is over.
    m.overhead += cost;
    m.exec_at = core_.engine.now() + cost;
    execute(mi, m.exec_at);
    return;
  }
  ks_.run_for(mi, cost, kSched);
}

// Whether execute can run now, its cost paid as the runtime prefix of the G's next compute: a user
// goroutine (or a connection's, woken with a request queued) whose program is at a compute step, or at
// allocations and span boundaries and then a compute (their malloc is runtime work of that compute's burst
// too); not resuming a preempted compute or spawn, with no preemption request, GC start or mark end pending,
// no assist or fault stall owed. Nothing else the program does (a wake-up, a send) can then move earlier; a
// span's clock reads the instant the decision's CPU ends (span_now), as it would after an execute burst; an
// allocation's effect on the heap, a span's release of what it allocated, and a memory-bound compute's share
// of the bandwidth come the decision's CPU (~100 ns) early.
bool GoRun::fuse_execute(std::uint32_t mi) const {
  if (!prm_.fuse_execute) return false;
  const M& m = ms_[mi];
  const std::uint32_t gp = m.curg;
  const Goroutine& g = core_.gt[gp];
  if (g_internal(g) || g_preempt(g)) return false;
  std::uint32_t pc = g.pc;
  if (g_role(g) == GRole::kConnection && !conns_[conn_of_g_[gp]].serving) {  // connection_next starts a request
    if (conns_[conn_of_g_[gp]].requests.empty()) return false;
    pc = 0;
  }
  if ((gp < resume_.size() && resume_[gp] != 0) || (gp < spawn_resume_.size() && spawn_resume_[gp] != 0)) return false;
  if (gc_.start_requested || gc_.mark_done_requested || m.assist > 0 || m.assist_debt > 0 || m.stall > 0) return false;
  const std::vector<Op>& ops = core_.wl.classes[g.cls].program.ops;
  while (ops[pc].code == OpCode::kAlloc || ops[pc].code == OpCode::kSpanBegin || ops[pc].code == OpCode::kSpanEnd) ++pc;  // a program ends in kExit
  return ops[pc].code == OpCode::kCompute;
}

// stealWork, step 7: a round looks at every P once, from a random start along a random coprime stride
// (stealOrder.start(cheaprand())); its CPU cost is paid first and stealWork_scan then runs the round at
// once.
void GoRun::steal_draw(std::uint32_t mi) {
  M& m = ms_[mi];
  const auto r = static_cast<std::uint32_t>(steal_rng_.next_u64() >> 32);  // cheaprand
  m.steal_pos = r % prm_.gomaxprocs;
  m.steal_inc = coprimes_[(r / prm_.gomaxprocs) % coprimes_.size()];
  m.steal_seen = 0;
  m.steal_pass = 0;
}

void GoRun::stealWork(std::uint32_t mi, sim::Time extra) {
  M& m = ms_[mi];
  if (m.steal_round == 0 && steal_fuse(mi, extra)) return;
  steal_draw(mi);
  m.phase = Phase::kStealWork;
  ++steal_rounds_;
  ks_.run_for(mi, extra + prm_.cost_steal * (prm_.gomaxprocs - 1), kSpin);
}

// Rounds before the last read only the other Ps' rings (the last also reads their timers and runnext).
// While no other ring holds a G, the rounds to come can only find something if a G is queued meanwhile:
// from round m.steal_round on they run as one burst (with `extra`, the CPU before the first of them),
// ending in the last round's scan, and any event that queues a G, sets a runnext or stops the world
// (steal_epoch_) cuts them back to round-by-round bursts from the round in progress (steal_unfuse), so
// each scan that could see a change still happens when the runtime's would. What it saves: an event per
// empty round, most of a spinning M's events on many Ps. A cut costs about what fusing saved, so where
// most fused rounds are cut (a spawn storm refills a queue every few hundred ns) it stops fusing:
// fuse_credit_ gains 1 per fused run that ends uncut and loses 1 per cut, and below zero only one spin in
// 32 tries it.
// Not with runtime.numa.steal=node_first (its rounds have two passes).
bool GoRun::steal_fuse(std::uint32_t mi, sim::Time extra) {
  M& m = ms_[mi];
  if (!prm_.fuse_steal || prm_.steal_tries < 2 || (prm_.steal_node_first && !topo_.single())) return false;
  if (fuse_credit_ < 0 && (++fuse_probe_ & 31) != 0) return false;
  const std::uint64_t own = std::uint64_t{1} << (m.p & 63);
  for (std::size_t w = 0; w < runq_mask_.size(); ++w) {
    if ((w == (m.p >> 6) ? runq_mask_[w] & ~own : runq_mask_[w]) != 0) return false;
  }
  const std::uint32_t rounds = prm_.steal_tries - m.steal_round;
  m.steal_fuse_from = static_cast<std::uint8_t>(m.steal_round);
  m.steal_fuse_extra = extra;
  m.steal_round = prm_.steal_tries - 1;
  steal_draw(mi);  // the last round's walk
  steal_rounds_ += rounds;
  m.steal_fused = true;
  if (fused_.empty()) fused_epoch_ = steal_epoch_;
  fused_.push_back(mi);
  m.phase = Phase::kStealWork;
  ks_.run_for(mi, extra + static_cast<sim::Time>(rounds) * prm_.cost_steal * (prm_.gomaxprocs - 1), kSpin);
  return true;
}

void GoRun::steal_unfuse() {
  const sim::Time round = prm_.cost_steal * (prm_.gomaxprocs - 1);
  fuse_credit_ = std::max<std::int32_t>(-kFuseCreditMax, fuse_credit_ - static_cast<std::int32_t>(fused_.size()));
  for (const std::uint32_t mi : fused_) {
    M& m = ms_[mi];
    m.steal_fused = false;
    const std::uint32_t rounds = prm_.steal_tries - m.steal_fuse_from;
    const sim::Time total = m.steal_fuse_extra + static_cast<sim::Time>(rounds) * round;
    const sim::Time done = total - ks_.interrupt(mi);
    const sim::Time into = std::max<sim::Time>(0, done - m.steal_fuse_extra);
    // Rounds done (their scans read rings that held nothing), and the one in progress.
    const std::uint32_t k = round > 0 ? std::min<std::uint32_t>(static_cast<std::uint32_t>(into / round), rounds - 1) : rounds - 1;
    m.steal_round = m.steal_fuse_from + k;
    steal_rounds_ -= rounds - (k + 1);
    if (m.steal_round + 1 < prm_.steal_tries) steal_draw(mi);
    m.phase = Phase::kStealWork;
    ks_.run_for(mi, m.steal_fuse_extra + static_cast<sim::Time>(k + 1) * round - done, kSpin);
  }
  fused_.clear();
  fused_epoch_ = steal_epoch_;
}

// stealWork's round after its burst: steps 7-10.
void GoRun::stealWork_scan(std::uint32_t mi) {
  M& m = ms_[mi];
  if (m.steal_fused) {  // the fused rounds ran to the end: this is the last round's scan
    m.steal_fused = false;
    fuse_credit_ = std::min(kFuseCreditMax, fuse_credit_ + 1);
    fused_.erase(std::find(fused_.begin(), fused_.end(), mi));
  }
  if (gc_.waiting) {  // stealWork: sched.gcwaiting -> back to the top (gcstopm)
    findRunnable(mi);
    return;
  }
  const bool last = m.steal_round + 1 == prm_.steal_tries;
  bool ran_timer = false;
  const bool node_first = prm_.steal_node_first && !topo_.single();
  const std::uint16_t here = node_first ? node_of_m(mi) : 0;
  // The walk visits every P, but a P can only matter if it has a G in its ring, or, in the last round,
  // timers or a runnext: the others are passed over from the masks without reading them (the walk's
  // order, hence which victim is found first, is the runtime's). Nothing done inside the walk changes
  // another P's bits (timers run here ready Gs into our own P), so the masks are read as the walk goes.
  const std::uint32_t n = prm_.gomaxprocs;
  const auto candidate = [&](std::uint32_t p) {
    const std::uint64_t w = runq_mask_[p >> 6] | (last ? timer_mask_[p >> 6] | runnext_mask_[p >> 6] : 0);
    return ((w >> (p & 63)) & 1) != 0;
  };
  const auto none = [&] {  // no P but ours can matter: the round would look at each and find nothing
    for (std::size_t w = 0; w < runq_mask_.size(); ++w) {
      std::uint64_t bits = runq_mask_[w] | (last ? timer_mask_[w] | runnext_mask_[w] : 0);
      if (w == (m.p >> 6)) bits &= ~(std::uint64_t{1} << (m.p & 63));
      if (bits != 0) return false;
    }
    return true;
  };
scan:
  if (m.steal_seen < n && none()) {  // the rest of the walk finds nothing: where it would end
    m.steal_pos = static_cast<std::uint32_t>((m.steal_pos + std::uint64_t{n - m.steal_seen} * m.steal_inc) % n);
    m.steal_seen = n;
  }
  for (; m.steal_seen < n; ++m.steal_seen, m.steal_pos = m.steal_pos + m.steal_inc >= n ? m.steal_pos + m.steal_inc - n : m.steal_pos + m.steal_inc) {
    const std::uint32_t p2 = m.steal_pos;
    if (p2 == m.p || !candidate(p2)) continue;
    // The what-if of Vyukov's NUMA-aware design: the Ps run on this node first, the same walk again for the rest.
    if (node_first && (node_of_p(p2) == here) == (m.steal_pass == 1)) continue;
    // 8: last round: run the victim's expired timers here; the Gs they ready land in our queue.
    if (last && !ps_[p2].timers.empty() && ps_[p2].timers.front().when <= core_.engine.now()) {
      const std::uint32_t ran = check_timers(mi, p2);
      timers_stolen_ += ran;
      const RunqGet r = runqget(ps_[m.p].runq);
      if (r.g != kNoG) {
        schedule_execute(mi, r.g, false, prm_.cost_schedule + prm_.cost_timer * ran + touch_runq(m.p, mi, r.inherit_time));
        return;
      }
      ran_timer = true;
    }
    // 7: half of a running victim's queue.
    if (ps_[p2].status == PStatus::kIdle) continue;
    std::uint32_t taken = 0;
    const std::uint32_t gp = ps_[p2].runq.size() == 0 ? kNoG : runqsteal(ps_[m.p].runq, ps_[p2].runq, &taken);
    if (gp != kNoG) {
      trace(kTraceSteal, mi, p2, gp);
      ++steals_;
      if (numa_ && node_of_p(p2) != node_of_m(mi)) ++numa_cross_steals_;
      stolen_gs_ += taken;
      steal_line(p2, mi, false);  // runqgrab's CAS on the victim's runqhead
      // All but the last stolen G went to this P's ring (runqsteal's store to runqtail).
      schedule_execute(mi, gp, false, prm_.cost_schedule + (taken > 1 ? touch_runq(m.p, mi, false) : 0));
      return;
    }
    // 9: last round: a running victim's runnext, after backing off so its owner can run it first.
    if (last && ps_[p2].runq.runnext != kNoG && ps_[p2].status == PStatus::kRunning) {
      m.backoff_victim = p2;
      m.phase = Phase::kStealWorkBackoff;
      ks_.sleep(mi, prm_.runnext_backoff + prm_.timer_slack);
      return;
    }
  }
  if (node_first && m.steal_pass == 0) {
    m.steal_pass = 1;
    m.steal_seen = 0;
    goto scan;
  }
  if (++m.steal_round < prm_.steal_tries) {
    if (m.steal_round == 1 && steal_fuse(mi, 0)) return;
    stealWork(mi, 0);
    return;
  }
  if (ran_timer) {  // 10: newWork: goto top
    m.phase = Phase::kFindRunnable;
    ks_.run_for(mi, prm_.cost_schedule, kSpin);
    return;
  }
  findRunnable_idle(mi, 0);
}

// Step 9 after runqgrab's usleep(3): the victim's runnext if its owner has not run it.
void GoRun::stealWork_backoff(std::uint32_t mi) {
  M& m = ms_[mi];
  if (gc_.waiting) {
    findRunnable(mi);
    return;
  }
  P& victim = ps_[m.backoff_victim];
  if (victim.runq.runnext != kNoG) {
    const std::uint32_t gp = runqsteal_runnext(victim.runq);
    steal_line(m.backoff_victim, mi, true);  // runqgrab's CAS on the victim's runnext
    trace(kTraceSteal, mi, m.backoff_victim, gp);
    ++steals_;
    ++stolen_gs_;
    ++runnext_steals_;
    schedule_execute(mi, gp, false, prm_.cost_schedule);
    return;
  }
  // The owner ran it: go on with the rest of the round.
  ++m.steal_seen;
  m.steal_pos = (m.steal_pos + m.steal_inc) % prm_.gomaxprocs;
  m.phase = Phase::kStealWork;
  ks_.run_for(mi, prm_.cost_steal, kSpin);
}

// findRunnable steps 11-15, with nothing found: last look at the global queue, release the P, the
// spinning recheck, the blocking netpoll, stopm. `carried`: CPU work done before this pass that is not
// yet paid (timers the pass ran, runtime work carried in such as a wake's IPI); the failing pass's own
// decision is not charged, but that work is: with what runs next, or before the M next runs a G.
void GoRun::findRunnable_idle(std::uint32_t mi, sim::Time carried) {
  M& m = ms_[mi];
  if (gc_idle_worker(mi, carried)) return;  // idle-time marking rather than giving up the P
  if (gc_bgsweep(mi, carried)) return;      // the background sweeper, on a P with nothing else to do
  if (!globq_empty()) {  // 11, under sched.lock
    const std::uint32_t gp = globrunqgetbatch(globq_take(mi), ps_[m.p].runq, prm_.runq_size / 2, prm_.gomaxprocs);
    ++global_takes_;
    schedule_execute(mi, gp, false, carried + sched_lock(mi));
    return;
  }
  const std::uint32_t pp = releasep(mi);  // 12
  sched_lock(mi);  // the M parks right after: it holds the lock but pays no further CPU
  pidleput(pp, mi);
  const bool was_spinning = m.spinning;
  if (m.spinning) {  // 13: the "delicate dance": stop spinning, then look once more
    m.spinning = false;
    --nmspinning_;
    bool work = prm_.recheck_after_spinning && !globq_empty();
    for (std::size_t w = 0; !work && w < runq_mask_.size(); ++w) {  // checkRunqsNoP, over the Ps with a G queued
      for (std::uint64_t bits = runq_mask_[w] | runnext_mask_[w]; !work && bits != 0; bits &= bits - 1) {
        work = ps_[w * 64 + static_cast<std::uint32_t>(__builtin_ctzll(bits))].status != PStatus::kIdle;
      }
    }
    if (work && !pidle_.empty()) {
      acquirep(mi, pidleget());
      m.spinning = true;
      ++nmspinning_;
      m.phase = Phase::kFindRunnable;
      ks_.run_for(mi, prm_.cost_schedule + carried, kSpin);
      return;
    }
  }
  m.overhead += carried;  // the M parks at once: paid when it next runs (netpoll's return, or its next G step)
  // 14: with goroutines on the network or timers pending, one M blocks in netpoll until the earliest.
  m.was_spinning = was_spinning;
  if (netpoll_block(mi, earliest_timer())) return;
  stopm(mi);  // 15
}

// ---- sched.lock ----
// A lock held for runtime.cost.global_runq per operation (global queue, idle P list). An M that finds
// it held waits, spinning as lock2 does first, until it is free; the wait and the hold are CPU time of
// the M's current operation. Operations are granted in the order the Ms reach them, so contention grows
// with the number of Ps that touch the global state at once.
// `who` is the M (kNoG outside any M): an M's back-to-back operations at one instant queue behind its
// own previous hold, which it has already paid for, so that part is not counted again as waiting.
sim::Time GoRun::sched_lock(std::uint32_t who) {
  const sim::Time now = core_.engine.now();
  const sim::Time start = std::max(now, lock_free_at_);
  const sim::Time wait = who != kNoG && who == lock_owner_ ? 0 : start - now;
  lock_free_at_ = start + prm_.cost_global;
  lock_owner_ = who;
  lock_wait_ += wait;
  ++lock_acquires_;
  return wait + prm_.cost_global;
}

// ---- Ms and Ps ----
std::uint32_t GoRun::newm() {
  if (ms_.size() == prm_.max_threads) {  // checkmcount: "thread exhaustion" (a fatal error in Go)
    threads_exhausted_ = true;
    core_.engine.stop();
    return kNoG;
  }
  const std::uint32_t tid = ks_.create_thread();
  if (numa_preferred_ != kernel::kNoNode16) ks_.set_preferred_node(tid, numa_preferred_);  // inherits the group's
  GMPSIM_REQUIRE(tid == ms_.size(), "newm: thread and M ids diverged");
  ms_.emplace_back();
  // With cgo the thread comes from pthread_create: an 8 MiB stack mapping made writable (committed) and
  // its guard page, two mappings (glibc allocate_stack). Without, clone with a g0 stack from the heap.
  if (prm_.cgo && !mm_.map(0, kPthreadStack, 2)) {
    pthread_failed_ = true;  // pthread_create: EAGAIN, 20 tries (runtime/cgo gcc_libinit.c _cgo_try_pthread_create), then fatalf (gcc_linux.c)
    mm_failed();
  }
  check_memory();
  return tid;
}

// stopm: the M joins the idle list and its thread sleeps on its note (futex wait).
void GoRun::stopm(std::uint32_t mi) {
  GMPSIM_CHECK(ms_[mi].p == kNoG && ms_[mi].curg == kNoG, "stopm: M holds a P or a G");
  midle_.push_back(mi);
  ks_.block(mi);
}

// startm: an idle M (LIFO) or a new thread gets P pp (an idle P when pp is kNoG).
void GoRun::startm(std::uint32_t pp, bool spinning, std::uint32_t who) {
  if (pp == kNoG) {
    if (pidle_.empty()) return;
    pp = pidleget();
  }
  std::uint32_t mi;
  sim::Time extra = 0;
  if (!midle_.empty()) {
    mi = midle_.back();
    midle_.pop_back();
  } else {
    mi = newm();
    extra = prm_.thread_create;
    if (mi == kNoG) {  // thread exhaustion: the run ends after this event (the P, perhaps with work, is left aside)
      if (spinning) --nmspinning_;
      return;
    }
  }
  M& m = ms_[mi];
  m.nextp = pp;
  m.spinning = spinning;
  m.phase = Phase::kStart;
  // notewakeup(&mp.park): the waker's FUTEX_WAKE is kernel.syscall (wakep adds it), plus the IPI when the
  // thread goes to an idle CPU.
  wake_thread(mi, extra, who);
}

// wakep: at most one spinning M is woken at a time. Waking a parked M is a futex syscall of the waker.
void GoRun::wakep(std::uint32_t who) {
  if (nmspinning_ != 0 || pidle_.empty()) return;
  sched_lock(who);  // pidlegetSpinning; its CPU is part of the calling operation's cost
  if (who != kNoG && !midle_.empty()) ms_[who].overhead += prm_.syscall;
  ++nmspinning_;
  peak_spinning_ = std::max(peak_spinning_, nmspinning_);
  startm(pidleget(), true, who);
}

void GoRun::resetspinning(std::uint32_t mi) {
  ms_[mi].spinning = false;
  GMPSIM_CHECK(nmspinning_ > 0, "resetspinning: negative nmspinning");
  --nmspinning_;
  wakep(mi);
}

void GoRun::acquirep(std::uint32_t mi, std::uint32_t p) {
  GMPSIM_CHECK(ps_[p].m == kNoG && ps_[p].status == PStatus::kIdle, "acquirep: P is in use");
  ps_[p].m = mi;
  ps_[p].status = PStatus::kRunning;
  ms_[mi].p = p;
  if (prm_.p_affinity && numa_) numa_acquirep(mi, p);
}
std::uint32_t GoRun::releasep(std::uint32_t mi) {
  const std::uint32_t p = ms_[mi].p;
  ps_[p].m = kNoG;
  ps_[p].status = PStatus::kIdle;
  ms_[mi].p = kNoG;
  return p;
}
void GoRun::pidleput(std::uint32_t p, std::uint32_t who) {
  GMPSIM_CHECK(ps_[p].runq.empty(), "pidleput: P has non-empty run queue");
  if (gc_.ragged) runSafePointFn_slow(p, who);
  ps_[p].idle_since = core_.engine.now();
  ps_[p].on_idle_list = true;
  pidle_.push_back(p);
}
std::uint32_t GoRun::pidleget() {
  const std::uint32_t p = pidle_.back();
  pidle_.pop_back();
  gc_.cum_idle += core_.engine.now() - ps_[p].idle_since;
  pidle_left(p);
  return p;
}
void GoRun::pidle_left(std::uint32_t p) {
  ps_[p].idle_total += core_.engine.now() - ps_[p].idle_since;
  ps_[p].on_idle_list = false;
}

// injectglist: Gs made runnable together (netpoll results). With a P, one per idle P goes to the global
// queue and an M is started for each; the rest go to this P's local queue, then wakep. Without a P (mi
// is kNoG or holds none) all go to the global queue and idle Ps are started.
void GoRun::injectglist(std::uint32_t mi, std::vector<std::uint32_t>& gs) {
  if (gs.empty()) return;
  for (std::uint32_t g : gs) {
    record_unpark(g);
    casgstatus(g, GStatus::kWaiting, GStatus::kRunnable);
    core_.gt[g].ready_at = core_.engine.now();
    core_.engine.tracer().emit({core_.engine.now(), kTraceGoUnpark, g, core_.gt[g].cls, 0});
  }
  if (mi == kNoG || ms_[mi].p == kNoG) {
    for (std::uint32_t g : gs) globrunqput(globq_g(g), g);
    sched_lock(mi);
    startIdle(gs.size());
    gs.clear();
    return;
  }
  const std::size_t n = std::min(pidle_.size(), gs.size());
  if (n > 0) {
    for (std::size_t i = 0; i < n; ++i) globrunqput(globq_g(gs[i]), gs[i]);
    ms_[mi].overhead += sched_lock(mi);
    startIdle(n, mi);
  }
  LocalRunq& q = ps_[ms_[mi].p].runq;
  for (std::size_t i = n; i < gs.size(); ++i) {
    if (!gq_.empty() && &globq_g(gs[i]) != &globq(mi)) {  // per-node queues: a G of another node goes home
      globrunqput(globq_g(gs[i]), gs[i]);
      ++numa_gq_routed_;
    } else if (q.full()) {
      global_overflow_ += runqputslow(q, globq(mi), gs[i]);
    } else {
      q.push_tail(gs[i]);
    }
  }
  gs.clear();
  wakep(mi);
}

RunResult GoModel::run(const Scenario& scenario, const RunOptions& options) {
  auto r = std::make_unique<GoRun>(scenario);
  return r->run(options);
}

}  // namespace gmpsim::models::go
