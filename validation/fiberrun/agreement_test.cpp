// The runner's interpreter (interpreter.cpp) against the models' (models/workload/goroutines.h advance()):
// both execute the same compiled bytecode, one on real Boost.Fiber fibers, one in simulated time. On
// deterministic programs they must agree on what happened: goroutines (fibers) created and completed per
// class, spans completed, and whether the run completed or panicked. Each program runs on the real runner
// with one and with two worker threads, and in the fifo and boost-fiber-ws models. No timing is compared.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "models/registry.h"
#include "models/result.h"
#include "models/scenario/scenario.h"
#include "validation/common/process.h"

#ifdef GMPSIM_FIBERRUN_PATH

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// What both sides report about a run.
struct Counts {
  bool completed = false;                              // else a panic
  std::map<std::string, std::uint64_t> created, completed_per_class, spans;
};

// A scenario of `workload` (YAML, the `workload:` section's body indented by two) for `model`; the fiber
// section only where the model reads it.
std::string scenario(const std::string& model, int threads, const std::string& workload) {
  std::string s = "machine: {cpus: 2}\nruntime: {model: " + model + "}\n";
  if (model == "boost-fiber-ws") s += "fiber: {threads: " + std::to_string(threads) + ", idle: spin}\n";
  return s + "run: {duration: 20s, warmup: 0s}\nworkload:\n" + workload;
}

Counts real_run(const std::string& workload, int threads) {
  const fs::path dir = fs::temp_directory_path() / ("gmpsim_agreement_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path file = dir / "scenario.yaml";
  std::ofstream(file) << scenario("boost-fiber-ws", threads, workload);
  gmpsim::process::Options o;
  o.capture_stdout = true;
  o.timeout_s = 120;
  const gmpsim::process::Result r = gmpsim::process::run({GMPSIM_FIBERRUN_PATH, file.string(), "--repeats", "1"}, o);
  fs::remove_all(dir);
  INFO("gmpsim-fiberrun " << r.failure());
  REQUIRE(r.ok());
  const json run = json::parse(r.output)["repeats"][0];
  Counts c;
  const std::string outcome = run["outcome"].get<std::string>();
  INFO("outcome: " << outcome);
  REQUIRE((outcome == "completed" || outcome.rfind("panic: ", 0) == 0));
  c.completed = outcome == "completed";
  for (const auto& [name, v] : run["classes"].items()) {
    c.created[name] = v["created"].get<std::uint64_t>();
    c.completed_per_class[name] = v["completed"].get<std::uint64_t>();
  }
  for (const auto& [name, v] : run["spans"].items()) c.spans[name] = v["latency_count"].get<std::uint64_t>();
  std::uint64_t run_fibers = 0, created = 0;
  for (const json& n : run["counters"]["fibers_run_per_thread"]) run_fibers += n.get<std::uint64_t>();
  for (const auto& [name, n] : c.created) created += n;
  if (c.completed) CHECK(run_fibers == created);  // every fiber created also ran
  return c;
}

Counts simulated_run(const std::string& workload, const std::string& model) {
  const gmpsim::models::Scenario sc = gmpsim::models::load_scenario(scenario(model, 2, workload), "<agreement " + model + ">");
  const gmpsim::models::RunResult r = gmpsim::models::run_scenario(sc);
  INFO(model << " outcome: " << gmpsim::models::outcome_name(r.outcome.status) << " " << r.outcome.detail);
  REQUIRE((r.outcome.status == gmpsim::models::OutcomeStatus::kCompleted ||
           r.outcome.status == gmpsim::models::OutcomeStatus::kPanic));
  Counts c;
  c.completed = r.outcome.status == gmpsim::models::OutcomeStatus::kCompleted;
  for (const gmpsim::models::ClassResult& k : r.classes) {
    c.created[k.latency.name] = k.created;
    c.completed_per_class[k.latency.name] = k.completed;
  }
  for (const gmpsim::models::LatencyResult& s : r.spans) c.spans[s.name] = s.latency.count();
  return c;
}

// Runs `workload` on every side and checks that they agree (and, when given, on the expected counts).
void check_agreement(const std::string& workload, bool expect_completed) {
  for (const std::string model : {"fifo", "boost-fiber-ws"}) {
    const Counts sim = simulated_run(workload, model);
    for (int threads : {1, 2}) {
      INFO("real run on " << threads << " worker thread(s) against the " << model << " model");
      const Counts real = real_run(workload, threads);
      REQUIRE(sim.completed == expect_completed);
      REQUIRE(real.completed == expect_completed);
      if (!expect_completed) continue;  // how far a panicking run got depends on timing
      CHECK(real.created == sim.created);
      CHECK(real.completed_per_class == sim.completed_per_class);
      CHECK(real.spans == sim.spans);
    }
  }
}

}  // namespace

