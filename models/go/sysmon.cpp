// sysmon and preemption in the `go` model (proc.go sysmon/retake/preemptone, preempt.go, signal_unix.go),
// pinned to go1.26 (same loop in go1.19):
//   - sysmon is an M without a P. It sleeps 20 us (usleep, so plus timer slack), doubling after 50
//     uneventful cycles up to 10 ms; only Ps retaken from syscalls count as events, so a CPU-bound
//     program lets it back off to 10 ms and the effective time slice becomes ~20 ms, not 10 ms.
//   - With every P idle it sleeps deeply (until the next timer, or forcegcperiod/2) and entersyscall /
//     exitsyscall wake it.
//   - Each cycle: netpoll(0) if nobody polled for 10 ms; the once-a-second GOMAXPROCS re-read (go1.25+);
//     retake; the forced GC (forcegc) after forcegcperiod without a cycle; the GC CPU limiter's update.
//   - retake preempts a P whose schedtick has not moved for 10 ms (preemptone: the cooperative request
//     and, unless asyncpreemptoff, a SIGURG), and takes Ps from syscalls seen on two consecutive cycles.
//   - A compute step has function-call preemption points every runtime.preempt_point_spacing of work; a
//     tight_loop has none. The signal lands after the kernel's signal latency, at an async safe point
//     except with probability runtime.async_unsafe_fraction. A preempted G goes to the global queue tail
//     and later continues its compute where it stopped.
#include <sstream>

#include "models/go/gorun.h"

