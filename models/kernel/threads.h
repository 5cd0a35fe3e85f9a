// ThreadScheduler: OS threads sharing the machine's CPUs. This is the interface every runtime model runs
// its threads through (the Go model's Ms and sysmon, Boost.Fiber's worker threads); a finer kernel model
// would fit behind the same calls.
//
// A thread is Blocked (futex wait, sleep), Waking (a wake-up is on its way: futex wake -> running takes
// `wake_latency`), Runnable (waiting for a CPU, in FIFO order) or Running (on a CPU). A running thread
// does *bursts* of CPU work that the model gives it with run_for(); the burst's remaining work only
// shrinks while the thread holds a CPU, so a descheduled thread keeps what is left and resumes later.
// When a burst completes, the owner's on_burst_done(tid) decides what the thread does next: another
// burst, or block().
//
// Time slicing is round robin: when threads wait for a CPU, a running thread is preempted once it has
// run for `slice`, checked at the scheduler tick (HZ), as the fair class does when the slice runs out
// at a tick (kernel/sched/fair.c update_curr -> update_deadline, resched_curr; kernel/sched/features.h
// has HRTICK off, so nothing preempts between ticks). Not modelled: EEVDF's virtual deadlines and lag,
// nice weights, wake-up preemption, cgroup CPU bandwidth.
//
// The owner is a template parameter (no virtual call per burst). It must provide:
//   void on_burst_done(std::uint32_t tid);   // the thread is running and has no burst: give it one or block
// Event kinds kind_base .. kind_base+kEventKinds-1 belong to this class; the owner's dispatcher forwards them to handle().
#pragma once
#include <cstdint>
#include <vector>

#include "sim/check.h"
#include "sim/engine.h"
#include "sim/ring.h"

namespace gmpsim::models::kernel {

struct ThreadParams {
  sim::Time wake_latency = 2600;  // futex wake -> thread running (kernel.futex_wake)
  sim::Time slice = 1'400'000;    // base slice for 2 CPUs: 0.70 ms x (1 + ilog2(min(ncpu, 8))) (scaled_base_slice)
  sim::Time tick = 4'000'000;     // 1/HZ (kernel.hz = 250)
  sim::Time idle_exit = 0;        // extra wake latency when the woken thread lands on a halted CPU (kernel.idle_exit)
  sim::Time idle_poll = 0;        // an idle CPU polls this long before it halts (kernel.idle_poll)
};

// Effective base slice of the kernel's fair class for `ncpu` CPUs: kernel/sched/fair.c's
// sysctl_sched_base_slice (0.70 ms) times get_update_sysctl_factor's 1 + ilog2(min(ncpu, 8)) under the
// default SCHED_TUNABLESCALING_LOG.
inline sim::Time scaled_base_slice(sim::Time base, std::size_t ncpu) {
  std::size_t n = ncpu < 8 ? ncpu : 8, log2 = 0;
  while (n > 1) n >>= 1, ++log2;
  return base * static_cast<sim::Time>(1 + log2);
}

// What a burst's CPU time is counted as, for utilization reports.
using BurstKind = std::uint8_t;

template <class Owner>
class ThreadScheduler {
 public:
  enum class State : std::uint8_t { kBlocked, kWaking, kRunnable, kRunning };
  enum EventKind : std::uint32_t { kBurstDone = 0, kWakeDone = 1, kSliceEnd = 2, kSleepDone = 3 };
  static constexpr std::uint32_t kEventKinds = 4;
  static constexpr std::uint32_t kNone = 0xffffffffu;
  static constexpr std::size_t kMaxKinds = 8;

  ThreadScheduler(sim::Engine& engine, Owner& owner, std::size_t ncpu, const ThreadParams& params, std::uint32_t kind_base)
      : engine_(engine), owner_(owner), params_(params), kind_base_(kind_base), cpus_(ncpu), busy_cpu_(ncpu * kMaxKinds, 0) {
    GMPSIM_REQUIRE(ncpu > 0, "ThreadScheduler: no CPUs");
    GMPSIM_REQUIRE(params.tick > 0 && params.slice > 0, "ThreadScheduler: slice and tick must be positive");
    for (std::size_t c = ncpu; c-- > 0;) idle_.push_back(static_cast<std::uint32_t>(c));
  }

  // A new thread, Blocked until wake()d.
  std::uint32_t create_thread() {
    threads_.push_back(Thread{});
    return static_cast<std::uint32_t>(threads_.size() - 1);
  }

