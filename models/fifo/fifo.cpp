#include "models/fifo/fifo.h"

#include <chrono>
#include <memory>

#include "models/run_loop.h"
#include "models/run_stats.h"
#include "models/trace_events.h"
#include "models/workload/arrivals.h"
#include "models/workload/goroutines.h"
#include "models/workload/sync.h"
#include "sim/engine.h"
#include "sim/ring.h"

namespace gmpsim::models {
namespace {

enum Ev : std::uint32_t {
  kArrival,       // arg = class: an open-loop arrival is due
  kClientSubmit,  // arg = class, arg2 = client: a closed-loop client sends its next request
  kComputeDone,   // arg = cpu: the running goroutine finished its compute step
  kSample,        // a timeseries row
  kWarmupEnd,     // statistics start here
};

class FifoRun {
 public:
  explicit FifoRun(const Scenario& sc)
      : sc_(sc), wl_(sc.workload), gt_(wl_), wgs_(wl_.waitgroups), streams_(sc.run.seed),
        arrivals_(wl_, streams_, engine_, sc.run.duration, kArrival, kClientSubmit), stats_(sc, sc.machine.cpus.size()),
        cpus_(sc.machine.cpus.size()) {
    for (std::size_t c = 0; c < wl_.classes.size(); ++c) {
      const std::string& name = wl_.classes[c].name;
      compute_rng_.push_back(streams_.stream("compute." + name));
    }
    for (std::size_t c = cpus_.size(); c-- > 0;) idle_.push_back(static_cast<std::uint32_t>(c));
  }

  RunResult run(const RunOptions& options) {
    for (sim::TraceObserver* o : options.observers) engine_.tracer().attach(o);
    engine_.enable_fingerprint(true);
    start_arrivals();
    observe_at(std::min(sc_.run.sample_interval, sc_.run.duration), kSample);
    if (sc_.run.warmup > 0) observe_at(sc_.run.warmup, kWarmupEnd);
    const auto wall0 = std::chrono::steady_clock::now();
    const Outcome outcome = loop(wall0);  // before work_pending(): argument order is unspecified
    const RunEnd e = settle_run_end(outcome, work_pending() > 0, gt_.live(), wgs_, arrivals_.cut(), engine_.now(),
                                    last_activity_, sc_.run.duration);
    RunResult r = stats_.finish(e.end, gt_, runq_.size(), busy_);
    r.model_counters["allocated_bytes"] = allocated_bytes_;
    fill_run_result(r, engine_, wall0, e.outcome);
    return r;
  }

  void dispatch(const sim::Event& ev) {
    if (ev.kind < kSample) {
      last_activity_ = ev.time;
    } else {
      --observers_pending_;
    }
    switch (ev.kind) {
      case kArrival: {
        const auto cls = static_cast<std::uint16_t>(ev.arg);
        make_runnable(create(cls, ev.time));
        arrivals_.next_arrival(cls, ev.time);
        break;
      }
      case kClientSubmit:
        make_runnable(create(static_cast<std::uint16_t>(ev.arg), ev.time, ev.arg2));
        break;
      case kComputeDone:
        run_on(ev.arg, cpus_[ev.arg].g);
        break;
      case kWarmupEnd:
        stats_.warmup_end(ev.time, runq_.size(), busy_, gt_.live());
        break;
      case kSample:
        // With nothing else pending no work remains: the run ended at the last activity, and
        // finish() writes the final row there.
        if (work_pending() == 0) break;
        stats_.sample(ev.time, runq_.size(), busy_);
        if (ev.time < sc_.run.duration) observe_at(std::min(ev.time + sc_.run.sample_interval, sc_.run.duration), kSample);
        break;
    }
  }

  // Invariants after every event (checked builds): every live goroutine is queued or running (G
  // conservation), and no CPU idles while work is queued (work conservation).
  void check_invariants() const {
    GMPSIM_CHECK(gt_.live() == runq_.size() + busy_ + wgs_.parked(), "fifo: a live goroutine is neither queued, running nor parked");
    GMPSIM_CHECK(idle_.empty() || runq_.empty(), "fifo: a CPU is idle while goroutines are queued");
    GMPSIM_CHECK(idle_.size() + busy_ == cpus_.size(), "fifo: CPU accounting is off");
  }

  // advance() hooks.
  void on_spawn(std::uint16_t cls, std::int64_t count) {
    for (std::int64_t i = 0; i < count; ++i) make_runnable(create(cls, engine_.now()));
  }
  void on_span(std::uint32_t span, sim::Time begin) { stats_.span_done(span, begin, engine_.now()); }
  // Released waiters join the tail of the queue, oldest waiter first.
  void on_wg_add(std::uint32_t wg, std::int64_t delta) {
    const std::vector<std::uint32_t> ready = wgs_.add(wg, delta);
    wgs_.unparked(ready.size());
    for (std::uint32_t g : ready) make_runnable(g);
  }
  std::int64_t wg_counter(std::uint32_t wg) const { return wgs_.counter(wg); }
  void on_alloc(std::int64_t bytes) { allocated_bytes_ += bytes; }

 private:
  // Observation events (samples, warm-up) must not keep a finished run alive.
  void observe_at(sim::Time t, std::uint32_t kind) {
    engine_.schedule_at(t, sim::kBandObserve, kind);
    ++observers_pending_;
  }
  std::size_t work_pending() const { return engine_.pending_events() - observers_pending_; }

  struct Cpu {
    std::uint32_t g = kNone32;  // running goroutine
  };

