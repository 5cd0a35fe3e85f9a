// The kernel layer's mechanisms on hand-worked cases: EEVDF picks and lag, CFS wake-up preemption, slices at
// the tick, cgroup CPU bandwidth (throttling, burst), group fairness against a neighbour, and work
// conservation over random workloads.
#include <catch2/catch.hpp>
#include <deque>

#include "models/input/errors.h"
#include "models/kernel/config.h"
#include "models/kernel/numa.h"
#include "models/kernel/sched.h"
#include "models/testing/builders.h"
#include "models/testing/run_helpers.h"
#include "sim/rng.h"

using namespace gmpsim;
using namespace gmpsim::models;
using namespace gmpsim::models::kernel;

namespace {

constexpr sim::Time kMs = sim::kMillisecond;
constexpr sim::Time kUs = sim::kMicrosecond;

// Each thread runs a list of bursts, then blocks (or sleeps `pause` and goes on with the next list entry when
// a burst is negative: -d means sleep d). Finish times are recorded.
struct Owner final : ThreadOwner {
  Kernel* ks = nullptr;
  sim::Engine* engine = nullptr;
  std::vector<std::deque<sim::Time>> bursts;
  std::vector<sim::Time> finished;
  std::vector<std::vector<sim::Time>> started;  // when each burst was given
  std::vector<std::vector<sim::Time>> slept;    // when each sleep began

  void on_burst_done(std::uint32_t tid) override {
    if (bursts[tid].empty()) {
      finished[tid] = engine->now();
      ks->block(tid);
      return;
    }
    const sim::Time w = bursts[tid].front();
    bursts[tid].pop_front();
    if (w < 0) {
      slept[tid].push_back(engine->now());
      ks->sleep(tid, -w);
      return;
    }
    started[tid].push_back(engine->now());
    ks->run_for(tid, w, static_cast<BurstKind>(tid % 2));
  }
};

SchedParams params(Policy policy, sim::Time slice, sim::Time tick) {
  SchedParams p;
  p.policy = policy;
  p.wake_latency = 0;
  p.base_slice = slice;
  p.tick = tick;
  p.sched_latency = 6 * kMs;
  p.wakeup_granularity = 1 * kMs;
  p.balance_interval = 16 * kMs;
  return p;
}

struct Rig {
  sim::Engine engine;
  Owner owner;
  Kernel ks;
  Rig(std::size_t ncpu, SchedParams p, std::vector<GroupSpec> groups = {GroupSpec{}})
      : ks(engine, owner, ncpu, p, 100, std::move(groups)) {
    owner.ks = &ks;
    owner.engine = &engine;
  }
  std::uint32_t thread(std::deque<sim::Time> bursts, int nice = 0) {
    const std::uint32_t t = ks.create_thread(nice);
    owner.bursts.push_back(std::move(bursts));
    owner.finished.push_back(-1);
    owner.started.emplace_back();
    owner.slept.emplace_back();
    return t;
  }
  // Event kind 1 wakes thread `arg` (random_workload); the others are the kernel's. Checks the invariants.
  void wake_or_handle(const sim::Event& ev) {
    if (ev.kind == 1) {
      ks.wake(ev.arg);
    } else {
      ks.handle(ev);
    }
    ks.check_invariants();
  }
  void run(sim::Time until = sim::kTimeMax) {
    engine.run(until, [this](const sim::Event& ev) {
      ks.handle(ev);
#ifdef GMPSIM_CHECKS
      ks.check_invariants();
#endif
    });
  }
};

// `n` threads of random bursts and sleeps (event kind 1 wakes one: the caller's loop calls wake), each
// woken at a random time in the first 20 ms. Returns their work.
sim::Time random_workload(Rig& rig, std::uint64_t seed, int n) {
  sim::Rng rng(seed);
  sim::Time total = 0;
  for (int i = 0; i < n; ++i) {
    std::deque<sim::Time> bursts;
    for (int k = 0, m = 1 + static_cast<int>(rng.below(5)); k < m; ++k) {
      bursts.push_back(static_cast<sim::Time>(rng.below(3 * kMs)) + 1);
      total += bursts.back();
      if (rng.below(2) == 0) bursts.push_back(-static_cast<sim::Time>(rng.below(2 * kMs) + 1));
    }
    const auto t = rig.thread(bursts, static_cast<int>(rng.below(10)) - 5);
    rig.engine.schedule_at(static_cast<sim::Time>(rng.below(20 * kMs)), sim::kBandDefault, 1, t);
  }
  return total;
}

}  // namespace

TEST_CASE("kernel: a woken thread runs its bursts after the wake latency", "[kernel]") {
  SchedParams p = params(Policy::kEevdf, 700 * kUs, 4 * kMs);
  p.wake_latency = 2600;
  Rig rig(1, p);
  const auto t = rig.thread({10 * kMs, 5 * kMs});
  rig.ks.wake(t);
  rig.run();
  CHECK(rig.owner.finished[t] == 2600 + 15 * kMs);
  CHECK(rig.ks.busy(0) == 15 * kMs);
  CHECK(rig.ks.state(t) == Kernel::State::kBlocked);
  CHECK(rig.ks.preemptions() == 0);
}

TEST_CASE("kernel: a burst's prefix is accounted as its own kind, and an interrupt says how much of it is left", "[kernel]") {
  // The go model runs a goroutine's runtime work (malloc) and its compute as one burst: 30 us of kind 1,
  // then 100 us of kind 0. Interrupted 10 us in, 120 us are left, 20 of them the prefix; given back, the
  // burst ends on time and each kind has its share.
  struct PrefixOwner final : ThreadOwner {
    Kernel* ks = nullptr;
    int calls = 0;
    void on_burst_done(std::uint32_t tid) override {
      if (calls++ == 0) {
        ks->run_for(tid, 100 * kUs, 0, 30 * kUs, 1);
      } else {
        ks->block(tid);
      }
    }
  };
  sim::Engine engine;
  PrefixOwner owner;
  Kernel ks(engine, owner, 1, params(Policy::kEevdf, 700 * kUs, 4 * kMs), 100, {GroupSpec{}});
  owner.ks = &ks;
  const std::uint32_t t = ks.create_thread(0);
  ks.start_now(t);
  engine.schedule_at(10 * kUs, sim::kBandDefault, 1, t);
  sim::Time left = 0, prefix = -1, done = 0;
  engine.run(sim::kTimeMax, [&](const sim::Event& ev) {
    if (ev.kind == 1) {
      left = ks.interrupt(ev.arg, &prefix);
      ks.run_for(ev.arg, left - prefix, 0, prefix, 1);
      return;
    }
    ks.handle(ev);
    if (owner.calls == 2 && done == 0) done = engine.now();
  });
  CHECK(left == 120 * kUs);
  CHECK(prefix == 20 * kUs);
  CHECK(done == 130 * kUs);
  CHECK(ks.busy(1) == 30 * kUs);
  CHECK(ks.busy(0) == 100 * kUs);
}

