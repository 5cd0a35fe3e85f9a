// boost-fiber-ws: Boost.Fiber 1.74's work_stealing algorithm and scheduler (boostorg/fiber tag boost-1.74.0:
// src/algo/work_stealing.cpp, src/scheduler.cpp, src/context.cpp; kernel-and-calibration.md §1.2-§1.8).
// models/fiber/README.md says what is modelled and what is simplified.
//
// Structure (as fifo's, plus the kernel thread layer as in the go model):
//  - N worker threads run on kernel::ThreadScheduler: they share the machine's CPUs, are time-sliced by
//    the kernel, and a suspended thread pays the futex wake latency (and idle exit) when notified.
//  - Each thread has a FIFO ready queue holding fibers and, while one of its fibers runs, its pinned
//    dispatcher (the token kDispatcher): scheduler::dispatch resumes a fiber with ctx->resume(dispatcher),
//    which pushes the dispatcher to the tail of the queue, "so that ready-queue never becomes empty".
//  - A fiber that blocks, yields or ends switches to the head of its thread's queue (pick_next): another
//    fiber directly, or the dispatcher, which then moves the remote-ready list and expired sleepers to the
//    queue and picks the next fiber: its own queue's head, else steal() from random other threads.
//  - steal() takes the victim's queue head, one fiber, unless the head is the pinned dispatcher.
//  - Idle threads spin (suspend=false, Boost's default) or wait on a condition variable that only
//    notify() from schedule_from_remote (fibers owned by that thread) or its own timer ends (#327).
#include "models/fiber/fiber.h"

#include <chrono>
#include <functional>
#include <memory>
#include <queue>

#include "models/kernel/threads.h"
#include "models/run_loop.h"
#include "models/run_stats.h"
#include "models/scenario/scenario.h"
#include "models/scenario/units.h"
#include "models/trace_events.h"
#include "models/workload/arrivals.h"
#include "models/workload/goroutines.h"
#include "models/workload/sync.h"
#include "sim/engine.h"
#include "sim/ring.h"

namespace gmpsim::models::fiber {

std::int64_t boost_channel_capacity(std::int64_t go_capacity) {
  if (go_capacity <= 0) return 0;
  std::int64_t c = 2;
  while (c < go_capacity + 1) c <<= 1;
  return c;
}

std::int64_t boost_channel_slots(std::int64_t go_capacity) {
  return go_capacity <= 0 ? 0 : boost_channel_capacity(go_capacity) - 1;
}

namespace {

enum Ev : std::uint32_t {
  kArrival,       // arg = class: an open-loop arrival is due
  kClientSubmit,  // arg = class, arg2 = client
  kSpinTimer,     // arg = thread: the earliest sleeper of a spinning thread is due
  kSample,        // a timeseries row (observation)
  kWarmupEnd,     // statistics start here (observation)
  kThreadBase = 8,
};

// What a thread's CPU time is counted as.
enum Burst : kernel::BurstKind { kWork = 0, kSched = 1, kSpin = 2, kListener = 3 };

constexpr std::uint32_t kDispatcher = 0xfffffffeu;  // the pinned dispatcher context in a ready queue
constexpr std::uint16_t kStarted = 1;               // Goroutine::flags: the fiber has run once
constexpr std::uint16_t kFreshStack = 2;            // Goroutine::flags: its stack is new memory (not reused)

struct Params {
  std::uint32_t threads = 0;
  bool suspend = false;
  sim::Time c_switch = 0, c_spawn = 0, c_exit = 0, c_park = 0, c_ready = 0, c_chan = 0, c_remote = 0, c_steal = 0,
            c_lock = 0, c_storm = 0;
  sim::Time timer_slack = 0;
  sim::Time fresh_stack_faults = 0;  // first-run cost of a new stack: fiber.stack_fault_pages x kernel.page_fault
  sim::Time listener_cost = 0;       // fiber.listener_cost: CPU of the outside thread per arrival handed over
  kernel::ThreadParams kp;

