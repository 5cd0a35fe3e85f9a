// algo::work_stealing (boostorg/fiber boost-1.74.0 src/algo/work_stealing.cpp, its queue
// boost/fiber/detail/context_spinlock_queue.hpp): one ready queue per thread, awakened, pick_next with
// its steal loop over random victims, steal, suspend_until and notify; and how the model runs idle
// threads that spin (suspend=false) rather than suspend.
#include "models/fiber/fiberrun.h"

namespace gmpsim::models::fiber {

// work_stealing::awakened: a fiber readied on this thread goes to the tail of its queue.
void FiberRun::awakened(std::uint32_t t, std::uint32_t g) {
  workers_[t].rq.push_back(g);
  rq_changed(t);
}

// work_stealing::pick_next: the queue's head; on an empty queue, steal() from random other threads,
// `count` draws in all (own id included), until one returns a fiber or count reaches the thread count. With
// one thread there is no stealing (Boost's draw loop would never end there). Each steal attempt adds to
// `cost`.
std::uint32_t FiberRun::pick_next(std::uint32_t t, sim::Time& cost) {
  Worker& w = workers_[t];
  if (!w.rq.empty()) return w.rq.pop_front();
  if (prm_.algorithm == Algorithm::kNumaWorkStealing) return pick_next_numa(t, cost);
  if (prm_.threads <= 1) return kNone32;
  const std::uint32_t n = prm_.threads;
  std::uint32_t count = 0;
  do {
    std::uint32_t id;
    do {
      ++count;
      id = static_cast<std::uint32_t>(steal_rng_.next_u64() % n);
    } while (id == t);
    const std::uint32_t g = try_steal(t, id, cost);
    if (g != kNone32) return g;
  } while (count < n);
  return kNone32;
}

// numa::algo::work_stealing::pick_next (boost-1.74.0 src/numa/algo/work_stealing.cpp), the queue being
// empty: random draws from local_cpus_ (its own CPU counts as a draw and is skipped) until a steal succeeds or
// the draws reach the node's CPU count; then, if that failed, random draws from remote_cpus_ (no order by
// distance) up to their count. Upstream loops for ever when its node has no other CPU; the model skips the
// local draws then, as it skips stealing with one thread.
std::uint32_t FiberRun::pick_next_numa(std::uint32_t t, sim::Time& cost) {
  const Worker& w = workers_[t];
  const std::size_t local = w.local_victims.size(), remote = w.remote_victims.size();
  std::size_t count = 0;
  if (local > 1) {
    do {
      std::uint32_t id;
      do {
        ++count;
        id = w.local_victims[steal_rng_.next_u64() % local];
      } while (id == t);
      const std::uint32_t g = try_steal(t, id, cost);
      if (g != kNone32) return g;
    } while (count < local);
  }
  for (count = 0; count < remote;) {
    ++count;
    const std::uint32_t g = try_steal(t, w.remote_victims[steal_rng_.next_u64() % remote], cost);
    if (g != kNone32) return g;
  }
  return kNone32;
}

// One steal attempt of thread t on victim v; a stolen fiber is attached to the thief's scheduler.
std::uint32_t FiberRun::try_steal(std::uint32_t t, std::uint32_t v, sim::Time& cost) {
  cost += prm_.c_steal;
  ++steal_attempts_;
  const std::uint32_t g = steal(v);
  if (g == kNone32) return kNone32;
  owner_[g] = t;
  ++steals_;
  if (ks_.nodes() > 1) {
    const std::uint32_t a = ks_.last_cpu(t), b = ks_.last_cpu(v);
    if (a != Threads::kNone && b != Threads::kNone && ks_.node_of(a) != ks_.node_of(b)) ++steals_cross_node_;
  }
  return g;
}

// context_spinlock_queue::steal: the victim's queue head, unless that is a pinned context (the
// dispatcher): then it fails without looking further.
std::uint32_t FiberRun::steal(std::uint32_t v) {
  Worker& w = workers_[v];
  if (w.rq.empty() || w.rq.front() == kDispatcher) return kNone32;
  const std::uint32_t g = w.rq.pop_front();
  rq_changed(v);
  return g;
}

// work_stealing::suspend_until(earliest sleeper or max), reached when the dispatcher found nothing.
void FiberRun::suspend_until(std::uint32_t t) {
  Worker& w = workers_[t];
  const sim::Time now = core_.engine.now();
  const bool due = !w.sleepq.empty() && w.sleepq.top().at <= now;
  if (!w.remote.empty() || due || has_ready_fibers(t)) {
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
    ks_.run_for(t, core_.sc.run.duration + 1, kSpin);  // beyond the end of the run: ends only by poke()
    if (!w.sleepq.empty()) w.spin_timer = core_.engine.schedule_at(w.sleepq.top().at, sim::kBandDefault, kSpinTimer, t);
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

// work_stealing::notify, from schedule_from_remote: with suspend=true, set flag_ and wake the thread if it
// waits on its condition variable; with suspend=false it does nothing, and the spinning loop sees the
// remote list.
sim::Time FiberRun::notify(std::uint32_t v, std::uint32_t waker) {
  Worker& w = workers_[v];
  if (!prm_.suspend) {
    if (w.idle == Idle::kSpinLong) poke(v);
    return 0;
  }
  w.notify_flag = true;
  if (w.idle == Idle::kSuspended && ks_.state(v) == Threads::State::kBlocked) {
    ++idle_wakeups_;
    const std::uint32_t k = waker == kNone32 ? Threads::kNone : waker;
    return ks_.sleeping(v) ? ks_.interrupt_sleep(v, k) : ks_.wake(v, 0, k);
  }
  return 0;
}

// Another dispatcher pass, through an event so that repeated misses never recurse.
void FiberRun::retry(std::uint32_t t, Burst kind) {
  workers_[t].next = Next::kDispatch;
  ks_.run_for(t, 0, kind);
}

bool FiberRun::stealable_except(std::uint32_t t) const {
  for (std::uint32_t v = 0; v < workers_.size(); ++v) {
    if (v != t && !workers_[v].rq.empty() && workers_[v].rq.front() != kDispatcher) return true;
  }
  return false;
}

// Thread v's queue changed: spinning threads see a stealable head on their next pass.
void FiberRun::rq_changed(std::uint32_t v) {
  if (prm_.suspend || long_spinners_ == 0) return;
  const Worker& w = workers_[v];
  if (w.rq.empty() || w.rq.front() == kDispatcher) return;
  for (std::uint32_t u = 0; u < workers_.size(); ++u) {
    if (u != v && workers_[u].idle == Idle::kSpinLong) poke(u);
  }
}

// A thread spinning in its long burst starts a dispatcher pass now.
void FiberRun::poke(std::uint32_t u) {
  Worker& w = workers_[u];
  if (w.spin_timer.valid()) {
    core_.engine.cancel(w.spin_timer);
    w.spin_timer = {};
  }
  w.idle = Idle::kNo;
  --long_spinners_;
  ks_.interrupt(u);
  w.next = Next::kDispatch;
  ks_.run_for(u, 0, kSpin);
}

// The earliest sleeper of a spinning thread is due: its spin loop's next pass sees it.
void FiberRun::spin_timer_due(std::uint32_t t) {
  Worker& w = workers_[t];
  w.spin_timer = {};
  if (w.idle == Idle::kSpinLong) poke(t);
}

}  // namespace gmpsim::models::fiber
