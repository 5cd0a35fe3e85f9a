// The collector's reports (mgc.cpp has the collector): GODEBUG=gctrace=1 lines and counters.gc.
#include <algorithm>

#include "models/go/gorun.h"

namespace gmpsim::models::go {

// ---- gctrace (mgc.go gcMarkTermination, debug.gctrace > 0; the same layout in go1.19.8 and go1.26.8) ----

namespace {
// itoaDiv: val / 10^dec with dec decimals.
std::string itoaDiv(std::uint64_t val, int dec) {
  std::string digits = std::to_string(val);
  if (dec == 0) return digits;
  const auto d = static_cast<std::size_t>(dec);
  if (digits.size() <= d) digits = std::string(d + 1 - digits.size(), '0') + digits;
  return digits.substr(0, digits.size() - d) + "." + digits.substr(digits.size() - d);
}
// fmtNSAsMS: whole milliseconds from 10 ms, else two significant digits with at most three decimals.
std::string fmtNSAsMS(std::uint64_t ns) {
  if (ns >= 10'000'000) return itoaDiv(ns / 1'000'000, 0);
  std::uint64_t x = ns / 1000;
  if (x == 0) return "0";
  int dec = 3;
  while (x >= 100) {
    x /= 10;
    --dec;
  }
  return itoaDiv(x, dec);
}
}  // namespace

std::string gctrace_format(std::uint32_t n, sim::Time at, int util, const sim::Time clock[3], const sim::Time cpu[5],
                           const std::int64_t heap[3], std::int64_t goal, std::int64_t stacks, std::int64_t globals,
                           std::uint32_t procs, bool forced) {
  std::string s = "gc " + std::to_string(n) + " @" + itoaDiv(static_cast<std::uint64_t>(at / 1'000'000), 3) + "s " +
                  std::to_string(util) + "%: ";
  for (int i = 0; i < 3; ++i) {
    if (i) s += '+';
    s += fmtNSAsMS(static_cast<std::uint64_t>(clock[i]));
  }
  s += " ms clock, ";
  for (int i = 0; i < 5; ++i) {
    if (i) s += i == 2 || i == 3 ? '/' : '+';
    s += fmtNSAsMS(static_cast<std::uint64_t>(cpu[i]));
  }
  s += " ms cpu, " + std::to_string(heap[0] >> 20) + "->" + std::to_string(heap[1] >> 20) + "->" + std::to_string(heap[2] >> 20) +
       " MB, " + std::to_string(goal >> 20) + " MB goal, " + std::to_string(stacks >> 20) + " MB stacks, " +
       std::to_string(globals >> 20) + " MB globals, " + std::to_string(procs) + " P" + (forced ? " (forced)" : "") + "\n";
  return s;
}

void GoRun::gctrace_line() {
  Gc& gc = gc_;
  const sim::Time now = core_.engine.now();
  // memstats.gc_cpu_fraction: GC CPU but idle marking, over GOMAXPROCS x the time since start.
  const double total = static_cast<double>(now) * prm_.gomaxprocs;
  const int util = total > 0 ? static_cast<int>(static_cast<double>(gc.total_gc_cpu) / total * 100) : 0;
  const sim::Time clock[3] = {gc.t_mark - gc.t_sweep_term, gc.t_mark_term - gc.t_mark, gc.t_end - gc.t_mark_term};
  const sim::Time cpu[5] = {gc.stw1_cpu, gc.assist_time, gc.dedicated_time + gc.fractional_time, gc.idle_time,
                            (gc.t_end - gc.t_mark_term) * gc.stwprocs};
  const std::int64_t heap[3] = {gc.heap0, gc.heap1, gc.heap2};
  // go1.19 prints maxStackScan (the stacks' allocated bytes), go1.21+ lastStackScan (their scanned bytes).
  const std::int64_t stacks = prm_.old_trace_format
                                  ? static_cast<std::int64_t>(core_.gt.live()) * prm_.mem_stack + extra_stack_bytes_
                                  : gc.pacer.last_stack_scan();
  gc.trace.push_back(gctrace_format(gc.cycles, gc.t_sweep_term, util, clock, cpu, heap, gc.last_goal, stacks,
                                    gc.pacer.globals_scan(), prm_.gomaxprocs, gc.user_forced));
}

Json GoRun::gc_json(sim::Time end) const {
  const Gc& gc = gc_;
  auto s = [](sim::Time t) { return sim::to_seconds(t); };
  const double total = static_cast<double>(end) * prm_.gomaxprocs;
  const sim::Time gc_cpu = gc.total_gc_cpu;
  return {{"cycles", gc.cycles},
          {"forced", gc.forced},
          {"by_time", gc.time_cycles},
          {"gogc", prm_.pacer.gogc},
          {"gomemlimit_bytes", prm_.pacer.memory_limit == kNoLimit ? Json(nullptr) : Json(prm_.pacer.memory_limit)},
          {"cpu_fraction", total > 0 ? static_cast<double>(gc_cpu) / total : 0.0},
          {"cpu_s", {{"dedicated", s(gc.total_dedicated)}, {"fractional", s(gc.total_fractional)}, {"idle", s(gc.total_idle)},
                     {"assist", s(gc.total_assist)}, {"stw", s(gc.total_pause * gc.stwprocs)}, {"bgsweep", s(gc.total_bgsweep)},
                     {"scavenge", s(gc.scav_cpu)}}},
          {"scavenger_runs", gc.scav_runs},
          {"assists", gc.assists},
          {"assist_parks", gc.assist_parks},
          // suspendG: running goroutines asked to stop for their stack scan, those stopped at the request
          // (the rest left _Grunning first), and the workers' time spent waiting
          {"stack_suspend", {{"requests", gc.suspend_requests}, {"stopped", gc.suspended}, {"wait_s", s(gc.suspend_wait)}}},
          {"pause_total_s", s(gc.total_pause)},
          {"pause_max_s", s(std::max(gc.pause_sweep_term.max(), gc.pause_mark_term.max()))},
          {"pause_p50_s", s(gc.pause_mark_term.percentile(0.5))},
          {"sweep_termination", {{"p50_s", s(gc.pause_sweep_term.percentile(0.5))}, {"p99_s", s(gc.pause_sweep_term.percentile(0.99))},
                                 {"max_s", s(gc.pause_sweep_term.max())}}},
          {"mark_termination", {{"p50_s", s(gc.pause_mark_term.percentile(0.5))}, {"p99_s", s(gc.pause_mark_term.percentile(0.99))},
                                {"max_s", s(gc.pause_mark_term.max())}}},
          {"time_to_safe_point", {{"p50_s", s(gc.ttsp.percentile(0.5))}, {"p99_s", s(gc.ttsp.percentile(0.99))}, {"max_s", s(gc.ttsp.max())}}},
          {"cycle_wall_mean_s", gc.cycle_wall.mean() / 1e9},
          // gctrace's "assist/background/idle" CPU of a cycle's concurrent mark, averaged over the cycles
          {"mark_cpu_mean_s", gc.cycles > 0 ? s(gc.total_assist + gc.total_dedicated + gc.total_fractional + gc.total_idle) / static_cast<double>(gc.cycles) : 0.0},
          {"heap_goal_bytes", gc.goal == kNoLimit ? Json(nullptr) : Json(gc.goal)},
          {"heap_trigger_bytes", gc.trigger == kNoLimit ? Json(nullptr) : Json(gc.trigger)},
          {"heap_live_bytes", gc.heap_live},
          {"heap_marked_bytes", gc.pacer.heap_marked()},
          {"heap_peak_bytes", gc.heap_peak},
          {"heap_rss_bytes", gc.heap_rss},
          {"scavenged_bytes", gc.scavenged},
          {"cons_mark", gc.pacer.cons_mark()},
          {"stack_shrinks", gc.shrinks},
          // The same figures under their runtime/metrics names (go1.26 runtime/metrics/description.go).
          {"runtime_metrics", {{"/gc/cycles/total:gc-cycles", gc.cycles},
                               {"/gc/cycles/forced:gc-cycles", gc.forced},
                               {"/gc/heap/goal:bytes", gc.goal == kNoLimit ? Json(nullptr) : Json(gc.goal)},
                               {"/gc/heap/live:bytes", gc.pacer.heap_marked()},
                               {"/gc/gogc:percent", prm_.pacer.gogc},
                               {"/gc/gomemlimit:bytes", prm_.pacer.memory_limit},
                               {"/memory/classes/heap/objects:bytes", gc.heap_live},
                               {"/memory/classes/heap/released:bytes", gc.scavenged},
                               {"/cpu/classes/scavenge/background:cpu-seconds", s(gc.scav_cpu)},
                               {"/memory/classes/total:bytes", memory_bytes()},
                               {"/gc/stack/starting-size:bytes", prm_.mem_stack << gc.starting_order}}},
          {"starting_stack_bytes", prm_.mem_stack << gc.starting_order},
          {"limiter_enabled", gc.limiter.enabled_count()}};
}

}  // namespace gmpsim::models::go
