// The HTML report: one self-contained page (`report.html`) for a run, a capacity search or a sweep, with
// its plots drawn by the vendored uPlot inlined into the page, so it opens without a network connection.
// One implementation for the CLI (`gmpsim report OUT_DIR`, from the files of an output directory) and
// Python (`Result.report(path)`, from the result in memory); see models/report/README.md.
#pragma once
#include <string>

#include "models/result.h"

namespace gmpsim::models {

// What a report shows: the files an output directory can hold, each possibly absent.
struct ReportInputs {
  std::string dir;             // where they came from, shown in the page ("" for a result in memory)
  Json summary;                // summary.json (gmpsim run --out), or null
  std::string latency_csv;     // latency.csv
  std::string timeseries_csv;  // timeseries.csv
  Json capacity;               // capacity.json (gmpsim capacity --out), or null
  std::string sweep_csv;       // sweep.csv (gmpsim sweep --out), or the task slices' rows joined, or ""
  std::string sweep_file;      // which file(s) the sweep rows came from
  Json claims;                 // claims.json (gmpsim-claims/1: claims put to the model, notebooks/claims.ipynb), or null
};

// The verdicts a claims.json row may carry (models/report/README.md#claims).
inline constexpr const char* kClaimVerdicts[] = {"supported", "supported only when", "contradicted", "outside the model"};

// Checks a gmpsim-claims/1 object: a "claims" array whose rows have "claim", a verdict of kClaimVerdicts,
// "condition" when the verdict is "supported only when", and "mechanism". Throws ScenarioError naming
// OUT_DIR and the row's field.
void check_claims(const Json& claims, const std::string& file);

// Reads what `gmpsim run|capacity|sweep --out DIR` wrote. Throws ScenarioError naming OUT_DIR when the
// folder holds none of summary.json, capacity.json, sweep.csv (or sweep.task-*.csv), claims.json, or one
// of them does not parse.
ReportInputs read_report_inputs(const std::string& dir);

// The same inputs for a run in memory (what write_outputs would write).
ReportInputs report_inputs(const RunResult& r);

// The page: scenario, summary, latency CDFs per class, time series, per-CPU and per-P utilisation, the
// capacity search, the sweep and the claims' verdicts when present, and how to open a Perfetto trace.
std::string report_html(const ReportInputs& in);

// `gmpsim report OUT_DIR`: reads the folder and writes OUT_DIR/report.html atomically; returns its path.
std::string write_report(const std::string& dir);

}  // namespace gmpsim::models
