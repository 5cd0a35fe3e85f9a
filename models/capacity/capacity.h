// The capacity planner: the largest load a scenario takes while meeting a latency SLO and a memory
// limit, found by bracketing then bisection over one parameter, with replications and confidence
// intervals at every probe. One implementation for the CLI (`gmpsim capacity`) and Python
// (`gmpsim.capacity`); see models/capacity/README.md.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "models/sweep/sweep.h"
#include "sim/time.h"

namespace gmpsim::models {

// A latency objective on a class's sojourn time (arrival or spawn to exit): "p99<50ms", "mean<2ms",
// "p999 <= 1s". Statistics: mean, pN (p50, p90, p99, p999 = 99.9th, p99.9, p9999).
struct Slo {
  std::string text;       // as written
  std::string stat;       // "mean" or "p99", ...
  double quantile = -1;   // in (0, 1); -1 for the mean
  sim::Time bound_ns = 0;
};
Slo parse_slo(std::string_view text);  // ScenarioError naming --slo

enum class CapacityMode : std::uint8_t {
  kLoad,        // the largest value of the varied parameter (default: an open-loop arrival rate)
  kGoroutines,  // the largest live population of a class that fits the memory limit
};

struct CapacityOptions {
  CapacityMode mode = CapacityMode::kLoad;
  std::optional<Slo> slo;           // required in load mode, optional for goroutines
  std::string class_name;           // the SLO's class and the default varied class ("" = first open-loop)
  std::int64_t memory_limit = 0;    // bytes; 0 = the scenario's machine.memory
  std::string vary;                 // dotted key to vary ("" = the default for the mode)
  double precision = 0.02;          // stop when (hi - lo) / lo <= precision
  double confidence = 0.95;         // level of each probe's replication t-interval
  int min_replications = 3;         // per probe; doubled while the interval straddles the bound
  int max_replications = 12;
  int max_probes = 60;
  unsigned jobs = 1;                // threads for the replications of a probe; results do not depend on it
  std::optional<std::uint64_t> seed;  // master seed (default: the scenario's run.seed)
};

// Runs the search and returns the report as JSON (capacity.json; see README.md for its fields).
// Bad input (SLO, class, key, limits) throws ScenarioError naming the option.
Json capacity_search(const ScenarioSource& src, const CapacityOptions& options);

// The report for people: the answer, the state at that load, the binding resource and the trace.
std::string capacity_report_text(const Json& report);

// The search trace as CSV, one row per probe.
std::string capacity_trace_csv(const Json& report);

}  // namespace gmpsim::models
