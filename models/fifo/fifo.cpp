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
  kWake,          // arg = goroutine: its sleep or network wait is over
};

class FifoRun {
 public:
  explicit FifoRun(const Scenario& sc)
      : sc_(sc), wl_(sc.workload), gt_(wl_), sync_(wl_), streams_(sc.run.seed),
        arrivals_(wl_, streams_, engine_, sc.run.duration, kArrival, kClientSubmit), stats_(sc, sc.machine.cpus.size()),
        cpus_(sc.machine.cpus.size()) {
    for (std::size_t c = 0; c < wl_.classes.size(); ++c) {
      const std::string& name = wl_.classes[c].name;
      compute_rng_.push_back(streams_.stream("compute." + name));
    }
    for (std::size_t c = cpus_.size(); c-- > 0;) idle_.push_back(static_cast<std::uint32_t>(c));
    select_rng_ = streams_.stream("fifo.select");
  }

  RunResult run(const RunOptions& options) {
    for (sim::TraceObserver* o : options.observers) engine_.tracer().attach(o);
    engine_.enable_fingerprint(true);
    Outcome early;  // goroutines of an initial population run at once, before the loop
    try {
      start_arrivals();
    } catch (const ProgramPanic& e) {
      early = {OutcomeStatus::kPanic, std::string(e.what()) + ", at t=0 s"};
    }
    observe_at(std::min(sc_.run.sample_interval, sc_.run.duration), kSample);
    if (sc_.run.warmup > 0) observe_at(sc_.run.warmup, kWarmupEnd);
    const auto wall0 = std::chrono::steady_clock::now();
    const Outcome outcome = early.abnormal() ? early : loop(wall0);  // before work_pending(): argument order is unspecified
    const RunEnd e = settle_run_end(outcome, work_pending() > 0, gt_.live(), sync_.describe_parked(wl_), arrivals_.cut(),
                                    engine_.now(), last_activity_, sc_.run.duration);
    RunResult r = stats_.finish(e.end, gt_, runq_.size(), busy_);
    r.model_counters["allocated_bytes"] = allocated_bytes_;
    fill_run_result(r, engine_, wall0, e.outcome);
    return r;
  }

