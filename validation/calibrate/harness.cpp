// gmpsim-calibrate: measures this host, fits the models' cost parameters and writes a host profile
// (validation/calibrate/README.md). `gmpsim calibrate` runs it; it is also usable alone, which is the point:
//
//   gmpsim-calibrate [--quick] [--out calibration/host.yaml]   measure, fit, check, write
//   gmpsim-calibrate --runtime go [--go PATH] [--probes DIR] [--quick] [--out calibration/go1.26.yaml]
//                                                              the same with real Go instead of Boost.Fiber
//   gmpsim-calibrate bench NAME [--quick]                      one benchmark in this process (internal)
//
// Why a separate executable and not part of `gmpsim`: it links Boost.Fiber and Boost.Context, which the
// simulator does not need; it re-executes itself for every repeat, because several measurements need a
// fresh process (first-touch faults, the one static work_stealing pool per process: boostorg/fiber#217);
// and built with GMPSIM_STATIC it is a single static x86-64 file that can be copied to a bigger machine and
// run there as one command.
//
// Exit codes as gmpsim's: 0 written; 1 the measurements or the fit are unusable (nothing written, one line
// per problem naming the parameter); 2 bad usage.
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <boost/version.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include "validation/calibrate/benchmarks.h"
#include "validation/calibrate/fit.h"
#include "validation/common/process.h"


