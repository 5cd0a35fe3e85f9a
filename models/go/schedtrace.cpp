// The `go` model's schedtrace and counters: the lines GODEBUG=schedtrace=X,scheddetail=1 prints (proc.go
// schedtrace, go1.26.8 and go1.19.8 formats), the run queue counts it and the run's samples use, and the
// counters of the summary.
#include <sstream>

#include "models/go/gorun.h"

namespace gmpsim::models::go {

const char* wait_reason_name(WaitReason r, bool old_names) {
  switch (r) {
    case WaitReason::kNone: return "";
    case WaitReason::kChanReceive: return "chan receive";
    case WaitReason::kChanSend: return "chan send";
    case WaitReason::kSelect: return "select";
    case WaitReason::kMutex: return old_names ? "semacquire" : "sync.Mutex.Lock";
    case WaitReason::kSleep: return "sleep";
    case WaitReason::kIOWait: return "IO wait";
    case WaitReason::kWaitGroup: return old_names ? "semacquire" : "sync.WaitGroup.Wait";
    case WaitReason::kGcCycle: return "wait for GC cycle";
    case WaitReason::kGcAssist: return "GC assist wait";
    case WaitReason::kCount: break;
  }
  return "?";
}

std::size_t GoRun::runnable() const {
  std::size_t n = globq_size();
  for (const P& p : ps_) n += p.runq.size() + (p.runq.runnext != kNoG ? 1 : 0);
  return n;
}

std::size_t GoRun::running() const {
  std::size_t n = 0;
  for (const M& m : ms_) n += (m.curg != kNoG && (m.phase == Phase::kRunning || m.phase == Phase::kOverhead)) ? 1 : 0;
  return n;
}

// proc.go schedtrace: the lines GODEBUG=schedtrace=X (and scheddetail=1) print. Fields the model does
// not have print as the runtime's zero value (mallocing, locks, ...); G lines cover live goroutines only
// (the runtime also lists dead ones, which it never frees).
void GoRun::schedtrace() {
  const bool old = prm_.old_trace_format, detailed = prm_.scheddetail;
  const std::string nil = old ? "-1" : "nil";
  auto id_or_nil = [&](std::uint32_t id) { return id == kNoG ? nil : std::to_string(id); };
  std::ostringstream os;
  os << "SCHED " << core_.engine.now() / 1'000'000 << "ms: gomaxprocs=" << prm_.gomaxprocs << " idleprocs=" << pidle_.size()
     << " threads=" << ms_.size() - threads_exited_ << " spinningthreads=" << nmspinning_;
  if (!old) os << " needspinning=0";
  os << " idlethreads=" << midle_.size() << " runqueue=" << globq_size();
  if (detailed) {
    os << " gcwaiting=" << (old ? "0" : "false") << " nmidlelocked=" << nmidlelocked_ << " stopwait=0 sysmonwait=" << (old ? "0" : "false") << "\n";
    for (std::uint32_t i = 0; i < ps_.size(); ++i) {
      const P& p = ps_[i];
      const int status = old && p.in_syscall ? 2 : static_cast<int>(p.status);  // go1.19: _Psyscall
      os << "  P" << i << ": status=" << status << " schedtick=" << p.schedtick << " syscalltick=" << p.syscalltick << " m="
         << id_or_nil(p.m) << " runqsize=" << p.runq.size() << " gfreecnt=" << p.gfree.gs.size() << " timerslen=" << p.timers.size() << "\n";
    }
    for (std::uint32_t i = 0; i < ms_.size(); ++i) {
      const M& m = ms_[i];
      const bool blocked = ks_.state(i) == kernel::Kernel::State::kBlocked;
      os << "  M" << i << ": p=" << id_or_nil(m.p) << " curg=" << id_or_nil(m.curg) << " mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning="
         << (m.spinning ? "true" : "false") << " blocked=" << (blocked ? "true" : "false") << " lockedg=" << id_or_nil(m.lockedg) << "\n";
    }
    for (std::uint32_t g = 0; g < core_.gt.capacity(); ++g) {
      if (!core_.gt.is_live(g)) continue;
      const GStatus status = g_status(core_.gt[g]);
      std::uint32_t on_m = kNoG;
      for (std::uint32_t i = 0; i < ms_.size() && status == GStatus::kRunning; ++i) {
        if (ms_[i].curg == g) on_m = i;
      }
      const char* reason = status == GStatus::kWaiting ? wait_reason_name(g_reason(core_.gt[g]), old) : "";
      const std::uint32_t locked = g < lockedm_.size() ? lockedm_[g] : kNoG;
      os << "  G" << g << ": status=" << static_cast<int>(status) << "(" << reason << ") m=" << id_or_nil(on_m) << " lockedm=" << id_or_nil(locked) << "\n";
    }
  } else {
    for (std::uint32_t i = 0; i < ps_.size(); ++i) {
      os << " " << (i == 0 ? (old ? "[" : "[ ") : "") << ps_[i].runq.size();
      if (i + 1 == ps_.size()) os << (old ? "]" : " ]");
    }
    if (!old) {
      os << " schedticks=[ ";
      for (const P& p : ps_) os << p.schedtick << " ";
      os << "]";
    }
    os << "\n";
  }
  schedtrace_.push_back(os.str());
}

Json GoRun::counters(sim::Time end) const {
  Json c = Json::object();
  c["gomaxprocs"] = prm_.gomaxprocs;
  c["threads_created"] = ms_.size();
  c["threads_idle_at_end"] = midle_.size();
  c["spinning_peak"] = peak_spinning_;
  c["steal_rounds"] = steal_rounds_;
  c["steals"] = steals_;
  c["stolen_goroutines"] = stolen_gs_;
  c["cache_line_transfers"] = line_transfers_;
  c["g_cold_touches"] = g_cold_touches_;
  if (numa_) c["numa"] = numa_json();
  c["runnext_steals"] = runnext_steals_;
  c["runnext_hits"] = runnext_hits_;
  c["global_runq_takes"] = global_takes_;
  c["global_runq_overflow_moves"] = global_overflow_;
  c["kernel_preemptions"] = ks_.preemptions();
  c["sched_lock"] = {{"acquisitions", lock_acquires_}, {"wait_ns", lock_wait_}};
  c["allocated_bytes"] = core_.allocated_bytes;
  c["gc"] = gc_json(end);
  c["stack_growths"] = stack_growths_;
  c["timers"] = {{"run", timers_run_}, {"run_by_thieves", timers_stolen_}};
  c["fds"] = fds_json();
  c["netpoll"] = {{"polls", netpolls_}, {"blocking_polls", netpoll_blocking_}, {"breaks", netpoll_breaks_},
                  {"goroutines_readied", netpoll_ready_gs_}};
  c["sysmon"] = {{"cycles", sysmon_cycles_}, {"deep_sleeps", sysmon_deep_sleeps_}, {"netpolls", sysmon_netpolls_},
                 {"gomaxprocs_checks", gomaxprocs_checks_}, {"gomaxprocs_changes", gomaxprocs_changes_}, {"forcegc_checks", forcegc_checks_},
                 {"sleep_us", {{"count", sysmon_sleeps_.count()}, {"p50", sysmon_sleeps_.percentile(0.5) / 1e3},
                               {"p90", sysmon_sleeps_.percentile(0.9) / 1e3}, {"max", sysmon_sleeps_.max() / 1e3}}}};
  Json first = Json::array();
  for (sim::Time d : sysmon_first_sleeps_) first.push_back(d / 1000);
  c["sysmon"]["first_sleeps_us"] = first;
  c["preemption"] = {{"requests", preempt_requests_}, {"cooperative", preempt_coop_}, {"async", preempt_async_},
                     {"failed_unsafe_point", preempt_unsafe_}, {"signals_sent", signals_sent_}};
  c["syscalls"] = {{"calls", syscalls_}, {"retakes", retakes_}, {"handoffs", handoffs_},
                   {"fast_exits", syscall_fast_exits_}, {"slow_exits", syscall_slow_exits_}};
  c["threads_peak"] = ms_.size();
  c["threads_exited"] = threads_exited_;
  c["locked_handoffs"] = locked_handoffs_;
  c["mutex"] = {{"spins", mutex_spins_}, {"starvation_entries", mutex_starvations_}, {"handoffs", mutex_handoffs_}};
  // Time parked by class and reason (measured window), and time.Sleep lateness.
  Json parked = Json::object();
  for (std::size_t cls = 0; cls < core_.wl.classes.size(); ++cls) {
    Json by_reason = Json::object();
    for (std::size_t r = 1; r < static_cast<std::size_t>(WaitReason::kCount); ++r) {
      const ParkedTime& t = parked_time_[cls * static_cast<std::size_t>(WaitReason::kCount) + r];
      if (t.count == 0) continue;
      by_reason[wait_reason_name(static_cast<WaitReason>(r), false)] = {
          {"count", t.count}, {"total_s", sim::to_seconds(t.total)}, {"mean_s", sim::to_seconds(t.total) / static_cast<double>(t.count)}};
    }
    if (!by_reason.empty()) parked[core_.wl.classes[cls].name] = by_reason;
  }
  c["parked_by_reason"] = parked;
  // Per class, with the histogram's buckets ([low ns, high ns, count], the layout of latency.csv).
  Json by_class = Json::object();
  for (std::size_t cls = 0; cls < sleep_lateness_class_.size(); ++cls) {
    const sim::LogHistogram& h = sleep_lateness_class_[cls];
    if (h.count() == 0) continue;
    Json buckets = Json::array();
    for (const auto& b : h.buckets()) buckets.push_back({b.low, b.high, b.count});
    by_class[core_.wl.classes[cls].name] = {{"count", h.count()}, {"mean_s", h.mean() * 1e-9},
                                       {"p50_s", static_cast<double>(h.percentile(0.5)) * 1e-9},
                                       {"p99_s", static_cast<double>(h.percentile(0.99)) * 1e-9},
                                       {"buckets_ns", buckets}};
  }
  if (!by_class.empty()) c["sleep_lateness_by_class"] = by_class;
  if (sleep_lateness_.count() > 0) {
    c["sleep_lateness_s"] = {{"count", sleep_lateness_.count()},
                             {"mean", sleep_lateness_.mean() * 1e-9},
                             {"p50", static_cast<double>(sleep_lateness_.percentile(0.5)) * 1e-9},
                             {"p90", static_cast<double>(sleep_lateness_.percentile(0.9)) * 1e-9},
                             {"p99", static_cast<double>(sleep_lateness_.percentile(0.99)) * 1e-9},
                             {"max", static_cast<double>(sleep_lateness_.max()) * 1e-9}};
  }
  const double cpu_s = sim::to_seconds(end) * static_cast<double>(ks_.cpus());
  c["cpu_fraction"] = {{"goroutine_work", cpu_s > 0 ? sim::to_seconds(ks_.busy(kWork)) / cpu_s : 0.0},
                       {"scheduler", cpu_s > 0 ? sim::to_seconds(ks_.busy(kSched)) / cpu_s : 0.0},
                       {"spinning", cpu_s > 0 ? sim::to_seconds(ks_.busy(kSpin)) / cpu_s : 0.0}};
  c["gomaxprocs"] = prm_.gomaxprocs;
  kernel::add_kernel_counters(ks_, end, c);
  return c;
}

}  // namespace gmpsim::models::go
