// Behaviour of the go model that must emerge from its mechanisms (not from tuned constants).
#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>

#include "models/go/proc.h"
#include "models/output/output.h"
#include "models/run/trace_events.h"
#include "models/testing/builders.h"
#include "models/testing/run_helpers.h"

using namespace gmpsim;
using namespace gmpsim::models;
using testing::Recorder;
using testing::run_yaml;

namespace {

const std::string kSpawnStorm = testing::spawn_storm("go", 20000);

// Short requests from the network on 16 Ps at about half load: many spinning Ms.
const std::string kOpen16 =
    "machine: {cpus: 16}\n"
    "runtime: {model: go, gomaxprocs: 16, arrivals: netpoll, connections: 512}\n"
    "workload:\n"
    "  classes:\n"
    "    request:\n"
    "      arrivals: {process: poisson, rate: 200000/s}\n"
    "      program: [{compute: {dist: exponential, mean: 20us}}, {net_wait: 300us}, {compute: 20us}]\n"
    "run: {duration: 300ms, warmup: 50ms}\n";

}  // namespace

TEST_CASE("go: with GOMAXPROCS=1, global arrivals, no runnext and zero costs it is an M/M/1 queue", "[go]") {
  const double seconds = testing::kSanitized ? 200 : 2000;
  const RunResult go = run_yaml(testing::mm1_zero_cost("go", 800, seconds));
  const RunResult fifo = run_yaml(testing::mm1_zero_cost("fifo", 800, seconds));
  CHECK(go.outcome.status == OutcomeStatus::kCompleted);
  // The same arrivals and service times: the mean sojourn matches fifo; the order of service may differ
  // (schedtick % 61 takes from the global queue ahead of older local work), so the percentiles may not.
  const auto& ci = go.classes[0].latency.mean_ci;
  const double analytic_ns = 1e6 / (1 - 0.8);  // M/M/1: W = 1 / (mu - lambda) = 5 ms
  INFO("go mean " << ci.mean << " +- " << ci.half_width << " ns, fifo mean " << fifo.classes[0].latency.latency.mean());
  CHECK(ci.low() <= analytic_ns);
  CHECK(analytic_ns <= ci.high());
  CHECK(go.classes[0].latency.latency.mean() == Approx(fifo.classes[0].latency.latency.mean()).epsilon(1e-9));
  CHECK(go.goroutines_completed == fifo.goroutines_completed);
}

TEST_CASE("go: a spawn storm from one goroutine is spread over every P by stealing", "[go]") {
  const RunResult r = run_yaml(kSpawnStorm);
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  CHECK(r.goroutines_completed == 20001);
  CHECK(r.model_counters["steals"].get<std::uint64_t>() > 0);
  CHECK(r.model_counters["threads_created"] == 5);  // M0, sysmon and an M for each other P
  // 400 ms of worker compute on 4 CPUs: close to 100 ms when all four take part.
  CHECK(sim::to_seconds(r.simulated_ns) < 0.13);
  for (double busy : r.cpu_busy) CHECK(busy > 0.5);
}

TEST_CASE("go: go statements run one after another on the spawner's CPU; a G exists once its statement ran", "[go]") {
  // main runs 20 000 go statements with nothing between them. Each costs newproc (1 us here) on main's M,
  // so the loop takes 20 ms, and with three more Ps the children run (and exit) while it goes on: the
  // goroutines alive at once stay far below 20 000, and no child starts before its statement ended.
  const std::string yaml = R"(
machine: {cpus: 4}
runtime: {model: go, gomaxprocs: 4, cost: {newproc: 1us}}
workload:
  classes:
    main:
      arrivals: {process: initial, count: 1}
      program: [{wg_add: {wg: all, n: 20000}}, {repeat: {count: 20000, steps: [{spawn: worker}]}}, {wg_wait: all}]
    worker: {program: [{compute: 1us}, {wg_done: all}]}
run: {duration: 10s}
)";
  const RunResult r = run_yaml(yaml);
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  CHECK(r.goroutines_completed == 20001);
  CHECK(r.simulated_ns >= 20000 * 1000);
  CHECK(r.goroutines_peak_live < 2000);
  // One spawn step of 20 000 statements is the same loop: its statements are paid one by one too.
  std::string one = yaml;
  const std::string loop = "{repeat: {count: 20000, steps: [{spawn: worker}]}}";
  one.replace(one.find(loop), loop.size(), "{spawn: {class: worker, count: 20000}}");
  const RunResult s = run_yaml(one);
  REQUIRE(s.outcome.status == OutcomeStatus::kCompleted);
  CHECK(s.goroutines_completed == 20001);
  CHECK(s.simulated_ns >= 20000 * 1000);
  CHECK(s.goroutines_peak_live < 2000);
}

namespace {

// main spawns 20 000 children that each do wg.Done, on `procs` Ps of two CPUs.
RunResult spawn_20k(int procs, const std::string& xfer, const std::vector<Override>& sets = {}) {
  return run_yaml(R"(
machine: {cpus: 2}
runtime: {model: go, gomaxprocs: )" + std::to_string(procs) + R"(}
kernel: {cache_line_transfer: )" + xfer + R"(}
workload:
  classes:
    main:
      arrivals: {process: initial, count: 1}
      program: [{wg_add: {wg: all, n: 20000}}, {repeat: {count: 20000, steps: [{spawn: worker}]}}, {wg_wait: all}]
    worker: {program: [{compute: 50ns}, {wg_done: all}]}
run: {duration: 10s}
)", sets);
}

}  // namespace