namespace gmpsim::calibrate {

const std::vector<Benchmark>& benchmarks() {
  // processes: fresh processes per run, so that between-process variation shows in the spread; more
  // where process state matters (faults, the steal pool, the storm's fresh stacks).
  static const std::vector<Benchmark> list = {
      {"syscall", "syscall entry (getppid)", 5, 1, bench_syscall},
      {"sched_yield", "sched_yield with no peer", 5, 1, bench_sched_yield},
      {"futex", "futex wake to the woken thread running", 5, 1, bench_futex},
      {"nanosleep", "nanosleep overshoot, 1us-2ms, own and 1 ns timer slack", 3, 1, bench_nanosleep},
      {"signal", "tgkill to self, to a spinning thread, to a blocked thread", 5, 1, bench_signal},
      {"page_fault", "first-touch fault of a 4 KiB page", 8, 2, bench_page_fault},
      {"page_fault_huge", "first-touch fault of a 2 MiB transparent huge page", 8, 2, bench_page_fault_huge},
      {"mmap", "mmap + munmap of 1 MiB", 5, 1, bench_mmap},
      {"thread", "pthread_create + join", 5, 1, bench_thread},
      {"lock", "uncontended mutex + queue push/pop", 5, 1, bench_lock},
      {"fiber_yield", "Boost.Fiber yield, 2 and 16 fibers", 5, 1, bench_fiber_yield},
      {"fiber_spawn", "Boost.Fiber spawn, run+exit, create+join", 5, 1, bench_fiber_spawn},
      {"fiber_channel", "Boost.Fiber channel round trips and cv wake, one thread", 5, 1, bench_fiber_channel},
      {"fiber_channel_threads", "Boost.Fiber channel round trip across two threads", 5, 1, bench_fiber_channel_threads},
      {"fiber_steal", "Boost.Fiber work_stealing steal latency", 5, 1, bench_fiber_steal},
      {"fiber_storm", "Boost.Fiber spawn storm, cold and warm stacks", 8, 2, bench_fiber_storm},
  };
  return list;
}

namespace {

constexpr int kExitOk = 0, kExitFailed = 1, kExitBadUsage = 2;

struct Options {
  bool quick = false;
  std::string out;               // default: calibration/host.yaml, or calibration/<go version>.yaml with go
  std::string runtime = "boost-fiber";  // or "go": the real-Go calibration (bench_go.cpp)
  std::string go = "go";                // the toolchain, with --runtime go
  std::string probes = GMPSIM_GO_PROBES_DIR;  // validation/go of the source tree
  std::string go_version, runtime_version;    // filled in with --runtime go
};

struct Collected {
  std::map<std::string, std::vector<double>> series;
  std::map<std::string, std::string> notes;
};

// ---- running one benchmark in a fresh process ----

// Runs `self bench NAME` and merges its output into `into`. Returns "" or why it failed.
std::string run_child(const std::string& exe, const Benchmark& b, bool quick, int timeout_s, Collected& into) {
  std::vector<std::string> args = {exe, "bench", b.name};
  if (quick) args.emplace_back("--quick");
  process::Options po;
  po.capture_stdout = true;
  po.timeout_s = timeout_s;
  process::Result r;
  try {
    r = process::run(args, po);
  } catch (const std::exception& e) {
    return e.what();
  }
  if (!r.ok()) return r.failure();
  const std::string& text = r.output;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    std::string kind, name;
    ls >> kind >> name;
    if (kind == "series") {
      auto& s = into.series[name];
      for (double v; ls >> v;) s.push_back(v);
    } else if (kind == "note") {
      std::string rest;
      std::getline(ls >> std::ws, rest);
      into.notes[name] = rest;
    }
  }
  return "";
}

int run_bench_here(const std::string& name, bool quick) {
  for (const Benchmark& b : benchmarks()) {
    if (name != b.name) continue;
    const BenchOutput out = b.run(BenchScale{quick});
    for (const auto& [k, v] : out.series) {
      std::printf("series %s", k.c_str());
      for (double x : v) std::printf(" %.6g", x);
      std::printf("\n");
    }
    for (const auto& [k, v] : out.notes) std::printf("note %s %s\n", k.c_str(), v.c_str());
    std::fflush(stdout);
    _exit(kExitOk);  // no destructors: Boost.Fiber pools and parked threads are not torn down (#260)
  }
  std::cerr << "gmpsim-calibrate: bench: unknown benchmark \"" << name << "\"\n";
  return kExitBadUsage;
}

// ---- host fingerprint ----

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::string cpu_model() {
  std::istringstream in(read_text_file("/proc/cpuinfo"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) return trim(line.substr(line.find(':') + 1));
  }
  return "unknown";
}

// The CPU bandwidth limit of this process's cgroup: v2 cpu.max, else the v1 cpu controller's quota/period
// (the project's VMs have the cpu controller on v1: kernel-and-calibration.md §0).
std::string cgroup_cpu_limit() {
  std::istringstream in(read_text_file("/proc/self/cgroup"));
  std::string v2_path, v1_path;
  for (std::string line; std::getline(in, line);) {
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (line.rfind("0::", 0) == 0) v2_path = path;
    std::istringstream cs(controllers);
    for (std::string c; std::getline(cs, c, ',');) {
      if (c == "cpu") v1_path = path;
    }
  }
  for (const std::string& dir : {"/sys/fs/cgroup" + v2_path, std::string("/sys/fs/cgroup")}) {
    const std::string max = trim(read_text_file(dir + "/cpu.max"));
    if (!max.empty()) return max + " (cgroup v2 " + dir + "/cpu.max)";
  }
  for (const std::string& dir : {"/sys/fs/cgroup/cpu" + v1_path, std::string("/sys/fs/cgroup/cpu")}) {
    const std::string quota = trim(read_text_file(dir + "/cpu.cfs_quota_us"));
    const std::string period = trim(read_text_file(dir + "/cpu.cfs_period_us"));
    if (!quota.empty()) return (quota == "-1" ? "max" : quota) + " " + period + " (cgroup v1 " + dir + ", us)";
  }
  return "unavailable (no cpu.max or cpu.cfs_quota_us readable)";
}

// CONFIG_HZ from the kernel's config where a distribution installs it; 0 when not readable.
int kernel_hz(const std::string& release) {
  std::istringstream in(read_text_file("/boot/config-" + release));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("CONFIG_HZ=", 0) == 0) return std::atoi(line.c_str() + 10);
  }
  return 0;
}

int allowed_cpu_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  return sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 0;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// ---- output helpers ----

