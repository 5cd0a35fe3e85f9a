// fifo: one global FIFO run queue served by every CPU of the machine, with zero scheduling cost.
//
// A goroutine that becomes runnable joins the tail of the queue; an idle CPU takes the head and runs the
// goroutine's program to its end without preemption (compute steps take their sampled time; spawned
// goroutines join the tail and the spawner keeps its CPU). With Poisson arrivals and one compute step
// this is exactly the M/G/c FCFS queue, which is why the tests hold it to queueing theory and later
// models are compared against it.
#pragma once
#include "models/model.h"
#include "models/result.h"

namespace gmpsim::models {

class FifoModel final : public Model {
 public:
  RunResult run(const Scenario& scenario, const RunOptions& options = {}) override;
};

}  // namespace gmpsim::models