TEST_CASE("go: a G created on one CPU and run on another moves its cache lines; on one P nothing moves", "[go]") {
  // On one P every G is made, run and freed on one CPU: no line changes CPU. On two Ps the children run
  // (and exit) on the other CPU: main's newproc pulls the dead G's lines back (runtime.cache_lines.newproc),
  // the child's execute pulls them over (runtime.cache_lines.execute), and the WaitGroup's line goes back
  // and forth.
  auto with = [](int procs, const char* xfer) { return spawn_20k(procs, xfer); };
  const RunResult one = with(1, "100ns"), two = with(2, "100ns"), free_lines = with(2, "0ns");
  for (const RunResult* r : {&one, &two, &free_lines}) REQUIRE(r->outcome.status == OutcomeStatus::kCompleted);
  CHECK(one.model_counters["cache_line_transfers"].get<std::uint64_t>() < 100);  // sysmon's M aside
  const auto moved = two.model_counters["cache_line_transfers"].get<std::uint64_t>();
  CHECK(moved > 20000 * 2);  // at least the newproc side for most children
  // main's loop is the critical path: each statement waits for its 2 misses, 200 ns.
  CHECK(static_cast<double>(two.simulated_ns - free_lines.simulated_ns) > 0.8 * 20000 * 200);
}

TEST_CASE("go: a thief's runqgrab takes the spawner's run-queue line; the spawner's next put pays for it", "[go]") {
  // main spawns 20 000 children. On two Ps the other P's M steals from main's ring (runqgrab's CAS on its
  // runqhead): main's next runqput waits for the line to come back (runtime.cache_lines.runq, one
  // kernel.cache_line_transfer of 100 ns), once per steal. On one P nobody steals and nothing changes.
  auto with = [](int procs, const char* lines) { return spawn_20k(procs, "100ns", {{"runtime.cache_lines.runq", lines}}); };
  const RunResult one = with(1, "1"), one_off = with(1, "0"), two = with(2, "1"), two_off = with(2, "0");
  for (const RunResult* r : {&one, &one_off, &two, &two_off}) REQUIRE(r->outcome.status == OutcomeStatus::kCompleted);
  CHECK(one.simulated_ns == one_off.simulated_ns);
  CHECK(one.fingerprint == one_off.fingerprint);
  const auto counter = [](const RunResult& r, const char* k) { return r.model_counters[k].get<std::uint64_t>(); };
  const std::uint64_t steals = counter(two, "steals");
  INFO("steals " << steals << ", transfers " << counter(two, "cache_line_transfers") << " against "
                 << counter(two_off, "cache_line_transfers") << ", makespan " << two.simulated_ns << " against "
                 << two_off.simulated_ns << " ns");
  REQUIRE(steals > 2000);
  // main pays one line after each steal (the thief's own ring is its own line unless stolen from in turn).
  const std::uint64_t extra = counter(two, "cache_line_transfers") - counter(two_off, "cache_line_transfers");
  CHECK(extra >= steals * 9 / 10);
  CHECK(extra <= steals * 3 / 2 + 200);
  // main's loop is the critical path: its statements after a steal take 100 ns longer.
  CHECK(static_cast<double>(two.simulated_ns - two_off.simulated_ns) > 0.8 * static_cast<double>(steals) * 100);
}

