// Observation of the `go` model: schedtrace lines (proc.go schedtrace), counters and memory for the
// summary, invariants checked after every event in checked builds, and the run loop's outcomes.
#include <sstream>

#include "models/go/gorun.h"
#include "models/run_loop.h"

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
    case WaitReason::kCount: break;
  }
  return "?";
}

std::size_t GoRun::runnable() const {
  std::size_t n = global_.size();
  for (const P& p : ps_) n += p.runq.size() + (p.runq.runnext != kNoG ? 1 : 0);
  return n;
}

std::size_t GoRun::running() const {
  std::size_t n = 0;
  for (const M& m : ms_) n += (m.curg != kNoG && (m.phase == Phase::kRunning || m.phase == Phase::kOverhead)) ? 1 : 0;
  return n;
}

std::uint64_t GoRun::asleep() const { return gt_.live() - netpoll_waiters_ - sleeping_; }

// G conservation and P/M consistency, after every event in checked builds.
void GoRun::check_invariants() const {
  std::size_t reserved = 0;
  for (const M& m : ms_) reserved += m.curg != kNoG ? 1 : 0;
  GMPSIM_CHECK(gt_.live() == runnable() + reserved + sync_.parked + sleeping_ + netpoll_waiters_,
               "go: a live goroutine is in no queue, on no M, and not parked");
  GMPSIM_CHECK(nmspinning_ <= ms_.size(), "go: nmspinning exceeds the number of Ms");
  std::uint64_t timers = 0;
  for (std::uint32_t p = 0; p < ps_.size(); ++p) {
    GMPSIM_CHECK((ps_[p].status == PStatus::kIdle) == (ps_[p].m == kNoG), "go: P status and owner disagree");

    timers += ps_[p].timers.size();
  }
  GMPSIM_CHECK(timers == sleeping_, "go: a sleeping goroutine has no timer");
  // A P handed off (handoffp -> startm) is idle but not on the idle list while its new M wakes.
  for (std::uint32_t p : pidle_) GMPSIM_CHECK(ps_[p].runq.empty(), "go: a P on the idle list holds runnable goroutines");
  GMPSIM_CHECK((lastpoll_ == 0) == (poller_ != kNoG), "go: lastpoll and the blocking poller disagree");
}

