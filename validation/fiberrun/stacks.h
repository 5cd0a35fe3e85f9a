// Fiber stacks for the runner: one pool for every worker thread, optionally pre-faulted (--warm-stacks),
// and the process's page-fault count that shows which regime a run was in.
#pragma once
#include <sys/resource.h>

#include <cstdint>
#include <mutex>

#include <boost/fiber/all.hpp>

namespace gmpsim::fiberrun {

namespace bf = boost::fibers;

// --warm-stacks: takes `count` stacks from the pool, touches the top of each (where a fiber's control block
// and frames live) and gives them back, so that the run's spawns reuse mapped stacks.
void prefault_stacks(std::int64_t count);

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

inline long minor_faults() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

}  // namespace gmpsim::fiberrun
