// Behaviour of the fifo model and the workload language it runs: exact timings of small programs,
// arrival processes, outcomes, determinism and golden event-stream fingerprints.
#include <catch2/catch.hpp>
#include <iomanip>
#include <sstream>

#include "models/output/output.h"
#include "models/fifo/fifo.h"
#include "models/testing/run_helpers.h"
#include "models/run/trace_events.h"

using namespace gmpsim;
using namespace gmpsim::models;
using testing::run_yaml;

namespace {

constexpr sim::Time kMs = sim::kMillisecond;

std::string two_classes(const std::string& cpus, const std::string& a, const std::string& b) {
  return "machine: {cpus: " + cpus + "}\nworkload:\n  classes:\n    a: " + a + "\n    b: " + b + "\nrun: {duration: 10s}\n";
}

std::string hex(std::uint64_t v) {
  std::ostringstream os;
  os << std::hex << std::setw(16) << std::setfill('0') << v;
  return os.str();
}

const char* kMm2 = R"(
machine: {cpus: 2}
workload:
  classes:
    request:
      arrivals: {process: poisson, rate: 1500/s}
      program:
        - compute: {dist: exponential, mean: 1ms}
        - span: {name: tail, steps: [{compute: {dist: lognormal, median: 50us, sigma: 0.5}}]}
run: {duration: 20s, warmup: 1s, seed: 11}
)";

}  // namespace

TEST_CASE("fifo runs a population's programs to the exact end time", "[fifo]") {
  // 10 goroutines, 3 ms of work each, on 2 CPUs: 30 ms of work, done at 15 ms.
  const RunResult r = run_yaml(two_classes("2", "{arrivals: {process: initial, count: 10}, program: [{repeat: {count: 3, steps: [{compute: 1ms}]}}]}",
                                           "{program: [{compute: 1ms}]}"));
  CHECK(r.outcome.status == OutcomeStatus::kCompleted);
  CHECK(r.simulated_ns == 15 * kMs);
  CHECK(r.goroutines_created == 10);
  CHECK(r.goroutines_completed == 10);
  CHECK(r.classes[0].latency.latency.max() == 15 * kMs);
  CHECK(r.classes[0].latency.latency.min() == 3 * kMs);
  CHECK(r.cpu_utilization == Approx(1.0));
  CHECK(r.classes[1].created == 0);
}

TEST_CASE("fifo: a spawner keeps its CPU and spawned goroutines queue behind it", "[fifo]") {
  const RunResult r = run_yaml(two_classes("1", "{arrivals: {process: initial, count: 1}, program: [{spawn: {class: b, count: 4}}, {compute: 1ms}]}",
                                           "{program: [{compute: 2ms}]}"));
  CHECK(r.simulated_ns == 9 * kMs);
  CHECK(r.classes[0].latency.latency.max() == 1 * kMs);
  CHECK(r.classes[1].created == 4);
  CHECK(r.classes[1].latency.latency.max() == 9 * kMs);   // the last child waited 7 ms, ran 2 ms
  CHECK(r.classes[1].wait.latency.max() == 7 * kMs);
  CHECK(r.goroutines_peak_live == 5);
}

TEST_CASE("fifo: exit, empty repeats and spans", "[fifo]") {
  const RunResult r = run_yaml(two_classes(
      "1", "{arrivals: {process: initial, count: 2}, program: [{repeat: {count: 0, steps: [{compute: 9ms}]}}, {span: {name: s, steps: [{compute: 2ms}]}}, {exit: true}, {compute: 5ms}]}",
      "{program: [{compute: 1ms}]}"));
  CHECK(r.simulated_ns == 4 * kMs);
  REQUIRE(r.spans.size() == 1);
  CHECK(r.spans[0].latency.count() == 2);
  CHECK(r.spans[0].latency.max() == 2 * kMs);  // the span starts when the goroutine runs, not when it arrives
  CHECK(r.classes[0].latency.latency.max() == 4 * kMs);
}