// proc.go schedtrace: the lines GODEBUG=schedtrace=X (and scheddetail=1) print. Fields the model does
// not have yet print as the runtime's zero value (mallocing, locks, ...); G lines cover live goroutines
// only (the runtime also lists dead ones, which it never frees).
void GoRun::schedtrace() {
  const bool old = prm_.old_trace_format, detailed = prm_.scheddetail;
  const std::string nil = old ? "-1" : "nil";
  auto id_or_nil = [&](std::uint32_t id) { return id == kNoG ? nil : std::to_string(id); };
  std::ostringstream os;
  os << "SCHED " << engine_.now() / 1'000'000 << "ms: gomaxprocs=" << prm_.gomaxprocs << " idleprocs=" << pidle_.size()
     << " threads=" << ms_.size() - threads_exited_ << " spinningthreads=" << nmspinning_;
  if (!old) os << " needspinning=0";
  os << " idlethreads=" << midle_.size() << " runqueue=" << global_.size();
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
      const bool blocked = ks_.state(i) == kernel::ThreadScheduler<GoRun>::State::kBlocked;
      os << "  M" << i << ": p=" << id_or_nil(m.p) << " curg=" << id_or_nil(m.curg) << " mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning="
         << (m.spinning ? "true" : "false") << " blocked=" << (blocked ? "true" : "false") << " lockedg=" << id_or_nil(m.lockedg) << "\n";
    }
    for (std::uint32_t g = 0; g < gt_.capacity(); ++g) {
      if (!gt_.is_live(g)) continue;
      const GStatus status = g_status(gt_[g]);
      std::uint32_t on_m = kNoG;
      for (std::uint32_t i = 0; i < ms_.size() && status == GStatus::kRunning; ++i) {
        if (ms_[i].curg == g) on_m = i;
      }
      const char* reason = status == GStatus::kWaiting ? wait_reason_name(g_reason(gt_[g]), old) : "";
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

// Runtime memory as the Go heap and stacks hold it: g structs and their stacks for every G ever live at
// once (allgs never shrinks, dead Gs keep standard stacks), stack growth of live Gs, a sudog per parked
// wait at the peak, and per-M memory. No GC yet, so no garbage and no heap of the program itself.
std::int64_t GoRun::memory_bytes() const {
  return static_cast<std::int64_t>(allgs_) * (prm_.mem_g + prm_.mem_stack) + extra_stack_bytes_ +
         static_cast<std::int64_t>(peak_parked_) * prm_.mem_sudog + static_cast<std::int64_t>(ms_.size()) * prm_.mem_m;
}

void GoRun::check_memory() {
  const std::int64_t now = memory_bytes();
  if (now > peak_memory_) peak_memory_ = now;
  if (now <= prm_.memory_limit || oom_) return;
  oom_ = true;
  oom_detail_ = "runtime memory reached " + std::to_string(now) + " bytes (" + std::to_string(allgs_) + " goroutines, " +
                std::to_string(ms_.size()) + " threads), over machine.memory = " + std::to_string(prm_.memory_limit) + " bytes";
  engine_.stop();
}

Json GoRun::memory_json() const {
  const double per_g = static_cast<double>(prm_.mem_g + prm_.mem_stack);
  return {{"peak_bytes", peak_memory_},
          {"at_end", memory_bytes()},
          {"g_structs_bytes", static_cast<std::int64_t>(allgs_) * prm_.mem_g},
          {"stacks_bytes", static_cast<std::int64_t>(allgs_) * prm_.mem_stack + extra_stack_bytes_},
          {"stack_growth_at_end", extra_stack_bytes_},
          {"sudogs_bytes", static_cast<std::int64_t>(peak_parked_) * prm_.mem_sudog},
          {"threads_bytes", static_cast<std::int64_t>(ms_.size()) * prm_.mem_m},
          {"allgs", allgs_},
          {"bytes_per_goroutine", per_g},
          {"bytes_per_parked_goroutine", per_g + static_cast<double>(prm_.mem_sudog)},
          {"note", "g structs, stacks, sudogs and threads; no GC or program heap yet"}};
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
  c["runnext_steals"] = runnext_steals_;
  c["runnext_hits"] = runnext_hits_;
  c["global_runq_takes"] = global_takes_;
  c["global_runq_overflow_moves"] = global_overflow_;
  c["kernel_preemptions"] = ks_.preemptions();
  c["sched_lock"] = {{"acquisitions", lock_acquires_}, {"wait_ns", lock_wait_}};
  c["allocated_bytes"] = allocated_bytes_;
  c["stack_growths"] = stack_growths_;
  c["timers"] = {{"run", timers_run_}, {"run_by_thieves", timers_stolen_}};
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
  for (std::size_t cls = 0; cls < wl_.classes.size(); ++cls) {
    Json by_reason = Json::object();
    for (std::size_t r = 1; r < static_cast<std::size_t>(WaitReason::kCount); ++r) {
      const ParkedTime& t = parked_time_[cls * static_cast<std::size_t>(WaitReason::kCount) + r];
      if (t.count == 0) continue;
      by_reason[wait_reason_name(static_cast<WaitReason>(r), false)] = {
          {"count", t.count}, {"total_s", sim::to_seconds(t.total)}, {"mean_s", sim::to_seconds(t.total) / static_cast<double>(t.count)}};
    }
    if (!by_reason.empty()) parked[wl_.classes[cls].name] = by_reason;
  }
  c["parked_by_reason"] = parked;
  // Per class, with the histogram's buckets ([low ns, high ns, count], the layout of latency.csv).
  Json by_class = Json::object();
  for (std::size_t cls = 0; cls < sleep_lateness_class_.size(); ++cls) {
    const sim::LogHistogram& h = sleep_lateness_class_[cls];
    if (h.count() == 0) continue;
    Json buckets = Json::array();
    for (const auto& b : h.buckets()) buckets.push_back({b.low, b.high, b.count});
    by_class[wl_.classes[cls].name] = {{"count", h.count()}, {"mean_s", h.mean() * 1e-9},
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
  return c;
}

Outcome GoRun::loop(std::chrono::steady_clock::time_point wall0) {
  auto dispatcher = [this](const sim::Event& ev) {
    dispatch(ev);
    check_invariants();
  };
  auto runaway = [this]() -> std::string {
    if (oom_ || threads_exhausted_ || starved_) return "";
    return runaway_detail(wl_, gt_, runaway_);
  };
  Outcome o = run_events(engine_, sc_.run, dispatcher, runaway_ != kNoG, runaway, wall0);
  if (threads_exhausted_) {
    o = {OutcomeStatus::kThreadExhaustion, "runtime: program exceeds " + std::to_string(prm_.max_threads) +
                                               "-thread limit (runtime.max_threads, debug.SetMaxThreads) at t=" +
                                               std::to_string(sim::to_seconds(engine_.now())) + " s"};
  }
  if (starved_) o = {OutcomeStatus::kStarved, starved_detail_};
  if (oom_) o = {OutcomeStatus::kOutOfMemory, oom_detail_ + ", at t=" + std::to_string(sim::to_seconds(engine_.now())) + " s"};
  return o;
}

}  // namespace gmpsim::models::go
