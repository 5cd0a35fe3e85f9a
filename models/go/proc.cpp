#include "models/go/proc.h"

#include <chrono>
#include <memory>
#include <numeric>
#include <sstream>

#include "models/go/runq.h"
#include "models/kernel/threads.h"
#include "models/run_loop.h"
#include "models/run_stats.h"
#include "models/scenario/units.h"
#include "models/trace_events.h"
#include "models/workload/arrivals.h"
#include "models/workload/goroutines.h"
#include "models/workload/sync.h"
#include "sim/engine.h"

namespace gmpsim::models::go {
namespace {

// runtime2.go: _Gidle .. _Gdead (the subset this part uses).
enum class GStatus : std::uint16_t { kIdle = 0, kRunnable = 1, kRunning = 2, kSyscall = 3, kWaiting = 4, kDead = 6 };
// runtime2.go: _Pidle, _Prunning, ...
enum class PStatus : std::uint8_t { kIdle = 0, kRunning = 1 };

// What an M does when its current CPU burst ends.
enum class Phase : std::uint8_t {
  kStart,     // its thread was woken (startm) or created (newm): acquirep(nextp), then schedule
  kSchedule,  // paid an overhead (goexit0, a recheck): call schedule
  kExecute,   // paid the cost of picking m.curg: execute it
  kOverhead,  // paid runtime work inside the G (newproc): run the pending compute
  kRunning,   // m.curg's compute step finished: continue its program
  kSteal,     // paid for a stealWork round: do it
  kBackoff,   // woke from usleep(3) before stealing a victim's runnext
};

// CPU time categories (kernel::BurstKind).
constexpr kernel::BurstKind kWork = 0, kSched = 1, kSpin = 2;

// Engine event kinds of this model; the kernel thread layer owns kThreadBase and up.
enum Ev : std::uint32_t { kArrival, kClientSubmit, kSample, kWarmupEnd, kSchedtrace, kThreadBase = 8 };

struct P {
  PStatus status = PStatus::kIdle;
  std::uint32_t m = kNoG;
  LocalRunq runq;
  std::uint32_t schedtick = 0;
  GFreeList gfree;  // dead Gs this P can reuse (p.gFree)
  explicit P(std::uint32_t runq_size) : runq(runq_size) {}
};

struct M {
  std::uint32_t p = kNoG, nextp = kNoG, curg = kNoG;
  bool spinning = false;
  Phase phase = Phase::kStart;
  // stealWork position: round, the random coprime walk, and how many Ps this round has visited.
  std::uint32_t steal_round = 0, steal_pos = 0, steal_inc = 1, steal_seen = 0;
  std::uint32_t backoff_victim = kNoG;
  sim::Time overhead = 0;         // runtime CPU work accumulated inside the running G (newproc)
  sim::Time pending_compute = 0;  // compute to run after that overhead
};

struct Params {
  std::uint32_t gomaxprocs, runq_size, global_check, steal_tries;
  sim::Time runnext_backoff, timer_slack;
  bool recheck_after_spinning, runnext, gosched_wakep;
  sim::Time cost_schedule, cost_newproc, cost_goexit, cost_steal, cost_global, cost_gopark, cost_goready;
  kernel::ThreadParams threads;
  sim::Time thread_create;
  sim::Time schedtrace;
  bool scheddetail, old_trace_format;
  std::int64_t mem_g, mem_stack, mem_sudog, mem_m, memory_limit;
  std::uint32_t max_threads;

