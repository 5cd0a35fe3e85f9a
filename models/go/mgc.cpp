// The garbage collector in the `go` model: mgc.go (gcStart, gcMarkDone, gcMarkTermination), proc.go's
// stopTheWorldWithSema / startTheWorldWithSema / gcstopm, mgcpacer.go's findRunnableGCWorker and
// revise, mgcmark.go's gcDrain and gcAssistAlloc, mgcsweep.go's proportional sweep, and the scavenger's
// retained-heap target (mgcscavenge.go), pinned to go1.26.8 with go1.19.8's differences as parameters.
// The pacer's arithmetic is in pacer.cpp.
//
// What is modelled.
//   - The heap: alloc steps add to heapLive; what the program can reach is tracked by lifetime (until the
//     goroutine exits or the enclosing span ends, for ever, for a sampled time), plus workload.heap.live from
//     the start. A cycle marks what was reachable when it started plus everything allocated during the mark
//     (allocate-black), so garbage made during a cycle survives to the next one, as in Go.
//   - Triggering: heapLive reaching the pacer's trigger (tested on every allocation, as mallocgc does),
//     runtime.GC() (a `gc` step), and sysmon's forcegc after runtime.forcegc_period without a cycle.
//   - Stop-the-world twice per cycle, as stopTheWorldWithSema does it: the stopping M takes its own P, the
//     Ps of Ms in syscalls and the idle Ps, and preempts the running ones (preemptall: the cooperative flag
//     and SIGURG), re-preempting every 100 us until each running M reaches a scheduling point and stops
//     (gcstopm). A goroutine in a tight loop with asyncpreemptoff holds the whole program. Time to safe
//     point and the pause are outputs.
//   - Mark work as a pool of CPU time: heap (marked bytes x workload.heap.scan_fraction) and globals at
//     runtime.cost.gc_scan_kib, stacks (the in-use part of every live goroutine's stack) at
//     gc_scan_stack_kib, a root cost for every goroutine ever created (allgs: dead ones too), a mark per
//     reachable object, and the cycle's fixed root work (gc_mark_roots); each measured as mark CPU.
//     Workers take it in quanta: dedicated workers (startCycle's rounding), a fractional worker within
//     1.2x its goal, idle-priority workers on Ps with nothing else to do (capped at GOMAXPROCS minus the
//     dedicated ones from go1.20), all chosen in findRunnable before any goroutine.
//     Allocating goroutines pay assists (revise's assistWorkPerByte) after stealing background credit.
//   - Stack scanning stops running goroutines (markroot -> suspendG): the root jobs come first, one per G
//     of allgs; a goroutine running when its job is taken is asked to stop (preemptStop: the cooperative
//     flag and SIGURG), the worker spins until it does (a tight loop without async preemption holds the
//     mark until it ends), and resumeG readies it in the worker's P's runnext, where it waits to be stolen
//     (a dedicated worker does not schedule until the mark ends).
//   - Stacks: scanning shrinks a stack whose frames use less than a quarter of it (shrinkstack), and each
//     cycle sets the starting stack of recycled goroutines from the average scanned stack
//     (gcComputeStartingStackSize); a goroutine's depth is what its last `stack` step declared.
//   - Sweeping: the background sweeper on idle Ps, allocations in proportion to the heap they take
//     (deductSweepCredit), and what is left by the next gcStart (finishsweep). The GC CPU limiter turns
//     assists off past ~50 % GC CPU. The background scavenger returns the free heap above its retained
//     target (set at each cycle's end) at 1 % of one CPU, 64 KiB at a time (gc_bgscavenge).
//
// What is abstracted, and why.
//   - No object graph: mark work is proportional to reachable bytes, which is what the pacer measures too.
//   - Stack jobs (markroot, after the fixed roots) are spread evenly along allgs: job i starts once the
//     pool has given cost_mark_roots + i x (the mean per-G root and stack cost); stacks of different
//     sizes are not placed individually. An assist that reaches a running goroutine's stack job asks it to
//     stop and resumes it on its own P, but does not spin until it stops as the runtime's does.
//   - Mark workers are not goroutines in the run queues but a state of the M that runs them (they are never
//     queued in the runtime either: findRunnableGCWorker hands them straight to the P); a dedicated worker
//     is not preemptible, as the runtime's is not after its first preemption.
//   - Assists do not park on the assist queue: when the pool is empty the mark is about to end. An assist
//     is a burst before the goroutine's next compute, counted in the mark like a worker, not preemptible.
//   - gcMarkDone's forEachP is modelled (every P not idle or in a syscall passes a scheduling point before
//     the mark-termination stop-the-world); Ps in syscalls get the function from the caller, not a handoff.
//   - The background sweeper runs on Ps with nothing else to do (it is a goroutine that yields whenever no
//     P is idle). The scavenger runs at a P's scheduling point once its pacing sleep has ended; the
//     allocator's synchronous scavenging under a memory limit (mheap.allocSpan) has no place here, since
//     the heap grows only when no free page is retained. Finalizers are not modelled.
// Rejected: a fixed GC cost per allocated byte (no pauses, no worker placement, nothing for the pacer to
// steer); mark workers as goroutines on the run queues (they would wait behind user goroutines, the
// opposite of findRunnable's order).
#include <algorithm>

#include "models/go/gorun.h"
#include "models/input/units.h"

