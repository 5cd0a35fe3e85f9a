// System calls in the `go` model (proc.go entersyscall/exitsyscall/entersyscallblock/handoffp), pinned
// to go1.26, where the P stays _Prunning with its M during a syscall and sysmon takes it with takeP;
// go1.19's _Psyscall state behaves the same for scheduling and only prints differently in schedtrace.
//   - blocking (entersyscall): the thread blocks in the kernel; the P waits for it until sysmon's retake
//     takes it (two observations, the 10 ms grace rule) and hands it off.
//   - known_blocking (entersyscallblock): the P is handed off at once.
//   - raw (RawSyscall): the runtime is not told; the P stays held and nobody can take it.
//   - cgo: entersyscall, while the thread runs C code on a CPU.
// exitsyscall takes the old P back if it is still there, else an idle P, else queues the G globally and
// parks the M (stopm). Threads grow when Ms block and handed-off Ps need Ms.
#include "models/go/gorun.h"

namespace gmpsim::models::go {

// entersyscall (entersyscallblock for known_blocking): the entry's cost has been paid; now the call itself.
void GoRun::entersyscall(std::uint32_t mi) {
  runSafePointFn(mi);  // reentersyscall: a P about to be in a syscall runs a pending forEachP function first
  M& m = ms_[mi];
  const std::uint32_t gp = m.curg;
  switch (m.syscall_kind) {
    case SyscallKind::kRaw:
      m.phase = Phase::kRawReturn;
      ks_.sleep(mi, m.syscall_time, false);  // the call's end is not a timer
      return;
    case SyscallKind::kKnownBlocking: {
      casgstatus(gp, GStatus::kRunning, GStatus::kSyscall);
      m.in_syscall = true;
      sysmon_wake(mi);
      handoffp(releasep(mi), mi);
      m.phase = Phase::kExitsyscall;
      ks_.sleep(mi, m.syscall_time, false);  // the call's end is not a timer
      return;
    }
    case SyscallKind::kBlocking:
    case SyscallKind::kCgo:
      casgstatus(gp, GStatus::kRunning, GStatus::kSyscall);
      m.in_syscall = true;
      ps_[m.p].in_syscall = true;
      sysmon_wake(mi);  // entersyscall_sysmon
      m.phase = Phase::kExitsyscall;
      if (m.syscall_kind == SyscallKind::kCgo) {
        ks_.run_for(mi, m.syscall_time, kWork);  // C code runs on the CPU
      } else {
        ks_.sleep(mi, m.syscall_time, false);  // the call's end is not a timer
      }
      return;
  }
}

void GoRun::exitsyscall(std::uint32_t mi) {
  M& m = ms_[mi];
  const std::uint32_t gp = m.curg;
  m.in_syscall = false;
  sysmon_wake(mi);
  if (m.p != kNoG) {  // fast path: our P was not taken
    P& pp = ps_[m.p];
    pp.in_syscall = false;
    ++pp.syscalltick;
    ++syscall_fast_exits_;
    casgstatus(gp, GStatus::kSyscall, GStatus::kRunning);
    continue_g(mi);
    return;
  }
  if (!pidle_.empty()) {  // exitsyscallfast_pidle
    acquirep(mi, pidleget());
    ++ps_[m.p].syscalltick;
    ++syscall_fast_exits_;
    casgstatus(gp, GStatus::kSyscall, GStatus::kRunning);
    continue_g(mi);
    return;
  }
  // exitsyscall0: no P: the G waits on the global queue and the M parks.
  ++syscall_slow_exits_;
  casgstatus(gp, GStatus::kSyscall, GStatus::kRunnable);
  core_.gt[gp].ready_at = core_.engine.now();
  globrunqput(globq_g(gp), gp);
  sched_lock(mi);
  m.curg = kNoG;
  if (m.lockedg != kNoG) {  // a locked M waits for its G to be scheduled (stoplockedm), not on the idle list
    stoplockedm(mi);
    return;
  }
  stopm(mi);
}

// handoffp: a P released by a syscall (or a retake) gets an M if there is work for it or nobody is
// looking for work; otherwise it goes idle.
void GoRun::handoffp(std::uint32_t p, std::uint32_t who) {
  ++handoffs_;
  trace(kTraceHandoff, p, ps_[p].m, 0);
  if (gc_.waiting) {  // a stop-the-world is collecting Ps
    gc_p_stopped(p, who);
    return;
  }
  P& pp = ps_[p];
  if (!pp.runq.empty() || !globq_empty()) {
    startm(p, false, who);
    return;
  }
  if (nmspinning_ + pidle_.size() == 0) {  // no one spins and no P is idle: start a spinning M
    ++nmspinning_;
    peak_spinning_ = std::max(peak_spinning_, nmspinning_);
    startm(p, true, who);
    return;
  }
  sched_lock(kNoG);
  // The last running P, and nobody polls the network: someone must.
  if (pidle_.size() == prm_.gomaxprocs - 1 && lastpoll_ != 0 && netpoll_inited_) {
    startm(p, false, who);
    return;
  }
  pidleput(p, who);
  if (!pp.timers.empty()) wakeNetPoller(who, pp.next_timer());
}

// ---- LockOSThread (proc.go lockOSThread, stoplockedm, startlockedm, mexit) ----
// A locked G runs only on its M, and its M runs only it: when the G blocks, the M gives its P away and
// sleeps (stoplockedm); when another M's schedule picks the G, that M hands its P to the locked M and
// stops (startlockedm), two futex hand-offs. A G that exits while locked takes its thread with it.

void GoRun::on_lock_thread(bool lock) {
  M& m = ms_[cur_m_];
  const std::uint32_t gp = m.curg;
  if (lockedm_.size() <= gp) lockedm_.resize(core_.gt.capacity(), kNoG);
  m.lockedg = lock ? gp : kNoG;
  lockedm_[gp] = lock ? cur_m_ : kNoG;
}

void GoRun::stoplockedm(std::uint32_t mi) {
  M& m = ms_[mi];
  if (m.p != kNoG) handoffp(releasep(mi), mi);
  ++nmidlelocked_;
  m.phase = Phase::kLockedWake;
  ks_.block(mi);
}

// M mi picked gp, which is locked to another M: give that M our P and park.
void GoRun::startlockedm(std::uint32_t mi, std::uint32_t gp, sim::Time cost) {
  const std::uint32_t locked = lockedm_[gp];
  M& lm = ms_[locked];
  ++locked_handoffs_;
  lm.nextp = releasep(mi);
  lm.curg = gp;
  --nmidlelocked_;
  wake_thread(locked, 0, mi);  // paid with the M's next burst: it parks at once
  (void)cost;  // the decision's cost is dropped with the hand-off: this M parks at once
  stopm(mi);
}

void GoRun::locked_wake(std::uint32_t mi) {
  M& m = ms_[mi];
  acquirep(mi, m.nextp);
  m.nextp = kNoG;
  ++ps_[m.p].schedtick;
  m.phase = Phase::kExecute;
  ks_.run_for(mi, prm_.cost_schedule, kSched);
}

// mexit: the thread ends; its P goes to another M.
void GoRun::mexit(std::uint32_t mi) {
  M& m = ms_[mi];
  m.dead = true;
  ++threads_exited_;
  handoffp(releasep(mi), mi);
  ks_.block(mi);
}

}  // namespace gmpsim::models::go