  void start_arrivals() {
    for (std::size_t c = 0; c < wl_.classes.size(); ++c) {
      const Arrivals& a = wl_.classes[c].arrivals;
      if (a.process != Arrivals::Process::kInitial) continue;
      for (std::int64_t i = 0; i < a.count; ++i) make_runnable(create(static_cast<std::uint16_t>(c), 0));
    }
    arrivals_.start();
  }


  std::uint32_t create(std::uint16_t cls, sim::Time start, std::uint32_t client = kNone32) {
    stats_.created(cls);
    const std::uint32_t g = gt_.create(cls, start, client);
    engine_.tracer().emit({engine_.now(), kTraceGoCreate, g, cls, 0});
    return g;
  }

  void make_runnable(std::uint32_t g) {
    gt_[g].ready_at = engine_.now();
    stats_.live_changed(engine_.now(), gt_.live());
    if (!idle_.empty()) {  // the queue is empty whenever a CPU is idle
      const std::uint32_t c = idle_.back();
      idle_.pop_back();
      start(c, g);
      return;
    }
    runq_.push_back(g);
    stats_.runnable_changed(engine_.now(), runq_.size());
  }

  // CPU c picks goroutine g from the queue (or directly, when it was idle and the queue empty).
  void start(std::size_t c, std::uint32_t g) {
    cpus_[c].g = g;
    ++busy_;
    engine_.tracer().emit({engine_.now(), kTraceGoStart, g, gt_[g].cls, static_cast<std::uint32_t>(c)});
    stats_.cpu_busy(c, engine_.now());
    stats_.waited(gt_[g].cls, gt_[g].ready_at, engine_.now());
    run_on(c, g);
  }

  // Advances the goroutine on CPU c until it computes (schedules the completion) or exits.
  void run_on(std::size_t c, std::uint32_t g) {
    sim::Time compute = 0;
    const std::uint16_t cls = gt_[g].cls;
    std::uint32_t wg = 0;
    switch (advance(wl_, gt_, g, engine_.now(), compute_rng_[cls], compute, *this, &wg)) {
      case StepKind::kCompute:
        engine_.schedule_in(compute, sim::kBandDefault, kComputeDone, static_cast<std::uint32_t>(c));
        return;
      case StepKind::kExit:
        exit_goroutine(g);
        break;
      case StepKind::kGosched: {
        // Back to the tail; the CPU takes the head (maybe the same goroutine) and resumes it through an
        // event, so a chain of yields never recurses.
        runq_.push_back(g);
        gt_[g].ready_at = engine_.now();
        const std::uint32_t next = runq_.pop_front();
        cpus_[c].g = next;
        stats_.waited(gt_[next].cls, gt_[next].ready_at, engine_.now());
        engine_.tracer().emit({engine_.now(), kTraceGoStart, next, gt_[next].cls, static_cast<std::uint32_t>(c)});
        engine_.schedule_in(0, sim::kBandDefault, kComputeDone, static_cast<std::uint32_t>(c));
        return;
      }
      case StepKind::kWgWait:
        wgs_.park(wg, g);
        break;
      case StepKind::kRunaway:
        runaway_ = g;
        engine_.stop();
        return;
    }
    cpus_[c].g = kNone32;
    --busy_;
    stats_.cpu_idle(c, engine_.now());
    if (runq_.empty()) {
      idle_.push_back(static_cast<std::uint32_t>(c));
      return;
    }
    const std::uint32_t next = runq_.pop_front();
    stats_.runnable_changed(engine_.now(), runq_.size());
    start(c, next);
  }

  void exit_goroutine(std::uint32_t g) {
    const Goroutine& gr = gt_[g];
    stats_.exited(gr.cls, gr.start, engine_.now());
    const std::uint32_t client = gr.client;
    const std::uint16_t cls = gr.cls;
    engine_.tracer().emit({engine_.now(), kTraceGoEnd, g, cls, 0});
    gt_.destroy(g);
    stats_.live_changed(engine_.now(), gt_.live());
    if (client != kNone32) arrivals_.next_submit(cls, client, engine_.now());
  }

  Outcome loop(std::chrono::steady_clock::time_point wall0) {
    auto dispatcher = [this](const sim::Event& ev) {
      dispatch(ev);
      check_invariants();
    };
    auto runaway = [this] { return runaway_detail(wl_, gt_, runaway_); };
    return run_events(engine_, sc_.run, dispatcher, runaway_ != kNone32, runaway, wall0);
  }

  const Scenario& sc_;
  const Workload& wl_;
  sim::Engine engine_;
  GoroutineTable gt_;
  WaitGroups wgs_;
  sim::RngStreams streams_;
  ArrivalDriver arrivals_;
  RunStats stats_;
  std::vector<Cpu> cpus_;
  sim::Ring<std::uint32_t> runq_;
  std::vector<std::uint32_t> idle_;  // idle CPUs, lowest id on top
  std::size_t busy_ = 0;
  std::vector<sim::Rng> compute_rng_;
  std::uint32_t runaway_ = kNone32;  // goroutine that looped without taking time
  sim::Time last_activity_ = 0;      // time of the last event that was not an observation
  std::size_t observers_pending_ = 0;
  std::int64_t allocated_bytes_ = 0;  // alloc steps, in total
};

}  // namespace

RunResult FifoModel::run(const Scenario& scenario, const RunOptions& options) {
  auto r = std::make_unique<FifoRun>(scenario);
  return r->run(options);
}

}  // namespace gmpsim::models
