// Scenario builders and result readers shared by the model tests, so that the same workload means the
// same YAML in every model's tests.
#pragma once
#include <cstdint>
#include <sstream>
#include <string>

#include "models/result.h"

namespace gmpsim::models::testing {

// An M/M/1 queue (Poisson arrivals, exponential 1 ms service, one CPU) with every scheduling cost set to
// zero, for `model` in {fifo, go, boost-fiber-ws}: the configuration in which a scheduler model must reduce
// to the queueing formula. The go model also takes arrivals on the global queue, without sysmon, so that
// service is in arrival order.
inline std::string mm1_zero_cost(const std::string& model, double rate_per_s, double seconds) {
  std::ostringstream os;
  os << "machine: {cpus: 1}\n";
  if (model == "boost-fiber-ws") {
    os << "runtime: {model: " << model << "}\n"
       << "fiber: {threads: 1, stack_fault_pages: 0, cost: {switch: 0ns, spawn: 0ns, exit: 0ns, park: 0ns, ready: 0ns, "
          "chan_op: 0ns, remote_wake: 0ns, steal: 0ns, lock: 0ns, storm_working_set: 0ns}}\n";
  } else {
    os << "runtime: {model: " << model << ", gomaxprocs: 1, runnext: false, "
       << (model == "go" ? "arrivals: global, sysmon: false, " : "")
       << "cost: {schedule: 0ns, newproc: 0ns, goexit: 0ns, steal: 0ns, global_runq: 0ns}}\n";
  }
  os << "kernel: {futex_wake: 0ns, thread_create: 0ns, idle_exit: 0ns, context_switch: 0ns}\n"
     << "workload: {classes: {job: {arrivals: {process: poisson, rate: " << rate_per_s
     << "/s}, program: [{compute: {dist: exponential, mean: 1ms}}]}}}\n"
     << "run: {duration: " << seconds << "s, warmup: " << seconds / 100 << "s, sample_interval: 100s, seed: 3}\n";
  return os.str();
}

// A spawn storm on 4 CPUs: one `main` starts `children` workers in a loop without blocking (50 ns between
// spawns), each computing 20 us, then ends. `extra` is more top-level YAML (for example a `fiber:` section).
inline std::string spawn_storm(const std::string& model, int children, const std::string& extra = "") {
  std::ostringstream os;
  os << "machine: {cpus: 4}\n"
     << "runtime: {model: " << model << "}\n"
     << extra
     << "workload:\n"
        "  classes:\n"
        "    main:\n"
        "      arrivals: {process: initial, count: 1}\n"
        "      program:\n"
        "        - repeat: {count: " << children << ", steps: [{spawn: worker}, {compute: 50ns}]}\n"
        "    worker:\n"
        "      program: [{compute: 20us}]\n"
        "run: {duration: 10s}\n";
  return os.str();
}

// A model counter from the summary (`model_counters`), by one key or a nested pair.
inline const Json& counter(const RunResult& r, const char* a, const char* b = nullptr) {
  return b == nullptr ? r.model_counters.at(a) : r.model_counters.at(a).at(b);
}
inline std::uint64_t counter_u64(const RunResult& r, const char* a, const char* b = nullptr) {
  return counter(r, a, b).get<std::uint64_t>();
}

// Erlang C: the probability that an arrival waits in an M/M/c queue with offered load a = lambda/mu,
// through the numerically stable Erlang B recursion.
inline double erlang_c(int c, double a) {
  double b = 1.0;
  for (int k = 1; k <= c; ++k) b = a * b / (k + a * b);
  return c * b / (c - a * (1.0 - b));
}

}  // namespace gmpsim::models::testing
