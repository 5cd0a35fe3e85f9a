// The runner's process (run.h has its layout): the scenario checks, the worker threads and the start
// barrier, the life of a workload fiber, and the control thread's wait for the end of the run.
#include "validation/fiberrun/runner.h"

#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "validation/fiberrun/run.h"
#include "validation/fiberrun/work_stealing_one_thread.h"

namespace gmpsim::fiberrun {

unsigned worker_threads(const models::Scenario& sc) {
  // 0 means one worker per host CPU, as the model's FiberParams reads it.
  const auto t = static_cast<unsigned>(sc.integer("fiber.threads"));
  return t > 0 ? t : std::max(1u, std::thread::hardware_concurrency());
}

bool idle_suspend(const models::Scenario& sc) {
  return sc.text("fiber.idle") == "suspend";
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
thread_local ThreadState* tls_state = nullptr;
}  // namespace

// The state of the thread this fiber runs on *now*. A fiber may be stolen between two steps, so the
// thread-local must be read afresh: out of line and with a volatile asm, so that the compiler neither
// caches the TLS address across a fiber switch nor treats the call as pure.
[[gnu::noinline]] ThreadState* current() {
  asm volatile("");
  return tls_state;
}

Run::Run(const models::Scenario& sc, std::uint64_t seed, std::int64_t warm_stacks)
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

void Run::run() {
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

// ---- worker threads ----
void Run::worker_main(unsigned index) {
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

void Run::fiber_main(FiberArgs& f) {
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

void Run::report_panic(const std::string& what) {
  std::lock_guard lk(end_mu_);
  if (panic_.empty()) panic_ = what + ", at t=" + std::to_string(static_cast<double>(now()) / 1e9) + " s";
  panicked_.store(true, std::memory_order_relaxed);
  end_cv_.notify_all();
}

// ---- the control thread ----
void Run::control_main() {
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

void run_child(const models::Scenario& sc, std::uint64_t seed, std::int64_t warm_stacks) {
  check_runnable(sc);
  static Run run(sc, seed, warm_stacks);  // lives until _exit
  run.run();
}

}  // namespace gmpsim::fiberrun