  explicit Params(const Scenario& sc) {
    auto node = [&](const char* key) -> const YAML::Node& {
      const ResolvedValue* v = sc.find(key);
      GMPSIM_REQUIRE(v != nullptr, std::string("boost-fiber-ws model: missing parameter ") + key);
      return v->node;
    };
    auto dur = [&](const char* key) { return parse_duration(node(key).Scalar()); };
    threads = static_cast<std::uint32_t>(std::stoull(node("fiber.threads").Scalar()));
    if (threads == 0) threads = static_cast<std::uint32_t>(sc.machine.cpus.size());
    suspend = node("fiber.idle").Scalar() == "suspend";
    c_switch = dur("fiber.cost.switch");
    c_spawn = dur("fiber.cost.spawn");
    c_exit = dur("fiber.cost.exit");
    c_park = dur("fiber.cost.park");
    c_ready = dur("fiber.cost.ready");
    c_chan = dur("fiber.cost.chan_op");
    c_remote = dur("fiber.cost.remote_wake");
    c_steal = dur("fiber.cost.steal");
    c_lock = dur("fiber.cost.lock");
    c_storm = dur("fiber.cost.storm_working_set");
    fresh_stack_faults = static_cast<sim::Time>(std::llround(std::stod(node("fiber.stack_fault_pages").Scalar()) *
                                                             static_cast<double>(dur("kernel.page_fault"))));
    listener_cost = dur("fiber.listener_cost");
    timer_slack = sc.kernel.timer_slack;
    kp.wake_latency = sc.kernel.futex_wake;
    kp.idle_exit = dur("kernel.idle_exit");
    kp.idle_poll = dur("kernel.idle_poll");
    kp.tick = static_cast<sim::Time>(1e9 / sc.kernel.hz);
    kp.slice = kernel::scaled_base_slice(dur("kernel.base_slice"), sc.machine.cpus.size());
  }
};

// Steps Boost.Fiber cannot run, rejected before the run with the class and the step named.
void reject_unsupported(const Workload& wl) {
  for (const GoroutineClass& c : wl.classes) {
    for (const Op& op : c.program.ops) {
      const std::string key = "workload.classes." + c.name + ".program";
      if (op.code == OpCode::kSelect) {
        throw ScenarioError(key, "step `select` is not available in the boost-fiber-ws model: Boost.Fiber 1.74 has no "
                                 "select over several channels (kernel-and-calibration.md §1.6); rewrite it with "
                                 "send/recv, or run the scenario on the go model");
      }
      if (op.code == OpCode::kNetWait) {
        throw ScenarioError(key, "step `net_wait` is not available in the boost-fiber-ws model: Boost.Fiber has no "
                                 "network poller; write the I/O as `syscall` (blocks the worker thread and every fiber "
                                 "queued behind it) or as `sleep` (this_fiber::sleep_for)");
      }
    }
  }
}

enum class Next : std::uint8_t {
  kDispatch,  // the dispatcher runs a pass (scheduler::dispatch loop body)
  kRunFiber,  // the thread's fiber continues its program
  kCompute,   // the scheduling cost is paid: start the fiber's compute burst
  kSyscall,   // the scheduling cost is paid: the thread blocks in the fiber's system call
  kIdle,      // the failed pick_next is paid: spin or suspend
  kWoken,     // a suspended thread runs again (notify or its timer)
};
enum class Idle : std::uint8_t { kNo, kSpinLong, kSuspended };

struct Sleeper {
  sim::Time at;
  std::uint64_t seq;
  std::uint32_t g;
  bool operator>(const Sleeper& o) const { return at != o.at ? at > o.at : seq > o.seq; }
};

struct Worker {
  sim::Ring<std::uint32_t> rq;      // ready queue: fibers, and the dispatcher while a fiber runs
  sim::Ring<std::uint32_t> remote;  // remote ready list: fibers of this thread readied by other threads
  std::priority_queue<Sleeper, std::vector<Sleeper>, std::greater<>> sleepq;
  std::uint32_t fiber = kNone32;    // the fiber running (or in a system call) on this thread
  Next next = Next::kDispatch;
  Idle idle = Idle::kNo;
  bool notify_flag = false;         // work_stealing::flag_ (suspend mode)
  sim::Time compute = 0;            // the compute or syscall waiting behind a scheduling burst
  sim::EventId spin_timer;
  std::uint64_t fibers_run = 0;     // dispatches of fibers on this thread
};

class FiberRun {
 public:
  explicit FiberRun(const Scenario& sc)
      : sc_(sc), wl_(sc.workload), prm_(sc), gt_(wl_), sync_(wl_), streams_(sc.run.seed),
        arrivals_(wl_, streams_, engine_, sc.run.duration, kArrival, kClientSubmit), stats_(sc, sc.machine.cpus.size()),
        ks_(engine_, *this, sc.machine.cpus.size(), prm_.kp, kThreadBase), steal_rng_(streams_.stream("fiber.steal")) {
    reject_unsupported(wl_);
    for (std::size_t c = 0; c < wl_.classes.size(); ++c) compute_rng_.push_back(streams_.stream("compute." + wl_.classes[c].name));
    for (std::size_t i = 0; i < wl_.channels.size(); ++i) sync_.chans[static_cast<std::uint32_t>(i)].capacity = boost_channel_slots(wl_.channels[i].capacity);
    holder_.assign(sync_.chans.capacity(), kNone32);
    mutex_owner_.assign(sync_.mutexes.capacity(), kNone32);
    workers_.resize(prm_.threads);
    for (std::uint32_t t = 0; t < prm_.threads; ++t) ks_.create_thread();
    if (prm_.listener_cost > 0) listener_ = ks_.create_thread();  // the thread outside the pool, after the workers
    stats_.set_busy_source([this](std::size_t cpu, sim::Time now) { return ks_.busy_on(static_cast<std::uint32_t>(cpu), kWork, now); });
  }