TEST_CASE("fifo: closed-loop clients", "[fifo]") {
  // One client, 9 ms think, 1 ms service: one request every 10 ms, never waiting.
  const RunResult r = run_yaml(
      "machine: {cpus: 1}\nworkload: {classes: {c: {arrivals: {process: closed, clients: 1, think: 9ms}, program: [{compute: 1ms}]}}}\nrun: {duration: 1s}\n");
  CHECK(r.goroutines_completed == 100);
  CHECK(r.classes[0].wait.latency.max() == 0);
  CHECK(r.throughput_per_s == Approx(100));
  // Interactive response time law with N clients: X = N / (R + Z). Four clients saturate one CPU at 1 ms each... not
  // until N > (S + Z) / S = 10; with 20 clients the CPU is the bottleneck: X = 1/S.
  const RunResult sat = run_yaml(
      "machine: {cpus: 1}\nworkload: {classes: {c: {arrivals: {process: closed, clients: 20, think: 9ms}, program: [{compute: 1ms}]}}}\nrun: {duration: 10s, warmup: 1s}\n");
  CHECK(sat.throughput_per_s == Approx(1000).epsilon(0.002));
  CHECK(sat.classes[0].latency.latency.mean() == Approx(20e6 / 1000 * 1e3 - 9e6).epsilon(0.01));  // R = N/X - Z
}

TEST_CASE("fifo: constant and on/off arrivals", "[fifo]") {
  const RunResult c = run_yaml(
      "machine: {cpus: 1}\nworkload: {classes: {c: {arrivals: {process: constant, rate: 1000/s}, program: [{compute: 500us}]}}}\nrun: {duration: 1s}\n");
  CHECK(c.goroutines_created == 1000);
  CHECK(c.classes[0].wait.latency.max() == 0);
  CHECK(c.cpu_utilization == Approx(0.5).epsilon(0.001));
  // Poisson at 2000/s while on; on 10 ms, off 30 ms: a quarter of the time on, 500/s on average.
  const RunResult o = run_yaml(
      "machine: {cpus: 4}\nworkload: {classes: {c: {arrivals: {process: onoff, rate: 2000/s, on: 10ms, off: 30ms}, program: [{compute: 10us}]}}}\nrun: {duration: 100s}\n");
  CHECK(static_cast<double>(o.goroutines_created) / 100 == Approx(500).epsilon(0.02));
}

TEST_CASE("fifo: abnormal ends are outcomes, not hangs", "[fifo]") {
  const RunResult runaway = run_yaml(two_classes(
      "1", "{arrivals: {process: initial, count: 1}, program: [{repeat: {count: forever, steps: [{span: {name: s, steps: []}}]}}]}",
      "{program: [{compute: 1ms}]}"));
  CHECK(runaway.outcome.status == OutcomeStatus::kStarved);
  CHECK_THAT(runaway.outcome.detail, Catch::Contains("without taking CPU time"));
  const RunResult limited = run_yaml(kMm2, {{"run.max_events", "1000"}});
  CHECK(limited.outcome.status == OutcomeStatus::kTimeLimit);
  CHECK(limited.events == 1000);
  CHECK_THAT(limited.outcome.detail, Catch::Contains("run.max_events"));
}

TEST_CASE("fifo: timeseries rows and columns", "[fifo]") {
  const RunResult r = run_yaml(kMm2, {{"run.sample_interval", "100ms"}});
  REQUIRE(r.timeseries.columns == std::vector<std::string>{"t_s", "runnable", "running", "live", "cpu0_busy", "cpu1_busy"});
  REQUIRE(r.timeseries.rows() == 200);
  CHECK(r.timeseries.data[0].back() == Approx(20.0));
  double busy = 0;
  for (double b : r.timeseries.data[4]) busy += b;
  CHECK(busy / 200 == Approx(0.75 + 0.75 * 0.0567).epsilon(0.05));  // rho = 1500/s x (1 ms + ~57 us) / 2
}

TEST_CASE("fifo: same seed gives identical results, another seed differs", "[fifo][determinism]") {
  const RunResult a = run_yaml(kMm2), b = run_yaml(kMm2), c = run_yaml(kMm2, {{"run.seed", "12"}});
  Json ja = summary_json(a), jb = summary_json(b), jc = summary_json(c);
  for (Json* j : {&ja, &jb, &jc}) {
    (*j)["sim"].erase("wall_s");
    (*j)["sim"].erase("events_per_s");
  }
  CHECK(ja.dump() == jb.dump());
  CHECK(latency_csv(a) == latency_csv(b));
  CHECK(timeseries_csv(a) == timeseries_csv(b));
  CHECK(a.fingerprint != c.fingerprint);
  CHECK(ja["latency_us"] != jc["latency_us"]);
}