std::string quoted(const std::string& s) {  // a YAML double-quoted scalar
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string num(double v, int precision = 4) {
  std::ostringstream os;
  os << std::setprecision(precision) << v;
  return os.str();
}

std::string ns_text(double v) { return std::to_string(std::llround(v)) + "ns"; }

std::string spread_comment(const Summary& s) {
  return "median " + num(s.median) + " ns, p10 " + num(s.p10) + ", p90 " + num(s.p90) + ", n " + std::to_string(s.n);
}

// ---- the cost model: which primitive operations each measured row counts ----

const std::vector<Column>& cost_columns() {
  // Broad physical ranges (ns): a cost outside them means a broken measurement, not a slow host. Lower
  // bounds: nothing here is cheaper than ~1 ns (a few cycles); kernel paths cost at least ~10 ns.
  static const std::vector<Column> cols = {
      {"switch", 1, 1e5},       // one fiber switch through the ready queue (63 ns on the VM: §1.4)
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

struct RowSpec {
  const char* series;
  std::vector<double> counts;  // switch spawn exit park ready chan_op storm_working_set remote_wake steal fault_4k lock thread_wake
};

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
// channel round trip as 2 x (gopark + goready + schedule) (params.cpp), so a channel operation's own
// cost goes into gopark and goready: 2 x (park + chan_op + ready + chan_op + switch) is the measured trip.
struct Mapping {
  const char* key;
  const char* column;
  const char* plus = nullptr;
};
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
  };
  return cols;
}

std::vector<Row> go_cost_rows(const Collected& c) {
  const std::vector<RowSpec> specs = {
      //                      sched     newproc goexit park_ready chan lock
      // 200 goroutines per batch, then wg.Wait: main parks and is readied once per batch.
      {"go.spawn_create",    {0,        1,      0,     0,         0,   0}},
      {"go.spawn_total",     {1.005,    1,      1,     0.005,     0,   0}},
      // goschedImpl: globrunqput and the global take, 1.508 sched.lock holds per yield in the model.
      {"go.gosched",         {1,        0,      0,     0,         0,   1.508}},
      {"go.chan_rtt",        {2,        0,      0,     2,         4,   0}},
      // one-way stream through a buffer of C: both sides park once per C + 2 items.
      {"go.chan_stream4",    {2.0 / 6,  0,      0,     2.0 / 6,   2,   0}},
      {"go.chan_stream64",   {2.0 / 66, 0,      0,     2.0 / 66,  2,   0}},
      {"runtime.lock_queue_op", {0,     0,      0,     0,         0,   1, 0}},
  };
  std::vector<Row> rows;
  for (const RowSpec& s : specs) {
    const auto it = c.series.find(s.series);
    rows.push_back({s.series, s.counts, it == c.series.end() ? std::vector<double>{} : it->second});
  }
  return rows;
}

struct GoMapping {
  const char* key;
  const char* column;
  double share;  // of the column's value
};
const std::vector<GoMapping> kRealGoCosts = {
    {"runtime.cost.schedule", "schedule", 1},     {"runtime.cost.newproc", "newproc", 1},
    {"runtime.cost.goexit", "goexit", 1},         {"runtime.cost.gopark", "park_ready", 2.0 / 3},
    {"runtime.cost.goready", "park_ready", 1.0 / 3}, {"runtime.cost.chan", "chan", 1},
    {"runtime.cost.global_runq", "lock", 1}};

// ---- kernel values ----

struct KernelValue {
  std::string key;  // below kernel.
  Summary summary;
  std::string how;
  double min_ns, max_ns;
  double value = 0;  // what the profile says: the median unless `how` says otherwise
};

std::vector<double> pooled(const Collected& c, const std::vector<std::string>& names) {
  std::vector<double> all;
  for (const auto& n : names) {
    if (const auto it = c.series.find(n); it != c.series.end()) all.insert(all.end(), it->second.begin(), it->second.end());
  }
  return all;
}

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
  add("thread_create", {"kernel.thread_create_join"}, "pthread_create + pthread_join of an empty thread", 500, 1e8, false);
  add("syscall", {"kernel.syscall_getppid"}, "syscall(SYS_getppid), batches of 1000", 5, 1e6, false);
  add("page_fault", {"kernel.page_fault_4k"}, "first write to fresh anonymous 4 KiB pages (MADV_NOHUGEPAGE)", 10, 1e7, false);
  add("page_fault_huge", {"kernel.page_fault_2m"}, "first write to a fresh 2 MiB THP (MADV_HUGEPAGE), one fault", 1e3, 1e8, true);
  add("signal_ipi", {"kernel.signal_spinning"}, "tgkill to a thread spinning on another CPU, send to handler", 50, 1e9, true);
  add("timer_latency",
      {"kernel.nanosleep_overshoot_slack1ns.10us", "kernel.nanosleep_overshoot_slack1ns.50us",
       "kernel.nanosleep_overshoot_slack1ns.100us"},
      "nanosleep 10-100us overshoot with 1 ns timer slack", 0, 1e8, true);
  for (const KernelValue& v : out) {
    if (!std::isfinite(v.value) || v.value < v.min_ns || v.value > v.max_ns) {
      problems.push_back("kernel." + v.key + ": measured " + num(v.value) + " ns, outside the physical range " +
                         num(v.min_ns) + " to " + num(v.max_ns) + " ns");
    }
  }
  return out;
}

