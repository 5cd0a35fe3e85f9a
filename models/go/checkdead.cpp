// How a `go` run ends and what holds while it runs: the invariants checked after every event in checked
// builds, checkdead's count of goroutines nothing but another goroutine could wake (the deadlock outcome),
// runtime memory accounting against machine.memory (out_of_memory), and the event loop with the fatal
// outcomes the runtime throws (thread exhaustion as checkmcount, starvation, a runaway goroutine).
#include "models/go/gorun.h"
#include "models/run/run_loop.h"

namespace gmpsim::models::go {

std::uint64_t GoRun::asleep() const { return core_.gt.live() - netpoll_waiters_ - sleeping_ - gc_.waiters.size(); }

// G conservation and P/M consistency, after every event in checked builds.
void GoRun::check_invariants() const {
  std::size_t reserved = 0;
  for (const M& m : ms_) reserved += m.curg != kNoG ? 1 : 0;
  GMPSIM_CHECK(core_.gt.live() == runnable() + reserved + core_.sync.parked + sleeping_ + netpoll_waiters_ + gc_.waiters.size(),
               "go: a live goroutine is in no queue, on no M, and not parked");
  GMPSIM_CHECK(nmspinning_ <= ms_.size(), "go: nmspinning exceeds the number of Ms");
  std::uint64_t timers = 0;
  for (std::uint32_t p = 0; p < ps_.size(); ++p) {
    GMPSIM_CHECK(ps_[p].status != PStatus::kRunning || ps_[p].m != kNoG, "go: a running P has no M");
    GMPSIM_CHECK(ps_[p].status != PStatus::kIdle || ps_[p].m == kNoG, "go: an idle P has an M");
    GMPSIM_CHECK(ps_[p].status != PStatus::kGcStop || gc_.waiting || gc_.stw_m == ps_[p].m, "go: a P stopped with no stop-the-world");

    timers += ps_[p].timers.size();
  }
  GMPSIM_CHECK(timers == sleeping_, "go: a sleeping goroutine has no timer");
  // A P handed off (handoffp -> startm) is idle but not on the idle list while its new M wakes.
  for (std::uint32_t p : pidle_) GMPSIM_CHECK(ps_[p].runq.empty(), "go: a P on the idle list holds runnable goroutines");
  GMPSIM_CHECK((lastpoll_ == 0) == (poller_ != kNoG), "go: lastpoll and the blocking poller disagree");
}

// Runtime memory as the Go heap and stacks hold it: g structs and their stacks for every G ever live at
// once (allgs never shrinks, dead Gs keep standard stacks), stack growth of live Gs, a sudog per parked
// wait at the peak, per-M memory, the heap's resident pages (what the program allocated and the
// collector has not yet freed and the scavenger not yet returned; mgc.cpp), and the runtime's own metadata
// (a base plus a share of the mapped heap).
std::int64_t GoRun::memory_bytes() const {
  return static_cast<std::int64_t>(allgs_) * (prm_.mem_g + prm_.mem_stack) + extra_stack_bytes_ +
         static_cast<std::int64_t>(peak_parked_) * prm_.mem_sudog + static_cast<std::int64_t>(ms_.size()) * prm_.mem_m +
         gc_.heap_rss + runtime_metadata();
}

void GoRun::check_memory() {
  const std::int64_t now = memory_bytes();
  if (now > peak_memory_) peak_memory_ = now;
  if (now <= prm_.memory_limit || oom_) return;
  oom_ = true;
  oom_detail_ = "runtime memory reached " + std::to_string(now) + " bytes (" + std::to_string(allgs_) + " goroutines, " +
                std::to_string(ms_.size()) + " threads, heap " + std::to_string(gc_.heap_rss) + " bytes), over machine.memory = " +
                std::to_string(prm_.memory_limit) + " bytes";
  core_.engine.stop();
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
          {"heap_rss_bytes", gc_.heap_rss},
          {"runtime_metadata_bytes", runtime_metadata()},
          {"allgs", allgs_},
          {"bytes_per_goroutine", per_g},
          {"bytes_per_parked_goroutine", per_g + static_cast<double>(prm_.mem_sudog)},
          {"note", "g structs, stacks, sudogs, threads, the heap's resident pages and the runtime's metadata"}};
}

// Why the engine was stopped when the model stopped it: a runaway goroutine. Out of memory, thread
// exhaustion and starvation stop it too, and adjust_outcome() names them.
std::string GoRun::stopped_detail() const {
  if (oom_ || threads_exhausted_ || starved_) return "";
  return runaway_detail(core_.wl, core_.gt, core_.runaway);
}

Outcome GoRun::adjust_outcome(Outcome o) const {
  if (threads_exhausted_) {
    o = {OutcomeStatus::kThreadExhaustion, "runtime: program exceeds " + std::to_string(prm_.max_threads) +
                                               "-thread limit (runtime.max_threads, debug.SetMaxThreads) at t=" +
                                               std::to_string(sim::to_seconds(core_.engine.now())) + " s"};
  }
  if (starved_) o = {OutcomeStatus::kStarved, starved_detail_};
  if (oom_) o = {OutcomeStatus::kOutOfMemory, oom_detail_ + ", at t=" + std::to_string(sim::to_seconds(core_.engine.now())) + " s"};
  return o;
}

}  // namespace gmpsim::models::go