namespace gmpsim::models::go {

namespace {
constexpr sim::Time kStwRetry = 100'000;   // stopTheWorldWithSema: notetsleep(&sched.stopnote, 100*1000)
constexpr std::int64_t kSpanBytes = 8192;  // mheap.go pageSize: a span's unit, what sweeping visits
constexpr double kRetainExtra = 1.10;      // mgcscavenge.go retainExtraPercent = 10
constexpr double kReduceExtra = 0.95;      // mgcscavenge.go reduceExtraPercent = 5 (memory-limit goal)
constexpr sim::Time kLimiterPeriod = 10'000'000;  // mgclimit.go gcCPULimiterUpdatePeriod
// suspendG's wait is a busy loop (procyield, osyield every yieldDelay/2 = 5 us) that ends when the goroutine
// stops; the model ends it then (suspend_resolve) and otherwise re-arms it at this simulation granularity.
constexpr sim::Time kSuspendSpin = 1'000'000;
}  // namespace

// ---- allocation (malloc.go mallocgc) ----

void GoRun::on_alloc(std::int64_t bytes, const AllocSpec& spec, sim::Time lifetime) {
  core_.allocated_bytes += bytes;
  M& m = ms_[cur_m_];
  const std::uint32_t g = m.curg;
  Gc& gc = gc_;
  // Heap memory never used before is known to be zero (mheap.go allocNeedsZero: above the arena's
  // zeroedBase), so the part of this allocation that extends the heap's high-water mark needs no memclr;
  // the kernel zeroed it in the fault, paid below.
  const std::int64_t fresh = std::clamp<std::int64_t>(gc.heap_live + bytes - gc.heap_sys, 0, bytes);
  sim::Time cost = prm_.cost_malloc * spec.objects + static_cast<sim::Time>(prm_.malloc_ns_per_byte * static_cast<double>(bytes - fresh));
  // Proportional sweep: spans are swept before their memory is reused.
  if (gc.sweep_left > 0) {
    const sim::Time s = std::min(gc.sweep_left, static_cast<sim::Time>(gc.sweep_ns_per_byte * static_cast<double>(bytes)) + 1);
    gc.sweep_left -= s;
    cost += s;
  }
  gc.heap_live += bytes;
  gc.reachable += bytes;
  gc.reachable_objects += spec.objects;
  switch (spec.lives) {
    case AllocSpec::Lives::kExit:
      if (gc.g_bytes.size() <= g) gc.g_bytes.resize(std::max<std::size_t>(core_.gt.capacity(), g + 1));
      gc.g_bytes[g].bytes += bytes;
      gc.g_bytes[g].objects += spec.objects;
      break;
    case AllocSpec::Lives::kForever: break;
    case AllocSpec::Lives::kSpan: gc_span_alloc(g, spec.span_slot, bytes, spec.objects); break;
    case AllocSpec::Lives::kFor:
      gc.timed.push_back({core_.engine.now() + lifetime, bytes, spec.objects});
      std::push_heap(gc.timed.begin(), gc.timed.end(), std::greater<>());
      break;
  }
  // New pages: first touch faults them in, a page at a time (not once per allocation past the old end),
  // or a huge page at a time (the kernel's THP; models/kernel/mm.h).
  if (gc.heap_live > gc.heap_rss) {
    const auto pages = [](std::int64_t b) { return (b + kPageBytes - 1) / kPageBytes; };
    cost += mm_fault(cur_m_, pages(gc.heap_live) - pages(gc.heap_rss));
    gc.heap_rss = gc.heap_live;
    if (gc.heap_rss > gc.heap_sys) gc.heap_sys = gc.heap_rss;
    if (gc.heap_live > gc.heap_peak) gc.heap_peak = gc.heap_live;
    check_memory();
  }
  if (gc.phase == GcPhase::kMark) {
    gc.alloc_black += bytes;
    m.assist += gcAssistAlloc(bytes);
  }
  m.overhead += cost;
  // gcTrigger{kind: gcTriggerHeap}.test()
  if (gc.phase == GcPhase::kOff && gc.enabled && gc.heap_live >= gc.trigger) {
    gc_update_trigger();
    if (gc.heap_live >= gc.trigger) gc.start_requested = true;
  }
}

void GoRun::gc_span_alloc(std::uint32_t g, std::uint32_t slot, std::int64_t bytes, std::int64_t objects) {
  Gc& gc = gc_;
  if (gc.span_head.size() <= g) gc.span_head.resize(std::max<std::size_t>(core_.gt.capacity(), g + 1), kNone32);
  std::uint32_t top = gc.span_head[g];
  if (top == kNone32 || gc.span_pool[top].slot != slot) {  // the first allocation of this span level
    std::uint32_t e = gc.span_free;
    if (e != kNone32) {
      gc.span_free = gc.span_pool[e].next;
    } else {
      e = static_cast<std::uint32_t>(gc.span_pool.size());
      gc.span_pool.emplace_back();
    }
    gc.span_pool[e] = {{}, slot, top};
    gc.span_head[g] = top = e;
  }
  gc.span_pool[top].reach.bytes += bytes;
  gc.span_pool[top].reach.objects += objects;
}

void GoRun::gc_span_free(std::uint32_t g, std::uint32_t slot) {
  Gc& gc = gc_;
  std::uint32_t top = gc.span_head[g];
  while (top != kNone32 && gc.span_pool[top].slot >= slot) {
    Gc::SpanReach& e = gc.span_pool[top];
    gc.reachable -= e.reach.bytes;
    gc.reachable_objects -= e.reach.objects;
    const std::uint32_t next = e.next;
    e.next = gc.span_free;
    gc.span_free = top;
    top = next;
  }
  gc.span_head[g] = top;
}

// gcAssistAlloc: the allocating goroutine owes scan work for what it allocated during the mark; it first
// steals background workers' credit, then scans itself (at least gcOverAssistWork), the surplus going
// back to the credit pool. Returns the CPU it spends.
sim::Time GoRun::gcAssistAlloc(std::int64_t bytes) {
  Gc& gc = gc_;
  if (core_.engine.now() - gc.limiter_last >= kLimiterPeriod) gc_limiter_update();  // gcCPULimiter.needUpdate
  if (gc.limiter.limiting()) return 0;
  const double per_byte = gc.pacer.assist_work_per_byte(gc.heap_live, static_cast<std::int64_t>(gc.units_done),
                                                        static_cast<std::int64_t>(gc.units_total), gc_non_heap());
  double debt = per_byte * static_cast<double>(bytes) * gc.ns_per_unit;
  const double stolen = std::min(debt, gc.bg_credit_ns);
  gc.bg_credit_ns -= stolen;
  debt -= stolen;
  if (debt <= 0) return 0;
  // What no work is left for (the rest of the mark is in the workers' hands) is owed still: the goroutine
  // parks after its assist until background work pays it off (gcParkAssist) or the mark ends.
  const double pool = std::max(0.0, gc.pool_ns);
  if (pool < debt) ms_[cur_m_].assist_debt += debt - pool;
  if (pool <= 0) return 0;
  // gcDrainN stops when the limiter turns on, which it can only do at its next update: an assist runs at
  // most until then (the debt beyond is not carried over: no per-goroutine gcAssistBytes).
  const double until_update = static_cast<double>(std::max<sim::Time>(1000, kLimiterPeriod - (core_.engine.now() - gc.limiter_last)));
  const double work = std::min({std::max(debt, static_cast<double>(kGcOverAssistWork) * gc.ns_per_unit), pool, until_update});
  gc.pool_ns -= work;
  gc_scan_stacks(cur_m_, gc.pool_total_ns - gc.pool_ns, false);
  gc.bg_credit_ns += std::max(0.0, work - debt);
  if (gc.ns_per_unit > 0) gc.units_done += work / gc.ns_per_unit;
  const auto t = static_cast<sim::Time>(work);
  gc.assist_time += t;
  gc.cum_assist += t;
  ++gc.assists;
  return t;
}

// The goroutine's compute, after the mark assist it owes. An assist takes part in the mark as a worker does
// (gcAssistAlloc1 counts itself in work.nwait): the mark cannot end while it runs, and the assist that
// finishes the last of the work ends the mark itself (gcAssistAlloc -> gcMarkDone), its goroutine held.
void GoRun::compute_after_assist(std::uint32_t mi, sim::Time compute, bool tight) {
  M& m = ms_[mi];
  if (m.assist > 0 && gc_.phase != GcPhase::kMark) {  // the mark ended before it ran: plain CPU of the G
    compute += m.assist;
    m.assist = 0;
  }
  if (gc_.phase != GcPhase::kMark) m.assist_debt = 0;
  if (m.assist == 0 && m.assist_debt > 0 && gcParkAssist(mi, compute, tight)) return;
  if (m.assist > 0) {
    m.pending_compute = compute;
    m.tight = tight;
    m.gc_chunk = m.assist;
    m.assist = 0;
    ++gc_.in_flight;
    m.phase = Phase::kAssist;
    ks_.run_for(mi, m.gc_chunk, kWork);
    return;
  }
  start_compute(mi, compute, tight);
}

void GoRun::gc_assist_done(std::uint32_t mi) {
  Gc& gc = gc_;
  M& m = ms_[mi];
  --gc.in_flight;
  if (gc.pool_ns <= 0 && gc.in_flight == 0 && gc.phase == GcPhase::kMark && !gc.waiting && !gc.ragged) {
    m.assist_debt = 0;  // its assist ended the mark: nothing left to owe
    gcMarkDone(mi);  // stopTheWorld keeps curg on this M (gc_holds_g) and gc_stw_done resumes its compute
    return;
  }
  if (m.assist_debt > 0 && gcParkAssist(mi, m.pending_compute, m.tight)) return;
  start_compute(mi, m.pending_compute, m.tight);
}

// gcParkAssist (mgcmark.go gcAssistAlloc): an assist that found no work for the rest of its debt (what
// is left of the mark sits in the workers' buffers) takes background credit flushed meanwhile, then parks
// on work.assistQueue until gcFlushBgCredit pays the rest or the mark ends (gcWakeAllAssists). Its compute
// waits for it. Only an assist paid before a compute parks; one paid as runtime work of another step (a
// spawn, a park) gives up what it cannot do, as before.
bool GoRun::gcParkAssist(std::uint32_t mi, sim::Time compute, bool tight) {
  Gc& gc = gc_;
  M& m = ms_[mi];
  double debt = m.assist_debt;
  m.assist_debt = 0;
  if (gc.phase != GcPhase::kMark || gc.limiter.limiting()) return false;
  const double stolen = std::min(debt, gc.bg_credit_ns);
  gc.bg_credit_ns -= stolen;
  debt -= stolen;
  if (debt <= 0) return false;
  keep_compute(mi, compute, tight);  // the compute waits, as a preempted one does (gopreempt_m)
  gc.assist_queue.emplace_back(m.curg, debt);
  ++gc.assist_parks;
  gopark(mi, WaitReason::kGcAssist);
  return true;
}

// gcFlushBgCredit: a worker's finished scan work first pays the parked assists' debts in queue order (each
// one paid off is readied to the tail of the worker's run queue: ready(gp, 0, false)); the rest is credit.
void GoRun::gcFlushBgCredit(std::uint32_t mi, double work) {
  Gc& gc = gc_;
  while (work > 0 && gc.assist_head < gc.assist_queue.size()) {
    auto& [g, debt] = gc.assist_queue[gc.assist_head];
    if (work < debt) {
      debt -= work;
      return;
    }
    work -= debt;
    ++gc.assist_head;
    goready(mi, g, false);
  }
  if (gc.assist_head == gc.assist_queue.size()) {
    gc.assist_queue.clear();
    gc.assist_head = 0;
  }
  gc.bg_credit_ns += work;
}

// gcWakeAllAssists (gcMarkDone, world stopped): the assists still parked run when the world starts again
// (injectglist: with every P stopped, onto this M's P).
void GoRun::gcWakeAllAssists(std::uint32_t mi) {
  Gc& gc = gc_;
  glist_.clear();
  for (std::size_t i = gc.assist_head; i < gc.assist_queue.size(); ++i) glist_.push_back(gc.assist_queue[i].first);
  gc.assist_queue.clear();
  gc.assist_head = 0;
  injectglist(mi, glist_);
}

// runtime.GC(): wait for the cycle in progress to finish, then for a whole new one (gcWaitOnMark(n+1)).
bool GoRun::on_gc() {
  Gc& gc = gc_;
  const std::uint32_t target = gc.cycles + (gc.phase == GcPhase::kOff ? 1 : 2);
  gc.waiters.emplace_back(ms_[cur_m_].curg, target);
  if (gc.phase == GcPhase::kOff) {
    gc.start_requested = true;
    gc.user_forced = true;
  }
  park_reason_ = WaitReason::kGcCycle;
  return true;
}

// ---- taking up a request at a scheduling point ----

// The runtime starts a cycle (gcStart) and ends its mark (gcMarkDone) on the goroutine that found the
// condition; here the M takes the request at its next scheduling point or step boundary, at once.
bool GoRun::gc_poll(std::uint32_t mi) {
  Gc& gc = gc_;
  if (gc.waiting || ms_[mi].p == kNoG) return false;
  if (gc.start_requested && gc.phase == GcPhase::kOff) {
    gc.start_requested = false;
    gcStart(mi);
    return true;
  }
  if (gc.mark_done_requested && gc.phase == GcPhase::kMark && gc.in_flight == 0 && !gc.ragged) {
    gcMarkDone(mi);
    return true;
  }
  return false;
}

void GoRun::gcStart(std::uint32_t mi) {
  Gc& gc = gc_;
  gc.phase = GcPhase::kSweepTerm;
  gc.t_sweep_term = core_.engine.now();
  gc.heap0 = gc.heap_live;
  gc.stwprocs = std::min<std::uint32_t>(prm_.gomaxprocs, static_cast<std::uint32_t>(core_.sc.machine.cpus.size()));
  gc.stw1_cpu = 0;
  // finishsweep_m: the spans the previous cycle left unswept are swept by the goroutine that starts the
  // cycle, after the pause (paid with its other runtime work when the world restarts).
  ms_[mi].overhead += gc.sweep_left;
  gc.sweep_left = 0;
  stopTheWorld(mi, GcPhase::kSweepTerm);
}

// ---- the background sweeper (mgcsweep.go bgsweep) ----

// bgsweep is a goroutine readied when the mark ends: it sweeps spans in batches of 10 and yields only when
// no P is idle (goschedIfBusy), so in effect it uses idle time, getting ahead of the proportional sweep that
// allocations pay. Here it runs on a P that has nothing else to do, a runtime.gc_drain_quantum at a time,
// before the P goes idle; what is left when the next cycle starts is finishsweep_m's.
bool GoRun::gc_bgsweep(std::uint32_t mi, sim::Time extra) {
  Gc& gc = gc_;
  if (gc.phase != GcPhase::kOff || gc.sweep_left <= 0 || gc.waiting) return false;
  M& m = ms_[mi];
  if (m.spinning) resetspinning(mi);
  const sim::Time t = std::min(gc.sweep_left, prm_.gc_quantum);
  gc.sweep_left -= t;
  gc.total_bgsweep += t;
  ++ps_[m.p].schedtick;
  m.phase = Phase::kBgSweep;
  ks_.run_for(mi, t + extra, kSched);
  return true;
}

// ---- the end of the mark (mgc.go gcMarkDone, proc.go forEachP) ----

// gcMarkDone: before stopping the world for mark termination, every P must flush its write-barrier buffer
// and work cache, which forEachP asks of each at its next scheduling point (a ragged barrier: the Ps carry
// on afterwards). The caller runs it for its own P and the idle Ps and Ps in syscalls; the others get a
// preemption request (preemptall) and the caller sleeps 100 us at a time, re-preempting, until the last
// one ran it. The world is stopped only then, so the pause does not include waiting for, say, a P whose M
// is still waking from a futex: real mark-termination pauses are a few microseconds.
void GoRun::gcMarkDone(std::uint32_t mi) {
  Gc& gc = gc_;
  gc.mark_done_requested = false;
  gc.ragged = true;
  gc.ragged_m = mi;
  gc.ragged_start = core_.engine.now();
  gc.safe_point_wait = 0;
  const std::uint32_t own = ms_[mi].p;
  for (std::uint32_t p = 0; p < ps_.size(); ++p) {
    P& pp = ps_[p];
    pp.run_safe_point_fn = false;
    if (p == own || pp.in_syscall) continue;
    if (pp.status == PStatus::kIdle && std::find(pidle_.begin(), pidle_.end(), p) != pidle_.end()) continue;
    pp.run_safe_point_fn = true;  // a running P, or one on its way to a waking M
    ++gc.safe_point_wait;
  }
  forEachP_wait(mi);
}

void GoRun::forEachP_wait(std::uint32_t mi) {
  Gc& gc = gc_;
  gc.ragged_sleeping = false;
  if (gc.safe_point_wait == 0) {
    gc.ragged = false;
    gc.ragged_entering = false;
    gc.phase = GcPhase::kMarkTerm;
    stopTheWorld(mi, GcPhase::kMarkTerm);
    return;
  }
  ms_[mi].phase = Phase::kForEachPWait;
  if (!gc.ragged_entering) {
    for (std::uint32_t p = 0; p < ps_.size(); ++p) {  // preemptall, again after each 100 us
      if (ps_[p].run_safe_point_fn && ps_[p].status == PStatus::kRunning) preemptone(p);
    }
  }
  notetsleep(mi, gc.ragged_entering, gc.ragged_sleeping);
}

// notetsleep(note, 100 us) as a two-step wait: the futex call first (kernel.syscall), during which a
// notewakeup leaves the key set and FUTEX_WAIT returns at once (the caller, called again at the burst's end,
// finds its count done and never blocks); then the sleep, which a notewakeup ends with the kernel's wake-up
// latency (lock_futex.go notetsleep_internal, futexsleep). `entering` and `sleeping` are the caller's.
void GoRun::notetsleep(std::uint32_t mi, bool& entering, bool& sleeping) {
  if (!entering) {
    entering = true;
    ks_.run_for(mi, prm_.syscall, kSched);
    return;
  }
  entering = false;
  sleeping = true;
  ks_.sleep(mi, kStwRetry);
}

void GoRun::runSafePointFn_slow(std::uint32_t p, std::uint32_t who) {
  Gc& gc = gc_;
  if (p == kNoG || !ps_[p].run_safe_point_fn) return;
  ps_[p].run_safe_point_fn = false;
  GMPSIM_CHECK(gc.safe_point_wait > 0, "forEachP: more Ps ran the safe-point function than were asked");
  if (--gc.safe_point_wait == 0 && gc.ragged_sleeping) {  // notewakeup(&sched.safePointNote), by the last P's M
    gc.ragged_sleeping = false;
    wake_thread(gc.ragged_m, 0, who);
  }
}

// ---- stop and start the world (proc.go stopTheWorldWithSema, startTheWorldWithSema, gcstopm) ----

void GoRun::stopTheWorld(std::uint32_t mi, GcPhase why) {
  Gc& gc = gc_;
  M& m = ms_[mi];
  gc.waiting = true;
  ++steal_epoch_;  // spinning Ms see it at their next round (stealWork: sched.gcwaiting)
  gc.stw_m = mi;
  gc.stw_for = why;
  gc.stw_start = core_.engine.now();
  if (why == GcPhase::kMarkTerm) gc.t_mark_term = gc.stw_start;
  gc.stopwait = prm_.gomaxprocs;
  m.gc_holds_g = m.curg != kNoG;
  if (m.spinning) {
    m.spinning = false;
    --nmspinning_;
  }
  // Our own P.
  ps_[m.p].status = PStatus::kGcStop;
  gc.stopped.push_back(m.p);
  --gc.stopwait;
  // Ps of Ms in syscalls (go1.19 CAS _Psyscall -> _Pgcstop; go1.26 the same through the syscall state).
  for (std::uint32_t p = 0; p < ps_.size(); ++p) {
    P& pp = ps_[p];
    if (pp.status != PStatus::kRunning || !pp.in_syscall) continue;
    ms_[pp.m].p = kNoG;
    pp.m = kNoG;
    pp.in_syscall = false;
    ++pp.syscalltick;
    pp.status = PStatus::kGcStop;
    gc.stopped.push_back(p);
    --gc.stopwait;
  }
  // Idle Ps.
  for (std::uint32_t p : pidle_) {
    gc.cum_idle += core_.engine.now() - ps_[p].idle_since;
    pidle_left(p);
    ps_[p].status = PStatus::kGcStop;
    gc.stopped.push_back(p);
    --gc.stopwait;
  }
  pidle_.clear();
  preemptall();
  stw_wait(mi);
}

// preemptall: every running P's goroutine is asked to stop (the cooperative flag and SIGURG).
void GoRun::preemptall() {
  for (std::uint32_t p = 0; p < ps_.size(); ++p) {
    if (ps_[p].status == PStatus::kRunning) preemptone(p);
  }
}

// The stopping M waits on stopnote 100 us at a time (notetsleep), preempting again after each timeout: a
// last P that stops within the futex call costs it no wake-up.
void GoRun::stw_wait(std::uint32_t mi) {
  Gc& gc = gc_;
  gc.stw_sleeping = false;
  if (gc.stopwait == 0) {
    gc.stw_entering = false;
    stw_stopped(mi);
    return;
  }
  ms_[mi].phase = Phase::kStwWait;
  if (!gc.stw_entering && core_.engine.now() > gc.stw_start) preemptall();
  notetsleep(mi, gc.stw_entering, gc.stw_sleeping);
}

void GoRun::gc_p_stopped(std::uint32_t p, std::uint32_t who) {
  Gc& gc = gc_;
  ps_[p].status = PStatus::kGcStop;
  gc.stopped.push_back(p);
  GMPSIM_CHECK(gc.stopwait > 0, "gc: more Ps stopped than were running");
  if (--gc.stopwait == 0 && gc.stw_sleeping) {  // notewakeup(&sched.stopnote)
    gc.stw_sleeping = false;
    wake_thread(gc.stw_m, 0, who);
  }
}

// gcstopm: an M at a scheduling point during a stop-the-world gives its P up and parks.
void GoRun::gcstopm(std::uint32_t mi) {
  M& m = ms_[mi];
  if (m.spinning) {
    m.spinning = false;
    --nmspinning_;
  }
  const std::uint32_t p = releasep(mi);
  gc_p_stopped(p, mi);
  stopm(mi);
}

// The world is stopped: record the time to reach it, then do the phase's work with it stopped.
void GoRun::stw_stopped(std::uint32_t mi) {
  Gc& gc = gc_;
  gc.ttsp.record(core_.engine.now() - gc.stw_start);
  ms_[mi].phase = Phase::kStwWork;
  const sim::Time work = gc.stw_for == GcPhase::kSweepTerm ? prm_.cost_sweep_term : prm_.cost_mark_term;
  ks_.run_for(mi, work, kSched);
}

void GoRun::gc_stw_done(std::uint32_t mi) {
  Gc& gc = gc_;
  const sim::Time now = core_.engine.now();
  const GcPhase why = gc.stw_for;
  const sim::Time pause = now - gc.stw_start;
  gc.total_pause += pause;
  gc.total_gc_cpu += pause * gc.stwprocs;
  if (why == GcPhase::kSweepTerm) {
    gc.pause_sweep_term.record(pause);
    gc.stw1_cpu = pause * gc.stwprocs;
    gcMarkStart();
  } else {
    gc.pause_mark_term.record(pause);
    gcWakeAllAssists(mi);
    gcMarkTermination();
  }
  startTheWorld(mi);
  if (why == GcPhase::kMarkTerm) {
    gc.t_end = core_.engine.now();
    gc.cycle_wall.record(gc.t_end - gc.t_sweep_term);
    gc.last_end = gc.t_end;
    if (prm_.gctrace) gctrace_line();
    gc.user_forced = false;
    gc.time_trigger = false;
    // runtime.GC callers whose cycle is done wake up on this P; a later one asks for the next cycle.
    bool more = false;
    for (std::size_t i = 0; i < gc.waiters.size();) {
      if (gc.waiters[i].second <= gc.cycles) {
        goready(mi, gc.waiters[i].first);
        gc.waiters[i] = gc.waiters.back();
        gc.waiters.pop_back();
      } else {
        more = true;
        ++i;
      }
    }
    if (more) {
      gc.start_requested = true;
      gc.user_forced = true;
    }
  }
  M& m = ms_[mi];
  if (gc_poll(mi)) return;  // e.g. a mark with no work at all ends at once
  if (m.gc_holds_g) {  // back to the goroutine that allocated past the trigger, or assisted the mark to its end
    m.gc_holds_g = false;
    if (m.overhead > 0) {
      m.phase = Phase::kOverhead;
      ks_.run_for(mi, take_overhead(mi), kSched);
    } else {
      compute_after_assist(mi, m.pending_compute, m.tight);
    }
    return;
  }
  schedule(mi, take_overhead(mi));
}

// startTheWorldWithSema -> procresize: Ps with work get Ms; during a mark (go1.26) idle Ps that a
// dedicated or fractional worker is waiting for get one too; the rest go idle; one wakep.
void GoRun::startTheWorld(std::uint32_t mi) {
  Gc& gc = gc_;
  gc.waiting = false;
  const std::uint32_t own = ms_[mi].p;
  int workers = gc.phase == GcPhase::kMark && prm_.gc_assign_workers
                    ? gc.dedicated_needed + (gc.fractional_goal > 0 ? 1 : 0) : 0;
  for (std::uint32_t p : gc.stopped) {
    if (p == own) continue;
    P& pp = ps_[p];
    pp.status = PStatus::kIdle;
    if (!pp.runq.empty() || workers > 0) {
      if (pp.runq.empty()) --workers;
      startm(p, false, mi);
    } else {
      pidleput(p, mi);
      if (!pp.timers.empty()) wakeNetPoller(mi, pp.next_timer());
    }
  }
  gc.stopped.clear();
  ps_[own].status = PStatus::kRunning;
  wakep(mi);
}

// ---- the mark (mgc.go gcStart after the STW, gcMarkRootPrepare; mgcpacer.go startCycle) ----

void GoRun::gcMarkStart() {
  Gc& gc = gc_;
  const sim::Time now = core_.engine.now();
  gc_limiter_update();  // startGCTransition: the window so far had the GC off
  gc_collect_expired();
  gc.marked_at_start = gc.reachable;
  gc.objects_at_start = gc.reachable_objects;
  gc.alloc_black = 0;
  gc.heap_scan = static_cast<std::int64_t>(static_cast<double>(gc.marked_at_start) * prm_.scan_fraction);
  gc.stack_scan = gc_stack_scan();
  const double units = static_cast<double>(gc.heap_scan + gc.stack_scan + prm_.heap_globals);
  // Heap and globals by their pointer words, stacks by the bytes in use (scanstack: frames and stack maps),
  // a root per goroutine, a mark per reachable object, and the cycle's fixed root work.
  gc.pool_total_ns = static_cast<double>(gc.heap_scan + prm_.heap_globals) * prm_.scan_ns_per_byte +
                     static_cast<double>(gc.stack_scan) * prm_.stack_scan_ns_per_byte +
                     static_cast<double>(allgs_) * static_cast<double>(prm_.cost_scan_g) +
                     static_cast<double>(gc.objects_at_start) * static_cast<double>(prm_.cost_mark_object) +
                     static_cast<double>(prm_.cost_mark_roots);
  gc.pool_ns = gc.pool_total_ns;
  gc_shrink_stacks();
  gc.pool_total_ns = gc.pool_ns;
  // markroot's jobs in the order gcDrain takes them: the fixed roots, data and bss, then one stack job per
  // G of allgs as it is now (goroutines created during the mark start scanned: newproc1's gcscandone).
  gc.stack_roots = static_cast<std::uint32_t>(allgs_);
  gc.stack_next = 0;
  gc.stack_ns_per_g = allgs_ == 0 ? 0.0
                                   : (static_cast<double>(allgs_) * static_cast<double>(prm_.cost_scan_g) +
                                      static_cast<double>(gc.stack_scan) * prm_.stack_scan_ns_per_byte) /
                                         static_cast<double>(allgs_);
  gc.suspends.clear();
  gc.units_total = units;
  gc.units_done = 0;
  gc.ns_per_unit = units > 0 ? gc.pool_total_ns / units : 0;
  gc.bg_credit_ns = 0;
  gc.in_flight = 0;
  gc.idle_workers = 0;
  gc.pacer.start_cycle(gc.heap_live);
  const MarkWorkers w = mark_workers(static_cast<int>(prm_.gomaxprocs));
  gc.dedicated_needed = w.dedicated;
  gc.fractional_goal = w.fractional_goal;
  gc.max_idle_workers = prm_.gc_idle_worker_cap ? prm_.gomaxprocs - static_cast<std::uint32_t>(w.dedicated) : prm_.gomaxprocs;
  if (gc.time_trigger) gc.max_idle_workers = w.dedicated > 0 ? 0 : 1;  // startCycle, gcTriggerTime
  for (P& p : ps_) p.gc_fractional_time = 0;
  gc.assist_time = gc.dedicated_time = gc.fractional_time = gc.idle_time = 0;
  gc.mark_start = now;
  gc.t_mark = now;
  gc.phase = GcPhase::kMark;
  if (gc.pool_ns <= 0) gc.mark_done_requested = true;
}

// findRunnableGCWorker (findRunnable, after the timers and before any goroutine).
bool GoRun::findRunnableGCWorker(std::uint32_t mi, sim::Time cost) {
  Gc& gc = gc_;
  if (gc.phase != GcPhase::kMark || gc.pool_ns <= 0) return false;
  if (core_.engine.now() - gc.limiter_last >= kLimiterPeriod) gc_limiter_update();  // gcCPULimiter.needUpdate
  M& m = ms_[mi];
  WorkerMode mode = WorkerMode::kNone;
  if (gc.dedicated_needed > 0) {
    --gc.dedicated_needed;
    mode = WorkerMode::kDedicated;
  } else if (gc.fractional_goal > 0) {
    const sim::Time delta = core_.engine.now() - gc.mark_start;
    if (delta <= 0 || static_cast<double>(ps_[m.p].gc_fractional_time) / static_cast<double>(delta) <= gc.fractional_goal) {
      mode = WorkerMode::kFractional;
    }
  }
  if (mode == WorkerMode::kNone) return false;
  if (m.spinning) resetspinning(mi);
  m.gc_worker = mode;
  ++ps_[m.p].schedtick;
  gc_drain(mi, cost);
  return true;
}

// findRunnable with nothing to run: an idle-priority worker rather than giving the P up.
bool GoRun::gc_idle_worker(std::uint32_t mi, sim::Time cost) {
  Gc& gc = gc_;
  if (gc.phase != GcPhase::kMark || gc.pool_ns <= 0 || gc.idle_workers >= gc.max_idle_workers) return false;
  M& m = ms_[mi];
  if (m.spinning) resetspinning(mi);
  ++gc.idle_workers;
  m.gc_worker = WorkerMode::kIdle;
  ++ps_[m.p].schedtick;
  gc_drain(mi, cost);
  return true;
}

// gcDrain: one quantum of mark work. A fractional worker stops where its share of the mark's time would
// pass 1.2x its goal (pollFractionalWorkerExit).
void GoRun::gc_drain(std::uint32_t mi, sim::Time extra) {
  Gc& gc = gc_;
  M& m = ms_[mi];
  double chunk = std::min(gc.pool_ns, static_cast<double>(prm_.gc_quantum));
  if (m.gc_worker == WorkerMode::kFractional) {
    const double g = 1.2 * gc.fractional_goal;
    const double elapsed = static_cast<double>(core_.engine.now() - gc.mark_start);
    const double left = (g * elapsed - static_cast<double>(ps_[m.p].gc_fractional_time)) / (1 - g);
    chunk = std::min(chunk, std::max(left, 1000.0));
  }
  const auto t = std::max<sim::Time>(1, static_cast<sim::Time>(chunk));
  gc.pool_ns -= static_cast<double>(t);
  ++gc.in_flight;
  m.gc_chunk = t;
  gc_scan_stacks(mi, gc.pool_total_ns - gc.pool_ns, true);
  // The heap this quantum scans: pages the kernel swapped out fault back in (a major fault each), the
  // worker's thread asleep with its P held.
  if (mm_.swapped_pages(0) > 0 && prm_.scan_ns_per_byte > 0) {
    const auto bytes = static_cast<std::int64_t>(static_cast<double>(t) / prm_.scan_ns_per_byte);
    const kernel::MmCost c = mm_.touch(0, bytes / kPageBytes);
    m.stall += c.blocked;
    extra += c.cpu;
    mm_settle();
  }
  mem_stall(mi, Phase::kGcWork, t + extra, kSched);
}

// A worker's time in the mark, by its mode (the worker's whole gcDrain, suspendG's waits included, as
// gcBgMarkWorker measures it).
void GoRun::gc_worker_time(std::uint32_t mi, sim::Time t) {
  Gc& gc = gc_;
  M& m = ms_[mi];
  switch (m.gc_worker) {
    case WorkerMode::kDedicated: gc.dedicated_time += t; break;
    case WorkerMode::kFractional:
      gc.fractional_time += t;
      ps_[m.p].gc_fractional_time += t;
      break;
    case WorkerMode::kIdle:
      gc.idle_time += t;
      gc.cum_idle += t;  // idle mark work counts as idle time for the limiter (limiterEventIdleMarkWork)
      break;
    case WorkerMode::kNone: break;
  }
}

void GoRun::gc_drain_done(std::uint32_t mi) {
  Gc& gc = gc_;
  M& m = ms_[mi];
  const sim::Time t = m.gc_chunk;
  gcFlushBgCredit(mi, static_cast<double>(t));
  if (gc.ns_per_unit > 0) gc.units_done += static_cast<double>(t) / gc.ns_per_unit;
  gc_worker_time(mi, t);
  if (m.gc_suspend_waits > 0) {  // suspendG: spin (procyield, then osyield) until the goroutines stop
    m.gc_spin_from = core_.engine.now();
    m.phase = Phase::kGcSuspendWait;
    ks_.run_for(mi, kSuspendSpin, kSched);
    return;
  }
  gc_drain_next(mi);
}

void GoRun::gc_suspend_spun(std::uint32_t mi) {
  M& m = ms_[mi];
  const sim::Time spun = core_.engine.now() - m.gc_spin_from;
  m.gc_spin_from = core_.engine.now();
  gc_.suspend_wait += spun;
  gc_worker_time(mi, spun);
  if (m.gc_suspend_waits > 0) {
    ks_.run_for(mi, kSuspendSpin, kSched);
    return;
  }
  gc_drain_next(mi);
}

// markroot's stack jobs between the last quantum's end and `after` (ns of the pool taken so far): job i
// starts at cost_mark_roots + i x stack_ns_per_g. A running goroutine among them is stopped (suspendG);
// one in a syscall, parked or runnable is scanned where it is. The caller's own P runs no other goroutine
// (a worker) or its own, which scans itself (an assist: selfScan).
void GoRun::gc_scan_stacks(std::uint32_t mi, double after, bool wait) {
  Gc& gc = gc_;
  if (gc.stack_next >= gc.stack_roots || gc.stack_ns_per_g <= 0) return;
  const double jobs = std::ceil((after - static_cast<double>(prm_.cost_mark_roots)) / gc.stack_ns_per_g);
  if (jobs <= static_cast<double>(gc.stack_next)) return;
  const std::uint32_t lo = gc.stack_next;
  const std::uint32_t hi = jobs >= static_cast<double>(gc.stack_roots) ? gc.stack_roots : static_cast<std::uint32_t>(jobs);
  gc.stack_next = hi;
  const std::uint32_t own = ms_[mi].p;
  for (std::uint32_t p = 0; p < ps_.size(); ++p) {
    if (p == own || ps_[p].status != PStatus::kRunning || ps_[p].m == kNoG) continue;
    const M& m = ms_[ps_[p].m];
    if (m.curg == kNoG || m.curg < lo || m.curg >= hi || m.in_syscall) continue;
    if (g_status(core_.gt[m.curg]) == GStatus::kRunning && !starting(m)) suspendG(mi, p, wait);
  }
}

// suspendG (preempt.go), for a goroutine in _Grunning on P p: gp.preemptStop and a preemption request,
// cooperative and by signal (preemptone); the goroutine stops at its next safe point (preemptPark, in
// gopreempt_m) or leaves _Grunning on its own. A worker spins until then (gc_drain_done); an assist does
// not wait here (its share of the stack jobs is small; see What is abstracted).
void GoRun::suspendG(std::uint32_t mi, std::uint32_t p, bool wait) {
  Gc& gc = gc_;
  const std::uint32_t g = ms_[ps_[p].m].curg;
  ++gc.suspend_requests;
  gc.suspends.push_back({g, mi, wait});
  if (wait) ++ms_[mi].gc_suspend_waits;
  preemptone(p);
}

std::uint32_t GoRun::suspend_resolve(std::uint32_t g) {
  std::vector<Gc::Suspend>& v = gc_.suspends;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i].g != g) continue;
    const Gc::Suspend s = v[i];
    v[i] = v.back();
    v.pop_back();
    if (s.wait) {
      M& w = ms_[s.by];
      if (--w.gc_suspend_waits == 0 && w.phase == Phase::kGcSuspendWait) {  // its spin sees the stop now
        ks_.interrupt(s.by);
        ks_.run_for(s.by, 0, kSched);
      }
    }
    return s.by;
  }
  return kNoG;
}

