// Open-loop arrivals on real fibers: the generator on the control thread and the acceptors, one per worker
// thread, that spawn the handlers (README.md, "Open-loop arrivals" and "The generator's CPU").
#include <sys/prctl.h>

#include <algorithm>
#include <thread>

#include "models/workload/arrivals.h"
#include "validation/fiberrun/run.h"

namespace gmpsim::fiberrun {

// An acceptor (a worker thread's main fiber): takes the arrivals the generator hands to this thread and
// spawns each handler here.
void Run::acceptor_main(unsigned home) {
  Arrival a;
  while (accept_[home]->pop(a) == bf::channel_op_status::success) {
    ThreadState* ts = current();
    if (ts->index != home) ts->acceptor_off_home.fetch_add(1, std::memory_order_relaxed);  // never: it is pinned
    ts->created[a.cls].fetch_add(1, std::memory_order_relaxed);
    launch(FiberArgs{a.cls, a.handover, std::vector<ObjectPtr>(wl_.classes[a.cls].program.locals.size())});
  }
}

// Open-loop arrivals: the same arrival-time streams as the simulator for this seed (OpenLoopArrivals,
// stream "arrivals.<class>"), slept to with an absolute timer, handed to the workers round robin.
//
// Where the workers leave no CPU free (threads >= CPUs), each wake of the generator (a timer, a
// context switch and the futex wakes of the hand-over: ~40 us of CPU per arrival on the project's VMs)
// takes CPU from a worker; so it then wakes at most once per kBatchWindow and hands over every
// arrival due by then. The arrivals are later than drawn, by up to the window: the hand-over times
// are reported (and `gmpsim validate` replays them in the simulator), as is the generator's CPU time.
void Run::generate() {
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  window_ = threads_ >= std::thread::hardware_concurrency() ? kBatchWindow : 0;
  const sim::RngStreams streams(seed_);
  struct Source {
    std::uint16_t cls;
    models::OpenLoopArrivals gen;
    std::int64_t next;
  };
  std::vector<Source> sources;
  for (std::size_t c = 0; c < wl_.classes.size(); ++c) {
    const models::Arrivals& a = wl_.classes[c].arrivals;
    if (!a.open_loop()) continue;
    Source s{static_cast<std::uint16_t>(c), models::OpenLoopArrivals(a, streams.stream("arrivals." + wl_.classes[c].name)), 0};
    s.next = s.gen.next(0);
    sources.push_back(std::move(s));
  }
  unsigned rr = 0;
  std::int64_t woke = -kBatchWindow;
  while (!panicked_.load(std::memory_order_relaxed)) {
    Source* s = nullptr;
    for (Source& x : sources) {
      if (x.next <= duration_ && (s == nullptr || x.next < s->next)) s = &x;
    }
    if (s == nullptr) break;  // every class's next arrival falls after run.duration
    if (s->next > now()) {
      sleep_until_ns(t0_ + std::max(s->next, woke + window_));
      woke = now();
    }
    const std::int64_t handover = now();
    lateness_.push_back(handover - s->next);
    handovers_[s->cls].push_back(handover);
    live_.fetch_add(1, std::memory_order_relaxed);
    accept_[rr]->push(Arrival{s->cls, handover});
    rr = (rr + 1) % threads_;
    s->next = s->gen.next(s->next);
  }
  timespec cpu{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
  generator_cpu_ns_ = static_cast<std::int64_t>(cpu.tv_sec) * 1'000'000'000 + cpu.tv_nsec;
}

}  // namespace gmpsim::fiberrun