// ---- the profile ----

void write_profile(std::ostream& os, const Options& opt, const std::vector<std::pair<std::string, std::string>>& host,
                   const std::vector<KernelValue>& kernel, int hz, const FitReport& fit, const Collected& c) {
  auto param = [&](const std::string& column) -> const FitParam& {
    for (const FitParam& p : fit.params) {
      if (p.name == column) return p;
    }
    throw std::logic_error("no fitted column " + column);
  };
  auto fitted = [&](const std::string& column) {
    return std::any_of(fit.params.begin(), fit.params.end(), [&](const FitParam& p) { return p.name == column; });
  };
  const bool go = opt.runtime == "go";
  os << "# gmpsim host profile, written by `gmpsim calibrate" << (go ? " --runtime go" : "") << (opt.quick ? " --quick" : "")
     << "`.\n"
     << "# Use it in a scenario with   kernel: {profile: " << opt.out << "}"
     << (go ? "   and runtime: {model: go, version: " + opt.runtime_version + "}" : "") << "\n"
     << "# The loader reads `kernel:` and the `runtime:` section of the scenario's model; `host:`,\n"
     << "# `measurements:` and `fit:` are the record (validation/calibrate/README.md explains every entry).\n";
  os << "host:\n";
  for (const auto& [k, v] : host) os << "  " << k << ": " << quoted(v) << "\n";
  os << "kernel:\n";
  if (hz > 0) os << "  hz: " << hz << "Hz  # CONFIG_HZ from /boot/config-*\n";
  for (const KernelValue& v : kernel) {
    os << "  " << v.key << ": " << ns_text(v.value) << "  # " << spread_comment(v.summary) << "; " << v.how << "\n";
  }
  os << "runtime:\n";
  auto costs = [&](const char* model, const std::vector<Mapping>& map, const char* doc) {
    os << "  " << model << ":  # " << doc << "\n";
    for (const Mapping& m : map) {
      if (!fitted(m.column)) continue;  // not measured (notes: fit.*): the default applies
      const FitParam& p = param(m.column);
      if (m.plus == nullptr) {
        os << "    " << m.key << ": " << ns_text(p.value) << "  # fitted " << m.column << ": " << num(p.value)
           << " ns, bootstrap p10 " << num(p.p10) << ", p90 " << num(p.p90) << "\n";
        continue;
      }
      const FitParam& q = param(m.plus);
      os << "    " << m.key << ": " << ns_text(p.value + q.value) << "  # fitted " << m.column << " + " << m.plus << ": "
         << num(p.value) << " + " << num(q.value) << " ns (p10 " << num(p.p10) << " + " << num(q.p10) << ", p90 "
         << num(p.p90) << " + " << num(q.p90) << ")\n";
    }
  };
  if (go) {
    os << "  go:  # fitted to " << opt.go_version << " (" << opt.go << "); for runtime.version " << opt.runtime_version
       << " (the loader checks host.runtime_version)\n";
    for (const GoMapping& m : kRealGoCosts) {
      const FitParam& p = param(m.column);
      os << "    " << m.key << ": " << ns_text(p.value * m.share) << "  # fitted " << m.column;
      if (m.share != 1) os << " x " << num(m.share, 3);
      os << ": " << num(p.value) << " ns, bootstrap p10 " << num(p.p10) << ", p90 " << num(p.p90) << "\n";
    }
  } else {
    costs("go", kGoCosts,
          "the go model's costs from the embedded fiber runtime's primitives (gmpsim calibrate --runtime go fits real Go)");
    costs("boost-fiber-ws", kFiberCosts, "Boost.Fiber work_stealing, for the boost-fiber-ws model");
    // Not a cost: how many pages a new fiber stack's first run faults in (measured, not fitted).
    if (const auto it = c.series.find("fiber.storm_cold_faults_per_fiber"); it != c.series.end() && !it->second.empty()) {
      const Summary s = summarize(it->second);
      os << "    fiber.stack_fault_pages: " << num(s.median, 3) << "  # measured fiber.storm_cold_faults_per_fiber, p10 "
         << num(s.p10, 3) << ", p90 " << num(s.p90, 3) << ", n " << s.n << "\n";
    }
  }
  os << "measurements:  # ns per operation unless the name says otherwise; samples pooled over fresh processes\n";
  for (const auto& [name, samples] : c.series) {
    if (samples.empty()) continue;  // nothing measured (notes: say why)
    const Summary s = summarize(samples);
    os << "  " << name << ": {median: " << num(s.median, 6) << ", p10: " << num(s.p10, 6) << ", p90: " << num(s.p90, 6)
       << ", mad: " << num(s.mad, 6) << ", min: " << num(s.min, 6) << ", max: " << num(s.max, 6) << ", n: " << s.n << "}\n";
  }
  if (!c.notes.empty()) {
    os << "notes:\n";
    for (const auto& [name, text] : c.notes) os << "  " << name << ": " << quoted(text) << "\n";
  }
  os << "fit:  # non-negative least squares of the row medians, rows weighted by 1/measured (fit.h)\n"
     << "  relative_residual_rms: " << num(fit.rel_residual_rms) << "\n  parameters:\n";
  for (const FitParam& p : fit.params) {
    os << "    " << p.name << ": {value: " << num(p.value, 6) << ", p10: " << num(p.p10, 6) << ", p90: " << num(p.p90, 6) << "}\n";
  }
  os << "  rows:\n";
  for (const FitRow& r : fit.rows) {
    os << "    " << r.name << ": {measured: " << num(r.measured, 6) << ", predicted: " << num(r.predicted, 6)
       << ", relative_residual: " << num(r.rel_residual) << "}\n";
  }
}

