// Properties the go model must keep for every GOMAXPROCS and every kind of workload: goroutines are
// conserved, no more goroutines run at once than there are Ps, CPU time never exceeds the machine, and a
// seed fixes the run bit for bit. The model's own check_invariants() (run queues, P and M states) runs on
// every event in checked builds (GMPSIM_CHECKS, the sanitizer build); these hold in every build.
#include <catch2/catch.hpp>
#include <algorithm>
#include <sstream>

#include "models/testing/builders.h"
#include "models/testing/run_helpers.h"

using namespace gmpsim;
using namespace gmpsim::models;
using testing::run_yaml;

namespace {

struct Case {
  const char* name;
  std::string yaml;            // without machine, runtime and run sections
  std::uint64_t listeners = 0; // runtime goroutines outside the classes: net/http's accept loop per open-loop class
};

std::vector<Case> workloads() {
  return {
      {"spawn storm",
       "workload:\n"
       "  classes:\n"
       "    main: {arrivals: {process: initial, count: 1}, program: [{repeat: {count: 3000, steps: [{spawn: w}, "
       "{compute: 50ns}]}}]}\n"
       "    w: {program: [{compute: {dist: exponential, mean: 20us}}]}\n",
       0},
      {"channel pipeline",
       "workload:\n"
       "  channels: {stage1: 4, stage2: 0}\n"
       "  classes:\n"
       "    src: {arrivals: {process: initial, count: 1}, program: [{spawn: mid}, {spawn: sink}, "
       "{repeat: {count: 2000, steps: [{compute: 5us}, {send: stage1}]}}]}\n"
       "    mid: {program: [{repeat: {count: 2000, steps: [{recv: stage1}, {compute: 3us}, {send: stage2}]}}]}\n"
       "    sink: {program: [{repeat: {count: 2000, steps: [{recv: stage2}, {compute: 2us}]}}]}\n"},
      {"syscalls, sleeps and the network",
       "workload:\n"
       "  classes:\n"
       "    req:\n"
       "      arrivals: {process: poisson, rate: 3000/s}\n"
       "      program:\n"
       "        - compute: {dist: exponential, mean: 100us}\n"
       "        - syscall: {dist: exponential, mean: 200us}\n"
       "        - net_wait: {dist: lognormal, median: 1ms, sigma: 0.5}\n"
       "        - sleep: 300us\n"
       "        - compute: 50us\n",
       1},
      {"mutex contention",
       "workload:\n"
       "  classes:\n"
       "    req:\n"
       "      arrivals: {process: poisson, rate: 20000/s}\n"
       "      program: [{compute: 10us}, {lock: m}, {compute: 20us}, {unlock: m}, {compute: 10us}]\n",
       1},
  };
}

std::string scenario(const Case& w, int gomaxprocs, std::uint64_t seed) {
  std::ostringstream os;
  os << "machine: {cpus: 8}\n"
     << "runtime: {model: go, gomaxprocs: " << gomaxprocs << "}\n"
     << w.yaml << "run: {duration: 200ms, sample_interval: 1ms, seed: " << seed << "}\n";
  return os.str();
}

}  // namespace

TEST_CASE("go: invariants over GOMAXPROCS and workloads", "[go][invariants]") {
  const int gomaxprocs = GENERATE(1, 2, 4, 8, 64);
  for (const Case& w : workloads()) {
    for (std::uint64_t seed : {1u, 7u}) {
      const std::string yaml = scenario(w, gomaxprocs, seed);
      INFO(w.name << ", GOMAXPROCS=" << gomaxprocs << ", seed " << seed);
      const RunResult r = run_yaml(yaml);
      REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
      CHECK(r.scenario["runtime"]["gomaxprocs"] == gomaxprocs);

      // Conservation: every goroutine is counted once, in its class or as the runtime's own (the listener);
      // none finishes twice. No warm-up, so every completion is counted.
      const auto& ts = r.timeseries;
      REQUIRE(ts.rows() > 0);
      const auto col = [&](const char* name) {
        const auto it = std::find(ts.columns.begin(), ts.columns.end(), name);
        REQUIRE(it != ts.columns.end());
        return static_cast<std::size_t>(it - ts.columns.begin());
      };
      std::uint64_t per_class_created = 0, per_class_completed = 0;
      for (const ClassResult& c : r.classes) {
        per_class_created += c.created;
        per_class_completed += c.completed;
        CHECK(c.completed <= c.created);
      }
      CHECK(per_class_created + w.listeners == r.goroutines_created);
      CHECK(per_class_completed == r.goroutines_completed);
      CHECK(r.goroutines_completed <= r.goroutines_created);
      CHECK(r.goroutines_peak_live <= r.goroutines_created);
      CHECK(r.goroutines_peak_live + w.listeners >= per_class_created - r.goroutines_completed);

      // At most GOMAXPROCS goroutines run at once, in every sample and on average; CPU time fits the machine.
      const std::size_t running = col("running"), live = col("live"), runnable = col("runnable");
      for (std::size_t i = 0; i < ts.rows(); ++i) {
        // _Grunning counts a G whose M the kernel has descheduled, so the bound is GOMAXPROCS, not the CPUs.
        CHECK(ts.data[running][i] <= gomaxprocs);
        CHECK(ts.data[running][i] + ts.data[runnable][i] <= ts.data[live][i]);
        CHECK(ts.data[live][i] <= static_cast<double>(r.goroutines_peak_live));
      }
      CHECK(r.cpu_utilization * 8 <= std::min(gomaxprocs, 8) + 1e-9);
      CHECK(r.cpu_utilization >= 0);
      CHECK(r.cpu_runtime >= 0);
      CHECK(r.cpu_spinning >= 0);
      CHECK(r.cpu_busy_total() <= 1 + 1e-9);
      CHECK(r.cpu_busy.size() == 8u);
      for (double b : r.cpu_busy) CHECK((b >= 0 && b <= 1 + 1e-9));

      // The same scenario and seed: the same run, bit for bit.
      const RunResult again = run_yaml(yaml);
      CHECK(again.fingerprint == r.fingerprint);
      CHECK(again.events == r.events);
      CHECK(again.goroutines_completed == r.goroutines_completed);
    }
  }
}
