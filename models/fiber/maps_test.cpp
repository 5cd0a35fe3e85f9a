// The process's mappings under boost-fiber-ws (vm.max_map_count): what each Boost.Context stack allocator
// takes per fiber, and std::bad_alloc (outcome out_of_memory) when a stack's mmap would exceed the limit.
#include <catch2/catch.hpp>
#include <string>

#include "models/fiber/fiber.h"
#include "models/testing/builders.h"
#include "models/testing/run_helpers.h"

using namespace gmpsim;
using namespace gmpsim::models;
using testing::counter_u64;
using testing::run_yaml;

namespace {

// main spawns 40 000 waiters that block on a channel (all alive at once), then closes it: every waiter
// wakes and ends. Two worker threads: the process holds the base mappings and one more thread's two.
std::string storm(const std::string& allocator, const std::string& vm = "", const std::string& how = "spawn") {
  std::string y = "machine: {cpus: 2}\nruntime: {model: boost-fiber-ws}\nfiber: {threads: 2, stack_allocator: " + allocator + "}\n";
  if (!vm.empty()) y += "vm: {" + vm + "}\n";
  y += "workload:\n  channels: {c: 0}\n  classes:\n";
  if (how == "spawn") {
    y += "    main:\n      arrivals: {process: initial, count: 1}\n"
         "      program: [{spawn: {class: waiter, count: 40000}}, {sleep: 1ms}, {close: c}]\n"
         "    waiter: {program: [{recv: c}]}\n";
  } else {  // an initial population of 40 000 created before t = 0, and a closer
    y += "    waiter:\n      arrivals: {process: initial, count: 40000}\n      program: [{recv: c}]\n"
         "    closer:\n      arrivals: {process: initial, count: 1}\n      program: [{sleep: 10ms}, {close: c}]\n";
  }
  return y + "run: {duration: 10s}\n";
}

constexpr std::uint64_t kBase = 51 + 2;  // kBaseMaps, and the second worker thread's stack and guard

}  // namespace

TEST_CASE("fiber maps: 40 000 live fibers fit under vm.max_map_count with fixedsize and pooled stacks", "[fiber][maps]") {
  const RunResult fixed = run_yaml(storm("fixedsize"));
  INFO(fixed.outcome.detail);
  REQUIRE(fixed.outcome.status == OutcomeStatus::kCompleted);
  CHECK(fixed.goroutines_completed == 40001);
  CHECK(fixed.model_counters.at("stack_allocator") == "fixedsize");
  // malloc's mmaps of the stacks merge into one mapping while all live; the two threads' waiters end
  // interleaved, which splits the survivors apart for a while (one mapping per run of them)
  CHECK(counter_u64(fixed, "maps_peak") < 65530);
  CHECK(counter_u64(fixed, "maps") == kBase);
  CHECK(counter_u64(fixed, "stack_bytes_peak") == 40001ull * 131072);

  const RunResult pooled = run_yaml(storm("pooled"));
  INFO(pooled.outcome.detail);
  REQUIRE(pooled.outcome.status == OutcomeStatus::kCompleted);
  CHECK(pooled.goroutines_completed == 40001);
  // boost::pool blocks of 32, 64, ..., 32768 stacks: 11 blocks hold 65 504 >= 40 001; never given back
  CHECK(counter_u64(pooled, "maps_peak") == kBase + 11);
  CHECK(counter_u64(pooled, "maps") == kBase + 11);
}

TEST_CASE("fiber maps: protected stacks take two mappings each and exhaust vm.max_map_count", "[fiber][maps]") {
  const RunResult r = run_yaml(storm("protected"));
  INFO(r.outcome.detail);
  REQUIRE(r.outcome.status == OutcomeStatus::kOutOfMemory);
  CHECK_THAT(r.outcome.detail, Catch::StartsWith("std::bad_alloc: mmap of a fiber stack failed: 65531 mappings would exceed "
                                                 "vm.max_map_count = 65530 (fiber.stack_allocator protected: 2 per stack)"));
  // 53 + 2 x 32 738 = 65 529 mappings hold main and 32 737 waiters; the next stack's two would be 65 531
  CHECK_THAT(r.outcome.detail, Catch::Contains("with 32738 fibers alive"));
  CHECK(counter_u64(r, "maps_peak") == 65529);

  // The same population created before t = 0 fails there.
  const RunResult at_start = run_yaml(storm("protected", "", "initial"));
  INFO(at_start.outcome.detail);
  REQUIRE(at_start.outcome.status == OutcomeStatus::kOutOfMemory);
  CHECK_THAT(at_start.outcome.detail, Catch::Contains("at t=0.000000 s"));

  // With the limit raised (as Elasticsearch and others ask: 262144) the storm completes.
  const RunResult raised = run_yaml(storm("protected", "max_map_count: 262144"));
  INFO(raised.outcome.detail);
  REQUIRE(raised.outcome.status == OutcomeStatus::kCompleted);
  CHECK(raised.goroutines_completed == 40001);
  CHECK(counter_u64(raised, "maps_peak") == kBase + 2 * 40001);
  CHECK(counter_u64(raised, "maps") == kBase);  // every stack unmapped at its fiber's end
  CHECK(counter_u64(raised, "stack_bytes_peak") == 40001ull * (131072 + 4096));
}

TEST_CASE("fiber maps: fixedsize stacks freed out of order split malloc's mappings", "[fiber][maps]") {
  // 1000 fibers spawned at once, alternately one that ends and one that waits on the channel (all served by
  // mmap: none was freed yet): the ended ones leave holes between the survivors.
  const std::string y = R"(
machine: {cpus: 1}
runtime: {model: boost-fiber-ws}
fiber: {threads: 1}
workload:
  channels: {c: 0}
  classes:
    main:
      arrivals: {process: initial, count: 1}
      program: [{repeat: {count: 500, steps: [{spawn: quick}, {spawn: waiter}]}}, {sleep: 1ms}, {spawn: {class: quick, count: 100}}, {sleep: 1ms}, {close: c}]
    quick: {program: [{compute: 1us}]}
    waiter: {program: [{recv: c}]}
run: {duration: 10s}
)";
  const RunResult r = run_yaml(y);
  INFO(r.outcome.detail);
  REQUIRE(r.outcome.status == OutcomeStatus::kCompleted);
  // 1001 stacks merged into one while all lived; after the 500 quick ones ended, main and each waiter
  // are a mapping of their own; the 100 spawned later come from malloc's heap (no new mappings).
  CHECK(counter_u64(r, "maps_peak") == 51 + 501);
  CHECK(counter_u64(r, "maps") == 51);
}
