// The scheduling algorithm of a one-thread run (README.md, "What differs from the model").
#pragma once
#include <chrono>
#include <condition_variable>
#include <mutex>

#include <boost/fiber/all.hpp>
#include <boost/fiber/detail/context_spinlock_queue.hpp>

namespace gmpsim::fiberrun {

namespace bf = boost::fibers;

// work_stealing(1) cannot idle: its pick_next, finding its queue empty, draws victim thread ids until one
// differs from its own, which never happens with one thread (work_stealing::pick_next in
// libs/fiber/src/algo/work_stealing.cpp at boost-1.74.0), so the
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

}  // namespace gmpsim::fiberrun
