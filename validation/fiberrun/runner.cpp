// One run of a scenario on real Boost.Fiber 1.74 fibers (work_stealing). The layout of the process:
//
//   - T worker threads (the main thread is worker 0), each with work_stealing(T, suspend) installed. Before
//     the start each creates its round-robin share of the initial population (launch::post: its own queue)
//     and, for open-loop workloads, an acceptor fiber; then every thread meets at a start barrier, whose
//     completion is time zero. After it the workers' main fibers block for good on a fibers condition
//     variable, so their dispatchers run the workload.
//   - A control thread outside the pool: it generates the open-loop arrivals (handing each to the next
//     worker's acceptor, round robin), waits for the end of the run (no workload fiber left, a panic, or the
//     time cap), collects the measurements, prints them and ends the process with _exit.
//
// Each workload fiber interprets its class's compiled bytecode exactly as models/workload/goroutines.h
// `advance()` does (program counter, loop counters, span start times), with real blocking operations.
#include "validation/fiberrun/runner.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/fiber/all.hpp>
#include <boost/fiber/detail/context_spinlock_queue.hpp>

#include "models/fiber/fiber.h"
#include "models/workload/arrivals.h"
#include "models/workload/program.h"
#include "sim/dist.h"
#include "sim/rng.h"

namespace gmpsim::fiberrun {

namespace bf = boost::fibers;
using models::Json;
using models::ObjKind;
using models::Op;
using models::OpCode;
using models::ProgramPanic;

unsigned worker_threads(const models::Scenario& sc) {
  const models::ResolvedValue* v = sc.find("fiber.threads");
  const unsigned t = v != nullptr ? static_cast<unsigned>(std::stoul(v->node.Scalar())) : 0;
  return t > 0 ? t : std::max(1u, std::thread::hardware_concurrency());
}

bool idle_suspend(const models::Scenario& sc) {
  const models::ResolvedValue* v = sc.find("fiber.idle");
  return v != nullptr && v->node.Scalar() == "suspend";
}

void check_runnable(const models::Scenario& sc) {
  if (sc.runtime.model != "boost-fiber-ws") {
    throw models::ScenarioError("runtime.model", "gmpsim-fiberrun runs the real Boost.Fiber work_stealing runtime, so the "
                                                 "scenario must say `runtime: {model: boost-fiber-ws}` (it says `" +
                                                     sc.runtime.model + "`); set it in the file or with --set runtime.model=boost-fiber-ws");
  }
  for (const models::GoroutineClass& c : sc.workload.classes) {
    const std::string key = "workload.classes." + c.name;
    if (c.arrivals.process == models::Arrivals::Process::kClosed) {
      throw models::ScenarioError(key + ".arrivals.process", "closed-loop clients are not supported by gmpsim-fiberrun; use "
                                                             "initial, poisson, constant or onoff arrivals");
    }
    for (const Op& op : c.program.ops) {
      const char* step = op.code == OpCode::kSelect ? "select"
                         : op.code == OpCode::kNetWait ? "net_wait"
                         : (op.code == OpCode::kLockThread || op.code == OpCode::kUnlockThread) ? "lock_thread/unlock_thread"
                                                                                              : nullptr;
      if (step != nullptr) {
        throw models::ScenarioError(key + ".program", std::string("step `") + step + "` of class `" + c.name +
                                                          "` has no Boost.Fiber counterpart and cannot run on real fibers; "
                                                          "remove it (select: rewrite with send/recv; net_wait: use syscall or sleep)");
      }
    }
  }
}

namespace {

std::int64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

timespec to_timespec(std::int64_t ns) { return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)}; }

