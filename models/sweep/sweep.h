// Sweeps: run a scenario at every point of a parameter grid, several times each, and tabulate one row
// per point and repeat. The CLI (`gmpsim sweep`) and Python (`gmpsim.sweep`) share everything here, so a
// point's seed and its row are the same whichever front end, executor or completion order ran it.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "models/result.h"
#include "models/scenario/scenario.h"

namespace gmpsim::models {

// Where a scenario comes from, so that each run (possibly on another thread) loads its own copy: a file
// path, or YAML text named `source`, plus --set overrides.
struct ScenarioSource {
  std::string path;                 // non-empty: load this file
  std::string text;                 // else this YAML text
  std::string source = "<text>";
  std::vector<Override> sets;
  Scenario load(const std::vector<Override>& extra = {}) const;
};

// A point of a sweep: (dotted key, YAML value text) pairs, as --set takes them.
using PointParams = std::vector<Override>;

// The point as canonical text: keys sorted, each value parsed as YAML and written as compact JSON, so
// `4`, "4" and 4 name the same point, and "2ms" stays a string. Throws ScenarioError for bad YAML.
std::string canonical_point(const PointParams& params);

// The seed of repeat `repeat` of a point: derived from the master seed, the canonical point and the
// repeat. The one function every front end uses (CLI sweeps, Python sweeps, capacity replications).
std::uint64_t point_seed(std::uint64_t master, const PointParams& params, std::uint64_t repeat);

// One axis of a grid from the CLI's `--grid 'key=[v1, v2]'` (a YAML list; a scalar is one value).
struct GridAxis {
  std::string key;
  std::vector<std::string> values;  // YAML texts
};
GridAxis parse_grid_axis(std::string_view text);

// Every point of the grid, first axis slowest (as itertools.product over the axes in order).
std::vector<PointParams> grid_points(const std::vector<GridAxis>& axes);

// A run's metrics as the flat columns of a sweep row (values as in summary.json): simulated_s, events,
// fingerprint, throughput_per_s, cpu_utilization, goroutine counts, memory_peak_bytes and threads when
// the model reports them (else null), and per class latency_us.<class>.{count,mean,p50,p90,p99,p999,max}
// and wait_us.<class>.{mean,p99}.
Json run_metrics(const RunResult& r);

// Runs repeat `repeat` of a point: the scenario with the point's overrides and run.seed =
// point_seed(master, params, repeat). The row: point, repeat, one column per parameter (its YAML text),
// seed, outcome, detail, then run_metrics. A point whose scenario does not load is recorded with outcome
// "error" and the message in `detail` rather than thrown, so one bad point does not stop a sweep; so is
// a run that fails with an internal error (detail "internal error: ...").
Json run_point(const ScenarioSource& src, const PointParams& params, std::uint64_t point, std::uint64_t master,
               std::uint64_t repeat);

struct SweepOptions {
  std::uint64_t repeats = 1;
  unsigned jobs = 1;             // threads; runs are independent, so any count gives the same rows
  std::uint64_t task_index = 0;  // job arrays: run the (point, repeat) pairs i with i % task_count == task_index
  std::uint64_t task_count = 1;
  std::vector<Json> finished;    // rows of an interrupted run of the same sweep (--resume): not run again
};

// Runs the grid (or this task's slice of it) on `jobs` threads; rows come back sorted by (point, repeat).
// `on_row`, when given, is called (under a lock) as each run finishes, for progress and the CLI's
// journal; rows taken from options.finished are not run and not passed to it. A run that fails (bad
// input, or an internal error of that run) is a row with outcome "error" and the message in `detail`.
std::vector<Json> run_sweep(const ScenarioSource& src, const std::vector<PointParams>& points, std::uint64_t master,
                            const SweepOptions& options, const std::function<void(const Json&)>& on_row = {});

// Rows as a tidy CSV: the header is the union of the rows' columns in order of first appearance; null
// and missing values are empty; text is quoted when it holds a comma, quote or newline.
std::string sweep_csv(const std::vector<Json>& rows);

}  // namespace gmpsim::models
