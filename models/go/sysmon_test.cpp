// sysmon, preemption and syscalls in the go model: the mechanisms and what must emerge from them.
#include <catch2/catch.hpp>

#include "models/go/proc.h"
#include "models/testing/builders.h"
#include "models/testing/run_helpers.h"

using namespace gmpsim;
using namespace gmpsim::models;
using testing::run_yaml;

using testing::counter;

namespace {

const char* kHogs = R"(
machine: {cpus: 1}
runtime: {model: go, gomaxprocs: 1}
workload:
  classes:
    hog:
      arrivals: {process: initial, count: 2}
      program: [{compute: 2s}]
run: {duration: 10s}
)";
}  // namespace

TEST_CASE("sysmon backs off: 20 us while uneventful for 50 cycles, then doubling up to 10 ms", "[go][sysmon]") {
  const RunResult r = run_yaml(kHogs);
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  const Json& first = counter(r, "sysmon", "first_sleeps_us");
  REQUIRE(first.size() == 64);
  // idle counts uneventful cycles from 0; the delay doubles once idle > 50: 51 sleeps of 20 us.
  for (int i = 0; i < 51; ++i) CHECK(first[i].get<std::int64_t>() == 20);
  const std::int64_t after[] = {40, 80, 160, 320, 640, 1280, 2560, 5120, 10000, 10000};
  for (int i = 0; i < 10; ++i) CHECK(first[51 + i].get<std::int64_t>() == after[i]);
}

TEST_CASE("preemption: CPU-bound goroutines share one P in ~20 ms slices, not 10 ms", "[go][sysmon][preempt]") {
  // Preemptions do not reset sysmon's back-off: it checks every 10 ms, and a slice that started just
  // after a check is seen at the next one and preempted at the one after.
  const RunResult r = run_yaml(kHogs);
  const auto n = counter(r, "preemption", "cooperative").get<std::uint64_t>() + counter(r, "preemption", "async").get<std::uint64_t>();
  const double slice_ms = 4000.0 / static_cast<double>(n);
  INFO("mean slice " << slice_ms << " ms over " << n << " preemptions");
  CHECK(slice_ms > 15);
  CHECK(slice_ms < 25);
  // A preempted G goes to the global queue; the P takes it from there (one batch may carry two).
  CHECK(r.model_counters.at("global_runq_takes").get<std::uint64_t>() >= n / 2);
  // Without sysmon nothing is ever preempted.
  const RunResult off = run_yaml(kHogs, {{"runtime.sysmon", "false"}});
  CHECK(counter(off, "preemption", "requests").get<std::uint64_t>() == 0);
}

TEST_CASE("preemption: tight loops need the signal; with asyncpreemptoff the run ends as starved", "[go][sysmon][preempt]") {
  const std::vector<Override> tight = {{"workload.classes.hog.program", "[{tight_loop: 2s}]"}};
  const RunResult r = run_yaml(kHogs, tight);
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  CHECK(counter(r, "preemption", "async").get<std::uint64_t>() > 100);
  CHECK(counter(r, "preemption", "cooperative").get<std::uint64_t>() <= 2);  // only at the step's end
  CHECK(counter(r, "preemption", "signals_sent").get<std::uint64_t>() >= counter(r, "preemption", "async").get<std::uint64_t>());
  const RunResult off = run_yaml(kHogs, {{"workload.classes.hog.program", "[{tight_loop: 20s}]"},
                                         {"runtime.asyncpreemptoff", "true"}, {"run.duration", "60s"}});
  CHECK(off.outcome.status == OutcomeStatus::kStarved);
  CHECK_THAT(off.outcome.detail, Catch::Contains("goroutine 1 (class hog) never ran after t=0 s") && Catch::Contains("asyncpreemptoff"));
}