// resumeG after the scan: ready(gp, 0, true) on the scanning M's P (its runnext), then wakep. A P no longer
// running (the assist's goroutine moved on) sends it to the global queue instead.
void GoRun::resumeG(std::uint32_t mi, std::uint32_t g) {
  ++gc_.suspended;
  const std::uint32_t p = ms_[mi].p;
  if (p == kNoG || ps_[p].status != PStatus::kRunning) {
    globrunqput(globq_g(g), g);
    wakep(kNoG);
    return;
  }
  ms_[mi].overhead += touch_runqput(p, mi, prm_.runnext);
  const std::uint32_t moved = runqput(ps_[p].runq, globq(mi), g, prm_.runnext);
  ms_[mi].overhead += prm_.cost_goready + (moved > 0 ? sched_lock(mi) : 0);
  global_overflow_ += moved;
  wakep(mi);
}

void GoRun::gc_drain_next(std::uint32_t mi) {
  Gc& gc = gc_;
  M& m = ms_[mi];
  --gc.in_flight;
  if (gc.pool_ns <= 0 && gc.in_flight == 0 && gc.phase == GcPhase::kMark && !gc.waiting && !gc.ragged) {
    gc_worker_stop(mi);
    gcMarkDone(mi);
    return;
  }
  bool stop = gc.waiting || gc.pool_ns <= 0;
  // gcDrainUntilPreempt: sysmon's retake preempted the worker after forcePreemptNS without a schedule, so
  // findRunnable runs again and may pick the fractional worker (this is how a P whose idle worker would
  // mark for the whole cycle still gives the fractional worker its share).
  if (!stop && m.gc_preempt && m.gc_worker != WorkerMode::kDedicated) stop = true;
  if (!stop && m.gc_worker == WorkerMode::kIdle) {  // pollWork: anything runnable for this P
    stop = !ps_[m.p].runq.empty() || !globq_empty() || !net_ready_.empty();
  }
  if (!stop && m.gc_worker == WorkerMode::kFractional) {
    const double elapsed = static_cast<double>(core_.engine.now() - gc.mark_start);
    stop = static_cast<double>(ps_[m.p].gc_fractional_time) > 1.2 * gc.fractional_goal * elapsed;
  }
  if (!stop) {
    gc_drain(mi, take_overhead(mi));  // with what it readied meanwhile (gcFlushBgCredit, resumeG)
    return;
  }
  gc_worker_stop(mi);
  findRunnable(mi, take_overhead(mi));
}