TEST_CASE("go: goroutines made long before they run are out of the last-level cache and pay runtime.cost.g_cold", "[go]") {
  // One P; main makes BATCH children, waits for them, and again, 40 000 in all (validation/go/spawn -batch).
  // (Page faults off: the first batch's fresh g structs and stacks would dominate.) With 1 MiB of cache
  // (1638 Gs of 640 B) a batch of 8000 leaves every child's lines to be fetched again
  // when it runs and when newproc reuses it: ~2 cold touches per goroutine, 2 x g_cold more per goroutine
  // than batches of 200. Over two Ps that run the children as they are made nothing is cold.
  const std::string yaml = R"(
machine: {cpus: 2}
runtime: {model: go, gomaxprocs: PROCS}
kernel: {cache_reach: 1MiB, page_fault: 0ns}
workload:
  classes:
    main:
      arrivals: {process: initial, count: 1}
      program:
        - repeat: {count: ROUNDS, steps: [{wg_add: {wg: all, n: BATCH}}, {repeat: {count: BATCH, steps: [{spawn: worker}]}}, {wg_wait: all}]}
    worker: {program: [{compute: 20ns}, {wg_done: all}]}
run: {duration: 10s}
)";
  auto with = [&](int procs, int batch, const char* cold) {
    std::string y = yaml;
    y.replace(y.find("PROCS"), 5, std::to_string(procs));
    y.replace(y.find("ROUNDS"), 6, std::to_string(40000 / batch));
    for (std::size_t at; (at = y.find("BATCH")) != std::string::npos;) y.replace(at, 5, std::to_string(batch));
    return run_yaml(y, {{"runtime.cost.g_cold", cold}});
  };
  const RunResult small = with(1, 200, "300ns"), big = with(1, 8000, "300ns"), off = with(1, 8000, "0ns"),
                  spread = with(2, 8000, "300ns");
  for (const RunResult* r : {&small, &big, &off, &spread}) REQUIRE(r->outcome.status == OutcomeStatus::kCompleted);
  const auto cold = [](const RunResult& r) { return static_cast<double>(r.model_counters.at("g_cold_touches").get<std::uint64_t>()) / 40000; };
  const auto per_g = [](const RunResult& r) { return static_cast<double>(r.simulated_ns) / 40000; };
  INFO("cold touches per goroutine: batch 200 " << cold(small) << ", 8000 " << cold(big) << ", two Ps " << cold(spread)
       << "; ns per goroutine " << per_g(small) << " / " << per_g(big) << " / g_cold 0: " << per_g(off));
  CHECK(cold(small) < 0.01);
  // The first batch's newproc makes fresh Gs (malg), and the free list hands back the last Gs to exit
  // first (gfget pops what gfput pushed), which are still cached.
  CHECK(cold(big) > 1.4);
  CHECK(cold(big) <= 2.0);
  CHECK(cold(off) == 0);
  CHECK(per_g(big) - per_g(off) == Approx(300 * cold(big)).epsilon(0.1));
  CHECK(per_g(off) == Approx(per_g(small)).epsilon(0.15));  // without the mechanism, batching costs ~nothing
  CHECK(cold(spread) < 0.05);
}

TEST_CASE("go: waking a parked M's thread onto an idle CPU costs the waker kernel.wake_ipi", "[go][kernel]") {
  // A goroutine that starts a worker every millisecond on 4 idle Ps: each go statement's wakep wakes an M.
  const std::string yaml =
      "machine: {cpus: 4}\n"
      "runtime: {model: go, gomaxprocs: 4}\n"
      "workload:\n"
      "  classes:\n"
      "    main: {arrivals: {process: initial, count: 1}, program: [{repeat: {count: 500, steps: [{spawn: worker}, {sleep: 1ms}]}}]}\n"
      "    worker: {program: [{compute: 20us}]}\n"
      "run: {duration: 2s}\n";
  const RunResult none = run_yaml(yaml, {{"kernel.wake_ipi", "0ns"}});
  const RunResult ipi = run_yaml(yaml, {{"kernel.wake_ipi", "20us"}});
  const auto runtime_s = [](const RunResult& r) { return r.cpu_runtime * sim::to_seconds(r.window_ns) * 4; };
  const double wakes = ipi.model_counters.at("kernel").at("wake_ipis").get<double>();
  CHECK(wakes >= 500);  // at least one a go statement
  CHECK(none.model_counters.at("kernel").at("wake_ipis").get<double>() >= 500);  // counted even when free
  // The runtime's CPU grows by what the wakers paid, and the goroutines' work stays what it was.
  CHECK(runtime_s(ipi) - runtime_s(none) == Approx(wakes * 20e-6).epsilon(0.05));
  CHECK(ipi.cpu_utilization * sim::to_seconds(ipi.window_ns) == Approx(none.cpu_utilization * sim::to_seconds(none.window_ns)).epsilon(0.01));
}

TEST_CASE("go: a netpollBreak costs the writing M the eventfd write and the poller thread's wake-up IPI", "[go][kernel]") {
  // GOMAXPROCS 2 on 4 CPUs. A waits on the network, so an idle M blocks in epoll_wait; B's short sleeps put
  // timers earlier than that poller's deadline, so the M that parks B (or finds B's timer) breaks the poll.
  const std::string yaml =
      "machine: {cpus: 4}\n"
      "runtime: {model: go, gomaxprocs: 2}\n"
      "workload:\n"
      "  classes:\n"
      "    a: {arrivals: {process: initial, count: 1}, program: [{repeat: {count: 200, steps: [{net_wait: 5ms}, {compute: 20us}]}}]}\n"
      "    b: {arrivals: {process: initial, count: 1}, program: [{repeat: {count: 1000, steps: [{compute: 30us}, {sleep: 200us}]}}]}\n"
      "run: {duration: 3s}\n";
  const RunResult none = run_yaml(yaml, {{"kernel.wake_ipi", "0ns"}});
  const RunResult ipi = run_yaml(yaml, {{"kernel.wake_ipi", "20us"}});
  REQUIRE(ipi.outcome.status == OutcomeStatus::kCompleted);
  const double breaks = ipi.model_counters.at("netpoll").at("breaks").get<double>();
  const double wakes = ipi.model_counters.at("kernel").at("wake_ipis").get<double>();
  CHECK(breaks >= 500);
  CHECK(wakes >= breaks);
  // The breaks change who polls when (none: 4), so the runs differ in more than the IPIs: the runtime's CPU
  // (spinning included) with them is at least what they cost, and beyond that no more than the runtime
  // used without them (nothing charged twice).
  const auto runtime_s = [](const RunResult& r) { return (r.cpu_runtime + r.cpu_spinning) * sim::to_seconds(r.window_ns) * 4; };
  const double paid = wakes * 20e-6;
  CHECK(runtime_s(ipi) >= paid);
  CHECK(runtime_s(ipi) - paid <= 1.5 * runtime_s(none));
  // The goroutines' work is what it was.
  CHECK(ipi.cpu_utilization * sim::to_seconds(ipi.window_ns) == Approx(none.cpu_utilization * sim::to_seconds(none.window_ns)).epsilon(0.01));
}