TEST_CASE("kernel: two equal threads alternate at the first tick after each slice", "[kernel]") {
  for (Policy pol : {Policy::kEevdf, Policy::kCfs}) {
    SchedParams p = params(pol, 1400 * kUs, 4 * kMs);
    p.sched_latency = 2800 * kUs;  // CFS: 2 tasks x 1.4 ms
    Rig rig(1, p);
    const auto a = rig.thread({10 * kMs}), b = rig.thread({10 * kMs});
    rig.ks.start_now(a);
    rig.ks.start_now(b);
    rig.run();
    INFO((pol == Policy::kEevdf ? "eevdf" : "cfs"));
    if (pol == Policy::kEevdf) {
      // a 0-4, b 4-8, a 8-12, b 12-16, a 16-18 (done), b 18-20 (done).
      CHECK(rig.owner.finished[a] == 18 * kMs);
      CHECK(rig.owner.finished[b] == 20 * kMs);
      CHECK(rig.ks.preemptions() == 4);
    } else {
      // START_DEBIT places a new task one vslice after min_vruntime: a alone gets a whole period (2.8 ms),
      // b one of two (1.4 ms). b trails a by 1.4 ms > wakeup_granularity (1 ms) and preempts it at once:
      // b 0-4, a 4-8, b 8-12, a 12-16, b 16-18 (done), a 18-20 (done).
      CHECK(rig.owner.finished[b] == 18 * kMs);
      CHECK(rig.owner.finished[a] == 20 * kMs);
      CHECK(rig.ks.preemptions() == 5);
    }
    CHECK(rig.ks.busy(0) == 10 * kMs);
    CHECK(rig.ks.busy(1) == 10 * kMs);
    // run_delay: at most a whole tick behind the other thread. EEVDF's six switch-ins waited 0 (a at 0),
    // 4, 4, 4, 4 ms and 2 ms (b, put back at 16 ms, runs when a is done at 18).
    const auto rd = rig.ks.report(rig.engine.now())["run_delay_us"];
    CHECK(rd["max"].get<double>() == Approx(4000).epsilon(0.01));
    if (pol == Policy::kEevdf) {
      CHECK(rd["count"] == 6);
      CHECK(rd["mean"].get<double>() == Approx(3000).epsilon(0.01));
    }
  }
}

TEST_CASE("kernel: with HRTICK a slice ends exactly when used", "[kernel]") {
  SchedParams p = params(Policy::kEevdf, 1 * kMs, 4 * kMs);
  p.hrtick = true;
  Rig rig(1, p);
  const auto a = rig.thread({3 * kMs}), b = rig.thread({3 * kMs});
  rig.ks.start_now(a);
  rig.ks.start_now(b);
  rig.run();
  // The first pick gives a half slice (PLACE_DEADLINE_INITIAL); after that whole 1 ms slices alternate.
  CHECK(rig.owner.finished[a] + rig.owner.finished[b] < 12 * kMs);
  CHECK(rig.ks.preemptions() >= 4);
}