  explicit Params(const Scenario& sc) {
    auto node = [&](const char* key) -> const YAML::Node& {
      const ResolvedValue* v = sc.find(key);
      GMPSIM_REQUIRE(v != nullptr, std::string("go model: missing parameter ") + key);
      return v->node;
    };
    auto dur = [&](const char* key) { return parse_duration(node(key).Scalar()); };
    auto integer = [&](const char* key) { return static_cast<std::uint32_t>(std::stoull(node(key).Scalar())); };
    auto flag = [&](const char* key) { return node(key).Scalar() == "true"; };
    gomaxprocs = integer("runtime.gomaxprocs");
    if (gomaxprocs == 0) gomaxprocs = static_cast<std::uint32_t>(sc.machine.cpus.size());
    runq_size = integer("runtime.runq_size");
    if ((runq_size & (runq_size - 1)) != 0) throw ScenarioError("runtime.runq_size", "must be a power of two (the runtime indexes the ring with a mask)");
    global_check = integer("runtime.global_runq_check_period");
    steal_tries = integer("runtime.steal_tries");
    runnext_backoff = dur("runtime.runnext_steal_backoff");
    recheck_after_spinning = flag("runtime.recheck_after_spinning");
    runnext = flag("runtime.runnext");
    gosched_wakep = flag("runtime.gosched_wakep");
    cost_gopark = dur("runtime.cost.gopark");
    cost_goready = dur("runtime.cost.goready");
    cost_schedule = dur("runtime.cost.schedule");
    cost_newproc = dur("runtime.cost.newproc");
    cost_goexit = dur("runtime.cost.goexit");
    cost_steal = dur("runtime.cost.steal");
    cost_global = dur("runtime.cost.global_runq");
    auto bytes = [&](const char* key) { return parse_bytes(node(key).Scalar()); };
    mem_g = bytes("runtime.mem.g_struct");
    mem_stack = bytes("runtime.mem.stack_min");
    mem_sudog = bytes("runtime.mem.sudog");
    mem_m = bytes("runtime.mem.m");
    memory_limit = sc.machine.memory_bytes;
    max_threads = integer("runtime.max_threads");
    if (max_threads < 1) throw ScenarioError("runtime.max_threads", "must be at least 1");
    schedtrace = dur("runtime.schedtrace");
    scheddetail = flag("runtime.scheddetail");
    old_trace_format = sc.runtime.version == "go1.19";  // go1.19.8 proc.go: no needspinning/schedticks, -1 for nil
    timer_slack = sc.kernel.timer_slack;
    thread_create = sc.kernel.thread_create;
    threads.wake_latency = sc.kernel.futex_wake;
    threads.tick = static_cast<sim::Time>(1e9 / sc.kernel.hz);
    threads.slice = kernel::scaled_base_slice(dur("kernel.base_slice"), sc.machine.cpus.size());
  }
};

class GoRun {
 public:
  explicit GoRun(const Scenario& sc)
      : sc_(sc), wl_(sc.workload), prm_(sc), gt_(wl_), wgs_(wl_.waitgroups), streams_(sc.run.seed),
        arrivals_(wl_, streams_, engine_, sc.run.duration, kArrival, kClientSubmit), stats_(sc, sc.machine.cpus.size()),
        ks_(engine_, *this, sc.machine.cpus.size(), prm_.threads, kThreadBase), steal_rng_(streams_.stream("go.steal")) {
    for (std::uint32_t i = 0; i < prm_.gomaxprocs; ++i) ps_.emplace_back(prm_.runq_size);
    ms_.reserve(prm_.max_threads);
    // stealOrder (randomOrder.reset): the strides coprime with GOMAXPROCS.
    for (std::uint32_t c = 1; c <= prm_.gomaxprocs; ++c) {
      if (std::gcd(c, prm_.gomaxprocs) == 1) coprimes_.push_back(c);
    }
    for (std::size_t c = 0; c < wl_.classes.size(); ++c) {
      const std::string& name = wl_.classes[c].name;
      compute_rng_.push_back(streams_.stream("compute." + name));
    }
    stats_.set_busy_source([this](std::size_t cpu, sim::Time now) { return ks_.busy_on(static_cast<std::uint32_t>(cpu), kWork, now); });
  }

  RunResult run(const RunOptions& options) {
    for (sim::TraceObserver* o : options.observers) engine_.tracer().attach(o);
    engine_.enable_fingerprint(true);
    // procresize: P0 goes to M0, which runs; the other Ps are idle, P1 on top of the idle list.
    for (std::uint32_t p = prm_.gomaxprocs; p-- > 1;) pidleput(p);
    const std::uint32_t m0 = newm();
    acquirep(m0, 0);
    ms_[m0].phase = Phase::kSchedule;
    ks_.wake(m0);
    start_arrivals();
    observe_at(std::min(sc_.run.sample_interval, sc_.run.duration), kSample);
    if (sc_.run.warmup > 0) observe_at(sc_.run.warmup, kWarmupEnd);
    if (prm_.schedtrace > 0) observe_at(0, kSchedtrace);
    const auto wall0 = std::chrono::steady_clock::now();
    // checkdead here means every M is idle and nothing can wake the parked Gs.
    const Outcome outcome = loop(wall0);  // before work_pending(): argument order is unspecified
    const RunEnd e = settle_run_end(outcome, work_pending() > 0, gt_.live(), wgs_, arrivals_.cut(), engine_.now(),
                                    last_activity_, sc_.run.duration);
    RunResult r = stats_.finish(e.end, gt_, runnable(), running());
    fill_run_result(r, engine_, wall0, e.outcome);
    r.model_counters = counters(e.end);
    r.model_counters["memory"] = memory_json();
    r.schedtrace = std::move(schedtrace_);
    return r;
  }

  // ---- kernel thread layer callback: the M's burst ended (or its thread just got a CPU) ----
  void on_burst_done(std::uint32_t tid) {
    M& m = ms_[tid];
    switch (m.phase) {
      case Phase::kStart:
        if (m.nextp != kNoG) {
          acquirep(tid, m.nextp);
          m.nextp = kNoG;
        }
        schedule(tid);
        break;
      case Phase::kSchedule: schedule(tid); break;
      case Phase::kExecute: execute(tid); break;
      case Phase::kOverhead:
        m.phase = Phase::kRunning;
        ks_.run_for(tid, m.pending_compute, kWork);
        break;
      case Phase::kRunning: continue_g(tid); break;
      case Phase::kSteal: steal_scan(tid); break;
      case Phase::kBackoff: backoff_done(tid); break;
    }
  }

