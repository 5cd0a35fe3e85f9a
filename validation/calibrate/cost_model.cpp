#include "validation/calibrate/cost_model.h"

#include <algorithm>
#include <cmath>

namespace gmpsim::calibrate {

// ---- the cost model: which primitive operations each measured row counts ----

const std::vector<Column>& cost_columns() {
  // Broad physical ranges (ns): a cost outside them means a broken measurement, not a slow host. Lower
  // bounds: nothing here is cheaper than ~1 ns (a few cycles); kernel paths cost at least ~10 ns.
  static const std::vector<Column> cols = {
      {"switch", 1, 1e5},       // one fiber switch through the ready queue (60 ns on the project's VM: validation/results/host.yaml)
      {"spawn", 1, 1e6},        // create a fiber and queue it, stack from a pool
      {"exit", 1, 1e6},         // a fiber's end: terminate, release, stack back to the pool
      {"park", 0, 1e5},         // block the running fiber (cv/join wait) beyond the switch itself: may be ~0
      {"ready", 1, 1e5},        // make a parked fiber ready again (same thread)
      {"chan_op", 1, 1e5},      // one channel push or pop beyond park/ready: spinlock, slot, waker lists
      {"storm_working_set", 0, 1e6},  // per fiber in a 10 000-fiber storm: cache and TLB misses on its stack
      {"remote_wake", 0, 1e5},  // ready a fiber owned by another (spinning) thread: its remote list, the waker's
                                // CPU; an increment over a local ready that may fit to ~0
      {"steal", 1, 1e7},        // an idle spinning thread takes a fiber from another thread's queue head
      {"fault_4k", 10, 1e7},    // first-touch page fault, 4 KiB
      {"lock", 1, 1e5},         // uncontended lock + queue op + unlock
      {"thread_wake", 10, 1e7}, // a sleeping idle thread woken by a remote ready: notify, futex, wake-up latency
  };
  // Column order is the order of RowSpec::counts below.
  return cols;
}

namespace {
struct RowSpec {
  const char* series;
  std::vector<double> counts;  // switch spawn exit park ready chan_op storm_working_set remote_wake steal fault_4k lock thread_wake
};
}  // namespace

std::vector<Row> cost_rows(const Collected& c) {
  const double storm_faults = summarize(c.series.count("fiber.storm_cold_faults_per_fiber")
                                            ? c.series.at("fiber.storm_cold_faults_per_fiber")
                                            : std::vector<double>{})
                                  .median;
  const double f = std::isfinite(storm_faults) ? storm_faults : 0;
  const std::vector<RowSpec> specs = {
      //                          sw sp ex pk rd ch ws rw st ft lk tw
      {"fiber.yield2",           {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
      {"fiber.yield16",          {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
      {"fiber.spawn",            {0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
      {"fiber.run_exit",         {1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
      {"fiber.create_join",      {2, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0}},
      {"fiber.chan_rtt",         {2, 0, 0, 2, 2, 4, 0, 0, 0, 0, 0, 0}},
      {"fiber.chan_rtt_buffered", {2, 0, 0, 2, 2, 4, 0, 0, 0, 0, 0, 0}},
      {"fiber.notify",           {0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}},
      {"fiber.wait_round",       {1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}},
      {"fiber.chan_rtt_threads_spin", {2, 0, 0, 2, 2, 4, 0, 2, 0, 0, 0, 0}},
      {"fiber.chan_rtt_threads", {2, 0, 0, 2, 2, 4, 0, 2, 0, 0, 0, 2}},
      {"fiber.steal_latency",    {0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}},
      {"fiber.storm_warm",       {1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0}},
      {"fiber.storm_cold",       {1, 1, 1, 0, 0, 0, 1, 0, 0, f, 0, 0}},
      {"kernel.page_fault_4k",   {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0}},
      {"runtime.lock_queue_op",  {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}},
  };
  std::vector<Row> rows;
  for (const RowSpec& s : specs) {
    const auto it = c.series.find(s.series);
    rows.push_back({s.series, s.counts, it == c.series.end() ? std::vector<double>{} : it->second});
  }
  // A steal's latency is bimodal: a few hundred ns when the thief's vCPU runs, tens of µs when the
  // hypervisor has it descheduled (steal time the guest's schedstat does not show). The model's steal is
  // the first: the row keeps the lower half of the samples (its median is their p25).
  for (Row& r : rows) {
    if (r.name != "fiber.steal_latency" || r.samples.empty()) continue;
    std::vector<double> v;
    for (double x : r.samples) v.push_back(x);
    std::sort(v.begin(), v.end());
    v.resize((v.size() + 1) / 2);
    r.samples = std::move(v);
  }
  return rows;
}

// Model parameters from fitted columns: profile key = column (+ a second column). The go model charges a
// channel round trip as 2 x (gopark + goready + schedule) (models/go/params.cpp), so a channel operation's own
// cost goes into gopark and goready: 2 x (park + chan_op + ready + chan_op + switch) is the measured trip.
const std::vector<Mapping> kGoCosts = {
    {"runtime.cost.schedule", "switch"}, {"runtime.cost.newproc", "spawn"},
    {"runtime.cost.goexit", "exit"},     {"runtime.cost.gopark", "park", "chan_op"},
    {"runtime.cost.goready", "ready", "chan_op"}, {"runtime.cost.steal", "steal"},
    {"runtime.cost.global_runq", "lock"}};
const std::vector<Mapping> kFiberCosts = {
    {"fiber.cost.switch", "switch"}, {"fiber.cost.spawn", "spawn"}, {"fiber.cost.exit", "exit"},
    {"fiber.cost.park", "park"},     {"fiber.cost.ready", "ready"}, {"fiber.cost.chan_op", "chan_op"},
    {"fiber.cost.remote_wake", "remote_wake"}, {"fiber.cost.steal", "steal"},
    {"fiber.cost.storm_working_set", "storm_working_set"}};

// ---- the real-Go cost model (--runtime go) ----
//
// Columns are the go model's costs themselves; a row's counts are what the model charges per operation of
// the probe, measured from the simulator (every cost 0 but one, per operation: validation/calibrate/README.md).
// gopark and goready always come in pairs in these probes (every park is ended by one ready), so only their
// sum is identifiable: column park_ready, split 2:1 as the defaults are (80 ns : 40 ns).
const std::vector<Column>& go_cost_columns() {
  static const std::vector<Column> cols = {
      {"schedule", 1, 1e5},    // runtime.cost.schedule: one schedule()/findRunnable pick + execute
      {"newproc", 1, 1e6},     // runtime.cost.newproc: `go f()` into runnext
      {"goexit", 0, 1e6},      // runtime.cost.goexit: goexit0 beyond the schedule it ends in; may be ~0
      {"park_ready", 1, 1e5},  // runtime.cost.gopark + runtime.cost.goready
      {"chan", 1, 1e5},        // runtime.cost.chan: one channel send or receive's own work
      {"lock", 1, 1e5},        // runtime.cost.global_runq: sched.lock hold per global-queue operation
      {"g_cold", 0, 1e5},      // runtime.cost.g_cold: a touch of a G that has left the caches; may be 0
  };
  return cols;
}

std::vector<Row> go_cost_rows(const Collected& c) {
  const std::vector<RowSpec> specs = {
      //                      sched     newproc goexit park_ready chan lock   g_cold
      // 200 goroutines per batch, then wg.Wait: main parks and is readied once per batch.
      {"go.spawn_create",    {0,        1,      0,     0,         0,   0,     0}},
      {"go.spawn_total",     {1.005,    1,      1,     0.005,     0,   0,     0}},
      // 100 000 per batch: newproc reuses, and execute starts, a G out of cache (2 touches; the model's
      // g_cold_touches per goroutine at the knee this host measured, validation/calibrate/README.md).
      {"go.spawn_cold",      {1,        1,      1,     0,         0,   0,     2}},
      // goschedImpl: globrunqput and the global take, 1.508 sched.lock holds per yield in the model.
      {"go.gosched",         {1,        0,      0,     0,         0,   1.508, 0}},
      {"go.chan_rtt",        {2,        0,      0,     2,         4,   0,     0}},
      // one-way stream through a buffer of C: both sides park once per C + 2 items.
      {"go.chan_stream4",    {2.0 / 6,  0,      0,     2.0 / 6,   2,   0,     0}},
      {"go.chan_stream64",   {2.0 / 66, 0,      0,     2.0 / 66,  2,   0,     0}},
      {"runtime.lock_queue_op", {0,     0,      0,     0,         0,   1,     0}},
  };
  std::vector<Row> rows;
  for (const RowSpec& s : specs) {
    const auto it = c.series.find(s.series);
    rows.push_back({s.series, s.counts, it == c.series.end() ? std::vector<double>{} : it->second});
  }
  return rows;
}

const std::vector<GoMapping> kRealGoCosts = {
    {"runtime.cost.schedule", "schedule", 1},     {"runtime.cost.newproc", "newproc", 1},
    {"runtime.cost.goexit", "goexit", 1},         {"runtime.cost.gopark", "park_ready", 2.0 / 3},
    {"runtime.cost.goready", "park_ready", 1.0 / 3}, {"runtime.cost.chan", "chan", 1},
    {"runtime.cost.global_runq", "lock", 1},     {"runtime.cost.g_cold", "g_cold", 1}};

std::string parameters_of(const std::string& p, bool go) {
  std::string keys;
  if (go) {
    for (const GoMapping& m : kRealGoCosts) {
      if (p.rfind(std::string(m.column) + ":", 0) == 0) keys += (keys.empty() ? "" : ", ") + std::string(m.key);
    }
  } else {
    for (const auto* map : {&kGoCosts, &kFiberCosts}) {
      for (const Mapping& m : *map) {
        const bool uses = p.rfind(std::string(m.column) + ":", 0) == 0 || (m.plus && p.rfind(std::string(m.plus) + ":", 0) == 0);
        if (uses) keys += (keys.empty() ? "" : ", ") + std::string(m.key);
      }
    }
  }
  return keys;
}

namespace {

std::vector<double> pooled(const Collected& c, const std::vector<std::string>& names) {
  std::vector<double> all;
  for (const auto& n : names) {
    if (const auto it = c.series.find(n); it != c.series.end()) all.insert(all.end(), it->second.begin(), it->second.end());
  }
  return all;
}

}  // namespace

std::vector<KernelValue> kernel_values(const Collected& c, std::vector<std::string>& problems) {
  std::vector<KernelValue> out;
  auto add = [&](const std::string& key, const std::vector<std::string>& series, const std::string& how, double lo,
                 double hi, bool optional) {
    const std::vector<double> samples = pooled(c, series);
    if (samples.empty()) {
      std::string why;
      for (const auto& s : series) {
        if (const auto it = c.notes.find(s); it != c.notes.end()) why = it->second;
      }
      if (!optional) problems.push_back("kernel." + key + ": no measurement" + (why.empty() ? "" : " (" + why + ")"));
      return;
    }
    const Summary sum = summarize(samples);
    out.push_back({key, sum, how, lo, hi, sum.median});
  };
  add("timer_slack", {"kernel.timer_slack"}, "prctl(PR_GET_TIMERSLACK) of the harness process", 0, 1e9, false);
  // A futex wake across CPUs costs more the longer the woken thread's CPU has idled: once it halts, the
  // wake includes the idle exit (an IPI into a halted vCPU). The models split it so:
  //   kernel.futex_wake  the wake of a thread on another CPU that idled 25 µs (the shortest wait measured)
  //   kernel.idle_exit   what a CPU idle for 1 ms adds to that
  //   kernel.idle_poll   the idle time past which a wake is slow: the knee of the wake against the idle
  //                      time (halt polling), between the two idle times where the median passes halfway
  // (the unpinned ping-pong's fast mode, ~3 µs, is a wake onto the waker's own CPU, which the models do
  // not distinguish). With one allowed CPU, the ping-pong's median stands for futex_wake.
  const std::vector<double> short_idle = pooled(c, {"kernel.futex_wake_idle.25us"});
  const std::vector<double> long_idle = pooled(c, {"kernel.futex_wake_idle.1ms"});
  if (short_idle.empty() || long_idle.empty()) {
    add("futex_wake", {"kernel.futex_wake"}, "futex ping-pong, FUTEX_WAKE to the woken thread running, one way", 50, 1e7, false);
  } else {
    const Summary fast = summarize(short_idle), slow = summarize(long_idle);
    out.push_back({"futex_wake", fast, "FUTEX_WAKE to a thread on another CPU that idled 25 us, one way (pinned)", 50, 1e7,
                   fast.median});
    out.push_back({"idle_exit", slow, "the same wake after 1 ms idle (its CPU halted) minus kernel.futex_wake", 0, 1e7,
                   std::max(0.0, slow.median - fast.median)});
    const double halfway = fast.median + 0.5 * (slow.median - fast.median);
    const std::pair<const char*, double> steps[] = {{"50us", 50e3}, {"100us", 100e3}, {"200us", 200e3},
                                                    {"400us", 400e3}, {"1ms", 1e6}};
    double prev = 25e3;
    for (const auto& [label, ns] : steps) {
      const std::vector<double> at = pooled(c, {std::string("kernel.futex_wake_idle.") + label});
      if (at.empty()) break;
      const Summary sa = summarize(at);
      if (sa.median > halfway) {
        out.push_back({"idle_poll", sa, "idle time past which a wake turns slow (halt polling ends): between " +
                                            num(prev / 1e3) + " and " + num(ns / 1e3) + " us of idle (geometric mean)",
                       0, 1e8, std::sqrt(prev * ns)});
        break;
      }
      prev = ns;
    }
  }
  // kernel.context_switch: a one-CPU futex ping-pong's round trip is two wakes (each a cheap syscall,
  // which the models charge the waker as kernel.syscall) and two switches; the switch is the rest of half.
  const std::vector<double> rtt_1cpu = pooled(c, {"kernel.futex_rtt_1cpu"});
  const std::vector<double> getppid = pooled(c, {"kernel.syscall_getppid"});
  if (!rtt_1cpu.empty() && !getppid.empty()) {
    const Summary rs = summarize(rtt_1cpu);
    out.push_back({"context_switch", rs,
                   "half a futex ping-pong round trip between two threads pinned to one CPU, minus kernel.syscall", 0,
                   1e6, std::max(0.0, rs.median / 2 - summarize(getppid).median)});
  }
  // kernel.wake_ipi: what a FUTEX_WAKE that wakes a thread sleeping on another, idle CPU costs its caller
  // beyond the same call with no waiter (the models charge that part as kernel.syscall).
  const std::vector<double> wake_idle = pooled(c, {"kernel.futex_wake_syscall_idle"});
  const std::vector<double> wake_none = pooled(c, {"kernel.futex_wake_nowaiter"});
  if (!wake_idle.empty() && !wake_none.empty()) {
    const Summary ws = summarize(wake_idle);
    out.push_back({"wake_ipi", ws,
                   "the waker's FUTEX_WAKE of a thread sleeping on another CPU idle 25-200 us, minus the same call with "
                   "no waiter (the IPI to the idle CPU)",
                   0, 1e6, std::max(0.0, ws.median - summarize(wake_none).median)});
  }
  // kernel.wake_pack_hot / kernel.wake_pack: the share of wake-ups, by a thread running on the wakee's
  // previous CPU while another CPU idles, that leave the wakee queued behind its waker (bench_wake_pack).
  for (const char* key : {"wake_pack_hot", "wake_pack"}) {
    const std::vector<double> packed = pooled(c, {std::string("kernel.") + key});
    if (packed.empty()) continue;  // one CPU: the parameters' defaults stand
    double share = 0;
    for (double x : packed) share += x;
    share /= static_cast<double>(packed.size());
    KernelValue v{key, summarize(packed),
                  std::string("share of wake-ups of a ") + (key == std::string("wake_pack_hot") ? "cache-hot (asleep 100 us)" : "cold (asleep 3 ms)") +
                      " thread by one spinning on its previous CPU, another CPU idle, that left it queued behind the waker",
                  0, 1, share};
    v.unit = KernelValue::Unit::kFraction;
    out.push_back(v);
  }
  add("cache_line_transfer", {"kernel.cache_line_handoff"},
      "a cache line handed back and forth between two threads pinned to two CPUs, one way", 1, 1e5, true);
  // kernel.cache_reach: the knee of go.spawn_batch.B (validation/go/spawn -procs 1 with B goroutines made before
  // any runs): the B at which a goroutine's cost is halfway from the 200 batch to go.spawn_cold,
  // interpolated in log B, times runtime.mem.g_cache_bytes (its default, kGCacheBytes): how many goroutines stay
  // fast to reach (the last-level cache's share and the TLB's reach, whichever ends first). Not written
  // when the cold row is not 1.2x the 200 batch (fit.h knee_halfway; the default applies).
  {
    constexpr double kGCacheBytes = 640;  // runtime.mem.g_cache_bytes' default (models/scenario/params.cpp)
    std::vector<std::pair<double, double>> sweep;  // (B, median ns per goroutine)
    for (const char* b : {"200", "2000", "8000", "32000"}) {
      const std::vector<double> xs = pooled(c, {std::string("go.spawn_batch.") + b});
      if (!xs.empty()) sweep.emplace_back(std::atof(b), summarize(xs).median);
    }
    const std::vector<double> cold = pooled(c, {"go.spawn_cold"});
    if (!cold.empty() && !sweep.empty() && sweep.front().first == 200) {
      sweep.emplace_back(100000, summarize(cold).median);
      const double knee = knee_halfway(sweep, 0.2);
      if (knee > 0) {  // else the cold row is not clearly dearer: no knee, the default applies
        KernelValue v{"cache_reach", summarize({knee * kGCacheBytes}),
                      "the knee of validation/go/spawn -procs 1 -warm over batches 200-100000 (GOGC=off): " + num(knee, 4) +
                          " goroutines x runtime.mem.g_cache_bytes " + num(kGCacheBytes) + " B",
                      4096, 1e15, knee * kGCacheBytes};
        v.unit = KernelValue::Unit::kBytes;
        out.push_back(v);
      }
    }
  }
  add("thread_create", {"kernel.thread_create_join"}, "pthread_create + pthread_join of an empty thread", 500, 1e8, false);
  add("syscall", {"kernel.syscall_getppid"}, "syscall(SYS_getppid), batches of 1000", 5, 1e6, false);
  add("page_fault", {"kernel.page_fault_4k"}, "first write to fresh anonymous 4 KiB pages (MADV_NOHUGEPAGE)", 10, 1e7, false);
  add("page_fault_huge", {"kernel.page_fault_2m"}, "first write to a fresh 2 MiB THP (MADV_HUGEPAGE), one fault", 1e3, 1e8, true);
  add("page_copy", {"kernel.page_copy_4k"}, "pread of a cached file: 64 KiB against 4 KiB at the same offsets, per extra 4 KiB page", 10, 1e6, true);
  add("signal_ipi", {"kernel.signal_spinning"}, "tgkill to a thread spinning on another CPU, send to handler", 50, 1e9, true);
  add("timer_latency",
      {"kernel.nanosleep_overshoot_slack1ns.10us", "kernel.nanosleep_overshoot_slack1ns.50us",
       "kernel.nanosleep_overshoot_slack1ns.100us"},
      "nanosleep 10-100us overshoot with 1 ns timer slack", 0, 1e8, true);
  for (const KernelValue& v : out) {
    if (!std::isfinite(v.value) || v.value < v.min_ns || v.value > v.max_ns) {
      const char* unit = v.unit == KernelValue::Unit::kBytes ? " B" : v.unit == KernelValue::Unit::kFraction ? "" : " ns";
      problems.push_back("kernel." + v.key + ": measured " + num(v.value) + unit + ", outside the physical range " +
                         num(v.min_ns) + " to " + num(v.max_ns) + unit);
    }
  }
  return out;
}

}  // namespace gmpsim::calibrate
