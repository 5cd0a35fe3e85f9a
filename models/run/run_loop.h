// The event loop every model runs: dispatch events up to run.duration, in chunks, and turn the ways a
// run can end early into outcomes: run.max_events and run.wall_limit (time_limit), a goroutine that
// loops without taking CPU time (the model stops the engine and describes it: starved), and a livelock
// in which events keep firing while simulated time stands still (starved).
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include "models/result.h"
#include "models/run/run_stats.h"
#include "models/run/trace_events.h"
#include "models/workload/goroutines.h"
#include "models/workload/sync.h"
#include "sim/engine.h"

namespace gmpsim::models {

// Events allowed at one instant before the run is declared stuck.
inline constexpr std::uint64_t kMaxEventsAtOneInstant = 50'000'000;

// Runs the engine to the end of the run in chunks, checking the wall-clock, event and memory limits between
// them; a ProgramPanic thrown by the model ends the run with outcome panic, a SimMemoryLimit (the
// goroutine table outgrowing run.max_memory) with outcome sim_memory_limit.
// `stopped_detail()` is called when the model stopped the engine (or had stopped it before the loop
// began, `stopped_before`): it returns the outcome detail.
template <class Dispatch, class StoppedDetail>
Outcome run_events(sim::Engine& engine, const RunConfig& run, Dispatch&& dispatch, bool stopped_before,
                   StoppedDetail&& stopped_detail, std::chrono::steady_clock::time_point wall0) {
  constexpr std::uint64_t kChunk = 1 << 20;  // events between wall-clock checks
  auto at = [&] { return " at t=" + std::to_string(sim::to_seconds(engine.now())) + " s"; };
  sim::Time instant = -1;
  std::uint64_t at_instant = 0;
  bool livelock = false;
  auto guarded = [&](const sim::Event& ev) {
    if (ev.time != instant) {
      instant = ev.time;
      at_instant = 0;
    } else if (++at_instant > kMaxEventsAtOneInstant) {
      livelock = true;
      engine.stop();
      return;
    }
    dispatch(ev);
  };
  if (stopped_before) return {OutcomeStatus::kStarved, stopped_detail() + at()};
  while (true) {
    std::uint64_t budget = kChunk;
    if (run.max_events != 0) budget = std::min(budget, run.max_events - engine.events_processed());
    sim::StopReason why;
    try {
      why = engine.run(run.duration, guarded, budget);
    } catch (const ProgramPanic& e) {  // the simulated program did what panics in Go
      return {OutcomeStatus::kPanic, std::string(e.what()) + "," + at()};
    } catch (const SimMemoryLimit& e) {
      return {OutcomeStatus::kSimMemoryLimit, std::string(e.what()) + at()};
    }
    if (livelock) {
      return {OutcomeStatus::kStarved, std::to_string(kMaxEventsAtOneInstant) + " events happened without simulated time passing" +
                                           at() + " (goroutines yielding to each other with zero costs?)"};
    }
    if (why == sim::StopReason::kStopped) return {OutcomeStatus::kStarved, stopped_detail() + at()};
    if (why != sim::StopReason::kEventLimit) return {};
    if (run.max_events != 0 && engine.events_processed() >= run.max_events) {
      return {OutcomeStatus::kTimeLimit, "run.max_events (" + std::to_string(run.max_events) + ") reached" + at()};
    }
    if (run.wall_limit > 0 && std::chrono::steady_clock::now() - wall0 > std::chrono::nanoseconds(run.wall_limit)) {
      return {OutcomeStatus::kTimeLimit, "run.wall_limit reached" + at()};
    }
    // Pending events are the other memory that grows with the load (a backlog of arrivals, timers).
    const std::uint64_t queue_bytes = engine.pending_events() * sizeof(sim::Event) * 2;  // the heap and its slot map
    if (run.max_memory > 0 && queue_bytes > static_cast<std::uint64_t>(run.max_memory)) {
      return {OutcomeStatus::kSimMemoryLimit, std::to_string(engine.pending_events()) + " pending events need about " +
                                                  std::to_string(queue_bytes >> 20) + " MiB, over run.max_memory" + at()};
    }
  }
}

}  // namespace gmpsim::models

namespace gmpsim::models {

// The detail of a goroutine that looped without taking CPU time (advance() returned kRunaway).
inline std::string runaway_detail(const Workload& wl, const GoroutineTable& gt, std::uint32_t g) {
  return "goroutine " + std::to_string(g) + " of class " + wl.classes[gt[g].cls].name +
         " ran 10000000 steps without taking CPU time (a `repeat: forever` with no compute step?)";
}

// How a run ended, settled the same way for every model once its event loop returns:
//  - checkdead: no work is pending but goroutines are parked, so nothing can ever wake them;
//  - the end time: an abnormal end stops the clock where it stopped; a run whose arrivals continue past
//    its duration lasts the full duration even when the queue drains a little earlier; only finite work
//    (populations, spawn trees) ends a run early, at its last activity.
struct RunEnd {
  Outcome outcome;
  sim::Time end;
};
// `asleep` counts live goroutines that nothing can wake once work runs out (not those waiting in the
// netpoller: like Go's checkdead, a program blocked on the network is not deadlocked).
inline RunEnd settle_run_end(Outcome outcome, bool work_pending, std::uint64_t asleep, const std::string& parked_on,
                             bool arrivals_cut, sim::Time now, sim::Time last_activity, sim::Time duration) {
  const bool drained = !work_pending && outcome.status == OutcomeStatus::kCompleted;
  if (drained && asleep > 0) {
    outcome = {OutcomeStatus::kDeadlock, "all goroutines are asleep - deadlock! " + std::to_string(asleep) +
                                             " parked: " + parked_on};
  }
  const sim::Time end = outcome.abnormal() ? now : drained && !arrivals_cut ? last_activity : duration;
  if (!outcome.abnormal() && end < duration) outcome.detail = "all work finished at " + std::to_string(sim::to_seconds(end)) + " s";
  return {outcome, end};
}

// What every model does when a goroutine exits, except freeing its record (fifo and boost-fiber-ws
// destroy it, go keeps it on a free list) and notifying its closed-loop client (after the free): its
// local objects are released, its latency recorded, the GoEnd trace record emitted. Returns the client.
inline std::uint32_t goroutine_exited(const Workload& wl, GoroutineTable& gt, SyncObjects& sync, RunStats& stats,
                                      sim::Engine& engine, std::uint32_t g, std::uint32_t cpu) {
  release_locals(wl, gt, g, [&](ObjKind k, std::uint32_t id) { sync.release(k, id); });
  const Goroutine& gr = gt[g];
  stats.exited(gr.cls, gr.start, engine.now());
  engine.tracer().emit({engine.now(), kTraceGoEnd, g, gr.cls, cpu});
  return gr.client;
}

// The engine's share of the result: event count, wall time, fingerprint, and the outcome.
inline void fill_run_result(RunResult& r, const sim::Engine& engine, std::chrono::steady_clock::time_point wall0,
                            const Outcome& outcome) {
  r.events = engine.events_processed();
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  r.fingerprint = engine.fingerprint();
  r.outcome = outcome;
}

}  // namespace gmpsim::models