  // ---- advance() hooks, called while cur_m_ runs its G ----
  void on_spawn(std::uint16_t cls, std::int64_t count) {
    for (std::int64_t i = 0; i < count; ++i) newproc(cur_m_, cls);
  }
  void on_span(std::uint32_t span, sim::Time begin) { stats_.span_done(span, begin, engine_.now()); }
  // WaitGroup counter at zero: every waiter is readied by the running G (semrelease -> goready), each
  // into this P's runnext, so the last readied runs next and the others queue behind it.
  void on_wg_add(std::uint32_t wg, std::int64_t delta) {
    const std::vector<std::uint32_t> ready = wgs_.add(wg, delta);
    wgs_.unparked(ready.size());
    for (std::uint32_t g : ready) goready(cur_m_, g);
  }
  std::int64_t wg_counter(std::uint32_t wg) const { return wgs_.counter(wg); }
  void on_alloc(std::int64_t bytes) { allocated_bytes_ += bytes; }

  void dispatch(const sim::Event& ev) {
    if (ev.kind == kSample || ev.kind == kWarmupEnd || ev.kind == kSchedtrace) {
      --observers_pending_;
    } else {
      last_activity_ = ev.time;
    }
    switch (ev.kind) {
      case kArrival: {
        const auto cls = static_cast<std::uint16_t>(ev.arg);
        inject(create(cls, ev.time));
        startIdle(1);
        arrivals_.next_arrival(cls, ev.time);
        break;
      }
      case kClientSubmit:
        inject(create(static_cast<std::uint16_t>(ev.arg), ev.time, ev.arg2));
        startIdle(1);
        break;
      case kWarmupEnd: stats_.warmup_end(ev.time, runnable(), running(), gt_.live()); break;
      case kSchedtrace:
        schedtrace();
        if (work_pending() > 0 && ev.time + prm_.schedtrace <= sc_.run.duration) observe_at(ev.time + prm_.schedtrace, kSchedtrace);
        break;
      case kSample:
        if (work_pending() == 0) break;  // nothing left to happen: finish() writes the last row
        stats_.sample(ev.time, runnable(), running());
        if (ev.time < sc_.run.duration) observe_at(std::min(ev.time + sc_.run.sample_interval, sc_.run.duration), kSample);
        break;
      default: ks_.handle(ev); break;
    }
  }

 private:
  // Observation events (samples, warm-up, schedtrace) must not keep a finished run alive.
  void observe_at(sim::Time t, std::uint32_t kind) {
    engine_.schedule_at(t, sim::kBandObserve, kind);
    ++observers_pending_;
  }
  std::size_t work_pending() const { return engine_.pending_events() - observers_pending_; }

  // ---- goroutines ----
  // newproc1: a dead G from P's free list (gfget; the global list refills it), else a new one. Without
  // a P (arrivals from outside) only the global list is used.
  std::uint32_t create(std::uint16_t cls, sim::Time start, std::uint32_t client = kNone32, std::uint32_t p = kNoG) {
    stats_.created(cls);
    GFreeList none;
    const std::uint32_t reuse = gfget(p == kNoG ? none : ps_[p].gfree, gfree_global_);
    const std::uint32_t g = reuse == kNoG ? gt_.create(cls, start, client) : gt_.revive(reuse, cls, start, client);
    if (gt_.capacity() > allgs_) {  // a new g (and stack): allgs only grows
      allgs_ = gt_.capacity();
      check_memory();
    }
    gt_[g].flags = static_cast<std::uint16_t>(GStatus::kRunnable);
    gt_[g].ready_at = engine_.now();
    engine_.tracer().emit({engine_.now(), kTraceGoCreate, g, cls, 0});
    stats_.live_changed(engine_.now(), gt_.live());
    return g;
  }

  // An external arrival enters like injectglist without a P: onto the global queue.
  void inject(std::uint32_t g) { globrunqput(global_, g); }

  // injectglist's startIdle: start an M for each idle P, up to n.
  void startIdle(std::size_t n) {
    for (; n > 0 && !pidle_.empty(); --n) startm(kNoG, false);
  }

  // newproc: the new G goes to the spawner P's runnext (its old runnext to the tail), then wakep.
  void newproc(std::uint32_t mi, std::uint16_t cls) {
    M& m = ms_[mi];
    const std::uint32_t g = create(cls, engine_.now(), kNone32, m.p);
    const std::uint32_t moved = runqput(ps_[m.p].runq, global_, g, prm_.runnext);
    m.overhead += prm_.cost_newproc + (moved > 0 ? sched_lock(mi) : 0);  // runqputslow takes sched.lock
    global_overflow_ += moved;
    wakep(mi);
  }

  // goready: a parked G becomes runnable in the readier P's runnext, then wakep.
  void goready(std::uint32_t mi, std::uint32_t g) {
    M& m = ms_[mi];
    gt_[g].flags = static_cast<std::uint16_t>(GStatus::kRunnable);
    gt_[g].ready_at = engine_.now();
    engine_.tracer().emit({engine_.now(), kTraceGoUnpark, g, gt_[g].cls, 0});
    const std::uint32_t moved = runqput(ps_[m.p].runq, global_, g, prm_.runnext);
    m.overhead += prm_.cost_goready + (moved > 0 ? sched_lock(mi) : 0);
    global_overflow_ += moved;
    wakep(mi);
  }