void GoRun::gc_worker_stop(std::uint32_t mi) {
  M& m = ms_[mi];
  m.gc_preempt = false;
  if (m.gc_worker == WorkerMode::kIdle) --gc_.idle_workers;
  if (m.gc_worker == WorkerMode::kDedicated) ++gc_.dedicated_needed;  // the worker goes back to the pool
  m.gc_worker = WorkerMode::kNone;
}

// gcMarkTermination, with the world stopped: the marked heap, the pacer's end of cycle and next goal,
// the sweep to come, the scavenger's target.
void GoRun::gcMarkTermination() {
  Gc& gc = gc_;
  gc.suspends.clear();  // an assist's requests not yet honoured: every goroutine has stopped for the STW
  gc_limiter_update();  // the window up to here had the GC on
  const std::int64_t marked = gc.marked_at_start + gc.alloc_black;
  gc.heap1 = gc.heap_live;
  gc.heap2 = marked;
  gc.last_goal = gc.goal;
  const sim::Time wall = std::max<sim::Time>(1, gc.t_mark_term - gc.mark_start);
  const double procs_wall = static_cast<double>(wall) * prm_.gomaxprocs;
  GcPacer::CycleEnd e;
  e.heap_live = gc.heap_live;
  e.scan_work = static_cast<std::int64_t>(gc.units_total);
  e.utilization = kGcBackgroundUtilization + static_cast<double>(gc.assist_time) / procs_wall;
  e.idle_utilization = static_cast<double>(gc.idle_time) / procs_wall;
  gc.pacer.end_cycle(e);
  gcComputeStartingStackSize();
  gc.pacer.set_marked(marked, gc.heap_scan, gc.stack_scan, prm_.heap_globals);
  gc.pacer.commit();
  gc.total_assist += gc.assist_time;
  gc.total_dedicated += gc.dedicated_time;
  gc.total_fractional += gc.fractional_time;
  gc.total_idle += gc.idle_time;
  gc.total_gc_cpu += gc.assist_time + gc.dedicated_time + gc.fractional_time;
  // The sweep: every span in use is visited before reuse; the garbage's memory is free for allocation.
  gc.sweep_left = gc.heap_live / kSpanBytes * prm_.cost_sweep_span;
  gc.heap_live = marked;
  ++gc.cycles;
  if (gc.user_forced) ++gc.forced;
  if (gc.time_trigger) ++gc.time_cycles;
  gc.phase = GcPhase::kOff;
  gc_update_trigger();
  const std::int64_t runway = std::max<std::int64_t>(1, gc.trigger == kNoLimit ? kDefaultHeapMinimum : gc.trigger - gc.heap_live);
  gc.sweep_ns_per_byte = static_cast<double>(gc.sweep_left) / static_cast<double>(runway);
  // The scavenger: keep 10 % over the goal (95 % of the memory-limit goal when it binds); return the rest.
  std::int64_t retain = gc.goal == kNoLimit ? gc.heap_live : static_cast<std::int64_t>(static_cast<double>(gc.goal) * kRetainExtra);
  if (prm_.pacer.memory_limit != kNoLimit) {
    retain = std::min(retain, static_cast<std::int64_t>(static_cast<double>(prm_.pacer.memory_limit) * kReduceExtra) - gc_non_heap());
  }
  // gcPaceScavenger: the background scavenger works the retained heap down to this, at its own pace; it is
  // readied now if its sleep is over (go: when the sweep is done, or by sysmon).
  gc.scav_goal = std::max(retain, gc.heap_live);
  if (gc.heap_rss > gc.scav_goal) gc_scavenge_arm(std::max(gc.scav_due, core_.engine.now()));
}

