// mgcpacer.go (commit, heapGoalInternal, memoryLimitHeapGoal, trigger, startCycle, endCycle, revise) and
// mgclimit.go (updateLocked, accumulate), go1.26.8 with go1.19.8's differences; see pacer.h.
#include "models/go/pacer.h"

#include <algorithm>
#include <cmath>

namespace gmpsim::models::go {

MarkWorkers mark_workers(int gomaxprocs) {
  MarkWorkers w;
  const double goal = gomaxprocs * kGcBackgroundUtilization;
  w.dedicated = static_cast<int>(goal + 0.5);
  const double err = w.dedicated / goal - 1;
  constexpr double kMaxUtilError = 0.3;
  if (err < -kMaxUtilError || err > kMaxUtilError) {
    if (w.dedicated > goal) --w.dedicated;
    w.fractional_goal = (goal - w.dedicated) / gomaxprocs;
  }
  return w;
}

GcPacer::GcPacer(const PacerConfig& cfg)
    : cfg_(cfg), heap_minimum_(cfg.gogc < 0 ? 0 : kDefaultHeapMinimum * cfg.gogc / 100) {
  commit();
}

void GcPacer::commit() {
  gc_percent_goal_ = kNoLimit;
  if (cfg_.gogc >= 0) {
    gc_percent_goal_ = heap_marked_ + (heap_marked_ + last_stack_scan_ + globals_scan_) * cfg_.gogc / 100;
  }
  gc_percent_goal_ = std::max(gc_percent_goal_, heap_minimum_);
  // The runway: the bytes the mutator allocates while the GC does last cycle's scan work at 25 % of the CPU,
  // at the estimated cons/mark ratio.
  const double scan = static_cast<double>(last_heap_scan_ + last_stack_scan_ + globals_scan_);
  runway_ = static_cast<std::int64_t>(cons_mark_ * (1 - kGcBackgroundUtilization) / kGcBackgroundUtilization * scan);
}

std::int64_t GcPacer::memory_limit_goal(std::int64_t non_heap) const {
  if (cfg_.memory_limit == kNoLimit) return kNoLimit;
  const std::int64_t limit = cfg_.memory_limit;
  if (non_heap >= limit) return heap_marked_;
  std::int64_t goal = limit - non_heap;
  std::int64_t headroom = kMemoryLimitMinHeadroom;
  if (cfg_.headroom_percent > 0) headroom = std::max(headroom, goal / 100 * cfg_.headroom_percent);
  goal = (goal < headroom || goal - headroom < headroom) ? headroom : goal - headroom;
  return std::max(goal, heap_marked_);
}

GcPacer::TriggerGoal GcPacer::trigger(std::int64_t non_heap) const {
  // heapGoalInternal: the smaller of the GOGC and memory-limit goals; outside the memory-limit regime the
  // goal stays at least minRunway (64 KiB) past the point the cycle triggered at.
  std::int64_t goal = gc_percent_goal_;
  const std::int64_t limit_goal = memory_limit_goal(non_heap);
  if (limit_goal < goal) {
    goal = limit_goal;
  } else {
    constexpr std::int64_t kMinRunway = 64 << 10;
    if (triggered_ >= 0 && goal < triggered_ + kMinRunway) goal = triggered_ + kMinRunway;
  }
  if (goal == kNoLimit) return {kNoLimit, kNoLimit};  // GOGC=off without a limit: no cycle by heap size
  if (heap_marked_ >= goal) return {goal, goal};
  const std::int64_t span = goal - heap_marked_;
  std::int64_t min_trigger = std::max(heap_marked_, span / kTriggerRatioDen * kMinTriggerRatioNum + heap_marked_);
  std::int64_t max_trigger = span / kTriggerRatioDen * kMaxTriggerRatioNum + heap_marked_;
  if (goal > kDefaultHeapMinimum && goal - kDefaultHeapMinimum > max_trigger) max_trigger = goal - kDefaultHeapMinimum;
  max_trigger = std::max(max_trigger, min_trigger);
  std::int64_t trig = runway_ > goal ? min_trigger : goal - runway_;
  trig = std::min(std::max(trig, min_trigger), max_trigger);
  return {trig, goal};
}

void GcPacer::end_cycle(const CycleEnd& e) {
  // A cycle that ended before the heap grew past its trigger (runtime.GC, or one started by time) says
  // nothing about the cons/mark ratio.
  if (triggered_ < 0 || e.heap_live <= triggered_ || e.scan_work <= 0) return;
  const double current = static_cast<double>(e.heap_live - triggered_) * (e.utilization + e.idle_utilization) /
                         (static_cast<double>(e.scan_work) * (1 - e.utilization));
  if (cfg_.pi_controller) {
    // piController.next(input = consMark, setpoint = current, period 1) with kp 0.9, ti 4.0, tt 1000,
    // output clamped to [-1000, 1000].
    constexpr double kp = 0.9, ti = 4.0, tt = 1000, lo = -1000, hi = 1000;
    const double raw = kp * (current - cons_mark_) + err_integral_;
    const double out = std::clamp(raw, lo, hi);
    err_integral_ += kp / ti * (current - cons_mark_) + (out - raw) / tt;
    cons_mark_ = std::isfinite(out) ? out : 0;
  } else {
    cons_mark_ = current;
    for (double c : last_cons_mark_) cons_mark_ = std::max(cons_mark_, c);
    std::rotate(last_cons_mark_.begin(), last_cons_mark_.begin() + 1, last_cons_mark_.end());
    last_cons_mark_.back() = current;
  }
}

double GcPacer::assist_work_per_byte(std::int64_t heap_live, std::int64_t work_done, std::int64_t max_scan_work,
                                     std::int64_t non_heap) const {
  const int gc_percent = cfg_.gogc < 0 ? 100000 : cfg_.gogc;
  std::int64_t goal = trigger(non_heap).goal;
  if (goal == kNoLimit) goal = heap_live + kDefaultHeapMinimum;
  std::int64_t expected = last_heap_scan_ + last_stack_scan_ + globals_scan_;
  // More scan work than last cycle's: extend the goal in proportion, up to the hard goal (1 + GOGC/100).
  if (work_done > expected) {
    const double base = static_cast<double>(goal - std::max<std::int64_t>(triggered_, 0));
    std::int64_t ext = static_cast<std::int64_t>(base / std::max<double>(1, expected) * static_cast<double>(max_scan_work)) +
                       std::max<std::int64_t>(triggered_, 0);
    ext = std::min(ext, static_cast<std::int64_t>((1.0 + gc_percent / 100.0) * static_cast<double>(goal)));
    goal = ext;
    expected = max_scan_work;
  }
  if (heap_live > goal) {  // past the goal already: aim at 10 % over it (maxOvershoot) with all the work
    goal = static_cast<std::int64_t>(static_cast<double>(goal) * 1.1);
    expected = max_scan_work;
  }
  const std::int64_t remaining_work = std::max<std::int64_t>(expected - work_done, 1000);
  const std::int64_t remaining_heap = std::max<std::int64_t>(goal - heap_live, 1);
  return static_cast<double>(remaining_work) / static_cast<double>(remaining_heap);
}

void GcCpuLimiter::update(std::int64_t window_total, std::int64_t assist, std::int64_t idle, bool gc_enabled) {
  std::int64_t gc = assist;
  if (gc_enabled) gc += static_cast<std::int64_t>(static_cast<double>(window_total) * kGcBackgroundUtilization);
  const std::int64_t mutator = window_total - idle - gc;
  // accumulate: fill by GC time, drain by mutator time; full turns limiting on, any drain turns it off.
  const std::int64_t change = gc - mutator;
  const std::int64_t headroom = capacity_ - fill_;
  if (change > 0 && headroom <= change) {
    fill_ = capacity_;
    if (!enabled_) ++enabled_count_;
    enabled_ = true;
    return;
  }
  fill_ = std::max<std::int64_t>(0, fill_ + change);
  if (change != 0) enabled_ = false;
}

}  // namespace gmpsim::models::go
