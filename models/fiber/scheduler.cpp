// A worker thread and its scheduler (boostorg/fiber boost-1.74.0 src/scheduler.cpp): the dispatcher's
// loop scheduler::dispatch (remote_ready2ready_, sleep2ready_, pick_next, resume or suspend_until),
// suspend and yield of the running fiber, schedule_from_remote, and the sleep queue (wait_until).
#include "models/fiber/fiberrun.h"

namespace gmpsim::models::fiber {

// The kernel thread layer: thread tid is on a CPU and has no burst.
void FiberRun::on_burst_done(std::uint32_t tid) {
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
  if (numa_) numa_bw_.end(numa_streams_[tid]);  // a memory-bound compute's traffic ends with its burst
  switch (w.next) {
    case Next::kDispatch: dispatch_pass(tid); break;
    case Next::kRunFiber: run_fiber(tid); break;
    case Next::kCompute: start_compute(tid, w.compute, w.spec); break;
    case Next::kSyscall:
      // The system call blocks the OS thread, and with it every fiber queued behind the running one.
      w.next = Next::kRunFiber;
      ++syscalls_;
      ks_.sleep(tid, w.compute);
      break;
    case Next::kIdle: suspend_until(tid); break;
    case Next::kSpawn: spawn_done(tid); break;
    case Next::kWoken:
      w.idle = Idle::kNo;
      w.notify_flag = false;  // suspend_until: flag_ = false after the wait
      dispatch_pass(tid);
      break;
  }
}

// scheduler::dispatch, one pass: remote_ready2ready_, sleep2ready_, pick_next; resume the fiber found
// (the dispatcher goes to the tail of the queue), or suspend_until.
void FiberRun::dispatch_pass(std::uint32_t t) {
  Worker& w = workers_[t];
  w.idle = Idle::kNo;
  cur_ = t;
  remote_ready2ready(w);
  sim::Time cost = sleep2ready(w);
  // pick_next: a fiber from the queue (the dispatcher itself is running, so it is not in the queue), else
  // a stolen one.
  const std::uint32_t g = pick_next(t, cost);
  if (g != kNone32) {
    w.rq.push_back(kDispatcher);  // context::resume(dispatcher): "so that ready-queue never becomes empty"
    resume(t, g, cost + prm_.c_switch);
    return;
  }
  if (cost > 0) {
    w.next = Next::kIdle;
    ks_.run_for(t, cost, kSched);
  } else {
    suspend_until(t);
  }
}

// remote_ready2ready_: the fibers other threads readied for this one join its queue (already counted
// runnable).
void FiberRun::remote_ready2ready(Worker& w) {
  while (!w.remote.empty()) w.rq.push_back(w.remote.pop_front());
}

// sleep2ready_: due sleepers join the queue; returns their cost.
sim::Time FiberRun::sleep2ready(Worker& w) {
  const sim::Time now = core_.engine.now();
  sim::Time cost = 0;
  bool woke = false;
  while (!w.sleepq.empty() && w.sleepq.top().at <= now) {
    const std::uint32_t g = w.sleepq.top().g;
    w.sleepq.pop();
    --sleeping_;
    core_.gt[g].ready_at = now;
    w.rq.push_back(g);
    ++runnable_;
    cost += prm_.c_ready;
    woke = true;
  }
  if (woke) core_.stats.runnable_changed(now, runnable_);
  return cost;
}

// scheduler::suspend (a fiber blocked) and terminate (it ended): pick_next()->resume(). pick_next pops the
// queue head, never empty while a fiber runs (the dispatcher is in it). Switching into the dispatcher is
// free: its switch to the next fiber is the one charged (so a yield between fibers costs one
// fiber.cost.switch, as calibrated).
void FiberRun::suspend(std::uint32_t t, sim::Time cost) {
  GMPSIM_CHECK(has_ready_fibers(t), "boost-fiber-ws: a thread's ready queue lost its dispatcher");
  const std::uint32_t head = pick_next(t, cost);
  if (head == kDispatcher) {
    rq_changed(t);  // the fiber behind the dispatcher is stealable now
    workers_[t].next = Next::kDispatch;
    ks_.run_for(t, cost, kSched);
    return;
  }
  resume(t, head, cost + prm_.c_switch);
}

// scheduler::yield (this_fiber::yield): pick_next()->resume(ctx); ctx goes to the tail after the switch.
void FiberRun::yield(std::uint32_t t, std::uint32_t g) {
  Worker& w = workers_[t];
  GMPSIM_CHECK(has_ready_fibers(t), "boost-fiber-ws: a thread's ready queue lost its dispatcher");
  const std::uint32_t head = pick_next(t, pending_);
  w.rq.push_back(g);
  core_.gt[g].ready_at = core_.engine.now();
  ++runnable_;
  if (head == kDispatcher) {
    core_.stats.runnable_changed(core_.engine.now(), runnable_);
    rq_changed(t);
    w.next = Next::kDispatch;
    ks_.run_for(t, pending_, kSched);
  } else {
    resume(t, head, pending_ + prm_.c_switch);
  }
}

// scheduler::schedule_from_remote: the remote ready list, then algo->notify() on that scheduler only. A
// waking worker pays the IPI of a wake onto another, idle CPU with the rest of its fiber's scheduling CPU.
void FiberRun::schedule_from_remote(std::uint32_t v, std::uint32_t g, std::uint32_t waker) {
  workers_[v].remote.push_back(g);
  ++remote_wakes_;
  const sim::Time ipi = notify(v, waker);
  if (waker != kNone32) pending_ += ipi;
}

// this_fiber::sleep_for -> scheduler::wait_until: the fiber waits in its thread's sleep queue until the
// dispatcher sees it due (sleep2ready_).
void FiberRun::on_sleep(std::uint32_t g, sim::Time d) {
  workers_[cur_].sleepq.push({core_.engine.now() + d, sleep_seq_++, g});
  ++sleeping_;
}

}  // namespace gmpsim::models::fiber