// ---- the background scavenger (mgcscavenge.go, go1.19.8 and go1.26.8 alike) ----

// bgscavenge returns free heap pages above its goal to the OS with MADV_DONTNEED, scavengeQuantum (64 KiB)
// at a time, for at least minScavWorkTime (1 ms) of work per run, then sleeps so that it takes
// scavengePercent (1 %) of one CPU: its controller settles the sleep at 99 times the work. It is a goroutine
// readied by a timer; here its run is runtime work on the P whose scheduling point finds it due (not
// preemptible, as a quantum is not). The pages in use (heap_live) are never released; growth past the
// retained heap faults pages in again. Released when the run ends: the run's own time is short next to
// the sleep.
namespace {
// Free resident heap above the scavenger's target: what it may give back (pages in use never are).
std::int64_t scavengeable(std::int64_t rss, std::int64_t goal, std::int64_t live) { return rss - std::max(goal, live); }
}  // namespace

bool GoRun::gc_bgscavenge(std::uint32_t mi, sim::Time cost) {
  Gc& gc = gc_;
  if (gc.scav_goal == kNoLimit || gc.scav_run > 0 || gc.waiting) return false;
  const std::int64_t free = scavengeable(gc.heap_rss, gc.scav_goal, gc.heap_live);
  if (free <= 0) return false;
  constexpr std::int64_t kQuantum = 64 << 10;        // scavengeQuantum
  constexpr sim::Time kMinWork = 1'000'000;          // minScavWorkTime
  const sim::Time per_quantum = prm_.syscall + kQuantum / kPageBytes * prm_.page_release;
  const std::int64_t need = (free + kQuantum - 1) / kQuantum;
  const std::int64_t quanta = std::max<std::int64_t>(1, std::min(need, (kMinWork + per_quantum - 1) / std::max<sim::Time>(1, per_quantum)));
  gc.scav_run = std::min(free, quanta * kQuantum);
  const sim::Time work = quanta * per_quantum;
  gc.scav_cpu += work;
  ++gc.scav_runs;
  gc.scav_due = core_.engine.now() + work + work * 99;  // scavengePercent: 1 % of one CPU
  gc_scavenge_arm(gc.scav_due);
  M& m = ms_[mi];
  if (m.spinning) resetspinning(mi);
  m.phase = Phase::kScavenge;
  ks_.run_for(mi, cost + work, kSched);
  return true;
}

