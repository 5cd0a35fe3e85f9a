// Blocking and waking in the go model (part 2): mechanisms tested where they act, never tuned constants.
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "models/go/proc.h"
#include "models/run/trace_events.h"
#include "models/testing/builders.h"
#include "models/testing/run_helpers.h"

using namespace gmpsim;
using namespace gmpsim::models;
using testing::Recorder;
using testing::counter;
using testing::run_yaml;

namespace {


RunResult run_traced(const std::string& yaml, Recorder& rec, const std::vector<Override>& sets = {}) {
  const Scenario sc = load_scenario(yaml, "<text>", sets);
  return go::GoModel().run(sc, RunOptions{{&rec}});
}


}  // namespace

TEST_CASE("go: unbuffered ping-pong stays on one P", "[go][chan]") {
  const std::string yaml = R"(
machine: {cpus: 4}
runtime: {model: go}
workload:
  channels: {ping: 0, pong: 0}
  classes:
    main:
      arrivals: {process: initial, count: 1}
      program: [{spawn: ponger}, {repeat: {count: 2000, steps: [{send: ping}, {recv: pong}]}}]
    ponger:
      program: [{repeat: {count: 2000, steps: [{recv: ping}, {send: pong}]}}]
run: {duration: 1s}
)";
  Recorder rec;
  const RunResult r = run_traced(yaml, rec);
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  CHECK(r.goroutines_completed == 2);
  // Each side readies the other into its own P's runnext and parks: both always start on one CPU.
  std::set<std::uint32_t> cpus;
  std::uint64_t starts = 0;
  for (const auto& t : rec.records) {
    if (t.kind == kTraceGoStart) {
      cpus.insert(t.c);
      ++starts;
    }
  }
  CHECK(starts > 4000);
  CHECK(cpus.size() == 1);
  CHECK(counter(r, "steals").get<std::uint64_t>() == 0);
}

TEST_CASE("go: close with three waiters runs the oldest first, then the newest", "[go][chan]") {
  // One P. r1, r2, r3 park on `done` in that order; main closes it and goes on computing. closechan readies
  // them newest first into runnext, so runnext holds r1 and the local queue r3, r2.
  const std::string yaml = R"(
machine: {cpus: 1}
runtime: {model: go, gomaxprocs: 1}
workload:
  channels: {done: 0}
  classes:
    main:
      arrivals: {process: initial, count: 1}
      program: [{spawn: r1}, {sleep: 2ms}, {spawn: r2}, {sleep: 2ms}, {spawn: r3}, {sleep: 2ms}, {close: done}, {compute: 1ms}]
    r1: {program: [{recv: done}, {compute: 100us}]}
    r2: {program: [{recv: done}, {compute: 100us}]}
    r3: {program: [{recv: done}, {compute: 100us}]}
run: {duration: 1s}
)";
  Recorder rec;
  const RunResult r = run_traced(yaml, rec);
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  std::vector<std::uint32_t> end_order;  // classes in the order they exit
  for (const auto& t : rec.records) {
    if (t.kind == kTraceGoEnd) end_order.push_back(t.b);
  }
  // Classes: main 0, r1 1, r2 2, r3 3.
  CHECK(end_order == std::vector<std::uint32_t>{0, 1, 3, 2});
}

TEST_CASE("go: a mutex enters starvation mode after a waiter waits 1 ms, then hands off directly", "[go][mutex]") {
  const std::string yaml = R"(
machine: {cpus: 2}
runtime: {model: go}
workload:
  classes:
    worker:
      arrivals: {process: initial, count: 2}
      program: [{repeat: {count: 30, steps: [{lock: m}, {compute: 2ms}, {unlock: m}, {compute: 5us}]}}]
run: {duration: 10s}
)";
  const RunResult r = run_yaml(yaml);
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  CHECK(r.goroutines_completed == 2);
  CHECK(counter(r, "mutex", "starvation_entries").get<std::uint64_t>() >= 1);
  CHECK(counter(r, "mutex", "handoffs").get<std::uint64_t>() >= 1);
  // Without the 1 ms threshold being reached nothing starves: short critical sections never hand off.
  const RunResult quick = run_yaml(yaml, {{"workload.classes.worker.program.0.repeat.steps.1.compute", "10us"}});
  CHECK(counter(quick, "mutex", "handoffs").get<std::uint64_t>() == 0);
}