  RunResult run(const RunOptions& options) {
    for (sim::TraceObserver* o : options.observers) engine_.tracer().attach(o);
    engine_.enable_fingerprint(true);
    Outcome early;
    try {
      start_arrivals();
      // Every worker thread is running at t = 0 (work_stealing's constructor waits at a barrier for all).
      for (std::uint32_t t = 0; t < prm_.threads; ++t) ks_.start_now(t);
    } catch (const ProgramPanic& e) {
      early = {OutcomeStatus::kPanic, std::string(e.what()) + ", at t=0 s"};
    }
    observe_at(std::min(sc_.run.sample_interval, sc_.run.duration), kSample);
    if (sc_.run.warmup > 0) observe_at(sc_.run.warmup, kWarmupEnd);
    const auto wall0 = std::chrono::steady_clock::now();
    const Outcome outcome = early.abnormal() ? early : loop(wall0);
    const RunEnd e = settle_run_end(outcome, work_pending() > 0, gt_.live(), sync_.describe_parked(wl_), arrivals_.cut(),
                                    engine_.now(), last_activity_, sc_.run.duration);
    RunResult r = stats_.finish(e.end, gt_, runnable_, running_);
    r.model_counters = counters(e.end);
    fill_run_result(r, engine_, wall0, e.outcome);
    return r;
  }

  // The kernel thread layer: thread tid is on a CPU and has no burst.
  void on_burst_done(std::uint32_t tid) {
    if (tid == listener_) {
      // The listener handed one arrival over; it goes on while more came meanwhile, else waits for the next.
      if (listener_backlog_ > 0) {
        --listener_backlog_;
        ks_.run_for(tid, prm_.listener_cost, kListener);
      } else {
        ks_.block(tid);
      }
      return;
    }
    Worker& w = workers_[tid];
    switch (w.next) {
      case Next::kDispatch: dispatch_pass(tid); break;
      case Next::kRunFiber: run_fiber(tid); break;
      case Next::kCompute:
        w.next = Next::kRunFiber;
        ks_.run_for(tid, w.compute, kWork);
        break;
      case Next::kSyscall:
        // The system call blocks the OS thread, and with it every fiber queued behind the running one.
        w.next = Next::kRunFiber;
        ++syscalls_;
        ks_.sleep(tid, w.compute);
        break;
      case Next::kIdle: idle_decide(tid); break;
      case Next::kWoken:
        w.idle = Idle::kNo;
        w.notify_flag = false;  // suspend_until: flag_ = false after the wait
        dispatch_pass(tid);
        break;
    }
  }

  // ---- advance() hooks (the running fiber is workers_[cur_].fiber) ----
  void on_spawn(std::uint16_t cls, std::int64_t count) {
    // fibers::fiber(fn), launch::post: attach to the creating thread's scheduler, push to its queue.
    Worker& w = workers_[cur_];
    for (std::int64_t i = 0; i < count; ++i) {
      const std::uint32_t g = create(cls, engine_.now(), kNone32, w.fiber);
      owner_[g] = cur_;
      w.rq.push_back(g);
      ++runnable_;
      pending_ += prm_.c_spawn;
    }
    stats_.runnable_changed(engine_.now(), runnable_);
    rq_changed(cur_);
  }
  void on_span(std::uint32_t span, sim::Time begin) { stats_.span_done(span, begin, engine_.now()); }
  void on_alloc(std::int64_t bytes) { allocated_bytes_ += bytes; }
  void on_stack(std::int64_t) {}  // fiber stacks are fixed-size (128 KiB by default): depth costs nothing
  std::uint32_t on_make(ObjKind kind, std::int64_t capacity) {
    switch (kind) {
      case ObjKind::kWaitGroup: return sync_.wgs.make({});
      case ObjKind::kChannel: {
        const std::uint32_t id = sync_.chans.make({boost_channel_slots(capacity), 0, false, {}, {}});
        if (holder_.size() <= id) holder_.resize(id + 1, kNone32);
        holder_[id] = kNone32;
        return id;
      }
      case ObjKind::kMutex: {
        const std::uint32_t id = sync_.mutexes.make({});
        if (mutex_owner_.size() <= id) mutex_owner_.resize(id + 1, kNone32);
        mutex_owner_[id] = kNone32;
        return id;
      }
    }
    return 0;
  }
  void on_release(ObjKind kind, std::uint32_t id) { sync_.release(kind, id); }
  // A WaitGroup built from a fibers::mutex and a condition_variable: add/done lock, change the counter and
  // notify_all at zero; wait locks and waits on the condition variable until the counter is zero.
  void on_wg_add(std::uint32_t wg, std::int64_t delta) {
    pending_ += 2 * prm_.c_lock;
    woken_.clear();
    sync_.wg_add(wl_, wg, delta, woken_);
    for (const auto& w : woken_) ready(w.g);
    woken_.clear();
  }
  SyncStep on_sync(std::uint32_t g, OpCode code, std::uint32_t obj) {
    switch (code) {
      case OpCode::kWgWait:
        pending_ += 2 * prm_.c_lock;
        return {sync_.wg_wait(obj, g, engine_.now()) == SyncObjects::Result::kPark ? SyncStep::kPark : SyncStep::kContinue};
      case OpCode::kSend: return chan_send(g, obj);
      case OpCode::kRecv: return chan_recv(g, obj);
      case OpCode::kClose: chan_close(obj); return {};
      case OpCode::kLock: return mutex_lock(g, obj);
      case OpCode::kUnlock: mutex_unlock(g, obj); return {};
      default: return {};
    }
  }
  SyncStep on_select(std::uint32_t, std::uint32_t) {
    throw ProgramPanic("select is not available in Boost.Fiber");  // rejected before the run; never reached
  }
  void on_sleep(std::uint32_t g, sim::Time d) {
    // this_fiber::sleep_for: the fiber waits in its thread's sleep queue until the dispatcher sees it due.
    workers_[cur_].sleepq.push({engine_.now() + d, sleep_seq_++, g});
    ++sleeping_;
  }
  void on_net_wait(std::uint32_t g, sim::Time d) { on_sleep(g, d); }  // rejected before the run
  void on_syscall(SyscallKind kind) { syscall_cgo_ = kind == SyscallKind::kCgo; }
  void on_lock_thread(bool) {}  // fibers are not bound to threads this way