TEST_CASE("fifo: golden event-stream fingerprints", "[fifo][golden]") {
  // These change only when behaviour changes: update them deliberately, saying why in the commit.
  const RunResult mm2 = run_yaml(kMm2);
  CHECK(mm2.events == 93284);
  CHECK(hex(mm2.fingerprint) == "68a61352e5fa141e");
  const RunResult spawn = run_yaml(two_classes(
      "3", "{arrivals: {process: poisson, rate: 200/s}, program: [{spawn: {class: b, count: 3}}, {compute: {dist: exponential, mean: 2ms}}]}",
      "{program: [{repeat: {count: 2, steps: [{compute: {dist: uniform, low: 100us, high: 900us}}]}}]}"));
  CHECK(spawn.events == 16944);
  CHECK(hex(spawn.fingerprint) == "5a470c6bbaec2bf6");
}

namespace {
struct CountingObserver final : sim::TraceObserver {
  std::uint64_t counts[4] = {0, 0, 0, 0};
  void on_trace(const sim::TraceRecord& r) override { ++counts[r.kind]; }
};
}  // namespace

TEST_CASE("fifo: trace observers see every goroutine event and change nothing", "[fifo][trace]") {
  const Scenario sc = load_scenario(kMm2, "<text>");
  CountingObserver counting;
  sim::FingerprintObserver fp1, fp2;
  const RunResult traced = FifoModel().run(sc, RunOptions{{&counting, &fp1}});
  const RunResult plain = FifoModel().run(sc);
  CHECK(traced.fingerprint == plain.fingerprint);
  CHECK(counting.counts[kTraceGoCreate] == traced.goroutines_created);
  CHECK(counting.counts[kTraceGoStart] == traced.goroutines_created);  // no preemption: each starts once
  CHECK(counting.counts[kTraceGoEnd] >= traced.goroutines_completed);
  FifoModel().run(sc, RunOptions{{&fp2}});
  CHECK(fp1.value() == fp2.value());
}

TEST_CASE("fifo: WaitGroup waiters are released to the queue tail; Gosched yields to the head", "[fifo][wg]") {
  const RunResult r = run_yaml(R"(
machine: {cpus: 1}
workload:
  classes:
    main: {arrivals: {process: initial, count: 1}, program: [{wg_add: {wg: w, n: 2}}, {spawn: {class: worker, count: 2}}, {wg_wait: w}, {compute: 1ms}]}
    worker: {program: [{compute: 2ms}, {gosched: true}, {compute: 1ms}, {wg_done: w}]}
run: {duration: 1s}
)");
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  // w1 2ms, yields to w2 (2ms), w1 1ms, w2 1ms -> counter 0 at 6 ms, then main 1 ms.
  CHECK(r.simulated_ns == 7 * kMs);
  CHECK(r.classes[0].latency.latency.max() == 7 * kMs);
  CHECK(r.classes[1].latency.latency.max() == 6 * kMs);
}

TEST_CASE("fifo and go: zero-cost yields that never let time pass end as starved", "[fifo][go]") {
  for (const char* model : {"fifo", "go"}) {
    const RunResult r = run_yaml(std::string("machine: {cpus: 1}\nruntime: {model: ") + model +
                                 ", cost: {schedule: 0ns, newproc: 0ns, goexit: 0ns, steal: 0ns, global_runq: 0ns, gopark: 0ns, goready: 0ns}}\n"
                                 "workload: {classes: {y: {arrivals: {process: initial, count: 2}, program: [{repeat: {count: forever, steps: [{gosched: true}]}}]}}}\n"
                                 "run: {duration: 1s}\n");
    INFO(model);
    CHECK(r.outcome.status == OutcomeStatus::kStarved);
    CHECK_THAT(r.outcome.detail, Catch::Contains("without simulated time passing"));
  }
}

TEST_CASE("alloc steps are counted by both models", "[fifo][go]") {
  for (const char* model : {"fifo", "go"}) {
    const RunResult r = run_yaml(std::string("machine: {cpus: 2}\nruntime: {model: ") + model + "}\n" +
                                 "workload: {classes: {a: {arrivals: {process: initial, count: 10}, program: [{alloc: 4KiB}, {compute: 1us}, {alloc: 100B}]}}}\n"
                                 "run: {duration: 1s}\n");
    INFO(model);
    CHECK(r.model_counters["allocated_bytes"] == 10 * (4096 + 100));
  }
  CHECK_THROWS_WITH(load_scenario("workload: {classes: {a: {arrivals: {process: initial}, program: [{alloc: 4}]}}}\n", "<text>"),
                    Catch::StartsWith("workload.classes.a.program.0.alloc: \"4\" has no unit"));
}
