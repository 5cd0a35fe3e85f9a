// The limits every run keeps, whatever the scenario: heavy-tailed draws saturate at sim::kMaxDraw instead
// of overflowing the clock, and the simulator's own memory stops at run.max_memory with an outcome (the go
// model's out_of_memory coming first where the simulated machine runs out before the host would).
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "models/output/output.h"
#include "models/testing/run_helpers.h"

using namespace gmpsim;
using namespace gmpsim::models;
using testing::run_yaml;

namespace {

std::string heavy(const std::string& model) {
  return "machine: {cpus: 2}\nruntime: {model: " + model + "}\n"
         "workload:\n  classes:\n"
         "    open: {arrivals: {process: poisson, rate: 2000/s}, program: [{compute: {dist: lognormal, median: 50us, sigma: 60}}]}\n"
         "    tail: {arrivals: {process: poisson, rate: 2000/s}, program: [{compute: {dist: pareto, scale: 10us, alpha: 0.02}}]}\n"
         "    loop: {arrivals: {process: closed, clients: 50, think: {dist: pareto, scale: 1ms, alpha: 0.01}}, program: [{compute: 10us}]}\n"
         "run: {duration: 1s, sample_interval: 100ms, seed: 7}\n";
}

}  // namespace

TEST_CASE("limits: a draw converts to time with saturation", "[limits]") {
  CHECK(sim::draw_to_time(1.4) == 1);
  CHECK(sim::draw_to_time(2.5) == 3);
  CHECK(sim::draw_to_time(-5) == 0);
  CHECK(sim::draw_to_time(std::nan("")) == 0);
  CHECK(sim::draw_to_time(1e30) == sim::kMaxDraw);
  CHECK(sim::draw_to_time(HUGE_VAL) == sim::kMaxDraw);
  CHECK(sim::kMaxDraw + sim::kMaxDraw > 0);  // now + draw cannot overflow within any run the loader accepts
}

TEST_CASE("limits: heavy-tailed draws neither overflow the clock nor multiply goroutines", "[limits]") {
  for (const char* model : {"fifo", "go", "boost-fiber-ws"}) {
    INFO(model);
    const RunResult r = run_yaml(heavy(model));
    CHECK(r.outcome.status == OutcomeStatus::kCompleted);
    CHECK(r.simulated_ns == sim::kSecond);
    CHECK(r.cpu_utilization >= 0);
    CHECK(r.cpu_utilization <= 1.0 + 1e-9);
    // 50 clients: at most 50 of their requests exist at once, whatever the draws.
    for (const ClassResult& c : r.classes) {
      if (c.latency.name == "loop") CHECK(c.created <= 50 + c.completed + 50);
    }
  }
}

TEST_CASE("limits: the simulator's memory stops at run.max_memory with outcome sim_memory_limit", "[limits]") {
  const std::string yaml = "machine: {cpus: 2}\nruntime: {model: fifo}\n"
                           "workload: {classes: {w: {arrivals: {process: initial, count: 1000000000}, program: [{compute: 1ms}]}}}\n"
                           "run: {duration: 1s, max_memory: 64MiB}\n";
  const RunResult r = run_yaml(yaml);
  CHECK(r.outcome.status == OutcomeStatus::kSimMemoryLimit);
  CHECK_THAT(r.outcome.detail, Catch::Contains("run.max_memory (64 MiB)"));
  CHECK(std::string(outcome_name(r.outcome.status)) == "sim_memory_limit");
}

TEST_CASE("limits: spawn storms and arrival floods stay within run.max_memory on every model", "[limits]") {
  const std::string head = "machine: {cpus: 2, memory: 1TiB}\nrun: {duration: 10s, max_memory: 16MiB}\nworkload:\n  classes:\n";
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"a spawn count of 10^12", "    main: {arrivals: {process: initial}, program: [{spawn: {class: child, count: 1000000000000}}]}\n"
                                 "    child: {program: [{compute: 1ms}]}\n"},
      {"a recursive spawn", "    tree: {arrivals: {process: initial}, program: [{spawn: tree}, {spawn: tree}, {compute: 1ns}]}\n"},
      {"10^9 arrivals a second", "    r: {arrivals: {process: poisson, rate: 1000000000/s}, program: [{compute: 1ms}]}\n"},
  };
  for (const char* model : {"fifo", "boost-fiber-ws", "go"}) {
    for (const auto& [what, classes] : cases) {
      INFO(model << ": " << what);
      const RunResult r = run_yaml(head + classes, {{"runtime.model", model}, {"run.max_events", "5000000"}});
      // fifo's spawns and arrivals cost nothing, so its table grows until the limit stops it; the go and
      // boost-fiber-ws models spend CPU on each spawn and accept, which may throttle a storm below the limit
      // within the run: either way the simulator's memory stays within it.
      if (std::string(model) == "fifo") CHECK(r.outcome.status == OutcomeStatus::kSimMemoryLimit);
      CHECK(r.outcome.status != OutcomeStatus::kStarved);
      CHECK(r.sim_memory_bytes <= std::uint64_t{16} << 20);
    }
  }
  CHECK_THROWS_WITH(run_yaml(head + std::get<1>(cases[2]), {{"workload.classes.r.arrivals.rate", "1000000000000/s"}}),
                    Catch::StartsWith("workload.classes.r.arrivals.rate: value 1000000000000/s is out of range"));
}

TEST_CASE("limits: a billion goroutines on the go model end in its own out_of_memory first", "[limits]") {
  const std::string yaml = "machine: {cpus: 2, memory: 256MiB}\nruntime: {model: go}\n"
                           "workload: {classes: {w: {arrivals: {process: initial, count: 1000000000}, program: [{compute: 1ms}]}}}\n"
                           "run: {duration: 1s}\n";
  const RunResult r = run_yaml(yaml);
  // The runtime's own failure or the kernel's OOM killer, whichever the model's memory settings bring first.
  CHECK((r.outcome.status == OutcomeStatus::kOutOfMemory || r.outcome.status == OutcomeStatus::kOomKilled));
  CHECK(r.goroutines_created < 1000000);
}

TEST_CASE("limits: an integer seed written as 1e3 or 0x10 is recorded as the seed used", "[limits]") {
  const std::string base = "workload: {classes: {w: {arrivals: {process: poisson, rate: 100/s}, program: [{compute: 1ms}]}}}\nrun: {duration: 1s}\n";
  for (const auto& [text, seed] : {std::pair<std::string, std::uint64_t>{"1e3", 1000}, {"0x10", 16}, {"+7", 7}}) {
    INFO(text);
    const Scenario sc = load_scenario(base, "<text>", {{"run.seed", text}});
    CHECK(sc.run.seed == seed);
    CHECK(sc.resolved_json()["run"]["seed"] == seed);
    CHECK(sc.resolved_json()["run"]["seed"].is_number_integer());
    const Scenario again = load_scenario(sc.resolved_json().dump(), "<text>");
    CHECK(again.run.seed == seed);
  }
}
