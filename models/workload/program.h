// The workload language: goroutine classes, their arrival processes, and programs of steps.
//
// A program is written as a YAML list of steps and compiled here into flat bytecode (Op), so a goroutine's
// whole control state is a program counter plus a few loop counters and span start times: compact enough
// for millions of goroutines. Steps (each a one-key map):
//   compute: DIST                       run on a CPU for a sampled duration (work, not a timer)
//   spawn: CLASS | {class: C, count: N} start N goroutines of class C (`go f()`)
//   repeat: {count: N | forever, steps: [...]}
//   span: {name: S, steps: [...]}       latency of the enclosed steps is recorded under span S
//   exit: true                          the goroutine exits now (the end of the program exits too)
//   gosched: true                       runtime.Gosched(): yield the CPU, stay runnable
//   wg_add: {wg: W, n: N}               WaitGroup W's counter += N (W is a global, named WaitGroup)
//   wg_done: W                          WaitGroup W's counter -= 1; at zero its waiters are readied
//   wg_wait: W                          park until W's counter is zero (no wait if it already is)
//   alloc: SIZE                         allocate SIZE bytes on the heap (counted; the GC model uses it)
// DIST is a duration ("80us", a constant) or a map {dist: KIND, ...}; see parse_dist().
// More blocking steps (channels, locks, timers, network waits) arrive with part 2 of the Go model.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "sim/dist.h"
#include "sim/time.h"

namespace gmpsim::models {

enum class OpCode : std::uint8_t {
  kCompute,    // a = index into Program::dists
  kSpawn,      // a = class index, count = goroutines
  kLoopBegin,  // slot = loop counter slot, a = pc after the matching kLoopEnd, count = iterations (-1 forever)
  kLoopEnd,    // slot = loop counter slot, a = pc of the first body op
  kSpanBegin,  // slot = span slot in the goroutine's frame, a = span id (Workload::spans)
  kSpanEnd,    // slot, a as kSpanBegin
  kExit,       // the goroutine exits; also appended at the end of every program
  kGosched,    // runtime.Gosched
  kWgAdd,      // a = WaitGroup index (Workload::waitgroups), count = delta (wg_done: -1)
  kWgWait,     // a = WaitGroup index
  kAlloc,      // count = bytes
};

struct Op {
  OpCode code;
  std::uint8_t slot = 0;
  std::uint32_t a = 0;
  std::int64_t count = 0;
};

struct Program {
  std::vector<Op> ops;           // always ends with kExit
  std::vector<sim::Dist> dists;  // durations in ns
  std::uint8_t loop_slots = 0;   // deepest nesting of repeat
  std::uint8_t span_slots = 0;   // spans open at once, at most
  // Frame words a goroutine of this program needs: loop counters then span start times.
  std::uint32_t frame_words() const { return loop_slots + span_slots; }
};

struct Arrivals {
  enum class Process : std::uint8_t { kNone, kInitial, kPoisson, kConstant, kOnOff, kClosed };
  Process process = Process::kNone;
  std::int64_t count = 0;     // kInitial
  double rate_per_s = 0;      // kPoisson, kConstant, kOnOff (rate while on)
  sim::Dist on, off;          // kOnOff period lengths (ns)
  std::int64_t clients = 0;   // kClosed
  sim::Dist think;            // kClosed think time (ns)
};

struct GoroutineClass {
  std::string name;
  Arrivals arrivals;
  Program program;
};

struct SpanInfo {
  std::string name;
  std::uint32_t class_index;
};

struct Workload {
  std::vector<GoroutineClass> classes;  // in scenario order
  std::vector<SpanInfo> spans;          // every span of every class, in order of appearance
  std::vector<std::string> waitgroups;  // global WaitGroups, by name, in order of first use
  int find_class(std::string_view name) const;
};

// Parses a distribution of durations at `key` (for error messages). Forms:
//   "80us"                                           constant
//   {dist: constant, value: 80us}
//   {dist: exponential, mean: 1ms}
//   {dist: uniform, low: 10us, high: 20us}
//   {dist: normal, mean: 1ms, stddev: 100us}        negative draws are clamped to 0 by the caller
//   {dist: lognormal, median: 50us, sigma: 0.5}   or {dist: lognormal, mean: 50us, cv: 2}
//   {dist: gamma, shape: 2, scale: 25us}          {dist: erlang, k: 4, mean: 1ms}
//   {dist: pareto, scale: 10us, alpha: 1.5}
//   {dist: mixture, of: [{weight: 0.9, dist: ...}, {weight: 0.1, dist: ...}]}   (bimodal: two entries)
//   {dist: empirical, points: [[10us, 0], [50us, 0.5], [2ms, 1]]}   (value, cumulative probability)
sim::Dist parse_dist(const YAML::Node& node, const std::string& key);

// Compiles the program at `key` for class `class_index`. Class names for spawn are looked up in
// `class_names`; span names are appended to `spans`.
Program compile_program(const YAML::Node& steps, const std::string& key, std::uint32_t class_index,
                        const std::vector<std::string>& class_names, std::vector<SpanInfo>& spans,
                        std::vector<std::string>& waitgroups);

}  // namespace gmpsim::models
