#include "models/fifo/fifo.h"

#include <chrono>
#include <memory>

#include "models/run/run_core.h"
#include "models/run/trace_events.h"
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
      : core_(sc, {kArrival, kClientSubmit, kSample, kWarmupEnd}), cpus_(sc.machine.cpus.size()),
        select_rng_(core_.streams.stream("fifo.select")) {
    for (std::size_t c = cpus_.size(); c-- > 0;) idle_.push_back(static_cast<std::uint32_t>(c));
    for (const GoroutineClass& c : core_.wl.classes) {
      if (c.program.has(OpCode::kFileRead) || c.program.has(OpCode::kFileWrite)) {
        throw ScenarioError("workload.classes." + c.name + ".program",
                            "steps `file_read` and `file_write` need the page cache of the memory model, which only the go "
                            "model has; fifo is an ideal queue");
      }
    }
  }

  RunResult run(const RunOptions& options) { return core_.execute(*this, options); }

  // ---- RunCore's hooks ----
  // Goroutines of an initial population are runnable at t = 0; the arrival processes start.
  void start() {
    for (std::size_t c = 0; c < core_.wl.classes.size(); ++c) {
      const Arrivals& a = core_.wl.classes[c].arrivals;
      if (a.process != Arrivals::Process::kInitial) continue;
      for (std::int64_t i = 0; i < a.count; ++i) make_runnable(create(static_cast<std::uint16_t>(c), 0));
    }
    core_.arrivals.start();
  }
  std::size_t runnable() const { return runq_.size(); }
  std::size_t running() const { return busy_; }
  std::size_t work_pending() const { return core_.program_events(); }
  std::uint64_t asleep() const { return core_.gt.live(); }
  std::string stopped_detail() const { return runaway_detail(core_.wl, core_.gt, core_.runaway); }
  Outcome adjust_outcome(Outcome o) const { return o; }
  void on_warmup_end() {}
  void finish(RunResult& r, sim::Time) { r.model_counters["allocated_bytes"] = core_.allocated_bytes; }

  void dispatch(const sim::Event& ev) {
    core_.last_activity = ev.time;
    switch (ev.kind) {
      case kArrival: {
        const auto cls = static_cast<std::uint16_t>(ev.arg);
        make_runnable(create(cls, ev.time));
        core_.arrivals.next_arrival(cls, ev.time);
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
    }
  }

  // Invariants after every event (checked builds): every live goroutine is queued or running (G
  // conservation), and no CPU idles while work is queued (work conservation).
  void check_invariants() const {
    GMPSIM_CHECK(core_.gt.live() == runq_.size() + busy_ + core_.sync.parked + sleeping_,
                 "fifo: a live goroutine is neither queued, running nor parked");
    GMPSIM_CHECK(idle_.empty() || runq_.empty(), "fifo: a CPU is idle while goroutines are queued");
    GMPSIM_CHECK(idle_.size() + busy_ == cpus_.size(), "fifo: CPU accounting is off");
  }

  // advance() hooks.
  // The reference queue has no runtime costs: spawned goroutines exist at once.
  bool on_spawn(std::uint16_t cls, std::int64_t count) {
    for (std::int64_t i = 0; i < count; ++i) make_runnable(create(cls, core_.engine.now(), kNone32, running_));
    return false;
  }
  void on_span(std::uint32_t span, sim::Time begin, std::uint8_t /*slot*/) { core_.stats.span_done(span, begin, core_.engine.now()); }
  bool owes_cpu() const { return false; }  // the queueing model charges no runtime CPU
  // Blocking steps with ideal semantics: a woken goroutine joins the tail of the queue (oldest waiter
  // first), a mutex is handed to its oldest waiter, sleeps and network waits take exactly their time.
  void on_wg_add(std::uint32_t wg, std::int64_t delta) {
    woken_.clear();
    core_.sync.wg_add(core_.wl, wg, delta, woken_);
    for (const auto& w : woken_) make_runnable(w.g);
  }
  void on_alloc(std::int64_t bytes, const AllocSpec&, sim::Time) { core_.allocated_bytes += bytes; }
  bool on_gc() { return false; }  // this runtime has no garbage collector: `gc` does nothing
  void on_touch(std::int64_t) {}  // no memory model
  sim::Time on_file(bool, std::int64_t) { return 0; }  // never reached: the constructor refuses file steps
  void on_stack(std::int64_t) {}  // stacks are a Go runtime matter
  std::uint32_t on_make(ObjKind kind, std::int64_t capacity) {
    switch (kind) {
      case ObjKind::kWaitGroup: return core_.sync.wgs.make({});
      case ObjKind::kChannel: return core_.sync.chans.make({capacity, 0, false, {}, {}});
      case ObjKind::kMutex: return core_.sync.mutexes.make({});
    }
    return 0;
  }
  void on_release(ObjKind kind, std::uint32_t id) { core_.sync.release(kind, id); }
  SyncStep on_sync(std::uint32_t g, OpCode code, std::uint32_t obj) {
    woken_.clear();
    using R = SyncObjects::Result;
    SyncStep step{};
    switch (code) {
      case OpCode::kWgWait: step.kind = core_.sync.wg_wait(obj, g, core_.engine.now()) == R::kPark ? SyncStep::kPark : SyncStep::kContinue; break;
      case OpCode::kSend: step.kind = core_.sync.chan_send(core_.wl, obj, g, core_.engine.now(), woken_) == R::kPark ? SyncStep::kPark : SyncStep::kContinue; break;
      case OpCode::kRecv: step.kind = core_.sync.chan_recv(obj, g, core_.engine.now(), woken_) == R::kPark ? SyncStep::kPark : SyncStep::kContinue; break;
      case OpCode::kClose: core_.sync.chan_close(core_.wl, obj, woken_); break;
      case OpCode::kLock: {
        MutexState& m = core_.sync.mutexes[obj];
        if (!m.locked) {
          m.locked = true;
        } else {
          core_.sync.park_on(m.waiters, obj, g, core_.engine.now());
          step.kind = SyncStep::kPark;  // woken as the owner
        }
        break;
      }
      case OpCode::kUnlock: {
        MutexState& m = core_.sync.mutexes[obj];
        if (!m.locked) throw ProgramPanic("fatal error: sync: unlock of unlocked mutex");
        if (m.waiters.empty()) {
          m.locked = false;
        } else {
          const std::uint32_t s = core_.sync.sudogs.pop_front(m.waiters);
          woken_.push_back({core_.sync.sudogs[s].g, 0xffff});
          core_.sync.sudogs.release(s);
          --core_.sync.parked;
        }
        break;
      }
      default: break;
    }
    wake_all(g);
    return step;
  }
  SyncStep on_select(std::uint32_t g, std::uint32_t index) {
    const Select& sel = core_.wl.classes[core_.gt[g].cls].program.selects[index];
    select_setup(core_.wl, core_.gt, g, sel, select_rng_, objects_, order_);
    woken_.clear();
    const std::uint32_t chosen = core_.sync.select(core_.wl, sel, objects_.data(), order_.data(), g, core_.engine.now(), woken_);
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
  struct Cpu {
    std::uint32_t g = kNone32;  // running goroutine
  };

  std::uint32_t create(std::uint16_t cls, sim::Time start, std::uint32_t client = kNone32, std::uint32_t parent = kNone32) {
    core_.stats.created(cls);
    const std::uint32_t g = core_.gt.create(cls, start, client);
    init_locals(core_.wl, core_.gt, g, parent, [this](ObjKind k, std::uint32_t id) { core_.sync.retain(k, id); });
    core_.engine.tracer().emit({core_.engine.now(), kTraceGoCreate, g, cls, 0});
    return g;
  }

  void make_runnable(std::uint32_t g) {
    core_.gt[g].ready_at = core_.engine.now();
    core_.stats.live_changed(core_.engine.now(), core_.gt.live());
    if (!idle_.empty()) {  // the queue is empty whenever a CPU is idle
      const std::uint32_t c = idle_.back();
      idle_.pop_back();
      start(c, g);
      return;
    }
    runq_.push_back(g);
    core_.stats.runnable_changed(core_.engine.now(), runq_.size());
  }

  // CPU c picks goroutine g from the queue (or directly, when it was idle and the queue empty).
  void start(std::size_t c, std::uint32_t g) {
    cpus_[c].g = g;
    ++busy_;
    core_.engine.tracer().emit({core_.engine.now(), kTraceGoStart, g, core_.gt[g].cls, static_cast<std::uint32_t>(c)});
    core_.stats.cpu_busy(c, core_.engine.now());
    core_.stats.waited(core_.gt[g].cls, core_.gt[g].ready_at, core_.engine.now());
    run_on(c, g);
  }

  // Advances the goroutine on CPU c until it computes (schedules the completion) or exits.
  void run_on(std::size_t c, std::uint32_t g) {
    sim::Time compute = 0;
    const std::uint16_t cls = core_.gt[g].cls;
    running_ = g;
    switch (advance(core_.wl, core_.gt, g, core_.engine.now(), core_.compute_rng[cls], compute, *this)) {
      case StepKind::kCompute:
      case StepKind::kTightCompute:
        core_.engine.schedule_in(compute, sim::kBandDefault, kComputeDone, static_cast<std::uint32_t>(c));
        return;
      case StepKind::kSyscall:
        if (syscall_on_cpu_) {
          core_.engine.schedule_in(compute, sim::kBandDefault, kComputeDone, static_cast<std::uint32_t>(c));
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
        core_.gt[g].ready_at = core_.engine.now();
        const std::uint32_t next = runq_.pop_front();
        cpus_[c].g = next;
        core_.stats.waited(core_.gt[next].cls, core_.gt[next].ready_at, core_.engine.now());
        core_.engine.tracer().emit({core_.engine.now(), kTraceGoStart, next, core_.gt[next].cls, static_cast<std::uint32_t>(c)});
        core_.engine.schedule_in(0, sim::kBandDefault, kComputeDone, static_cast<std::uint32_t>(c));
        return;
      }
      case StepKind::kPark:
        break;
      case StepKind::kSpawn:  // never: on_spawn creates at once
      case StepKind::kRunaway:
        core_.runaway = g;
        core_.engine.stop();
        return;
    }
    cpus_[c].g = kNone32;
    --busy_;
    core_.stats.cpu_idle(c, core_.engine.now());
    if (runq_.empty()) {
      idle_.push_back(static_cast<std::uint32_t>(c));
      return;
    }
    const std::uint32_t next = runq_.pop_front();
    core_.stats.runnable_changed(core_.engine.now(), runq_.size());
    start(c, next);
  }

  // Readies the goroutines an operation by g woke; a woken select continues in the case that fired.
  void wake_all(std::uint32_t g) {
    (void)g;
    for (const auto& w : woken_) {
      if (w.select_case != 0xffff) resume_select_case(core_.wl, core_.gt, w.g, w.select_case);
      make_runnable(w.g);
    }
    woken_.clear();
  }

  void wake_in(std::uint32_t g, sim::Time d) {
    ++sleeping_;
    core_.engine.schedule_in(d, sim::kBandDefault, kWake, g);
  }

  void exit_goroutine(std::uint32_t g) {
    const std::uint16_t cls = core_.gt[g].cls;
    const std::uint32_t client = goroutine_exited(core_.wl, core_.gt, core_.sync, core_.stats, core_.engine, g, 0);
    core_.gt.destroy(g);
    core_.stats.live_changed(core_.engine.now(), core_.gt.live());
    if (client != kNone32) core_.arrivals.next_submit(cls, client, core_.engine.now());
  }

  RunCore core_;
  std::vector<Cpu> cpus_;
  sim::Ring<std::uint32_t> runq_;
  std::vector<std::uint32_t> idle_;  // idle CPUs, lowest id on top
  std::size_t busy_ = 0;
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