 private:
  // ---- the scheduler ----

  // scheduler::dispatch, one pass: remote_ready2ready, sleep2ready, pick_next; resume the fiber found
  // (the dispatcher goes to the tail of the queue), or idle.
  void dispatch_pass(std::uint32_t t) {
    Worker& w = workers_[t];
    const sim::Time now = engine_.now();
    w.idle = Idle::kNo;
    cur_ = t;
    sim::Time cost = 0;
    while (!w.remote.empty()) w.rq.push_back(w.remote.pop_front());  // already counted runnable
    bool woke = false;
    while (!w.sleepq.empty() && w.sleepq.top().at <= now) {
      const std::uint32_t g = w.sleepq.top().g;
      w.sleepq.pop();
      --sleeping_;
      gt_[g].ready_at = now;
      w.rq.push_back(g);
      ++runnable_;
      cost += prm_.c_ready;
      woke = true;
    }
    if (woke) stats_.runnable_changed(now, runnable_);
    std::uint32_t g = kNone32;
    if (!w.rq.empty()) {
      g = w.rq.pop_front();  // a fiber: the dispatcher itself is running, so it is not in the queue
    } else if (prm_.threads > 1) {
      g = steal(t, cost);
    }
    if (g != kNone32) {
      w.rq.push_back(kDispatcher);  // context::resume(dispatcher): "so that ready-queue never becomes empty"
      resume(t, g, cost + prm_.c_switch);
      return;
    }
    if (cost > 0) {
      w.next = Next::kIdle;
      ks_.run_for(t, cost, kSched);
    } else {
      idle_decide(t);
    }
  }

  // work_stealing::pick_next's steal loop: random other threads, `count` draws in all (own id included),
  // one steal() each, until one returns a fiber or count reaches the thread count.
  std::uint32_t steal(std::uint32_t t, sim::Time& cost) {
    const std::uint32_t n = prm_.threads;
    std::uint32_t count = 0;
    do {
      std::uint32_t id;
      do {
        ++count;
        id = static_cast<std::uint32_t>(steal_rng_.next_u64() % n);
      } while (id == t);
      cost += prm_.c_steal;
      ++steal_attempts_;
      Worker& v = workers_[id];
      if (!v.rq.empty() && v.rq.front() != kDispatcher) {  // steal() refuses a pinned context at the head
        const std::uint32_t g = v.rq.pop_front();
        owner_[g] = t;  // attach to the thief's scheduler
        ++steals_;
        rq_changed(id);
        return g;
      }
    } while (count < n);
    return kNone32;
  }

  // The dispatcher found nothing: suspend_until(earliest sleeper or max).
  void idle_decide(std::uint32_t t) {
    Worker& w = workers_[t];
    const sim::Time now = engine_.now();
    const bool due = !w.sleepq.empty() && w.sleepq.top().at <= now;
    if (!w.remote.empty() || due || !w.rq.empty()) {
      retry(t, kSched);
      return;
    }
    if (!prm_.suspend) {
      // suspend=false: dispatch loops at once. While some queue has a stealable head the loop is modelled
      // pass by pass; otherwise the thread spins in one long burst until work for it appears (poke()).
      if (prm_.threads > 1 && stealable_except(t)) {
        ++spin_passes_;
        retry(t, kSpin);
        return;
      }
      w.idle = Idle::kSpinLong;
      ++long_spinners_;
      ++idle_spins_;
      w.next = Next::kDispatch;
      ks_.run_for(t, sc_.run.duration + 1, kSpin);  // beyond the end of the run: ends only by poke()
      if (!w.sleepq.empty()) w.spin_timer = engine_.schedule_at(w.sleepq.top().at, sim::kBandDefault, kSpinTimer, t);
      return;
    }
    if (w.notify_flag) {  // notified since the last wait: the condition variable's predicate holds
      w.notify_flag = false;
      retry(t, kSched);
      return;
    }
    w.idle = Idle::kSuspended;
    w.next = Next::kWoken;
    ++idle_suspends_;
    if (!w.sleepq.empty()) {
      ks_.sleep(t, w.sleepq.top().at - now + prm_.timer_slack);  // cnd_.wait_until(earliest deadline)
    } else {
      ks_.block(t);  // cnd_.wait(): only notify() ends it
    }
  }

  void retry(std::uint32_t t, Burst kind) {
    workers_[t].next = Next::kDispatch;
    ks_.run_for(t, 0, kind);  // through an event, so repeated misses never recurse
  }

  bool stealable_except(std::uint32_t t) const {
    for (std::uint32_t v = 0; v < workers_.size(); ++v) {
      if (v != t && !workers_[v].rq.empty() && workers_[v].rq.front() != kDispatcher) return true;
    }
    return false;
  }