  // execute: m.curg starts running (Grunnable -> Grunning).
  void execute(std::uint32_t mi) {
    M& m = ms_[mi];
    Goroutine& g = gt_[m.curg];
    g.flags = static_cast<std::uint16_t>(GStatus::kRunning);
    stats_.waited(g.cls, g.ready_at, engine_.now());
    engine_.tracer().emit({engine_.now(), kTraceGoStart, m.curg, g.cls, ks_.cpu_of(mi)});
    continue_g(mi);
  }

  // Runs m.curg's program up to its next compute step or its exit.
  void continue_g(std::uint32_t mi) {
    const std::uint32_t gp = ms_[mi].curg;
    const std::uint16_t cls = gt_[gp].cls;
    sim::Time compute = 0;
    cur_m_ = mi;
    std::uint32_t wg = 0;
    const StepKind step = advance(wl_, gt_, gp, engine_.now(), compute_rng_[cls], compute, *this, &wg);
    M& m = ms_[mi];
    switch (step) {
      case StepKind::kGosched:  // goschedImpl: Grunning -> Grunnable, global queue tail, (wakep), schedule
        gt_[gp].flags = static_cast<std::uint16_t>(GStatus::kRunnable);
        gt_[gp].ready_at = engine_.now();
        globrunqput(global_, gp);
        m.curg = kNoG;
        if (prm_.gosched_wakep) wakep(mi);
        schedule(mi, take_overhead(mi) + sched_lock(mi));
        return;
      case StepKind::kWgWait:  // gopark: Grunning -> Gwaiting on the WaitGroup's semaphore
        gt_[gp].flags = static_cast<std::uint16_t>(GStatus::kWaiting);
        wgs_.park(wg, gp);
        if (wgs_.parked() > peak_parked_) {
          peak_parked_ = wgs_.parked();
          check_memory();
        }
        engine_.tracer().emit({engine_.now(), kTraceGoPark, gp, cls, 0});
        m.curg = kNoG;
        schedule(mi, take_overhead(mi) + prm_.cost_gopark);
        return;
      case StepKind::kCompute:
        if (m.overhead > 0) {
          m.pending_compute = compute;
          m.phase = Phase::kOverhead;
          ks_.run_for(mi, m.overhead, kSched);
          m.overhead = 0;
        } else {
          m.phase = Phase::kRunning;
          ks_.run_for(mi, compute, kWork);
        }
        return;
      case StepKind::kExit: goexit0(mi); return;
      case StepKind::kRunaway:
        runaway_ = gp;
        engine_.stop();
        return;
    }
  }

  // goexit0: the G is dead; the M pays for the exit and schedules again.
  void goexit0(std::uint32_t mi) {
    M& m = ms_[mi];
    const std::uint32_t gp = m.curg;
    const Goroutine& g = gt_[gp];
    stats_.exited(g.cls, g.start, engine_.now());
    engine_.tracer().emit({engine_.now(), kTraceGoEnd, gp, g.cls, ks_.cpu_of(mi)});
    const std::uint32_t client = g.client;
    const std::uint16_t cls = g.cls;
    gt_.retire(gp);
    gfput(ps_[m.p].gfree, gfree_global_, gp);  // the g and its stack stay for reuse
    stats_.live_changed(engine_.now(), gt_.live());
    if (client != kNone32) arrivals_.next_submit(cls, client, engine_.now());
    m.curg = kNoG;
    schedule(mi, take_overhead(mi) + prm_.cost_goexit);
  }

  sim::Time take_overhead(std::uint32_t mi) {
    const sim::Time o = ms_[mi].overhead;
    ms_[mi].overhead = 0;
    return o;
  }

  // ---- schedule / findRunnable (proc.go), steps numbered as in go-scheduler-spec.md §4.2 ----
  // `prior` is CPU work the M did just before (goexit0, gopark, newproc inside the G): it is paid in the
  // same burst as the decision, which saves an event per scheduling. (An M that finds nothing parks at
  // once and does not pay it.)
  void schedule(std::uint32_t mi, sim::Time prior = 0) {
    M& m = ms_[mi];
    P& pp = ps_[m.p];
    sim::Time cost = prm_.cost_schedule + prior;
    std::uint32_t gp = kNoG;
    bool inherit = false;
    // 6: every 61st schedtick, one G from the global queue first, for fairness.
    if (pp.schedtick % prm_.global_check == 0 && !global_.empty()) {
      gp = globrunqget(global_);
      cost += sched_lock(mi);
      ++global_takes_;
    }
    // 8: the local queue, runnext first.
    if (gp == kNoG) {
      const RunqGet r = runqget(pp.runq);
      gp = r.g;
      inherit = r.inherit_time;
      if (inherit) ++runnext_hits_;
    }
    // 9: a batch from the global queue.
    if (gp == kNoG && !global_.empty()) {
      gp = globrunqgetbatch(global_, pp.runq, prm_.runq_size / 2, prm_.gomaxprocs);
      cost += sched_lock(mi);
      ++global_takes_;
    }
    if (gp != kNoG) {
      found(mi, gp, inherit, cost);
      return;
    }
    // 11: spin and steal, within the limit on spinning Ms.
    if (m.spinning || 2 * nmspinning_ < prm_.gomaxprocs - pidle_.size()) {
      if (!m.spinning) {
        m.spinning = true;
        ++nmspinning_;
        peak_spinning_ = std::max(peak_spinning_, nmspinning_);
      }
      m.steal_round = 0;
      begin_steal_round(mi, cost);
      return;
    }
    idle(mi);
  }

