// A fiber's context (boostorg/fiber boost-1.74.0 src/context.cpp): context::resume (the switch into a
// fiber and what its first run costs), the fiber running its program until it computes, blocks, yields or
// ends, and context::schedule, which readies a waiting fiber on the scheduler it is attached to.
#include "models/fiber/fiberrun.h"
#include "models/run/trace_events.h"

namespace gmpsim::models::fiber {

// Thread t switches to fiber g (dequeued and counted runnable); `cost` is paid first.
void FiberRun::resume(std::uint32_t t, std::uint32_t g, sim::Time cost) {
  Worker& w = workers_[t];
  const sim::Time now = core_.engine.now();
  --runnable_;
  core_.stats.runnable_changed(now, runnable_);
  ++running_;
  w.fiber = g;
  ++w.fibers_run;
  ++switches_;
  Goroutine& gr = core_.gt[g];
  core_.stats.waited(gr.cls, gr.ready_at, now);
  if (numa_) numa_resume(t, g);
  if ((gr.flags & kStarted) == 0) {
    gr.flags |= kStarted;
    cost += prm_.c_storm;  // first run: cache and TLB misses of a large storm
    if (gr.flags & kFreshStack) cost += prm_.fresh_stack_faults;  // and first touches of new stack memory
  }
  core_.engine.tracer().emit({now, kTraceGoStart, g, gr.cls, t});
  rq_changed(t);
  w.next = Next::kRunFiber;
  ks_.run_for(t, cost, kSched);
}

// Runs the fiber of thread t until it computes, blocks, yields or ends.
void FiberRun::run_fiber(std::uint32_t t) {
  Worker& w = workers_[t];
  cur_ = t;
  pending_ = 0;
  const std::uint32_t g = w.fiber;
  const std::uint16_t cls = core_.gt[g].cls;
  sim::Time compute = 0;
  const StepKind k = advance(core_.wl, core_.gt, g, core_.engine.now(), core_.compute_rng[cls], compute, *this);
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
    case StepKind::kTightCompute: {
      const MemorySpec* spec = numa_ && k == StepKind::kCompute ? core_.wl.classes[cls].program.compute_memory(core_.gt[g].pc) : nullptr;
      if (pending_ > 0) {
        w.compute = compute;
        w.spec = spec;
        w.next = Next::kCompute;
        ks_.run_for(t, pending_, kSched);
      } else {
        start_compute(t, compute, spec);
      }
      return;
    }
    case StepKind::kExit:  // context::terminate
      w.fiber = kNone32;
      --running_;
      exit_fiber(g);
      suspend(t, pending_ + prm_.c_exit);
      return;
    case StepKind::kPark:  // context::suspend
      w.fiber = kNone32;
      --running_;
      ++parks_;
      suspend(t, pending_ + prm_.c_park);
      return;
    case StepKind::kGosched:
    case StepKind::kYield:  // context::yield
      w.fiber = kNone32;
      --running_;
      ++yields_;
      yield(t, g);
      return;
    case StepKind::kSpawn:
      spawn_begin(t);
      return;
    case StepKind::kRunaway:
      core_.runaway = g;
      core_.engine.stop();
      return;
  }
}

// The fiber's compute burst; a memory-bound one costs what its memory costs from this worker's node now.
void FiberRun::start_compute(std::uint32_t t, sim::Time local, const MemorySpec* spec) {
  workers_[t].next = Next::kRunFiber;
  ks_.run_for(t, spec != nullptr ? numa_compute(t, *spec, local) : local, kWork);
}

// context::schedule(ctx) from the running fiber on cur_: local awakened() when ctx is attached to the same
// scheduler (where it last ran), else schedule_from_remote on that scheduler.
void FiberRun::schedule(std::uint32_t g) {
  const std::uint32_t o = owner_[g];
  core_.gt[g].ready_at = core_.engine.now();
  ++runnable_;
  core_.stats.runnable_changed(core_.engine.now(), runnable_);
  core_.engine.tracer().emit({core_.engine.now(), kTraceGoUnpark, g, core_.gt[g].cls, o});
  if (o == cur_) {
    pending_ += prm_.c_ready;
    awakened(o, g);
  } else {
    pending_ += prm_.c_remote;
    schedule_from_remote(o, g, cur_);
  }
}

// The oldest waiter of a wait queue (context::wait_queue_t of a channel or mutex) is scheduled and retries
// its operation (the channels' and mutex's for(;;) loops).
void FiberRun::wake_first(WaitQueue& q) {
  if (q.empty()) return;
  const std::uint32_t s = core_.sync.sudogs.pop_front(q);
  const std::uint32_t g = core_.sync.sudogs[s].g;
  core_.sync.sudogs.release(s);
  --core_.sync.parked;
  schedule(g);
}

}  // namespace gmpsim::models::fiber