void print_summary(std::ostream& os, const std::vector<KernelValue>& kernel, const FitReport& fit) {
  os << std::left << std::setw(28) << "parameter" << std::right << std::setw(12) << "median" << std::setw(12) << "p10"
     << std::setw(12) << "p90" << "  (ns)\n";
  for (const KernelValue& v : kernel) {
    os << std::left << std::setw(28) << ("kernel." + v.key) << std::right << std::setw(12) << num(v.value)
       << std::setw(12) << num(v.summary.p10) << std::setw(12) << num(v.summary.p90) << "\n";
  }
  for (const FitParam& p : fit.params) {
    os << std::left << std::setw(28) << ("fitted " + p.name) << std::right << std::setw(12) << num(p.value)
       << std::setw(12) << num(p.p10) << std::setw(12) << num(p.p90) << "\n";
  }
  os << "fit residuals (predicted vs measured):";
  for (const FitRow& r : fit.rows) os << " " << r.name << " " << (r.rel_residual >= 0 ? "+" : "") << num(100 * r.rel_residual, 2) << "%";
  os << "\n";
}

// Refuse rows that are too far off: the prediction from the fitted costs and the measurement differ by more
// than a factor 2 either way. Looser than the validation targets on purpose: it only catches broken
// measurements.
constexpr double kMaxRelResidual = 1.0;

