// sync.Mutex in the `go` model (sync/mutex.go over runtime/sema.go), pinned to go1.26 (same logic in
// go1.19):
//   - Lock: a CAS on an unlocked mutex; otherwise active spinning while runtime_canSpin allows it, then
//     semacquire parks the goroutine (FIFO; a woken waiter that loses the race re-queues at the front).
//   - Unlock in normal mode frees the lock and wakes one waiter, which competes with newcomers.
//   - A waiter that waited more than 1 ms switches the mutex to starvation mode: Unlock then hands the
//     lock to the first waiter (readied into runnext) and yields (goyield), newcomers queue at the tail,
//     and the mode ends when a waiter got the lock after waiting less than 1 ms or was the last.
#include "models/go/gorun.h"

namespace gmpsim::models::go {

SyncStep GoRun::mutex_lock(std::uint32_t g, std::uint32_t obj) {
  MutexState& mu = core_.sync.mutexes[obj];
  M& m = ms_[cur_m_];
  const sim::Time now = core_.engine.now();
  if (mutex_wait_start_.size() <= g) mutex_wait_start_.resize(core_.gt.capacity(), -1);
  const sim::Time started = mutex_wait_start_[g];
  auto acquired = [&]() {
    m.mutex_spins = 0;
    mutex_wait_start_[g] = -1;
    m.overhead += prm_.cost_mutex;
    return SyncStep{};
  };
  if (mu.handoff == g) {  // starvation mode handed us the lock
    mu.handoff = kNoG;
    if ((started >= 0 && now - started < prm_.mutex_starvation) || mu.waiters.empty()) mu.starving = false;
    return acquired();
  }
  if (!mu.locked && !mu.starving) {
    mu.locked = true;
    if (mu.woken == g) mu.woken = kNoG;
    return acquired();
  }
  // runtime_canSpin: few spins so far, a multicore machine, other Ps running, nothing queued locally.
  const bool can_spin = !mu.starving && m.mutex_spins < prm_.mutex_active_spin && core_.sc.machine.cpus.size() > 1 &&
                        prm_.gomaxprocs > pidle_.size() + nmspinning_ + 1 && ps_[m.p].runq.empty();
  if (can_spin) {
    ++m.mutex_spins;
    ++mutex_spins_;
    return {SyncStep::kSpin, prm_.mutex_spin};
  }
  m.mutex_spins = 0;
  // semacquire: a waiter that was woken and lost goes back to the front (queueLifo).
  const bool requeue = started >= 0;
  if (mu.woken == g) mu.woken = kNoG;
  if (requeue && now - started > prm_.mutex_starvation && !mu.starving) {
    mu.starving = true;
    ++mutex_starvations_;
  }
  if (!requeue) mutex_wait_start_[g] = now;
  const std::uint32_t s = core_.sync.sudogs.alloc(g, obj, now);
  if (requeue) core_.sync.sudogs.push_front(mu.waiters, s); else core_.sync.sudogs.push_back(mu.waiters, s);
  ++core_.sync.parked;
  park_reason_ = WaitReason::kMutex;
  m.overhead += prm_.cost_mutex;
  return {SyncStep::kParkRetry};
}

SyncStep GoRun::mutex_unlock(std::uint32_t g, std::uint32_t obj) {
  (void)g;
  MutexState& mu = core_.sync.mutexes[obj];
  M& m = ms_[cur_m_];
  m.overhead += prm_.cost_mutex;
  if (!mu.locked) throw ProgramPanic("fatal error: sync: unlock of unlocked mutex");
  if (mu.starving && !mu.waiters.empty()) {
    // semrelease(handoff=true): the first waiter owns the lock now and runs next; we yield to it.
    const std::uint32_t s = core_.sync.sudogs.pop_front(mu.waiters);
    const std::uint32_t w = core_.sync.sudogs[s].g;
    core_.sync.sudogs.release(s);
    --core_.sync.parked;
    mu.handoff = w;
    ++mutex_handoffs_;
    goready(cur_m_, w);
    return {SyncStep::kYield};
  }
  mu.locked = false;
  if (!mu.waiters.empty() && mu.woken == kNoG) {
    const std::uint32_t s = core_.sync.sudogs.pop_front(mu.waiters);
    const std::uint32_t w = core_.sync.sudogs[s].g;
    core_.sync.sudogs.release(s);
    --core_.sync.parked;
    mu.woken = w;
    goready(cur_m_, w);
  }
  return {};
}

}  // namespace gmpsim::models::go
