// The `go` model: Go's G/M/P scheduler following proc.go (pinned to go1.26.8, the installed toolchain;
// the go1.19 profile switches off what 1.19 lacks). Names follow the runtime so a reader can hold this
// next to proc.go: schedule, findRunnable, stealWork, runqput, wakep, startm, stopm, resetspinning.
//
// What is modelled (models/go/README.md has the details):
//   - Ms are OS threads on the machine's CPUs through the kernel thread layer (models/kernel/threads.h):
//     scheduler work and goroutine compute are CPU bursts that only progress while the M's thread holds a
//     CPU; futex wake latency, thread creation cost, usleep timer slack and syscall cost come from the
//     kernel profile. proc.cpp's opening comment says why and what that abstracts.
//   - Per-P local run queues with runnext, the global run queue (schedtick%61, globrunqgetbatch), overflow,
//     stealWork's rounds, spinning Ms, idle P and M lists, sched.lock with hold times, dead-G free lists.
//   - Blocking and waking: WaitGroups, channels and select, sync.Mutex (spinning, starvation, hand-off),
//     time.Sleep on per-P timer heaps, network waits through the netpoller (non-blocking polls and the one
//     blocking poller with epoll_wait's millisecond timeout), accept arrivals through a listener goroutine.
//   - sysmon (back-off, deep sleep, its 10 ms netpoll), retake, cooperative and asynchronous (SIGURG)
//     preemption; syscalls (blocking, entersyscallblock, raw, cgo) with exitsyscall's fast and slow paths
//     and handoffp; LockOSThread.
//   - Memory: g structs, stacks (grown by doubling for declared depths), sudogs, Ms, the heap; checkdead;
//     schedtrace.
//   - The garbage collector (mgc.cpp, pacer.cpp): the pacer, stop-the-world, mark workers, assists,
//     sweeping, the scavenger's target, gctrace.
// Not modelled: the template thread, channel timers (time.After in a select).
#pragma once
#include "models/model.h"
#include "models/result.h"

namespace gmpsim::models::go {

class GoModel final : public Model {
 public:
  RunResult run(const Scenario& scenario, const RunOptions& options = {}) override;
};

}  // namespace gmpsim::models::go