TEST_CASE("go: a sub-millisecond sleep takes about a millisecond idle, and the next scheduling point when busy", "[go][timer]") {
  const std::string idle = R"(
machine: {cpus: 4}
runtime: {model: go}
workload:
  classes:
    sleeper:
      arrivals: {process: initial, count: 1}
      program: [{repeat: {count: 100, steps: [{sleep: 50us}]}}]
run: {duration: 10s}
)";
  const RunResult r = run_yaml(idle);
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  const double late = counter(r, "sleep_lateness_s", "p50").get<double>();
  // epoll_wait waits one whole millisecond, plus the timer slack: 50 us becomes ~1.05 ms.
  CHECK(late > 0.9e-3);
  CHECK(late < 1.2e-3);
  CHECK(counter(r, "netpoll", "blocking_polls").get<std::uint64_t>() >= 90);
  // The same per class, with the histogram's buckets.
  const Json& mine = r.model_counters.at("sleep_lateness_by_class").at("sleeper");
  CHECK(mine.at("count").get<std::uint64_t>() == 100);
  std::uint64_t in_buckets = 0;
  for (const Json& b : mine.at("buckets_ns")) in_buckets += b[2].get<std::uint64_t>();
  CHECK(in_buckets == 100);
  // On a busy P, the timer is checked at every schedule: a goroutine yielding every 20 us is enough.
  const std::string busy = R"(
machine: {cpus: 1}
runtime: {model: go, gomaxprocs: 1}
workload:
  classes:
    sleeper:
      arrivals: {process: initial, count: 1}
      program: [{repeat: {count: 100, steps: [{sleep: 50us}]}}]
    spinner:
      arrivals: {process: initial, count: 1}
      program: [{repeat: {count: 1000, steps: [{compute: 20us}, {gosched: true}]}}]
run: {duration: 10s}
)";
  const RunResult b = run_yaml(busy);
  REQUIRE(b.outcome.status == OutcomeStatus::kCompleted);
  CHECK(counter(b, "sleep_lateness_s", "p90").get<double>() < 50e-6);
}

TEST_CASE("go: accept arrivals land in the listener P's runnext", "[go][netpoll]") {
  const std::string yaml = R"(
machine: {cpus: 4}
runtime: {model: go}
workload:
  classes:
    handler:
      arrivals: {process: constant, rate: 2000/s}
      program: [{compute: 20us}]
run: {duration: 1s, seed: 5}
)";
  Recorder rec;
  const RunResult r = run_traced(yaml, rec);
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  // The listener is the only goroutine that starts without a GoCreate of its own class... it is the one
  // that GoCreates the handlers: each handler first starts on the CPU where the listener last ran.
  std::map<std::uint32_t, std::uint32_t> created_on;  // handler g -> cpu of its creator
  std::uint32_t listener_cpu = 0xffffffffu, listener = 0xffffffffu, checked = 0, same = 0;
  std::set<std::uint32_t> handlers;
  for (const auto& t : rec.records) {
    if (t.kind == kTraceGoCreate) handlers.insert(t.a);
  }
  for (const auto& t : rec.records) {
    if (t.kind == kTraceGoStart && handlers.count(t.a) == 0) {
      listener = t.a;
      listener_cpu = t.c;
    } else if (t.kind == kTraceGoCreate) {
      created_on[t.a] = listener_cpu;
    } else if (t.kind == kTraceGoStart && created_on.count(t.a)) {
      ++checked;
      same += t.c == created_on[t.a] ? 1 : 0;
      created_on.erase(t.a);
    }
  }
  REQUIRE(listener != 0xffffffffu);
  REQUIRE(checked > 1000);
  CHECK(same == checked);
  CHECK(counter(r, "netpoll", "goroutines_readied").get<std::uint64_t>() > 1000);
}

