// gmpsim validate: the same workloads run by a real runtime and by the simulator, compared metric by
// metric (validation/README.md). Cases come from manifests (validation/scenarios/*-cases.yaml); the real
// side is gmpsim-fiberrun (Boost.Fiber) or a Go probe, both printing "gmpsim-real-run/1" JSON; the
// simulated side runs the case's scenario in-process with the host profile of the calibration.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/result.h"
#include "sim/stats.h"

namespace gmpsim::validation {

using Json = models::Json;  // ordered, as the results are

// ---- cases ----

struct MetricSpec {
  enum class Kind { kPerOp, kLatency, kThroughput, kCounter, kOutcome, kCpu };
  Kind kind = Kind::kPerOp;
  std::string name;            // label in the report (defaults from the kind)
  std::int64_t ops = 0;        // kPerOp: makespan / ops
  std::int64_t quick_ops = 0;  // kPerOp under --quick (0: same as ops)
  std::string class_name;      // kLatency, kThroughput: a class of the scenario
  std::string sim_class;       // kLatency, kThroughput: the simulated side's name for it when it differs
                               // (an imported scenario names classes by function)
  std::string span;            // kLatency: or a span
  std::string counter;         // kCounter: the real run's counters[counter]
  std::string sim_counter;     // kCounter: the simulator's model counter
  std::string expect;          // kOutcome: the outcome the case is about ("oom_killed", "completed", ...)
                               // kCpu: counter = the real run's CPU time in ns; the simulator's busy
                               // share of the machine times its CPUs times its measured window
  const std::string& sim_class_name() const { return sim_class.empty() ? class_name : sim_class; }
};

// An outcome metric's verdict: both sides agree on whether most runs ended `expect`.
inline constexpr const char* kOutcomeStat = "outcome";

struct Case {
  std::string name;
  std::string runtime;   // "boost-fiber" or "go"
  std::string family;
  std::string set;       // "calibration" or "held-out"
  std::string scenario;  // absolute path (an import case: the imported scenario, once it is made)
  std::vector<std::string> sets, quick_sets;          // --set overrides for both sides (quick: added)
  std::string probe_dir;                              // go: validation/go/<dir>
  std::vector<std::string> probe_args, quick_args;    // go: the probe's arguments (quick: instead)
  // go, `import:`: the simulated side runs no scenario file but the scenario `gmpsim import-trace` makes of
  // a Go execution trace of one more run of the probe with these arguments (and -trace FILE); so a case can
  // trace a run at GOMAXPROCS 2 and compare the import, with runtime.gomaxprocs=1 in set_values, to real
  // runs at 1 (the what-if the import is for).
  bool import = false;
  std::vector<std::string> import_args, import_quick_args;
  std::vector<MetricSpec> metrics;
  std::vector<std::string> needs;  // what the real run needs of the host: "root" (skipped without it)
  std::string manifest;  // the file it came from
  // Set "supplied": real runs made elsewhere (another host), read from a JSON-lines file instead of run
  // here; the simulator runs the scenario with the case's set_values (that host's machine and profile).
  struct Supplied {
    std::string file;            // absolute path; one JSON object per line, one real run each
    Json select = Json::object();  // fields a line must have, with these values
    std::string makespan_field;  // makespan_ns = line[field] * scale
    double scale = 1;
    std::string version;         // the runtime version the runs used ("go1.19", "1.74")
    std::string host;            // what the host was, for the report
  } supplied;
};

// Reads a manifest ({cases: [...]}); bad input throws ScenarioError naming the case and field.
std::vector<Case> load_cases(const std::string& path);

// ---- runs ----

// One real run (a repeat), parsed from the runner's JSON.
struct RealRun {
  std::int64_t makespan_ns = 0, window_ns = 0;
  struct Class {
    std::uint64_t created = 0, completed = 0;
    std::vector<std::int64_t> latency_ns;
  };
  std::map<std::string, Class> classes;
  std::map<std::string, std::vector<std::int64_t>> spans;
  Json counters = Json::object();
  Json generator;          // lateness of the open-loop generator, when there is one
  std::map<std::string, std::vector<std::int64_t>> handover_ns;  // per class: the arrival times it really had
  std::string outcome;     // "" when the run completed
  std::vector<std::string> notes;
};
RealRun parse_real_run(const Json& run, const std::string& what);
// The supplied runs of a case: every line of its file that matches `select`, as a RealRun (makespan from
// the named field; the line's fields as counters). Throws naming the case when none matches.
std::vector<RealRun> load_supplied(const Case& c);

// ---- comparison ----

// One metric statistic of one case: the real side over repeats (median, p10, p90 of the per-repeat
// values; for latency quantiles the pooled samples give the value and the repeats the spread), the
// simulated value over replications, and the error.
struct Row {
  std::string runtime, version, case_name, family, set, metric, stat;
  double real = 0, real_lo = 0, real_hi = 0;  // real value and its run-to-run spread (min/max over repeats)
  int real_n = 0;
  double sim = 0;
  int sim_n = 0;
  double error = 0;      // (sim - real) / real; for stat "ks" the KS distance itself
  double target = 0;     // allowed |error| (0: reported only)
  std::string verdict;   // "ok", "within spread", "miss", "" (no target)
  std::string unit;      // ns, 1/s, "" ...
};

// Kolmogorov–Smirnov distance between the empirical CDF of `real` (sorted ascending) and the CDF of a
// histogram (piecewise linear inside each bucket).
double ks_distance(const std::vector<std::int64_t>& real_sorted, const sim::LogHistogram& sim);

// The median of the values that are numbers (NaN ones left out); NaN when none is.
double median(std::vector<double> v);

// Value at quantile q of sorted samples (nearest rank, as LogHistogram::percentile).
double sample_quantile(const std::vector<std::int64_t>& sorted, double q);

struct CaseRuns {
  const Case* c = nullptr;
  std::string version;               // "1.74", "go1.26", ...
  std::vector<RealRun> real;
  std::vector<models::RunResult> sim;
  bool quick = false;
};
std::vector<Row> compare_case(const CaseRuns& runs);

// Targets of the issue: throughput (and per-op time) within 10 %, p50 within 10 %, p99 within 25 % or within
// the real run-to-run spread.
inline constexpr double kThroughputTarget = 0.10, kP50Target = 0.10, kP99Target = 0.25;

// ---- output ----

struct ReportInfo {
  std::string command;                 // how it was run
  std::string date, gmpsim_version;
  Json host;                           // the profile's host fingerprint
  std::map<std::string, std::string> profiles;  // runtime/version -> profile path
  std::vector<std::string> notes;      // per-case notes (generator lateness, outcomes)
  std::string discussion;              // hand-written text appended (validation/scenarios/NOTES.md)
};
std::string metrics_csv(const std::vector<Row>& rows);
std::string report_markdown(const std::vector<Row>& rows, const ReportInfo& info);
// CDFs for the plots: case,metric,side,x_ns,cdf (real: up to 200 points of the ECDF; sim: the buckets).
std::string cdf_csv_rows(const CaseRuns& runs);

}  // namespace gmpsim::validation