  // The M picked gp: a spinning M stops spinning (resetspinning wakes another), then pays and executes.
  void found(std::uint32_t mi, std::uint32_t gp, bool inherit, sim::Time cost) {
    M& m = ms_[mi];
    if (m.spinning) resetspinning(mi);
    m.curg = gp;
    if (!inherit) ++ps_[m.p].schedtick;
    m.phase = Phase::kExecute;
    ks_.run_for(mi, cost, kSched);
  }

  // stealWork: a round looks at every P once, from a random start along a random coprime stride; its CPU
  // cost is paid first and the round then runs at once.
  void begin_steal_round(std::uint32_t mi, sim::Time extra) {
    M& m = ms_[mi];
    const auto r = static_cast<std::uint32_t>(steal_rng_.next_u64() >> 32);  // cheaprand
    m.steal_pos = r % prm_.gomaxprocs;
    m.steal_inc = coprimes_[(r / prm_.gomaxprocs) % coprimes_.size()];
    m.steal_seen = 0;
    m.phase = Phase::kSteal;
    ++steal_rounds_;
    ks_.run_for(mi, extra + prm_.cost_steal * (prm_.gomaxprocs - 1), kSpin);
  }

  void steal_scan(std::uint32_t mi) {
    M& m = ms_[mi];
    const bool last = m.steal_round + 1 == prm_.steal_tries;
    for (; m.steal_seen < prm_.gomaxprocs; ++m.steal_seen, m.steal_pos = (m.steal_pos + m.steal_inc) % prm_.gomaxprocs) {
      const std::uint32_t p2 = m.steal_pos;
      if (p2 == m.p || ps_[p2].status == PStatus::kIdle) continue;
      std::uint32_t n = 0;
      const std::uint32_t gp = runqsteal(ps_[m.p].runq, ps_[p2].runq, &n);
      if (gp != kNoG) {
        ++steals_;
        stolen_gs_ += n;
        found(mi, gp, false, prm_.cost_schedule);
        return;
      }
      // Last round: a running victim's runnext, after backing off so its owner can run it first.
      if (last && ps_[p2].runq.runnext != kNoG && ps_[p2].status == PStatus::kRunning) {
        m.backoff_victim = p2;
        m.phase = Phase::kBackoff;
        ks_.sleep(mi, prm_.runnext_backoff + prm_.timer_slack);
        return;
      }
    }
    if (++m.steal_round < prm_.steal_tries) {
      begin_steal_round(mi, 0);
      return;
    }
    idle(mi);
  }

  void backoff_done(std::uint32_t mi) {
    M& m = ms_[mi];
    P& victim = ps_[m.backoff_victim];
    if (victim.runq.runnext != kNoG) {
      const std::uint32_t gp = runqsteal_runnext(victim.runq);
      ++steals_;
      ++stolen_gs_;
      ++runnext_steals_;
      found(mi, gp, false, prm_.cost_schedule);
      return;
    }
    // The owner ran it: go on with the rest of the round.
    ++m.steal_seen;
    m.steal_pos = (m.steal_pos + m.steal_inc) % prm_.gomaxprocs;
    m.phase = Phase::kSteal;
    ks_.run_for(mi, prm_.cost_steal, kSpin);
  }

  // findRunnable steps 14-17: last look at the global queue, release the P, the spinning recheck, stopm.
  void idle(std::uint32_t mi) {
    M& m = ms_[mi];
    if (!global_.empty()) {  // 14, under sched.lock
      const std::uint32_t gp = globrunqgetbatch(global_, ps_[m.p].runq, prm_.runq_size / 2, prm_.gomaxprocs);
      ++global_takes_;
      found(mi, gp, false, sched_lock(mi));
      return;
    }
    const std::uint32_t pp = releasep(mi);
    sched_lock(mi);  // the M parks right after: it holds the lock but pays no further CPU
    pidleput(pp);
    if (m.spinning) {  // 15: the "delicate dance": stop spinning, then look once more
      m.spinning = false;
      --nmspinning_;
      bool work = prm_.recheck_after_spinning && !global_.empty();
      for (std::uint32_t p = 0; !work && p < prm_.gomaxprocs; ++p) {
        work = ps_[p].status != PStatus::kIdle && !ps_[p].runq.empty();  // checkRunqsNoP
      }
      if (work && !pidle_.empty()) {
        acquirep(mi, pidleget());
        m.spinning = true;
        ++nmspinning_;
        m.phase = Phase::kSchedule;
        ks_.run_for(mi, prm_.cost_schedule, kSpin);
        return;
      }
    }
    stopm(mi);  // 17
  }

