// The interface every scheduler model implements: a Scenario goes in, a RunResult comes out. Models
// include this header, never the registry: the registry (models/registry.h) sits above every model and
// maps a model's name to its factory.
#pragma once
#include <vector>

#include "models/result.h"
#include "models/scenario/scenario.h"
#include "sim/trace.h"

namespace gmpsim::models {

// What a front end attaches to a run besides the scenario.
struct RunOptions {
  std::vector<sim::TraceObserver*> observers;  // receive the model's trace records (see run/trace_events.h)
  // Also emit the scheduler-detail records (kTraceGoStatus ...: Ms, Ps, CPUs, counters, flows), for the
  // Perfetto writer; the go model has them, the others ignore it. Off, they cost one branch per event.
  bool scheduler_trace = false;
};

class Model {
 public:
  virtual ~Model() = default;
  // Runs the scenario to its end and returns the results. Throws ScenarioError for input the model
  // cannot accept (detected before the run starts).
  virtual RunResult run(const Scenario& scenario, const RunOptions& options = {}) = 0;
};

}  // namespace gmpsim::models
