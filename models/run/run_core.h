// RunCore: what every model's run holds and does the same way, composed into each model's run class
// (FifoRun, FiberRun, go's GoRun) so a new model or a change to how runs are measured is written once:
// the engine, the goroutine table, the sync objects, the random streams, the arrival driver, the
// measurements (RunStats) and a compute stream per class; the observation events (timeseries samples and
// the end of the warm-up); and the run sequence itself, `execute()`.
//
// The model is a template parameter of execute() (no virtual call per event). It provides:
//   void start();                          // arrivals, the first threads: what happens at t = 0
//   void dispatch(const sim::Event& ev);   // its own event kinds (observations never reach it)
//   void check_invariants() const;         // after every event, in checked builds
//   std::size_t runnable() const, running() const;  // for queue-length measurements
//   std::size_t work_pending() const;      // events that are the program's (not observations)
//   std::uint64_t asleep() const;          // live goroutines nothing can wake once work runs out
//   std::string stopped_detail() const;    // why the model stopped the engine (a runaway goroutine, ...)
//   Outcome adjust_outcome(Outcome) const; // outcomes only the model knows (out of memory, ...)
//   void on_warmup_end();                  // the model's own measurements restart at the warm-up
//   void finish(RunResult& r, sim::Time end);  // the model's counters
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "models/model.h"
#include "models/run/run_loop.h"
#include "models/run/run_stats.h"
#include "models/workload/arrivals.h"
#include "models/workload/goroutines.h"
#include "models/workload/sync.h"
#include "sim/engine.h"
#include "sim/rng.h"

namespace gmpsim::models {

// The event kinds the core owns within a model's numbering (each model keeps its own, so the event
// stream and its fingerprint stay the model's).
struct CoreEventKinds {
  std::uint32_t arrival, client_submit, sample, warmup_end;
};

class RunCore {
 public:
  RunCore(const Scenario& scenario, CoreEventKinds kinds)
      : sc(scenario), wl(scenario.workload), gt(wl), sync(wl), streams(scenario.run.seed),
        arrivals(wl, streams, engine, scenario.run.duration, kinds.arrival, kinds.client_submit),
        stats(scenario, scenario.machine.cpus.size()), kinds_(kinds) {
    for (const GoroutineClass& c : wl.classes) compute_rng.push_back(streams.stream("compute." + c.name));
    gt.set_memory_limit(static_cast<std::uint64_t>(scenario.run.max_memory));
  }
  RunCore(const RunCore&) = delete;
  RunCore& operator=(const RunCore&) = delete;

  const Scenario& sc;
  const Workload& wl;
  sim::Engine engine;
  GoroutineTable gt;
  SyncObjects sync;
  sim::RngStreams streams;
  ArrivalDriver arrivals;
  RunStats stats;
  std::vector<sim::Rng> compute_rng;  // per class: its compute steps' samples
  std::uint32_t runaway = kNone32;    // a goroutine that looped without taking CPU time
  bool stopped_at_start = false;      // the model ended the run in start() (the process died before t = 0 ended)
  sim::Time last_activity = 0;        // time of the last event that was the program's
  std::size_t observers_pending = 0;  // observation events in the queue
  std::int64_t allocated_bytes = 0;   // alloc steps, in total (not the live heap: the go model's collector tracks that)

  // An observation event (in the observation band: after the program's events at the same instant).
  void observe_at(sim::Time t, std::uint32_t kind) {
    engine.schedule_at(t, sim::kBandObserve, kind);
    ++observers_pending;
  }
  // Events that are the program's: everything pending except observations.
  std::size_t program_events() const { return engine.pending_events() - observers_pending; }

  // The whole run: start, the event loop, how it ended, the measurements.
  template <class M>
  RunResult execute(M& model, const RunOptions& options) {
    for (sim::TraceObserver* o : options.observers) engine.tracer().attach(o);
    engine.enable_fingerprint(true);
    Outcome early;  // a goroutine of an initial population may panic before the loop
    try {
      model.start();
    } catch (const ProgramPanic& e) {
      early = {OutcomeStatus::kPanic, std::string(e.what()) + ", at t=0 s"};
    } catch (const SimMemoryLimit& e) {  // an initial population larger than run.max_memory allows
      early = {OutcomeStatus::kSimMemoryLimit, std::string(e.what()) + ", at t=0 s"};
    }
    observe_at(std::min(sc.run.sample_interval, sc.run.duration), kinds_.sample);
    if (sc.run.warmup > 0) observe_at(sc.run.warmup, kinds_.warmup_end);
    const auto wall0 = std::chrono::steady_clock::now();
    const Outcome outcome = early.abnormal() ? early : loop(model, wall0);  // before work_pending(): argument order is unspecified
    const RunEnd e = settle_run_end(outcome, model.work_pending() > 0, model.asleep(), sync.describe_parked(wl), arrivals.cut(),
                                    engine.now(), last_activity, sc.run.duration);
    RunResult r = stats.finish(e.end, gt, model.runnable(), model.running());
    fill_run_result(r, engine, wall0, e.outcome);
    model.finish(r, e.end);
    return r;
  }

  // Handles the observation events; false for every other event (the model's to dispatch).
  template <class M>
  bool observe(M& model, const sim::Event& ev) {
    if (ev.kind == kinds_.warmup_end) {
      --observers_pending;
      stats.warmup_end(ev.time, model.runnable(), model.running(), gt.live());
      model.on_warmup_end();
      return true;
    }
    if (ev.kind == kinds_.sample) {
      --observers_pending;
      // With nothing else pending no work remains: the run ended at the last activity, and finish()
      // writes the final row there.
      if (model.work_pending() == 0) return true;
      stats.sample(ev.time, model.runnable(), model.running());
      if (ev.time < sc.run.duration) observe_at(std::min(ev.time + sc.run.sample_interval, sc.run.duration), kinds_.sample);
      return true;
    }
    return false;
  }

 private:
  template <class M>
  Outcome loop(M& model, std::chrono::steady_clock::time_point wall0) {
    auto dispatcher = [&](const sim::Event& ev) {
      if (!observe(model, ev)) model.dispatch(ev);
      model.check_invariants();
    };
    auto stopped = [&] { return model.stopped_detail(); };
    return model.adjust_outcome(run_events(engine, sc.run, dispatcher, runaway != kNone32 || stopped_at_start, stopped, wall0));
  }

  CoreEventKinds kinds_;
};

}  // namespace gmpsim::models
