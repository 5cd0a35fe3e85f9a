// The GC pacer and the GC CPU limiter, as mgcpacer.go and mgclimit.go compute them: the heap goal from GOGC
// and GOMEMLIMIT, the trigger from the cons/mark estimate, the mark workers a cycle wants, the assist ratio,
// and the leaky bucket that caps GC CPU near 50 %. Plain arithmetic on the pacer's inputs, with no
// scheduler in it, so each rule is tested on its own (pacer_test.cpp) against the runtime's numbers.
//
// Versions. go1.19's endCycle smooths the measured cons/mark ratio with a PI controller (kp 0.9, ti 4.0,
// mgcpacer.go init, go1.19.8); go1.21+ takes the maximum over the last five cycles instead (endCycle,
// lastConsMark [4], go1.26.8). go1.19's memory-limit goal keeps a fixed 1 MiB headroom
// (memoryLimitHeapGoalHeadroom); go1.21+ keeps 3 % with a 1 MiB floor (memoryLimitHeapGoalHeadroomPercent,
// memoryLimitMinHeapGoalHeadroom). Everything else below is common to both.
#pragma once
#include <array>
#include <cstdint>
#include <limits>

namespace gmpsim::models::go {

// mgcpacer.go constants (go1.19.8 and go1.26.8 agree on these).
inline constexpr double kGcBackgroundUtilization = 0.25;  // gcBackgroundUtilization (= gcGoalUtilization)
inline constexpr std::int64_t kDefaultHeapMinimum = 4 << 20;  // defaultHeapMinimum, for GOGC=100
inline constexpr std::int64_t kTriggerRatioDen = 64, kMinTriggerRatioNum = 45, kMaxTriggerRatioNum = 61;
inline constexpr std::int64_t kGcOverAssistWork = 64 << 10;  // gcOverAssistWork
inline constexpr std::int64_t kMemoryLimitMinHeadroom = 1 << 20;  // memoryLimit(Min)HeapGoalHeadroom
inline constexpr std::int64_t kNoLimit = std::numeric_limits<std::int64_t>::max();

struct PacerConfig {
  int gogc = 100;                       // GOGC; -1 = off
  std::int64_t memory_limit = kNoLimit; // GOMEMLIMIT in bytes
  bool pi_controller = false;           // go1.19's cons/mark smoothing
  int headroom_percent = 3;             // 0 in go1.19 (fixed 1 MiB)
};

// The mark workers startCycle asks for (mgcpacer.go startCycle): dedicated = round(0.25 * GOMAXPROCS),
// corrected down with a fractional worker when rounding is off by more than 30 %.
struct MarkWorkers {
  int dedicated = 0;
  double fractional_goal = 0;  // per P: the share of its time the fractional worker may take
};
MarkWorkers mark_workers(int gomaxprocs);

class GcPacer {
 public:
  explicit GcPacer(const PacerConfig& cfg);

  // commit: the GOGC goal and the runway. non_heap: memory the runtime maps that is not heap (stacks, g
  // structs, Ms), which the memory-limit goal subtracts.
  void commit();
  // trigger(): the heap size at which the next cycle starts and the heap goal (mgcpacer.go trigger).
  struct TriggerGoal {
    std::int64_t trigger, goal;
  };
  TriggerGoal trigger(std::int64_t non_heap) const;
  std::int64_t memory_limit_goal(std::int64_t non_heap) const;
  // A cycle: start (the heap at the trigger), and end with what the mark found and what it cost.
  void start_cycle(std::int64_t heap_live) { triggered_ = heap_live; }
  struct CycleEnd {
    std::int64_t heap_live;        // at mark termination
    std::int64_t scan_work;        // heap + stack + globals scan work done
    double utilization;            // background (0.25) plus assist time over the mark's wall time x procs
    double idle_utilization;       // idle mark time over the same
  };
  void end_cycle(const CycleEnd& e);
  // Mark termination's bookkeeping (resetLive): the marked heap and the scannable sizes the next goal is
  // built on; the trigger point is forgotten (c.triggered = ^uint64(0), go1.19.8 and go1.26.8), so the
  // minimum runway past it no longer holds the next goal up.
  void set_marked(std::int64_t heap_marked, std::int64_t heap_scan, std::int64_t stack_scan, std::int64_t globals_scan) {
    heap_marked_ = heap_marked;
    last_heap_scan_ = heap_scan;
    last_stack_scan_ = stack_scan;
    globals_scan_ = globals_scan;
    triggered_ = -1;
  }
  // revise: scan work owed per byte allocated during the mark (assistWorkPerByte).
  double assist_work_per_byte(std::int64_t heap_live, std::int64_t work_done, std::int64_t max_scan_work,
                              std::int64_t non_heap) const;

  std::int64_t heap_marked() const { return heap_marked_; }
  std::int64_t gc_percent_goal() const { return gc_percent_goal_; }
  std::int64_t runway() const { return runway_; }
  std::int64_t triggered() const { return triggered_; }
  double cons_mark() const { return cons_mark_; }
  std::int64_t last_stack_scan() const { return last_stack_scan_; }
  std::int64_t globals_scan() const { return globals_scan_; }
  const PacerConfig& config() const { return cfg_; }

 private:
  PacerConfig cfg_;
  std::int64_t heap_minimum_;
  std::int64_t heap_marked_ = 0, last_heap_scan_ = 0, last_stack_scan_ = 0, globals_scan_ = 0;
  std::int64_t gc_percent_goal_ = 0, runway_ = 0;
  std::int64_t triggered_ = -1;  // heapLive when the last cycle started (-1: none yet, ^uint64(0) in Go)
  double cons_mark_ = 0;
  std::array<double, 4> last_cons_mark_{};  // go1.21+
  double err_integral_ = 0;                 // go1.19's piController
};

// mgclimit.go gcCPULimiterState: a bucket of GOMAXPROCS x 1 s, filled by GC CPU time (assists, plus 25 % of
// the window while the GC is on) and drained by mutator time; idle time counts for neither. Full = limiting:
// assists are skipped and the heap overshoots its goal instead.
class GcCpuLimiter {
 public:
  void reset_capacity(int gomaxprocs) {
    capacity_ = std::int64_t{gomaxprocs} * 1'000'000'000;
    fill_ = std::min(fill_, capacity_);
  }
  // One update window (gcCPULimiterState.updateLocked): total = window wall x GOMAXPROCS.
  void update(std::int64_t window_total, std::int64_t assist, std::int64_t idle, bool gc_enabled);
  bool limiting() const { return enabled_; }
  std::int64_t fill() const { return fill_; }
  std::int64_t capacity() const { return capacity_; }
  std::uint64_t enabled_count() const { return enabled_count_; }

 private:
  std::int64_t fill_ = 0, capacity_ = 0;
  bool enabled_ = false;
  std::uint64_t enabled_count_ = 0;
};

}  // namespace gmpsim::models::go