void GoRun::gc_scavenge_done(std::uint32_t mi) {
  Gc& gc = gc_;
  const std::int64_t release = std::min(gc.scav_run, gc.heap_rss - gc.heap_live);  // the heap may have grown since
  gc.scav_run = 0;
  if (release > 0) {
    gc.scavenged += release;
    gc.heap_rss -= release;
    check_memory();  // MADV_DONTNEED: the kernel takes the pages back
  }
  findRunnable(mi);
}

// The timer that readies the scavenger: goready puts it in a run queue and wakep starts an M for an idle P,
// so it runs even when every P was idle. An observation, not pending work: it never keeps a run going.
void GoRun::gc_scavenge_arm(sim::Time at) {
  if (gc_.scav_armed || at > core_.sc.run.duration) return;
  gc_.scav_armed = true;
  core_.observe_at(at, kScavengeWake);
}

void GoRun::gc_scavenge_wake() {
  Gc& gc = gc_;
  gc.scav_armed = false;
  if (gc.scav_goal == kNoLimit) return;
  if (gc.scav_due > core_.engine.now()) {  // a run started since: its own sleep decides
    gc_scavenge_arm(gc.scav_due);
    return;
  }
  if (scavengeable(gc.heap_rss, gc.scav_goal, gc.heap_live) <= 0) return;
  wakep(kNoG);  // with every P busy, the next scheduling point finds it (findRunnable 1c)
}