  // futex wake: a Blocked thread becomes Runnable after wake_latency, plus idle_exit when it lands on an
  // idle CPU that has halted (the IPI that takes a halted CPU out of idle; slow inside VMs). An idle CPU
  // polls for idle_poll first (a guest's cpuidle-haltpoll), and a wake landing then is a fast one. The
  // woken thread lands on the CPU that went idle last. Waking a thread that is not blocked
  // is a no-op (the runtime's notewakeup on an already-woken note).
  // `extra` adds to the latency, e.g. the cost of creating the thread.
  void wake(std::uint32_t tid, sim::Time extra = 0) {
    Thread& t = threads_[tid];
    if (t.state != State::kBlocked) return;
    t.state = State::kWaking;
    const bool halted = !idle_.empty() && engine_.now() - cpus_[idle_.back()].idle_since >= params_.idle_poll;
    const sim::Time idle = halted ? params_.idle_exit : 0;
    engine_.schedule_in(params_.wake_latency + idle + extra, sim::kBandDefault, kind_base_ + kWakeDone, tid);
  }

  // A thread that is already running when the simulation starts (a process's main thread): runnable now.
  void start_now(std::uint32_t tid) {
    Thread& t = threads_[tid];
    GMPSIM_CHECK(t.state == State::kBlocked, "ThreadScheduler::start_now: thread already started");
    t.state = State::kWaking;
    make_runnable(tid);
  }

  // nanosleep: the running thread blocks and is woken after `d` (the caller adds timer slack), then the
  // usual wake latency.
  void sleep(std::uint32_t tid, sim::Time d) {
    block(tid);
    threads_[tid].sleep_timer = engine_.schedule_in(d, sim::kBandDefault, kind_base_ + kSleepDone, tid);
  }

  // Ends a sleep early (a signal or an fd becoming ready interrupts epoll_wait/nanosleep): the thread is
  // woken now, with the usual wake latency. No-op when the thread is not sleeping.
  void interrupt_sleep(std::uint32_t tid) {
    Thread& t = threads_[tid];
    if (!t.sleep_timer.valid()) return;
    engine_.cancel(t.sleep_timer);
    t.sleep_timer = {};
    wake(tid);
  }

  // The running thread blocks (futex wait, sleep): it leaves its CPU now. Any unfinished burst is dropped.
  void block(std::uint32_t tid) {
    Thread& t = threads_[tid];
    GMPSIM_CHECK(t.state == State::kRunning, "ThreadScheduler::block: thread is not running");
    cancel_burst(t);
    t.remaining = 0;
    t.state = State::kBlocked;
    release_cpu(t.cpu);
    t.cpu = kNone;
  }

  // Gives the thread a burst of `work` ns of CPU. The thread must have no burst in progress. If it is
  // running, the burst starts now; otherwise it starts when the thread next gets a CPU.
  void run_for(std::uint32_t tid, sim::Time work, BurstKind kind = 0) {
    Thread& t = threads_[tid];
    GMPSIM_CHECK(t.remaining == 0 && !t.burst.valid(), "ThreadScheduler::run_for: a burst is already in progress");
    GMPSIM_CHECK(kind < kMaxKinds, "ThreadScheduler::run_for: burst kind out of range");
    t.remaining = work;
    t.kind = kind;
    if (t.state == State::kRunning) start_burst(tid);
  }

  // Stops the thread's burst now (e.g. an asynchronous preemption landing) and returns the work left.
  // The thread stays on its CPU without a burst; the owner gives it the next one.
  sim::Time interrupt(std::uint32_t tid) {
    Thread& t = threads_[tid];
    if (t.state == State::kRunning) charge(t);
    cancel_burst(t);
    const sim::Time left = t.remaining;
    t.remaining = 0;
    return left;
  }

  void handle(const sim::Event& ev) {
    switch (ev.kind - kind_base_) {
      case kBurstDone: {
        Thread& t = threads_[ev.arg];
        t.burst = {};
        charge(t);
        GMPSIM_CHECK(t.remaining == 0, "ThreadScheduler: burst done with work left");
        owner_.on_burst_done(ev.arg);
        break;
      }
      case kWakeDone: make_runnable(ev.arg); break;
      case kSliceEnd: slice_end(ev.arg); break;
      case kSleepDone:
        threads_[ev.arg].sleep_timer = {};
        wake(ev.arg);
        break;
    }
  }

  State state(std::uint32_t tid) const { return threads_[tid].state; }
  bool sleeping(std::uint32_t tid) const { return threads_[tid].sleep_timer.valid(); }
  std::uint32_t cpu_of(std::uint32_t tid) const { return threads_[tid].cpu; }
  std::uint32_t running_on(std::uint32_t cpu) const { return cpus_[cpu].thread; }
  std::size_t threads() const { return threads_.size(); }
  std::size_t runnable_waiting() const { return runq_.size(); }
  std::uint64_t preemptions() const { return preemptions_; }
  // CPU time (ns) charged to bursts of `kind` so far, on all CPUs.
  sim::Time busy(BurstKind kind) const { return busy_[kind]; }
  sim::Time busy_total() const {
    sim::Time s = 0;
    for (sim::Time b : busy_) s += b;
    return s;
  }
  // CPU time of `kind` on CPU c up to `now` (>= the engine's time), counting the burst in progress.
  sim::Time busy_on(std::uint32_t c, BurstKind kind, sim::Time now) const {
    sim::Time b = busy_cpu_[c * kMaxKinds + kind];
    const std::uint32_t tid = cpus_[c].thread;
    if (tid != kNone && threads_[tid].burst.valid() && threads_[tid].kind == kind) b += now - threads_[tid].burst_since;
    return b;
  }
  std::size_t cpus() const { return cpus_.size(); }