  // Thread v's queue changed: spinning threads see a stealable head on their next pass.
  void rq_changed(std::uint32_t v) {
    if (prm_.suspend || long_spinners_ == 0) return;
    const Worker& w = workers_[v];
    if (w.rq.empty() || w.rq.front() == kDispatcher) return;
    for (std::uint32_t u = 0; u < workers_.size(); ++u) {
      if (u != v && workers_[u].idle == Idle::kSpinLong) poke(u);
    }
  }

  // A thread spinning in its long burst starts a dispatcher pass now.
  void poke(std::uint32_t u) {
    Worker& w = workers_[u];
    if (w.spin_timer.valid()) {
      engine_.cancel(w.spin_timer);
      w.spin_timer = {};
    }
    w.idle = Idle::kNo;
    --long_spinners_;
    ks_.interrupt(u);
    w.next = Next::kDispatch;
    ks_.run_for(u, 0, kSpin);
  }

  // scheduler::schedule_from_remote: the remote ready list, then algo->notify() on that scheduler only.
  void remote_push(std::uint32_t v, std::uint32_t g) {
    Worker& w = workers_[v];
    w.remote.push_back(g);
    ++remote_wakes_;
    if (!prm_.suspend) {
      if (w.idle == Idle::kSpinLong) poke(v);  // notify() does nothing; the spinning loop sees the list
      return;
    }
    w.notify_flag = true;
    if (w.idle == Idle::kSuspended && ks_.state(v) == kernel::ThreadScheduler<FiberRun>::State::kBlocked) {
      ++idle_wakeups_;
      if (ks_.sleeping(v)) ks_.interrupt_sleep(v); else ks_.wake(v);
    }
  }

  // context::schedule(ctx) from the running fiber on cur_: local awakened() or schedule_from_remote on the
  // scheduler the fiber is attached to (where it last ran).
  void ready(std::uint32_t g) {
    const std::uint32_t o = owner_[g];
    gt_[g].ready_at = engine_.now();
    ++runnable_;
    stats_.runnable_changed(engine_.now(), runnable_);
    engine_.tracer().emit({engine_.now(), kTraceGoUnpark, g, gt_[g].cls, o});
    if (o == cur_) {
      workers_[o].rq.push_back(g);
      pending_ += prm_.c_ready;
      rq_changed(o);
    } else {
      pending_ += prm_.c_remote;
      remote_push(o, g);
    }
  }

  // Thread t switches to fiber g (dequeued and counted runnable); `cost` is paid first.
  void resume(std::uint32_t t, std::uint32_t g, sim::Time cost) {
    Worker& w = workers_[t];
    const sim::Time now = engine_.now();
    --runnable_;
    stats_.runnable_changed(now, runnable_);
    ++running_;
    w.fiber = g;
    ++w.fibers_run;
    ++switches_;
    Goroutine& gr = gt_[g];
    stats_.waited(gr.cls, gr.ready_at, now);
    if ((gr.flags & kStarted) == 0) {
      gr.flags |= kStarted;
      cost += prm_.c_storm;  // first run: cache and TLB misses of a large storm
      if (gr.flags & kFreshStack) cost += prm_.fresh_stack_faults;  // and first touches of new stack memory
    }
    engine_.tracer().emit({now, kTraceGoStart, g, gr.cls, t});
    rq_changed(t);
    w.next = Next::kRunFiber;
    ks_.run_for(t, cost, kSched);
  }

  // The running fiber of t blocked or ended: pick_next pops the queue head, which is never empty while a
  // fiber runs (the dispatcher is in it). Switching into the dispatcher is free: its switch to the next
  // fiber is the one charged (so a yield between fibers costs one fiber.cost.switch, as calibrated).
  void leave(std::uint32_t t, sim::Time cost) {
    Worker& w = workers_[t];
    GMPSIM_CHECK(!w.rq.empty(), "boost-fiber-ws: a thread's ready queue lost its dispatcher");
    const std::uint32_t head = w.rq.pop_front();
    if (head == kDispatcher) {
      rq_changed(t);  // the fiber behind the dispatcher is stealable now
      w.next = Next::kDispatch;
      ks_.run_for(t, cost, kSched);
      return;
    }
    resume(t, head, cost + prm_.c_switch);
  }

