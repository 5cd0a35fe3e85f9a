// The host benchmarks of `gmpsim calibrate`. Each runs inside one process (the harness starts a fresh
// process per repeat, see measure.cpp) and returns named series of samples in ns: one sample per batch of
// operations (the per-operation mean of the batch) or per single operation where one operation is long
// enough to time alone (a sleep, a fault of a huge page, a signal).
#pragma once
#include <cstdint>
#include <ctime>
#include <map>
#include <utility>
#include <string>
#include <vector>

namespace gmpsim::calibrate {

struct BenchOutput {
  std::map<std::string, std::vector<double>> series;  // name -> samples (ns, or a count where the name says)
  std::map<std::string, std::string> notes;           // name -> why a series is missing, or a fact worth keeping
};

struct BenchScale {
  bool quick = false;
};

struct Benchmark {
  const char* name;
  const char* what;
  int processes;        // fresh processes in a default run
  int quick_processes;  // in a --quick run
  BenchOutput (*run)(const BenchScale&);
};

// Every benchmark, in the order a calibration runs them.
const std::vector<Benchmark>& benchmarks();

// CLOCK_MONOTONIC in ns (a vDSO call without a kernel entry: vdso(7)).
inline std::int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

BenchOutput bench_syscall(const BenchScale&);
BenchOutput bench_sched_yield(const BenchScale&);
BenchOutput bench_futex(const BenchScale&);
BenchOutput bench_wake_pack(const BenchScale&);
BenchOutput bench_cache_line(const BenchScale&);
BenchOutput bench_nanosleep(const BenchScale&);
BenchOutput bench_signal(const BenchScale&);
BenchOutput bench_page_fault(const BenchScale&);
BenchOutput bench_page_fault_huge(const BenchScale&);
BenchOutput bench_page_copy(const BenchScale&);
BenchOutput bench_mmap(const BenchScale&);
BenchOutput bench_thread(const BenchScale&);
BenchOutput bench_tick(const BenchScale&);
BenchOutput bench_lock(const BenchScale&);
BenchOutput bench_fiber_yield(const BenchScale&);
BenchOutput bench_fiber_spawn(const BenchScale&);
BenchOutput bench_fiber_channel(const BenchScale&);
BenchOutput bench_fiber_channel_threads(const BenchScale&);
BenchOutput bench_fiber_steal(const BenchScale&);
BenchOutput bench_fiber_storm(const BenchScale&);

// ---- the real-Go calibration (bench_go.cpp) ----

// One calibration-set probe of validation/go/: its directory, arguments (default and --quick; -json is
// appended), the operations its measured phase counts, and the series it yields: name -> the JSON
// counter divided by the operations ("" = makespan_ns).
struct GoProbe {
  const char* name;
  const char* dir;
  std::vector<std::string> args, quick_args;
  double ops, quick_ops;
  std::vector<std::pair<std::string, std::string>> series;
  std::vector<std::string> env = {};  // extra environment entries (GOGC=off)
};
const std::vector<GoProbe>& go_probes();

struct RunResult {
  std::string output;   // stdout and stderr together
  std::string failure;  // "" when it exited with status 0
};
// Runs argv (PATH lookup) with extra environment entries, in `cwd` when not empty, killed after timeout_s.
RunResult run_capture(const std::vector<std::string>& args, const std::vector<std::string>& extra_env,
                      const std::string& cwd, int timeout_s);
std::vector<std::string> go_env();  // GOTOOLCHAIN=local GOFLAGS=-mod=mod, as validation/go/compare.py
// `go env GOVERSION` (go1.26.8) into `version`; returns "" or why not.
std::string go_toolchain_version(const std::string& go, std::string& version);
// The go model's version a toolchain version belongs to: go1.26.8 -> go1.26.
std::string runtime_version_of(const std::string& go_version);
// Builds every calibration probe into bin_dir; returns "" or why not.
std::string go_build_probes(const std::string& go, const std::string& probes_dir, const std::string& bin_dir);
// Runs one probe once (a fresh process) and appends one sample per series; returns "" or why not.
std::string go_run_probe(const GoProbe& p, const std::string& bin_dir, bool quick, BenchOutput& into);
double json_number(const std::string& text, const std::string& key);

// Reads a whole small file (a /proc or /sys entry); "" when unreadable.
std::string read_text_file(const std::string& path);
// The bracketed choice of a sysfs selector ("always [madvise] never" -> "madvise"); "" when none.
std::string sysfs_choice(const std::string& text);

}  // namespace gmpsim::calibrate
