// The scheduler's trace for the Perfetto writer (models/output/perfetto.h), when a front end asks for it
// (RunOptions::scheduler_trace). Goroutine status changes, wake-ups, steals, hand-offs and preemptions are
// emitted where they happen (casgstatus, goready, stealWork, handoffp, preemptone/preemptM); the state of
// every M, P and CPU and the counters are compared after each event with what was last emitted, and only
// changes are emitted. Comparing after the event rather than hooking every assignment keeps the model's
// code as it was and catches every path that changes an M (there are dozens: startm, stopm, acquirep,
// the GC's, the poller's); an event is one instant, so the times are exact. The cost is O(Ms + Ps + CPUs)
// per event, only while tracing; without it, one branch per event and per status change.
#include "models/go/gorun.h"

namespace gmpsim::models {

const char* trace_wait_reason_name(std::uint32_t reason) {
  return go::wait_reason_name(static_cast<go::WaitReason>(reason), false);
}

}  // namespace gmpsim::models

namespace gmpsim::models::go {

// A goroutine's status change; one that starts running names its M (m.curg is set before execute), and
// the scan sends that M's state again after the event (the writer showed the G on it at once).
void GoRun::trace_g_slow(std::uint32_t g, GStatus status) {
  const Goroutine& gr = core_.gt[g];
  std::uint32_t on = kTraceNone;
  if (status == GStatus::kRunning) {
    for (std::uint32_t mi = 0; mi < ms_.size(); ++mi) {
      if (ms_[mi].curg == g) on = mi;
    }
    if (on < tr_m_.size()) tr_m_[on] = kTraceNone;
  }
  core_.engine.tracer().emit({core_.engine.now(), kTraceGoStatus, g,
                              gr.cls | static_cast<std::uint32_t>(status) << 16 | static_cast<std::uint32_t>(g_reason(gr)) << 24, on});
}

void GoRun::trace_scan() {
  const sim::Time now = core_.engine.now();
  sim::Tracer& tr = core_.engine.tracer();
  // CPUs: the thread each runs (M ids are the kernel's thread ids: newm checks it).
  tr_cpu_.resize(ks_.cpus(), kTraceNone - 1);
  for (std::uint32_t c = 0; c < tr_cpu_.size(); ++c) {
    const std::uint32_t tid = ks_.running_on(c);
    if (tid == tr_cpu_[c]) continue;
    tr_cpu_[c] = tid;
    tr.emit({now, kTraceCpu, c, tid, 0});
  }
  // Ps.
  tr_p_.resize(ps_.size(), kTraceNone);
  tr_pm_.resize(ps_.size(), kTraceNone - 1);
  for (std::uint32_t p = 0; p < ps_.size(); ++p) {
    const auto st = static_cast<std::uint32_t>(ps_[p].status);
    if (st == tr_p_[p] && ps_[p].m == tr_pm_[p]) continue;
    tr_p_[p] = st;
    tr_pm_[p] = ps_[p].m;
    tr.emit({now, kTracePState, p, st, ps_[p].m == kNoG ? kTraceNone : ps_[p].m});
  }
  // Ms.
  tr_m_.resize(ms_.size(), kTraceNone);
  tr_mg_.resize(ms_.size(), kTraceNone - 1);
  for (std::uint32_t mi = 0; mi < ms_.size(); ++mi) {
    const M& m = ms_[mi];
    std::uint32_t st = kTmScheduling, g = kTraceNone;
    if (m.curg != kNoG && (g_status(core_.gt[m.curg]) == GStatus::kRunning || g_status(core_.gt[m.curg]) == GStatus::kSyscall)) {
      g = m.curg;
      st = g_status(core_.gt[g]) == GStatus::kSyscall ? kTmSyscall : kTmRunning;
    } else if (m.dead) {
      st = kTmDead;
    } else if (mi == sysmon_) {
      st = kTmSysmon;
    } else if (gc_.stw_m == mi || (m.p != kNoG && ps_[m.p].status == PStatus::kGcStop)) {
      st = kTmGcStop;
    } else if (m.gc_worker != WorkerMode::kNone) {
      st = kTmGcWorker;
    } else if (poller_ == mi) {
      st = kTmNetpoll;
    } else if (m.p == kNoG) {
      st = kTmIdle;
    } else if (m.spinning) {
      st = kTmSpinning;
    }
    const std::uint32_t word = st | (m.p == kNoG ? 0 : (m.p + 1) << 8);
    if (word == tr_m_[mi] && g == tr_mg_[mi]) continue;
    tr_m_[mi] = word;
    tr_mg_[mi] = g;
    tr.emit({now, kTraceMState, mi, word, g});
  }
  // Counters.
  auto counter = [&](std::uint32_t id, std::uint32_t index, std::int64_t v, std::int64_t& last) {
    if (v == last && tr_started_) return;
    last = v;
    const auto u = static_cast<std::uint64_t>(v);
    tr.emit({now, kTraceCounter, id | index << 8, static_cast<std::uint32_t>(u >> 32), static_cast<std::uint32_t>(u)});
  };
  tr_runq_.resize(ps_.size(), 0);
  for (std::uint32_t p = 0; p < ps_.size(); ++p) {
    counter(kTcRunq, p, ps_[p].runq.size() + (ps_[p].runq.runnext != kNoG ? 1 : 0), tr_runq_[p]);
  }
  counter(kTcGlobalRunq, 0, static_cast<std::int64_t>(globq_size()), tr_ctr_[kTcGlobalRunq]);
  counter(kTcLive, 0, static_cast<std::int64_t>(core_.gt.live()), tr_ctr_[kTcLive]);
  counter(kTcSpinning, 0, nmspinning_, tr_ctr_[kTcSpinning]);
  if (trace_heap_) {
    counter(kTcHeapLive, 0, gc_.heap_live, tr_ctr_[kTcHeapLive]);
    counter(kTcHeapGoal, 0, gc_.goal == kNoLimit ? 0 : gc_.goal, tr_ctr_[kTcHeapGoal]);
    counter(kTcGcPhase, 0, static_cast<std::int64_t>(gc_.phase), tr_ctr_[kTcGcPhase]);
  }
  tr_started_ = true;
}

}  // namespace gmpsim::models::go