TEST_CASE("go: a long spawn step is preempted between go statements and resumes with the rest", "[go]") {
  // GOMAXPROCS=1: main's 50 000 statements of 1 us take 50 ms; sysmon preempts it every 10 ms, the children
  // queued so far run, and main goes on where it stopped: every child is created exactly once.
  const std::string yaml = R"(
machine: {cpus: 1}
runtime: {model: go, gomaxprocs: 1, cost: {newproc: 1us}}
workload:
  classes:
    main:
      arrivals: {process: initial, count: 1}
      program: [{wg_add: {wg: all, n: 50000}}, {spawn: {class: worker, count: 50000}}, {wg_wait: all}]
    worker: {program: [{compute: 100ns}, {wg_done: all}]}
run: {duration: 10s}
)";
  const RunResult r = run_yaml(yaml);
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  CHECK(r.goroutines_completed == 50001);
  CHECK(r.model_counters["preemption"]["cooperative"].get<std::uint64_t>() >= 3);
  CHECK(r.goroutines_peak_live < 50001);  // children ran between main's slices
}

TEST_CASE("go: the spawner's P runs its newest child next (runnext); without runnext it runs the oldest", "[go]") {
  // One P: main spawns a, b, c then exits. With runnext, c runs first, then a, b (kicked to the tail).
  const std::string yaml = R"(
machine: {cpus: 1}
runtime: {model: go, gomaxprocs: 1}
workload:
  classes:
    main: {arrivals: {process: initial, count: 1}, program: [{spawn: a}, {spawn: b}, {spawn: c}]}
    a: {program: [{compute: 1ms}]}
    b: {program: [{compute: 1ms}]}
    c: {program: [{compute: 1ms}]}
run: {duration: 1s}
)";
  const RunResult with = run_yaml(yaml);
  auto end_of = [](const RunResult& r, int cls) { return r.classes[cls].latency.latency.max(); };
  CHECK(end_of(with, 3) < end_of(with, 1));
  CHECK(end_of(with, 1) < end_of(with, 2));
  const RunResult without = run_yaml(yaml, {{"runtime.runnext", "false"}});
  CHECK(end_of(without, 1) < end_of(without, 2));
  CHECK(end_of(without, 2) < end_of(without, 3));
}

TEST_CASE("go: more Ps than CPUs time-share through the kernel thread layer", "[go]") {
  const RunResult r = run_yaml(kSpawnStorm, {{"machine.cpus", "2"}, {"runtime.gomaxprocs", "8"}});
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  CHECK(r.goroutines_completed == 20001);
  CHECK(r.model_counters["threads_created"].get<int>() <= 9);  // one per P, and sysmon
  CHECK(r.model_counters["kernel_preemptions"].get<std::uint64_t>() > 0);
  CHECK(r.cpu_busy.size() == 2);
}

TEST_CASE("go: version profiles are a layer of their own", "[go][scenario]") {
  const Scenario v119 = load_scenario(kSpawnStorm, "<text>", {{"runtime.version", "go1.19"}});
  CHECK(v119.runtime.version == "go1.19");
  CHECK(v119.find("runtime.recheck_after_spinning")->node.Scalar() == "false");
  CHECK(v119.origin_json()["runtime.recheck_after_spinning"] == "version:go/go1.19");
  const Scenario v126 = load_scenario(kSpawnStorm, "<text>");
  CHECK(v126.runtime.version == "go1.26");  // the newest is the default
  CHECK(v126.origin_json()["runtime.recheck_after_spinning"] == "default");
  const Scenario forced = load_scenario(kSpawnStorm, "<text>", {{"runtime.version", "go1.19"}, {"runtime.recheck_after_spinning", "true"}});
  CHECK(forced.origin_json()["runtime.recheck_after_spinning"] == "set");  // the scenario layer wins
  const RunResult r = run_yaml(kSpawnStorm, {{"runtime.version", "go1.19"}});
  CHECK(r.goroutines_completed == 20001);
}