  // Runs the fiber of thread t until it computes, blocks, yields or ends.
  void run_fiber(std::uint32_t t) {
    Worker& w = workers_[t];
    cur_ = t;
    pending_ = 0;
    const std::uint32_t g = w.fiber;
    const std::uint16_t cls = gt_[g].cls;
    sim::Time compute = 0;
    const StepKind k = advance(wl_, gt_, g, engine_.now(), compute_rng_[cls], compute, *this);
    switch (k) {
      case StepKind::kSyscall:
        if (!syscall_cgo_) {
          w.compute = compute;
          w.next = Next::kSyscall;
          ks_.run_for(t, pending_, kSched);
          return;
        }
        [[fallthrough]];  // a C call computes on the thread
      case StepKind::kCompute:
      case StepKind::kTightCompute:
        if (pending_ > 0) {
          w.compute = compute;
          w.next = Next::kCompute;
          ks_.run_for(t, pending_, kSched);
        } else {
          w.next = Next::kRunFiber;
          ks_.run_for(t, compute, kWork);
        }
        return;
      case StepKind::kExit:
        w.fiber = kNone32;
        --running_;
        exit_fiber(g);
        leave(t, pending_ + prm_.c_exit);
        return;
      case StepKind::kPark:
        w.fiber = kNone32;
        --running_;
        ++parks_;
        leave(t, pending_ + prm_.c_park);
        return;
      case StepKind::kGosched:
      case StepKind::kYield: {
        // this_fiber::yield: pick_next()->resume(ctx); ctx goes to the tail after the switch.
        w.fiber = kNone32;
        --running_;
        ++yields_;
        GMPSIM_CHECK(!w.rq.empty(), "boost-fiber-ws: a thread's ready queue lost its dispatcher");
        const std::uint32_t head = w.rq.pop_front();
        w.rq.push_back(g);
        gt_[g].ready_at = engine_.now();
        ++runnable_;
        if (head == kDispatcher) {
          stats_.runnable_changed(engine_.now(), runnable_);
          rq_changed(t);
          w.next = Next::kDispatch;
          ks_.run_for(t, pending_, kSched);
        } else {
          resume(t, head, pending_ + prm_.c_switch);
        }
        return;
      }
      case StepKind::kRunaway:
        runaway_ = g;
        engine_.stop();
        return;
    }
  }

  // ---- channels (boost/fiber/buffered_channel.hpp, unbuffered_channel.hpp @1.74) ----
  std::string chan_name(std::uint32_t ch) const {
    return ch < wl_.channels.size() ? "`" + wl_.channels[ch].name + "`" : "(a made channel)";
  }
  // Readies the oldest waiter of q, which retries its operation (the channels' and mutex's for(;;) loops).
  void wake_first(WaitQueue& q) {
    if (q.empty()) return;
    const std::uint32_t s = sync_.sudogs.pop_front(q);
    const std::uint32_t g = sync_.sudogs[s].g;
    sync_.sudogs.release(s);
    --sync_.parked;
    ready(g);
  }
  SyncStep chan_send(std::uint32_t g, std::uint32_t ch) {
    pending_ += prm_.c_chan;
    ChannelState& c = sync_.chans[ch];
    if (c.closed) {
      throw ProgramPanic("push on closed channel " + chan_name(ch) +
                         " (Boost returns channel_op_status::closed; the workload treats it as Go's send on closed channel)");
    }
    if (c.capacity == 0) {  // unbuffered: one slot; the producer waits until a consumer has taken its value
      if (holder_[ch] == kNone32) {
        holder_[ch] = g;
        ++sync_.parked;
        wake_first(c.recvq);
        return {SyncStep::kPark};
      }
      sync_.park_on(c.sendq, ch, g, engine_.now(), true);
      return {SyncStep::kParkRetry};
    }
    if (c.count < c.capacity) {
      ++c.count;
      wake_first(c.recvq);
      return {};
    }
    sync_.park_on(c.sendq, ch, g, engine_.now(), true);
    return {SyncStep::kParkRetry};
  }
  SyncStep chan_recv(std::uint32_t g, std::uint32_t ch) {
    pending_ += prm_.c_chan;
    ChannelState& c = sync_.chans[ch];
    if (c.capacity == 0) {
      if (holder_[ch] != kNone32) {
        const std::uint32_t producer = holder_[ch];
        holder_[ch] = kNone32;
        --sync_.parked;
        wake_first(c.sendq);  // a waiting producer may now fill the slot
        ready(producer);      // its value was consumed
        return {};
      }
    } else if (c.count > 0) {
      --c.count;
      wake_first(c.sendq);
      return {};
    }
    if (c.closed) return {};  // channel_op_status::closed
    sync_.park_on(c.recvq, ch, g, engine_.now());
    return {SyncStep::kParkRetry};
  }
  void chan_close(std::uint32_t ch) {
    pending_ += prm_.c_chan;
    ChannelState& c = sync_.chans[ch];
    if (c.closed) return;  // Boost's close() is idempotent (Go would panic)
    if (holder_[ch] != kNone32 || !c.sendq.empty()) {
      throw ProgramPanic("close of channel " + chan_name(ch) +
                         " while fibers wait to push on it (their push returns channel_op_status::closed; Go: send on closed channel)");
    }
    c.closed = true;
    while (!c.recvq.empty()) wake_first(c.recvq);
  }

  // ---- fibers::mutex: FIFO waiters, no hand-off (a woken waiter retries and may lose to a barger) ----
  SyncStep mutex_lock(std::uint32_t g, std::uint32_t m) {
    pending_ += prm_.c_lock;
    MutexState& mx = sync_.mutexes[m];
    if (mx.locked && mutex_owner_[m] == g) throw ProgramPanic("fibers::mutex locked twice by the same fiber (Boost throws lock_error: resource_deadlock_would_occur)");
    if (!mx.locked) {
      mx.locked = true;
      mutex_owner_[m] = g;
      return {};
    }
    sync_.park_on(mx.waiters, m, g, engine_.now());
    return {SyncStep::kParkRetry};
  }
  void mutex_unlock(std::uint32_t g, std::uint32_t m) {
    pending_ += prm_.c_lock;
    MutexState& mx = sync_.mutexes[m];
    if (!mx.locked) throw ProgramPanic("unlock of an unlocked fibers::mutex (Boost throws lock_error: operation_not_permitted)");
    if (mutex_owner_[m] != g) {
      throw ProgramPanic("unlock of a fibers::mutex by a fiber that does not own it (Boost throws lock_error: "
                         "operation_not_permitted; Go's sync.Mutex allows it)");
    }
    mx.locked = false;
    mutex_owner_[m] = kNone32;
    wake_first(mx.waiters);
  }

