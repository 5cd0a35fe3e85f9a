// Trace record kinds the models emit (sim::TraceRecord::kind), named after the Go runtime tracer's
// events (runtime/trace: GoCreate, GoStart, GoEnd) so simulated and real traces can be lined up.
// Fields: a = goroutine id (ids are reused after exit), b = class index, c = CPU index (GoStart; GoEnd in go).
#pragma once
#include <cstdint>

namespace gmpsim::models {

enum TraceKind : std::uint32_t {
  kTraceGoCreate = 1,  // a goroutine was created (arrival, spawn, closed-loop submission)
  kTraceGoStart = 2,   // a CPU started running it
  kTraceGoEnd = 3,     // it exited
  kTraceGoPark = 4,    // it parked (WaitGroup wait)
  kTraceGoUnpark = 5,  // it was readied
  kTraceAcceptEmfile = 6,  // accept4 failed with EMFILE (go: a = the listener, b = its class, c = fds open)

  // Scheduler detail (the go model, only when RunOptions::scheduler_trace is set: the Perfetto writer).
  // Fields differ from the goroutine kinds above, so the CSV trace leaves these out.
  kTraceDetailFirst = 16,
  // A goroutine's status changed (casgstatus): a = g, b = class | status << 16 | wait reason << 24
  // (TraceGState; the reason's name is trace_wait_reason_name), c = the M it starts running on (kTraceNone:
  // not a start).
  kTraceGoStatus = 16,
  // An M's state after an event changed it: a = M, b = TraceMState | (P + 1) << 8 (0: no P), c = its G.
  kTraceMState = 17,
  // A P's state: a = P, b = TracePState, c = the M that holds it (kTraceNone: none).
  kTracePState = 18,
  // The thread a CPU runs (the kernel layer): a = CPU index, b = thread id (kTraceNone: idle); thread ids
  // below kTraceBgBit are the process's (in go: M ids), with it set a background process's or kernel thread's.
  kTraceCpu = 19,
  // A counter changed: a = TraceCounter | index << 8 (the P of a run queue), b:c = the value's high:low words.
  kTraceCounter = 20,
  // goready: a = the G readied, b = the G that readied it (kTraceNone: the scheduler itself), c = its M.
  kTraceWake = 21,
  // runqsteal: a = the thief M, b = the victim P, c = the G the thief runs next.
  kTraceSteal = 22,
  // handoffp: P a leaves M b (in a syscall, or stopping) for the next M that acquires it.
  kTraceHandoff = 23,
  // Preemption: a = M, b = G, c = TracePreempt.
  kTracePreempt = 24,
};

inline constexpr std::uint32_t kTraceNone = 0xffffffffu;
inline constexpr std::uint32_t kTraceBgBit = 0x40000000u;  // kernel::Kernel::kBgBit

// Goroutine statuses, with runtime2.go's _G* values.
enum TraceGState : std::uint32_t { kTgRunnable = 1, kTgRunning = 2, kTgSyscall = 3, kTgWaiting = 4, kTgDead = 6 };
// What an M does (derived from its fields after each event).
enum TraceMState : std::uint32_t {
  kTmIdle = 0,        // no P, thread parked (stopm) or not started
  kTmScheduling = 1,  // holds a P, runs the scheduler (schedule, findRunnable, execute's cost)
  kTmSpinning = 2,    // spinning: looking for work to steal
  kTmRunning = 3,     // runs its G (c)
  kTmSyscall = 4,     // its G is in a system call
  kTmGcWorker = 5,    // runs a GC mark worker on its P
  kTmNetpoll = 6,     // blocked in netpoll (the blocking poller)
  kTmSysmon = 7,      // sysmon's thread
  kTmGcStop = 8,      // stopping the world, or stopped for it
  kTmDead = 9,        // its thread exited (a locked G exited)
  kTmStates
};
enum TracePState : std::uint32_t { kTpIdle = 0, kTpRunning = 1, kTpGcStop = 3 };
enum TraceCounter : std::uint32_t {
  kTcRunq = 0,        // a P's local run queue, runnext included (index: the P)
  kTcGlobalRunq = 1,  // the global run queue
  kTcLive = 2,        // live goroutines
  kTcSpinning = 3,    // spinning Ms (sched.nmspinning)
  kTcHeapLive = 4,    // the collector's heapLive, bytes (runs that allocate)
  kTcHeapGoal = 5,    // the heap goal, bytes
  kTcGcPhase = 6,     // 0 off, 1 sweep termination, 2 mark, 3 mark termination
  kTcCounters
};
enum TracePreempt : std::uint32_t { kTpRequest = 0, kTpSignal = 1, kTpAsync = 2 };

const char* trace_kind_name(std::uint32_t kind);
// The name of a go wait reason (runtime2.go waitReasonStrings), for kTraceGoStatus.
const char* trace_wait_reason_name(std::uint32_t reason);

}  // namespace gmpsim::models