TEST_CASE("go: fused steal rounds (run.fuse_steal_rounds) change the events, not the behaviour", "[go]") {
  // Spinning-heavy runs: short requests on 16 Ps at ~half load, from the network and from the global queue,
  // a spawn storm, and a service that sleeps (timers, which only the last round reads). Fused or not, the
  // rounds that could see a change scan when the runtime's would; only the walks' random draws come in
  // another order, so the figures agree within the noise of one run.
  const std::string sleepy =
      "machine: {cpus: 8}\n"
      "runtime: {model: go, gomaxprocs: 8}\n"
      "workload:\n"
      "  classes:\n"
      "    request:\n"
      "      arrivals: {process: poisson, rate: 50000/s}\n"
      "      program: [{compute: 30us}, {sleep: 50us}, {compute: 30us}]\n"
      "run: {duration: 1500ms, warmup: 50ms}\n";
  // sleepy's tail is a few runnable waits of 0.5-2 ms (threads stacked on one CPU until a tick's balance
  // moves one) that any change of event order moves: in 300 ms runs seed to seed its mean moved by 30 % and
  // its p99 by a factor of 4 (a run has such an episode or not), fused or not, and medians over 7 seeds by
  // 25 %. There the runs are 1.5 s, the figures medians over five seeds, and the tail must agree only as
  // well as such medians do. The spawn storm's steals (~200) and steal rounds (~260) move by 10-20 from
  // seed to seed: medians of five there too.
  const std::string storm = testing::spawn_storm("go", 20000);
  for (const std::string& yaml : {kOpen16, sleepy, storm}) {
    const bool tail_noisy = yaml == sleepy;
    const int seeds = tail_noisy || yaml == storm ? 5 : 1;
    struct Figures { std::vector<double> events, done, steals, rounds, p50, mean, p99, busy; };
    Figures f, p;
    for (int seed = 1; seed <= seeds; ++seed) {
      for (const bool fuse : {true, false}) {
        const RunResult r = run_yaml(yaml, {{"run.fuse_steal_rounds", fuse ? "true" : "false"}, {"run.seed", std::to_string(seed)}});
        REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
        Figures& x = fuse ? f : p;
        const auto& l = r.classes[0].latency.latency;
        x.events.push_back(static_cast<double>(r.events));
        x.done.push_back(static_cast<double>(r.goroutines_completed));
        x.steals.push_back(r.model_counters.at("steals").get<double>());
        x.rounds.push_back(r.model_counters.at("steal_rounds").get<double>());
        x.p50.push_back(static_cast<double>(l.percentile(0.5)));
        x.mean.push_back(l.mean());
        x.p99.push_back(static_cast<double>(l.percentile(0.99)));
        x.busy.push_back(r.cpu_busy_total());
      }
    }
    const auto med = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    INFO(yaml << "events " << med(f.events) << " fused, " << med(p.events) << " plain (median of " << seeds << " seeds)");
    CHECK(med(f.events) < med(p.events));
    CHECK(med(f.done) == Approx(med(p.done)).epsilon(0.01));
    CHECK(med(f.steals) == Approx(med(p.steals)).epsilon(0.05));
    CHECK(med(f.rounds) == Approx(med(p.rounds)).epsilon(0.05));
    CHECK(med(f.p50) == Approx(med(p.p50)).epsilon(0.03));
    CHECK(med(f.mean) == Approx(med(p.mean)).epsilon(tail_noisy ? 0.15 : 0.03));
    CHECK(med(f.p99) == Approx(med(p.p99)).epsilon(tail_noisy ? 0.5 : 0.08));
    CHECK(med(f.busy) == Approx(med(p.busy)).epsilon(0.02));
  }
}

TEST_CASE("go: an execute fused with the first compute (run.fuse_execute) changes the events, not the behaviour", "[go]") {
  // The decision's CPU becomes the prefix of the G's first compute burst. Same costs at the same times, so
  // the spawn storm's makespan and every run's CPU agree closely; where the G is seen running a little
  // earlier (a preemption request, a stack scan, the kernel's tick) the event order shifts, and the figures
  // agree within one run's noise. Cases: the spawn storm (a burst per child saved), short requests from
  // the network on 16 Ps, an allocating service with the collector (stack scans, assists), and tight loops
  // that sysmon preempts, on two CPUs.
  const std::string gc =
      "machine: {cpus: 4}\n"
      "runtime: {model: go, gomaxprocs: 4}\n"
      "workload:\n"
      "  heap: {live: 8MiB, scan_fraction: 0.5}\n"
      "  classes:\n"
      "    request:\n"
      "      arrivals: {process: poisson, rate: 25000/s}\n"
      "      program: [{compute: 20us}, {alloc: {size: 2KiB, count: 16}}, {compute: 20us}]\n"
      "run: {duration: 500ms, warmup: 100ms}\n";
  const std::string preempt =
      "machine: {cpus: 2}\n"
      "runtime: {model: go, gomaxprocs: 2}\n"
      "workload:\n"
      "  classes:\n"
      "    hog: {arrivals: {process: initial, count: 4}, program: [{repeat: {count: 20, steps: [{tight_loop: 15ms}]}}]}\n"
      "    request:\n"
      "      arrivals: {process: poisson, rate: 2000/s}\n"
      "      program: [{compute: 50us}]\n"
      "run: {duration: 600ms, warmup: 100ms}\n";
  const std::string storm = testing::spawn_storm("go", 20000);
  for (const std::string& yaml : {storm, kOpen16, gc, preempt}) {
    const RunResult fused = run_yaml(yaml);
    const RunResult plain = run_yaml(yaml, {{"run.fuse_execute", "false"}});
    REQUIRE(fused.outcome.status == OutcomeStatus::kCompleted);
    REQUIRE(plain.outcome.status == OutcomeStatus::kCompleted);
    INFO(yaml << "events " << fused.events << " fused, " << plain.events << " plain; simulated " << fused.simulated_ns
              << " / " << plain.simulated_ns << " ns");
    CHECK(fused.events < plain.events);
    CHECK(static_cast<double>(fused.goroutines_completed) == Approx(static_cast<double>(plain.goroutines_completed)).epsilon(0.01));
    CHECK(fused.cpu_busy_total() == Approx(plain.cpu_busy_total()).epsilon(0.02));
    const ClassResult& cf = fused.classes.back();
    const ClassResult& cp = plain.classes.back();
    CHECK(static_cast<double>(cf.latency.latency.percentile(0.5)) == Approx(static_cast<double>(cp.latency.latency.percentile(0.5))).epsilon(0.03));
    CHECK(cf.latency.latency.mean() == Approx(cp.latency.latency.mean()).epsilon(0.05));
    CHECK(static_cast<double>(cf.latency.latency.percentile(0.99)) == Approx(static_cast<double>(cp.latency.latency.percentile(0.99))).epsilon(0.1));
    if (yaml == storm) {
      CHECK(static_cast<double>(fused.simulated_ns) == Approx(static_cast<double>(plain.simulated_ns)).epsilon(0.02));
      CHECK(plain.events - fused.events > 19000);  // one burst per child
    }
  }
}