  // ---- fibers, arrivals, the run ----
  std::uint32_t create(std::uint16_t cls, sim::Time start, std::uint32_t client = kNone32, std::uint32_t parent = kNone32) {
    stats_.created(cls);
    const std::uint32_t g = gt_.create(cls, start, client);
    // pooled_fixedsize_stack hands out released stacks first and allocates only beyond the most fibers
    // ever alive at once: only those stacks are new memory, whose first use faults their pages in.
    if (gt_.live() > stacks_allocated_) {
      stacks_allocated_ = gt_.live();
      gt_[g].flags |= kFreshStack;
    }
    init_locals(wl_, gt_, g, parent, [this](ObjKind k, std::uint32_t id) { sync_.retain(k, id); });
    if (owner_.size() < gt_.capacity()) owner_.resize(gt_.capacity(), 0);
    gt_[g].ready_at = engine_.now();
    engine_.tracer().emit({engine_.now(), kTraceGoCreate, g, cls, 0});
    stats_.live_changed(engine_.now(), gt_.live());
    return g;
  }

  void exit_fiber(std::uint32_t g) {
    const std::uint16_t cls = gt_[g].cls;
    const std::uint32_t client = goroutine_exited(wl_, gt_, sync_, stats_, engine_, g, 0);
    gt_.destroy(g);
    stats_.live_changed(engine_.now(), gt_.live());
    if (client != kNone32) arrivals_.next_submit(cls, client, engine_.now());
  }

  // Work from outside the pool enters at a thread chosen round robin, through its remote ready list (as a
  // fiber readied by another thread); an initial population is created by the threads' main fibers
  // before they start dispatching, round robin too.
  std::uint32_t next_thread() {
    const std::uint32_t t = rr_;
    rr_ = (rr_ + 1) % prm_.threads;
    return t;
  }
  // The outside thread's CPU for one hand-over: it shares the machine's CPUs with the workers. The
  // hand-over itself is not delayed by it (arrival times are hand-over times: a replayed trace has them).
  void listener_work() {
    using State = kernel::ThreadScheduler<FiberRun>::State;
    if (ks_.state(listener_) != State::kBlocked) {
      ++listener_backlog_;
      return;
    }
    ks_.run_for(listener_, prm_.listener_cost, kListener);
    ks_.wake(listener_);
  }

  void start_arrivals() {
    for (std::size_t c = 0; c < wl_.classes.size(); ++c) {
      const Arrivals& a = wl_.classes[c].arrivals;
      if (a.process != Arrivals::Process::kInitial) continue;
      for (std::int64_t i = 0; i < a.count; ++i) {
        const std::uint32_t g = create(static_cast<std::uint16_t>(c), 0);
        const std::uint32_t t = next_thread();
        owner_[g] = t;
        workers_[t].rq.push_back(g);
        ++runnable_;
      }
    }
    stats_.runnable_changed(0, runnable_);
    arrivals_.start();
  }
  void arrive(std::uint16_t cls, sim::Time start, std::uint32_t client = kNone32) {
    if (listener_ != kNone32) listener_work();
    const std::uint32_t g = create(cls, start, client);
    const std::uint32_t t = next_thread();
    owner_[g] = t;
    ++runnable_;
    stats_.runnable_changed(engine_.now(), runnable_);
    remote_push(t, g);
  }

  void dispatch(const sim::Event& ev) {
    if (ev.kind == kSample || ev.kind == kWarmupEnd) {
      --observers_pending_;
    } else {
      last_activity_ = ev.time;
    }
    if (ev.kind >= kThreadBase) {
      ks_.handle(ev);
      return;
    }
    switch (ev.kind) {
      case kArrival: {
        const auto cls = static_cast<std::uint16_t>(ev.arg);
        arrive(cls, ev.time);
        arrivals_.next_arrival(cls, ev.time);
        break;
      }
      case kClientSubmit: arrive(static_cast<std::uint16_t>(ev.arg), ev.time, ev.arg2); break;
      case kSpinTimer: {
        Worker& w = workers_[ev.arg];
        w.spin_timer = {};
        if (w.idle == Idle::kSpinLong) poke(ev.arg);
        break;
      }
      case kWarmupEnd: stats_.warmup_end(ev.time, runnable_, running_, gt_.live()); break;
      case kSample:
        if (work_pending() == 0) break;
        stats_.sample(ev.time, runnable_, running_);
        if (ev.time < sc_.run.duration) observe_at(std::min(ev.time + sc_.run.sample_interval, sc_.run.duration), kSample);
        break;
    }
  }

