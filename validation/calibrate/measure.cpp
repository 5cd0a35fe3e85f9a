// Running the benchmarks: each in fresh processes (this executable again, `gmpsim-calibrate bench NAME`),
// whose printed series are pooled; with --runtime go also the Go probes, built with the toolchain first.
//
// Several measurements need a fresh process: first-touch faults need untouched memory, and Boost.Fiber
// keeps one static work_stealing pool per process (boostorg/fiber#217); fresh processes also let the
// variation between processes show in the spread.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "validation/calibrate/benchmarks.h"
#include "validation/calibrate/harness.h"
#include "validation/common/process.h"

namespace gmpsim::calibrate {

const std::vector<Benchmark>& benchmarks() {
  // processes: fresh processes per run, so that between-process variation shows in the spread; more
  // where process state matters (faults, the steal pool, the storm's fresh stacks).
  static const std::vector<Benchmark> list = {
      {"syscall", "syscall entry (getppid)", 5, 1, bench_syscall},
      {"sched_yield", "sched_yield with no peer", 5, 1, bench_sched_yield},
      {"futex", "futex wake to the woken thread running", 5, 1, bench_futex},
      {"wake_pack", "where a thread woken by one on its previous CPU runs while another CPU idles", 3, 1, bench_wake_pack},
      {"cache_line", "a cache line handed between two pinned CPUs", 3, 1, bench_cache_line},
      {"nanosleep", "nanosleep overshoot, 1us-2ms, own and 1 ns timer slack", 3, 1, bench_nanosleep},
      {"signal", "tgkill to self, to a spinning thread, to a blocked thread", 5, 1, bench_signal},
      {"page_fault", "first-touch fault of a 4 KiB page", 8, 2, bench_page_fault},
      {"page_fault_huge", "first-touch fault of a 2 MiB transparent huge page", 8, 2, bench_page_fault_huge},
      {"page_copy", "pread of cached file pages: the copy of one 4 KiB page", 5, 1, bench_page_copy},
      {"mmap", "mmap + munmap of 1 MiB", 5, 1, bench_mmap},
      {"thread", "pthread_create + join", 5, 1, bench_thread},
      {"tick", "gaps a pinned spinning thread sees: the tick's handler", 3, 1, bench_tick},
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

}  // namespace

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
    _exit(kExitOk);  // no destructors: Boost.Fiber pools and parked threads are not torn down (boostorg/fiber#260)
  }
  std::cerr << "gmpsim-calibrate: bench: unknown benchmark \"" << name << "\"\n";
  return kExitBadUsage;
}

int measure(const Options& opt, Collected& c) {
  const std::string exe = process::self_executable();
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
    // The source tree's validation/go when it is there; on another host (a bundle, `make validate-bundle`)
    // the one under the working directory.
    std::string probes = opt.probes;
    if (!fs::exists(fs::path(probes) / "go.mod") && fs::exists(fs::path("validation/go/go.mod"))) {
      probes = fs::absolute("validation/go").string();
    }
    const std::string built = go_build_probes(opt.go, probes, bin_dir);
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
  return kExitOk;
}

}  // namespace gmpsim::calibrate