TEST_CASE("go: a span boundary inside a fused execute reads the clock when the decision's CPU ends", "[go]") {
  // A connection woken from the network resumes at the span's end, then allocates and computes: the execute
  // is fused (one burst instead of two) and the span closes when the decision's CPU is over, as it does after
  // a plain execute burst. The decision is made to cost 100 us, so that a span clock read at the decision
  // instead would be 100 us short; the two runs differ otherwise only in the order of same-instant events.
  const std::string yaml =
      "machine: {cpus: 2}\n"
      "runtime: {model: go, gomaxprocs: 2, arrivals: netpoll}\n"
      "workload:\n"
      "  classes:\n"
      "    request:\n"
      "      arrivals: {process: poisson, rate: 300/s}\n"
      "      program:\n"
      "        - span: {name: whole, steps: [\n"
      "            {compute: 10us},\n"
      "            {span: {name: db, steps: [{net_wait: {dist: exponential, mean: 1ms}}]}},\n"
      "            {alloc: {size: 1KiB, count: 2}},\n"
      "            {compute: 5us}]}\n"
      "run: {duration: 1s, warmup: 100ms, seed: 3}\n";
  const RunResult fused = run_yaml(yaml, {{"runtime.cost.schedule", "100us"}});
  const RunResult plain = run_yaml(yaml, {{"runtime.cost.schedule", "100us"}, {"run.fuse_execute", "false"}});
  REQUIRE(fused.outcome.status == OutcomeStatus::kCompleted);
  REQUIRE(plain.outcome.status == OutcomeStatus::kCompleted);
  INFO("events " << fused.events << " fused, " << plain.events << " plain");
  CHECK(fused.events + 400 < plain.events);  // two fused executes a request: at the span's start and end
  REQUIRE(fused.spans.size() == 2);
  REQUIRE(plain.spans.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    INFO("span " << fused.spans[i].name << ": mean " << fused.spans[i].latency.mean() << " fused, "
                 << plain.spans[i].latency.mean() << " plain");
    CHECK(fused.spans[i].latency.count() == plain.spans[i].latency.count());
    CHECK(fused.spans[i].latency.mean() == Approx(plain.spans[i].latency.mean()).epsilon(0.01));
  }
}

TEST_CASE("go: same seed, same run; golden fingerprint", "[go][golden][determinism]") {
  const RunResult a = run_yaml(kSpawnStorm), b = run_yaml(kSpawnStorm);
  CHECK(a.fingerprint == b.fingerprint);
  CHECK(a.events == b.events);
  CHECK(latency_csv(a) == latency_csv(b));
  std::ostringstream fp;
  fp << std::hex << a.fingerprint;
  // Changes only when behaviour changes: update deliberately, saying why in the commit.
  // Last changed by: DELAY_DEQUEUE (kernel.delay_dequeue, on for the default kernel.version 6.18): threads
  // that sleep ineligible stay queued, which moves later wake-ups' preemptions (60464 -> 60482 events).
  CHECK(a.events == 60482);
  CHECK(fp.str() == "c085db9de9ed5afb");
}

namespace {

const char* kFanIn = R"(
machine: {cpus: 4}
runtime: {model: go}
workload:
  classes:
    main:
      arrivals: {process: initial, count: 1}
      program:
        - wg_add: {wg: all, n: 1000}
        - repeat: {count: 1000, steps: [{spawn: worker}]}
        - wg_wait: all
        - compute: 1us
    worker:
      program: [{compute: 10us}, {wg_done: all}]
run: {duration: 10s}
)";
}  // namespace