TEST_CASE("syscalls: a P in a syscall is retaken after two sysmon observations, later after a CPU-bound phase", "[go][sysmon][syscall]") {
  // GOMAXPROCS=1: main starts `other` (runnext) and enters a 100 ms syscall; `other` can only run once
  // sysmon hands the P off. Fresh, sysmon looks every 20 us (+ slack); after 200 ms of CPU-bound work it
  // has backed off to 10 ms, so the hand-off takes 10-20 ms (proc.go sysmon: delay 20 us, doubled once
  // idle > 50 cycles, capped at 10 ms; retake needs two observations of the syscall; go1.26).
  const std::string yaml = R"(
machine: {cpus: 2}
runtime: {model: go, gomaxprocs: 1}
workload:
  classes:
    main:
      arrivals: {process: initial, count: 1}
      program: [{compute: 1us}, {spawn: other}, {syscall: 100ms}]
    other: {program: [{compute: 1us}]}
run: {duration: 1s}
)";
  const RunResult fresh = run_yaml(yaml);
  REQUIRE(fresh.outcome.status == OutcomeStatus::kCompleted);
  CHECK(counter(fresh, "syscalls", "retakes").get<std::uint64_t>() == 1);
  const double fresh_us = static_cast<double>(fresh.classes[1].latency.latency.max()) / 1e3;
  CHECK(fresh_us > 40);   // at least two sysmon periods of 20 us + slack... minus a partial one
  CHECK(fresh_us < 400);
  const RunResult late = run_yaml(yaml, {{"workload.classes.main.program.0.compute", "200ms"}});
  const double late_ms = static_cast<double>(late.classes[1].latency.latency.max()) / 1e6;
  INFO("fresh " << fresh_us << " us, after a CPU-bound phase " << late_ms << " ms");
  CHECK(late_ms > 5);
  CHECK(late_ms < 25);
}

TEST_CASE("syscalls: threads grow to about N + GOMAXPROCS under N blocking syscalls", "[go][syscall]") {
  const std::string yaml = R"(
machine: {cpus: 2}
runtime: {model: go, gomaxprocs: 2}
workload:
  classes:
    blocker:
      arrivals: {process: initial, count: 200}
      program: [{syscall: 100ms}]
run: {duration: 10s}
)";
  const RunResult r = run_yaml(yaml);
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  const auto threads = r.model_counters.at("threads_peak").get<std::uint64_t>();
  CHECK(threads >= 200);
  CHECK(threads <= 200 + 2 + 1);  // + GOMAXPROCS, + sysmon
  // known_blocking hands the P off at once: no retake is needed.
  const RunResult block = run_yaml(yaml, {{"workload.classes.blocker.program", "[{syscall: {kind: known_blocking, value: 100ms}}]"}});
  CHECK(counter(block, "syscalls", "retakes").get<std::uint64_t>() == 0);
  CHECK(counter(block, "syscalls", "handoffs").get<std::uint64_t>() >= 200);
  // raw syscalls keep their P: nothing else runs meanwhile, and no threads are added.
  const RunResult raw = run_yaml(yaml, {{"workload.classes.blocker.program", "[{syscall: {kind: raw, value: 100ms}}]"}});
  CHECK(raw.model_counters.at("threads_peak").get<std::uint64_t>() <= 4);
  CHECK(counter(raw, "syscalls", "retakes").get<std::uint64_t>() == 0);
  // A cap on threads ends the run as Go does.
  const RunResult capped = run_yaml(yaml, {{"runtime.max_threads", "50"}});
  CHECK(capped.outcome.status == OutcomeStatus::kThreadExhaustion);
}

TEST_CASE("LockOSThread: the locked M runs only its G, hand-offs wake it, and exiting locked ends the thread", "[go][syscall]") {
  const std::string yaml = R"(
machine: {cpus: 2}
runtime: {model: go}
workload:
  classes:
    main:
      arrivals: {process: initial, count: 1}
      program: [{lock_thread: true}, {repeat: {count: 100, steps: [{compute: 50us}, {sleep: 200us}]}}, {unlock_thread: true}, {spawn: worker}]
    busy:
      arrivals: {process: initial, count: 4}
      program: [{repeat: {count: 200, steps: [{compute: 100us}, {gosched: true}]}}]
    worker: {program: [{lock_thread: true}, {compute: 10us}]}
run: {duration: 5s}
)";
  const RunResult r = run_yaml(yaml);
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  CHECK(r.goroutines_completed == 6);
  // Every wake-up of the sleeping locked goroutine is picked by some M and handed to its locked M.
  CHECK(r.model_counters.at("locked_handoffs").get<std::uint64_t>() >= 90);
  // main unlocked before exiting; the worker exits locked and takes its thread with it.
  CHECK(r.model_counters.at("threads_exited").get<std::uint64_t>() == 1);
  const RunResult never = run_yaml(yaml, {{"workload.classes.main.program.0", "{compute: 1us}"}});
  CHECK(never.model_counters.at("locked_handoffs").get<std::uint64_t>() == 0);
}