  // ---- sched.lock ----
  // A lock held for runtime.cost.global_runq per operation (global queue, idle P list). An M that finds
  // it held waits, spinning as lock2 does first, until it is free; the wait and the hold are CPU time of
  // the M's current operation. Operations are granted in the order the Ms reach them, so contention grows
  // with the number of Ps that touch the global state at once.
  // `who` is the M (kNoG outside any M): an M's back-to-back operations at one instant queue behind its
  // own previous hold, which it has already paid for, so that part is not counted again as waiting.
  sim::Time sched_lock(std::uint32_t who) {
    const sim::Time now = engine_.now();
    const sim::Time start = std::max(now, lock_free_at_);
    const sim::Time wait = who != kNoG && who == lock_owner_ ? 0 : start - now;
    lock_free_at_ = start + prm_.cost_global;
    lock_owner_ = who;
    lock_wait_ += wait;
    ++lock_acquires_;
    return wait + prm_.cost_global;
  }

  // ---- Ms and Ps ----
  std::uint32_t newm() {
    if (ms_.size() == prm_.max_threads) {  // checkmcount: "thread exhaustion" (a fatal error in Go)
      threads_exhausted_ = true;
      engine_.stop();
      return kNoG;
    }
    const std::uint32_t tid = ks_.create_thread();
    GMPSIM_REQUIRE(tid == ms_.size(), "newm: thread and M ids diverged");
    ms_.emplace_back();
    check_memory();
    return tid;
  }

  // stopm: the M joins the idle list and its thread sleeps on its note (futex wait).
  void stopm(std::uint32_t mi) {
    GMPSIM_CHECK(ms_[mi].p == kNoG && ms_[mi].curg == kNoG, "stopm: M holds a P or a G");
    midle_.push_back(mi);
    ks_.block(mi);
  }

  // startm: an idle M (LIFO) or a new thread gets P pp (an idle P when pp is kNoG).
  void startm(std::uint32_t pp, bool spinning) {
    if (pp == kNoG) {
      if (pidle_.empty()) return;
      pp = pidleget();
    }
    std::uint32_t mi;
    sim::Time extra = 0;
    if (!midle_.empty()) {
      mi = midle_.back();
      midle_.pop_back();
    } else {
      mi = newm();
      extra = prm_.thread_create;
      if (mi == kNoG) {  // thread exhaustion: the run ends after this event; leave the state consistent
        pidleput(pp);
        if (spinning) --nmspinning_;
        return;
      }
    }
    M& m = ms_[mi];
    m.nextp = pp;
    m.spinning = spinning;
    m.phase = Phase::kStart;
    ks_.wake(mi, extra);
  }

  // wakep: at most one spinning M is woken at a time.
  void wakep(std::uint32_t who) {
    if (nmspinning_ != 0 || pidle_.empty()) return;
    sched_lock(who);  // pidlegetSpinning; its CPU is part of the calling operation's cost
    ++nmspinning_;
    peak_spinning_ = std::max(peak_spinning_, nmspinning_);
    startm(pidleget(), true);
  }

  void resetspinning(std::uint32_t mi) {
    ms_[mi].spinning = false;
    GMPSIM_CHECK(nmspinning_ > 0, "resetspinning: negative nmspinning");
    --nmspinning_;
    wakep(mi);
  }

  void acquirep(std::uint32_t mi, std::uint32_t p) {
    GMPSIM_CHECK(ps_[p].m == kNoG && ps_[p].status == PStatus::kIdle, "acquirep: P is in use");
    ps_[p].m = mi;
    ps_[p].status = PStatus::kRunning;
    ms_[mi].p = p;
  }
  std::uint32_t releasep(std::uint32_t mi) {
    const std::uint32_t p = ms_[mi].p;
    ps_[p].m = kNoG;
    ps_[p].status = PStatus::kIdle;
    ms_[mi].p = kNoG;
    return p;
  }
  void pidleput(std::uint32_t p) {
    GMPSIM_CHECK(ps_[p].runq.empty(), "pidleput: P has non-empty run queue");
    pidle_.push_back(p);
  }
  std::uint32_t pidleget() {
    const std::uint32_t p = pidle_.back();
    pidle_.pop_back();
    return p;
  }

  // ---- arrivals (as in fifo: open loop, closed loop, initial population) ----
  void start_arrivals() {
    for (std::size_t c = 0; c < wl_.classes.size(); ++c) {
      const Arrivals& a = wl_.classes[c].arrivals;
      if (a.process != Arrivals::Process::kInitial) continue;
      for (std::int64_t i = 0; i < a.count; ++i) inject(create(static_cast<std::uint16_t>(c), 0));
      startIdle(static_cast<std::size_t>(std::max<std::int64_t>(0, a.count - 1)));  // M0 takes the first
    }
    arrivals_.start();
  }

  // ---- observation ----
  std::size_t runnable() const {
    std::size_t n = global_.size();
    for (const P& p : ps_) n += p.runq.size() + (p.runq.runnext != kNoG ? 1 : 0);
    return n;
  }
  std::size_t running() const {
    std::size_t n = 0;
    for (const M& m : ms_) n += (m.curg != kNoG && (m.phase == Phase::kRunning || m.phase == Phase::kOverhead)) ? 1 : 0;
    return n;
  }