  void check_invariants() const {
    GMPSIM_CHECK(gt_.live() == runnable_ + running_ + sync_.parked + sleeping_,
                 "boost-fiber-ws: a live fiber is neither ready, running, waiting nor sleeping");
  }

  void observe_at(sim::Time t, std::uint32_t kind) {
    engine_.schedule_at(t, sim::kBandObserve, kind);
    ++observers_pending_;
  }
  // Pending events that are work: not observations, and not the endless bursts of spinning idle threads.
  std::size_t work_pending() const {
    std::size_t spinning = 0;
    for (std::uint32_t t = 0; t < workers_.size(); ++t) {
      if (workers_[t].idle == Idle::kSpinLong && ks_.state(t) == kernel::ThreadScheduler<FiberRun>::State::kRunning) ++spinning;
    }
    return engine_.pending_events() - observers_pending_ - spinning;
  }

  Outcome loop(std::chrono::steady_clock::time_point wall0) {
    auto dispatcher = [this](const sim::Event& ev) {
      dispatch(ev);
      check_invariants();
    };
    auto runaway = [this] { return runaway_detail(wl_, gt_, runaway_); };
    return run_events(engine_, sc_.run, dispatcher, runaway_ != kNone32, runaway, wall0);
  }

  Json counters(sim::Time end) const {
    Json c = Json::object();
    c["threads"] = prm_.threads;
    c["idle_mode"] = prm_.suspend ? "suspend" : "spin";
    c["steals"] = steals_;
    c["steal_attempts"] = steal_attempts_;
    c["remote_wakes"] = remote_wakes_;
    c["idle_spins"] = idle_spins_;
    c["idle_spin_passes"] = spin_passes_;
    c["idle_suspends"] = idle_suspends_;
    c["idle_wakeups"] = idle_wakeups_;
    c["switches"] = switches_;
    c["stacks_allocated"] = stacks_allocated_;
    if (listener_ != kNone32) c["cpu_listener_ns"] = ks_.busy(kListener);
    c["parks"] = parks_;
    c["yields"] = yields_;
    c["syscalls"] = syscalls_;
    c["kernel_preemptions"] = ks_.preemptions();
    Json per_thread = Json::array();
    for (const Worker& w : workers_) per_thread.push_back(w.fibers_run);
    c["fibers_run_per_thread"] = per_thread;
    sim::Time work = 0, sched = 0, spin = 0;
    for (std::uint32_t cpu = 0; cpu < ks_.cpus(); ++cpu) {
      const sim::Time at = std::max(end, engine_.now());
      work += ks_.busy_on(cpu, kWork, at);
      sched += ks_.busy_on(cpu, kSched, at);
      spin += ks_.busy_on(cpu, kSpin, at);
    }
    c["cpu_work_ns"] = work;
    c["cpu_sched_ns"] = sched;
    c["cpu_spin_ns"] = spin;
    c["allocated_bytes"] = allocated_bytes_;
    return c;
  }

  const Scenario& sc_;
  const Workload& wl_;
  Params prm_;
  sim::Engine engine_;
  GoroutineTable gt_;
  SyncObjects sync_;
  sim::RngStreams streams_;
  ArrivalDriver arrivals_;
  RunStats stats_;
  kernel::ThreadScheduler<FiberRun> ks_;
  sim::Rng steal_rng_;
  std::vector<sim::Rng> compute_rng_;
  std::vector<Worker> workers_;
  std::vector<std::uint32_t> owner_;        // per fiber id: the thread whose scheduler it is attached to
  std::vector<std::uint32_t> holder_;       // per channel: the producer whose value is in an unbuffered slot
  std::vector<std::uint32_t> mutex_owner_;  // per mutex: the owning fiber
  std::vector<SyncObjects::Wake> woken_;
  std::uint32_t cur_ = 0;                   // the thread whose fiber or dispatcher is executing
  sim::Time pending_ = 0;                   // scheduling CPU time the running fiber's steps have incurred
  std::uint32_t rr_ = 0;
  std::uint64_t runnable_ = 0, running_ = 0, sleeping_ = 0, sleep_seq_ = 0;
  std::uint64_t stacks_allocated_ = 0;  // the stack pool's size: the most fibers alive at once so far
  std::uint32_t listener_ = kNone32;     // the outside thread handing arrivals over (fiber.listener_cost > 0)
  std::uint64_t listener_backlog_ = 0;   // hand-overs waiting for its CPU
  std::uint32_t long_spinners_ = 0;
  std::uint64_t steals_ = 0, steal_attempts_ = 0, remote_wakes_ = 0, idle_spins_ = 0, spin_passes_ = 0, idle_suspends_ = 0,
                idle_wakeups_ = 0, switches_ = 0, parks_ = 0, yields_ = 0, syscalls_ = 0;
  std::int64_t allocated_bytes_ = 0;
  bool syscall_cgo_ = false;
  std::uint32_t runaway_ = kNone32;
  sim::Time last_activity_ = 0;
  std::size_t observers_pending_ = 0;
};

}  // namespace

RunResult FiberModel::run(const Scenario& scenario, const RunOptions& options) {
  auto r = std::make_unique<FiberRun>(scenario);
  return r->run(options);
}

}  // namespace gmpsim::models::fiber