TEST_CASE("runner and models agree: repeat, nested spans, spawn, gosched, alloc and stack", "[fiberrun][agreement]") {
  check_agreement(R"(  classes:
    main:
      arrivals: {process: initial, count: 1}
      program:
        - repeat:
            count: 3
            steps:
              - span:
                  name: outer
                  steps:
                    - spawn: {class: worker, count: 4}
                    - repeat: {count: 2, steps: [{span: {name: inner, steps: [{compute: 2us}]}}]}
    worker:
      program: [{compute: 1us}, {gosched: true}, {alloc: 1KiB}, {stack: 8KiB}, {repeat: {count: 0, steps: [{compute: 1ms}]}}]
)",
                  true);
}

TEST_CASE("runner and models agree: unbuffered ping-pong and a buffered stream closed by its producer", "[fiberrun][agreement]") {
  check_agreement(R"(  channels: {ping: 0, pong: 0, stream: 3, one: 1}
  classes:
    pinger:
      arrivals: {process: initial, count: 1}
      program: [{repeat: {count: 200, steps: [{send: ping}, {recv: pong}]}}]
    ponger:
      arrivals: {process: initial, count: 1}
      program: [{repeat: {count: 200, steps: [{recv: ping}, {send: pong}]}}]
    producer:
      arrivals: {process: initial, count: 1}
      program: [{repeat: {count: 50, steps: [{send: stream}, {send: one}]}}, {close: stream}]
    consumer:
      arrivals: {process: initial, count: 1}
      program: [{repeat: {count: 50, steps: [{recv: one}, {recv: stream}]}}, {repeat: {count: 10, steps: [{recv: stream}]}}]
)",
                  true);
}

TEST_CASE("runner and models agree: a mutex, a global WaitGroup, sleep, syscalls and cgo", "[fiberrun][agreement]") {
  check_agreement(R"(  classes:
    main:
      arrivals: {process: initial, count: 1}
      program:
        - wg_add: {wg: done, n: 6}
        - spawn: {class: locker, count: 4}
        - spawn: {class: sleeper, count: 2}
        - span: {name: wait, steps: [{wg_wait: done}]}
    locker:
      program: [{repeat: {count: 20, steps: [{lock: m}, {compute: 1us}, {unlock: m}]}}, {wg_done: done}]
    sleeper:
      program:
        - sleep: 20us
        - syscall: 10us
        - syscall: {value: 5us, kind: raw}
        - cgo: 3us
        - wg_done: done
)",
                  true);
}

TEST_CASE("runner and models agree: objects made per request and inherited by children and grandchildren", "[fiberrun][agreement]") {
  check_agreement(R"(  classes:
    request:
      arrivals: {process: initial, count: 2}
      program:
        - repeat:
            count: 5
            steps:
              - span:
                  name: request
                  steps:
                    - make: {wg: w}
                    - make: {chan: results, capacity: 4}
                    - make: {mutex: mu}
                    - wg_add: {wg: w, n: 3}
                    - spawn: {class: worker, count: 3}
                    - repeat: {count: 3, steps: [{recv: results}]}
                    - wg_wait: w
    worker:
      program: [{wg_add: {wg: w, n: 1}}, {spawn: helper}, {compute: 1us}, {lock: mu}, {send: results}, {unlock: mu}, {wg_done: w}]
    helper:
      program: [{sleep: 5us}, {lock: mu}, {unlock: mu}, {wg_done: w}]
)",
                  true);
}

TEST_CASE("runner and models agree on panics: send on a closed channel, a negative WaitGroup, a nil made object",
          "[fiberrun][agreement]") {
  SECTION("send on a closed channel") {
    check_agreement(R"(  channels: {c: 1}
  classes:
    main:
      arrivals: {process: initial, count: 1}
      program: [{close: c}, {send: c}]
)",
                    false);
  }
  SECTION("more wg_done than wg_add") {
    check_agreement(R"(  classes:
    main:
      arrivals: {process: initial, count: 1}
      program: [{wg_add: {wg: w, n: 1}}, {wg_done: w}, {wg_done: w}]
)",
                    false);
  }
  SECTION("a made channel used before its make step") {
    check_agreement(R"(  classes:
    main:
      arrivals: {process: initial, count: 1}
      program: [{send: c}, {make: {chan: c, capacity: 1}}]
)",
                    false);
  }
}

#endif  // GMPSIM_FIBERRUN_PATH