namespace gmpsim::models::go {

void GoRun::sysmon_start() {
  sysmon_ = newm();
  if (sysmon_ == kNoG) return;
  sysmon_delay_ = prm_.sysmon_min_delay;
  ms_[sysmon_].phase = Phase::kSysmonSleep;
  // newm(sysmon, nil) in main: the thread starts and sleeps before its first cycle.
  ks_.wake(sysmon_, prm_.thread_create);
}

// A compute burst of `work` on M mi; `tight` loops have no cooperative preemption points. `runtime` ns of
// runtime work inside the G come first in the same burst (the kernel's prefix, accounted as kSched): no
// preemption point and no asynchronous safe point there, so a request that lands in it is seen at the
// compute's first call, as one made before it is.
void GoRun::start_compute(std::uint32_t mi, sim::Time work, bool tight, sim::Time runtime) {
  M& m = ms_[mi];
  m.tight = tight;
  if (m.stall > 0) {  // the G's last fault slept in the kernel: that first, P held
    GMPSIM_CHECK(runtime == 0, "start_compute: runtime work before a stall");
    mem_stall(mi, Phase::kRunning, work, kWork);
    return;
  }
  m.burst_work = work;
  // A cooperative request that came while the G was in runtime code (its allocation, an assist) is seen
  // at the compute's first call.
  if (!tight && m.curg != kNoG && g_preempt(core_.gt[m.curg]) && prm_.preempt_spacing > 0 && work > prm_.preempt_spacing) {
    m.preempt_left = work - prm_.preempt_spacing;
    m.phase = Phase::kPreemptPoint;
    ks_.run_for(mi, prm_.preempt_spacing, kWork, runtime, kSched);
    return;
  }
  m.phase = Phase::kRunning;
  ks_.run_for(mi, work, kWork, runtime, kSched);
}

// One cycle, after the usleep (or deep sleep) returned.
void GoRun::sysmon_cycle(std::uint32_t mi) {
  const sim::Time now = core_.engine.now();
  if (sysmon_wait_) {  // woken from deep sleep (timeout, or a syscall's notewakeup)
    sysmon_wait_ = false;
    if (sysmon_syscall_wake_) {
      sysmon_idle_ = 0;
      sysmon_delay_ = prm_.sysmon_min_delay;
    }
    sysmon_syscall_wake_ = false;
  } else if (pidle_.size() == prm_.gomaxprocs) {
    // Deep sleep: every P is idle. Until the next timer or forcegcperiod/2; a syscall wakes it.
    sysmon_wait_ = true;
    ++sysmon_deep_sleeps_;
    sim::Time sleep = prm_.forcegc_period / 2;
    if (const sim::Time next = earliest_timer(); next != 0 && next - now < sleep) sleep = std::max<sim::Time>(0, next - now);
    ks_.sleep(mi, sleep);
    return;
  }
  ++sysmon_cycles_;
  // Poll the network if nobody has for 10 ms.
  if (netpoll_inited_ && lastpoll_ != 0 && lastpoll_ + prm_.sysmon_netpoll < now) {
    lastpoll_ = now;
    glist_.clear();
    netpoll_collect(glist_);
    ++sysmon_netpolls_;
    injectglist(kNoG, glist_);
  }
  // runtime.updatemaxprocs (go1.25+ sysmonUpdateGOMAXPROCS): re-read the default GOMAXPROCS once a second,
  // the CPUs the process may use and its cgroup CPU limit, only when GOMAXPROCS was not set. Neither changes
  // during a run, so a change (a procresize with its STW) is only counted.
  if (prm_.updatemaxprocs && now - last_gomaxprocs_check_ >= 1'000'000'000) {
    last_gomaxprocs_check_ = now;
    ++gomaxprocs_checks_;
    if (!prm_.gomaxprocs_set && prm_.default_gomaxprocs != prm_.gomaxprocs) ++gomaxprocs_changes_;
  }
  if (retake(now) != 0) {
    sysmon_idle_ = 0;
  } else {
    ++sysmon_idle_;
  }
  if (now - last_forcegc_ >= prm_.forcegc_period) {
    last_forcegc_ = now;
    ++forcegc_checks_;
  }
  // gcTrigger{kind: gcTriggerTime}.test(): a cycle has run, none for forcegcperiod, GOGC not off: the
  // forcegc helper goroutine is readied (injectglist) and starts one.
  if (prm_.pacer.gogc >= 0 && gc_.cycles > 0 && gc_.phase == GcPhase::kOff && !gc_.start_requested &&
      now - gc_.last_end > prm_.forcegc_period) {
    gc_.start_requested = true;
    gc_.time_trigger = true;
    startIdle(1, mi);
  }
  ms_[mi].phase = Phase::kSysmonSleep;
  ks_.run_for(mi, prm_.cost_sysmon + take_overhead(mi), kSched);  // with the wakes of Ms it started
}

// usleep(delay): 20 us while there is work, doubling after 50 idle cycles, capped at 10 ms.
void GoRun::sysmon_sleep(std::uint32_t mi) {
  if (sysmon_idle_ == 0) {
    sysmon_delay_ = prm_.sysmon_min_delay;
  } else if (sysmon_idle_ > prm_.sysmon_idle_cycles) {
    sysmon_delay_ *= 2;
  }
  sysmon_delay_ = std::min(sysmon_delay_, prm_.sysmon_max_delay);
  sysmon_sleeps_.record(sysmon_delay_);
  if (sysmon_first_sleeps_.size() < 64) sysmon_first_sleeps_.push_back(sysmon_delay_);
  ms_[mi].phase = Phase::kSysmon;
  ks_.sleep(mi, sysmon_delay_ + prm_.timer_slack);
}

void GoRun::sysmon_wake(std::uint32_t who) {
  if (!sysmon_wait_ || sysmon_ == kNoG) return;
  sysmon_syscall_wake_ = true;
  wake_thread(sysmon_, 0, who);
}

// retake: preempt long-running Ps and take Ps from long syscalls. Returns the Ps taken from syscalls.
std::uint32_t GoRun::retake(sim::Time now) {
  std::uint32_t n = 0;
  if (gc_.waiting) return 0;  // sysmon sleeps while the world stops
  for (std::uint32_t p = 0; p < ps_.size(); ++p) {
    P& pp = ps_[p];
    if (pp.status != PStatus::kRunning) continue;
    bool sysretake = false;
    if (pp.sm_schedtick != pp.schedtick) {
      pp.sm_schedtick = pp.schedtick;
      pp.sm_schedwhen = now;
    } else if (pp.sm_schedwhen + prm_.force_preempt <= now) {
      preemptone(p);
      // gcDrainMarkWorkerDedicated: a preempted dedicated worker sends its P's queue to the global one.
      if (pp.m != kNoG && ms_[pp.m].gc_worker == WorkerMode::kDedicated && !pp.runq.empty()) {
        for (RunqGet r = runqget(pp.runq); r.g != kNoG; r = runqget(pp.runq)) globrunqput(globq_g(r.g), r.g);
        sched_lock(kNoG);
      }
      sysretake = true;
      // No preemption can help a P stuck this long while others wait: the program would hang.
      if (pp.sm_schedwhen + prm_.starvation_limit <= now && runnable() > 0 && !starved_ && !pp.in_syscall) {
        starved_ = true;
        const std::uint32_t g = pp.m != kNoG ? ms_[pp.m].curg : kNoG;
        // The goroutine that has waited longest: a queue head, local or global.
        std::uint32_t waiting = global_.empty() ? kNoG : global_.at(0);
        for (const GlobalRunq& q : gq_) {
          if (!q.empty() && (waiting == kNoG || core_.gt[q.at(0)].ready_at < core_.gt[waiting].ready_at)) waiting = q.at(0);
        }
        for (const P& q : ps_) {
          for (std::uint32_t c : {q.runq.runnext, q.runq.size() > 0 ? q.runq.at(0) : kNoG}) {
            if (c != kNoG && (waiting == kNoG || core_.gt[c].ready_at < core_.gt[waiting].ready_at)) waiting = c;
          }
        }
        std::ostringstream os;
        if (waiting != kNoG) {
          os << "goroutine " << waiting << " (class " << core_.wl.classes[core_.gt[waiting].cls].name << ") never ran after t="
             << sim::to_seconds(core_.gt[waiting].ready_at) << " s: ";
        }
        os << "P" << p << " ran goroutine "
           << (g == kNoG ? std::string("?") : std::to_string(g) + " (class " + core_.wl.classes[core_.gt[g].cls].name + ")")
           << " for " << sim::to_seconds(now - pp.sm_schedwhen) << " s without a scheduling point"
           << (prm_.asyncpreemptoff ? " (asyncpreemptoff: a tight loop never yields)" : "")
           << ", at t=" << sim::to_seconds(now) << " s";
        starved_detail_ = os.str();
        core_.engine.stop();
        return n;
      }
    }
    if (!pp.in_syscall) continue;
    // A syscall must be seen on two consecutive cycles before its P is taken.
    if (!sysretake && pp.sm_syscalltick != pp.syscalltick) {
      pp.sm_syscalltick = pp.syscalltick;
      pp.sm_syscallwhen = now;
      continue;
    }
    // Nothing queued here and someone else can take global work: leave it for up to 10 ms.
    if (pp.runq.empty() && nmspinning_ + pidle_.size() > 0 && pp.sm_syscallwhen + prm_.syscall_grace > now) continue;
    // takeP: the M stays in its syscall without a P.
    const std::uint32_t m = pp.m;
    ms_[m].p = kNoG;
    pp.m = kNoG;
    pp.status = PStatus::kIdle;
    pp.in_syscall = false;
    ++pp.syscalltick;
    ++retakes_;
    ++n;
    handoffp(p, sysmon_);  // sysmon's thread pays the wake of the M it starts
  }
  return n;
}

// preemptone: ask the G running on P p to stop: the cooperative flag and, unless asyncpreemptoff, a signal.
void GoRun::preemptone(std::uint32_t p) {
  const std::uint32_t mi = ps_[p].m;
  if (mi == kNoG) return;
  M& m = ms_[mi];
  const std::uint32_t gp = m.curg;
  if (gp == kNoG && m.gc_worker != WorkerMode::kNone && m.phase == Phase::kGcWork) {
    // A mark worker is a goroutine too (gcBgMarkWorker): its gcDrain stops at the flag when it drains with
    // gcDrainUntilPreempt (idle and fractional workers; a dedicated one only kicks its run queue out, in
    // retake). gcDrain runs on the system stack, so the signal finds no asynchronous safe point.
    ++preempt_requests_;
    m.gc_preempt = true;
    if (!prm_.asyncpreemptoff) preemptM(mi);
    return;
  }
  if (gp == kNoG || m.in_syscall) return;  // g0 or a syscall: nothing to preempt
  ++preempt_requests_;
  if (starting(m)) {  // execute has not run: the request (to the previous G) is lost, its signal finds nothing
    if (!prm_.asyncpreemptoff) preemptM(mi);
    return;
  }
  trace(kTracePreempt, mi, gp, kTpRequest);
  set_g_preempt(core_.gt[gp], true);
  // Cooperative: a compute step with calls stops at its next preemption point (counted from the compute's
  // start when the request lands in the runtime work before it: start_compute).
  if (m.phase == Phase::kRunning && !m.tight) {
    sim::Time runtime = 0;
    const sim::Time left = ks_.interrupt(mi, &runtime) - runtime;
    const sim::Time done = m.burst_work - left;
    const sim::Time spacing = prm_.preempt_spacing;
    const sim::Time to_point = spacing == 0 ? 0 : spacing - done % spacing;
    if (to_point >= left) {
      ks_.run_for(mi, left, kWork, runtime, kSched);  // the step ends first; the next step boundary honours the request
    } else {
      m.preempt_left = left - to_point;
      m.phase = Phase::kPreemptPoint;
      ks_.run_for(mi, to_point, kWork, runtime, kSched);
    }
  }
  if (!prm_.asyncpreemptoff) preemptM(mi);
}

// preemptM: tgkill(SIGURG), at most one pending per M. The kernel delivers it after an IPI to a running
// thread, or when a blocked one is interrupted.
void GoRun::preemptM(std::uint32_t mi) {
  M& m = ms_[mi];
  if (m.signal_pending) return;
  m.signal_pending = true;
  ++signals_sent_;
  trace(kTracePreempt, mi, m.curg, kTpSignal);
  using State = kernel::Kernel::State;
  const sim::Time latency = ks_.state(mi) == State::kBlocked ? prm_.signal_blocked : prm_.signal_ipi;
  core_.engine.schedule_in(latency, sim::kBandDefault, kSignal, mi);
}

// doSigPreempt: if the G still wants preemption and the signal landed at an async safe point, the G is
// preempted where it is (asyncPreempt -> gopreempt_m); the handler's CPU time is the M's.
void GoRun::signal_delivered(std::uint32_t mi) {
  M& m = ms_[mi];
  // The kernel runs a handler when the thread returns to user mode: a thread that is queued but off the CPU
  // (preempted by the kernel, or its cgroup throttled) takes the signal only once it runs again. (A blocked
  // one was interrupted and is handled by the phase checks below.)
  if (ks_.state(mi) == kernel::Kernel::State::kRunnable || ks_.state(mi) == kernel::Kernel::State::kWaking) {
    core_.engine.schedule_in(prm_.signal_ipi, sim::kBandDefault, kSignal, mi);
    return;
  }
  m.signal_pending = false;
  const std::uint32_t gp = m.curg;
  if (gp == kNoG || !g_preempt(core_.gt[gp]) || m.in_syscall) return;
  if (m.phase != Phase::kRunning && m.phase != Phase::kPreemptPoint) return;  // not in the G's own code
  sim::Time runtime = 0;
  sim::Time left = ks_.interrupt(mi, &runtime);
  if (runtime > 0) {  // still in the runtime work before the compute (start_compute): not its own code
    ks_.run_for(mi, left - runtime, kWork, runtime, kSched);
    return;
  }
  if (preempt_rng_.uniform01() < prm_.async_unsafe_fraction) {
    ++preempt_unsafe_;
    ks_.run_for(mi, left, kWork);
    return;
  }
  if (m.phase == Phase::kPreemptPoint) left += m.preempt_left;
  trace(kTracePreempt, mi, gp, kTpAsync);
  gopreempt_m(mi, left, prm_.signal_self, true);
}

// gopreempt_m -> goschedImpl(preempted): the G goes to the global queue's tail with its unfinished
// compute kept for when it runs again.
void GoRun::gopreempt_m(std::uint32_t mi, sim::Time left, sim::Time prior, bool async) {
  M& m = ms_[mi];
  const std::uint32_t gp = m.curg;
  if (async) ++preempt_async_; else ++preempt_coop_;
  keep_compute(mi, left, m.tight);
  set_g_preempt(core_.gt[gp], false);
  // preemptPark: a G that suspendG asked to stop (gp.preemptStop) waits for its stack scan on no queue;
  // resumeG then readies it on the scanning M's P (suspend_resolve). Any other goes to the global queue.
  const std::uint32_t scanner = gc_.suspends.empty() ? kNoG : suspend_resolve(gp);
  casgstatus(gp, GStatus::kRunning, GStatus::kRunnable);
  core_.gt[gp].ready_at = core_.engine.now();
  if (scanner != kNoG) {
    resumeG(scanner, gp);
  } else {
    globrunqput(globq_g(gp), gp);
  }
  m.curg = kNoG;
  schedule(mi, prior + take_overhead(mi) + sched_lock(mi));
}

}  // namespace gmpsim::models::go
