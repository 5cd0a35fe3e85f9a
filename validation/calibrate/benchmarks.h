// The host benchmarks of `gmpsim calibrate`. Each runs inside one process (the harness starts a fresh
// process per repeat, see harness.cpp) and returns named series of samples in ns: one sample per batch of
// operations (the per-operation mean of the batch) or per single operation where one operation is long
// enough to time alone (a sleep, a fault of a huge page, a signal).
#pragma once
#include <cstdint>
#include <ctime>
#include <map>
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

// CLOCK_MONOTONIC in ns (a vDSO call, ~30 ns on the project's VMs: kernel-and-calibration.md §0).
inline std::int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

BenchOutput bench_syscall(const BenchScale&);
BenchOutput bench_sched_yield(const BenchScale&);
BenchOutput bench_futex(const BenchScale&);
BenchOutput bench_nanosleep(const BenchScale&);
BenchOutput bench_signal(const BenchScale&);
BenchOutput bench_page_fault(const BenchScale&);
BenchOutput bench_page_fault_huge(const BenchScale&);
BenchOutput bench_mmap(const BenchScale&);
BenchOutput bench_thread(const BenchScale&);
BenchOutput bench_lock(const BenchScale&);
BenchOutput bench_fiber_yield(const BenchScale&);
BenchOutput bench_fiber_spawn(const BenchScale&);
BenchOutput bench_fiber_channel(const BenchScale&);
BenchOutput bench_fiber_channel_threads(const BenchScale&);
BenchOutput bench_fiber_steal(const BenchScale&);
BenchOutput bench_fiber_storm(const BenchScale&);

// Reads a whole small file (a /proc or /sys entry); "" when unreadable.
std::string read_text_file(const std::string& path);
// The bracketed choice of a sysfs selector ("always [madvise] never" -> "madvise"); "" when none.
std::string sysfs_choice(const std::string& text);

}  // namespace gmpsim::calibrate