TEST_CASE("go and fifo: a receive nobody sends to is a deadlock, reported by checkdead", "[go][fifo][chan]") {
  for (const char* model : {"go", "fifo"}) {
    const std::string yaml = std::string("runtime: {model: ") + model + R"(}
workload:
  channels: {never: 0}
  classes:
    main: {arrivals: {process: initial, count: 1}, program: [{compute: 1us}, {recv: never}]}
run: {duration: 1s}
)";
    const RunResult r = run_yaml(yaml);
    INFO(model << ": " << r.outcome.detail);
    CHECK(r.outcome.status == OutcomeStatus::kDeadlock);
    CHECK(r.outcome.detail.find("channel `never` (receive)") != std::string::npos);
  }
}

TEST_CASE("go and fifo: select takes a ready case, the default when none is, and wakes on either channel", "[go][fifo][chan]") {
  for (const char* model : {"go", "fifo"}) {
    const std::string yaml = std::string("runtime: {model: ") + model + R"(}
workload:
  channels: {a: 0, b: 1}
  classes:
    main:
      arrivals: {process: initial, count: 1}
      program:
        - select: [{recv: a, steps: [{compute: 1ms}]}, {default: [{compute: 10us}]}]
        - send: b
        - select: [{recv: a}, {recv: b, steps: [{compute: 20us}]}]
        - spawn: sender
        - select: [{recv: a, steps: [{compute: 30us}]}, {recv: b}]
    sender: {program: [{compute: 5us}, {send: a}]}
run: {duration: 1s}
)";
    const RunResult r = run_yaml(yaml);
    INFO(model << ": " << r.outcome.detail);
    REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
    // default (10 us) + buffered b (20 us) + woken by the sender on a (5 us, then 30 us).
    CHECK(r.classes[0].latency.latency.max() >= 65'000);
    CHECK(r.classes[0].latency.latency.max() < 200'000);
  }
}

TEST_CASE("go and fifo: per-request fan-out with objects made by the handler", "[go][fifo][chan]") {
  for (const char* model : {"go", "fifo"}) {
    const std::string yaml = std::string("runtime: {model: ") + model + R"(}
machine: {cpus: 4}
workload:
  classes:
    request:
      arrivals: {process: poisson, rate: 500/s}
      program:
        - make: {chan: results, capacity: 3}
        - make: {wg: all}
        - wg_add: {wg: all, n: 3}
        - spawn: {class: part, count: 3}
        - wg_wait: all
        - repeat: {count: 3, steps: [{recv: results}]}
    part: {program: [{compute: {dist: exponential, mean: 100us}}, {send: results}, {wg_done: all}]}
run: {duration: 2s, seed: 2}
)";
    const RunResult r = run_yaml(yaml);
    INFO(model << ": " << r.outcome.detail);
    REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
    CHECK(r.classes[0].completed > 800);
    // A request completes only after its three parts did.
    CHECK(r.classes[1].completed >= 3 * r.classes[0].completed);
  }
}

TEST_CASE("go and fifo: Go's panics and misuse end the run with a clear outcome", "[go][fifo][chan]") {
  for (const char* model : {"go", "fifo"}) {
    auto run_program = [&](const std::string& steps) {
      return run_yaml(std::string("runtime: {model: ") + model + "}\nworkload:\n  channels: {c: 1}\n  classes:\n    main: {arrivals: {process: initial, count: 1}, program: " + steps + "}\n    other: {program: [{make: {chan: mine}}, {spawn: child}]}\n    child: {program: [{send: mine}]}\nrun: {duration: 1s}\n");
    };
    const RunResult twice = run_program("[{close: c}, {close: c}]");
    CHECK(twice.outcome.status == OutcomeStatus::kPanic);
    CHECK(twice.outcome.detail.find("close of closed channel") != std::string::npos);
    const RunResult send = run_program("[{close: c}, {send: c}]");
    CHECK(send.outcome.detail.find("send on closed channel") != std::string::npos);
    const RunResult unlock = run_program("[{unlock: m}]");
    CHECK(unlock.outcome.detail.find("unlock of unlocked mutex") != std::string::npos);
  }
}