int calibrate(Options opt) {
  if (opt.runtime == "go") {
    if (const std::string why = go_toolchain_version(opt.go, opt.go_version); !why.empty()) {
      std::cerr << "gmpsim-calibrate: --go: " << why << "\n";
      return kExitFailed;
    }
    opt.runtime_version = runtime_version_of(opt.go_version);
  }
  if (opt.out.empty()) opt.out = opt.runtime == "go" ? "calibration/" + opt.runtime_version + ".yaml" : "calibration/host.yaml";
  const auto started = std::chrono::steady_clock::now();
  utsname u{};
  uname(&u);
  const std::string release = u.release;
  const std::string load_before = trim(read_text_file("/proc/loadavg"));
  const std::string exe = process::self_executable();
  Collected c;
  const auto& list = benchmarks();
  const bool go = opt.runtime == "go";
  std::vector<const Benchmark*> chosen;
  for (const Benchmark& b : list) {  // with real Go, the kernel benchmarks and the lock (no Boost.Fiber)
    if (!go || std::string(b.name).rfind("fiber_", 0) != 0) chosen.push_back(&b);
  }
  const std::size_t steps = chosen.size() + (go ? go_probes().size() : 0);
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    const Benchmark& b = *chosen[i];
    const int procs = opt.quick ? b.quick_processes : b.processes;
    const auto t0 = std::chrono::steady_clock::now();
    std::string failure;
    for (int p = 0; p < procs && failure.empty(); ++p) failure = run_child(exe, b, opt.quick, opt.quick ? 20 : 60, c);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cerr << "calibrate: [" << std::setw(2) << i + 1 << "/" << steps << "] " << std::left << std::setw(22) << b.name
              << std::right << " " << procs << " process" << (procs > 1 ? "es" : "  ") << " " << std::fixed
              << std::setprecision(2) << secs << " s" << std::defaultfloat << (failure.empty() ? "" : "  FAILED: " + failure)
              << "\n";
    if (!failure.empty()) c.notes[std::string("bench.") + b.name] = failure;
  }
  if (go) {  // the Go probes, built with the toolchain into a temporary directory
    namespace fs = std::filesystem;
    char tmpl[] = "/tmp/gmpsim-calibrate-go-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::cerr << "gmpsim-calibrate: cannot make a temporary directory: " << std::strerror(errno) << "\n";
      return kExitFailed;
    }
    const std::string bin_dir = tmpl;
    const auto t0 = std::chrono::steady_clock::now();
    const std::string built = go_build_probes(opt.go, opt.probes, bin_dir);
    std::cerr << "calibrate: built the Go probes with " << opt.go_version << " in " << std::fixed << std::setprecision(2)
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s" << std::defaultfloat
              << "\n";
    if (!built.empty()) {
      std::cerr << "gmpsim-calibrate: " << built << "\n";
      std::error_code ec;
      fs::remove_all(bin_dir, ec);
      return kExitFailed;
    }
    for (std::size_t i = 0; i < go_probes().size(); ++i) {
      const GoProbe& p = go_probes()[i];
      const int procs = opt.quick ? 2 : 8;
      const auto t1 = std::chrono::steady_clock::now();
      BenchOutput out;
      std::string failure;
      for (int k = 0; k < procs && failure.empty(); ++k) failure = go_run_probe(p, bin_dir, opt.quick, out);
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
      std::cerr << "calibrate: [" << std::setw(2) << chosen.size() + i + 1 << "/" << steps << "] " << std::left
                << std::setw(22) << (std::string("go ") + p.name) << std::right << " " << procs << " processes " << std::fixed
                << std::setprecision(2) << secs << " s" << std::defaultfloat << (failure.empty() ? "" : "  FAILED: " + failure)
                << "\n";
      if (!failure.empty()) {
        c.notes[std::string("bench.go_") + p.name] = failure;
        continue;
      }
      for (auto& [k, v] : out.series) c.series[k].insert(c.series[k].end(), v.begin(), v.end());
    }
    std::error_code ec;
    fs::remove_all(bin_dir, ec);
  }

  // Other work on the CPUs shows up as waiting for a CPU in every latency (a steal, a wake-up): say so.
  const double load = std::max(std::atof(load_before.c_str()), std::atof(read_text_file("/proc/loadavg").c_str()));
  const int cpus = allowed_cpu_count();
  const std::string load_warning =
      load > cpus ? "load average " + num(load, 3) + " on " + std::to_string(cpus) +
                        " CPUs during the run: latencies include waiting for a CPU; calibrate on a quiet machine"
                  : "";
  if (!load_warning.empty()) std::cerr << "gmpsim-calibrate: warning: " << load_warning << "\n";

  std::vector<std::string> problems;
  const std::vector<KernelValue> kernel = kernel_values(c, problems);
  std::vector<Column> columns = go ? go_cost_columns() : cost_columns();
  std::vector<Row> rows = go ? go_cost_rows(c) : cost_rows(c);
  // The steal latency needs a thief that never waited for a CPU: on a busy host every trial may have, and
  // then the row has no samples. Its column is then left out of the fit (the models keep their default
  // steal cost), rather than refusing the whole profile.
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].name != "fiber.steal_latency" || !rows[r].samples.empty()) continue;
    std::size_t col = 0;
    while (columns[col].name != "steal") ++col;
    rows.erase(rows.begin() + static_cast<std::ptrdiff_t>(r));
    columns.erase(columns.begin() + static_cast<std::ptrdiff_t>(col));
    for (Row& row : rows) row.counts.erase(row.counts.begin() + static_cast<std::ptrdiff_t>(col));
    c.notes["fit.steal"] = "not fitted: every steal trial's thief waited for a CPU (a busy host); the models keep "
                           "their default steal cost";
    std::cerr << "gmpsim-calibrate: warning: " << c.notes["fit.steal"] << "\n";
    break;
  }
  const FitReport fit = fit_costs(columns, rows, opt.quick ? 50 : 200, 1);
  for (const std::string& p : check_fit(fit, columns, rows, kMaxRelResidual)) {
    // Name the model parameters a broken column would have become.
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
    problems.push_back(keys.empty() ? p : keys + " (" + p + ")");
  }
  print_summary(std::cout, kernel, fit);
  if (!problems.empty()) {
    for (const std::string& p : problems) std::cerr << "gmpsim-calibrate: " << p << "\n";
    std::cerr << "gmpsim-calibrate: refusing to write " << opt.out << ": " << problems.size()
              << " problem(s) above; rerun on a quieter machine, or see validation/calibrate/README.md\n";
    return kExitFailed;
  }

  const int hz = kernel_hz(release);
  const std::string wall_s = num(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), 3);
  const long slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
  std::vector<std::pair<std::string, std::string>> host = {
      {"kernel_release", release},
      {"machine", u.machine},
      {"cpu_model", cpu_model()},
      {"cores_online", std::to_string(std::thread::hardware_concurrency())},
      {"cores_allowed", std::to_string(allowed_cpu_count())},
      {"thp", sysfs_choice(read_text_file("/sys/kernel/mm/transparent_hugepage/enabled"))},
      {"thp_defrag", sysfs_choice(read_text_file("/sys/kernel/mm/transparent_hugepage/defrag"))},
      {"timer_slack_ns", std::to_string(slack)},
      {"hz", hz > 0 ? std::to_string(hz) : "unknown (no /boot/config-" + release + ")"},
      {"cgroup_cpu_limit", cgroup_cpu_limit()},
      {"date", utc_now()},
      {"loadavg_before", load_before},
      {"loadavg_after", trim(read_text_file("/proc/loadavg"))},
      {"load_warning", load_warning.empty() ? "none" : load_warning},
      {"mode", opt.quick ? "quick" : "default"},
      {"wall_s", wall_s},
      {"boost", BOOST_LIB_VERSION},
      {"harness", std::string("gmpsim-calibrate ") + GMPSIM_VERSION + (std::string(GMPSIM_GIT_REV).empty() ? "" : "+" + std::string(GMPSIM_GIT_REV)) +
                      (GMPSIM_STATIC_BUILD ? " (static)" : "")},
  };
  host.emplace_back("runtime", opt.runtime);
  if (go) {  // which Go this profile is for: the loader refuses it for a go scenario of another version
    host.emplace_back("go_version", opt.go_version);
    host.emplace_back("go", opt.go);
    host.emplace_back("runtime_version", opt.runtime_version);
  }

  namespace fs = std::filesystem;
  const fs::path out(opt.out);
  std::error_code ec;
  if (out.has_parent_path()) fs::create_directories(out.parent_path(), ec);
  const fs::path tmp = out.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    if (!f) {
      std::cerr << "gmpsim-calibrate: --out: cannot write \"" << tmp.string() << "\"\n";
      return kExitBadUsage;
    }
    write_profile(f, opt, host, kernel, hz, fit, c);
    if (!f.flush()) {
      std::cerr << "gmpsim-calibrate: --out: write to \"" << tmp.string() << "\" failed\n";
      return kExitFailed;
    }
  }
  fs::rename(tmp, out, ec);
  if (ec) {
    std::cerr << "gmpsim-calibrate: --out: cannot rename to \"" << out.string() << "\": " << ec.message() << "\n";
    return kExitFailed;
  }
  std::cerr << "calibrate: wrote " << out.string() << " in " << wall_s << " s\n";
  return kExitOk;
}

}  // namespace
}  // namespace gmpsim::calibrate

