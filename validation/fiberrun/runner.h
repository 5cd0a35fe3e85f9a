// gmpsim-fiberrun's child side: one run of a scenario's workload on real Boost.Fiber 1.74 fibers with
// algo::work_stealing, in this process (README.md says what each step becomes and what differs from the
// boost-fiber-ws model).
#pragma once
#include <cstdint>
#include <string>

#include "models/scenario/scenario.h"

namespace gmpsim::fiberrun {

// The worker thread count: fiber.threads, 0 meaning one per hardware thread of this host.
unsigned worker_threads(const models::Scenario& sc);
// fiber.idle == suspend (work_stealing's `suspend` argument).
bool idle_suspend(const models::Scenario& sc);

// Throws models::ScenarioError naming the key and the fix when the scenario cannot run here: another
// model, a step with no Boost.Fiber counterpart (select, net_wait, lock_thread), closed-loop clients.
void check_runnable(const models::Scenario& sc);

// Runs the workload once with `seed` (after pre-faulting `warm_stacks` fiber stacks, --warm-stacks), prints the run's JSON object on one line on stdout and ends the
// process with _exit(0): pools and parked threads are never torn down (boostorg/fiber#260), and Boost 1.74
// allows one work_stealing pool per process (boostorg/fiber#217), which is why every run is a process of its own.
[[noreturn]] void run_child(const models::Scenario& sc, std::uint64_t seed, std::int64_t warm_stacks);

// Latency samples kept per class and per span; beyond it a deterministic uniform subsample (README.md).
inline constexpr std::size_t kMaxSamples = 200'000;

}  // namespace gmpsim::fiberrun