  void dispatch(const sim::Event& ev) {
    if (ev.kind < kSample || ev.kind == kWake) {
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
      case kWake:
        --sleeping_;
        make_runnable(ev.arg);
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
    GMPSIM_CHECK(gt_.live() == runq_.size() + busy_ + sync_.parked + sleeping_,
                 "fifo: a live goroutine is neither queued, running nor parked");
    GMPSIM_CHECK(idle_.empty() || runq_.empty(), "fifo: a CPU is idle while goroutines are queued");
    GMPSIM_CHECK(idle_.size() + busy_ == cpus_.size(), "fifo: CPU accounting is off");
  }

  // advance() hooks.
  void on_spawn(std::uint16_t cls, std::int64_t count) {
    for (std::int64_t i = 0; i < count; ++i) make_runnable(create(cls, engine_.now(), kNone32, running_));
  }
  void on_span(std::uint32_t span, sim::Time begin) { stats_.span_done(span, begin, engine_.now()); }
  // Blocking steps with ideal semantics: a woken goroutine joins the tail of the queue (oldest waiter
  // first), a mutex is handed to its oldest waiter, sleeps and network waits take exactly their time.
  void on_wg_add(std::uint32_t wg, std::int64_t delta) {
    woken_.clear();
    sync_.wg_add(wl_, wg, delta, woken_);
    for (const auto& w : woken_) make_runnable(w.g);
  }
  void on_alloc(std::int64_t bytes) { allocated_bytes_ += bytes; }
  void on_stack(std::int64_t) {}  // stacks are a Go runtime matter
  std::uint32_t on_make(ObjKind kind, std::int64_t capacity) {
    switch (kind) {
      case ObjKind::kWaitGroup: return sync_.wgs.make({});
      case ObjKind::kChannel: return sync_.chans.make({capacity, 0, false, {}, {}});
      case ObjKind::kMutex: return sync_.mutexes.make({});
    }
    return 0;
  }
  void on_release(ObjKind kind, std::uint32_t id) { sync_.release(kind, id); }
  SyncStep on_sync(std::uint32_t g, OpCode code, std::uint32_t obj) {
    woken_.clear();
    using R = SyncObjects::Result;
    SyncStep step{};
    switch (code) {
      case OpCode::kWgWait: step.kind = sync_.wg_wait(obj, g, engine_.now()) == R::kPark ? SyncStep::kPark : SyncStep::kContinue; break;
      case OpCode::kSend: step.kind = sync_.chan_send(wl_, obj, g, engine_.now(), woken_) == R::kPark ? SyncStep::kPark : SyncStep::kContinue; break;
      case OpCode::kRecv: step.kind = sync_.chan_recv(obj, g, engine_.now(), woken_) == R::kPark ? SyncStep::kPark : SyncStep::kContinue; break;
      case OpCode::kClose: sync_.chan_close(wl_, obj, woken_); break;
      case OpCode::kLock: {
        MutexState& m = sync_.mutexes[obj];
        if (!m.locked) {
          m.locked = true;
        } else {
          sync_.park_on(m.waiters, obj, g, engine_.now());
          step.kind = SyncStep::kPark;  // woken as the owner
        }
        break;
      }
      case OpCode::kUnlock: {
        MutexState& m = sync_.mutexes[obj];
        if (!m.locked) throw ProgramPanic("fatal error: sync: unlock of unlocked mutex");
        if (m.waiters.empty()) {
          m.locked = false;
        } else {
          const std::uint32_t s = sync_.sudogs.pop_front(m.waiters);
          woken_.push_back({sync_.sudogs[s].g, 0xffff});
          sync_.sudogs.release(s);
          --sync_.parked;
        }
        break;
      }
      default: break;
    }
    wake_all(g);
    return step;
  }
  SyncStep on_select(std::uint32_t g, std::uint32_t index) {
    const Select& sel = wl_.classes[gt_[g].cls].program.selects[index];
    select_setup(wl_, gt_, g, sel, select_rng_, objects_, order_);
    woken_.clear();
    const std::uint32_t chosen = sync_.select(wl_, sel, objects_.data(), order_.data(), g, engine_.now(), woken_);
    wake_all(g);
    if (chosen == SyncObjects::kParked) return {SyncStep::kPark};
    return {SyncStep::kJump, 0, sel.cases[chosen].body};
  }
  void on_sleep(std::uint32_t g, sim::Time d) { wake_in(g, d); }
  // fifo has no threads: a syscall waits off the CPU, a cgo call computes.
  void on_syscall(SyscallKind kind) { syscall_on_cpu_ = kind == SyscallKind::kCgo; }
  void on_lock_thread(bool) {}  // no threads to lock to
  void on_net_wait(std::uint32_t g, sim::Time d) { wake_in(g, d); }

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


  std::uint32_t create(std::uint16_t cls, sim::Time start, std::uint32_t client = kNone32, std::uint32_t parent = kNone32) {
    stats_.created(cls);
    const std::uint32_t g = gt_.create(cls, start, client);
    init_locals(wl_, gt_, g, parent, [this](ObjKind k, std::uint32_t id) { sync_.retain(k, id); });
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
    running_ = g;
    switch (advance(wl_, gt_, g, engine_.now(), compute_rng_[cls], compute, *this)) {
      case StepKind::kCompute:
      case StepKind::kTightCompute:
        engine_.schedule_in(compute, sim::kBandDefault, kComputeDone, static_cast<std::uint32_t>(c));
        return;
      case StepKind::kSyscall:
        if (syscall_on_cpu_) {
          engine_.schedule_in(compute, sim::kBandDefault, kComputeDone, static_cast<std::uint32_t>(c));
          return;
        }
        wake_in(g, compute);
        break;
      case StepKind::kExit:
        exit_goroutine(g);
        break;
      case StepKind::kGosched:
      case StepKind::kYield: {
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
      case StepKind::kPark:
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

  // Readies the goroutines an operation by g woke; a woken select continues in the case that fired.
  void wake_all(std::uint32_t g) {
    (void)g;
    for (const auto& w : woken_) {
      if (w.select_case != 0xffff) resume_select_case(wl_, gt_, w.g, w.select_case);
      make_runnable(w.g);
    }
    woken_.clear();
  }

  void wake_in(std::uint32_t g, sim::Time d) {
    ++sleeping_;
    engine_.schedule_in(d, sim::kBandDefault, kWake, g);
  }

  void exit_goroutine(std::uint32_t g) {
    const std::uint16_t cls = gt_[g].cls;
    const std::uint32_t client = goroutine_exited(wl_, gt_, sync_, stats_, engine_, g, 0);
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
  SyncObjects sync_;
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
  std::uint32_t running_ = kNone32;   // the goroutine advance() is running (the parent of spawns)
  std::uint64_t sleeping_ = 0;        // goroutines in sleep or net_wait
  sim::Rng select_rng_;
  bool syscall_on_cpu_ = false;
  std::vector<SyncObjects::Wake> woken_;
  std::vector<std::uint32_t> objects_, order_;
};

}  // namespace

RunResult FifoModel::run(const Scenario& scenario, const RunOptions& options) {
  auto r = std::make_unique<FifoRun>(scenario);
  return r->run(options);
}

}  // namespace gmpsim::models
