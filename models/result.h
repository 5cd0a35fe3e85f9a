// RunResult: the one result type every model returns and every front end (CLI, Python, validation)
// reads. Only sim.wall_s and sim.events_per_s depend on the host; everything else is a pure function of
// scenario, build and seed.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/scenario/scenario.h"
#include "sim/stats.h"

namespace gmpsim::models {

enum class OutcomeStatus : std::uint8_t { kCompleted, kDeadlock, kStarved, kThreadExhaustion, kOutOfMemory, kTimeLimit, kPanic, kOomKilled,
                                            kTooManyOpenFiles, kSimMemoryLimit };
const char* outcome_name(OutcomeStatus s);

struct Outcome {
  OutcomeStatus status = OutcomeStatus::kCompleted;
  std::string detail;
  bool abnormal() const { return status != OutcomeStatus::kCompleted; }
};

// Latency of one class or span over the measured window (arrivals at or after the warm-up).
struct LatencyResult {
  std::string name;
  std::string class_name;            // for spans: the class whose program holds the span
  sim::LogHistogram latency;         // ns
  sim::ConfidenceInterval mean_ci;   // of the mean latency, in ns, by batch means
};

struct ClassResult {
  LatencyResult latency;             // arrival (or spawn) to exit
  LatencyResult wait;                // runnable -> running, each time the goroutine is picked
  std::uint64_t created = 0;
  std::uint64_t completed = 0;       // exits within the window, of goroutines that started in it
};

struct TimeSeries {
  std::vector<std::string> columns;  // first column "t_s"
  std::vector<std::vector<double>> data;  // column-major: data[c][row]
  std::size_t rows() const { return data.empty() ? 0 : data[0].size(); }
};

struct RunResult {
  std::string model, version;
  std::uint64_t seed = 0;
  Json scenario;                      // resolved, nested
  Json scenario_origin;               // key -> layer

  std::uint64_t events = 0;
  double wall_s = 0;                  // host-dependent
  sim::Time simulated_ns = 0;         // end of the run in virtual time
  sim::Time window_ns = 0;            // measured window: from warm-up to the end
  std::uint64_t fingerprint = 0;      // of the event stream

  std::uint64_t goroutines_created = 0, goroutines_completed = 0, goroutines_peak_live = 0;
  double throughput_per_s = 0;        // completions in the window per second of window
  double mean_live = 0;               // time-weighted over the window
  double mean_runnable = 0;
  // CPU time over the window, as fractions of CPUs x window: the goroutines' own work, the runtime's
  // (scheduling, syscall and timer paths, the netpoller), and threads spinning for work. fifo has no
  // runtime: only the first is non-zero there.
  double cpu_utilization = 0;         // goroutine work
  double cpu_runtime = 0;
  double cpu_spinning = 0;
  double cpu_busy_total() const { return cpu_utilization + cpu_runtime + cpu_spinning; }  // the program's
  double cpu_other = 0;               // other processes on the machine (machine.processes)
  std::vector<double> cpu_busy;       // per CPU, goroutine work
  std::uint64_t sim_memory_bytes = 0; // simulator memory held for goroutine state at the peak

  std::vector<ClassResult> classes;
  std::vector<LatencyResult> spans;
  TimeSeries timeseries;
  std::vector<std::string> schedtrace;  // GODEBUG=schedtrace-format lines (go model), when asked for
  std::vector<std::string> gctrace;     // GODEBUG=gctrace=1-format lines (go model), when asked for
  Outcome outcome;
  Json model_counters = Json::object();  // model-specific figures
};

}  // namespace gmpsim::models
