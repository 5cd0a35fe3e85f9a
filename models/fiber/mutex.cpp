// fibers::mutex (boostorg/fiber boost-1.74.0 src/mutex.cpp): FIFO waiters, no hand-off (a woken waiter
// retries and may lose to a barger), lock_error for misuse. And the WaitGroup a Boost program builds from
// a fibers::mutex and a condition_variable (src/condition_variable.cpp).
#include "models/fiber/fiberrun.h"

namespace gmpsim::models::fiber {

SyncStep FiberRun::mutex_lock(std::uint32_t g, std::uint32_t m) {
  pending_ += prm_.c_lock;
  MutexState& mx = core_.sync.mutexes[m];
  if (mx.locked && mutex_owner_[m] == g) throw ProgramPanic("fibers::mutex locked twice by the same fiber (Boost throws lock_error: resource_deadlock_would_occur)");
  if (!mx.locked) {
    mx.locked = true;
    mutex_owner_[m] = g;
    return {};
  }
  core_.sync.park_on(mx.waiters, m, g, core_.engine.now());
  return {SyncStep::kParkRetry};
}

void FiberRun::mutex_unlock(std::uint32_t g, std::uint32_t m) {
  pending_ += prm_.c_lock;
  MutexState& mx = core_.sync.mutexes[m];
  if (!mx.locked) throw ProgramPanic("unlock of an unlocked fibers::mutex (Boost throws lock_error: operation_not_permitted)");
  if (mutex_owner_[m] != g) {
    throw ProgramPanic("unlock of a fibers::mutex by a fiber that does not own it (Boost throws lock_error: "
                       "operation_not_permitted; Go's sync.Mutex allows it)");
  }
  mx.locked = false;
  mutex_owner_[m] = kNone32;
  wake_first(mx.waiters);
}

// The WaitGroup: add/done lock the mutex, change the counter and notify_all at zero; wait locks and waits
// on the condition variable until the counter is zero. Each costs a lock and an unlock.
void FiberRun::on_wg_add(std::uint32_t wg, std::int64_t delta) {
  pending_ += 2 * prm_.c_lock;
  woken_.clear();
  core_.sync.wg_add(core_.wl, wg, delta, woken_);
  for (const auto& w : woken_) schedule(w.g);
  woken_.clear();
}

SyncStep FiberRun::wg_wait(std::uint32_t g, std::uint32_t wg) {
  pending_ += 2 * prm_.c_lock;
  return {core_.sync.wg_wait(wg, g, core_.engine.now()) == SyncObjects::Result::kPark ? SyncStep::kPark : SyncStep::kContinue};
}

}  // namespace gmpsim::models::fiber
