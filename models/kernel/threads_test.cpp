// ThreadScheduler: bursts progress only on a CPU, round-robin slices at the tick, wake latency, and work
// conservation over random workloads.
#include <catch2/catch.hpp>
#include <deque>

#include "models/kernel/threads.h"
#include "sim/rng.h"

using namespace gmpsim;
using namespace gmpsim::models::kernel;

namespace {

constexpr sim::Time kMs = sim::kMillisecond;

// Each thread runs a list of bursts, then blocks; finish times are recorded.
struct Owner {
  ThreadScheduler<Owner>* ks = nullptr;
  std::vector<std::deque<sim::Time>> bursts;
  std::vector<sim::Time> finished;
  sim::Engine* engine = nullptr;

  void on_burst_done(std::uint32_t tid) {
    if (bursts[tid].empty()) {
      finished[tid] = engine->now();
      ks->block(tid);
      return;
    }
    const sim::Time w = bursts[tid].front();
    bursts[tid].pop_front();
    ks->run_for(tid, w, static_cast<BurstKind>(tid % 2));
  }
};

struct Rig {
  sim::Engine engine;
  Owner owner;
  ThreadScheduler<Owner> ks;
  Rig(std::size_t ncpu, ThreadParams p = {}) : ks(engine, owner, ncpu, p, 100) {
    owner.ks = &ks;
    owner.engine = &engine;
  }
  std::uint32_t thread(std::deque<sim::Time> bursts) {
    const std::uint32_t t = ks.create_thread();
    owner.bursts.push_back(std::move(bursts));
    owner.finished.push_back(-1);
    return t;
  }
  void run() {
    engine.run(sim::kTimeMax, [this](const sim::Event& ev) { ks.handle(ev); });
  }
};

}  // namespace

TEST_CASE("a woken thread runs its bursts after the wake latency", "[kernel][threads]") {
  Rig rig(1);
  const auto t = rig.thread({10 * kMs, 5 * kMs});
  rig.ks.wake(t);
  rig.run();
  CHECK(rig.owner.finished[t] == 2600 + 15 * kMs);
  CHECK(rig.ks.busy_total() == 15 * kMs);
  CHECK(rig.ks.state(t) == ThreadScheduler<Owner>::State::kBlocked);
  CHECK(rig.ks.preemptions() == 0);
}

TEST_CASE("threads share a CPU round robin, preempted at the first tick after the slice", "[kernel][threads]") {
  Rig rig(1, ThreadParams{0, 1'400'000, 4 * kMs});
  const auto a = rig.thread({10 * kMs}), b = rig.thread({10 * kMs});
  rig.ks.wake(a);
  rig.ks.wake(b);
  rig.run();
  // a 0-4, b 4-8, a 8-12, b 12-16, a 16-18 (done), b 18-20 (done).
  CHECK(rig.owner.finished[a] == 18 * kMs);
  CHECK(rig.owner.finished[b] == 20 * kMs);
  CHECK(rig.ks.preemptions() == 4);
  CHECK(rig.ks.busy(0) == 10 * kMs);  // a has kind 0, b kind 1
  CHECK(rig.ks.busy(1) == 10 * kMs);
}

TEST_CASE("a thread alone on a CPU is never preempted", "[kernel][threads]") {
  Rig rig(2, ThreadParams{0, 1'400'000, 4 * kMs});
  const auto a = rig.thread({100 * kMs}), b = rig.thread({50 * kMs});
  rig.ks.wake(a);
  rig.ks.wake(b);
  rig.run();
  CHECK(rig.owner.finished[a] == 100 * kMs);
  CHECK(rig.owner.finished[b] == 50 * kMs);
  CHECK(rig.ks.preemptions() == 0);
}

TEST_CASE("interrupt stops a burst and returns the work left", "[kernel][threads]") {
  Rig rig(1, ThreadParams{0, 1'400'000, 4 * kMs});
  const auto a = rig.thread({});
  rig.ks.wake(a);
  rig.engine.run(0, [&](const sim::Event& ev) { rig.ks.handle(ev); });  // a runs, has no burst, blocks
  CHECK(rig.ks.state(a) == ThreadScheduler<Owner>::State::kBlocked);
  rig.owner.bursts[a] = {10 * kMs};
  rig.ks.wake(a);
  rig.engine.run(3 * kMs, [&](const sim::Event& ev) { rig.ks.handle(ev); });
  // The engine stops at the last event (the wake, t=0); the burst has run 3 ms once time reaches 3 ms.
  rig.engine.schedule_at(3 * kMs, sim::kBandDefault, 1);
  rig.engine.run(3 * kMs, [&](const sim::Event& ev) {
    if (ev.kind == 1) {
      CHECK(rig.ks.interrupt(a) == 7 * kMs);
    } else {
      rig.ks.handle(ev);
    }
  });
  CHECK(rig.ks.busy_total() == 3 * kMs);
}

TEST_CASE("random workloads: all work is done and no CPU idles while a thread waits", "[kernel][threads]") {
  for (std::size_t ncpu : {1, 2, 3, 8}) {
    Rig rig(ncpu, ThreadParams{1000, 700'000, 1 * kMs});
    sim::Rng rng(ncpu);
    sim::Time total = 0;
    const int n = 40;
    for (int i = 0; i < n; ++i) {
      std::deque<sim::Time> bursts;
      for (int k = 0, m = 1 + static_cast<int>(rng.below(5)); k < m; ++k) {
        bursts.push_back(static_cast<sim::Time>(rng.below(3 * kMs)));
        total += bursts.back();
      }
      const auto t = rig.thread(bursts);
      rig.engine.schedule_at(static_cast<sim::Time>(rng.below(20 * kMs)), sim::kBandDefault, 1, t);
    }
    rig.engine.run(sim::kTimeMax, [&](const sim::Event& ev) {
      if (ev.kind == 1) {
        rig.ks.wake(ev.arg);
      } else {
        rig.ks.handle(ev);
      }
      // Work conservation: a thread waits for a CPU only while every CPU is taken.
      if (rig.ks.runnable_waiting() > 0) {
        for (std::uint32_t c = 0; c < ncpu; ++c) REQUIRE(rig.ks.running_on(c) != ThreadScheduler<Owner>::kNone);
      }
    });
    INFO(ncpu << " CPUs");
    CHECK(rig.ks.busy_total() == total);
    for (int i = 0; i < n; ++i) CHECK(rig.owner.finished[i] >= 0);
  }
}

TEST_CASE("the fair-class base slice scales with log2 of the CPU count, up to 8", "[kernel][threads]") {
  CHECK(scaled_base_slice(700'000, 1) == 700'000);
  CHECK(scaled_base_slice(700'000, 2) == 1'400'000);  // 2 CPUs: 1.4 ms (/sys/kernel/debug/sched/base_slice_ns)
  CHECK(scaled_base_slice(700'000, 8) == 2'800'000);
  CHECK(scaled_base_slice(700'000, 64) == 2'800'000);
}