// ---- pacing inputs ----

void GoRun::gc_update_trigger() {
  const GcPacer::TriggerGoal tg = gc_.pacer.trigger(gc_non_heap());
  gc_.trigger = tg.trigger;
  gc_.goal = tg.goal;
}

// Memory the runtime maps besides the heap (stacks, g structs, sudogs, Ms): what the memory-limit goal
// leaves out.
std::int64_t GoRun::gc_non_heap() const { return memory_bytes() - gc_.heap_rss; }  // includes runtime_metadata()

// The in-use part of every live goroutine's stack (scanstack reads hi - sp): the declared depth, or
// runtime.gc_stack_in_use of a minimum stack for goroutines that declare none.
std::int64_t GoRun::gc_stack_scan() const {
  const double undeclared = static_cast<double>(core_.gt.live() - gc_.depth_count) * static_cast<double>(prm_.mem_stack) * prm_.stack_in_use;
  return gc_.depth_sum + static_cast<std::int64_t>(undeclared);
}

void GoRun::set_stack_order(std::uint32_t g, std::uint32_t order) {
  Goroutine& gr = core_.gt[g];
  const std::uint32_t before = g_stack_order(gr);
  extra_stack_bytes_ += (prm_.mem_stack << order) - (prm_.mem_stack << before);
  gr.flags = static_cast<std::uint16_t>((gr.flags & ~(0x1fu << 8)) | (order << 8));
}

