// The `go` model: Go's G/M/P scheduler following proc.go (pinned to go1.26.8, the installed toolchain;
// the go1.19 profile switches off what 1.19 lacks). Names follow the runtime so a reader can hold this
// next to proc.go: schedule, findRunnable, stealWork, runqput, wakep, startm, stopm, resetspinning.
//
// What is modelled (part 1 of the Go model, in progress):
//   - Ms are OS threads on the machine's CPUs through the kernel thread layer (models/kernel/threads.h):
//     scheduler work and goroutine compute are CPU bursts that only progress while the M's thread holds a
//     CPU; futex wake latency, thread creation cost and usleep timer slack come from the kernel profile.
//   - Per-P local run queues with runnext, the global run queue with the schedtick%61 check and the
//     globrunqgetbatch formula, overflow to the global queue, stealWork's rounds over a random coprime
//     order with runnext stolen only in the last round after the usleep(3) back-off, spinning Ms with the
//     2*nmspinning < GOMAXPROCS-npidle limit, one wakep in flight, resetspinning's chain, idle P and M
//     lists (LIFO), new threads only when no idle M exists.
//   - `go` (spawn) puts the new G in the spawner P's runnext and calls wakep; arrivals from outside go to
//     the global queue and start idle Ps as injectglist does.
//   - Costs: each scheduler decision is taken atomically when the M reaches it and its CPU cost is paid as
//     a burst before the G runs (so a G picked by one M is never also picked by another).
// Not yet (see the issue): sched.lock hold times and contention, Gosched/WaitGroup/alloc steps, dead-G
// free lists and memory accounting, checkdead, schedtrace output, sysmon and preemption (part 5),
// blocking and the netpoller (part 2).
#pragma once
#include "models/registry.h"
#include "models/result.h"

namespace gmpsim::models::go {

class GoModel final : public Model {
 public:
  RunResult run(const Scenario& scenario, const RunOptions& options = {}) override;
};

}  // namespace gmpsim::models::go