  // G conservation and P/M consistency, after every event in checked builds.
  void check_invariants() const {
    std::size_t reserved = 0;
    for (const M& m : ms_) reserved += m.curg != kNoG ? 1 : 0;
    GMPSIM_CHECK(gt_.live() == runnable() + reserved + wgs_.parked(), "go: a live goroutine is in no queue, on no M and not parked");
    GMPSIM_CHECK(nmspinning_ <= ms_.size(), "go: nmspinning exceeds the number of Ms");
    for (std::uint32_t p = 0; p < ps_.size(); ++p) {
      GMPSIM_CHECK((ps_[p].status == PStatus::kIdle) == (ps_[p].m == kNoG), "go: P status and owner disagree");
      GMPSIM_CHECK(ps_[p].status != PStatus::kIdle || ps_[p].runq.empty(), "go: an idle P holds runnable goroutines");
    }
  }

  // proc.go schedtrace: the lines GODEBUG=schedtrace=X (and scheddetail=1) print. Fields the model does
  // not have yet print as the runtime's zero value (gfreecnt, timerslen, mallocing, locks, ...); G lines
  // cover live goroutines only (the runtime also lists dead ones, which it never frees).
  void schedtrace() {
    const bool old = prm_.old_trace_format, detailed = prm_.scheddetail;
    const std::string nil = old ? "-1" : "nil";
    auto id_or_nil = [&](std::uint32_t id) { return id == kNoG ? nil : std::to_string(id); };
    std::ostringstream os;
    os << "SCHED " << engine_.now() / 1'000'000 << "ms: gomaxprocs=" << prm_.gomaxprocs << " idleprocs=" << pidle_.size()
       << " threads=" << ms_.size() << " spinningthreads=" << nmspinning_;
    if (!old) os << " needspinning=0";
    os << " idlethreads=" << midle_.size() << " runqueue=" << global_.size();
    if (detailed) {
      os << " gcwaiting=" << (old ? "0" : "false") << " nmidlelocked=0 stopwait=0 sysmonwait=" << (old ? "0" : "false") << "\n";
      for (std::uint32_t i = 0; i < ps_.size(); ++i) {
        const P& p = ps_[i];
        os << "  P" << i << ": status=" << static_cast<int>(p.status) << " schedtick=" << p.schedtick << " syscalltick=0 m="
           << id_or_nil(p.m) << " runqsize=" << p.runq.size() << " gfreecnt=" << p.gfree.gs.size() << " timerslen=0\n";
      }
      for (std::uint32_t i = 0; i < ms_.size(); ++i) {
        const M& m = ms_[i];
        const bool blocked = ks_.state(i) == kernel::ThreadScheduler<GoRun>::State::kBlocked;
        os << "  M" << i << ": p=" << id_or_nil(m.p) << " curg=" << id_or_nil(m.curg) << " mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning="
           << (m.spinning ? "true" : "false") << " blocked=" << (blocked ? "true" : "false") << " lockedg=" << nil << "\n";
      }
      for (std::uint32_t g = 0; g < gt_.capacity(); ++g) {
        if (!gt_.is_live(g)) continue;
        const auto status = static_cast<GStatus>(gt_[g].flags);
        std::uint32_t on_m = kNoG;
        for (std::uint32_t i = 0; i < ms_.size() && status == GStatus::kRunning; ++i) {
          if (ms_[i].curg == g) on_m = i;
        }
        const char* reason = status == GStatus::kWaiting ? (old ? "semacquire" : "sync.WaitGroup.Wait") : "";
        os << "  G" << g << ": status=" << static_cast<int>(status) << "(" << reason << ") m=" << id_or_nil(on_m) << " lockedm=" << nil << "\n";
      }
    } else {
      for (std::uint32_t i = 0; i < ps_.size(); ++i) {
        os << " " << (i == 0 ? (old ? "[" : "[ ") : "") << ps_[i].runq.size();
        if (i + 1 == ps_.size()) os << (old ? "]" : " ]");
      }
      if (!old) {
        os << " schedticks=[ ";
        for (const P& p : ps_) os << p.schedtick << " ";
        os << "]";
      }
      os << "\n";
    }
    schedtrace_.push_back(os.str());
  }

  // Runtime memory as the Go heap and stacks hold it: g structs and their stacks for every G ever live at
  // once (allgs never shrinks, dead Gs keep standard stacks), a sudog per parked G, and per-M memory. No
  // GC yet, so no garbage and no heap of the program itself.
  std::int64_t memory_bytes() const {
    return static_cast<std::int64_t>(allgs_) * (prm_.mem_g + prm_.mem_stack) +
           static_cast<std::int64_t>(peak_parked_) * prm_.mem_sudog + static_cast<std::int64_t>(ms_.size()) * prm_.mem_m;
  }
  void check_memory() {
    if (memory_bytes() <= prm_.memory_limit || oom_) return;
    oom_ = true;
    oom_detail_ = "runtime memory reached " + std::to_string(memory_bytes()) + " bytes (" + std::to_string(allgs_) +
                  " goroutines, " + std::to_string(ms_.size()) + " threads), over machine.memory = " +
                  std::to_string(prm_.memory_limit) + " bytes";
    engine_.stop();
  }
  Json memory_json() const {
    const double per_g = static_cast<double>(prm_.mem_g + prm_.mem_stack);
    return {{"peak_bytes", memory_bytes()},
            {"g_structs_bytes", static_cast<std::int64_t>(allgs_) * prm_.mem_g},
            {"stacks_bytes", static_cast<std::int64_t>(allgs_) * prm_.mem_stack},
            {"sudogs_bytes", static_cast<std::int64_t>(peak_parked_) * prm_.mem_sudog},
            {"threads_bytes", static_cast<std::int64_t>(ms_.size()) * prm_.mem_m},
            {"allgs", allgs_},
            {"bytes_per_goroutine", per_g},
            {"bytes_per_parked_goroutine", per_g + static_cast<double>(prm_.mem_sudog)},
            {"note", "g structs, stacks, sudogs and threads; no GC or program heap yet"}};
  }