int main(int argc, char** argv) {
  using namespace gmpsim::calibrate;
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "bench") {
    if (args.size() < 2) {
      std::cerr << "gmpsim-calibrate: bench: missing NAME\n";
      return kExitBadUsage;
    }
    return run_bench_here(args[1], args.size() > 2 && args[2] == "--quick");
  }
  Options opt;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << "usage: gmpsim-calibrate [--runtime boost-fiber|go] [--go PATH] [--probes DIR] [--quick] [--out FILE]\n"
                   "  measure this host (Boost.Fiber and kernel primitives), fit the models' cost parameters\n"
                   "  and write a host profile (default calibration/host.yaml); --quick: fewer repeats (CI)\n"
                   "  --runtime go: real Go instead of Boost.Fiber: builds validation/go's calibration probes with\n"
                   "  the toolchain --go (default `go` on PATH) and fits the go model's costs to them (default\n"
                   "  output calibration/<go1.NN>.yaml); --probes DIR: validation/go elsewhere\n";
      return kExitOk;
    } else if (a == "--quick") {
      opt.quick = true;
    } else if (a == "--runtime" || a == "--go" || a == "--probes") {
      if (i + 1 >= args.size() || args[i + 1].empty()) {
        std::cerr << "gmpsim-calibrate: " << a << ": missing value\n";
        return kExitBadUsage;
      }
      const std::string v = args[++i];
      if (a == "--runtime") {
        if (v != "go" && v != "boost-fiber") {
          std::cerr << "gmpsim-calibrate: --runtime: unknown runtime \"" << v << "\"; runtimes: boost-fiber (default), go\n";
          return kExitBadUsage;
        }
        opt.runtime = v;
      } else if (a == "--go") {
        opt.go = v;
      } else {
        opt.probes = v;
      }
    } else if (a == "--out" || a.rfind("--out=", 0) == 0) {
      if (a == "--out" && i + 1 >= args.size()) {
        std::cerr << "gmpsim-calibrate: --out: missing FILE\n";
        return kExitBadUsage;
      }
      opt.out = a == "--out" ? args[++i] : a.substr(6);
      if (opt.out.empty()) {
        std::cerr << "gmpsim-calibrate: --out: empty FILE\n";
        return kExitBadUsage;
      }
    } else {
      std::cerr << "gmpsim-calibrate: unknown option \"" << a
                << "\"; options: --quick, --out FILE, --runtime boost-fiber|go, --go PATH, --probes DIR\n";
      return kExitBadUsage;
    }
  }
  return calibrate(opt);
}