TEST_CASE("go: the classic fan-out with a WaitGroup completes; main runs on the P of its releaser", "[go][wg]") {
  const Scenario sc = load_scenario(kFanIn, "<text>");
  Recorder rec;
  const RunResult r = go::GoModel().run(sc, RunOptions{{&rec}});
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  CHECK(r.goroutines_completed == 1001);
  // main's last GoUnpark comes from the last worker's wg_done; main then starts on that worker's CPU
  // (runnext of the releaser's P), right after the worker's GoEnd there.
  std::uint32_t unpark = 0;
  for (std::uint32_t i = 0; i < rec.records.size(); ++i) {
    if (rec.records[i].kind == kTraceGoUnpark) unpark = i;
  }
  REQUIRE(unpark > 0);
  const std::uint32_t main_g = rec.records[unpark].a;
  std::uint32_t releaser_end = 0, main_start = 0;
  for (std::uint32_t i = unpark; i < rec.records.size(); ++i) {
    if (rec.records[i].kind == kTraceGoEnd && releaser_end == 0) releaser_end = i;
    if (rec.records[i].kind == kTraceGoStart && rec.records[i].a == main_g) {
      main_start = i;
      break;
    }
  }
  REQUIRE(releaser_end > 0);
  REQUIRE(main_start > releaser_end);
  CHECK(rec.records[main_start].c == rec.records[releaser_end].c);
}

TEST_CASE("go and fifo: waiting on a WaitGroup nobody completes is a deadlock", "[go][fifo][wg]") {
  for (const char* model : {"go", "fifo"}) {
    const RunResult r = run_yaml(kFanIn, {{"runtime.model", model},
                                          {"runtime.version", std::string(model) == "go" ? "go1.26" : "v1"},
                                          {"workload.classes.worker.program", "[{compute: 10us}]"}});
    INFO(model);
    CHECK(r.outcome.status == OutcomeStatus::kDeadlock);
    CHECK_THAT(r.outcome.detail, Catch::StartsWith("all goroutines are asleep - deadlock! 1 parked: 1 on WaitGroup `all` (counter 1000)"));
  }
}

TEST_CASE("go: Gosched sends the goroutine to the global queue behind the others", "[go]") {
  // One P; a and b each compute 1 ms three times. Yielding after each step interleaves them.
  const std::string yaml = R"(
machine: {cpus: 1}
runtime: {model: go, gomaxprocs: 1}
workload:
  classes:
    a: {arrivals: {process: initial, count: 1}, program: [{repeat: {count: 3, steps: [{compute: 1ms}, {gosched: true}]}}]}
    b: {arrivals: {process: initial, count: 1}, program: [{repeat: {count: 3, steps: [{compute: 1ms}, {gosched: true}]}}]}
run: {duration: 1s}
)";
  const RunResult r = run_yaml(yaml);
  const double a_end = sim::to_seconds(r.classes[0].latency.latency.max()), b_end = sim::to_seconds(r.classes[1].latency.latency.max());
  // a b a b a b, then a (after its last yield) exits, then b: both end just after 6 ms (sysmon's wake-ups
  // share the one CPU: two context switches each, ~0.1 ms in all).
  CHECK(a_end == Approx(0.006).epsilon(0.025));
  CHECK(b_end == Approx(0.006).epsilon(0.025));
  CHECK(a_end < b_end);
  const RunResult plain = run_yaml(yaml, {{"workload.classes.a.program", "[{compute: 3ms}]"}, {"workload.classes.b.program", "[{compute: 3ms}]"}});
  CHECK(sim::to_seconds(plain.classes[0].latency.latency.max()) == Approx(0.003).epsilon(0.01));
}

TEST_CASE("go: schedtrace prints GODEBUG=schedtrace lines and changes nothing", "[go][schedtrace]") {
  const RunResult plain = run_yaml(kSpawnStorm);
  const RunResult traced = run_yaml(kSpawnStorm, {{"runtime.schedtrace", "20ms"}, {"run.sample_interval", "1ms"}});
  CHECK(plain.fingerprint == traced.fingerprint);  // observation is outside the event-stream fingerprint
  CHECK(latency_csv(plain) == latency_csv(traced));
  REQUIRE(traced.schedtrace.size() >= 5);
  // go1.26.8 proc.go schedtrace: per-P queue lengths as "[ a b c d ]", then schedticks.
  CHECK(traced.schedtrace[0] ==
        "SCHED 0ms: gomaxprocs=4 idleprocs=3 threads=2 spinningthreads=0 needspinning=0 idlethreads=0 runqueue=0 [ 0 0 0 0 ] schedticks=[ 1 0 0 0 ]\n");
  CHECK_THAT(traced.schedtrace[1], Catch::Matches("SCHED 20ms: gomaxprocs=4 idleprocs=0 threads=5 spinningthreads=[0-9]+ needspinning=0 "
                                                  "idlethreads=0 runqueue=[0-9]+ \\[ [0-9]+ [0-9]+ [0-9]+ [0-9]+ \\] schedticks=\\[ ([0-9]+ ){4}\\]\n"));
  // go1.19.8: no needspinning, no schedticks, "[a b c d]".
  const RunResult old = run_yaml(kSpawnStorm, {{"runtime.schedtrace", "20ms"}, {"runtime.version", "go1.19"}});
  CHECK(old.schedtrace[0] == "SCHED 0ms: gomaxprocs=4 idleprocs=3 threads=2 spinningthreads=0 idlethreads=0 runqueue=0 [0 0 0 0]\n");
  // scheddetail: P, M and G lines.
  const RunResult detail = run_yaml(kSpawnStorm, {{"runtime.schedtrace", "50ms"}, {"runtime.scheddetail", "true"}});
  CHECK_THAT(detail.schedtrace[1], Catch::Contains("\n  P0: status=1 schedtick=") && Catch::Contains(" runqsize=") &&
                                       Catch::Contains("\n  M0: p=") && Catch::Contains(" spinning=") && Catch::Contains("\n  G"));
}