  Json counters(sim::Time end) const {
    Json c = Json::object();
    c["gomaxprocs"] = prm_.gomaxprocs;
    c["threads_created"] = ms_.size();
    c["threads_idle_at_end"] = midle_.size();
    c["spinning_peak"] = peak_spinning_;
    c["steal_rounds"] = steal_rounds_;
    c["steals"] = steals_;
    c["stolen_goroutines"] = stolen_gs_;
    c["runnext_steals"] = runnext_steals_;
    c["runnext_hits"] = runnext_hits_;
    c["global_runq_takes"] = global_takes_;
    c["global_runq_overflow_moves"] = global_overflow_;
    c["kernel_preemptions"] = ks_.preemptions();
    c["sched_lock"] = {{"acquisitions", lock_acquires_}, {"wait_ns", lock_wait_}};
    c["allocated_bytes"] = allocated_bytes_;
    const double cpu_s = sim::to_seconds(end) * static_cast<double>(ks_.cpus());
    c["cpu_fraction"] = {{"goroutine_work", cpu_s > 0 ? sim::to_seconds(ks_.busy(kWork)) / cpu_s : 0.0},
                         {"scheduler", cpu_s > 0 ? sim::to_seconds(ks_.busy(kSched)) / cpu_s : 0.0},
                         {"spinning", cpu_s > 0 ? sim::to_seconds(ks_.busy(kSpin)) / cpu_s : 0.0}};
    return c;
  }

  Outcome loop(std::chrono::steady_clock::time_point wall0) {
    auto dispatcher = [this](const sim::Event& ev) {
      dispatch(ev);
      check_invariants();
    };
    auto runaway = [this]() -> std::string {
      if (oom_ || threads_exhausted_) return "";
      return runaway_detail(wl_, gt_, runaway_);
    };
    Outcome o = run_events(engine_, sc_.run, dispatcher, runaway_ != kNoG, runaway, wall0);
    if (threads_exhausted_) {
      o = {OutcomeStatus::kThreadExhaustion, "runtime: program exceeds " + std::to_string(prm_.max_threads) +
                                                 "-thread limit (runtime.max_threads, debug.SetMaxThreads) at t=" +
                                                 std::to_string(sim::to_seconds(engine_.now())) + " s"};
    }
    if (oom_) {
      o = {OutcomeStatus::kOutOfMemory, oom_detail_ + ", at t=" + std::to_string(sim::to_seconds(engine_.now())) + " s"};
    }
    return o;
  }

  const Scenario& sc_;
  const Workload& wl_;
  const Params prm_;
  sim::Engine engine_;
  GoroutineTable gt_;
  WaitGroups wgs_;
  sim::RngStreams streams_;
  ArrivalDriver arrivals_;
  RunStats stats_;
  kernel::ThreadScheduler<GoRun> ks_;
  sim::Rng steal_rng_;
  std::vector<P> ps_;
  std::vector<M> ms_;  // reserved for max_threads up front: Ms are created while references to others are live
  GlobalRunq global_;
  GFreeList gfree_global_;  // sched.gFree
  std::vector<std::uint32_t> pidle_, midle_;  // idle P and M lists, LIFO
  std::vector<std::uint32_t> coprimes_;
  std::uint32_t nmspinning_ = 0, peak_spinning_ = 0;
  std::vector<sim::Rng> compute_rng_;
  std::uint32_t cur_m_ = kNoG;
  std::vector<std::string> schedtrace_;
  std::uint64_t allgs_ = 0, peak_parked_ = 0;
  sim::Time lock_free_at_ = 0, lock_wait_ = 0;
  std::uint32_t lock_owner_ = kNoG;
  std::uint64_t lock_acquires_ = 0;
  bool oom_ = false, threads_exhausted_ = false;
  std::string oom_detail_;
  std::size_t observers_pending_ = 0;
  std::int64_t allocated_bytes_ = 0;  // alloc steps, in total (no GC yet: not live heap)
  std::uint32_t runaway_ = kNoG;
  sim::Time last_activity_ = 0;
  std::uint64_t steal_rounds_ = 0, steals_ = 0, stolen_gs_ = 0, runnext_steals_ = 0, runnext_hits_ = 0,
                global_takes_ = 0, global_overflow_ = 0;
};

}  // namespace

RunResult GoModel::run(const Scenario& scenario, const RunOptions& options) {
  auto r = std::make_unique<GoRun>(scenario);
  return r->run(options);
}

}  // namespace gmpsim::models::go
