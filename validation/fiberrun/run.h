// One run of a scenario on real Boost.Fiber 1.74 fibers (work_stealing): the state the runner's files
// share. The layout of the process:
//
//   - T worker threads (the main thread is worker 0), each with work_stealing(T, suspend) installed. Before
//     the start each creates its round-robin share of the initial population (launch::post: its own queue);
//     then every thread meets at a start barrier, whose completion is time zero. After it the workers' main
//     fibers accept open-loop arrivals, if any, and then block for good on a fibers condition variable, so
//     their dispatchers run the workload (runner.cpp).
//   - A control thread outside the pool: it generates the open-loop arrivals (arrivals.cpp: handing each to
//     the next worker's acceptor, round robin), waits for the end of the run (no workload fiber left, a
//     panic, or the time cap), collects the measurements, prints them (report.cpp) and ends the process
//     with _exit.
//
// Each workload fiber interprets its class's compiled bytecode as models/workload/goroutines.h `advance()`
// does, with real blocking operations (interpreter.cpp; agreement_test.cpp checks that both agree).
#pragma once
#include <atomic>
#include <barrier>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/fiber/all.hpp>

#include "models/scenario/scenario.h"
#include "models/workload/program.h"
#include "sim/rng.h"
#include "validation/fiberrun/clock.h"
#include "validation/fiberrun/objects.h"
#include "validation/fiberrun/stacks.h"

namespace gmpsim::fiberrun {

namespace bf = boost::fibers;
using models::Json;
using models::ObjKind;
using models::Op;
using models::OpCode;
using models::ProgramPanic;

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

// The state of the thread this fiber runs on *now* (runner.cpp).
ThreadState* current();

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
  Run(const models::Scenario& sc, std::uint64_t seed, std::int64_t warm_stacks);
  [[noreturn]] void run();

 private:
  // runner.cpp: the worker threads and the life of a workload fiber.
  void worker_main(unsigned index);
  void fiber_main(FiberArgs& f);
  void report_panic(const std::string& what);
  void control_main();

  void launch(FiberArgs args) {
    bf::fiber(bf::launch::post, std::allocator_arg, SharedPooledStack{},
              [this, args = std::move(args)]() mutable { fiber_main(args); })
        .detach();
  }

  std::int64_t now() const { return mono_ns() - t0_; }

  // interpreter.cpp: a fiber's program, step by step.
  void interpret(FiberArgs& f);
  void spawn(const FiberArgs& parent, std::uint16_t cls);
  Object& object(const FiberArgs& f, const models::Program& prog, const Op& op, ObjKind kind);
  std::string object_name(const models::Program& prog, const Op& op, ObjKind kind) const;
  std::int64_t sample(const models::Program& prog, std::uint32_t dist);

  // arrivals.cpp: the open-loop arrivals, generated on the control thread and accepted by the workers.
  static constexpr std::int64_t kBatchWindow = 200'000;  // the generator's longest sleep when no CPU is free
  void generate();
  void acceptor_main(unsigned home);

  // report.cpp: the run's JSON on stdout, then _exit.
  [[noreturn]] void report(const std::string& outcome, std::int64_t end, bool open);
  std::vector<std::int64_t> subsample(std::vector<std::int64_t> v, const std::string& what);
  static std::int64_t quantile(std::vector<std::int64_t>& v, double q);

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

  std::atomic<std::int64_t> live_{0};  // workload fibers created and still running
  std::atomic<bool> panicked_{false};
  std::mutex end_mu_;
  std::condition_variable end_cv_;
  std::string panic_;      // guarded by end_mu_
};

}  // namespace gmpsim::fiberrun