// scanstack -> shrinkstack (stack.go): a stack whose frames use less than a quarter of it halves, once per
// cycle, never below the minimum; the copy is the scanning worker's work.
void GoRun::gc_shrink_stacks() {
  Gc& gc = gc_;
  if (prm_.gcshrinkstackoff || extra_stack_bytes_ == 0) return;
  constexpr std::int64_t kStackNosplit = 800;  // stack.go: used = hi - sp + stackNosplit
  for (std::uint32_t g = 0; g < gc.stack_depth.size(); ++g) {
    if (!core_.gt.is_live(g)) continue;
    const std::uint32_t order = g_stack_order(core_.gt[g]);
    const std::int64_t used = gc.stack_depth[g] + kStackNosplit;
    if (order == 0 || used >= (prm_.mem_stack << order) / 4) continue;
    set_stack_order(g, order - 1);
    ++gc.shrinks;
    gc.pool_ns += static_cast<double>(prm_.cost_newstack) + prm_.stack_copy_rate * static_cast<double>(gc.stack_depth[g]);
  }
}

// gcComputeStartingStackSize: the average scanned stack plus stackGuard, rounded up to a power of two.
void GoRun::gcComputeStartingStackSize() {
  Gc& gc = gc_;
  if (!prm_.adaptivestackstart) return;
  const std::uint64_t live = core_.gt.live();
  if (live == 0) {
    gc.starting_order = 0;
    return;
  }
  const std::int64_t avg = gc.stack_scan / static_cast<std::int64_t>(live) + prm_.stack_guard;
  std::uint32_t order = 0;
  while ((prm_.mem_stack << order) < avg && order < 20) ++order;
  gc.starting_order = order;
}

// Objects whose lifetime ended are no longer reachable.
void GoRun::gc_collect_expired() {
  Gc& gc = gc_;
  const sim::Time now = core_.engine.now();
  while (!gc.timed.empty() && gc.timed.front().until <= now) {
    gc.reachable -= gc.timed.front().bytes;
    gc.reachable_objects -= gc.timed.front().objects;
    std::pop_heap(gc.timed.begin(), gc.timed.end(), std::greater<>());
    gc.timed.pop_back();
  }
}

// gcCPULimiter.update: the window since the last update, GOMAXPROCS wide.
void GoRun::gc_limiter_update() {
  Gc& gc = gc_;
  const sim::Time now = core_.engine.now();
  const sim::Time window = now - gc.limiter_last;
  if (window <= 0) return;
  sim::Time idle = gc.cum_idle;
  for (std::uint32_t p : pidle_) idle += now - ps_[p].idle_since;
  const sim::Time assist = gc.cum_assist;
  gc.limiter.update(window * prm_.gomaxprocs, assist - gc.limiter_assist_at, std::max<sim::Time>(0, idle - gc.limiter_idle_at),
                    gc.phase == GcPhase::kMark || gc.phase == GcPhase::kMarkTerm);
  gc.limiter_last = now;
  gc.limiter_idle_at = idle;
  gc.limiter_assist_at = assist;
}

}  // namespace gmpsim::models::go