TEST_CASE("go: a declared stack depth grows the stack by doubling, and memory follows", "[go][memory]") {
  const std::string yaml = R"(
runtime: {model: go}
workload:
  classes:
    main:
      arrivals: {process: initial, count: 1}
      program: [{repeat: {count: 100, steps: [{spawn: deep}]}}, {sleep: 10ms}]
    deep: {program: [{stack: 16KiB}, {sleep: 1s}]}
run: {duration: 5s}
)";
  const RunResult r = run_yaml(yaml);
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  // 16 KiB + stackGuard needs 32 KiB: four doublings from 2 KiB for each of 100 goroutines.
  CHECK(counter(r, "stack_growths").get<std::uint64_t>() == 400);
  // Peak runtime memory without the threads (their number may differ between the runs).
  auto peak = [](const RunResult& x) {
    const Json& m = x.model_counters.at("memory");
    return m.at("peak_bytes").get<std::int64_t>() - m.at("threads_bytes").get<std::int64_t>();
  };
  const RunResult flat = run_yaml(yaml, {{"workload.classes.deep.program.0.stack", "1KiB"}});
  CHECK(peak(r) - peak(flat) == 100 * (32 * 1024 - 2 * 1024));
}

TEST_CASE("go: netpoll arrivals: keep-alive connections serve their requests one after another", "[go][netpoll]") {
  const std::string yaml = R"(
machine: {cpus: 4}
runtime: {model: go, arrivals: netpoll, connections: 1}
workload:
  classes:
    request:
      arrivals: {process: constant, rate: 1500/s}
      program: [{compute: 1ms}]
run: {duration: 2s, warmup: 200ms}
)";
  // One connection cannot serve 1.5 requests per ms with 1 ms each, although three CPUs idle: its queue
  // grows. Eight connections share the load over the CPUs.
  const RunResult one = run_yaml(yaml);
  REQUIRE(one.outcome.status == OutcomeStatus::kCompleted);
  CHECK(one.goroutines_peak_live == 1);
  CHECK(one.classes[0].latency.latency.mean() > 100e6);
  const RunResult eight = run_yaml(yaml, {{"runtime.connections", "8"}});
  CHECK(eight.goroutines_peak_live == 8);
  CHECK(eight.classes[0].latency.latency.mean() < 3e6);
  CHECK(eight.classes[0].completed > 2500);
  CHECK(counter(eight, "netpoll", "goroutines_readied").get<std::uint64_t>() > 0);
}

TEST_CASE("go: a zero sleep or net_wait returns at once without parking, as time.Sleep(0) and a ready read", "[go][timer]") {
  const std::string yaml = R"(
machine: {cpus: 1}
runtime: {model: go, gomaxprocs: 1}
workload:
  classes:
    waiter:
      arrivals: {process: initial, count: 1}
      program: [{repeat: {count: 100, steps: [{compute: 10us}, {sleep: 0ns}, {net_wait: 0ns}]}}]
run: {duration: 10s}
)";
  const RunResult r = run_yaml(yaml);
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  // No timer and no poll: the goroutine runs its 100 x 10 us without a park, so it ends at ~1 ms (a
  // sleep that parked would wait at least for the idle poller's millisecond each time).
  CHECK(r.classes.at(0).latency.latency.max() < 2'000'000);
  CHECK(!r.model_counters.contains("sleep_lateness_s"));  // no sleep parked
}