TEST_CASE("kernel: EEVDF shares one CPU among three always-runnable threads in proportion to weight", "[kernel]") {
  Rig rig(1, params(Policy::kEevdf, 750 * kUs, 1 * kMs));
  // nice 0, 2, 5: weights 1024, 655, 335 (sched_prio_to_weight).
  const auto a = rig.thread({10'000 * kMs}, 0), b = rig.thread({10'000 * kMs}, 2), c = rig.thread({10'000 * kMs}, 5);
  (void)a;
  (void)b;
  (void)c;
  rig.ks.start_now(a);
  rig.ks.start_now(b);
  rig.ks.start_now(c);
  // Kinds are tid % 2: a and c count as kind 0, b as kind 1. Run 2 s.
  rig.engine.schedule_at(2000 * kMs, sim::kBandDefault, 1);
  sim::Time b_time = 0;
  rig.engine.run(sim::kTimeMax, [&](const sim::Event& ev) {
    if (ev.kind == 1) {
      b_time = rig.ks.busy_on(0, 1, ev.time);
      rig.engine.stop();
      return;
    }
    rig.ks.handle(ev);
  });
  const double total = 1024 + 655 + 335;
  CHECK(static_cast<double>(b_time) / (2000.0 * kMs) == Approx(655 / total).epsilon(0.02));
  CHECK(nice_to_weight(0) == 1024);
  CHECK(nice_to_weight(19) == 15);
  CHECK(nice_to_weight(-20) == 88761);
}

TEST_CASE("kernel: EEVDF places a waking thread with its positive lag; RUN_TO_PARITY decides when it runs", "[kernel]") {
  // a hogs the CPU. b waited for a's slice, ran 0.1 ms and slept 0.5 ms: it leaves owed service (positive
  // lag) and wakes in the middle of a's next slice. Placed at avg_vruntime - lag, it is eligible with the
  // earlier deadline: without RUN_TO_PARITY it preempts a at once; with it, a keeps the CPU until its
  // slice is used, at a tick.
  for (bool parity : {false, true}) {
    SchedParams p = params(Policy::kEevdf, 3 * kMs, 1 * kMs);
    p.run_to_parity = parity;
    Rig rig(1, p);
    const auto a = rig.thread({100 * kMs});
    const auto b = rig.thread({100 * kUs, -500 * kUs, 1 * kMs});
    rig.ks.start_now(b);
    rig.ks.start_now(a);
    rig.run();
    INFO("run_to_parity " << parity);
    REQUIRE(rig.owner.started[b].size() == 2);
    const sim::Time woke = rig.owner.slept[b][0] + 500 * kUs;
    if (!parity) {
      CHECK(rig.owner.started[b][1] == woke);  // wake-up preemption
    } else {
      CHECK(rig.owner.started[b][1] > woke);   // waits for a's slice to end, at a tick
      CHECK(rig.owner.started[b][1] % kMs == 0);
      CHECK(rig.owner.started[b][1] <= woke + 3 * kMs + 1 * kMs);
    }
  }
}

TEST_CASE("kernel: CFS preempts on wake-up only past wakeup_granularity", "[kernel]") {
  // b sleeps 20 ms while a runs: on waking it is placed sched_latency/2 = 3 ms behind min_vruntime, a lead
  // of 3 ms for a. A 1 ms granularity preempts a at once; a 5 ms one does not (b waits for the tick).
  for (sim::Time gran : {1 * kMs, 5 * kMs}) {
    SchedParams p = params(Policy::kCfs, 750 * kUs, 4 * kMs);
    p.wakeup_granularity = gran;
    Rig rig(1, p);
    const auto a = rig.thread({100 * kMs});
    const auto b = rig.thread({10 * kUs, -20 * kMs, 1 * kMs});
    rig.ks.start_now(b);
    rig.ks.start_now(a);
    rig.run();
    INFO("granularity " << gran);
    REQUIRE(rig.owner.started[b].size() == 2);
    const sim::Time woke = rig.owner.slept[b][0] + 20 * kMs;
    if (gran == 1 * kMs) {
      CHECK(rig.owner.started[b][1] == woke);
    } else {
      CHECK(rig.owner.started[b][1] > woke);
    }
  }
}

TEST_CASE("kernel: a thread alone on a CPU is never preempted", "[kernel]") {
  Rig rig(2, params(Policy::kEevdf, 1400 * kUs, 4 * kMs));
  const auto a = rig.thread({100 * kMs}), b = rig.thread({50 * kMs});
  rig.ks.wake(a);
  rig.ks.wake(b);
  rig.run();
  CHECK(rig.owner.finished[a] == 100 * kMs);
  CHECK(rig.owner.finished[b] == 50 * kMs);
  CHECK(rig.ks.preemptions() == 0);
}

TEST_CASE("kernel: two spinning threads under a 0.5-CPU quota are throttled after 25 ms of each period", "[kernel][cgroup]") {
  GroupSpec g;
  g.quota = 50 * kMs;
  g.period = 100 * kMs;
  SchedParams p = params(Policy::kEevdf, 1400 * kUs, 4 * kMs);
  Rig rig(2, p, {g});
  const auto a = rig.thread({10'000 * kMs}), b = rig.thread({10'000 * kMs});
  rig.ks.start_now(a);
  rig.ks.start_now(b);
  rig.run(1000 * kMs);
  const auto& rows = rig.ks.periods();
  REQUIRE(rows.size() >= 9);
  for (std::size_t i = 1; i < 9; ++i) {
    INFO("period " << i);
    // Each period's 50 ms of quota is spent by two CPUs in ~25 ms (slices of 5 ms, throttling at the tick).
    CHECK(rows[i].throttled);
    CHECK(static_cast<double>(rows[i].usage) == Approx(50.0 * kMs).epsilon(0.2));
  }
  const auto rep = rig.ks.report(rig.engine.now());
  const auto& st = rep["cgroups"]["process"];
  CHECK(st["nr_throttled"].get<std::uint64_t>() >= 9);
  CHECK(st["nr_periods"].get<std::uint64_t>() >= 9);
  // Throttled ~75 ms of each 100 ms on each of the two CPUs.
  CHECK(static_cast<double>(st["throttled_usec"].get<std::int64_t>()) / 1e3 == Approx(2 * 0.75 * 1000).epsilon(0.2));
  // Over the run, the group got half a CPU.
  CHECK(static_cast<double>(st["usage_usec"].get<std::int64_t>()) / 1e3 == Approx(500).epsilon(0.12));
}

TEST_CASE("kernel: cpu.max.burst lets an idle group run past its quota at the start of a period", "[kernel][cgroup]") {
  // Quota 20 ms per 100 ms. The thread sleeps for 5 periods, then needs 35 ms of CPU. With a 20 ms burst the
  // pool holds 40 ms: the work runs through; without, it is throttled until the next period.
  for (sim::Time burst : {sim::Time{0}, 20 * kMs}) {
    GroupSpec g;
    g.quota = 20 * kMs;
    g.period = 100 * kMs;
    g.burst = burst;
    Rig rig(1, params(Policy::kEevdf, 700 * kUs, 1 * kMs), {g});
    const auto t = rig.thread({1 * kMs, -499 * kMs, 35 * kMs});
    rig.ks.start_now(t);
    rig.run(2000 * kMs);
    INFO("burst " << burst);
    REQUIRE(rig.owner.finished[t] > 0);
    const sim::Time took = rig.owner.finished[t] - 500 * kMs;
    const auto rep = rig.ks.report(rig.engine.now());
    if (burst > 0) {
      CHECK(took == 35 * kMs);
      CHECK(rep["cgroups"]["process"]["nr_bursts"].get<std::uint64_t>() >= 1);
    } else {
      CHECK(took > 100 * kMs);
      CHECK(rep["cgroups"]["process"]["nr_throttled"].get<std::uint64_t>() >= 1);
    }
  }
}

TEST_CASE("kernel: a neighbour in its own cgroup pinned to one of two CPUs: each group ends with one CPU", "[kernel][cgroup]") {
  // Two spinning threads of the process (cgroup "process"), a spinning neighbour in its own cgroup pinned to
  // CPU 0. Both groups weigh 100. At first CPU 0 carries the neighbour (1024) and the process's entity
  // (calc_group_shares: 1024 x 1024 / 2048 = 512), CPU 1 the other 512: the balance moves the process's
  // thread to CPU 1, where its group entity then weighs the full 1024, level with the neighbour's on CPU 0.
  GroupSpec proc, neigh;
  proc.name = "process";
  neigh.name = "neighbour";
  neigh.cpus = {0};
  Rig rig(2, params(Policy::kEevdf, 1400 * kUs, 4 * kMs), {proc, neigh});
  const auto a = rig.thread({10'000 * kMs}), b = rig.thread({10'000 * kMs});
  ProcessSpec ps;
  ps.name = "neighbour";
  ps.group = 1;
  ps.threads = 1;
  ps.burst = sim::Dist::constant(1e9);
  ps.sleep = sim::Dist::constant(0);
  rig.ks.start_now(a);
  rig.ks.start_now(b);
  rig.ks.start_processes({ps}, sim::RngStreams(1));
  rig.engine.schedule_at(3000 * kMs, sim::kBandDefault, 1);
  sim::Time own0 = 0, own1 = 0, other0 = 0;
  rig.engine.run(sim::kTimeMax, [&](const sim::Event& ev) {
    if (ev.kind == 1) {
      own0 = rig.ks.busy_on(0, 0, ev.time) + rig.ks.busy_on(0, 1, ev.time);
      own1 = rig.ks.busy_on(1, 0, ev.time) + rig.ks.busy_on(1, 1, ev.time);
      other0 = rig.ks.busy_on(0, kOther, ev.time);
      rig.engine.stop();
      return;
    }
    rig.ks.handle(ev);
  });
  const double t = 3000.0 * kMs;
  CHECK(own0 / t < 0.05);
  CHECK(other0 / t == Approx(1.0).epsilon(0.05));
  CHECK(own1 / t == Approx(1.0).epsilon(0.01));
}

TEST_CASE("kernel: random workloads: all work is done, a CPU never idles a tick while a thread waits", "[kernel]") {
  for (int pol_delay = 0; pol_delay < 3; ++pol_delay) {
    const Policy pol = pol_delay == 1 ? Policy::kCfs : Policy::kEevdf;
    for (std::size_t ncpu : {1, 2, 3, 8}) {
      SchedParams p = params(pol, 700 * kUs, 1 * kMs);
      p.delay_dequeue = pol_delay == 2;  // EEVDF of 6.12+
      Rig rig(ncpu, p);
      const int n = 40;
      const sim::Time total = random_workload(rig, ncpu, n);
      std::vector<sim::Time> idle_waiting_since(ncpu, -1);
      sim::Time worst = 0;
      rig.engine.run(sim::kTimeMax, [&](const sim::Event& ev) {
        rig.wake_or_handle(ev);
        // Work conservation up to the idle balance at the next tick.
        bool waiting = false;
        for (std::uint32_t i = 0; i < static_cast<std::uint32_t>(n); ++i) waiting |= rig.ks.state(i) == Kernel::State::kRunnable;
        for (std::uint32_t c = 0; c < ncpu; ++c) {
          if (waiting && rig.ks.running_on(c) == Kernel::kNone) {
            if (idle_waiting_since[c] < 0) idle_waiting_since[c] = ev.time;
            worst = std::max(worst, ev.time - idle_waiting_since[c]);
          } else {
            idle_waiting_since[c] = -1;
          }
        }
      });
      INFO(ncpu << " CPUs, " << (pol == Policy::kEevdf ? "eevdf" : "cfs") << (p.delay_dequeue ? " with DELAY_DEQUEUE" : ""));
      CHECK(rig.ks.busy(0) + rig.ks.busy(1) == total);
      for (int i = 0; i < n; ++i) CHECK(rig.owner.finished[i] >= 0);
      CHECK(worst <= 1 * kMs);
      if (p.delay_dequeue && ncpu < 8) CHECK(rig.ks.report(rig.engine.now())["delayed_dequeues"] > 0);
    }
  }
}

TEST_CASE("kernel: a context switch is CPU time of the thread switched in; a wake's latency stays futex_wake", "[kernel]") {
  SchedParams p = params(Policy::kEevdf, 700 * kUs, 4 * kMs);
  p.wake_latency = 2600;
  p.context_switch = 1000;
  {  // Alone: enqueued 1.6 us after the wake, 1 us of switch, then its 15 ms: done when it was without the cost.
    Rig rig(1, p);
    const auto t = rig.thread({10 * kMs, 5 * kMs});
    rig.ks.wake(t);
    rig.run();
    CHECK(rig.owner.started[t].front() == 1600);
    CHECK(rig.owner.finished[t] == 2600 + 15 * kMs);
    CHECK(rig.ks.busy(0) + rig.ks.busy(1) == 15 * kMs + 1000);
    CHECK(rig.ks.switch_time() == 1000);
  }
  {  // Two always-runnable threads on one CPU: every slice's switch costs 1 us more of the CPU.
    Rig rig(1, p);
    const auto a = rig.thread({20 * kMs}), b = rig.thread({20 * kMs});
    rig.ks.wake(a);
    rig.ks.wake(b);
    rig.run();
    const sim::Time switches = static_cast<sim::Time>(rig.ks.switches());
    CHECK(switches >= 8);  // slices of 0.7 ms end at the 4 ms ticks: ~10 turns
    CHECK(rig.ks.switch_time() == switches * 1000);
    CHECK(std::max(rig.owner.finished[a], rig.owner.finished[b]) == 1600 + 40 * kMs + switches * 1000);
    CHECK(rig.ks.busy(0) + rig.ks.busy(1) == 40 * kMs + switches * 1000);
  }
  {  // Random workloads on several CPUs: the work is done, and the CPU beyond it is the switches paid.
    for (std::size_t ncpu : {1, 3}) {
      Rig rig(ncpu, p);
      const sim::Time total = random_workload(rig, 7 + ncpu, 30);
      rig.engine.run(sim::kTimeMax, [&](const sim::Event& ev) { rig.wake_or_handle(ev); });
      CHECK(rig.ks.busy(0) + rig.ks.busy(1) == total + rig.ks.switch_time());
      CHECK(rig.ks.switch_time() <= static_cast<sim::Time>(rig.ks.switches()) * 1000);
      CHECK(rig.ks.switch_time() >= static_cast<sim::Time>(rig.ks.switches() - 30) * 1000);  // a last wake may block unpaid
    }
  }
}

TEST_CASE("kernel: a wake onto an idle CPU other than the waker's costs the waker kernel.wake_ipi", "[kernel]") {
  SchedParams p = params(Policy::kEevdf, 700 * kUs, 4 * kMs);
  p.wake_ipi = 7000;
  Rig rig(2, p);
  const auto waker = rig.thread({5 * kMs}), a = rig.thread({1 * kMs}), b = rig.thread({1 * kMs});
  rig.ks.wake(waker);
  rig.engine.run(10 * kUs, [&](const sim::Event& ev) { rig.wake_or_handle(ev); });  // the waker runs on a CPU
  REQUIRE(rig.ks.state(waker) == Kernel::State::kRunning);
  CHECK(rig.ks.wake(a, 0) == 0);              // no waker (a timer, an event): nobody pays
  CHECK(rig.ks.wake(a, 0, waker) == 0);        // not blocked any more: a no-op
  CHECK(rig.ks.wake(b, 0, waker) == 0);        // the other CPU is taken by a's wake-up now: b queues behind
  Rig idle(2, p);
  const auto w2 = idle.thread({5 * kMs}), c = idle.thread({1 * kMs});
  idle.ks.wake(w2);
  idle.engine.run(10 * kUs, [&](const sim::Event& ev) { idle.wake_or_handle(ev); });
  CHECK(idle.ks.wake(c, 0, w2) == 7000);       // the other CPU is idle: the IPI is the waker's
  CHECK(idle.ks.wake_ipis() == 1);
}

TEST_CASE("kernel: fair-class tunables scale with log2 of the CPU count, up to 8", "[kernel]") {
  CHECK(scale_for_cpus(700'000, 1) == 700'000);
  CHECK(scale_for_cpus(700'000, 2) == 1'400'000);  // 2 CPUs: 1.4 ms (/sys/kernel/debug/sched/base_slice_ns)
  CHECK(scale_for_cpus(700'000, 8) == 2'800'000);
  CHECK(scale_for_cpus(700'000, 64) == 2'800'000);
}

// ---- the tick's cost and NO_HZ (Documentation/timers/no_hz.rst) ----

TEST_CASE("kernel: tick_cost: with nohz=idle a compute-bound thread pays hz x tick_cost per second, with nohz=full alone on its CPU none", "[kernel][nohz]") {
  constexpr sim::Time kWork = 1 * sim::kSecond, kCost = 10 * kUs, kTick = 4 * kMs;  // HZ 250
  for (NoHz mode : {NoHz::kIdle, NoHz::kFull, NoHz::kOff}) {
    SchedParams p = params(Policy::kEevdf, 700 * kUs, kTick);
    p.nohz = mode;
    p.tick_cost = kCost;
    Rig rig(2, p);
    const auto a = rig.thread({kWork}), b = rig.thread({kWork});  // one thread per CPU
    rig.ks.wake(a);
    rig.ks.wake(b);
    rig.run();
    INFO("nohz " << static_cast<int>(mode));
    const auto tick_us = rig.ks.report(rig.engine.now())["tick_usec"].get<std::int64_t>();
    if (mode == NoHz::kFull) {
      CHECK(rig.owner.finished[a] == kWork);  // the tick stopped: not one nanosecond lost
      CHECK(rig.owner.finished[b] == kWork);
      CHECK(tick_us == 0);
    } else {
      // Work progresses tick - tick_cost per tick: 1 s / (1 - 250 x 10 us) = 1.002506 s; exactly, 250 whole
      // periods give 997.5 ms of work, the rest 2.5 ms starts after the 251st tick's handler.
      const sim::Time expect = 250 * kTick + kCost + 2500 * kUs;
      CHECK(rig.owner.finished[a] == expect);
      CHECK(rig.owner.finished[b] == expect);
      CHECK(static_cast<double>(expect - kWork) == Approx(250.0 * sim::to_seconds(expect) * kCost).epsilon(0.01));
      // CPU time includes the handlers (the kernel charges the tick to the running task).
      CHECK(rig.ks.busy(0) + rig.ks.busy(1) == 2 * expect);
      if (mode == NoHz::kIdle) CHECK(tick_us == 2 * (expect - kWork) / 1000);
      if (mode == NoHz::kOff) CHECK(tick_us == 2 * 251 * kCost / 1000);  // both CPUs take every tick until the end
    }
  }
}

TEST_CASE("kernel: nohz=full restarts the tick while a second task is queued on the CPU", "[kernel][nohz]") {
  constexpr sim::Time kCost = 20 * kUs, kTick = 4 * kMs;
  auto extra = [&](NoHz mode, sim::Time cost) {
    SchedParams p = params(Policy::kEevdf, 700 * kUs, kTick);
    p.nohz = mode;
    p.tick_cost = cost;
    Rig rig(1, p);
    const auto a = rig.thread({100 * kMs}), b = rig.thread({10 * kMs});
    rig.ks.wake(a);
    rig.run(30 * kMs);  // a alone: no tick under nohz=full
    rig.ks.wake(b);     // a second runnable task: the tick is back until b is done
    rig.run();
    return std::max(rig.owner.finished[a], rig.owner.finished[b]) - 110 * kMs;
  };
  const sim::Time full = extra(NoHz::kFull, kCost), idle = extra(NoHz::kIdle, kCost);
  INFO("full +" << full << " ns, idle +" << idle << " ns");
  CHECK(extra(NoHz::kFull, 0) == 0);
  CHECK(idle >= 27 * kCost);  // 110 ms of work: 27-28 ticks
  CHECK(idle <= 28 * kCost);
  CHECK(full > 0);            // the ticks while both were runnable (about 20 ms: 5-6 of them)
  CHECK(full <= 7 * kCost);
}

TEST_CASE("kernel: nohz=off: an idle CPU polls again after each tick, so a wake soon after one costs no idle_exit", "[kernel][nohz]") {
  for (NoHz mode : {NoHz::kIdle, NoHz::kOff}) {
    SchedParams p = params(Policy::kEevdf, 700 * kUs, 4 * kMs);
    p.nohz = mode;
    p.idle_exit = 40 * kUs;
    p.idle_poll = 200 * kUs;
    Rig rig(1, p);
    // Runs 1 ms, sleeps 7.05 ms: wakes at 8.05 ms, 7.05 ms after its CPU went idle but 50 us after a tick.
    const auto a = rig.thread({1 * kMs, -7050 * kUs, 1 * kMs});
    rig.ks.wake(a);
    rig.run();
    REQUIRE(rig.owner.started[a].size() == 2);
    INFO("nohz " << static_cast<int>(mode));
    CHECK(rig.owner.started[a][1] == 8050 * kUs + (mode == NoHz::kOff ? 0 : 40 * kUs));
  }
}

TEST_CASE("kernel: bad kernel.nohz and kernel.tick_cost values name the key", "[kernel][nohz]") {
  const std::string storm = testing::spawn_storm("go", 100);
  auto fails_on = [&](const std::vector<Override>& sets, const std::string& key) {
    try {
      testing::run_yaml(storm, sets);
    } catch (const ScenarioError& e) {
      CHECK(std::string(e.what()).find(key) != std::string::npos);
      return;
    }
    FAIL("no error for " << key);
  };
  fails_on({{"kernel.nohz", "sometimes"}}, "kernel.nohz");
  fails_on({{"kernel.tick_cost", "-1us"}}, "kernel.tick_cost");
  fails_on({{"kernel.tick_cost", "4ms"}}, "kernel.tick_cost");  // a whole tick at 250 Hz
  fails_on({{"kernel.tick_cost", "2ms"}, {"kernel.hz", "1000Hz"}}, "kernel.tick_cost");
  // Valid: the counter appears with a cost, and nohz=full on a 4-CPU storm charges less than nohz=idle.
  const auto idle = testing::run_yaml(storm, {{"kernel.tick_cost", "10us"}});
  const auto full = testing::run_yaml(storm, {{"kernel.tick_cost", "10us"}, {"kernel.nohz", "full"}});
  CHECK(testing::counter_u64(idle, "kernel", "tick_usec") > 0);
  CHECK(testing::counter_u64(full, "kernel", "tick_usec") <= testing::counter_u64(idle, "kernel", "tick_usec"));
}

// ---- NUMA (set_topology) ----

namespace {

// 2 nodes of ncpu / 2 CPUs: 0 .. ncpu/2 - 1 and the rest.
NumaTopology two_nodes(std::size_t ncpu) { return make_topology(ncpu, 2, 2, 90, 90, 140); }

// A thread started now on one of `cpus` (its affinity for the placement), then free to go anywhere.
std::uint32_t start_on(Rig& rig, const std::vector<std::uint32_t>& cpus, std::deque<sim::Time> bursts) {
  const std::uint32_t t = rig.thread(std::move(bursts));
  rig.ks.set_affinity(t, cpus);
  rig.ks.start_now(t);
  rig.ks.set_affinity(t, {});
  return t;
}

}  // namespace

TEST_CASE("kernel numa: a waking thread whose previous CPU is busy takes an idle CPU of its own node", "[kernel][numa]") {
  // 4 CPUs, nodes {0,1} {2,3}. `a` runs on CPU 1 and sleeps; a hog pinned to CPU 1 takes it meanwhile. When
  // `a` wakes, CPUs 0, 2 and 3 are idle: one node's scan from CPU 2 would take CPU 2.
  for (int numa = 0; numa < 3; ++numa) {
    Rig rig(4, params(Policy::kEevdf, 700 * kUs, 4 * kMs));
    if (numa > 0) rig.ks.set_topology(two_nodes(4));
    const auto a = rig.thread({1 * kMs, -2 * kMs, 1 * kMs});
    rig.ks.set_affinity(a, {1});
    rig.ks.wake(a);
    if (numa == 2) rig.ks.set_preferred_node(a, 1);
    const auto hog = rig.thread({100 * kMs});
    rig.ks.set_affinity(hog, {1});
    rig.run(1500 * kUs);  // a sleeps from 1 ms
    REQUIRE(rig.ks.state(a) == Kernel::State::kBlocked);
    rig.ks.set_affinity(a, {});
    rig.ks.wake(hog);
    rig.run(3500 * kUs);  // a woke at 3 ms
    INFO("numa " << numa);
    CHECK(rig.ks.state(a) == Kernel::State::kRunning);
    CHECK(rig.ks.cpu_of(hog) == 1);
    CHECK(rig.ks.cpu_of(a) == (numa == 0 ? 2u : numa == 1 ? 0u : 2u));  // numa 2: preferred node 1
    if (numa == 1) CHECK(rig.ks.report(rig.engine.now())["wakeups_cross_node"] == 0);
    if (numa == 2) CHECK(rig.ks.report(rig.engine.now())["wakeups_cross_node"] == 1);
  }
}

TEST_CASE("kernel numa: a newly idle CPU pulls from its own node first, across nodes only from an overloaded one", "[kernel][numa]") {
  // CPU 0 runs two threads, CPU 3 three; CPU 1's thread blocks after 100 us. One node: the busiest CPU (3)
  // gives. Two nodes: CPU 0 (same node) gives; with CPU 0 not overloaded, node 1 (3 threads on 2 CPUs) gives.
  for (int numa = 0; numa < 2; ++numa) {
    for (const bool cpu0_overloaded : {true, false}) {
      Rig rig(4, params(Policy::kEevdf, 700 * kUs, 4 * kMs));
      if (numa > 0) rig.ks.set_topology(two_nodes(4));
      std::vector<std::uint32_t> on0, on3;
      for (int i = 0; i < (cpu0_overloaded ? 2 : 1); ++i) on0.push_back(start_on(rig, {0}, {50 * kMs}));
      for (int i = 0; i < 3; ++i) on3.push_back(start_on(rig, {3}, {50 * kMs}));
      start_on(rig, {1}, {100 * kUs});
      rig.run(200 * kUs);
      INFO("numa " << numa << ", CPU 0 overloaded " << cpu0_overloaded);
      std::uint32_t from0 = 0, from3 = 0;
      for (auto t : on0) from0 += rig.ks.cpu_of(t) == 1;
      for (auto t : on3) from3 += rig.ks.cpu_of(t) == 1;
      const bool same_node = numa > 0 && cpu0_overloaded;
      CHECK(from0 == (same_node ? 1u : 0u));
      CHECK(from3 == (same_node ? 0u : 1u));
      CHECK(rig.ks.report(rig.engine.now())["migrations"] == 1);
      if (numa > 0) CHECK(rig.ks.report(rig.engine.now())["migrations_cross_node"] == (same_node ? 0 : 1));
    }
  }
}

TEST_CASE("kernel numa: the periodic balance crosses nodes only past the NUMA domain's imbalance_pct", "[kernel][numa]") {
  // 8 CPUs, nodes 0-3 and 4-7, every thread computing throughout. 9 threads against 8: 2304 against 2048 of
  // average load, within 117 %: nobody crosses. 12 against 8 (150 %): two cross, leaving 10 and 10.
  GroupSpec root;  // threads in the root cgroup: a CPU's load is its threads' weights
  root.root = true;
  for (const int heavy : {9, 12}) {
    Rig rig(8, params(Policy::kEevdf, 700 * kUs, 1 * kMs), {root});
    rig.ks.set_topology(two_nodes(8));
    std::vector<std::uint32_t> all;
    for (int i = 0; i < heavy; ++i) all.push_back(start_on(rig, {0, 1, 2, 3}, {200 * kMs}));
    for (int i = 0; i < 8; ++i) all.push_back(start_on(rig, {4, 5, 6, 7}, {200 * kMs}));
    rig.run(100 * kMs);
    std::uint32_t on_node0 = 0;
    for (auto t : all) on_node0 += rig.ks.node_of(rig.ks.cpu_of(t)) == 0;
    const auto rep = rig.ks.report(rig.engine.now());
    INFO(heavy << " threads on node 0: " << rep.dump());
    CHECK(rep["migrations"] > 0);  // the nodes balance within
    if (heavy == 9) {
      CHECK(rep["migrations_cross_node"] == 0);
      CHECK(on_node0 == 9);
    } else {
      CHECK(rep["migrations_cross_node"] == 2);
      CHECK(on_node0 == 10);
    }
  }
}

TEST_CASE("kernel: set_affinity moves a running, a queued and a waking thread at once, a blocked one at its wake-up", "[kernel][numa]") {
  Rig rig(3, params(Policy::kEevdf, 700 * kUs, 4 * kMs));
  const auto a = start_on(rig, {0}, {10 * kMs});
  const auto b = start_on(rig, {0}, {10 * kMs});  // queued behind a on CPU 0
  const auto c = rig.thread({10 * kMs});
  rig.run(1 * kMs);
  REQUIRE(rig.ks.cpu_of(a) == 0);
  REQUIRE(rig.ks.state(b) == Kernel::State::kRunnable);
  rig.ks.set_affinity(a, {2});  // running: the stopper pushes it off CPU 0 at this instant
  CHECK(rig.ks.cpu_of(a) == 0);
  rig.run(1 * kMs);
  CHECK(rig.ks.cpu_of(a) == 2);
  CHECK(rig.ks.state(a) == Kernel::State::kRunning);
  CHECK(rig.ks.state(b) == Kernel::State::kRunning);  // b takes CPU 0
  rig.ks.set_affinity(b, {1});  // running again: to the idle CPU 1
  rig.run(1 * kMs);
  CHECK(rig.ks.cpu_of(b) == 1);
  rig.ks.set_affinity(c, {1});  // blocked: wakes inside its mask, behind b
  rig.ks.wake(c);
  rig.run(2 * kMs);
  CHECK(rig.ks.cpu_of(c) == 1);
  rig.run();
  CHECK(rig.owner.finished[a] == 10 * kMs);  // 1 ms on CPU 0 and 9 on CPU 2, never waiting
  CHECK(rig.ks.busy(0) + rig.ks.busy(1) == 30 * kMs);
  CHECK(rig.ks.report(rig.engine.now())["migrations"] == 2);
  rig.ks.check_invariants();
}

TEST_CASE("kernel numa: one node changes nothing; two nodes keep the work conserved", "[kernel][numa]") {
  for (Policy pol : {Policy::kEevdf, Policy::kCfs}) {
    for (std::size_t ncpu : {2, 4, 8}) {
      auto run = [&](int nodes, std::vector<sim::Time>& finished, nlohmann::ordered_json& rep) {
        Rig rig(ncpu, params(pol, 700 * kUs, 1 * kMs));
        if (nodes == 1) rig.ks.set_topology(make_topology(ncpu, 1, 1, 90, 90, 90));
        if (nodes == 2) rig.ks.set_topology(two_nodes(ncpu));
        const sim::Time total = random_workload(rig, ncpu, 40);
        rig.engine.run(sim::kTimeMax, [&](const sim::Event& ev) { rig.wake_or_handle(ev); });
        CHECK(rig.ks.busy(0) + rig.ks.busy(1) == total);
        finished = rig.owner.finished;
        rep = rig.ks.report(rig.engine.now());
      };
      std::vector<sim::Time> f0, f1, f2;
      nlohmann::ordered_json r0, r1, r2;
      run(0, f0, r0);
      run(1, f1, r1);
      run(2, f2, r2);
      INFO(ncpu << " CPUs, " << (pol == Policy::kEevdf ? "eevdf" : "cfs"));
      CHECK(f1 == f0);
      CHECK(r1.dump() == r0.dump());
      CHECK(!r0.contains("migrations_cross_node"));
      CHECK(r2.contains("migrations_cross_node"));
      CHECK(r2["node_cpu_usec"].size() == 2);
      for (sim::Time f : f2) CHECK(f >= 0);
    }
  }
}

TEST_CASE("kernel: numactl.cpunodebind binds the process's threads within its cpuset; an empty binding names the key", "[kernel][numa]") {
  const std::string base = "machine: {cpus: 4, numa: {nodes: [[0, 1], [2, 3]]}}\nruntime: {model: go}\n"
                           "workload: {classes: {a: {arrivals: {process: initial, count: 1}, program: [{compute: 1ms}]}}}\n";
  const kernel::KernelConfig k = kernel_config(load_scenario(base, "<text>", {{"numactl.cpunodebind", "1"}}));
  CHECK(k.groups[0].affinity == std::vector<std::uint32_t>{2, 3});
  CHECK(k.topology.nodes() == 2);
  const kernel::KernelConfig k2 = kernel_config(load_scenario(base, "<text>", {{"numactl.cpunodebind", "1"}, {"cgroup.cpuset.cpus", "1-2"}}));
  CHECK(k2.groups[0].affinity == std::vector<std::uint32_t>{2});
  sim::Engine engine;
  Owner owner;
  Kernel ks(engine, owner, 4, SchedParams{}, 100, k2.groups);
  CHECK(ks.process_cpus() == std::vector<std::uint32_t>{2});
  CHECK(kernel_config(load_scenario(base, "<text>")).groups[0].affinity.empty());
  try {
    kernel_config(load_scenario(base, "<text>", {{"numactl.cpunodebind", "1"}, {"cgroup.cpuset.cpus", "0-1"}}));
    FAIL("no error");
  } catch (const ScenarioError& e) {
    CHECK_THAT(e.what(), Catch::Contains("numactl.cpunodebind"));
  }
}

// ---- placement and balance details (balance.cpp) ----

TEST_CASE("kernel: SIS_UTIL: with the LLC busy a thread woken onto its busy previous CPU stays there", "[kernel]") {
  // 6 CPUs, five hogs pinned to CPUs 0-4 for 300 ms: util_avg there nears 1024, the LLC's average x ~840,
  // so update_idle_cpu_scan's nr_idle_scan = 6 (1024 - 840^2 117^2 / 10^7 / 1024) / 1024 = 0: no CPU is
  // scanned and `a`, whose previous CPU is 0, queues there although CPU 5 idles. Without SIS_UTIL the scan
  // finds CPU 5.
  for (const bool sis : {true, false}) {
    SchedParams p = params(Policy::kEevdf, 700 * kUs, 4 * kMs);
    p.sis_util = sis;
    Rig rig(6, p);
    const auto a = start_on(rig, {0}, {100 * kUs, -250 * kMs, 1 * kMs});
    for (std::uint32_t c = 0; c < 5; ++c) start_on(rig, {c}, {300 * kMs});
    rig.run(250 * kMs + 150 * kUs);  // a's sleep ends at 250.1 ms
    INFO("sis_util " << sis);
    REQUIRE(rig.ks.state(a) != Kernel::State::kBlocked);
    CHECK(rig.ks.cpu_of(a) == (sis ? 0u : 5u));
    CHECK(rig.ks.report(rig.engine.now())["wakeups_stacked"] == (sis ? 1 : 0));
  }
}

TEST_CASE("kernel: a newly idle CPU does not pull a cache-hot thread; the next tick's balance does", "[kernel]") {
  // CPU 0: `a` runs to the 4 ms tick, then the hog; `a` waits there from 4 ms. CPU 1's thread blocks at
  // 4.1 ms: `a` left its CPU 0.1 ms ago, less than sched_migration_cost, so the newly idle balance leaves
  // it (task_hot). The balances that the busy CPU's ticks kick find the thread the tick just put back hot
  // too, until the domain has failed more than cache_nice_tries (1) times: at 16 ms one of them moves.
  // With the cost at 0 `a` moves at 4.1 ms.
  for (const sim::Time cost : {500 * kUs, sim::Time{0}}) {
    SchedParams p = params(Policy::kEevdf, 700 * kUs, 4 * kMs);
    p.migration_cost = cost;
    Rig rig(2, p);
    const auto a = start_on(rig, {0}, {40 * kMs});
    const auto hog = start_on(rig, {0}, {40 * kMs});
    start_on(rig, {1}, {4100 * kUs});
    rig.run(4200 * kUs);
    INFO("migration_cost " << cost);
    CHECK(rig.ks.cpu_of(a) == (cost > 0 ? 0u : 1u));
    if (cost == 0) continue;
    rig.run(15 * kMs);
    CHECK(rig.ks.cpu_of(a) == rig.ks.cpu_of(hog));
    rig.run(16100 * kUs);
    CHECK(rig.ks.cpu_of(a) != rig.ks.cpu_of(hog));
  }
}

TEST_CASE("kernel: the idle balancer a tick kicks runs once the halted idle CPU is out of idle", "[kernel]") {
  // CPU 0: `a` runs 100 us and blocks, the hog runs on. At 2 ms the hog wakes `a` (cold), which wake_pack
  // keeps on CPU 0 although CPU 1 has idled since the start. The busy CPU's 4 ms tick kicks the idle
  // balancer on CPU 1 (nohz_balancer_kick -> kick_ilb): an IPI to a halted CPU, whose balance runs
  // kernel.idle_exit later, after the tick's own work on CPU 0. With idle_exit 0 the balance would come
  // before the tick's switch and move the thread that had waited.
  for (const sim::Time exit : {40 * kUs, sim::Time{0}}) {
    SchedParams p = params(Policy::kEevdf, 700 * kUs, 4 * kMs);
    p.wake_pack = 1;
    p.idle_exit = exit;
    p.idle_poll = 200 * kUs;
    Rig rig(2, p);
    rig.ks.start_processes({}, sim::RngStreams(1));
    const auto a = start_on(rig, {0}, {100 * kUs});
    const auto hog = start_on(rig, {0}, {40 * kMs});
    rig.engine.schedule_at(2 * kMs, sim::kBandDefault, 1, a);
    const auto step = [&](sim::Time until) {
      rig.engine.run(until, [&](const sim::Event& ev) {
        if (ev.kind != 1) return rig.ks.handle(ev);
        rig.owner.bursts[a].push_back(20 * kMs);  // woken for 20 ms of work
        rig.ks.wake(a, 0, hog);
      });
    };
    INFO("idle_exit " << exit);
    step(4 * kMs + exit - 1);
    CHECK(rig.ks.report(rig.engine.now())["wakeups_packed"] == 1);
    CHECK(rig.ks.cpu_of(a) == 0u);
    CHECK(rig.ks.cpu_of(hog) == 0u);
    step(4 * kMs + exit + 1);
    if (exit > 0) {
      // The tick switched the two at 4 ms (the slice of the one running was over): the one it put back
      // is cache hot when the balance looks, and so at the next tick; the domain's failures then pass
      // cache_nice_tries (1), and the third kick moves it.
      CHECK(rig.ks.cpu_of(a) == rig.ks.cpu_of(hog));
      step(12 * kMs + exit - 1);
      CHECK(rig.ks.cpu_of(a) == rig.ks.cpu_of(hog));
      step(12 * kMs + exit + 1);
    }
    CHECK(rig.ks.cpu_of(a) != rig.ks.cpu_of(hog));
  }
}

TEST_CASE("kernel: wake_pack and wake_pack_remote queue a wakee behind its waker although another CPU idles", "[kernel]") {
  // `a` runs 100 us on CPU `a_on` and blocks; `w` runs on CPU 0. At 300 us (a is cache hot) or 2 ms (cold)
  // `w` wakes `a` for 1 ms of work. `a` last ran on CPU 0: mainline placement takes the idle CPU 1;
  // wake_pack_hot = 1 keeps a hot wakee on CPU 0, wake_pack = 1 a cold one too. `a` last ran on CPU 1, which
  // idles: mainline (wake_affine_idle, select_idle_sibling) keeps it; wake_pack_remote = 1 queues `a` on
  // CPU 0 beside `w`. Packed, the two share CPU 0 and one of them waits.
  struct Case { double hot, cold, remote; std::uint32_t a_on; sim::Time at; std::uint32_t cpu; };
  for (const Case& k : {Case{0, 0, 0, 0, 300 * kUs, 1}, Case{1, 0, 0, 0, 300 * kUs, 0}, Case{1, 0, 0, 0, 2 * kMs, 1},
                        Case{1, 1, 0, 0, 2 * kMs, 0}, Case{0, 0, 0, 1, 2 * kMs, 1}, Case{0, 0, 1, 1, 2 * kMs, 0}}) {
    SchedParams p = params(Policy::kEevdf, 700 * kUs, 4 * kMs);
    p.wake_pack_hot = k.hot;
    p.wake_pack = k.cold;
    p.wake_pack_remote = k.remote;
    Rig rig(2, p);
    rig.ks.start_processes({}, sim::RngStreams(1));
    const auto a = start_on(rig, {k.a_on}, {100 * kUs});
    const auto w = start_on(rig, {0}, {10 * kMs});
    rig.engine.schedule_at(k.at, sim::kBandDefault, 1, a);  // kind 1: `w` wakes `a`
    std::uint32_t placed = Kernel::kNone;
    rig.engine.run(k.at, [&](const sim::Event& ev) {
      if (ev.kind != 1) return rig.ks.handle(ev);
      REQUIRE(rig.ks.cpu_of(w) == 0u);
      REQUIRE(rig.ks.state(a) == Kernel::State::kBlocked);
      rig.owner.bursts[a].push_back(1 * kMs);
      rig.ks.wake(a, 0, w);
      placed = rig.ks.cpu_of(a);
    });
    INFO("pack " << k.hot << "/" << k.cold << "/" << k.remote << ", a on CPU " << k.a_on << ", at " << k.at);
    CHECK(placed == k.cpu);
    const bool one_waits = rig.ks.state(a) == Kernel::State::kRunnable || rig.ks.state(w) == Kernel::State::kRunnable;
    CHECK(one_waits == (k.cpu == 0));
    CHECK(rig.ks.report(rig.engine.now())["wakeups_packed"] == (k.cpu == 0 ? 1 : 0));
  }
}

TEST_CASE("kernel: a sleeper woken by the thread its own block switches to is not woken again by its timer", "[kernel]") {
  // One CPU. `a` runs, `b` waits behind it with no burst. `a` sleeps 100 us: its block switches to `b`, whose
  // owner at once ends a's sleep (a notewakeup, a ready fd). `a` runs again and blocks for good; the timer of
  // the sleep that was ended must not wake it at 100 us (before the timer was armed ahead of the block, it did).
  struct WakeOnSwitch final : ThreadOwner {
    Kernel* ks = nullptr;
    std::uint32_t a = 0, b = 1;
    int a_runs = 0, b_runs = 0;
    void on_burst_done(std::uint32_t tid) override {
      if (tid == a) {
        ++a_runs;
        if (a_runs == 1) return ks->run_for(a, 50 * kUs, BurstKind{0});
        if (a_runs == 2) return ks->sleep(a, 100 * kUs);
        return ks->block(a);  // woken early: blocks with no timer
      }
      if (++b_runs == 1) {
        ks->interrupt_sleep(a, b);  // as the go model's wake_thread: end a timed sleep, or wake a blocked thread
        ks->wake(a, 0, b);
        return ks->run_for(b, 10 * kUs, BurstKind{0});
      }
      ks->block(b);
    }
  };
  sim::Engine engine;
  WakeOnSwitch owner;
  Kernel ks(engine, owner, 1, params(Policy::kEevdf, 700 * kUs, 4 * kMs), 100, {GroupSpec{}});
  owner.ks = &ks;
  owner.a = ks.create_thread(0);
  owner.b = ks.create_thread(0);
  ks.start_processes({}, sim::RngStreams(1));
  ks.start_now(owner.a);
  ks.start_now(owner.b);
  engine.run(1 * kMs, [&](const sim::Event& ev) { ks.handle(ev); });
  CHECK(owner.b_runs == 2);
  CHECK(owner.a_runs == 3);
  CHECK(ks.state(owner.a) == Kernel::State::kBlocked);
}

TEST_CASE("kernel: DELAY_DEQUEUE: a wakee that ran briefly beside its waker preempts it when next woken; 6.6's EEVDF never", "[kernel]") {
  // One CPU. A sleeps 2 ms, wakes on the idle CPU, wakes B, returns from the futex call (5 us) and sleeps 1 ms,
  // round after round; B runs `b_run` each time it is woken. Counted: rounds in which B ran before A's
  // return from the wake-up. Without DELAY_DEQUEUE B (lag 0) never preempts a waker within its slice. With
  // it, A sleeps ineligible behind the not yet run B, stays queued, and B, sleeping beside it after a short
  // run, keeps a positive lag and preempts A at the next wake-up; a B that ran 100 us does not. The same C
  // probe on the project's VM (Linux 6.18; validation/tools/wake_preempt.c): 77 % (B ~2 us), 22 % (10 us),
  // 2 % (100 us); with A running 2 ms first, past its slice, 88 % even for B of 100 us.
  struct Rounds final : ThreadOwner {
    Kernel* ks = nullptr;
    std::uint32_t a = 0, b = 1;
    sim::Time a_run = 0, b_run = 0;
    int phase = 0, rounds = 0, preempted = 0;
    bool b_ran = true;
    void on_burst_done(std::uint32_t tid) override {
      if (tid == b) {
        if (b_ran) return ks->block(b);
        b_ran = true;
        return ks->run_for(b, b_run, BurstKind{0});
      }
      switch (phase) {
        case 0: phase = 1; return ks->sleep(a, 2 * kMs);
        case 1: phase = 2; if (a_run > 0) return ks->run_for(a, a_run, BurstKind{0}); [[fallthrough]];
        case 2: phase = 3; b_ran = false; ks->wake(b, 0, a); return ks->run_for(a, 5 * kUs, BurstKind{0});
        default: phase = 0; ++rounds; preempted += b_ran; return ks->sleep(a, 1 * kMs);
      }
    }
  };
  struct Case { bool delay; sim::Time a_run, b_run; int lo, hi; };  // preempted rounds, percent
  for (const Case& k : {Case{false, 0, 2 * kUs, 0, 0}, Case{false, 0, 100 * kUs, 0, 0}, Case{true, 0, 2 * kUs, 40, 90},
                        Case{true, 0, 100 * kUs, 0, 5}, Case{true, 2 * kMs, 100 * kUs, 80, 100}}) {
    SchedParams p = params(Policy::kEevdf, 1400 * kUs, 4 * kMs);
    p.delay_dequeue = k.delay;
    sim::Engine engine;
    Rounds owner;
    Kernel ks(engine, owner, 1, p, 100, {GroupSpec{}});
    owner.ks = &ks;
    owner.a = ks.create_thread(0);
    owner.b = ks.create_thread(0);
    owner.a_run = k.a_run;
    owner.b_run = k.b_run;
    ks.start_processes({}, sim::RngStreams(1));
    ks.start_now(owner.a);
    engine.run(500 * kMs, [&](const sim::Event& ev) {
      ks.handle(ev);
      ks.check_invariants();
    });
    INFO("delay_dequeue " << k.delay << ", A runs " << k.a_run << " ns, B " << k.b_run << " ns: " << owner.preempted << " of " << owner.rounds);
    REQUIRE(owner.rounds > 90);
    CHECK(100 * owner.preempted >= k.lo * owner.rounds);
    CHECK(100 * owner.preempted <= k.hi * owner.rounds);
  }
}

TEST_CASE("kernel: a timer's expiry wakes the sleeper from its previous CPU; wake_pack keeps it there", "[kernel]") {
  // `a` runs 100 us on CPU 0 and sleeps 200 us; `w` runs there meanwhile. The hrtimer fires on CPU 0 and
  // interrupts `w`: with wake_pack_hot = 1 the (cache-hot) sleeper queues behind `w`; with mainline placement
  // it takes the idle CPU 1.
  for (const double hot : {1.0, 0.0}) {
    SchedParams p = params(Policy::kEevdf, 700 * kUs, 4 * kMs);
    p.wake_pack_hot = hot;
    Rig rig(2, p);
    rig.ks.start_processes({}, sim::RngStreams(1));
    const auto a = start_on(rig, {0}, {100 * kUs, -200 * kUs, 1 * kMs});
    const auto w = start_on(rig, {0}, {10 * kMs});
    rig.run(350 * kUs);
    INFO("wake_pack_hot " << hot);
    CHECK(rig.ks.cpu_of(w) == 0u);
    CHECK(rig.ks.cpu_of(a) == (hot > 0 ? 0u : 1u));
    CHECK(rig.ks.state(a) == (hot > 0 ? Kernel::State::kRunnable : Kernel::State::kRunning));
  }
}