 private:
  struct Thread {
    State state = State::kBlocked;
    BurstKind kind = 0;
    std::uint32_t cpu = kNone;
    sim::Time remaining = 0;     // work left in the current burst
    sim::Time burst_since = 0;   // when the running burst last started progressing
    sim::EventId burst;          // completion event while running
    sim::EventId sleep_timer;    // pending end of a sleep
  };
  struct Cpu {
    std::uint32_t thread = kNone;
    sim::Time slice_start = 0;
    sim::Time idle_since = 0;    // when it last went idle (valid while on idle_)
    bool slice_armed = false;
  };

  void start_burst(std::uint32_t tid) {
    Thread& t = threads_[tid];
    t.burst_since = engine_.now();
    t.burst = engine_.schedule_in(t.remaining, sim::kBandDefault, kind_base_ + kBurstDone, tid);
  }

  // Charges the CPU time since burst_since to the burst's kind and shrinks `remaining`.
  void charge(Thread& t) {
    const sim::Time ran = engine_.now() - t.burst_since;
    if (ran <= 0) return;
    busy_[t.kind] += ran;
    busy_cpu_[t.cpu * kMaxKinds + t.kind] += ran;
    t.remaining -= ran;
    t.burst_since = engine_.now();
  }

  void cancel_burst(Thread& t) {
    if (t.burst.valid()) {
      charge(t);
      engine_.cancel(t.burst);
      t.burst = {};
    }
  }

  void make_runnable(std::uint32_t tid) {
    Thread& t = threads_[tid];
    if (!idle_.empty()) {
      const std::uint32_t c = idle_.back();
      idle_.pop_back();
      dispatch(c, tid);
      return;
    }
    t.state = State::kRunnable;
    runq_.push_back(tid);
    arm_slices();
  }

  // Puts thread tid on CPU c. A thread without a burst asks its owner for one at once.
  void dispatch(std::uint32_t c, std::uint32_t tid) {
    Thread& t = threads_[tid];
    t.state = State::kRunning;
    t.cpu = c;
    cpus_[c].thread = tid;
    cpus_[c].slice_start = engine_.now();
    if (t.remaining > 0) {
      start_burst(tid);
    } else {
      owner_.on_burst_done(tid);
    }
    if (!runq_.empty()) arm_slices();
  }

  void release_cpu(std::uint32_t c) {
    cpus_[c].thread = kNone;
    if (runq_.empty()) {
      cpus_[c].idle_since = engine_.now();
      idle_.push_back(c);
      return;
    }
    dispatch(c, runq_.pop_front());
  }

  // Slices only matter while threads wait: arm an expiry, at the first tick after the slice, on each
  // CPU that has none.
  void arm_slices() {
    for (std::uint32_t c = 0; c < cpus_.size(); ++c) {
      Cpu& cpu = cpus_[c];
      if (cpu.slice_armed || cpu.thread == kNone) continue;
      const sim::Time due = cpu.slice_start + params_.slice;
      const sim::Time at = std::max(engine_.now(), (due + params_.tick - 1) / params_.tick * params_.tick);
      engine_.schedule_at(at, sim::kBandLate, kind_base_ + kSliceEnd, c);
      cpu.slice_armed = true;
    }
  }

  void slice_end(std::uint32_t c) {
    Cpu& cpu = cpus_[c];
    cpu.slice_armed = false;
    if (runq_.empty() || cpu.thread == kNone) return;
    if (engine_.now() < cpu.slice_start + params_.slice) {  // the CPU changed hands since arming
      arm_slices();
      return;
    }
    const std::uint32_t tid = cpu.thread;
    Thread& t = threads_[tid];
    cancel_burst(t);  // keeps the remaining work
    t.state = State::kRunnable;
    t.cpu = kNone;
    runq_.push_back(tid);
    ++preemptions_;
    cpus_[c].thread = kNone;
    dispatch(c, runq_.pop_front());
  }

  sim::Engine& engine_;
  Owner& owner_;
  ThreadParams params_;
  std::uint32_t kind_base_;
  std::vector<Thread> threads_;
  std::vector<Cpu> cpus_;
  std::vector<std::uint32_t> idle_;     // idle CPUs, lowest id on top
  sim::Ring<std::uint32_t> runq_;       // runnable threads waiting for a CPU
  sim::Time busy_[kMaxKinds] = {};
  std::vector<sim::Time> busy_cpu_;     // [cpu * kMaxKinds + kind]
  std::uint64_t preemptions_ = 0;
};

}  // namespace gmpsim::models::kernel
