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
};

const char* trace_kind_name(std::uint32_t kind);

}  // namespace gmpsim::models