// Sleeps until absolute CLOCK_MONOTONIC time `abs_ns` (retrying after signals).
void sleep_until_ns(std::int64_t abs_ns) {
  const timespec ts = to_timespec(abs_ns);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

// Compute steps are wall-clock busy-waits: the CPU is held, nothing yields (a fiber is never preempted).
void busy_wait(std::int64_t ns) {
  if (ns <= 0) return;
  const std::int64_t until = mono_ns() + ns;
  while (mono_ns() < until) {
  }
}

// Boost's pooled_fixedsize_stack (default 128 KiB stacks that stay mapped once used, as gmpsim-calibrate's
// spawn benchmarks use, so the fitted costs apply), shared by all threads behind a mutex: the pool is not
// thread-safe, and a fiber stolen by another thread frees its stack there.
class SharedPooledStack {
 public:
  boost::context::stack_context allocate() {
    std::lock_guard lk(state().mu);
    return state().pool.allocate();
  }
  void deallocate(boost::context::stack_context& sctx) noexcept {
    std::lock_guard lk(state().mu);
    state().pool.deallocate(sctx);
  }

 private:
  struct State {
    std::mutex mu;
    bf::pooled_fixedsize_stack pool;
  };
  friend void prefault_stacks(std::int64_t count);
  static State& state() {
    static State s;
    return s;
  }
};

long minor_faults() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

// --warm-stacks: takes `count` stacks from the pool, touches the top kWarmStackBytes of each (where a
// fiber's control block and frames live) and gives them back, so that the run's spawns reuse mapped stacks
// instead of faulting fresh pages in (kernel-and-calibration.md §1.4: 11-16 us per fault on the VMs).
constexpr std::size_t kWarmStackBytes = 16 * 1024;
void prefault_stacks(std::int64_t count) {
  SharedPooledStack alloc;
  std::vector<boost::context::stack_context> stacks;
  for (std::int64_t i = 0; i < count; ++i) {
    stacks.push_back(alloc.allocate());
    auto* top = static_cast<volatile char*>(stacks.back().sp);
    for (std::size_t off = 64; off <= std::min(kWarmStackBytes, stacks.back().size); off += 4096) top[-static_cast<std::ptrdiff_t>(off)] = 0;
  }
  for (auto& sctx : stacks) alloc.deallocate(sctx);
}

// work_stealing(1) cannot idle: its pick_next, finding its queue empty, draws victim thread ids until one
// differs from its own, which never happens with one thread (src/algo/work_stealing.cpp @1.74), so the
// dispatcher never again looks at its remote-ready list or its sleepers. With one worker thread the runner
// installs this copy of work_stealing's single-thread behaviour instead: the same queue type
// (context_spinlock_queue, FIFO, the dispatcher kept in it), no steal draw, and the same idle
// (suspend=false: return and spin in the dispatcher; suspend=true: wait on a condition variable until
// notify() or the earliest sleeper).
class WorkStealingOneThread final : public bf::algo::algorithm {
 public:
  explicit WorkStealingOneThread(bool suspend) : suspend_(suspend) {}
  void awakened(bf::context* ctx) noexcept override { rqueue_.push(ctx); }
  bf::context* pick_next() noexcept override { return rqueue_.pop(); }
  bool has_ready_fibers() const noexcept override { return !rqueue_.empty(); }
  void suspend_until(std::chrono::steady_clock::time_point const& tp) noexcept override {
    if (!suspend_) return;
    std::unique_lock lk(mtx_);
    if (tp == std::chrono::steady_clock::time_point::max()) cnd_.wait(lk, [this] { return flag_; });
    else cnd_.wait_until(lk, tp, [this] { return flag_; });
    flag_ = false;
  }
  void notify() noexcept override {
    if (!suspend_) return;
    std::unique_lock lk(mtx_);
    flag_ = true;
    lk.unlock();
    cnd_.notify_all();
  }

 private:
  bf::detail::context_spinlock_queue rqueue_{};
  std::mutex mtx_;
  std::condition_variable cnd_;
  bool flag_ = false;
  const bool suspend_;
};

// Synchronisation objects, global (by index in the Workload's lists) or made by a fiber and shared with
// the fibers it spawns (held by shared_ptr in each holder's locals).
struct WaitGroup {
  bf::mutex mu;
  bf::condition_variable cv;
  std::int64_t counter = 0;
};
struct Object {
  ObjKind kind;
  std::unique_ptr<bf::unbuffered_channel<std::uint64_t>> unbuffered;
  std::unique_ptr<bf::buffered_channel<std::uint64_t>> buffered;
  std::unique_ptr<bf::mutex> mutex;
  std::unique_ptr<WaitGroup> wg;

  Object(ObjKind k, std::int64_t capacity) : kind(k) {
    switch (k) {
      case ObjKind::kChannel:
        // Boost's buffered_channel needs a power of two >= 2 and holds one item less: the model's mapping.
        if (capacity <= 0) unbuffered = std::make_unique<bf::unbuffered_channel<std::uint64_t>>();
        else buffered = std::make_unique<bf::buffered_channel<std::uint64_t>>(models::fiber::boost_channel_capacity(capacity));
        break;
      case ObjKind::kMutex: mutex = std::make_unique<bf::mutex>(); break;
      case ObjKind::kWaitGroup: wg = std::make_unique<WaitGroup>(); break;
    }
  }
  bf::channel_op_status push(std::uint64_t v) { return unbuffered ? unbuffered->push(v) : buffered->push(v); }
  bf::channel_op_status pop(std::uint64_t& v) { return unbuffered ? unbuffered->pop(v) : buffered->pop(v); }
  void close() { unbuffered ? unbuffered->close() : buffered->close(); }
};
using ObjectPtr = std::shared_ptr<Object>;

// What one worker thread measured. Only that thread writes it (a fiber reaches it through the thread it
// runs on now, see current()); the control thread reads it at the end, when, after a panic or the time cap,
// fibers may still be running: hence the mutex around the samples.
struct ThreadState {
  unsigned index = 0;
  sim::Rng rng;
  std::mutex mu;
  std::vector<std::vector<std::int64_t>> class_latency, span_latency;  // guarded by mu
  std::vector<std::uint64_t> completed;                                 // guarded by mu
  std::unique_ptr<std::atomic<std::uint64_t>[]> created;
  std::atomic<std::uint64_t> fibers_run{0};
  std::atomic<std::int64_t> last_exit{0};  // ns since time zero
  std::atomic<std::uint64_t> acceptor_off_home{0};
};

thread_local ThreadState* tls_state = nullptr;

// The state of the thread this fiber runs on *now*. A fiber may be stolen between two steps, so the
// thread-local must be read afresh: out of line and with a volatile asm, so that the compiler neither
// caches the TLS address across a fiber switch nor treats the call as pure.
[[gnu::noinline]] ThreadState* current() {
  asm volatile("");
  return tls_state;
}

struct Arrival {
  std::uint16_t cls = 0;
  std::int64_t handover = 0;  // ns since time zero
};
using AcceptQueue = bf::buffered_channel<Arrival>;
constexpr std::size_t kAcceptQueueCapacity = 4096;  // the generator never waits in practice

// A fiber's own state: its class, latency origin and the local objects it holds (by frame slot).
struct FiberArgs {
  std::uint16_t cls = 0;
  std::int64_t start = 0;  // ns since time zero
  std::vector<ObjectPtr> locals;
};

class Run {
 public:
  Run(const models::Scenario& sc, std::uint64_t seed, std::int64_t warm_stacks)
      : sc_(sc), wl_(sc.workload), seed_(seed), warm_stacks_(warm_stacks), threads_(worker_threads(sc)), suspend_(idle_suspend(sc)),
        warmup_(sc.run.warmup), duration_(sc.run.duration) {
    for (const models::GlobalChannel& c : wl_.channels) chans_.push_back(std::make_shared<Object>(ObjKind::kChannel, c.capacity));
    for (std::size_t i = 0; i < wl_.mutexes.size(); ++i) mutexes_.push_back(std::make_shared<Object>(ObjKind::kMutex, 0));
    for (std::size_t i = 0; i < wl_.waitgroups.size(); ++i) wgs_.push_back(std::make_shared<Object>(ObjKind::kWaitGroup, 0));
    const sim::RngStreams streams(seed);
    for (unsigned t = 0; t < threads_; ++t) {
      auto s = std::make_unique<ThreadState>();
      s->index = t;
      s->rng = streams.stream("fiberrun.thread", t);
      s->class_latency.resize(wl_.classes.size());
      s->span_latency.resize(wl_.spans.size());
      s->completed.assign(wl_.classes.size(), 0);
      s->created = std::make_unique<std::atomic<std::uint64_t>[]>(wl_.classes.size());
      states_.push_back(std::move(s));
    }
    for (const models::GoroutineClass& c : wl_.classes) {
      using P = models::Arrivals::Process;
      if (c.arrivals.open_loop()) open_loop_ = true;
      for (const Op& op : c.program.ops) {
        if (op.code == OpCode::kAlloc || op.code == OpCode::kStack) notes_.push_back("class " + c.name + ": alloc and stack steps are no-ops here");
        if (op.code == OpCode::kSyscall && static_cast<models::SyscallKind>(op.slot) != models::SyscallKind::kCgo) has_syscall_ = true;
      }
    }
    if (threads_ == 1) {
      notes_.push_back("one worker thread: a copy of work_stealing's single-thread behaviour without its endless steal draw "
                       "(Boost 1.74's work_stealing(1) hangs once its queue is empty)");
    }
    if (has_syscall_) notes_.push_back("syscall steps block the worker thread in clock_nanosleep (timer slack 1 ns during the call)");
    if (open_loop_) {
      for (unsigned t = 0; t < threads_; ++t) accept_.push_back(std::make_unique<AcceptQueue>(kAcceptQueueCapacity));
      notes_.push_back("arrivals are handed round robin to the worker threads' main fibers (pinned, never stolen), which spawn "
                       "the handlers: one spawn and one remote wake per arrival beyond the model's");
    }
    std::sort(notes_.begin(), notes_.end());
    notes_.erase(std::unique(notes_.begin(), notes_.end()), notes_.end());
  }

  [[noreturn]] void run() {
    wall0_ = mono_ns();
    if (warm_stacks_ > 0) prefault_stacks(warm_stacks_);
    // Time zero is when the last of the T workers and the control thread reaches the start barrier.
    std::barrier<StartZero> start(static_cast<std::ptrdiff_t>(threads_) + 1, StartZero{this});
    start_ = &start;
    std::thread control([this] { control_main(); });
    control.detach();
    for (unsigned t = 1; t < threads_; ++t) std::thread([this, t] { worker_main(t); }).detach();
    worker_main(0);
    for (;;) pause();  // not reached: worker_main never returns
  }

 private:
  // ---- worker threads ----
  void worker_main(unsigned index) {
    if (threads_ == 1) bf::use_scheduling_algorithm<WorkStealingOneThread>(suspend_);
    else bf::use_scheduling_algorithm<bf::algo::work_stealing>(threads_, suspend_);
    tls_state = states_[index].get();
    // The initial population, round robin over the threads in scenario order: this thread's share.
    std::uint64_t k = 0;
    for (std::size_t c = 0; c < wl_.classes.size(); ++c) {
      const models::Arrivals& a = wl_.classes[c].arrivals;
      if (a.process != models::Arrivals::Process::kInitial) continue;
      for (std::int64_t i = 0; i < a.count; ++i, ++k) {
        if (k % threads_ != index) continue;
        live_.fetch_add(1, std::memory_order_relaxed);
        states_[index]->created[c].fetch_add(1, std::memory_order_relaxed);
        launch(FiberArgs{static_cast<std::uint16_t>(c), 0, std::vector<ObjectPtr>(wl_.classes[c].program.locals.size())});
      }
    }
    start_->arrive_and_wait();
    // With open-loop arrivals the thread's main fiber is its acceptor: a main context is pinned (Boost's
    // steal() skips it), so arrivals handed to this thread stay here, as the model's round robin has them.
    // A worker fiber as acceptor would be stolen by the other thread early on and then take every
    // arrival of both queues there.
    if (open_loop_) acceptor_main(index);
    // The main fiber waits until the process ends (the control thread prints and calls _exit); meanwhile
    // this thread's dispatcher runs the workload.
    bf::mutex mu;
    bf::condition_variable cv;
    std::unique_lock lk(mu);
    cv.wait(lk, [] { return false; });
  }

  void launch(FiberArgs args) {
    bf::fiber(bf::launch::post, std::allocator_arg, SharedPooledStack{},
              [this, args = std::move(args)]() mutable { fiber_main(args); })
        .detach();
  }

  std::int64_t now() const { return mono_ns() - t0_; }

  // An acceptor (a worker thread's main fiber): takes the arrivals the generator hands to this thread and
  // spawns each handler here.
  void acceptor_main(unsigned home) {
    Arrival a;
    while (accept_[home]->pop(a) == bf::channel_op_status::success) {
      ThreadState* ts = current();
      if (ts->index != home) ts->acceptor_off_home.fetch_add(1, std::memory_order_relaxed);  // never: it is pinned
      ts->created[a.cls].fetch_add(1, std::memory_order_relaxed);
      launch(FiberArgs{a.cls, a.handover, std::vector<ObjectPtr>(wl_.classes[a.cls].program.locals.size())});
    }
  }

  void fiber_main(FiberArgs& f) {
    current()->fibers_run.fetch_add(1, std::memory_order_relaxed);
    try {
      interpret(f);
    } catch (const ProgramPanic& e) {
      report_panic(e.what());
      return;
    } catch (const std::exception& e) {
      report_panic(std::string("unexpected exception in a fiber of class `") + wl_.classes[f.cls].name + "`: " + e.what());
      return;
    }
    const std::int64_t t = now();
    ThreadState* ts = current();
    if (f.start >= warmup_) {
      std::lock_guard lk(ts->mu);
      ts->class_latency[f.cls].push_back(t - f.start);
      ++ts->completed[f.cls];
    }
    if (t > ts->last_exit.load(std::memory_order_relaxed)) ts->last_exit.store(t, std::memory_order_relaxed);
    f.locals.clear();
    if (live_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard lk(end_mu_);
      end_cv_.notify_all();
    }
  }

  void report_panic(const std::string& what) {
    std::lock_guard lk(end_mu_);
    if (panic_.empty()) panic_ = what + ", at t=" + std::to_string(static_cast<double>(now()) / 1e9) + " s";
    panicked_.store(true, std::memory_order_relaxed);
    end_cv_.notify_all();
  }

  // The object an op names: a global one, or a local slot of the fiber (slot == 1), as advance() resolves it.
  Object& object(const FiberArgs& f, const models::Program& prog, const Op& op, ObjKind kind) {
    if (op.slot == 0) {
      const std::vector<ObjectPtr>& g = kind == ObjKind::kChannel ? chans_ : kind == ObjKind::kMutex ? mutexes_ : wgs_;
      return *g[op.a];
    }
    const ObjectPtr& p = f.locals[op.a];
    if (!p) {
      const models::LocalVar& lv = prog.locals[op.a];
      throw ProgramPanic(std::string("a fiber of class `") + wl_.classes[f.cls].name + "` used " + models::obj_kind_name(lv.kind) +
                         " `" + lv.name + "` before any make step created it (a nil " + models::obj_kind_name(lv.kind) + " in Go)");
    }
    return *p;
  }
  std::string object_name(const models::Program& prog, const Op& op, ObjKind kind) const {
    if (op.slot == 1) return prog.locals[op.a].name;
    return kind == ObjKind::kChannel ? wl_.channels[op.a].name : kind == ObjKind::kMutex ? wl_.mutexes[op.a] : wl_.waitgroups[op.a];
  }

  std::int64_t sample(const models::Program& prog, std::uint32_t dist) {
    const double d = prog.dists[dist].sample(current()->rng);
    return d > 0 ? static_cast<std::int64_t>(std::llround(d)) : 0;
  }

  // The interpreter: the same control flow as models/workload/goroutines.h advance(), each step done for real.
  void interpret(FiberArgs& f) {
    const models::Program& prog = wl_.classes[f.cls].program;
    std::vector<std::int64_t> words(prog.local_base(), 0);  // loop counters, then span start times
    std::uint32_t pc = 0;
    for (;;) {
      const Op& op = prog.ops[pc];
      switch (op.code) {
        case OpCode::kCompute:
        case OpCode::kTightLoop:
          ++pc;
          busy_wait(sample(prog, op.a));
          break;
        case OpCode::kSpawn:
          ++pc;
          for (std::int64_t i = 0; i < op.count; ++i) spawn(f, static_cast<std::uint16_t>(op.a));
          break;
        case OpCode::kLoopBegin:
          if (op.count == 0) {
            pc = op.a;
          } else {
            words[op.slot] = op.count;
            ++pc;
          }
          break;
        case OpCode::kLoopEnd: {
          std::int64_t& left = words[op.slot];
          if (left < 0 || --left > 0) pc = op.a; else ++pc;
          break;
        }
        case OpCode::kSpanBegin:
          words[prog.loop_slots + op.slot] = now();
          ++pc;
          break;
        case OpCode::kSpanEnd: {
          ++pc;
          const std::int64_t begin = words[prog.loop_slots + op.slot];
          if (begin >= warmup_) {
            const std::int64_t t = now();
            ThreadState* ts = current();
            std::lock_guard lk(ts->mu);
            ts->span_latency[op.a].push_back(t - begin);
          }
          break;
        }
        case OpCode::kExit:
          return;
        case OpCode::kGosched:
          ++pc;
          boost::this_fiber::yield();
          break;
        case OpCode::kWgAdd: {
          ++pc;
          WaitGroup& wg = *object(f, prog, op, ObjKind::kWaitGroup).wg;
          std::unique_lock lk(wg.mu);
          wg.counter += op.count;
          if (wg.counter < 0) {
            throw ProgramPanic("sync: negative WaitGroup counter (WaitGroup `" + object_name(prog, op, ObjKind::kWaitGroup) +
                               "`): more wg_done than wg_add");
          }
          if (wg.counter == 0) wg.cv.notify_all();
          break;
        }
        case OpCode::kWgWait: {
          ++pc;
          WaitGroup& wg = *object(f, prog, op, ObjKind::kWaitGroup).wg;
          std::unique_lock lk(wg.mu);
          wg.cv.wait(lk, [&] { return wg.counter == 0; });
          break;
        }
        case OpCode::kAlloc:
        case OpCode::kStack:
          ++pc;  // no-ops on real fibers (noted in the run's notes)
          break;
        case OpCode::kMake:
          ++pc;
          f.locals[op.a] = std::make_shared<Object>(static_cast<ObjKind>(op.slot), op.count);
          break;
        case OpCode::kSend:
          ++pc;
          if (object(f, prog, op, ObjKind::kChannel).push(1) != bf::channel_op_status::success) {
            throw ProgramPanic("send on closed channel `" + object_name(prog, op, ObjKind::kChannel) + "` (class `" +
                               wl_.classes[f.cls].name + "`; Boost returned channel_op_status::closed)");
          }
          break;
        case OpCode::kRecv: {
          ++pc;
          std::uint64_t v;
          (void)object(f, prog, op, ObjKind::kChannel).pop(v);  // closed and empty: Go's zero value, go on
          break;
        }
        case OpCode::kClose:
          ++pc;
          object(f, prog, op, ObjKind::kChannel).close();  // idempotent in Boost, as in the model
          break;
        case OpCode::kLock:
        case OpCode::kUnlock:
          ++pc;
          try {
            bf::mutex& m = *object(f, prog, op, ObjKind::kMutex).mutex;
            if (op.code == OpCode::kLock) m.lock(); else m.unlock();
          } catch (const bf::lock_error& e) {
            throw ProgramPanic(std::string(op.code == OpCode::kLock ? "lock" : "unlock") + " of mutex `" +
                               object_name(prog, op, ObjKind::kMutex) + "` by a fiber of class `" + wl_.classes[f.cls].name +
                               "` failed: " + e.what() + " (boost::fibers::lock_error)");
          }
          break;
        case OpCode::kSleep:
          ++pc;
          boost::this_fiber::sleep_for(std::chrono::nanoseconds(sample(prog, op.a)));
          break;
        case OpCode::kSyscall: {
          ++pc;
          const std::int64_t d = sample(prog, op.a);
          if (static_cast<models::SyscallKind>(op.slot) == models::SyscallKind::kCgo) {
            busy_wait(d);  // a C call runs on the CPU
          } else {
            // The call blocks the worker thread and every fiber queued behind it. Timer slack 1 ns so the
            // block lasts the sampled time (a real blocking call is woken by its event, not a timer).
            const std::int64_t until = mono_ns() + d;
            prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
            sleep_until_ns(until);
            prctl(PR_SET_TIMERSLACK, 0UL, 0UL, 0UL, 0UL);  // back to the thread's default
          }
          break;
        }
        case OpCode::kJump:
          pc = op.a;
          break;
        case OpCode::kSelect:
        case OpCode::kNetWait:
        case OpCode::kLockThread:
        case OpCode::kUnlockThread:
          throw ProgramPanic("unsupported step reached (check_runnable rejects it before the run)");
      }
    }
  }

  // `go f()`: the child gets the parent's objects per Workload::inherit, its latency counts from now, and
  // it goes to this thread's queue tail (launch::post).
  void spawn(const FiberArgs& parent, std::uint16_t cls) {
    const models::Program& cp = wl_.classes[cls].program;
    FiberArgs child{cls, now(), std::vector<ObjectPtr>(cp.locals.size())};
    if (!cp.locals.empty()) {
      const std::vector<std::int32_t>& map = wl_.inherit[parent.cls * wl_.classes.size() + cls];
      for (std::size_t i = 0; i < cp.locals.size(); ++i) {
        if (map[i] >= 0) child.locals[i] = parent.locals[static_cast<std::size_t>(map[i])];
      }
    }
    live_.fetch_add(1, std::memory_order_relaxed);
    current()->created[cls].fetch_add(1, std::memory_order_relaxed);
    launch(std::move(child));
  }

  // ---- the control thread ----
  void control_main() {
    start_->arrive_and_wait();
    std::int64_t cap = t0_ + duration_;  // closed workloads: run.duration caps the run
    bool generated = false;
    if (open_loop_) {
      generate();
      generated = true;
      cap = t0_ + duration_ + 10 * duration_;  // in-flight handlers get up to 10 x duration after the arrivals stop
    }
    std::unique_lock lk(end_mu_);
    const bool ended = end_cv_.wait_until(lk, std::chrono::steady_clock::time_point(std::chrono::nanoseconds(cap)), [&] {
      return !panic_.empty() || live_.load(std::memory_order_acquire) == 0;
    });
    const std::int64_t end = now();
    const long faults = minor_faults() - faults0_;
    std::string outcome = "completed";
    if (!panic_.empty()) {
      outcome = "panic: " + panic_;
    } else if (!ended) {
      outcome = "time_limit";
      notes_.push_back(std::string(generated ? "in-flight handlers did not finish within 10 x run.duration after the arrivals stopped"
                                             : "run.duration reached before the workload ended") +
                       "; " + std::to_string(live_.load()) + " workload fibers still live, only completed ones are reported");
    }
    if (faults > 1000 && warm_stacks_ == 0) {
      notes_.push_back(std::to_string(faults) + " minor page faults during the run, mostly fresh fiber stacks (~12 us each on the "
                       "project's VMs); --warm-stacks N pre-faults N stacks before time zero");
    }
    lk.unlock();
    for (auto& q : accept_) q->close();  // the acceptors end (the process ends next anyway)
    report(outcome, end, generated);
  }

  // Open-loop arrivals: the same arrival-time streams as the simulator for this seed (OpenLoopArrivals,
  // stream "arrivals.<class>"), slept to with an absolute timer, handed to the workers round robin.
  //
  // Where the workers leave no CPU free (threads >= CPUs), each wake of the generator (a timer, a
  // context switch and the futex wakes of the hand-over: ~40 us of CPU per arrival on the project's VMs)
  // takes CPU from a worker; so it then wakes at most once per kBatchWindow and hands over every
  // arrival due by then. The arrivals are later than drawn, by up to the window: the hand-over times
  // are reported (and `gmpsim validate` replays them in the simulator), as is the generator's CPU time.
  static constexpr std::int64_t kBatchWindow = 200'000;
  void generate() {
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    window_ = threads_ >= std::thread::hardware_concurrency() ? kBatchWindow : 0;
    const sim::RngStreams streams(seed_);
    struct Source {
      std::uint16_t cls;
      models::OpenLoopArrivals gen;
      std::int64_t next;
    };
    std::vector<Source> sources;
    using P = models::Arrivals::Process;
    for (std::size_t c = 0; c < wl_.classes.size(); ++c) {
      const models::Arrivals& a = wl_.classes[c].arrivals;
      if (!a.open_loop()) continue;
      Source s{static_cast<std::uint16_t>(c), models::OpenLoopArrivals(a, streams.stream("arrivals." + wl_.classes[c].name)), 0};
      s.next = s.gen.next(0);
      sources.push_back(std::move(s));
    }
    unsigned rr = 0;
    std::int64_t woke = -kBatchWindow;
    while (!panicked_.load(std::memory_order_relaxed)) {
      Source* s = nullptr;
      for (Source& x : sources) {
        if (x.next <= duration_ && (s == nullptr || x.next < s->next)) s = &x;
      }
      if (s == nullptr) break;  // every class's next arrival falls after run.duration
      if (s->next > now()) {
        sleep_until_ns(t0_ + std::max(s->next, woke + window_));
        woke = now();
      }
      const std::int64_t handover = now();
      lateness_.push_back(handover - s->next);
      handovers_[s->cls].push_back(handover);
      live_.fetch_add(1, std::memory_order_relaxed);
      accept_[rr]->push(Arrival{s->cls, handover});
      rr = (rr + 1) % threads_;
      s->next = s->gen.next(s->next);
    }
    timespec cpu{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
    generator_cpu_ns_ = static_cast<std::int64_t>(cpu.tv_sec) * 1'000'000'000 + cpu.tv_nsec;
  }

  // ---- the report ----
  // Keeps every sample up to kMaxSamples; beyond, a uniform subsample without replacement (a partial
  // Fisher-Yates shuffle with a stream of this seed), so the same samples give the same subsample.
  std::vector<std::int64_t> subsample(std::vector<std::int64_t> v, const std::string& what) {
    if (v.size() <= kMaxSamples) return v;
    sim::Rng rng = sim::RngStreams(seed_).stream("fiberrun.subsample." + what);
    for (std::size_t i = 0; i < kMaxSamples; ++i) std::swap(v[i], v[i + rng.below(v.size() - i)]);
    notes_.push_back(what + ": " + std::to_string(kMaxSamples) + " of " + std::to_string(v.size()) +
                     " latency samples kept (uniform subsample)");
    v.resize(kMaxSamples);
    return v;
  }

  static std::int64_t quantile(std::vector<std::int64_t>& v, double q) {
    if (v.empty()) return 0;
    const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
  }

  [[noreturn]] void report(const std::string& outcome, std::int64_t end, bool open) {
    Json run;
    std::int64_t last_exit = 0;
    for (auto& s : states_) last_exit = std::max(last_exit, s->last_exit.load());
    // Closed workloads end at their last fiber's exit (or the cap); open loops at run.duration or later.
    // A run cut short (time cap, panic) ends when the control thread saw it end.
    const std::int64_t makespan = outcome != "completed" ? end : open ? std::max(duration_, last_exit) : last_exit;
    run["seed"] = seed_;
    run["outcome"] = outcome;
    run["makespan_ns"] = makespan;
    run["window_ns"] = open ? duration_ - warmup_ : std::max<std::int64_t>(0, makespan - warmup_);
    Json classes = Json::object();
    for (std::size_t c = 0; c < wl_.classes.size(); ++c) {
      std::vector<std::int64_t> lat;
      std::uint64_t created = 0, completed = 0;
      for (auto& s : states_) {
        std::lock_guard lk(s->mu);
        lat.insert(lat.end(), s->class_latency[c].begin(), s->class_latency[c].end());
        completed += s->completed[c];
        created += s->created[c].load();
      }
      const std::size_t n = lat.size();
      classes[wl_.classes[c].name] = {{"created", created}, {"completed", completed}, {"latency_count", n},
                                      {"latency_ns", subsample(std::move(lat), "class " + wl_.classes[c].name)}};
    }
    run["classes"] = std::move(classes);
    Json spans = Json::object();
    for (std::size_t i = 0; i < wl_.spans.size(); ++i) {
      std::vector<std::int64_t> lat;
      for (auto& s : states_) {
        std::lock_guard lk(s->mu);
        lat.insert(lat.end(), s->span_latency[i].begin(), s->span_latency[i].end());
      }
      const std::size_t n = lat.size();
      spans[wl_.spans[i].name] = {{"latency_count", n}, {"latency_ns", subsample(std::move(lat), "span " + wl_.spans[i].name)}};
    }
    run["spans"] = std::move(spans);
    if (open) {
      std::vector<std::int64_t> late = lateness_;
      run["generator"] = {{"arrivals", late.size()},
                          {"lateness_ns", {{"p50", quantile(late, 0.5)}, {"p99", quantile(late, 0.99)},
                                           {"max", late.empty() ? 0 : *std::max_element(late.begin(), late.end())}}}};
      // The actual hand-over times per class, so that a simulation can replay the arrivals this run really
      // had (arrivals: {process: trace}); `gmpsim validate` does, since the generator is late in bursts
      // when it waits for a CPU.
      Json times = Json::object();
      for (const auto& [cls, v] : handovers_) times[wl_.classes[cls].name] = v;
      run["generator"]["handover_ns"] = std::move(times);
      run["generator"]["batch_window_ns"] = window_;
      run["generator"]["cpu_ns"] = generator_cpu_ns_;
    } else {
      run["generator"] = {{"arrivals", 0}, {"lateness_ns", {{"p50", 0}, {"p99", 0}, {"max", 0}}}};
    }
    Json per_thread = Json::array();
    std::uint64_t off = 0;
    for (auto& s : states_) {
      per_thread.push_back(s->fibers_run.load());
      off += s->acceptor_off_home.load();
    }
    // Minor faults from time zero to the end: mostly first touches of fresh fiber stacks (--warm-stacks).
    run["counters"] = {{"fibers_run_per_thread", per_thread}, {"live_at_end", live_.load()},
                       {"minor_faults", minor_faults() - faults0_}, {"warm_stacks", warm_stacks_}};
    if (open) run["counters"]["acceptor_runs_off_home"] = off;  // arrivals accepted by a stolen acceptor
    run["notes"] = notes_;
    run["wall_ns"] = mono_ns() - wall0_;
    const std::string text = run.dump() + "\n";
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    _exit(0);  // no teardown: fibers may still be parked, and Boost's pool teardown races (#260)
  }

  const models::Scenario& sc_;
  const models::Workload& wl_;
  const std::uint64_t seed_;
  const std::int64_t warm_stacks_;
  long faults0_ = 0;  // minor page faults of the process at time zero
  const unsigned threads_;
  const bool suspend_;
  const std::int64_t warmup_, duration_;
  bool open_loop_ = false, has_syscall_ = false;
  std::int64_t wall0_ = 0;
  std::int64_t t0_ = 0;  // CLOCK_MONOTONIC at time zero; written by the barrier's completion, read after it
  struct StartZero {
    Run* run;
    void operator()() noexcept {
      run->faults0_ = minor_faults();
      run->t0_ = mono_ns();
    }
  };
  std::barrier<StartZero>* start_ = nullptr;

  std::vector<ObjectPtr> chans_, mutexes_, wgs_;
  std::vector<std::unique_ptr<ThreadState>> states_;
  std::vector<std::unique_ptr<AcceptQueue>> accept_;
  std::vector<std::int64_t> lateness_;  // the control thread's
  std::int64_t window_ = 0, generator_cpu_ns_ = 0;
  std::map<std::uint16_t, std::vector<std::int64_t>> handovers_;  // per class: the actual arrival times
  std::vector<std::string> notes_;

  std::atomic<std::int64_t> live_{0};  // workload fibers created and not yet ended
  std::atomic<bool> panicked_{false};
  std::mutex end_mu_;
  std::condition_variable end_cv_;
  std::string panic_;      // guarded by end_mu_
};

}  // namespace

void run_child(const models::Scenario& sc, std::uint64_t seed, std::int64_t warm_stacks) {
  check_runnable(sc);
  static Run run(sc, seed, warm_stacks);  // lives until _exit
  run.run();
}

}  // namespace gmpsim::fiberrun
