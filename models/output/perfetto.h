// PerfettoWriter: a trace observer that streams a run into Perfetto's protobuf trace format
// (ui.perfetto.dev and trace_processor open it): a track per CPU with the thread it runs, a track per M and
// per P with the goroutine it runs and the scheduler's states, a track per goroutine grouped by class,
// flows for wake-ups (goready), steals and P hand-offs, instants for preemption, and counter tracks (run
// queues, the global queue, live goroutines, spinning Ms, heap and GC phase). It needs the scheduler
// detail records (RunOptions::scheduler_trace; the go model emits them). Packets are written as records
// arrive; memory is bounded by the number of Ms, Ps, CPUs, goroutine ids and distinct names, not by the
// run's length. models/output/README.md#perfetto-traces has the design and the choice of library.
#pragma once
#include <cstdint>
#include <fstream>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "models/scenario/scenario.h"
#include "sim/trace.h"

namespace gmpsim::models {

struct PerfettoOptions {
  sim::Time start = 0, end = -1;  // the time window [start, end); end < 0: to the end of the run
  std::vector<bool> classes;      // by class index: which classes' goroutines appear; empty: all
  std::uint32_t sample = 1;       // goroutines whose id is a multiple of this appear (1: all)
};

// The options from the CLI's or Python's strings: window "START:END" with units ("1s:1.5s", ":200ms",
// "2s:"; empty: the whole run), classes "a,b" (names of the scenario's classes; empty: all), sample N >= 1.
// Throws ScenarioError naming the option and the fix.
PerfettoOptions perfetto_options(const Scenario& sc, const std::string& window, const std::string& classes, std::int64_t sample);

class PerfettoWriter final : public sim::TraceObserver {
 public:
  PerfettoWriter(std::ostream& out, const Scenario& sc, PerfettoOptions options);
  ~PerfettoWriter() override;
  void on_trace(const sim::TraceRecord& r) override;
  // Closes what is open at the run's end (or the window's, if earlier) and flushes. Throws
  // std::runtime_error if the stream failed.
  void finish(sim::Time end);
  std::uint64_t packets() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A Perfetto trace written to a file, as the CLI's `run --perfetto` and Python's run(perfetto=...) do: the
// model must emit the scheduler detail (the go model; others are refused with a ScenarioError), the file
// is written to PATH.tmp and renamed into place by commit(), so a failed run leaves no half-written trace.
class PerfettoFile {
 public:
  PerfettoFile(const std::string& path, const Scenario& sc, PerfettoOptions options);
  ~PerfettoFile();
  sim::TraceObserver* observer();
  void commit(sim::Time end);  // after the run: closes the trace at `end` (RunResult::simulated_ns)
  std::uint64_t packets() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gmpsim::models