TEST_CASE("go: memory of parked goroutines, and the OOM killer past machine.memory", "[go][memory]") {
  const std::string yaml = R"(
machine: {cpus: 4, memory: 16GiB}
runtime: {model: go, version: go1.19}
workload:
  classes:
    main:
      arrivals: {process: initial, count: 1}
      program: [{wg_add: {wg: hold, n: 1}}, {repeat: {count: 100000, steps: [{spawn: parked}]}}, {compute: 1ms}, {wg_done: hold}]
    parked:
      program: [{wg_wait: hold}]
run: {duration: 10s}
)";
  const RunResult r = run_yaml(yaml);
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  const Json& mem = r.model_counters["memory"];
  CHECK(mem["allgs"] == 100001);
  CHECK(mem["sudogs_bytes"] == 100000 * 96);
  // go1.19: 416 B g + 2048 B stack + 96 B sudog = 2560 B, against 2.4-2.7 KB measured per idle goroutine.
  CHECK(mem["bytes_per_parked_goroutine"].get<double>() == Approx(2560));
  // The peak adds the runtime's base metadata (runtime.mem.base) to the goroutines' bytes.
  CHECK(mem["runtime_metadata_bytes"] == 5 << 20);
  CHECK((mem["peak_bytes"].get<double>() - (5 << 20)) / 100000 == Approx(2560).epsilon(0.01));
  // Simulator memory per goroutine stays small (the 10M-goroutine target).
  CHECK(static_cast<double>(r.sim_memory_bytes) / 100001 < 64);
  // 100 MiB of RAM and no swap: the kernel's OOM killer ends the process (models/kernel/mm.h) once its
  // pages reach what the min watermark leaves; the runtime itself never sees a refusal.
  const RunResult oom = run_yaml(yaml, {{"machine.memory", "100MiB"}});
  CHECK(oom.outcome.status == OutcomeStatus::kOomKilled);
  CHECK_THAT(oom.outcome.detail, Catch::StartsWith("Out of memory: Killed process") && Catch::Contains("goroutines"));
  const Json& k = oom.model_counters["memory"]["kernel"];
  CHECK(k["meminfo"]["MemTotal_kB"] == 102400);
  CHECK(oom.model_counters["memory"]["peak_bytes"].get<double>() > 95e6);
}

TEST_CASE("go: sched.lock is contended when many Ps work the global queue at once", "[go][lock]") {
  auto run = [](int procs) {
    std::ostringstream os;
    os << "machine: {cpus: " << procs << "}\nruntime: {model: go, arrivals: global, sysmon: false, gomaxprocs: " << procs << "}\n"
       << "workload: {classes: {r: {arrivals: {process: poisson, rate: " << procs * 300 << "/ms}, program: [{compute: 1us}, {gosched: true}, {compute: 1us}]}}}\n"
       << "run: {duration: 20ms}\n";
    return run_yaml(os.str());
  };
  const RunResult one = run(1), many = run(32);
  CHECK(one.model_counters["sched_lock"]["wait_ns"] == 0);  // a single P (and no sysmon, no poller) never waits
  CHECK(many.model_counters["sched_lock"]["acquisitions"].get<std::uint64_t>() > 1000);
  CHECK(many.model_counters["sched_lock"]["wait_ns"].get<std::uint64_t>() > 0);
}

TEST_CASE("go: more threads than runtime.max_threads end the run with thread_exhaustion", "[go]") {
  const RunResult r = run_yaml(kSpawnStorm, {{"runtime.max_threads", "2"}});
  CHECK(r.outcome.status == OutcomeStatus::kThreadExhaustion);
  CHECK_THAT(r.outcome.detail, Catch::StartsWith("runtime: program exceeds 2-thread limit"));
}

TEST_CASE("go: dead Gs are reused through the P's free list (gfput/gfget), so allgs tracks the peak", "[go][memory]") {
  // One P: each worker exits before main spawns the next, so one g is reused a thousand times.
  const RunResult seq = run_yaml(R"(
machine: {cpus: 1}
runtime: {model: go, gomaxprocs: 1}
workload:
  classes:
    main: {arrivals: {process: initial, count: 1}, program: [{repeat: {count: 1000, steps: [{spawn: worker}, {gosched: true}]}}]}
    worker: {program: [{compute: 1us}]}
run: {duration: 1s}
)");
  REQUIRE(seq.outcome.status == OutcomeStatus::kCompleted);
  CHECK(seq.goroutines_created == 1001);
  CHECK(seq.model_counters["memory"]["allgs"].get<int>() <= 3);
  // Many Ps: Gs freed on one P are not at once reusable by another, so allgs may exceed the peak live.
  const RunResult storm = run_yaml(kSpawnStorm);
  CHECK(storm.model_counters["memory"]["allgs"].get<std::uint64_t>() >= storm.goroutines_peak_live);
}
